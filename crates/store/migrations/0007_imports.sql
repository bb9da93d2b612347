-- One row per committed import: who, which file (its SHA-256), the counts. The idempotency
-- key of the upload makes a second commit of the same upload a no-op.
CREATE TABLE imports (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    grid_id BIGINT NOT NULL REFERENCES org_nodes(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    counts TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX imports_community ON imports(community_id, created_at);

-- A mapping of columns the user corrected, remembered for the next file with the same header.
CREATE TABLE import_mappings (
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    kind TEXT NOT NULL,
    signature TEXT NOT NULL,
    mapping TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (community_id, kind, signature)
);
