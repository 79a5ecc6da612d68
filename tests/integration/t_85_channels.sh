#!/usr/bin/env bash
# t_85_channels - notices beyond email (issue 18), against small HTTP
# receivers this test starts on 127.0.0.1 (tests/helpers/http_receiver.py
# records every request and can answer 500 first) and a real command.
#
# 1. A check fails: the webhook (signed, answering 500 once), a Slack
#    hook, an ntfy topic with a token, a Matrix room (500 once) and a
#    command are told, beside alice's email over the shared Postfix.  The
#    webhook's body is the notice's JSON with its HMAC-SHA256 signature;
#    a retry after the 500 sends the same bytes with the same delivery id
#    (Matrix: the same transaction id in the path); `ackbeat outbox` shows
#    them; more ticks send nothing twice; the resolved notice follows.
# 2. The fallback, on a private stack whose Postfix is stopped: once mail
#    has failed for fallback-after, a "mail delivery is failing" alert is
#    told to the fallback webhook, new notices go there too, and when
#    Postfix is back and the mail leaves, the alert resolves there.
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ -x "$ACKBEAT" ] || skip_all "no binary at $ACKBEAT"
command -v python3 >/dev/null || skip_all "python3 is missing"

RECV=$AB_SRCDIR/tests/helpers/http_receiver.py
t0=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
tag="chan-$$-$RANDOM"

# A receiver on the first free port from $2 (to 19999), in this shell
# (not a $(...) subshell, whose exit would stop it): sets $PORT.
start_receiver() { # NAME FIRST_PORT ARGS...
	local name=$1 port=$2
	shift 2
	while [ "$port" -le 19999 ]; do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			rm -f "$T_DIR/$name.log.ready"
			python3 "$RECV" "$port" "$T_DIR/$name.log" "$@" 2>>"$T_DIR/$name.err" &
			at_exit "kill $! 2>/dev/null"
			if wait_until 5 test -e "$T_DIR/$name.log.ready"; then
				PORT=$port
				return 0
			fi
		fi
		port=$((port + 1))
	done
	return 1
}
# Field F of request N (1-based) in receiver NAME's log.
req() { # NAME N EXPR
	python3 - "$T_DIR/$1.log" "$2" "$3" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])] if __import__("os").path.exists(sys.argv[1]) else []
n = int(sys.argv[2])
if n > len(rows):
    sys.exit(1)
r = rows[n - 1]
print(eval(sys.argv[3], {"r": r, "json": json}))
EOF
}
count() { [ -f "$T_DIR/$1.log" ] && wc -l <"$T_DIR/$1.log" | tr -d ' ' || echo 0; }

start_receiver hook 19101 --fail-first 1 || skip_all "no free port for a receiver"
hook=$PORT
start_receiver slack 19121 || skip_all "no free port"
slack=$PORT
start_receiver ntfy 19141 || skip_all "no free port"
ntfy=$PORT
start_receiver matrix 19161 --fail-first 1 || skip_all "no free port"
matrix=$PORT
ok "receivers listen on 127.0.0.1:$hook, $slack, $ntfy, $matrix"

cat >"$T_DIR/job.sh" <<'EOF'
#!/bin/sh
[ -e "$(dirname "$0")/down" ] && { echo "CRITICAL - the job is down"; exit 2; }
echo "OK - the job runs"; exit 0
EOF
cat >"$T_DIR/pager.sh" <<EOF
#!/bin/sh
cat >"$T_DIR/pager.\$ACKBEAT_NOTICE.json"
echo "\$1|\$ACKBEAT_CHECK|\$ACKBEAT_STATUS|\$ACKBEAT_NOTICE|\$ACKBEAT_DELIVERY" >>"$T_DIR/pager.log"
EOF
chmod +x "$T_DIR/job.sh" "$T_DIR/pager.sh"
touch "$T_DIR/down"

