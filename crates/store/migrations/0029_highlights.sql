-- 工作亮点: a record the community head marks as notable, with a line in their own words; the
-- work summary lists the period's marked records under 工作亮点. One mark per record; the
-- record's own day and area place it in a period and a node.
CREATE TABLE highlights (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    record_kind TEXT NOT NULL CHECK (record_kind IN ('ticket', 'mediation_case')),
    record_id BIGINT NOT NULL,
    body TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    UNIQUE (record_kind, record_id)
);
CREATE INDEX highlights_community ON highlights(community_id);
