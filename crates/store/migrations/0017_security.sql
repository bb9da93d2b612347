-- The second factor's guard, counted in the database so it holds across requests and servers:
-- wrong codes in a row, and until when it is locked.
ALTER TABLE users ADD COLUMN totp_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_locked_until TEXT;
-- A first authenticator is bound with a one-time code the security administrator issues
-- (SHA-256 of it, and until when it is valid), not with the password alone.
ALTER TABLE users ADD COLUMN totp_bind_hash TEXT;
ALTER TABLE users ADD COLUMN totp_bind_expires TEXT;
-- From which sequence number the audit chain is keyed (HMAC-SM3 with a key kept outside the
-- database); rows before it keep their plain SM3 hashes. `key_check` is the key's MAC of a
-- fixed text, so a wrong key is told apart from a tampered chain.
CREATE TABLE audit_keying (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    keyed_from BIGINT NOT NULL,
    key_check TEXT NOT NULL,
    keyed_at TEXT NOT NULL
);