cat >"$T_DIR/ackbeat.xml" <<EOF2
<ackbeat name="channels $tag" timezone="Europe/Berlin" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA" timeout="20s"/>
  <web listen="127.0.0.1:1" base-url="http://127.0.0.1:8025/"/>
  <recipients>
    <person name="alice" email="alice@example.test"/>
    <webhook name="ops-hook" url="http://127.0.0.1:$hook/hook" secret-env="T85_SECRET"/>
    <slack name="chat" url="http://127.0.0.1:$slack/services/T0/B0/x"/>
    <ntfy name="phone" url="http://127.0.0.1:$ntfy/ackbeat-$tag" token-env="T85_NTFY"/>
    <matrix name="room" homeserver="http://127.0.0.1:$matrix" room="!ops:example.test" token-env="T85_MATRIX"/>
    <command name="pager" run="$T_DIR/pager.sh first-arg" timeout="5s"/>
    <group name="ops"><member>alice</member><member>ops-hook</member><member>chat</member></group>
  </recipients>
  <alerting notify="ops phone room pager" repeat="1d"/>
  <checks>
    <command name="job-$tag" command="$T_DIR/job.sh"/>
  </checks>
</ackbeat>
EOF2
conf=$T_DIR/ackbeat.xml
export T85_SECRET=hook-secret-$tag T85_NTFY=ntfy-token T85_MATRIX=matrix-token
check "validate accepts channels" "$ACKBEAT" validate -c "$conf"

tick() { "$ACKBEAT" tick -c "$conf" --now "$(iso "$1")" >>"$T_DIR/tick.out" 2>>"$T_DIR/tick.err"; }
check "tick 1: the check fails" tick "$t0"
check_eq "the webhook got one request (answered 500)" "$(count hook)" 1
check_eq "slack got one" "$(count slack)" 1
check_eq "ntfy got one" "$(count ntfy)" 1
check_eq "matrix got one (answered 500)" "$(count matrix)" 1
check_eq "the command ran once" "$(wc -l <"$T_DIR/pager.log" 2>/dev/null | tr -d ' ')" 1
out=$("$ACKBEAT" outbox -c "$conf" 2>&1)
check_like "outbox shows the webhook's delivery queued after the 500" "$out" \
	'channel #[0-9]+ +queued +alert-opened +to ops-hook'
check_contains "with the receiver's answer" "$out" "HTTP 500"

body=$(req hook 1 'r["body"]')
check_like "the webhook's body is the notice" "$body" "\"check\":\"job-$tag\""
check_contains "with status and priority" "$body" '"priority":2,'
check_contains "status Failing" "$body" '"status":"Failing"'
check_contains "the alert's URL" "$body" '"alert_url":"http://127.0.0.1:8025/alerts#alert-1"'
check_like "times in UTC" "$body" '"opened_utc":"[0-9-]+T[0-9:]+Z"'
check_like "and in the site's zone" "$body" '"opened_local":"[A-Za-z]+ [0-9]+ [A-Za-z]+ [0-9]+, [0-9:]+ CES?T"'
sig=$(req hook 1 'r["headers"].get("X-Ackbeat-Signature", "")')
want=$(req hook 1 '"sha256=" + __import__("hmac").new(b"'"$T85_SECRET"'", r["body"].encode(), "sha256").hexdigest()')
check_eq "X-Ackbeat-Signature is the HMAC-SHA256 of the body" "$sig" "$want"
check_eq "slack gets {\"text\": ...}" "$(req slack 1 'list(json.loads(r["body"]).keys())')" "['text']"
check_contains "slack's text" "$(req slack 1 'json.loads(r["body"])["text"]')" "job-$tag is Failing (priority 2)"
check_eq "ntfy is posted to the server root" "$(req ntfy 1 'r["method"] + " " + r["path"]')" "POST /"
check_eq "to the topic" "$(req ntfy 1 'json.loads(r["body"])["topic"]')" "ackbeat-$tag"
check_eq "with the token" "$(req ntfy 1 'r["headers"]["Authorization"]')" "Bearer ntfy-token"
check_eq "ntfy priority: high for P2" "$(req ntfy 1 'json.loads(r["body"])["priority"]')" 4
mpath=$(req matrix 1 'r["method"] + " " + r["path"]')
check_like "matrix: PUT .../rooms/ROOM/send/m.room.message/TXN" "$mpath" \
	'^PUT /_matrix/client/v3/rooms/%21ops%3Aexample.test/send/m.room.message/ackbeat-[0-9a-f]+-a1-n1$'
