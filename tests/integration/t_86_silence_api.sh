#!/usr/bin/env bash
# t_86_silence_api - silences and pauses through `ackbeat web`'s JSON API
# (issue 18): a silence added with the bearer token, listed, shown on the
# check (silenced_by), expired; a check paused with --until and resumed;
# POSTs without the token refused.  And the same state through the CLI.
# Then the SVG badges, per check and per tag, with their cache header.
. "$AB_SRCDIR/tests/integration/lib.sh"
[ -x "$ACKBEAT" ] || skip_all "no binary at $ACKBEAT"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v python3 >/dev/null || skip_all "python3 is missing"

port=
for p in $(seq 19201 19220); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || skip_all "no free port in 19201-19220"
URL="http://127.0.0.1:$port"
TOKEN=tok-$$-$RANDOM-silences-api
cd "$T_DIR" || exit 1
printf '%s\n' "$TOKEN" >token
cat >ackbeat.xml <<EOF2
<ackbeat name="silences" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="maildir:out"/>
  <web listen="127.0.0.1:$port" token-file="token"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops"/>
  <checks>
    <command name="orders-eu" command="/bin/true" tags="finance"/>
    <command name="disk" command="/bin/true"/>
  </checks>
</ackbeat>
EOF2
check "validate" "$ACKBEAT" validate -c ackbeat.xml
"$ACKBEAT" web -c ackbeat.xml >web.out 2>web.err &
at_exit "kill $! 2>/dev/null"
check "ackbeat web listens" wait_until 15 curl -sf "$URL/healthz"
j() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
post() { curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }

check_eq "a POST without the token is refused" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d '{"matchers":["tag=finance"],"until":"1d","by":"kim"}' "$URL/api/silences")" 401
out=$(post -d '{"matchers":["check=orders-*","tag=finance"],"until":"30d","by":"kim","note":"migration"}' "$URL/api/silences")
check_eq "POST /api/silences adds one" "$(printf '%s' "$out" | j 'd["state"], d["matchers"], d["created_by"]')" \
	"active check=orders-* tag=finance kim"
id=$(printf '%s' "$out" | j 'd["id"]')
check_eq "a bad matcher is a 400" \
	"$(post -o /dev/null -w '%{http_code}' -d '{"matchers":["colour=red"],"until":"1d","by":"kim"}' "$URL/api/silences")" 400
check_eq "GET /api/silences lists it" "$(curl -s "$URL/api/silences" | j '[s["id"] for s in d]')" "[$id]"
check_eq "the check shows it" "$(curl -s "$URL/api/checks/orders-eu" | j 'd["silenced_by"]')" "$id"
check_eq "another check does not" "$(curl -s "$URL/api/checks/disk" | j 'd["silenced_by"]')" "None"
check_like "ackbeat silence list shows it" "$("$ACKBEAT" silence list -c ackbeat.xml)" "#$id +active +check=orders-\* tag=finance"
check_like "ackbeat status shows it" "$("$ACKBEAT" status -c ackbeat.xml)" "orders-eu .*\(silenced by #$id\)"
check_eq "POST .../expire ends it" "$(post -o /dev/null -w '%{http_code}' "$URL/api/silences/$id/expire")" 200
check_eq "twice: 404" "$(post -o /dev/null -w '%{http_code}' "$URL/api/silences/$id/expire")" 404
check_eq "no silence listed now" "$(curl -s "$URL/api/silences" | j 'len(d)')" 0
check_eq "all=1 keeps it, expired" "$(curl -s "$URL/api/silences?all=1" | j 'd[0]["state"]')" expired

out=$(post -d '{"by":"kim","until":"2h"}' "$URL/api/checks/disk/pause")
check_eq "POST /api/checks/disk/pause" "$(printf '%s' "$out" | j 'd["paused"]')" True
check_like "until two hours on" "$(printf '%s' "$out" | j 'd["paused_until"]')" '^[0-9-]+T[0-9:]+Z$'
check_like "ackbeat status shows the pause" "$("$ACKBEAT" status -c ackbeat.xml)" "disk .*\(paused\)"
check_eq "resume" "$(post -o /dev/null -w '%{http_code}' "$URL/api/checks/disk/resume")" 200
check_eq "resumed" "$(curl -s "$URL/api/checks/disk" | j 'd["paused"]')" False
check_eq "resume again: 404" "$(post -o /dev/null -w '%{http_code}' "$URL/api/checks/disk/resume")" 404
check "the CLI pauses too" "$ACKBEAT" pause -c ackbeat.xml disk --by kim --until 1h
check_eq "and the API sees it" "$(curl -s "$URL/api/checks/disk" | j 'd["paused"]')" True
check "and resumes" "$ACKBEAT" resume -c ackbeat.xml disk
check_fails "an unknown check is refused" "$ACKBEAT" pause -c ackbeat.xml nosuch --by kim
# --- badges ---------------------------------------------------------------
"$ACKBEAT" tick -c ackbeat.xml >/dev/null 2>&1
hdr=$(curl -s -D - -o badge.svg "$URL/badge/orders-eu.svg")
check_like "a check's badge is SVG" "$hdr" 'Content-Type: image/svg\+xml'
check_like "cached for a minute" "$hdr" 'Cache-Control: max-age=60, public'
check_contains "it says up" "$(cat badge.svg)" '<title>orders-eu: up</title>'
check_contains "in green" "$(cat badge.svg)" 'fill="#4c1"'
check "it is well-formed XML" python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' badge.svg
check_contains "the tag's badge" "$(curl -s "$URL/badge/tag/finance.svg")" '<title>finance: up</title>'
"$ACKBEAT" pause -c ackbeat.xml orders-eu --by kim >/dev/null
check_contains "a paused check's badge says so" "$(curl -s "$URL/badge/orders-eu.svg")" '<title>orders-eu: paused</title>'
check_eq "an unknown check: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/badge/nosuch.svg")" 404
check_eq "an unknown tag: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/badge/tag/nosuch.svg")" 404
done_testing
