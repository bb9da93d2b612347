-- 派遣对象: the departments, companies and offices a community sends its 事件 to. Rows with no
-- community are the defaults every community starts from; a community adds its own (its
-- property company by name) and retires a default for itself with a row of the same name and
-- active = 0. Dispatch picks from this list, never free text, so the ledger counts by target.
CREATE TABLE dispatch_targets (
    id {id},
    community_id BIGINT REFERENCES org_nodes(id),
    kind TEXT NOT NULL CHECK (kind IN ('department', 'property', 'worker', 'street')),
    name TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    user_id BIGINT REFERENCES users(id),
    updated_at TEXT NOT NULL
);
CREATE INDEX dispatch_targets_community ON dispatch_targets(community_id, name);
INSERT INTO dispatch_targets (community_id, kind, name, updated_at) VALUES (NULL, 'property', '小区物业服务中心', '2026-01-01T00:00:00Z');
INSERT INTO dispatch_targets (community_id, kind, name, updated_at) VALUES (NULL, 'department', '城管执法中队', '2026-01-01T00:00:00Z');
INSERT INTO dispatch_targets (community_id, kind, name, updated_at) VALUES (NULL, 'department', '派出所社区警务室', '2026-01-01T00:00:00Z');
INSERT INTO dispatch_targets (community_id, kind, name, updated_at) VALUES (NULL, 'department', '市场监管所', '2026-01-01T00:00:00Z');
INSERT INTO dispatch_targets (community_id, kind, name, updated_at) VALUES (NULL, 'department', '消防救援站', '2026-01-01T00:00:00Z');
INSERT INTO dispatch_targets (community_id, kind, name, updated_at) VALUES (NULL, 'department', '供水、供电、燃气服务单位', '2026-01-01T00:00:00Z');
INSERT INTO dispatch_targets (community_id, kind, name, updated_at) VALUES (NULL, 'worker', '社区网格员', '2026-01-01T00:00:00Z');
INSERT INTO dispatch_targets (community_id, kind, name, updated_at) VALUES (NULL, 'street', '街道综治中心', '2026-01-01T00:00:00Z');
INSERT INTO dispatch_targets (community_id, kind, name, updated_at) VALUES (NULL, 'street', '街道城市管理科', '2026-01-01T00:00:00Z');
INSERT INTO dispatch_targets (community_id, kind, name, updated_at) VALUES (NULL, 'street', '街道社会事务科', '2026-01-01T00:00:00Z');
-- Who gave an evaluation and how: the resident through their receipt (channel 'resident'), or
-- a named staff member's 电话回访 on a stated day ('phone', with rated_by and rated_on).
ALTER TABLE tickets ADD COLUMN rating_channel TEXT CHECK (rating_channel IS NULL OR rating_channel IN ('resident', 'phone', 'unrecorded'));
ALTER TABLE tickets ADD COLUMN rated_by TEXT;
ALTER TABLE tickets ADD COLUMN rated_by_user_id BIGINT REFERENCES users(id);
ALTER TABLE tickets ADD COLUMN rated_on TEXT;
UPDATE tickets SET rating_channel = 'unrecorded' WHERE rating IS NOT NULL;
ALTER TABLE tickets ADD COLUMN dispatch_target_id BIGINT REFERENCES dispatch_targets(id);
