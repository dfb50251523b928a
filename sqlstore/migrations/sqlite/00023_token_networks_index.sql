-- +goose Up
-- The tokens bound to client networks (hasNetworks=true, see
-- whereNetworks), which are few: no other index serves networks, and
-- without this one the filter reads every token even when it finds none.
-- Partial, so that a token usable from any address has no entry and its
-- writes cost nothing more. The list asks for its rows by a subquery
-- (see boundToNetworks): SQLite's planner would pass over the index for
-- any other filter's. The columns are PostgreSQL's (the default order).
CREATE INDEX login_tokens_networks ON login_tokens (created_at, id) WHERE networks IS NOT NULL;

-- The tokens with a limit on their uses, for the filters on it (maxUses,
-- unlimitedUses=false, oneTimeUse=true; see whereUses). login_tokens_max_uses
-- serves them too, but SQLite's planner, which knows only how many tokens
-- share a value on average (ANALYZE keeps no histogram), guesses a range
-- of it to hold a quarter of the table, and reads every token for a page
-- of the few with a limit. Its count of this index's entries tells it
-- how few they are. PostgreSQL's statistics tell it without one.
CREATE INDEX login_tokens_limited ON login_tokens (max_uses, id) WHERE max_uses IS NOT NULL;

-- +goose Down
DROP INDEX login_tokens_limited;
DROP INDEX login_tokens_networks;
