-- Open311 GeoReport v2: the keys of the systems that may submit reports (a city app, a
-- WeChat mini-program …), each bound to the community or grid its reports go to; reports
-- carry where they were made and the token the submitter can look them up by.
CREATE TABLE open311_keys (
    id {id},
    -- SHA-256 of the key; the key itself is shown once, when it is made.
    key_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    created_at TEXT NOT NULL,
    disabled_at TEXT
);
ALTER TABLE tickets ADD COLUMN latitude {real};
ALTER TABLE tickets ADD COLUMN longitude {real};
ALTER TABLE tickets ADD COLUMN open311_key_id BIGINT REFERENCES open311_keys(id);
ALTER TABLE tickets ADD COLUMN open311_token TEXT;
CREATE UNIQUE INDEX tickets_open311_token ON tickets(open311_token);
CREATE INDEX tickets_open311 ON tickets(source, reported_at);
