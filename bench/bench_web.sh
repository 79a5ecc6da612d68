#!/usr/bin/env bash
# bench_web.sh - requests per second with wrk against the web server of a
# running `ackbeat run`, side by side in the same run with nginx serving a
# small static file on the same machine (both on 127.0.0.1, both on one
# thread: ackbeat serves from libmicrohttpd's single polling thread, nginx
# gets worker_processes 1).
#
#   pings      GET /ping/TOKEN: a ping recorded in SQLite (WAL, fsync per
#              commit) and the check evaluated - the real work of the
#              endpoint, not a canned answer; on a fresh database, and
#              again with 20,000 older pings of the check in the table
#              (the store's lookups must not grow with history)
#   pings, 1,000 checks   the same over 1,000 ping checks, each request a
#              token drawn at random (a fleet of jobs, not one hot job:
#              nearly every ping in a batch is a check judged on its own)
#   pings on PostgreSQL   both again with the state on PostgreSQL (fsync
#              and synchronous_commit on; bench/pg_stack.sh), when one is
#              to be had (root, or inside a test stack)
#   healthz    GET /healthz: the server's own overhead, no database
#   status     GET /: the status page, from the engine's live read model
#              (kept in memory, answers kept per second and change)
#   api        GET /api/checks: every check as JSON, the same way
#   metrics    GET /metrics: the Prometheus text, the same way
# each against nginx's GET /ping.txt ("OK\n"), measured in the same run.
#
# Usage: bench/bench_web.sh [SECONDS]   (B=build dir; default 8 s a run)
# Ports 18085-18099 (the first two free).  Needs wrk and nginx (Debian's
# wrk and nginx-light or nginx: scripts/install-deps test).
# Ends with:  BENCH web <metric> <value> <baseline_value> <ratio>
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-8}
B=${B:-build}
ACK=${ACKBEAT_BIN:-$PWD/$B/ackbeat}
CONNS=${CONNS:-32}
for t in wrk nginx curl; do
	command -v $t >/dev/null || { echo "bench_web: $t is not installed" >&2; exit 1; }
done
[ -x "$ACK" ] || { echo "bench_web: $ACK not built (make)" >&2; exit 1; }

work=$(mktemp -d /tmp/abbench-web.XXXXXX)
ack_pid= nginx_pid= pg_pid=
# shellcheck source=bench/pg_stack.sh
. bench/pg_stack.sh
cleanup() {
	[ -n "$ack_pid" ] && kill "$ack_pid" 2>/dev/null && wait "$ack_pid" 2>/dev/null
	[ -n "$pg_pid" ] && kill "$pg_pid" 2>/dev/null && wait "$pg_pid" 2>/dev/null
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	pg_stack_down
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { # first port from $1 that nothing answers on
	local p
	for p in $(seq "$1" 18099); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}
ack_port=$(free_port 18085)
ngx_port=$(free_port $((ack_port + 1)))

# --- ackbeat: a daemon with one hot ping check and one plain check, and
# (config STATE-ELEMENT PORT FLEET) a fleet of ping checks beside them; the
# fleet gets daemons of its own, so that the pages' figures stay those of
# a small config, comparable from run to run ----------------------------
TOKEN=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
FLEET=1000
config() {
	cat <<EOF
<ackbeat name="bench" timezone="UTC" tick="1m">
  $1
  <mail from="ackbeat@bench.test" transport="maildir:out/Maildir"/>
  <web listen="127.0.0.1:$2"/>
  <recipients><person name="ops" email="ops@bench.test"/></recipients>
  <alerting notify="ops"/>
  <checks>
    <ping name="job" token="$TOKEN" period="1d" grace="1h"/>
    <command name="true" command="/bin/true"/>
EOF
	for i in $(seq 0 $(($3 - 1))); do
		printf '    <ping name="fleet%d" token="%s-%06d" period="1d" grace="1h"/>\n' "$i" "$TOKEN" "$i"
	done
	printf '  </checks>\n</ackbeat>\n'
}
config '<state path="state.db"/>' "$ack_port" 0 >"$work/ackbeat.xml"
# Each request a fleet token at random (wrk's Lua, one state per thread).
cat >"$work/fleet.lua" <<EOF
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  return wrk.format("GET", string.format("/ping/$TOKEN-%06d", math.random(0, $FLEET - 1)))
end
EOF
(cd "$work" && exec "$ACK" run -c "$work/ackbeat.xml" --log-level warn >"$work/ackbeat.log" 2>&1) &
ack_pid=$!

# --- nginx: one worker, a private prefix, a static file -----------------
mkdir -p "$work/nginx/www" "$work/nginx/tmp"
printf 'OK\n' >"$work/nginx/www/ping.txt"
# Started as root, nginx's worker runs as nobody: it must be able to read.
chmod 755 "$work" "$work/nginx" "$work/nginx/www"
chmod 644 "$work/nginx/www/ping.txt"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$ngx_port;
        root $work/nginx/www;
        default_type text/plain;
    }
}
EOF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/start.err" &
nginx_pid=$!

