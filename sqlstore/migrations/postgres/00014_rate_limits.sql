-- +goose Up
-- The failure limits shared by every instance on this database
-- (Store.Limiter): one row per scope (which limit) and key (a hash of the
-- client network, or of what the limit counts). free_us is the time, in
-- microseconds since 1970, when every attempt of the key is back; a row
-- whose time has passed means nothing and is deleted by a later call.
-- UNLOGGED: the counts are not worth a write-ahead log; a database crash
-- forgets them, as a restart forgets an instance's own.
CREATE UNLOGGED TABLE rate_limits (
    scope    TEXT COLLATE "C" NOT NULL,
    key      BYTEA NOT NULL,
    free_us  BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX rate_limits_free ON rate_limits (free_us);

-- +goose Down
DROP TABLE rate_limits;
