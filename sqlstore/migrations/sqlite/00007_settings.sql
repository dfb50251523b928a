-- +goose Up
-- Settings of the installation, one value per name (Store.Setting and
-- SetSetting). The store keeps its own here too: server_key_check, a value
-- sealed with the server key, tells which keys may open this database.
CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
