-- +goose Up
-- The directory's lists (contacts, customers, companies) from indexes
-- instead of a scan and sort of every row for each page.
--
-- The people's order (last name, first name, id) is an index, so a page
-- reads its rows and the ones it skips, never every person. Their search
-- (q) looks in the name ("first last"), the email and the external id,
-- and the companies' in the name and the external id: the names and emails
-- have the FTS5 trigram tables and prefix indexes of 00006, and the
-- external ids get theirs here. A q of three letters or digits in a row
-- finds its candidates through the trigram tables, which the LIKE of
-- before then checks; any other q finds the values that start with it, a
-- range of an index. The trigram tables keep no content and no positions,
-- as in 00006, and hold only the external ids that are set.
CREATE INDEX contacts_list_order ON contacts (lower(last_name), lower(first_name), id) WHERE deleted_at IS NULL;
CREATE INDEX customers_list_order ON customers (lower(last_name), lower(first_name), id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_external_id_lower ON contacts (lower(external_id)) WHERE deleted_at IS NULL;
CREATE INDEX customers_external_id_lower ON customers (lower(external_id)) WHERE deleted_at IS NULL;
CREATE INDEX companies_external_id_lower ON companies (lower(external_id)) WHERE deleted_at IS NULL;

CREATE VIRTUAL TABLE contacts_xid_fts USING fts5 (external_id, content = '', tokenize = 'trigram', detail = 'none');
CREATE VIRTUAL TABLE customers_xid_fts USING fts5 (external_id, content = '', tokenize = 'trigram', detail = 'none');
CREATE VIRTUAL TABLE companies_xid_fts USING fts5 (external_id, content = '', tokenize = 'trigram', detail = 'none');
INSERT INTO contacts_xid_fts (rowid, external_id) SELECT id, external_id FROM contacts WHERE external_id IS NOT NULL;
INSERT INTO customers_xid_fts (rowid, external_id) SELECT id, external_id FROM customers WHERE external_id IS NOT NULL;
INSERT INTO companies_xid_fts (rowid, external_id) SELECT id, external_id FROM companies WHERE external_id IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER contacts_xid_fts_insert AFTER INSERT ON contacts WHEN new.external_id IS NOT NULL BEGIN
    INSERT INTO contacts_xid_fts (rowid, external_id) VALUES (new.id, new.external_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_xid_fts_delete AFTER DELETE ON contacts WHEN old.external_id IS NOT NULL BEGIN
    INSERT INTO contacts_xid_fts (contacts_xid_fts, rowid, external_id) VALUES ('delete', old.id, old.external_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_xid_fts_update AFTER UPDATE OF external_id ON contacts BEGIN
    INSERT INTO contacts_xid_fts (contacts_xid_fts, rowid, external_id) SELECT 'delete', old.id, old.external_id WHERE old.external_id IS NOT NULL;
    INSERT INTO contacts_xid_fts (rowid, external_id) SELECT new.id, new.external_id WHERE new.external_id IS NOT NULL;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_xid_fts_insert AFTER INSERT ON customers WHEN new.external_id IS NOT NULL BEGIN
    INSERT INTO customers_xid_fts (rowid, external_id) VALUES (new.id, new.external_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_xid_fts_delete AFTER DELETE ON customers WHEN old.external_id IS NOT NULL BEGIN
    INSERT INTO customers_xid_fts (customers_xid_fts, rowid, external_id) VALUES ('delete', old.id, old.external_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_xid_fts_update AFTER UPDATE OF external_id ON customers BEGIN
    INSERT INTO customers_xid_fts (customers_xid_fts, rowid, external_id) SELECT 'delete', old.id, old.external_id WHERE old.external_id IS NOT NULL;
    INSERT INTO customers_xid_fts (rowid, external_id) SELECT new.id, new.external_id WHERE new.external_id IS NOT NULL;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_xid_fts_insert AFTER INSERT ON companies WHEN new.external_id IS NOT NULL BEGIN
    INSERT INTO companies_xid_fts (rowid, external_id) VALUES (new.id, new.external_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_xid_fts_delete AFTER DELETE ON companies WHEN old.external_id IS NOT NULL BEGIN
    INSERT INTO companies_xid_fts (companies_xid_fts, rowid, external_id) VALUES ('delete', old.id, old.external_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_xid_fts_update AFTER UPDATE OF external_id ON companies BEGIN
    INSERT INTO companies_xid_fts (companies_xid_fts, rowid, external_id) SELECT 'delete', old.id, old.external_id WHERE old.external_id IS NOT NULL;
    INSERT INTO companies_xid_fts (rowid, external_id) SELECT new.id, new.external_id WHERE new.external_id IS NOT NULL;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER companies_xid_fts_update;
DROP TRIGGER companies_xid_fts_delete;
DROP TRIGGER companies_xid_fts_insert;
DROP TRIGGER customers_xid_fts_update;
DROP TRIGGER customers_xid_fts_delete;
DROP TRIGGER customers_xid_fts_insert;
DROP TRIGGER contacts_xid_fts_update;
DROP TRIGGER contacts_xid_fts_delete;
DROP TRIGGER contacts_xid_fts_insert;
DROP TABLE companies_xid_fts;
DROP TABLE customers_xid_fts;
DROP TABLE contacts_xid_fts;
DROP INDEX companies_external_id_lower;
DROP INDEX customers_external_id_lower;
DROP INDEX contacts_external_id_lower;
DROP INDEX customers_list_order;
DROP INDEX contacts_list_order;
