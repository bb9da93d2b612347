-- Records take the day they really happened; one entered on a later day is 补录 (back-dated),
-- marked on the record and in the audit log. A community head can lock the periods already
-- reported: no record dated on or before `through_on` can then be entered in that community,
-- until the lock is released (both audited). The latest row not released is the lock.
CREATE TABLE period_locks (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    through_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    locked_by TEXT NOT NULL,
    locked_at TEXT NOT NULL,
    released_at TEXT,
    released_by TEXT
);
CREATE INDEX period_locks_community ON period_locks(community_id, released_at);
ALTER TABLE visits ADD COLUMN backdated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE patrols ADD COLUMN backdated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE screenings ADD COLUMN backdated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mediation_cases ADD COLUMN backdated BIGINT NOT NULL DEFAULT 0;
-- Records already stored: entered on a later (UTC) day than the one they happened on.
UPDATE visits SET backdated = 1 WHERE visited_on < substr(created_at, 1, 10);
UPDATE patrols SET backdated = 1 WHERE patrolled_on < substr(created_at, 1, 10);
UPDATE screenings SET backdated = 1 WHERE screened_on < substr(created_at, 1, 10);
UPDATE mediation_cases SET backdated = 1 WHERE received_on < substr(created_at, 1, 10);
