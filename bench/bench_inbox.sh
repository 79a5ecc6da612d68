#!/usr/bin/env bash
# bench_inbox.sh - read, parse and classify N (default 10,000) messages from
# a local Dovecot over IMAP: ackbeat's inbox_poll (batched UID FETCH over one
# libcurl connection, GMime, classify, record in SQLite, mark \Seen) against
# a Python baseline (imaplib batched UID FETCH + email package + a comparable
# classification, nothing stored), in the same run, on the same folder.
#
# Usage: bench/bench_inbox.sh [N]     (B=build dir, default build)
# Uses the stack of $ACKBEAT_STACK_DIR if set, else starts its own on ports
# 47xx (tests/stack/start.sh, as root) and removes it afterwards.
# Ends with:  BENCH inbox <metric> <value> <baseline_value> <ratio>
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
B=${B:-build}
RUNS=${RUNS:-3}
work=$(mktemp -d /tmp/abbench.XXXXXX)
chmod 755 "$work" # postfix, dovecot and postgres must traverse it
own_stack=
cleanup() {
	[ -n "$own_stack" ] && tests/stack/stop.sh "$own_stack" --rm >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# The driver: build/bench/bench_inbox from `make bench`, else built here
# from the three archives it needs.
drv=$B/bench/bench_inbox
if [ ! -x "$drv" ]; then
	make -s "$B/libinbox.a" "$B/libstore.a" "$B/libcommon.a" >/dev/null
	pk="gmime-3.0 libcurl sqlite3"
	drv=$work/bench_inbox
	${CC:-cc} -std=c17 -O2 -D_GNU_SOURCE -I. $(pkg-config --cflags $pk) -o "$drv" \
		bench/bench_inbox.c "$B/libinbox.a" "$B/libstore.a" "$B/libcommon.a" $(pkg-config --libs $pk)
fi

if [ -n "${ACKBEAT_STACK_DIR:-}" ] && [ -r "$ACKBEAT_STACK_DIR/stack.env" ]; then
	. "$ACKBEAT_STACK_DIR/stack.env"
else
	own_stack=$work/stack
	mkdir -p "$own_stack"
	ACKBEAT_STACK_PG=0 ACKBEAT_STACK_SMTP_PORT=4725 ACKBEAT_STACK_SUBMISSION_PORT=4787 \
		ACKBEAT_STACK_SMTPS_PORT=4765 ACKBEAT_STACK_IMAP_PORT=4743 ACKBEAT_STACK_IMAPS_PORT=4793 \
		tests/stack/start.sh "$own_stack" >/dev/null
	. "$own_stack/stack.env"
fi
user=heartbeat
pw=$ACKBEAT_STACK_PASSWORD_heartbeat
folder=Bench-$$-$RANDOM

# Load N messages with one IMAP session of APPENDs (the corpus, cycled,
# each with a Message-ID of its own).
python3 - "$ACKBEAT_STACK_HOST" "$ACKBEAT_STACK_IMAP_PORT" "$user" "$pw" "$folder" "$N" <<'PY'
import glob, imaplib, re, sys, time
host, port, user, pw, folder, n = sys.argv[1:7]
files = sorted(glob.glob("tests/data/mail/*.eml"))
msgs = [open(f, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for f in files]
im = imaplib.IMAP4(host, int(port)); im.login(user, pw); im.create(folder)
for i in range(int(n)):
    m = re.sub(rb"(?im)^(Message-I[Dd]: <)", rb"\g<1>b%d." % i, msgs[i % len(msgs)], count=1)
    im.append(folder, None, None, m)
im.logout()
PY

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -E "s/.*$1=([0-9.]+).*/\1/"; }
: >"$work/c" ; : >"$work/py"
for r in $(seq "$RUNS"); do
	rm -f "$work/state.db"*
	"$drv" "$work/state.db" "$ACKBEAT_STACK_IMAP_URL/$folder" "$user" "$pw" | tee -a "$work/c"
	python3 bench/bench_inbox.py "$ACKBEAT_STACK_HOST" "$ACKBEAT_STACK_IMAP_PORT" "$user" "$pw" "$folder" | tee -a "$work/py"
done
cm=$(field messages <"$work/c" | head -1)
[ "$cm" = "$N" ] || { echo "bench_inbox: read $cm of $N messages" >&2; exit 1; }
cs=$(field seconds <"$work/c" | median)
ps=$(field seconds <"$work/py" | median)
cr=$(field rss_kb <"$work/c" | median)
pr=$(field rss_kb <"$work/py" | median)
awk -v n="$N" -v cs="$cs" -v ps="$ps" -v cr="$cr" -v pr="$pr" 'BEGIN {
	printf "BENCH inbox msgs_per_s %.0f %.0f %.2f\n", n / cs, n / ps, (n / cs) / (n / ps)
	printf "BENCH inbox peak_rss_kb %d %d %.2f\n", cr, pr, cr / pr
}'
