-- 走访 (home visits): how often each special group is visited (defaults for every community,
-- a community may set its own), and the visits made. A visit counts for every rule its person
-- falls under: the due list is computed from the last visit, never stored.
CREATE TABLE visit_rules (
    id {id},
    -- NULL: the default everywhere; a community's own rule takes its place there.
    community_id BIGINT REFERENCES org_nodes(id),
    tag_kind TEXT NOT NULL,
    -- A class within the group ('独居'), or NULL for the whole group.
    category TEXT,
    every_days BIGINT NOT NULL CHECK (every_days BETWEEN 1 AND 3660),
    label TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX visit_rules_kind ON visit_rules(tag_kind, community_id);
CREATE TABLE visits (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    -- Where the person lived when visited.
    area_path TEXT NOT NULL,
    person_id BIGINT NOT NULL REFERENCES persons(id),
    household_id BIGINT REFERENCES households(id),
    visited_on TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('入户', '电话', '微信')),
    findings TEXT NOT NULL DEFAULT '',
    -- The "清" items checked for the unemployed and similar checklists, as JSON.
    items TEXT NOT NULL DEFAULT '{}',
    user_id BIGINT NOT NULL REFERENCES users(id),
    worker_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX visits_person ON visits(person_id, visited_on);
CREATE INDEX visits_area ON visits(community_id, area_path, visited_on);
-- A household's group (低保) counts a visit to any of its members.
CREATE INDEX visits_household ON visits(household_id, visited_on);
-- Open tickets with a time limit, by due time: the overdue list reads this in order and stops.
-- (A ticket is open with a limit exactly when it was dispatched and not closed: refusals come
-- before any dispatch.)
CREATE INDEX tickets_running ON tickets(community_id, due_at) WHERE closed_at IS NULL AND due_at IS NOT NULL;
ALTER TABLE tickets ADD COLUMN visit_id BIGINT REFERENCES visits(id);
INSERT INTO visit_rules (tag_kind, category, every_days, label, updated_at) VALUES ('unemployed', NULL, 182, '登记失业人员每半年走访一次', '2026-01-01T00:00:00Z');
INSERT INTO visit_rules (tag_kind, category, every_days, label, updated_at) VALUES ('hard_to_employ', NULL, 91, '就业困难人员每季度走访一次', '2026-01-01T00:00:00Z');
INSERT INTO visit_rules (tag_kind, category, every_days, label, updated_at) VALUES ('correction', NULL, 30, '刑释解教/社区矫正人员每月走访一次', '2026-01-01T00:00:00Z');
INSERT INTO visit_rules (tag_kind, category, every_days, label, updated_at) VALUES ('elderly_alone', NULL, 30, '空巢/独居老人每月走访一次', '2026-01-01T00:00:00Z');
INSERT INTO visit_rules (tag_kind, category, every_days, label, updated_at) VALUES ('dibao', NULL, 365, '低保家庭每年入户复核一次', '2026-01-01T00:00:00Z');
INSERT INTO visit_rules (tag_kind, category, every_days, label, updated_at) VALUES ('left_behind_child', NULL, 30, '留守儿童每月走访一次', '2026-01-01T00:00:00Z');
INSERT INTO visit_rules (tag_kind, category, every_days, label, updated_at) VALUES ('tekun', NULL, 30, '特困人员每月走访一次', '2026-01-01T00:00:00Z');
INSERT INTO visit_rules (tag_kind, category, every_days, label, updated_at) VALUES ('disability', '精神', 30, '精神残疾人员每月走访一次', '2026-01-01T00:00:00Z');
