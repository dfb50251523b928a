-- +goose Up
-- Times are TIMESTAMPTZ, written from Go in UTC.
CREATE TABLE companies (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    external_id TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX companies_external_id ON companies (external_id) WHERE deleted_at IS NULL;
CREATE INDEX companies_name ON companies (lower(name), id);

CREATE TABLE contacts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies (id),
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    email       TEXT NOT NULL,
    external_id TEXT,
    disabled    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX contacts_email ON contacts (email) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX contacts_external_id ON contacts (external_id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_company ON contacts (company_id);

CREATE TABLE customers (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    email       TEXT NOT NULL,
    external_id TEXT,
    disabled    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX customers_email ON customers (email) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX customers_external_id ON customers (external_id) WHERE deleted_at IS NULL;

CREATE TABLE login_tokens (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    type                TEXT NOT NULL CHECK (type IN ('contact', 'customer', 'anonymous')),
    contact_id          BIGINT REFERENCES contacts (id),
    customer_id         BIGINT REFERENCES customers (id),
    expires_at          TIMESTAMPTZ,
    one_time_use        BOOLEAN NOT NULL DEFAULT FALSE,
    extra               TEXT NOT NULL DEFAULT '[]',
    successful_attempts BIGINT NOT NULL DEFAULT 0,
    failed_attempts     BIGINT NOT NULL DEFAULT 0,
    last_accessed_at    TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    created_by          TEXT NOT NULL,
    secret_hash         BYTEA NOT NULL,
    value_enc           BYTEA NOT NULL,
    value_key_id        TEXT NOT NULL,
    -- Denormalised so that sorting by name and text search need no join:
    -- the user's lowercased name (NULL for anonymous tokens), the user's
    -- lowercased name, email and company, and the lowercased extra lines.
    -- Kept up to date by the store when a token or its user changes.
    sort_name           TEXT COLLATE "C",
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
-- The token list sorts empty values last in both directions. A plain index
-- read backwards gives DESC NULLS FIRST, so each nullable sort column needs
-- a second index for DESC NULLS LAST; without it a descending sort by name,
-- expiry or last access sorts the whole table for every page.
CREATE INDEX login_tokens_sort_name_desc ON login_tokens (sort_name DESC NULLS LAST, id DESC);
CREATE INDEX login_tokens_expires_at_desc ON login_tokens (expires_at DESC NULLS LAST, id DESC);
CREATE INDEX login_tokens_last_accessed_at_desc ON login_tokens (last_accessed_at DESC NULLS LAST, id DESC);
CREATE INDEX login_tokens_customer ON login_tokens (customer_id);

CREATE TABLE staff (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    grants               TEXT NOT NULL DEFAULT '',
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    last_sign_in_at      TIMESTAMPTZ
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('admin', 'webshop')),
    grants       TEXT NOT NULL DEFAULT '',
    secret_hash  BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   TEXT NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

-- The audit trail outlives the tokens it is about: no foreign key.
CREATE TABLE audit_events (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    type      TEXT NOT NULL,
    token_id  TEXT COLLATE "C",
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
