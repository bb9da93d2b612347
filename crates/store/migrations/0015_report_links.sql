-- 居民随手拍: a link (posted as a QR code) through which residents report a problem without an
-- account. The community head makes and revokes links; a link that draws abuse is revoked and
-- a new one posted. A report's receipt token (for checking its progress) is kept in
-- tickets.open311_token, the column Open311 uses for the same purpose.
CREATE TABLE report_links (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    area_path TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
ALTER TABLE tickets ADD COLUMN report_link_id BIGINT REFERENCES report_links(id);
CREATE INDEX tickets_report_link ON tickets(report_link_id, reported_at);
