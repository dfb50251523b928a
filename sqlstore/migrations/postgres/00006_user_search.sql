-- +goose Up
-- The user picker's search (SearchUsers) from indexes instead of a scan
-- and sort of every contact and customer.
--
-- pg_trgm GIN indexes of each person's lowercased name ("first last") and
-- email, and of company names, answer the search's LIKE '%q%' for q of
-- three characters or more. One or two characters hold no trigram: the
-- names, emails and company names that start with them are a range of a
-- btree index in the order of bytes (COLLATE "C", whatever the database's
-- collation). The name's btree index in the database's collation is the
-- search's order, which the search walks when q matches many people.
-- pg_trgm and the schema it lives in are as in 00005.
CREATE INDEX contacts_search_name ON contacts (lower(first_name || ' ' || last_name), id) WHERE deleted_at IS NULL;
CREATE INDEX customers_search_name ON customers (lower(first_name || ' ' || last_name), id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_name_prefix ON contacts ((lower(first_name || ' ' || last_name)) COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX customers_name_prefix ON customers ((lower(first_name || ' ' || last_name)) COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX contacts_email_prefix ON contacts ((email) COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX customers_email_prefix ON customers ((email) COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX companies_name_prefix ON companies ((lower(name)) COLLATE "C");
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
    EXECUTE format('CREATE INDEX contacts_name_trgm ON contacts USING gin (lower(first_name || '' '' || last_name) %I.gin_trgm_ops) WHERE deleted_at IS NULL', ext_schema);
    EXECUTE format('CREATE INDEX contacts_email_trgm ON contacts USING gin (email %I.gin_trgm_ops) WHERE deleted_at IS NULL', ext_schema);
    EXECUTE format('CREATE INDEX customers_name_trgm ON customers USING gin (lower(first_name || '' '' || last_name) %I.gin_trgm_ops) WHERE deleted_at IS NULL', ext_schema);
    EXECUTE format('CREATE INDEX customers_email_trgm ON customers USING gin (email %I.gin_trgm_ops) WHERE deleted_at IS NULL', ext_schema);
    EXECUTE format('CREATE INDEX companies_name_trgm ON companies USING gin (lower(name) %I.gin_trgm_ops)', ext_schema);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX companies_name_trgm;
DROP INDEX customers_email_trgm;
DROP INDEX customers_name_trgm;
DROP INDEX contacts_email_trgm;
DROP INDEX contacts_name_trgm;
DROP INDEX companies_name_prefix;
DROP INDEX customers_email_prefix;
DROP INDEX contacts_email_prefix;
DROP INDEX customers_name_prefix;
DROP INDEX contacts_name_prefix;
DROP INDEX customers_search_name;
DROP INDEX contacts_search_name;