check_eq "matrix: the token" "$(req matrix 1 'r["headers"]["Authorization"]')" "Bearer matrix-token"
check_eq "matrix: an m.text" "$(req matrix 1 'json.loads(r["body"])["msgtype"]')" "m.text"
check_like "the command got its argument and env" "$(head -n 1 "$T_DIR/pager.log")" \
	"^first-arg\|job-$tag\|Failing\|alert-opened\|ackbeat-"
check_contains "and the JSON on stdin" "$(cat "$T_DIR/pager.alert-opened.json" 2>/dev/null)" "\"check\":\"job-$tag\""

# The retry comes after the backoff (60 s +- 20 %): not at 30 s.
check "tick 2 (+30s)" tick $((t0 + 30))
check_eq "no retry before the backoff" "$(count hook)" 1
check "tick 3 (+2m)" tick $((t0 + 120))
check_eq "the webhook was retried after the 500" "$(count hook)" 2
check_eq "the same bytes" "$(req hook 2 'r["body"]')" "$body"
check_eq "the same delivery id" "$(req hook 2 'r["headers"]["X-Ackbeat-Delivery"]')" \
	"$(req hook 1 'r["headers"]["X-Ackbeat-Delivery"]')"
check_eq "signed the same" "$(req hook 2 'r["headers"]["X-Ackbeat-Signature"]')" "$sig"
check_eq "matrix was retried" "$(count matrix)" 2
check_eq "with the same transaction id" "$(req matrix 2 'r["path"]')" "$(req matrix 1 'r["path"]')"
check_eq "slack was not sent twice" "$(count slack)" 1
check_eq "ntfy was not sent twice" "$(count ntfy)" 1

check "tick 4 (+10m)" tick $((t0 + 600))
check "tick 5 (+20m)" tick $((t0 + 1200))
check_eq "nothing is sent twice" "$(count hook) $(count slack) $(count ntfy) $(count matrix)" "2 1 1 2"
json=$("$ACKBEAT" outbox -c "$conf" --all --json 2>/dev/null)
check_eq "outbox --all --json: five deliveries, all sent" \
	"$(printf '%s' "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin)["deliveries"]; print(len(d), sorted(set(x["status"] for x in d)))')" \
	"5 ['sent']"

rm -f "$T_DIR/down"
check "tick 6: the check recovers" tick $((t0 + 1800))
check_eq "the resolved notice reaches the webhook" "$(req hook 3 'json.loads(r["body"])["notice"]')" "alert-resolved"
check_eq "with status Healthy" "$(req hook 3 'json.loads(r["body"])["status"]')" "Healthy"
check_like "and resolved times" "$(req hook 3 'r["body"]')" '"resolved_utc":"[0-9-]+T[0-9:]+Z"'
check_eq "and slack, ntfy, matrix" "$(count slack) $(count ntfy) $(count matrix)" "2 2 3"
check_like "and the command" "$(tail -n 1 "$T_DIR/pager.log")" "\|Healthy\|alert-resolved\|"
check "tick 7" tick $((t0 + 2400))
check_eq "still nothing twice" "$(count hook) $(count slack) $(count ntfy) $(count matrix)" "3 2 2 3"

# --- 2. the fallback, with Postfix stopped --------------------------------
if [ "$(id -u)" != 0 ]; then
	skip "fallback with Postfix stopped" "needs root (postfix start)"
	done_testing
fi
D=$T_DIR/stk
export ACKBEAT_STACK_PG=0
at_exit "'$AB_SRCDIR/tests/stack/stop.sh' '$D' --rm >/dev/null 2>&1"
started=
for base in 19501 19511 19521 19531 19541; do
	export ACKBEAT_STACK_SMTP_PORT=$base
	export ACKBEAT_STACK_SUBMISSION_PORT=$((base + 1)) ACKBEAT_STACK_SMTPS_PORT=$((base + 2))
	export ACKBEAT_STACK_IMAP_PORT=$((base + 3)) ACKBEAT_STACK_IMAPS_PORT=$((base + 4))
	export ACKBEAT_STACK_PG_PORT=$((base + 5))
	rc=0
	"$AB_SRCDIR/tests/stack/start.sh" "$D" >"$T_DIR/stack.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] && { started=1; break; }
	"$AB_SRCDIR/tests/stack/stop.sh" "$D" --rm >/dev/null 2>&1
	[ "$rc" = 3 ] || break
