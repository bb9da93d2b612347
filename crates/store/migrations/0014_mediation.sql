-- 矛盾纠纷调解: the screening register (排查: disputes found, and screenings that found none,
-- so 排查率 is computable), the cases with their parties, sessions and hand-offs, and the
-- outcome (调成率). Every table carries its community.
CREATE TABLE screenings (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    -- The grid (or node under it) screened.
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    area_path TEXT NOT NULL,
    screened_on TEXT NOT NULL,
    -- visit | patrol | screening (a round of 排查 on its own)
    source TEXT NOT NULL CHECK (source IN ('visit', 'patrol', 'screening')),
    visit_id BIGINT REFERENCES visits(id),
    patrol_id BIGINT REFERENCES patrols(id),
    -- NULL: screened and nothing found. Otherwise the kind of dispute found.
    type_code TEXT,
    summary TEXT NOT NULL DEFAULT '',
    -- The case opened from it, once one is.
    case_id BIGINT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    worker_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX screenings_area ON screenings(community_id, area_path, screened_on);
CREATE TABLE mediation_cases (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    area_path TEXT NOT NULL,
    -- 凤凰社区调〔2026〕3号: numbered per community and year.
    case_no TEXT NOT NULL,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    type_code TEXT NOT NULL,
    source TEXT NOT NULL,
    -- For a referral: who sent it (区总工会职工法律援助中心, 派出所 …).
    referred_by TEXT,
    -- Labour: the employer, and its union once it assists.
    employer TEXT,
    company_union TEXT,
    summary TEXT NOT NULL,
    mediator TEXT NOT NULL,
    received_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    screening_id BIGINT REFERENCES screenings(id),
    -- NULL while open.
    outcome TEXT CHECK (outcome IN ('success', 'failed', 'arbitration', 'litigation', 'withdrawn')),
    closed_on TEXT,
    -- What the parties agreed (success), how and by when it is carried out.
    agreement TEXT,
    performance TEXT,
    close_note TEXT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (community_id, year, seq)
);
CREATE INDEX mediation_cases_area ON mediation_cases(community_id, area_path, received_on);
CREATE TABLE mediation_parties (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    case_id BIGINT NOT NULL REFERENCES mediation_cases(id),
    side TEXT NOT NULL CHECK (side IN ('applicant', 'respondent')),
    -- A resident on the registry, or someone from outside (a company, a visitor).
    person_id BIGINT REFERENCES persons(id),
    name TEXT NOT NULL,
    sex TEXT,
    -- Sealed (see sealed.rs).
    id_number TEXT,
    phone TEXT,
    address TEXT,
    position BIGINT NOT NULL
);
CREATE INDEX mediation_parties_case ON mediation_parties(case_id);
CREATE TABLE mediation_sessions (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    case_id BIGINT NOT NULL REFERENCES mediation_cases(id),
    held_on TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    mediators TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX mediation_sessions_case ON mediation_sessions(case_id);
-- Every step: received, hand-offs (assign, assist, return, transfer), sessions, closing.
CREATE TABLE mediation_events (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    case_id BIGINT NOT NULL REFERENCES mediation_cases(id),
    at TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    -- The other side of a hand-off: 区总工会职工法律援助中心, XX公司工会 …
    counterpart TEXT,
    note TEXT
);
CREATE INDEX mediation_events_case ON mediation_events(case_id);
