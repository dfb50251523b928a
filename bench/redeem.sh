#!/usr/bin/env bash
# Redeem over HTTP against the database's own limit, on SQLite and
# PostgreSQL with 1,000,000 seeded tokens (issue 6, items 2 and 3).
#
#   bench/redeem.sh [sqlite] [postgres]        # both when none is named
#
# For each database, in one run: seed it once (reused afterwards), pick
# 1,000 reusable, valid tokens, start `logintokens serve` on 127.0.0.1,
# make a webshop key, then for each concurrency C (16 and 64):
#   - wrk -t2 -cC --latency with bench/redeem.lua: POST
#     /api/v1/login-tokens/redeem, keep-alive, a random one of the tokens;
#     each request with the end user's address as clientIp (random IPv4
#     and IPv6), as a shop's back end sends it;
#   - the database's bare limit at the same C: one single-statement update
#     of a random token row, in its own transaction: pgbench -M prepared
#     -f bench/update.sql on PostgreSQL, bench/cmd/sqliteraw -bare (the
#     server's own driver, pragmas and one writer connection, the statement
#     prepared once) on SQLite; RAW=tx runs instead the statements of one
#     redeem transaction (bench/redeem.sql, sqliteraw without -bare);
#   - the ratio HTTP / raw;
#   - the CPU time each costs: the machine's busy time (every process,
#     /proc/stat) per redeem and per raw transaction, and serve's own per
#     redeem; on two busy cores the ratio of rates is about the inverse
#     ratio of these, and they move less than rates when others load the
#     machine;
# and the server's peak RSS (VmHWM) over all of it. Results go to
# $BENCH_DIR/results-<time>.md as a table.
#
# Environment (defaults): BENCH_DIR (/tmp/ltbench: databases, values, logs),
# TOKENS (1000000), DURATION (15, seconds per measurement), CONNS ("16 64"),
# HOT (0; 1 adds the single-hot-token case at each C), PORT (18080),
# PGURL (postgres://postgres@127.0.0.1:5432/lt_bench?sslmode=disable; the
# database is dropped and made again whenever it must be seeded, that is
# when $BENCH_DIR/postgres/seeded does not hold TOKENS),
# MAX_LOAD (1.5) and WAIT_MAX (180): before each measurement wait up to
# WAIT_MAX seconds for the 1-minute load average to fall under MAX_LOAD;
# the load is recorded next to every figure either way.
# RAW (bare): what the raw column runs, bare or tx (above).
#
# Needs: go, wrk, pgbench and psql (postgresql-client), curl.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/ltbench}
TOKENS=${TOKENS:-1000000}
DURATION=${DURATION:-15}
CONNS=${CONNS:-"16 64"}
HOT=${HOT:-0}
PORT=${PORT:-18080}
PGURL=${PGURL:-"postgres://postgres@127.0.0.1:5432/lt_bench?sslmode=disable"}
MAX_LOAD=${MAX_LOAD:-1.5}
WAIT_MAX=${WAIT_MAX:-180}
RAW=${RAW:-bare}
NVALUES=1000

dbs=("$@")
[ ${#dbs[@]} -gt 0 ] || dbs=(sqlite postgres)
for t in go wrk pgbench psql curl; do
	command -v "$t" >/dev/null || { echo "redeem.sh: $t is missing (wrk: apt-get install wrk; pgbench: postgresql-client)" >&2; exit 1; }
done

mkdir -p "$BENCH_DIR/bin"
chmod 700 "$BENCH_DIR"
BIN=$BENCH_DIR/bin
echo "building into $BIN" >&2
go build -o "$BIN/logintokens" ./cmd/logintokens
go build -o "$BIN/" ./bench/cmd/pickvalues ./bench/cmd/sqliteraw

stamp=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$BENCH_DIR/results-$stamp.md
{
	echo "# redeem benchmark $stamp"
	echo
	echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr)"
	echo "- $(go version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(pgbench --version)"
	echo "- $TOKENS tokens, $NVALUES distinct reusable tokens presented at random with a random clientIp, ${DURATION}s per measurement, raw: $RAW"
	echo
	echo "| database | case | C | HTTP req/s | HTTP p99 ms | non-2xx | raw tx/s | raw p99 ms | HTTP/raw | CPU µs per redeem: machine / serve | CPU µs per raw tx: machine | load before HTTP / raw |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$RESULTS"

load1() { cut -d' ' -f1 /proc/loadavg; }

# quiet waits (bounded) for the machine to calm down and prints the load.
quiet() {
	local waited=0
	while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }' && [ "$waited" -lt "$WAIT_MAX" ]; do
		sleep 10
		waited=$((waited + 10))
	done
	load1
}

# busy prints the machine's busy CPU time so far, in clock ticks (user,
# nice, system, irq and softirq of all cores); proc_cpu that of process $1.
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
proc_cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# per_op TICKS N prints TICKS of CPU time per operation of N, in µs.
per_op() { awk -v t="$1" -v n="$2" -v u="$TICK_US" 'BEGIN { if (n > 0) printf "%.0f", t * u / n; else print "n/a" }'; }

# to_ms converts a wrk duration (812.00us, 1.23ms, 1.05s, 2.00m) to ms.
to_ms() {
	awk -v d="$1" 'BEGIN {
		if (d ~ /us$/) { sub(/us$/, "", d); printf "%.2f", d / 1000 }
		else if (d ~ /ms$/) { sub(/ms$/, "", d); printf "%.2f", d }
		else if (d ~ /m$/) { sub(/m$/, "", d); printf "%.2f", d * 60000 }
		else { sub(/s$/, "", d); printf "%.2f", d * 1000 } }'
}

