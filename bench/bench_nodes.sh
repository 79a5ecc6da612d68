#!/usr/bin/env bash
# bench_nodes.sh - a tick of many checks on one, two and three nodes
# sharing one PostgreSQL, beside one node on SQLite, in the same run
# (issue 16).
#
# The config: BENCH_NODES_CHECKS (default 100,000) freshness checks on a
# small SQLite source, with no schedule, so every check is due at every
# tick.  Each setup starts from an empty state; one node ticks once to
# create it (not measured), then K nodes run `ackbeat tick` at the same
# --now, started together.  A tick's own time is its "tick: took N ms"
# debug line (the config load before it is the same for every setup and
# left out).  Figures:
#   checks_per_s_<setup>       checks run by all nodes / the slowest tick,
#                              baseline: one node on SQLite
#   claim_us_per_check_<db>    a claim taken and done, commits included
#                              (bench_nodes.c), baseline: the whole tick's
#                              cost per check on one node of that db
# PostgreSQL runs with fsync and synchronous_commit on (the test stack
# turns them off), as SQLite runs with synchronous=FULL: both durable.
#
# PostgreSQL: bench/pg_stack.sh (the stack's, or one of our own as root).
# Ends with lines  BENCH nodes <metric> <value> <baseline_value> <ratio>
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
B=${B:-build}
bin=${ACKBEAT_BIN:-$root/$B/ackbeat}
n=${BENCH_NODES_CHECKS:-100000}
export ACKBEAT_TEMPLATES=${ACKBEAT_TEMPLATES:-$root/templates/default}
[ -x "$bin" ] || { echo "bench_nodes: no $bin (make $B/ackbeat)" >&2; exit 1; }
drv=$B/bench/bench_nodes
[ -x "$drv" ] || make -s "$drv" >/dev/null

work=$(mktemp -d /tmp/bench_nodes.XXXXXX)
chmod 755 "$work"
# shellcheck source=bench/pg_stack.sh
. bench/pg_stack.sh
cleanup() {
	pg_stack_down
	rm -rf "$work"
	return 0
}
trap cleanup EXIT
pg_stack_up "$work" || { echo "bench_nodes: no PostgreSQL (run inside a stack, or as root)" >&2; exit 1; }

# Fresh at the bench's --now (the ticks run in 2030): every check Healthy.
sqlite3 "$work/data.db" "CREATE TABLE t(ts TEXT); INSERT INTO t VALUES ('2030-01-07T09:30:00Z');"
gen() { # STATE-ELEMENT FILE
	python3 - "$n" "$1" "$2" "$work" <<'PY'
import sys
n, state, path, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(path, "w") as f:
    f.write('<ackbeat name="bench" tick="1m">\n  %s\n' % state)
    f.write(f'  <mail from="ackbeat@example.test" transport="maildir:{work}/Maildir"/>\n')
    f.write('  <recipients><person name="ops" email="ops@example.test"/></recipients>\n')
    f.write('  <alerting notify="ops"/>\n')
    f.write(f'  <sources><sqlite name="db" path="{work}/data.db"/></sources>\n  <checks>\n')
    for i in range(n):
        f.write(f'    <freshness name="c{i}" source="db" table="t" column="ts" max-age="1d"/>\n')
    f.write('  </checks>\n</ackbeat>\n')
PY
}

T0=2030-01-07T10:00:00Z
T1=2030-01-07T10:01:00Z
# setup NAME K: a fresh state, a warm-up tick, then K ticks at once; sets
# rate (checks/s), ran (checks run in all) and slow_ms (the slowest tick)
setup() {
	local name=$1 k=$2 cfg=$work/$1.xml i
	"$bin" tick -c "$cfg" --now "$T0" --no-send --log-level warn >"$work/$name.warm" 2>&1
	for i in $(seq 1 "$k"); do
		"$bin" tick -c "$cfg" --now "$T1" --no-send --log-level debug >"$work/$name.$i.out" 2>&1 &
	done
	wait
	ran=0 slow_ms=0
	for i in $(seq 1 "$k"); do
		local r t
		r=$(sed -n 's/^tick: \([0-9]*\) run,.*/\1/p' "$work/$name.$i.out")
		t=$(sed -n 's/.*tick: took \([0-9.]*\) ms.*/\1/p' "$work/$name.$i.out")
		if [ -z "$r" ] || [ -z "$t" ]; then echo "bench_nodes: $name node $i:"; tail -3 "$work/$name.$i.out"; exit 1; fi
		ran=$((ran + r))
		slow_ms=$(awk -v a="$slow_ms" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
		echo "  $name node $i: $r run in $t ms"
	done
	rate=$(awk -v r="$ran" -v t="$slow_ms" 'BEGIN { printf "%.0f", r * 1000 / t }')
	echo "$name: $ran checks run by $k node(s), slowest tick $slow_ms ms: $rate checks/s"
}

echo "bench_nodes: $n checks, all due at each tick"
gen "<state path=\"$work/state.db\"/>" "$work/sqlite.xml"
setup sqlite 1
base_rate=$rate
sqlite_us=$(awk -v t="$slow_ms" -v r="$ran" 'BEGIN { printf "%.2f", t * 1000 / r }')
declare -A rates
for k in 1 2 3; do
	pg_db "bench_nodes_$k"
	gen "<state url=\"$pg_base/bench_nodes_$k\" password-env=\"PGPASSWORD\"/>" "$work/pg$k.xml"
	setup "pg$k" "$k"
	rates[$k]=$rate
	[ "$k" = 1 ] && pg_us=$(awk -v t="$slow_ms" -v r="$ran" 'BEGIN { printf "%.2f", t * 1000 / r }')
done

# The claim alone.
rm -f "$work/claims.db"
c_sqlite=$("$drv" "$work/claims.db" 20000 | awk '{print $2}')
pg_db bench_nodes_claims
c_pg=$("$drv" "$pg_base/bench_nodes_claims" 20000 | awk '{print $2}')
for k in 1 2 3; do pg_drop "bench_nodes_$k"; done
pg_drop bench_nodes_claims

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "BENCH nodes checks_per_s_sqlite_1_node $base_rate $base_rate 1.00"
for k in 1 2 3; do
	echo "BENCH nodes checks_per_s_pg_${k}_node ${rates[$k]} $base_rate $(ratio "${rates[$k]}" "$base_rate")"
done
echo "BENCH nodes claim_us_per_check_sqlite $c_sqlite $sqlite_us $(ratio "$c_sqlite" "$sqlite_us")"
echo "BENCH nodes claim_us_per_check_pg $c_pg $pg_us $(ratio "$c_pg" "$pg_us")"
