-- +goose Up
-- A token's sign-in attempts per UTC day, which the attempts chart reads
-- (at most its 90 rows) instead of counting the token's events: the
-- token.redeemed (successful) and token.rejected (failed) events of
-- audit_events with a token_id, per token and day (YYYY-MM-DD of the
-- event's time in UTC).
--
-- The triggers keep it in step with the trail whatever writes or deletes
-- an event: each attempt event inserted adds 1 to its day, each deleted
-- (the retention's pruning) takes 1 off, so the chart always equals a
-- count of the trail. Like the trail, the rows outlive their token (no
-- foreign key): a deleted token's chart stays readable. The pruning also
-- deletes the days before its cutoff's day, which it has brought to zero.
CREATE TABLE token_attempt_days (
    token_id   TEXT COLLATE "C" NOT NULL,
    day        TEXT COLLATE "C" NOT NULL,
    successful BIGINT NOT NULL DEFAULT 0,
    failed     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (token_id, day)
);
CREATE INDEX token_attempt_days_day ON token_attempt_days (day);

-- +goose StatementBegin
CREATE FUNCTION token_attempt_days_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO token_attempt_days AS d (token_id, day, successful, failed)
    VALUES (NEW.token_id, to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
        CASE WHEN NEW.type = 'token.redeemed' THEN 1 ELSE 0 END,
        CASE WHEN NEW.type = 'token.rejected' THEN 1 ELSE 0 END)
    ON CONFLICT (token_id, day) DO UPDATE
    SET successful = d.successful + excluded.successful, failed = d.failed + excluded.failed;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- One statement's deleted events (a pruning batch) at once. The days are
-- locked in key order before they are updated, so that two instances
-- pruning side by side never wait for each other in a circle.
-- +goose StatementBegin
CREATE FUNCTION token_attempt_days_uncount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM token_attempt_days d
    WHERE (d.token_id, d.day) IN (
        SELECT token_id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM gone
        WHERE token_id IS NOT NULL AND type IN ('token.redeemed', 'token.rejected'))
    ORDER BY d.token_id, d.day FOR UPDATE;
    UPDATE token_attempt_days d SET successful = d.successful - g.successful, failed = d.failed - g.failed
    FROM (SELECT token_id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
            count(*) FILTER (WHERE type = 'token.redeemed') AS successful,
            count(*) FILTER (WHERE type = 'token.rejected') AS failed
        FROM gone WHERE token_id IS NOT NULL AND type IN ('token.redeemed', 'token.rejected')
        GROUP BY 1, 2) g
    WHERE d.token_id = g.token_id AND d.day = g.day;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_count_attempt AFTER INSERT ON audit_events FOR EACH ROW
    WHEN (NEW.token_id IS NOT NULL AND NEW.type IN ('token.redeemed', 'token.rejected'))
    EXECUTE FUNCTION token_attempt_days_count();
CREATE TRIGGER audit_events_uncount_attempt AFTER DELETE ON audit_events
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION token_attempt_days_uncount();

-- The trigger's lock on audit_events holds back the events being written
-- until this commits; those written before are in the count below.
INSERT INTO token_attempt_days (token_id, day, successful, failed)
SELECT token_id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
    count(*) FILTER (WHERE type = 'token.redeemed'), count(*) FILTER (WHERE type = 'token.rejected')
FROM audit_events
WHERE token_id IS NOT NULL AND type IN ('token.redeemed', 'token.rejected')
GROUP BY 1, 2;

-- The chart was the only reader of this index (00019); the events by token
-- are read by audit_events_token, by time by audit_events_at.
DROP INDEX audit_events_token_at;

-- +goose Down
CREATE INDEX audit_events_token_at ON audit_events (token_id, at, type);
DROP TRIGGER audit_events_uncount_attempt ON audit_events;
DROP TRIGGER audit_events_count_attempt ON audit_events;
DROP FUNCTION token_attempt_days_uncount();
DROP FUNCTION token_attempt_days_count();
DROP TABLE token_attempt_days;
