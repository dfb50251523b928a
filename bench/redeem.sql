-- pgbench script: the statements of one redeem (sqlstore.Redeem on
-- PostgreSQL), on a random one of the tokens in bench_ids (filled by
-- bench/cmd/pickvalues). The first statement is sqlstore's
-- tokenSelectWithHash with FOR UPDATE OF t; it finds the id through
-- bench_ids in the same statement (one primary-key probe of a 1,000-row
-- table) and \gset keeps it for the update and the audit insert.
-- Variables (pgbench -D) nids, the rows of bench_ids, and actor, the audit
-- actor (the server writes apikey, a colon and the key id), e.g.
--   pgbench -n -M prepared -f bench/redeem.sql -D nids=1000 -D actor=apikey_KEYID -c 16 -j 2 -T 15 lt_bench
-- (pgbench would take a colon inside a quoted literal for a variable.)
\set r random(1, :nids)
BEGIN;
SELECT t.id AS tid, t.type AS ttype, t.expires_at AS texp, t.max_uses AS tmax, t.networks AS tnets, t.extra AS textra,
  t.successful_attempts AS tsucc, t.failed_attempts AS tfail, t.last_accessed_at AS tlast,
  t.created_at AS tcreated, t.updated_at AS tupdated, t.created_by AS tby,
  COALESCE(c.id, cu.id) AS uid, COALESCE(c.first_name, cu.first_name) AS ufirst,
  COALESCE(c.last_name, cu.last_name) AS ulast, COALESCE(c.email, cu.email) AS uemail,
  co.id AS coid, co.name AS coname,
  CASE WHEN COALESCE(c.disabled, cu.disabled) OR COALESCE(c.deleted_at, cu.deleted_at) IS NOT NULL THEN 0 ELSE 1 END AS uactive,
  t.act AS tact, t.secret_hash AS thash
FROM login_tokens t
LEFT JOIN contacts c ON c.id = t.contact_id
LEFT JOIN companies co ON co.id = c.company_id
LEFT JOIN customers cu ON cu.id = t.customer_id
WHERE t.id = (SELECT id FROM bench_ids WHERE n = :r) FOR UPDATE OF t \gset
UPDATE login_tokens SET successful_attempts = successful_attempts + 1, last_accessed_at = now()
  WHERE id = :tid AND (max_uses IS NULL OR successful_attempts < max_uses);
INSERT INTO audit_events (at, type, token_id, actor, client_ip, details) VALUES (now(), 'token.redeemed', :tid, :actor, '127.0.0.1', '{}');
COMMIT;