for i in $(seq 100); do
	curl -sf "http://127.0.0.1:$ack_port/healthz" >/dev/null 2>&1 &&
		curl -sf "http://127.0.0.1:$ngx_port/ping.txt" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -sf "http://127.0.0.1:$ack_port/ping/$TOKEN" >/dev/null || { cat "$work/ackbeat.log"; exit 1; }
curl -sf "http://127.0.0.1:$ngx_port/ping.txt" >/dev/null || { cat "$work/nginx/error.log"; exit 1; }

# run URL [LUA] -> "RPS P50_MS P99_MS" from wrk --latency
run() {
	local out
	out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency ${2:+-s "$2"} "$1")
	echo "$out" >>"$work/wrk.log"
	echo "$out" | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
		                 if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec:/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { bad = $NF }
		END { if (bad) print "non-2xx: " bad > "/dev/stderr"; printf "%s %.3f %.3f\n", rps, p50, p99 }'
}

echo "ackbeat on :$ack_port (one thread), nginx on :$ngx_port (one worker); wrk -t2 -c$CONNS, ${SECS}s each"
read -r n_rps n_p50 n_p99 < <(run "http://127.0.0.1:$ngx_port/ping.txt")
read -r p_rps p_p50 p_p99 < <(run "http://127.0.0.1:$ack_port/ping/$TOKEN")
# 20,000 older pings of the same check, as a month of a busy job leaves.
sqlite3 "$work/state.db" "PRAGMA busy_timeout=10000;
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<20000)
  INSERT INTO pings(check_name, at, kind, via)
  SELECT 'job', strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || x || ' minutes'), 'success', 'http' FROM c;"
read -r q_rps q_p50 q_p99 < <(run "http://127.0.0.1:$ack_port/ping/$TOKEN")
read -r h_rps h_p50 h_p99 < <(run "http://127.0.0.1:$ack_port/healthz")
read -r s_rps s_p50 s_p99 < <(run "http://127.0.0.1:$ack_port/")
read -r a_rps a_p50 a_p99 < <(run "http://127.0.0.1:$ack_port/api/checks")
read -r m_rps m_p50 m_p99 < <(run "http://127.0.0.1:$ack_port/metrics")
pings=$(sqlite3 "$work/state.db" "SELECT COUNT(*) FROM pings" 2>/dev/null || echo "?")
kill -0 "$ack_pid" || { echo "bench_web: the daemon died" >&2; exit 1; }

# daemon DIR STATE-ELEMENT: a fleet daemon in DIR, answering; sets d_pid, d_port
daemon() {
	d_port=$(free_port $((ngx_port + 1)))
	mkdir -p "$1"
	config "$2" "$d_port" "$FLEET" >"$1/ackbeat.xml"
	(cd "$1" && exec "$ACK" run -c "$1/ackbeat.xml" --log-level warn >"$1/ackbeat.log" 2>&1) &
	d_pid=$!
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$d_port/healthz" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -sf "http://127.0.0.1:$d_port/ping/$TOKEN" >/dev/null && return 0
	echo "bench_web: the daemon in $1 does not answer:"
	tail -5 "$1/ackbeat.log"
	return 1
}
stop_daemon() {
	kill "$d_pid" 2>/dev/null
	wait "$d_pid" 2>/dev/null || true
	d_pid=
}

