-- Street and district staff see personal data only where a security administrator granted it,
-- for a stated reason. A grant is revoked by dating it, never deleted.
CREATE TABLE data_grants (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    reason TEXT NOT NULL,
    granted_by BIGINT REFERENCES users(id),
    granted_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX data_grants_user ON data_grants(user_id);

-- Second factor (RFC 6238). The secret is sealed by the vault; the last accepted time step
-- refuses a replayed code.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
