-- +goose Up
-- A token's sign-in attempts per UTC day, which the attempts chart reads
-- (at most its 90 rows) instead of counting the token's events: the
-- token.redeemed (successful) and token.rejected (failed) events of
-- audit_events with a token_id, per token and day (YYYY-MM-DD, the first
-- ten characters of the stored UTC time).
--
-- The triggers keep it in step with the trail whatever writes or deletes
-- an event: each attempt event inserted adds 1 to its day, each deleted
-- (the retention's pruning) takes 1 off, so the chart always equals a
-- count of the trail. Like the trail, the rows outlive their token (no
-- foreign key): a deleted token's chart stays readable. The pruning also
-- deletes the days before its cutoff's day, which it has brought to zero.
CREATE TABLE token_attempt_days (
    token_id   TEXT NOT NULL,
    day        TEXT NOT NULL,
    successful INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (token_id, day)
) WITHOUT ROWID;
CREATE INDEX token_attempt_days_day ON token_attempt_days (day);

-- +goose StatementBegin
CREATE TRIGGER audit_events_count_attempt AFTER INSERT ON audit_events
WHEN new.token_id IS NOT NULL AND new.type IN ('token.redeemed', 'token.rejected')
BEGIN
    INSERT INTO token_attempt_days (token_id, day, successful, failed)
    VALUES (new.token_id, substr(new.at, 1, 10), new.type = 'token.redeemed', new.type = 'token.rejected')
    ON CONFLICT (token_id, day) DO UPDATE
    SET successful = successful + excluded.successful, failed = failed + excluded.failed;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_events_uncount_attempt AFTER DELETE ON audit_events
WHEN old.token_id IS NOT NULL AND old.type IN ('token.redeemed', 'token.rejected')
BEGIN
    UPDATE token_attempt_days
    SET successful = successful - (old.type = 'token.redeemed'), failed = failed - (old.type = 'token.rejected')
    WHERE token_id = old.token_id AND day = substr(old.at, 1, 10);
END;
-- +goose StatementEnd

INSERT INTO token_attempt_days (token_id, day, successful, failed)
SELECT token_id, substr(at, 1, 10), SUM(type = 'token.redeemed'), SUM(type = 'token.rejected')
FROM audit_events
WHERE token_id IS NOT NULL AND type IN ('token.redeemed', 'token.rejected')
GROUP BY token_id, substr(at, 1, 10);

-- The chart was the only reader of this index (00019); the events by token
-- are read by audit_events_token, by time by audit_events_at.
DROP INDEX audit_events_token_at;

-- +goose Down
CREATE INDEX audit_events_token_at ON audit_events (token_id, at, type);
DROP TRIGGER audit_events_uncount_attempt;
DROP TRIGGER audit_events_count_attempt;
DROP TABLE token_attempt_days;