done
if [ -z "$started" ]; then
	skip "fallback with Postfix stopped" "no private stack: $(tail -n 2 "$T_DIR/stack.out")"
	done_testing
fi
# shellcheck disable=SC1091
. "$D/stack.env"
ok "a private stack (smtp $ACKBEAT_STACK_SMTP_PORT)"
start_receiver fallback 19181 || skip_all "no free port"
fb=$PORT
postfix -c "$ACKBEAT_STACK_POSTFIX_CONF" stop >>"$T_DIR/pf.log" 2>&1
check "Postfix is down" wait_until 15 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$ACKBEAT_STACK_SMTP_PORT) 2>/dev/null"

mkdir -p "$T_DIR/fb" && cp "$T_DIR/job.sh" "$T_DIR/fb/" && touch "$T_DIR/fb/down"
cat >"$T_DIR/fb/ackbeat.xml" <<EOF2
<ackbeat name="fallback $tag" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA" timeout="5s" retry="1m"/>
  <recipients>
    <person name="alice" email="alice@example.test"/>
    <webhook name="ops-hook" url="http://127.0.0.1:$fb/fallback"/>
  </recipients>
  <alerting notify="alice" repeat="1d" fallback="ops-hook" fallback-after="10m"/>
  <checks>
    <command name="first-$tag" command="$T_DIR/fb/job.sh"/>
    <command name="second-$tag" command="$T_DIR/fb/second.sh"/>
  </checks>
</ackbeat>
EOF2
printf '#!/bin/sh\necho OK; exit 0\n' >"$T_DIR/fb/second.sh"
chmod +x "$T_DIR/fb/second.sh"
fconf=$T_DIR/fb/ackbeat.xml
check "validate accepts the fallback" "$ACKBEAT" validate -c "$fconf"
ftick() { "$ACKBEAT" tick -c "$fconf" --now "$(iso "$1")" >>"$T_DIR/fb/tick.out" 2>>"$T_DIR/fb/tick.err"; }
check "fallback tick 1: the check fails, the mail is deferred" ftick "$t0"
check_like "deferred" "$(cat "$T_DIR/fb/tick.err")" 'outbox: 1 message\(s\) deferred'
check_eq "the fallback is not told yet (mail has failed for less than 10m)" "$(count fallback)" 0
check "fallback tick 2 (+5m)" ftick $((t0 + 300))
check_eq "still not" "$(count fallback)" 0
check "fallback tick 3 (+11m)" ftick $((t0 + 660))
check_eq "after 10m the fallback hears of it" "$(count fallback)" 1
check_eq "the mail delivery alert" "$(req fallback 1 'json.loads(r["body"])["check"]')" "ackbeat mail"
check_contains "says why" "$(req fallback 1 'json.loads(r["body"])["message"]')" "mail delivery is failing"
check_eq "priority 1" "$(req fallback 1 'json.loads(r["body"])["priority"]')" 1
check_like "the alert is open" "$("$ACKBEAT" alerts -c "$fconf" --json --now "$(iso $((t0 + 660)))" 2>/dev/null)" '"~mail"'
printf '#!/bin/sh\necho CRITICAL; exit 2\n' >"$T_DIR/fb/second.sh"
check "fallback tick 4 (+12m): a second check fails" ftick $((t0 + 720))
check_eq "its notice goes to the fallback too" "$(req fallback 2 'json.loads(r["body"])["check"]')" "second-$tag"
postfix -c "$ACKBEAT_STACK_POSTFIX_CONF" start >>"$T_DIR/pf.log" 2>&1
check "Postfix is back" wait_until 15 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$ACKBEAT_STACK_SMTP_PORT) 2>/dev/null"
check "fallback tick 5 (+1h): the mail leaves" ftick $((t0 + 3600))
check_like "the deferred mail is sent" "$("$ACKBEAT" outbox -c "$fconf" 2>&1)" '^0 queued'
check "fallback tick 6" ftick $((t0 + 3660))
check_eq "the fallback hears that mail flows again" "$(req fallback 3 'json.loads(r["body"])["notice"]') $(req fallback 3 'json.loads(r["body"])["check"]')" "alert-resolved ackbeat mail"
check "fallback tick 7" ftick $((t0 + 3720))
check_eq "once" "$(count fallback)" 3
done_testing
