-- +goose Up
-- JWT signing keys, shared by every instance on this database. The private
-- key is encrypted with the server key (AES-GCM, the key id as associated
-- data). slot is 'current' for the one key that signs; the unique index
-- lets exactly one instance win when several make the first key at once.
CREATE TABLE signing_keys (
    id           TEXT PRIMARY KEY,
    private_enc  BLOB NOT NULL,
    server_key   TEXT NOT NULL,
    slot         TEXT UNIQUE,
    created_at   TEXT NOT NULL,
    retired_at   TEXT
);

-- +goose Down
DROP TABLE signing_keys;
