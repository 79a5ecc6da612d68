#!/usr/bin/env bash
# bench_mail.sh - send N (default 5,000) messages to the local Postfix
# (smtpd, no auth, no TLS) through ackbeat's outbox: each message built
# (GMime), stored (one SQLite transaction), then drained as the daemon
# drains: a backlog over four SMTP connections, each recipient marked sent
# after Postfix's 250, in one commit per group of up to 32 messages.
# Side by side in the same run, against the same server:
#   - Postfix's own smtp-source, one session, one connection (-d), with the
#     same message size: what the server can take from one sequential
#     client;
#   - one `curl smtp://` process per message (C of them, default 300): the
#     naive way.
# Runs are interleaved (ackbeat, smtp-source, curl) RUNS times (default 3)
# and the medians compared, since this machine's load varies by +-20 %;
# before each sender Postfix's queue is let drain, so nobody pays for the
# previous sender's deliveries.
#
# With BEFORE=PATH (another build of the driver, e.g. from the previous
# commit), that driver is run too, in each round just before ackbeat's,
# so a change to the mailer is measured against the old code under the
# same load: one more line, send_msgs_per_s_vs_before.
#
# Usage: bench/bench_mail.sh [N] [C]        (B=build dir, default build)
# Uses the stack of $ACKBEAT_STACK_DIR if set, else starts its own on ports
# 48xx (tests/stack/start.sh, as root) and removes it afterwards.
# Ends with:  BENCH mail <metric> <value> <baseline_value> <ratio>
# (ratio = ackbeat / baseline: above 1 ackbeat is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
C=${2:-300}
B=${B:-build}
RUNS=${RUNS:-3}
work=$(mktemp -d /tmp/abbench.XXXXXX)
chmod 755 "$work" # the stack's daemons (postfix, dovecot users) must traverse it
own_stack=
cleanup() {
	[ -n "$own_stack" ] && tests/stack/stop.sh "$own_stack" --rm >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

command -v smtp-source >/dev/null || PATH=$PATH:/usr/sbin
command -v smtp-source >/dev/null || { echo "bench_mail: smtp-source not found (package postfix)" >&2; exit 1; }

# The driver: build/bench/bench_mail from `make bench`, else built here
# from the archives it needs.
drv=$B/bench/bench_mail
if [ ! -x "$drv" ]; then
	libs="$B/libmailer.a $B/libstore.a $B/libconfig.a $B/libschedules.a $B/libcommon.a"
	# shellcheck disable=SC2086
	make -s $libs >/dev/null
	pk="gmime-3.0 libcurl sqlite3 libxml-2.0 libical"
	drv=$work/bench_mail
	# shellcheck disable=SC2086,SC2046
	${CC:-cc} -std=c17 -O2 -D_GNU_SOURCE -I. $(pkg-config --cflags $pk) -o "$drv" \
		bench/bench_mail.c -Wl,--start-group $libs -Wl,--end-group $(pkg-config --libs $pk) -lm -lpthread
fi

if [ -n "${ACKBEAT_STACK_DIR:-}" ] && [ -r "$ACKBEAT_STACK_DIR/stack.env" ]; then
	# shellcheck disable=SC1091
	. "$ACKBEAT_STACK_DIR/stack.env"
else
	own_stack=$work/stack
	mkdir -p "$own_stack"
	ACKBEAT_STACK_PG=0 ACKBEAT_STACK_SMTP_PORT=4825 ACKBEAT_STACK_SUBMISSION_PORT=4887 \
		ACKBEAT_STACK_SMTPS_PORT=4865 ACKBEAT_STACK_IMAP_PORT=4843 ACKBEAT_STACK_IMAPS_PORT=4893 \
		tests/stack/start.sh "$own_stack" >/dev/null
	# shellcheck disable=SC1091
	. "$own_stack/stack.env"
fi
H=$ACKBEAT_STACK_HOST
P=$ACKBEAT_STACK_SMTP_PORT
from=heartbeat@example.test
to=bob@example.test

now() { date +%s.%N; }
# Wait until Postfix has delivered everything (up to 3 min), so that each
# sender meets an idle server rather than the previous one's backlog.
settle() {
	local i
	for i in $(seq 1800); do
		postqueue -c "$ACKBEAT_STACK_POSTFIX_CONF" -p 2>/dev/null | grep -q '^Mail queue is empty' && return 0
		sleep 0.1
	done
	echo "bench_mail: Postfix queue not empty after 3 minutes" >&2
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -nE "s/.*$1=([0-9.]+).*/\1/p"; }

: >"$work/ab" ; : >"$work/ss" ; : >"$work/curl" ; : >"$work/before"
for r in $(seq "$RUNS"); do
	if [ -n "${BEFORE:-}" ]; then
		rm -f "$work/state.db"*
		settle
		echo "-- run $r: the BEFORE driver's outbox, $N messages"
		"$BEFORE" "$work/state.db" "smtp://$H:$P/bench.test" "$from" "$to" "$N" |
			tee -a "$work/before"
	fi
	rm -f "$work/state.db"*
	settle
	echo "-- run $r: ackbeat outbox, $N messages"
	"$drv" "$work/state.db" "smtp://$H:$P/bench.test" "$from" "$to" "$N" "$work/sample.eml" |
		tee -a "$work/ab"
	bytes=$(field message_bytes <"$work/ab" | tail -1)

	settle
	echo "-- run $r: smtp-source -d -s 1 -m $N -l $bytes"
	t0=$(now)
	smtp-source -d -s 1 -m "$N" -l "$bytes" -f "$from" -t "$to" -M bench.test "$H:$P"
	t1=$(now)
	awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "smtp-source n=%d seconds=%.3f rate=%.1f\n", n, b - a, n / (b - a) }' |
		tee -a "$work/ss"

	settle
	echo "-- run $r: $C curl processes"
	t0=$(now)
	for i in $(seq "$C"); do
		curl -sS "smtp://$H:$P/bench.test" --mail-from "$from" --mail-rcpt "$to" \
			-T "$work/sample.eml" || { echo "bench_mail: curl failed" >&2; exit 1; }
	done
	t1=$(now)
	awk -v n="$C" -v a="$t0" -v b="$t1" 'BEGIN { printf "curl n=%d seconds=%.3f rate=%.1f\n", n, b - a, n / (b - a) }' |
		tee -a "$work/curl"