# run_wrk C HOT LOG: prints "rps p99ms non2xx".
run_wrk() {
	local c=$1 hot=$2 log=$3
	BENCH_VALUES=$PICKED BENCH_KEY=$KEY BENCH_HOT=$hot \
		wrk -t2 -c"$c" -d"${DURATION}s" --timeout 10s --latency -s bench/redeem.lua "http://127.0.0.1:$PORT" >"$log" 2>&1
	local rps p99 bad
	rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$log")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$log")")
	bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$log")
	if grep -q 'Socket errors' "$log"; then
		bad="${bad:-0} + $(grep 'Socket errors' "$log" | sed 's/^ *//')"
	fi
	echo "$rps $p99 ${bad:-0}"
}

# run_raw C HOT LOG: prints "tps p99ms".
run_raw() {
	local c=$1 hot=$2 log=$3
	if [ "$DB" = postgres ]; then
		local nids=$NVALUES prefix
		[ "$hot" = 1 ] && nids=1
		prefix=$BENCH_DIR/postgres/pgbench-c$c-h$hot
		rm -f "$prefix".*
		local script=bench/update.sql
		[ "$RAW" = tx ] && script=bench/redeem.sql
		pgbench -n -M prepared -f "$script" -D nids=$nids -D "actor=apikey:$KEYID" \
			-c "$c" -j 2 -T "$DURATION" -l --log-prefix="$prefix" "$PGURL" >"$log" 2>&1
		local tps p99
		tps=$(awk '/^tps = / {printf "%.0f", $3}' "$log")
		# The per-transaction log: the third field is the latency in us.
		p99=$(cat "$prefix".* | awk '{print $3}' | sort -n | awk '{a[NR] = $1} END {i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f", a[i] / 1000}')
		rm -f "$prefix".*
		echo "$tps $p99"
	else
		local flags=()
		[ "$hot" = 1 ] && flags+=(-hot)
		[ "$RAW" = bare ] && flags+=(-bare)
		"$BIN/sqliteraw" -database-url "$DBURL" -values "$PICKED" -c "$c" -d "${DURATION}s" "${flags[@]}" >"$log" 2>&1
		sed -n 's/.* \([0-9]*\) tx\/s, p50 [0-9.]* ms, p99 \([0-9.]*\) ms.*/\1 \2/p' "$log"
	fi
}

mem=()
SERVER_PID=
stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}
trap stop_server EXIT

