-- The wording of a community's work summary (工作总结模板), edited by its head: the text with
-- the figures as named placeholders (`indicators::wording`). No row: the default wording.
CREATE TABLE summary_wordings (
    community_id BIGINT PRIMARY KEY REFERENCES org_nodes(id),
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