done

sent=$(grep '^drain' "$work/ab" | field sent | sort -n | head -1)
[ "$sent" = "$N" ] || { echo "bench_mail: only $sent of $N sent" >&2; exit 1; }
send=$(grep '^drain' "$work/ab" | field rate | median)
enq_s=$(grep '^enqueue' "$work/ab" | field seconds | median)
drn_s=$(grep '^drain' "$work/ab" | field seconds | median)
ss=$(field rate <"$work/ss" | median)
cu=$(field rate <"$work/curl" | median)
awk -v n="$N" -v send="$send" -v es="$enq_s" -v ds="$drn_s" -v ss="$ss" -v cu="$cu" 'BEGIN {
	e2e = n / (es + ds)
	printf "ackbeat: send %.0f msg/s, build+store+send %.0f msg/s; smtp-source %.0f msg/s; curl per process %.0f msg/s\n", send, e2e, ss, cu
	printf "BENCH mail send_msgs_per_s_vs_smtp_source %.0f %.0f %.2f\n", send, ss, send / ss
	printf "BENCH mail store_and_send_msgs_per_s_vs_smtp_source %.0f %.0f %.2f\n", e2e, ss, e2e / ss
	printf "BENCH mail send_msgs_per_s_vs_curl_per_message %.0f %.0f %.2f\n", send, cu, send / cu
}'
if [ -n "${BEFORE:-}" ]; then
	bs=$(grep '^drain' "$work/before" | field rate | median)
	awk -v send="$send" -v bs="$bs" -v ss="$ss" 'BEGIN {
	printf "before: send %.0f msg/s (%.2fx smtp-source)\n", bs, bs / ss
	printf "BENCH mail send_msgs_per_s_vs_before %.0f %.0f %.2f\n", send, bs, send / bs
}'
fi
