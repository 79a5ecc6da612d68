#!/usr/bin/env bash
# bench_memory.sh - what the daemon costs in resident memory when it
# watches many things, beside Monit watching as many.  A monitor runs on
# every server for years, so its footprint per check is a real cost.
#
# ackbeat: N freshness checks (newest row of a table in a small SQLite
# file at most a day old) on an hourly schedule, plus 10 such checks
# without a schedule that run on every tick (tick = 1 s), in `ackbeat
# run`.  Monit 5.33 (Debian's monit): N `check file` entries (mtime of the
# same SQLite file at most a day old: the same question), cycle 1 s,
# in the foreground (-I) with private pid/id/state files and no httpd.
#
# For N = 1,000 and 100,000 (BENCH_MEMORY_SIZES="1000 100000"), each
# daemon's VmRSS once it is ready (ackbeat: READY=1 after its first tick,
# caught on a notify socket; Monit: a last `check program` that touches a
# file, so the end of its first cycle),
# then VmRSS and VmHWM after BENCH_MEMORY_TICKS more seconds (default 10).
# Figures in kB.  Ends with lines
#   BENCH memory <metric> <value> <baseline_value> <ratio>
# (baseline = Monit; ratio < 1 means ackbeat uses less).
#
# With BEFORE=PATH (another build of ackbeat, e.g. the previous commit's),
# that binary runs too, on the same files just before ackbeat, and each
# size adds lines <metric>_vs_before (baseline = the older build).
# Either binary finds the templates of this checkout (ACKBEAT_TEMPLATES).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ACKBEAT_BIN:-$root/build/ackbeat}
before=${BEFORE:-}
sizes=${BENCH_MEMORY_SIZES:-1000 100000}
ticks=${BENCH_MEMORY_TICKS:-10}
export ACKBEAT_TEMPLATES=${ACKBEAT_TEMPLATES:-$root/templates/default}
[ -x "$bin" ] || { echo "bench_memory: no $bin (make build/ackbeat)" >&2; exit 1; }
[ -z "$before" ] || [ -x "$before" ] || { echo "bench_memory: BEFORE=$before is not a program" >&2; exit 1; }
# The baseline is Debian's monit; as root the bench installs it itself.
if ! command -v monit >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q monit >/dev/null || true
fi
command -v monit >/dev/null || { echo "bench_memory: monit is missing (scripts/install-deps bench)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench_memory: python3 is missing" >&2; exit 1; }

