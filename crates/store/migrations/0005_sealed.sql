-- ID numbers and phones are sealed (see sealed.rs); exact and last-four lookups go through keyed
-- blind indexes instead of the reversed plaintext.
CREATE TABLE vault_meta (
    id BIGINT PRIMARY KEY,
    seal_version BIGINT NOT NULL,
    key_check TEXT NOT NULL,
    sealed_at TEXT NOT NULL
);
ALTER TABLE persons ADD COLUMN id_blind {key};
ALTER TABLE persons ADD COLUMN id_tail {key};
ALTER TABLE persons ADD COLUMN phone_blind {key};
ALTER TABLE persons ADD COLUMN phone_tail {key};
DROP INDEX persons_id_rev;
DROP INDEX persons_phone_rev;
ALTER TABLE persons DROP COLUMN id_rev;
ALTER TABLE persons DROP COLUMN phone_rev;
CREATE UNIQUE INDEX persons_id_blind ON persons(id_blind);
CREATE INDEX persons_id_tail ON persons(community_id, id_tail);
CREATE INDEX persons_phone_blind ON persons(community_id, phone_blind);
CREATE INDEX persons_phone_tail ON persons(community_id, phone_tail);
