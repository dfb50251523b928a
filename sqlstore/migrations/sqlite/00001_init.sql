-- +goose Up
-- Times are TEXT in one fixed-width UTC format (2006-01-02T15:04:05.000000Z),
-- written from Go, so that text order is time order.
CREATE TABLE companies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    external_id TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE UNIQUE INDEX companies_external_id ON companies (external_id) WHERE deleted_at IS NULL;
CREATE INDEX companies_name ON companies (name COLLATE NOCASE, id);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id  INTEGER NOT NULL REFERENCES companies (id),
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    email       TEXT NOT NULL,
    external_id TEXT,
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE UNIQUE INDEX contacts_email ON contacts (email) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX contacts_external_id ON contacts (external_id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_company ON contacts (company_id);

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    email       TEXT NOT NULL,
    external_id TEXT,
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE UNIQUE INDEX customers_email ON customers (email) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX customers_external_id ON customers (external_id) WHERE deleted_at IS NULL;

CREATE TABLE login_tokens (
    id                  TEXT PRIMARY KEY,
    type                TEXT NOT NULL CHECK (type IN ('contact', 'customer', 'anonymous')),
    contact_id          INTEGER REFERENCES contacts (id),
    customer_id         INTEGER REFERENCES customers (id),
    expires_at          TEXT,
    one_time_use        INTEGER NOT NULL DEFAULT 0,
    extra               TEXT NOT NULL DEFAULT '[]',
    successful_attempts INTEGER NOT NULL DEFAULT 0,
    failed_attempts     INTEGER NOT NULL DEFAULT 0,
    last_accessed_at    TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    secret_hash         BLOB NOT NULL,
    value_enc           BLOB NOT NULL,
    value_key_id        TEXT NOT NULL,
    -- Denormalised so that sorting by name and text search need no join:
    -- the user's lowercased name (NULL for anonymous tokens), the user's
    -- lowercased name, email and company, and the lowercased extra lines.
    -- Kept up to date by the store when a token or its user changes.
    sort_name           TEXT,
    user_search         TEXT NOT NULL DEFAULT '',
    extra_search        TEXT NOT NULL DEFAULT '',
    CHECK ((type = 'contact') = (contact_id IS NOT NULL)),
    CHECK ((type = 'customer') = (customer_id IS NOT NULL))
);
CREATE INDEX login_tokens_created_at ON login_tokens (created_at, id);
CREATE INDEX login_tokens_updated_at ON login_tokens (updated_at, id);
CREATE INDEX login_tokens_expires_at ON login_tokens (expires_at, id);
CREATE INDEX login_tokens_last_accessed_at ON login_tokens (last_accessed_at, id);
CREATE INDEX login_tokens_successful ON login_tokens (successful_attempts, id);
CREATE INDEX login_tokens_failed ON login_tokens (failed_attempts, id);
CREATE INDEX login_tokens_sort_name ON login_tokens (sort_name, id);
CREATE INDEX login_tokens_type ON login_tokens (type, id);
CREATE INDEX login_tokens_one_time_use ON login_tokens (one_time_use, id);
CREATE INDEX login_tokens_contact ON login_tokens (contact_id);
CREATE INDEX login_tokens_customer ON login_tokens (customer_id);

CREATE TABLE staff (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    email                TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    grants               TEXT NOT NULL DEFAULT '',
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    last_sign_in_at      TEXT
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('admin', 'webshop')),
    grants       TEXT NOT NULL DEFAULT '',
    secret_hash  BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

-- The audit trail outlives the tokens it is about: no foreign key.
CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    type      TEXT NOT NULL,
    token_id  TEXT,
    actor     TEXT NOT NULL,
    client_ip TEXT NOT NULL DEFAULT '',
    details   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_token ON audit_events (token_id, id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE api_keys;
DROP TABLE staff;
DROP TABLE login_tokens;
DROP TABLE customers;
DROP TABLE contacts;
DROP TABLE companies;
