-- pgbench script: the database's bare limit for a redeem, one
-- single-statement update of a random token row (autocommit: its own
-- transaction and commit), the counter and last_accessed_at as a redeem
-- writes them. The id comes from bench_ids (bench/cmd/pickvalues) in the
-- same statement, a primary-key probe of a 1,000-row table.
--   pgbench -n -M prepared -f bench/update.sql -D nids=1000 -c 16 -j 2 -T 15 lt_bench
\set r random(1, :nids)
UPDATE login_tokens SET successful_attempts = successful_attempts + 1, last_accessed_at = now() WHERE id = (SELECT id FROM bench_ids WHERE n = :r);
