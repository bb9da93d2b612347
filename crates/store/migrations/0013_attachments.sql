-- Photos and files attached to records (事件, 走访, 巡查, 调解). The bytes are stored once per
-- community under their SHA-256, so the same photo sent twice (a retry on a bad connection)
-- takes no more room, and a city's database still shards by community.
CREATE TABLE file_blobs (
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    content {blob} NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (community_id, sha256)
);
CREATE TABLE attachments (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    -- The owner record's area: who may see the owner may see its files, nobody else.
    area_path TEXT NOT NULL,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('ticket', 'visit', 'patrol', 'mediation')),
    owner_id BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    -- Found from the content itself, never taken from the uploader's word.
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    name TEXT NOT NULL,
    -- close (近景) | wide (远景) | after (处置后) | other
    role TEXT NOT NULL CHECK (role IN ('close', 'wide', 'after', 'other')),
    -- NULL: sent by a resident through a public report link.
    user_id BIGINT REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    FOREIGN KEY (community_id, sha256) REFERENCES file_blobs(community_id, sha256)
);
CREATE INDEX attachments_owner ON attachments(owner_kind, owner_id);
-- A hazard reported by a worker carries two photos, one close-up and one wide (ux.md).
ALTER TABLE ticket_categories ADD COLUMN photos_required BIGINT NOT NULL DEFAULT 0;
UPDATE ticket_categories SET photos_required = 1 WHERE code = '02' OR parent_code = '02';
