-- +goose Up
-- The tokens bound to client networks (hasNetworks=true, see
-- whereNetworks), which are few: no other index serves networks, and
-- without this one the filter reads every token even when it finds none.
-- Partial, so that a token usable from any address has no entry and its
-- writes cost nothing more. Ordered as the list's default order (newest
-- first), so that the count reads only its entries and a page of many
-- such tokens walks it.
CREATE INDEX login_tokens_networks ON login_tokens (created_at, id) WHERE networks IS NOT NULL;

-- +goose Down
DROP INDEX login_tokens_networks;
