-- +goose Up
-- Backoffice sessions. The cookie holds a random value; only its SHA-256
-- is stored, so a database dump opens no session.
CREATE TABLE staff_sessions (
    id_hash      BYTEA PRIMARY KEY,
    staff_id     BIGINT NOT NULL REFERENCES staff (id),
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    client_ip    TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);
CREATE INDEX audit_events_actor ON audit_events (actor, id);

-- +goose Down
DROP INDEX audit_events_actor;
DROP TABLE staff_sessions;
