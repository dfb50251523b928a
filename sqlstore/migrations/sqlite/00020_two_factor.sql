-- +goose Up
-- A staff member's authenticator (RFC 6238): its secret sealed with the
-- server key (the staff id as associated data) under totp_key_id; active
-- from totp_enabled_at (NULL while being set up); totp_last_step is the
-- time step of the last code accepted, so that no code is accepted twice.
ALTER TABLE staff ADD COLUMN totp_secret_enc BLOB;
ALTER TABLE staff ADD COLUMN totp_key_id TEXT;
ALTER TABLE staff ADD COLUMN totp_enabled_at TEXT;
ALTER TABLE staff ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- Single-use recovery codes, stored as SHA-256 only.
CREATE TABLE staff_recovery_codes (
    code_hash  BLOB PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX staff_recovery_codes_staff ON staff_recovery_codes (staff_id);

-- A session whose password was right and that waits for the second
-- factor: it opens no page.
ALTER TABLE staff_sessions ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE staff_sessions DROP COLUMN pending;
DROP TABLE staff_recovery_codes;
ALTER TABLE staff DROP COLUMN totp_last_step;
ALTER TABLE staff DROP COLUMN totp_enabled_at;
ALTER TABLE staff DROP COLUMN totp_key_id;
ALTER TABLE staff DROP COLUMN totp_secret_enc;