# --- a fleet of ping checks, on SQLite ---------------------------------------
kill "$ack_pid" 2>/dev/null
wait "$ack_pid" 2>/dev/null || true
ack_pid=
daemon "$work/fleet" '<state path="state.db"/>' || exit 1
ack_pid=$d_pid
read -r f_rps f_p50 f_p99 < <(run "http://127.0.0.1:$d_port/" "$work/fleet.lua")
stop_daemon
ack_pid=
fleet_heard=$(sqlite3 "$work/fleet/state.db" "SELECT COUNT(DISTINCT check_name) FROM pings WHERE check_name LIKE 'fleet%'" 2>/dev/null || echo "?")

# --- the same pings with the state on PostgreSQL ---------------------------
g_rps= g_p99= h2_rps= h2_p99=
if pg_stack_up "$work" >/dev/null 2>&1 && pg_db bench_web; then
	if daemon "$work/pg" "<state url=\"$pg_base/bench_web\" password-env=\"PGPASSWORD\"/>"; then
		pg_pid=$d_pid
		read -r g_rps _ g_p99 < <(run "http://127.0.0.1:$d_port/ping/$TOKEN")
		read -r h2_rps _ h2_p99 < <(run "http://127.0.0.1:$d_port/" "$work/fleet.lua")
	fi
	stop_daemon
	pg_pid=
	pg_drop bench_web || true
else
	echo "bench_web: no PostgreSQL here (root, or inside a test stack): its figures are left out"
fi

printf '%-28s %12s %10s %10s\n' "" "req/s" "p50 ms" "p99 ms"
printf '%-28s %12s %10s %10s\n' "nginx static file" "$n_rps" "$n_p50" "$n_p99"
printf '%-28s %12s %10s %10s\n' "ackbeat GET /ping/TOKEN" "$p_rps" "$p_p50" "$p_p99"
printf '%-28s %12s %10s %10s\n' "  ... with 20k older pings" "$q_rps" "$q_p50" "$q_p99"
printf '%-28s %12s %10s %10s\n' "  ... $FLEET checks, random" "$f_rps" "$f_p50" "$f_p99"
[ -n "$g_rps" ] && printf '%-28s %12s %10s %10s\n' "  ... on PostgreSQL" "$g_rps" "" "$g_p99"
[ -n "$h2_rps" ] && printf '%-28s %12s %10s %10s\n' "  ... $FLEET checks, PostgreSQL" "$h2_rps" "" "$h2_p99"
printf '%-28s %12s %10s %10s\n' "ackbeat GET /healthz" "$h_rps" "$h_p50" "$h_p99"
printf '%-28s %12s %10s %10s\n' "ackbeat GET / (status page)" "$s_rps" "$s_p50" "$s_p99"
printf '%-28s %12s %10s %10s\n' "ackbeat GET /api/checks" "$a_rps" "$a_p50" "$a_p99"
printf '%-28s %12s %10s %10s\n' "ackbeat GET /metrics" "$m_rps" "$m_p50" "$m_p99"
echo "pings recorded in the state database: $pings ($fleet_heard of the $FLEET fleet checks heard from)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
echo "BENCH web pings_per_s $p_rps $n_rps $(ratio "$p_rps" "$n_rps")"
echo "BENCH web ping_p99_ms $p_p99 $n_p99 $(ratio "$p_p99" "$n_p99")"
echo "BENCH web pings_per_s_20k_history $q_rps $n_rps $(ratio "$q_rps" "$n_rps")"
echo "BENCH web pings_per_s_1000_checks $f_rps $n_rps $(ratio "$f_rps" "$n_rps")"
echo "BENCH web ping_p99_ms_1000_checks $f_p99 $n_p99 $(ratio "$f_p99" "$n_p99")"
if [ -n "$g_rps" ]; then
	echo "BENCH web pings_per_s_pg $g_rps $n_rps $(ratio "$g_rps" "$n_rps")"
	echo "BENCH web ping_p99_ms_pg $g_p99 $n_p99 $(ratio "$g_p99" "$n_p99")"
	echo "BENCH web pings_per_s_1000_checks_pg $h2_rps $n_rps $(ratio "$h2_rps" "$n_rps")"
fi
echo "BENCH web healthz_per_s $h_rps $n_rps $(ratio "$h_rps" "$n_rps")"
echo "BENCH web status_page_per_s $s_rps $n_rps $(ratio "$s_rps" "$n_rps")"
echo "BENCH web api_checks_per_s $a_rps $n_rps $(ratio "$a_rps" "$n_rps")"
echo "BENCH web metrics_per_s $m_rps $n_rps $(ratio "$m_rps" "$n_rps")"
