-- +goose Up
-- The directory's lists (contacts, customers, companies) from indexes
-- instead of a scan and sort of every row for each page.
--
-- The people's order (last name, first name, id) is an index, so a page
-- reads its rows and the ones it skips, never every person. Their search
-- (q) looks in the name ("first last"), the email and the external id,
-- and the companies' in the name and the external id: the names and emails
-- have the trigram and prefix indexes of 00006, and the external ids get
-- theirs here. A q of three letters or digits in a row is a LIKE '%q%'
-- that pg_trgm answers; any other q finds the values that start with it,
-- a range of a btree index in the order of bytes (COLLATE "C"). pg_trgm
-- and the schema it lives in are as in 00005.
CREATE INDEX contacts_list_order ON contacts (lower(last_name), lower(first_name), id) WHERE deleted_at IS NULL;
CREATE INDEX customers_list_order ON customers (lower(last_name), lower(first_name), id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_external_id_prefix ON contacts ((lower(external_id)) COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX customers_external_id_prefix ON customers ((lower(external_id)) COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX companies_external_id_prefix ON companies ((lower(external_id)) COLLATE "C") WHERE deleted_at IS NULL;
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
    EXECUTE format('CREATE INDEX contacts_external_id_trgm ON contacts USING gin (lower(external_id) %I.gin_trgm_ops) WHERE deleted_at IS NULL', ext_schema);
    EXECUTE format('CREATE INDEX customers_external_id_trgm ON customers USING gin (lower(external_id) %I.gin_trgm_ops) WHERE deleted_at IS NULL', ext_schema);
    EXECUTE format('CREATE INDEX companies_external_id_trgm ON companies USING gin (lower(external_id) %I.gin_trgm_ops) WHERE deleted_at IS NULL', ext_schema);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX companies_external_id_trgm;
DROP INDEX customers_external_id_trgm;
DROP INDEX contacts_external_id_trgm;
DROP INDEX companies_external_id_prefix;
DROP INDEX customers_external_id_prefix;
DROP INDEX contacts_external_id_prefix;
DROP INDEX customers_list_order;
DROP INDEX contacts_list_order;
