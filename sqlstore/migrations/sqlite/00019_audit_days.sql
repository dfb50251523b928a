-- +goose Up
-- A token's attempts per day read its events of a time range by this
-- index alone (type is in it, at is the range), without the rows; the
-- audit trail's retention and export read the events by time.
CREATE INDEX audit_events_token_at ON audit_events (token_id, at, type);
CREATE INDEX audit_events_at ON audit_events (at, id);

-- +goose Down
DROP INDEX audit_events_at;
DROP INDEX audit_events_token_at;
