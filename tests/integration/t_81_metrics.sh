#!/usr/bin/env bash
# t_81_metrics - /metrics by Prometheus' conventions, checked by Prometheus'
# own linter: after check runs, a heartbeat cycle with one confirmation by
# mail, pings and a sent mail, `promtool check metrics` must print nothing,
# every family must have HELP and TYPE, counters end in _total and count
# what happened, instants are _timestamp_seconds, and ackbeat_build_info
# is 1.  Mail goes to a Maildir and the inbox is one: no stack needed.
. "$AB_SRCDIR/tests/integration/lib.sh"

PROMTOOL=$(command -v promtool || true)
[ -n "$PROMTOOL" ] || skip_all "promtool is not installed (Debian package prometheus)"
command -v curl >/dev/null || skip_all "curl is not installed"

port=
for p in $(seq 18100 18119); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || skip_all "no free port in 18100-18119"

cd "$T_DIR" || exit 1
mkdir -p in/new in/cur in/tmp
cat >ackbeat.xml <<EOF
<ackbeat name="Metrics" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@m.test" transport="maildir:out"/>
  <inbox url="maildir:in" reply-address="heartbeat@m.test"/>
  <recipients>
    <person name="kim" email="kim@m.test"/>
    <person name="lee" email="lee@m.test"/>
  </recipients>
  <alerting notify="kim" repeat="24h"/>
  <checks>
    <command name="disk" command="/bin/true"/>
    <ping name="etl" token="etlmetricstoken0123456789" period="1d" grace="1h"/>
    <heartbeat name="monthly" to="kim lee" grace="7d"/>
  </checks>
</ackbeat>
EOF
T0=2026-12-01T08:00:00Z
check "tick 1" "$ACKBEAT" tick -c ackbeat.xml --now $T0
check "tick 2" "$ACKBEAT" tick -c ackbeat.xml --now 2026-12-01T08:01:00Z
check "a heartbeat cycle opens (2 people asked)" "$ACKBEAT" send -c ackbeat.xml monthly --now 2026-12-01T08:02:00Z
check "a ping reports" "$ACKBEAT" report -c ackbeat.xml etl --status Healthy --now 2026-12-01T08:03:00Z

# Kim answers her request.
req=$(grep -l '^To:.*kim@m.test' out/new/* | xargs grep -il '^Message-ID: <hb\.' | head -n 1)
msgid=$(sed -n 's/^Message-ID: *//Ip' "$req" | head -n 1 | tr -d '\r')
replyto=$(sed -n 's/^Reply-To: *//Ip' "$req" | head -n 1 | tr -d '\r')
check "kim's request has a Message-ID and a Reply-To" test -n "$msgid" -a -n "$replyto"
cat >in/new/1.eml <<EOF
From: Kim <kim@m.test>
To: $replyto
Subject: Re: heartbeat
Date: Tue, 01 Dec 2026 09:00:00 +0000
Message-ID: <reply1@m.test>
In-Reply-To: $msgid
References: $msgid

Yes, still here.
EOF
check "the inbox is read" "$ACKBEAT" inbox poll -c ackbeat.xml --now 2026-12-01T09:05:00Z

"$ACKBEAT" web -c ackbeat.xml --listen "127.0.0.1:$port" --now 2026-12-01T09:10:00Z \
	>web.out 2>web.err &
pid=$!
at_exit "kill $pid 2>/dev/null"
check "ackbeat web listens" wait_until 15 curl -sf "http://127.0.0.1:$port/healthz"
curl -s "http://127.0.0.1:$port/metrics" >metrics.txt
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

lint=$("$PROMTOOL" check metrics <metrics.txt 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && [ -z "$lint" ]; then
	ok "promtool check metrics is clean"
else
	not_ok "promtool check metrics is clean" "exit $rc" "$lint"
fi
m=$(cat metrics.txt)
# Every family that has samples has HELP and TYPE; counters end in _total.
bad=$(awk '/^# HELP /{h[$3]=1} /^# TYPE /{t[$3]=$4}
	!/^#/ && NF {n=$1; sub(/\{.*/, "", n); if (!h[n] || !t[n]) print "no HELP/TYPE: " n}
	/^# TYPE / && $4 == "counter" && $3 !~ /_total$/ {print "counter without _total: " $3}' metrics.txt | sort -u)
check_eq "every family has HELP and TYPE; counters end in _total" "${bad:-none}" none
check_like "build info" "$m" '(^|'$'\n'')ackbeat_build_info\{version="[0-9]+\.[0-9]+\.[0-9]+[^"]*"\} 1('$'\n''|$)'
check_like "runs counted per check (two ticks and the send's)" "$m" 'ackbeat_check_runs_total\{check="disk"\} [2-3]'
check_contains "counters are typed counter" "$m" '# TYPE ackbeat_check_runs_total counter'
check_like "the last run as a timestamp" "$m" \
	"ackbeat_check_last_run_timestamp_seconds\\{check=\"disk\"\\} 1796112[01][0-9]{2}"
check_contains "pings counted" "$m" 'ackbeat_pings_total{check="etl",kind="success"} 1'
check_contains "inbox messages per class" "$m" 'ackbeat_inbox_messages_total{class="ack"} 1'
check_like "notifications sent per channel" "$m" 'ackbeat_notifications_sent_total\{channel="email"\} [2-9]'
check_contains "notifications failed per channel" "$m" 'ackbeat_notifications_failed_total{channel="email"} 0'
check_contains "the last inbox read as a timestamp" "$m" \
	"ackbeat_inbox_last_read_timestamp_seconds $(date -u -d 2026-12-01T09:05:00Z +%s)"
check_contains "heartbeat: asked" "$m" 'ackbeat_heartbeat_asked{check="monthly"} 2'
check_contains "heartbeat: confirmed" "$m" 'ackbeat_heartbeat_confirmed{check="monthly"} 1'
check_contains "heartbeat: bounced" "$m" 'ackbeat_heartbeat_bounced{check="monthly"} 0'
done_testing
