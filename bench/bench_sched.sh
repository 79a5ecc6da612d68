#!/usr/bin/env bash
# bench_sched.sh - build and run bench/bench_sched.c (see its header):
# next fire time for 100,000 schedules and a year of fire times for 1,000,
# each beside a naive minute-stepping baseline measured in the same run.
#
# Usage: bench/bench_sched.sh [n-schedules [n-year]]   (B=build dir)
# Ends with:  BENCH sched <metric> <value> <baseline_value> <ratio>
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
drv=$B/bench/bench_sched
make -s "$B/libschedules.a" "$B/libcommon.a" >/dev/null
if [ ! -x "$drv" ] || [ bench/bench_sched.c -nt "$drv" ] ||
	[ "$B/libschedules.a" -nt "$drv" ]; then
	mkdir -p "$B/bench"
	# shellcheck disable=SC2046
	${CC:-cc} -std=c17 -O2 -g -D_GNU_SOURCE -I. $(pkg-config --cflags libical) \
		-o "$drv" bench/bench_sched.c "$B/libschedules.a" "$B/libcommon.a" \
		$(pkg-config --libs libical) -lpthread -lm
fi
exec "$drv" "$@"