work=$(mktemp -d /tmp/bench_memory.XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

sqlite3 "$work/data.db" "CREATE TABLE t(ts TEXT); INSERT INTO t VALUES (strftime('%Y-%m-%dT%H:%M:%SZ','now'));"

gen_ackbeat() { # N FILE
    python3 - "$1" "$2" "$work" <<'PY'
import sys
n, path, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(path, "w") as f:
    f.write('<ackbeat name="bench" tick="1s">\n')
    f.write(f'  <state path="{work}/state-{n}.db"/>\n')
    f.write(f'  <mail from="ackbeat@example.test" transport="maildir:{work}/Maildir"/>\n')
    f.write('  <recipients><person name="ops" email="ops@example.test"/></recipients>\n')
    f.write('  <alerting notify="ops"/>\n  <schedule name="hourly" every="1h"/>\n')
    f.write(f'  <sources><sqlite name="db" path="{work}/data.db"/></sources>\n  <checks>\n')
    for i in range(n):
        sched = '' if i < 10 else ' schedule="hourly"'
        f.write(f'    <freshness name="c{i}" source="db" table="t" column="ts" max-age="1d"{sched}/>\n')
    f.write('  </checks>\n</ackbeat>\n')
PY
}

gen_monit() { # N FILE
    python3 - "$1" "$2" "$work" <<'PY'
import sys
n, path, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(path, "w") as f:
    f.write("set daemon 1\n")
    f.write(f"set pidfile {work}/monit-{n}.pid\nset idfile {work}/monit-{n}.id\n")
    f.write(f"set statefile {work}/monit-{n}.state\nset logfile {work}/monit-{n}.log\n")
    for i in range(n):
        f.write(f"check file c{i} with path {work}/data.db\n  if timestamp > 1 day then alert\n")
    # Services are checked in order: this last one marks a finished cycle.
    f.write(f'check program zz-cycle with path "/usr/bin/touch {work}/monit-{n}.cycle"\n'
            "  if status != 0 then alert\n")
PY
    chmod 600 "$2"
}

# The notify listener stands in for systemd: READY=1 marks "started".
listen() { # SOCKET LOG
    python3 - "$1" "$2" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(1)
end = time.monotonic() + 1800
with open(sys.argv[2], "a", buffering=1) as f:
    while time.monotonic() < end:
        try: f.write(s.recv(4096).decode() + "\n")
        except socket.timeout: pass
PY
    pids+=($!)
}

# run_ackbeat BIN N TAG: starts BIN on the N-check config, sets
# a_ready_ms, a_start, a_rss, a_hwm and a_ticks, and stops it.
run_ackbeat() {
    local b=$1 n=$2 tag=$3
    local sock=$work/notify-$n-$tag.sock log=$work/notify-$n-$tag.log
    listen "$sock" "$log"
    for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    local t0
    t0=$(now_ms)
    NOTIFY_SOCKET=$sock "$b" run -c "$work/ackbeat-$n.xml" --log-level warn \
        >"$work/ackbeat-$n-$tag.out" 2>"$work/ackbeat-$n-$tag.err" &
    local apid=$!
    pids+=("$apid")
    until grep -q READY=1 "$log" 2>/dev/null; do
        kill -0 "$apid" 2>/dev/null || { echo "bench_memory: $b exited:"; tail "$work/ackbeat-$n-$tag.err"; exit 1; }
        sleep 0.2
    done
    a_ready_ms=$(($(now_ms) - t0))
    a_start=$(kb "$apid" VmRSS)
    sleep "$ticks"
    a_rss=$(kb "$apid" VmRSS)
    a_hwm=$(kb "$apid" VmHWM)
    a_ticks=$(grep -c STATUS= "$log")
    kill -TERM "$apid"
    wait "$apid" || true
    rm -f "$work"/state-"$n".db*
}

results=()
for n in $sizes; do
    # --- ackbeat (and the older build) ---------------------------------------
    gen_ackbeat "$n" "$work/ackbeat-$n.xml"
    if [ -n "$before" ]; then
        run_ackbeat "$before" "$n" before
        b_ready_ms=$a_ready_ms b_start=$a_start b_rss=$a_rss b_hwm=$a_hwm
        echo "N=$n: before ready in ${b_ready_ms} ms ($a_ticks ticks), RSS ${b_start} -> ${b_rss} kB, HWM ${b_hwm} kB"
    fi
    run_ackbeat "$bin" "$n" now
    if [ -n "$before" ]; then
        results+=("rss_kb_at_start_${n}_vs_before $a_start $b_start"
                  "rss_kb_after_${ticks}s_${n}_vs_before $a_rss $b_rss"
                  "hwm_kb_${n}_vs_before $a_hwm $b_hwm"
                  "ms_to_ready_${n}_vs_before $a_ready_ms $b_ready_ms")
    fi

    # --- Monit -----------------------------------------------------------
    gen_monit "$n" "$work/monitrc-$n"
    monit -t -c "$work/monitrc-$n" >/dev/null
    t0=$(now_ms)
    monit -I -c "$work/monitrc-$n" >"$work/monit-$n.out" 2>&1 &
    mpid=$!
    pids+=("$mpid")
    until [ -e "$work/monit-$n.cycle" ]; do
        kill -0 "$mpid" 2>/dev/null || { echo "bench_memory: monit exited:"; tail "$work/monit-$n.out" "$work/monit-$n.log"; exit 1; }
        sleep 0.2
    done
    m_ready_ms=$(($(now_ms) - t0))
    m_start=$(kb "$mpid" VmRSS)
    sleep "$ticks"
    m_rss=$(kb "$mpid" VmRSS)
    m_hwm=$(kb "$mpid" VmHWM)
    kill -TERM "$mpid"
    wait "$mpid" || true

    echo "N=$n: ackbeat ready in ${a_ready_ms} ms ($a_ticks ticks), RSS ${a_start} -> ${a_rss} kB, HWM ${a_hwm} kB;" \
         "monit ready in ${m_ready_ms} ms, RSS ${m_start} -> ${m_rss} kB, HWM ${m_hwm} kB"
    results+=("rss_kb_at_start_$n $a_start $m_start"
              "rss_kb_after_${ticks}s_$n $a_rss $m_rss"
              "hwm_kb_$n $a_hwm $m_hwm"
              "ms_to_ready_$n $a_ready_ms $m_ready_ms")
done

for r in "${results[@]}"; do
    read -r metric v b <<<"$r"
    awk -v m="$metric" -v v="$v" -v b="$b" \
        'BEGIN { printf "BENCH memory %s %d %d %.2f\n", m, v, b, (b > 0 ? v / b : 0) }'
done
