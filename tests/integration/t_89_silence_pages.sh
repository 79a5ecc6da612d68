#!/usr/bin/env bash
# t_89_silence_pages - silences and pauses on the HTML pages (issue 18):
# a check's page and the status page show an active pause and silence
# (who, until when in the site's words, why); the forms pause and resume
# a check and add and expire a silence under the dismiss form's rules
# (basic auth, a CSRF token from the page, same origin), and what they do
# is what `ackbeat silence list` and `ackbeat status` then see.
. "$AB_SRCDIR/tests/integration/lib.sh"
[ -x "$ACKBEAT" ] || skip_all "no binary at $ACKBEAT"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v openssl >/dev/null || skip_all "openssl is not installed"

port=
for p in $(seq 19261 19280); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || skip_all "no free port in 19261-19280"
URL="http://127.0.0.1:$port"
PASS=pw-$$-$RANDOM
cd "$T_DIR" || exit 1
openssl passwd -6 "$PASS" >pw.hash
cat >ackbeat.xml <<EOF2
<ackbeat name="holds" timezone="Europe/Berlin" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="maildir:out"/>
  <web listen="127.0.0.1:$port" user="kim" password-hash-file="pw.hash"/>
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
code() { curl -s -o "$T_DIR/body" -w '%{http_code}' "$@"; }

page=$(curl -s "$URL/checks/orders-eu")
check_contains "the check's page has the panel" "$page" "Nothing silences or pauses this check."
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$page" | head -1)
check_like "... and a CSRF token for its forms" "$csrf" '^[0-9]+\.[0-9a-f]{40}$'
pause=(--data-urlencode "csrf=$csrf" --data-urlencode "by=Lee" --data-urlencode "note=disk swap"
	--data-urlencode "until=2031-01-01T10:00:00Z")
check_eq "pause without credentials: 401" "$(code -X POST "${pause[@]}" "$URL/checks/orders-eu/pause")" 401
check_eq "pause from another site: 403" \
	"$(code -u "kim:$PASS" -H 'Origin: http://evil.example' -X POST "${pause[@]}" "$URL/checks/orders-eu/pause")" 403
check_eq "pause with a forged token: 403" \
	"$(code -u "kim:$PASS" -X POST --data-urlencode "csrf=${csrf%.*}.0000000000000000000000000000000000000000" \
		--data-urlencode by=Lee "$URL/checks/orders-eu/pause")" 403
check_eq "pause with the page's token: 303" \
	"$(code -u "kim:$PASS" -H "Origin: $URL" -X POST "${pause[@]}" "$URL/checks/orders-eu/pause")" 303
check_like "ackbeat status sees the pause" "$("$ACKBEAT" status -c ackbeat.xml)" "orders-eu .*\(paused\)"
page=$(curl -s "$URL/checks/orders-eu?held=paused")
check_contains "the page says it was done" "$page" "Done: paused."
check_contains "the page shows who, until when in words, why" "$page" \
	"<b>Paused</b> by <b>Lee</b> until Wednesday 1 January 2031, 11:00 CET — “disk swap”"
check_contains "the status page shows it too" "$(curl -s "$URL/")" '<b>Paused</b> <a href="/checks/orders-eu">orders-eu</a> by <b>Lee</b>'
check_eq "resume: 303" \
	"$(code -u "kim:$PASS" -H "Origin: $URL" -X POST --data-urlencode "csrf=$csrf" "$URL/checks/orders-eu/resume")" 303
check_eq "ackbeat status: no longer paused" "$("$ACKBEAT" status -c ackbeat.xml | grep -c '(paused)')" 0
check_eq "resume again: 404" \
	"$(code -u "kim:$PASS" -H "Origin: $URL" -X POST --data-urlencode "csrf=$csrf" "$URL/checks/orders-eu/resume")" 404

sil=(--data-urlencode "csrf=$csrf" --data-urlencode "matchers=tag=finance" --data-urlencode "by=Ana"
	--data-urlencode "note=quarter end" --data-urlencode "until=1d" --data-urlencode "back=/checks/orders-eu")
check_eq "a silence from the form: 303" \
	"$(curl -s -o /dev/null -D hdrs -w '%{http_code}' -u "kim:$PASS" -H "Origin: $URL" -X POST "${sil[@]}" "$URL/silences")" 303
check_contains "... back to the check's page" "$(cat hdrs)" "/checks/orders-eu?held=silenced"
list=$("$ACKBEAT" silence list -c ackbeat.xml)
check_like "ackbeat silence list has it" "$list" "#[0-9]+ +active +tag=finance"
id=$(sed -n 's/^#\([0-9]*\) .*/\1/p' <<<"$list" | head -1)
page=$(curl -s "$URL/checks/orders-eu")
check_contains "the check's page shows the silence" "$page" "<b>Silence #$id</b> <code>tag=finance</code> by <b>Ana</b> until"
check_contains "... with why" "$page" "— “quarter end”"
check_contains "a check it does not match does not" "$(curl -s "$URL/checks/disk")" "Nothing silences or pauses this check."
check_eq "a bad matcher: 400" \
	"$(code -u "kim:$PASS" -H "Origin: $URL" -X POST --data-urlencode "csrf=$csrf" --data-urlencode "matchers=colour=red" \
		--data-urlencode by=Ana --data-urlencode until=1d "$URL/silences")" 400
check_eq "expire from the form: 303" \
	"$(code -u "kim:$PASS" -H "Origin: $URL" -X POST --data-urlencode "csrf=$csrf" --data-urlencode "back=/" "$URL/silences/$id/expire")" 303
check_like "ackbeat silence list: none left" "$("$ACKBEAT" silence list -c ackbeat.xml)" "^[Nn]o silences"
check_contains "the status page shows none" "$(curl -s "$URL/")" "No check is silenced or paused."
check "a silence of one item, from the CLI" "$ACKBEAT" silence add -c ackbeat.xml check=disk item=root --until 1d --by Ana
check_contains "the check's page lists it too" "$(curl -s "$URL/checks/disk")" "<code>check=disk item=root</code> by <b>Ana</b>"
check_eq "GET on a form's path: 405" "$(code "$URL/silences")" 405
done_testing
