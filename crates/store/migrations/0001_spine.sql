-- The organisation tree, the registry and users.
-- One file for both backends: {id}, {key}, {real}, {blob} are replaced per backend (see migrate.rs).
-- Dates are ISO 8601 text 'YYYY-MM-DD'; times are RFC 3339 UTC text. Integers are BIGINT.
-- Every table of records carries community_id so a city's database can be sharded by it.

CREATE TABLE org_nodes (
    id {id},
    parent_id BIGINT REFERENCES org_nodes(id),
    kind TEXT NOT NULL CHECK (kind IN ('district','street','community','grid','building','unit','room')),
    name TEXT NOT NULL,
    code TEXT,
    path {key} NOT NULL,
    community_id BIGINT REFERENCES org_nodes(id),
    sort_order BIGINT NOT NULL DEFAULT 0,
    retired_on TEXT,
    created_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX org_nodes_path ON org_nodes(path);
CREATE INDEX org_nodes_parent ON org_nodes(parent_id, sort_order, name);
CREATE INDEX org_nodes_kind_name ON org_nodes(community_id, kind, name);
CREATE INDEX org_nodes_kind_path ON org_nodes(kind, path);

CREATE TABLE node_events (
    id {id},
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    community_id BIGINT REFERENCES org_nodes(id),
    happened_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('created','renamed','moved','recoded','retired')),
    before_value TEXT,
    after_value TEXT,
    -- For moves: the parents before and after, so a count "as of" an earlier day can place a
    -- building in the grid it belonged to then.
    from_parent_id BIGINT REFERENCES org_nodes(id),
    to_parent_id BIGINT REFERENCES org_nodes(id),
    user_id BIGINT
);
CREATE INDEX node_events_node ON node_events(node_id, id);
CREATE INDEX node_events_moves ON node_events(kind, happened_on);

CREATE TABLE users (
    id {id},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE user_scopes (
    user_id BIGINT NOT NULL REFERENCES users(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    PRIMARY KEY (user_id, node_id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE persons (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    -- Path of the room the person lives in now, or of their community once moved out;
    -- living = 1 exactly when an open residence exists. Both follow residences in the same
    -- transaction; they exist so scoped lists and counts are one index range scan.
    area_path {key} NOT NULL,
    living BIGINT NOT NULL DEFAULT 1,
    name {key} NOT NULL,
    name_pinyin {key} NOT NULL,
    name_initials {key} NOT NULL,
    -- 公民身份号码; people without one (境外, 未落户) carry another document, or none, and then
    -- sex and birth date are typed instead of derived.
    id_number TEXT UNIQUE,
    id_rev {key},
    doc_type TEXT,
    doc_no {key},
    sex TEXT NOT NULL CHECK (sex IN ('男','女')),
    birth_date TEXT NOT NULL,
    phone TEXT,
    phone_rev {key},
    ethnicity TEXT NOT NULL DEFAULT '汉族',
    person_type TEXT NOT NULL CHECK (person_type IN ('户籍','流动','境外','未落户')),
    registered_here BIGINT NOT NULL DEFAULT 1,
    employment TEXT,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK ((doc_type IS NULL) = (doc_no IS NULL))
);
CREATE INDEX persons_name ON persons(community_id, name);
CREATE INDEX persons_pinyin ON persons(community_id, name_pinyin);
CREATE INDEX persons_initials ON persons(community_id, name_initials);
CREATE INDEX persons_id_rev ON persons(community_id, id_rev);
CREATE INDEX persons_phone_rev ON persons(community_id, phone_rev);
CREATE UNIQUE INDEX persons_document ON persons(doc_type, doc_no);
CREATE INDEX persons_doc_no ON persons(community_id, doc_no);
CREATE INDEX persons_area ON persons(area_path, living);

-- 十联户: about ten households under one 联户长.
CREATE TABLE household_groups (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    grid_id BIGINT NOT NULL REFERENCES org_nodes(id),
    name TEXT NOT NULL,
    leader_person_id BIGINT REFERENCES persons(id),
    created_on TEXT NOT NULL,
    retired_on TEXT
);
CREATE INDEX household_groups_grid ON household_groups(grid_id);

CREATE TABLE households (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    room_id BIGINT NOT NULL REFERENCES org_nodes(id),
    household_no TEXT,
    group_id BIGINT REFERENCES household_groups(id),
    created_on TEXT NOT NULL,
    dissolved_on TEXT,
    notes TEXT
);
CREATE INDEX households_room ON households(room_id);
CREATE INDEX households_group ON households(group_id);

-- Who lived where, when: the single source of every "as of" count.
CREATE TABLE residences (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    person_id BIGINT NOT NULL REFERENCES persons(id),
    household_id BIGINT NOT NULL REFERENCES households(id),
    room_id BIGINT NOT NULL REFERENCES org_nodes(id),
    relation TEXT NOT NULL,
    moved_in_on TEXT NOT NULL,
    moved_out_on TEXT,
    in_reason TEXT,
    out_reason TEXT,
    CHECK (moved_out_on IS NULL OR moved_out_on >= moved_in_on)
);
CREATE UNIQUE INDEX residences_current ON residences(person_id) WHERE moved_out_on IS NULL;
CREATE INDEX residences_person ON residences(person_id, moved_in_on);
CREATE INDEX residences_room ON residences(room_id, moved_out_on);
CREATE INDEX residences_household ON residences(household_id, moved_out_on);

-- A room's use as housing (实有房屋).
CREATE TABLE housing (
    room_id BIGINT PRIMARY KEY REFERENCES org_nodes(id),
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    usage TEXT NOT NULL CHECK (usage IN ('自住','出租','空置','商用')),
    landlord_name TEXT,
    landlord_phone TEXT,
    agreement_signed_on TEXT,
    notes TEXT,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX housing_usage ON housing(community_id, usage);

-- Special groups: a typed tag on a person or a household, with its own dates.
CREATE TABLE tags (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    person_id BIGINT REFERENCES persons(id),
    household_id BIGINT REFERENCES households(id),
    kind TEXT NOT NULL,
    category TEXT,
    grade BIGINT,
    details TEXT NOT NULL DEFAULT '{}',
    started_on TEXT NOT NULL,
    ended_on TEXT,
    end_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK ((person_id IS NULL) <> (household_id IS NULL)),
    CHECK (ended_on IS NULL OR ended_on >= started_on)
);
CREATE INDEX tags_person ON tags(person_id);
CREATE INDEX tags_household ON tags(household_id);
CREATE INDEX tags_kind ON tags(community_id, kind, ended_on);

-- 辖区单位: companies, shops, schools, restaurants in the area.
CREATE TABLE units (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    area_path {key} NOT NULL,
    name {key} NOT NULL,
    kind TEXT NOT NULL,
    credit_code TEXT,
    address TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    employees BIGINT,
    safety_agreement_on TEXT,
    fire_agreement_on TEXT,
    closed_on TEXT,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX units_area ON units(area_path);
CREATE INDEX units_name ON units(community_id, name);
