-- +goose Up
-- Shops that sign people in through the OpenID Provider. The client
-- secret is kept as a SHA-256 hash only (NULL for a public shop); the URI
-- lists are JSON arrays of strings.
CREATE TABLE shops (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    name                      TEXT NOT NULL,
    client_id                 TEXT NOT NULL UNIQUE,
    secret_hash               BLOB,
    public                    INTEGER NOT NULL DEFAULT 0,
    redirect_uris             TEXT NOT NULL DEFAULT '[]',
    initiate_login_uri        TEXT,
    post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
    disabled                  INTEGER NOT NULL DEFAULT 0,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL,
    CHECK (public = (secret_hash IS NULL))
);

-- A token bound to a shop signs in only there. A shop with tokens cannot
-- be deleted (the foreign key): they would sign in everywhere.
ALTER TABLE login_tokens ADD COLUMN shop_id INTEGER REFERENCES shops (id);
CREATE INDEX login_tokens_shop ON login_tokens (shop_id);

-- The provider's state, shared by every instance on this database.
-- An authorization request from its start to its code's exchange. id is
-- random and travels in the sign-in page's URL; binding_hash is the
-- SHA-256 of the cookie of the browser that started it, which alone may
-- complete it. code_hash is the SHA-256 of the code, consumed once
-- (code_used_at); a code presented again sets replayed_at, which revokes
-- the access tokens it gave and refuses any it would still give.
CREATE TABLE oidc_auth_requests (
    id            TEXT PRIMARY KEY,
    shop_id       INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    request       TEXT NOT NULL,
    binding_hash  BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    subject       TEXT,
    token_id      TEXT,
    session_hash  BLOB,
    auth_time     TEXT,
    oci           TEXT,
    code_hash     BLOB UNIQUE,
    code_used_at  TEXT,
    replayed_at   TEXT
);
CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests (expires_at);

-- A browser's session at the provider: the cookie holds a random value,
-- only its SHA-256 is stored. oci holds the punchout parameters of an OCI
-- sign-in until the shop's next authorization takes them.
CREATE TABLE oidc_sessions (
    id_hash     BLOB PRIMARY KEY,
    token_id    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    auth_time   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    oci_shop_id INTEGER,
    oci         TEXT
);
CREATE INDEX oidc_sessions_expires ON oidc_sessions (expires_at);

-- Access tokens: the bearer value carries id, which is looked up here.
CREATE TABLE oidc_access_tokens (
    id              TEXT PRIMARY KEY,
    auth_request_id TEXT NOT NULL,
    shop_id         INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    subject         TEXT NOT NULL,
    token_id        TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    oci             TEXT,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    revoked_at      TEXT
);
CREATE INDEX oidc_access_tokens_request ON oidc_access_tokens (auth_request_id);
CREATE INDEX oidc_access_tokens_expires ON oidc_access_tokens (expires_at);

-- +goose Down
DROP TABLE oidc_access_tokens;
DROP TABLE oidc_sessions;
DROP TABLE oidc_auth_requests;
DROP INDEX login_tokens_shop;
ALTER TABLE login_tokens DROP COLUMN shop_id;
DROP TABLE shops;