for DB in "${dbs[@]}"; do
	dir=$BENCH_DIR/$DB
	mkdir -p "$dir"
	unset LOGINTOKENS_SECRET_KEY
	case $DB in
	sqlite)
		DBURL=sqlite:$dir/lt.db
		;;
	postgres)
		DBURL=$PGURL
		[ -f "$BENCH_DIR/pg.key" ] || (umask 077 && openssl rand -base64 32 >"$BENCH_DIR/pg.key")
		export LOGINTOKENS_SECRET_KEY
		LOGINTOKENS_SECRET_KEY=$(cat "$BENCH_DIR/pg.key")
		pgdb=${PGURL##*/}
		pgdb=${pgdb%%\?*}
		pgadmin=${PGURL%/*}/postgres
		[[ $PGURL == *\?* ]] && pgadmin=$pgadmin?${PGURL#*\?}
		;;
	*)
		echo "redeem.sh: unknown database $DB (want sqlite or postgres)" >&2
		exit 2
		;;
	esac
	export LOGINTOKENS_DATABASE_URL=$DBURL

	# Seed once; the marker records that a seed of this size completed.
	if [ "$(cat "$dir/seeded" 2>/dev/null)" != "$TOKENS" ]; then
		echo "seeding $DB with $TOKENS tokens" >&2
		rm -f "$dir/seeded" "$dir/values.txt"
		if [ "$DB" = sqlite ]; then
			rm -f "$dir"/lt.db "$dir"/lt.db-wal "$dir"/lt.db-shm
		else
			psql -d "$pgadmin" -qc "DROP DATABASE IF EXISTS $pgdb" -c "CREATE DATABASE $pgdb"
		fi
		"$BIN/logintokens" dev seed --tokens "$TOKENS" --values "$dir/values.txt" 2>&1 | tee "$dir/seed.log" >&2
		echo "$TOKENS" >"$dir/seeded"
	fi
	PICKED=$dir/picked.txt
	"$BIN/pickvalues" -database-url "$DBURL" -values "$dir/values.txt" -n "$NVALUES" -out "$PICKED"

	# A webshop key, made with the CLI once and kept beside the database.
	if [ ! -s "$dir/apikey" ]; then
		(umask 077 && "$BIN/logintokens" apikey create --name "redeem benchmark" --webshop 2>/dev/null | head -1 >"$dir/apikey")
	fi
	KEY=$(cat "$dir/apikey")
	KEYID=${KEY#ltk_}
	KEYID=${KEYID%%_*}

	LOGINTOKENS_ADDR=127.0.0.1:$PORT LOGINTOKENS_REDEEM_FAILURES_PER_MINUTE=1000000 \
		LOGINTOKENS_ADMIN_PASSWORD=$(openssl rand -hex 16) \
		"$BIN/logintokens" serve >"$dir/serve.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 100); do
		curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
		kill -0 "$SERVER_PID" 2>/dev/null || { echo "serve died:" >&2; tail "$dir/serve.log" >&2; exit 1; }
		sleep 0.2
	done
	code=$(curl -s -o "$dir/probe.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
		-d "{\"token\":\"$(head -1 "$PICKED")\",\"clientIp\":\"203.0.113.7\"}" "http://127.0.0.1:$PORT/api/v1/login-tokens/redeem")
	if [ "$code" != 200 ]; then
		echo "redeem.sh: a probe redeem answered $code:" >&2
		cat "$dir/probe.json" >&2
		exit 1
	fi
	echo "$DB: serve pid $SERVER_PID on 127.0.0.1:$PORT, RSS after start $(awk '/VmRSS/ {print $2, $3}' /proc/$SERVER_PID/status)" >&2
	# Warm up: connections, statement caches, the pages of the picked rows.
	BENCH_VALUES=$PICKED BENCH_KEY=$KEY wrk -t2 -c16 -d3s -s bench/redeem.lua "http://127.0.0.1:$PORT" >/dev/null 2>&1

	cases=(spread)
	[ "$HOT" = 1 ] && cases+=(hot)
	for c in $CONNS; do
		for cs in "${cases[@]}"; do
			hot=0
			[ "$cs" = hot ] && hot=1
			lh=$(quiet)
			b0=$(busy) s0=$(proc_cpu "$SERVER_PID")
			read -r rps p99 bad < <(run_wrk "$c" "$hot" "$dir/wrk-c$c-$cs.log") || true
			b1=$(busy) s1=$(proc_cpu "$SERVER_PID")
			nreq=$(awk '/requests in/ {print $1}' "$dir/wrk-c$c-$cs.log")
			lr=$(quiet)
			b2=$(busy)
			read -r tps rp99 < <(run_raw "$c" "$hot" "$dir/raw-c$c-$cs.log") || true
			b3=$(busy)
			ratio=$(awk -v a="$rps" -v b="$tps" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }')
			cpu="$(per_op $((b1 - b0)) "$nreq") / $(per_op $((s1 - s0)) "$nreq")"
			rawcpu=$(per_op $((b3 - b2)) "$((${tps:-0} * DURATION))")
			line="| $DB | $cs | $c | $rps | $p99 | $bad | $tps | $rp99 | $ratio | $cpu | $rawcpu | $lh / $lr |"
			echo "$line" >>"$RESULTS"
			echo "$line" >&2
		done
	done
	hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' /proc/$SERVER_PID/status)
	rss=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$SERVER_PID/status)
	mem+=("- $DB: server peak RSS (VmHWM, start to end of the runs above) ${hwm} MB, RSS at the end ${rss} MB")
	echo "${mem[-1]}" >&2
	stop_server
done
{
	echo
	printf '%s\n' "${mem[@]}"
} >>"$RESULTS"
echo "results: $RESULTS" >&2
cat "$RESULTS"
