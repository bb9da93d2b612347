-- A TOTP secret is pending until the first code confirms it; a session remembers when it
-- passed the second factor (revealing and exporting personal data need it).
ALTER TABLE users ADD COLUMN totp_confirmed_at TEXT;
ALTER TABLE sessions ADD COLUMN mfa_at TEXT;
