-- +goose Up
-- The token list on a million tokens: status filters and their counts
-- from indexes, and text search (q) through pg_trgm GIN indexes instead
-- of a scan of every row's user_search and extra_search.

-- expires_at with "never" as the latest time, so that a status is one
-- range of it: active is expires_key > now, expired <= now.
ALTER TABLE login_tokens ADD COLUMN expires_key TIMESTAMPTZ
    GENERATED ALWAYS AS (COALESCE(expires_at, 'infinity'::timestamptz)) STORED;
-- Used tokens, newest first, and the expiry of the others, which is active
-- or expired: counting a status is an index-only scan of one range; with
-- the type and one-time flag in the index, so is counting those filters
-- together.
CREATE INDEX login_tokens_used ON login_tokens (created_at, id) WHERE one_time_use AND successful_attempts > 0;
CREATE INDEX login_tokens_unused_expiry ON login_tokens (expires_key, type, one_time_use)
    WHERE NOT (one_time_use AND successful_attempts > 0);

-- The GIN trigram operator class answers LIKE '%...%' itself, for
-- patterns of three characters or more.
--
-- An extension lives in one schema per database, and the service may run
-- in a schema of its own (the tests give each test one, on their
-- search_path alone). So pg_trgm goes into public when it is not installed
-- yet (never into the service's schema, where dropping that schema would
-- drop the extension under every other schema's indexes), and the indexes
-- name its operator class with the schema it is in. The queries need
-- nothing from the extension: LIKE is PostgreSQL's own operator.
-- pg_trgm is a trusted extension: the database owner may create it.
-- +goose StatementBegin
DO $$
DECLARE
    ext_schema text;
BEGIN
    SELECT n.nspname INTO ext_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL THEN
        CREATE EXTENSION pg_trgm SCHEMA public;
        ext_schema := 'public';
    END IF;
    EXECUTE format('CREATE INDEX login_tokens_user_search_trgm ON login_tokens USING gin (user_search %I.gin_trgm_ops)', ext_schema);
    EXECUTE format('CREATE INDEX login_tokens_extra_search_trgm ON login_tokens USING gin (extra_search %I.gin_trgm_ops)', ext_schema);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX login_tokens_extra_search_trgm;
DROP INDEX login_tokens_user_search_trgm;
DROP INDEX login_tokens_unused_expiry;
DROP INDEX login_tokens_used;
ALTER TABLE login_tokens DROP COLUMN expires_key;
