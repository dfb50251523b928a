-- +goose Up
-- Uses allowed and client networks of a token.
--
-- max_uses: how many successful sign-ins the token gives; NULL = no limit.
-- It replaces the one-time flag, which is max_uses = 1 (the API's
-- oneTimeUse reads it). A token is used once successful_attempts reaches
-- max_uses; the redeem counts a success only below it.
--
-- networks: a JSON array of the CIDR ranges (normalised, e.g.
-- ["203.0.113.0/24","2001:db8::/32"]) a redeem must come from; NULL = any
-- address. Read with the token in the redeem's one query.
ALTER TABLE login_tokens ADD COLUMN max_uses BIGINT CHECK (max_uses >= 1);
ALTER TABLE login_tokens ADD COLUMN networks TEXT;
UPDATE login_tokens SET max_uses = 1 WHERE one_time_use;

-- The status indexes of 00005, said with max_uses (see whereStatuses).
DROP INDEX login_tokens_one_time_use;
DROP INDEX login_tokens_used;
DROP INDEX login_tokens_unused_expiry;
ALTER TABLE login_tokens DROP COLUMN one_time_use;
CREATE INDEX login_tokens_max_uses ON login_tokens (max_uses, id);
CREATE INDEX login_tokens_used ON login_tokens (created_at, id)
    WHERE max_uses IS NOT NULL AND successful_attempts >= max_uses;
CREATE INDEX login_tokens_unused_expiry ON login_tokens (expires_key, type, max_uses)
    WHERE NOT (max_uses IS NOT NULL AND successful_attempts >= max_uses);

-- +goose Down
DROP INDEX login_tokens_unused_expiry;
DROP INDEX login_tokens_used;
DROP INDEX login_tokens_max_uses;
ALTER TABLE login_tokens ADD COLUMN one_time_use BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE login_tokens SET one_time_use = TRUE WHERE max_uses = 1;
CREATE INDEX login_tokens_one_time_use ON login_tokens (one_time_use, id);
CREATE INDEX login_tokens_used ON login_tokens (created_at, id) WHERE one_time_use AND successful_attempts > 0;
CREATE INDEX login_tokens_unused_expiry ON login_tokens (expires_key, type, one_time_use)
    WHERE NOT (one_time_use AND successful_attempts > 0);
ALTER TABLE login_tokens DROP COLUMN networks;
ALTER TABLE login_tokens DROP COLUMN max_uses;
