-- +goose Up
-- The user picker's search (SearchUsers) from indexes instead of a scan
-- and sort of every contact and customer.
--
-- Three characters or more: FTS5 trigram indexes of each person's name
-- ("first last") and email, and of company names, find the candidates;
-- the store checks each with the LIKE of before, so the answer is that
-- LIKE's (the index folds case its own way, and a row may hold every
-- trigram of q without holding q). The tables keep no content of their own
-- (content=''): the triggers below give them the text, and take it out
-- again with the same expressions. No positions either (detail=none), as
-- for the token list's index.
CREATE VIRTUAL TABLE contacts_fts USING fts5 (name, email, content = '', tokenize = 'trigram', detail = 'none');
CREATE VIRTUAL TABLE customers_fts USING fts5 (name, email, content = '', tokenize = 'trigram', detail = 'none');
CREATE VIRTUAL TABLE companies_fts USING fts5 (name, content = '', tokenize = 'trigram', detail = 'none');
INSERT INTO contacts_fts (rowid, name, email) SELECT id, first_name || ' ' || last_name, email FROM contacts;
INSERT INTO customers_fts (rowid, name, email) SELECT id, first_name || ' ' || last_name, email FROM customers;
INSERT INTO companies_fts (rowid, name) SELECT id, name FROM companies;

-- Fewer than three characters hold no trigram: a name, email or company
-- that starts with them is found from these indexes (and the email
-- indexes of 00001). The name's index is also the search's order, which a
-- search that matches many people walks until it has enough.
CREATE INDEX contacts_search_name ON contacts (lower(first_name || ' ' || last_name), id) WHERE deleted_at IS NULL;
CREATE INDEX customers_search_name ON customers (lower(first_name || ' ' || last_name), id) WHERE deleted_at IS NULL;
CREATE INDEX companies_search_name ON companies (lower(name));

-- +goose StatementBegin
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, name, email) VALUES (new.id, new.first_name || ' ' || new.last_name, new.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', old.id, old.first_name || ' ' || old.last_name, old.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF first_name, last_name, email ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', old.id, old.first_name || ' ' || old.last_name, old.email);
    INSERT INTO contacts_fts (rowid, name, email) VALUES (new.id, new.first_name || ' ' || new.last_name, new.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts (rowid, name, email) VALUES (new.id, new.first_name || ' ' || new.last_name, new.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name, email) VALUES ('delete', old.id, old.first_name || ' ' || old.last_name, old.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_fts_update AFTER UPDATE OF first_name, last_name, email ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name, email) VALUES ('delete', old.id, old.first_name || ' ' || old.last_name, old.email);
    INSERT INTO customers_fts (rowid, name, email) VALUES (new.id, new.first_name || ' ' || new.last_name, new.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_fts_insert AFTER INSERT ON companies BEGIN
    INSERT INTO companies_fts (rowid, name) VALUES (new.id, new.name);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_fts_delete AFTER DELETE ON companies BEGIN
    INSERT INTO companies_fts (companies_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_fts_update AFTER UPDATE OF name ON companies BEGIN
    INSERT INTO companies_fts (companies_fts, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO companies_fts (rowid, name) VALUES (new.id, new.name);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER companies_fts_update;
DROP TRIGGER companies_fts_delete;
DROP TRIGGER companies_fts_insert;
DROP TRIGGER customers_fts_update;
DROP TRIGGER customers_fts_delete;
DROP TRIGGER customers_fts_insert;
DROP TRIGGER contacts_fts_update;
DROP TRIGGER contacts_fts_delete;
DROP TRIGGER contacts_fts_insert;
DROP INDEX companies_search_name;
DROP INDEX customers_search_name;
DROP INDEX contacts_search_name;
DROP TABLE companies_fts;
DROP TABLE customers_fts;
DROP TABLE contacts_fts;
