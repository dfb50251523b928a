-- +goose Up
-- Webhooks: receivers of events. The signing secret must be read back to
-- sign, so it is sealed with the server key (secret_enc, under the key
-- secret_key_id), never kept in the clear. events is a JSON array.
CREATE TABLE webhooks (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL DEFAULT '[]',
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    secret_enc      BYTEA NOT NULL,
    secret_key_id   TEXT NOT NULL,
    disabled_reason TEXT,
    disabled_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- The outbox: messages written in the transaction of the change that
-- causes them and sent afterwards by a worker. A pending message is due
-- at next_attempt_at unless a worker holds its lease (lease_until in the
-- future); of two pending messages of one queue only the older is due.
CREATE TABLE outbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             TEXT NOT NULL,
    queue            TEXT NOT NULL,
    target           TEXT NOT NULL DEFAULT '',
    webhook_id       BIGINT REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL,
    type             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    then_event       TEXT,
    status           TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,
    lease_owner      TEXT,
    lease_until      TIMESTAMPTZ,
    last_attempt_at  TIMESTAMPTZ,
    last_answer      TEXT NOT NULL DEFAULT '',
    last_duration_ms BIGINT,
    created_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ,
    redelivery_of    BIGINT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_queue ON outbox (queue, id) WHERE status = 'pending';
CREATE INDEX outbox_webhook ON outbox (webhook_id, id);

-- +goose Down
DROP TABLE outbox;
DROP TABLE webhooks;
