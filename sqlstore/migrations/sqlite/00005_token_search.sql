-- +goose Up
-- The token list on a million tokens: text search (q) through an FTS5
-- trigram index instead of a scan of every row's user_search and
-- extra_search, and status filters and their counts from indexes.
--
-- An external-content FTS5 table is keyed by the content table's rowid,
-- and VACUUM may renumber the rowids of a table without an INTEGER PRIMARY
-- KEY, which would silently point the index at the wrong tokens. So
-- login_tokens is rebuilt with one, rid; id stays the public key (UNIQUE).
CREATE TABLE login_tokens_new (
    rid                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
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
    act                 TEXT,
    CHECK ((type = 'contact') = (contact_id IS NOT NULL)),
    CHECK ((type = 'customer') = (customer_id IS NOT NULL))
);
-- Oldest first, so that rid follows creation as it will for new tokens.
INSERT INTO login_tokens_new (id, type, contact_id, customer_id, expires_at, one_time_use, extra,
    successful_attempts, failed_attempts, last_accessed_at, created_at, updated_at, created_by,
    secret_hash, value_enc, value_key_id, sort_name, user_search, extra_search, act)
SELECT id, type, contact_id, customer_id, expires_at, one_time_use, extra,
    successful_attempts, failed_attempts, last_accessed_at, created_at, updated_at, created_by,
    secret_hash, value_enc, value_key_id, sort_name, user_search, extra_search, act
FROM login_tokens ORDER BY created_at, id;
DROP TABLE login_tokens;
ALTER TABLE login_tokens_new RENAME TO login_tokens;

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
-- The status filters (see tokenWhere): the used tokens, and the expiry of
-- the others, which is active or expired. The expiry is expires_at with
-- "never" as the latest time, so that active and expired are each one
-- range of it. Counting a status then reads one range of one index
-- instead of every row; with the type and one-time flag in the index, so
-- does counting those filters together. The expression is written out
-- (not a generated column, which SQLite never reads from an index alone),
-- and the index holds every column its condition names, or SQLite reads
-- each row to check it again.
-- The used index leads with successful_attempts so that SQLite's planner,
-- which does not cost a whole partial index well, sees a smaller range of
-- the same column than in login_tokens_successful and takes it.
CREATE INDEX login_tokens_used ON login_tokens (successful_attempts) WHERE one_time_use AND successful_attempts > 0;
CREATE INDEX login_tokens_unused_expiry ON login_tokens
    (COALESCE(expires_at, '9999-12-31T23:59:59.999999Z'), type, one_time_use, successful_attempts)
    WHERE NOT (one_time_use AND successful_attempts > 0);

-- The trigram tokenizer indexes every run of three characters. The store
-- asks for the rows that hold every trigram of q and re-checks each with
-- the LIKE of before, so the answer is exactly that LIKE's; which is why
-- the index keeps no positions (detail = none: a third of the size, built
-- in half the time, as fast to query). q shorter than three characters has
-- no trigram and stays a LIKE over the table.
CREATE VIRTUAL TABLE login_tokens_fts USING fts5 (
    user_search, extra_search,
    content = 'login_tokens', content_rowid = 'rid', tokenize = 'trigram', detail = 'none'
);
INSERT INTO login_tokens_fts (login_tokens_fts) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER login_tokens_fts_insert AFTER INSERT ON login_tokens BEGIN
    INSERT INTO login_tokens_fts (rowid, user_search, extra_search)
    VALUES (new.rid, new.user_search, new.extra_search);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER login_tokens_fts_delete AFTER DELETE ON login_tokens BEGIN
    INSERT INTO login_tokens_fts (login_tokens_fts, rowid, user_search, extra_search)
    VALUES ('delete', old.rid, old.user_search, old.extra_search);
END;
-- +goose StatementEnd
-- +goose StatementBegin
-- Only a change of the searched text touches the index: a redeem, which
-- updates the counters, does not.
CREATE TRIGGER login_tokens_fts_update AFTER UPDATE OF user_search, extra_search ON login_tokens BEGIN
    INSERT INTO login_tokens_fts (login_tokens_fts, rowid, user_search, extra_search)
    VALUES ('delete', old.rid, old.user_search, old.extra_search);
    INSERT INTO login_tokens_fts (rowid, user_search, extra_search)
    VALUES (new.rid, new.user_search, new.extra_search);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER login_tokens_fts_update;
DROP TRIGGER login_tokens_fts_delete;
DROP TRIGGER login_tokens_fts_insert;
DROP TABLE login_tokens_fts;
-- login_tokens keeps its rid: harmless to the code of before.
