#!/usr/bin/env bash
# selftest.sh - prove that a running test stack does what the tests rely
# on, with the same tools a test uses (curl, isql): TAP output, one line per
# assertion, and a summary.
#
# Usage: tests/stack/selftest.sh DIR       exit 0 if every check passed
#
# Sourced (tests/integration/t_00_stack.sh does so, with lib.sh and
# stack.env already loaded), it only defines stack_selftest, so the runner
# counts each check on its own. Safe to run any number of times on one
# stack: every message carries a fresh token.
# shellcheck source-path=SCRIPTDIR
# The ACKBEAT_STACK_* variables come from DIR/stack.env.
# shellcheck disable=SC2154

# _st_ehlo PORT - print the server's EHLO reply on 127.0.0.1:PORT.
_st_ehlo() {
	local fd line
	{ exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 7
	IFS= read -r -t 5 -u "$fd" line || { exec {fd}>&-; return 1; }
	printf 'EHLO client.test\r\n' >&"$fd"
	while IFS= read -r -t 5 -u "$fd" line; do
		printf '%s\n' "${line%$'\r'}"
		[[ $line == 250\ * ]] && break
	done
	printf 'QUIT\r\n' >&"$fd"
	exec {fd}>&-
}

# _st_elapsed_ms START_EPOCHREALTIME - milliseconds since START.
_st_elapsed_ms() {
	local a=${1/[.,]/} b=${EPOCHREALTIME/[.,]/}
	printf '%d\n' $(((b - a) / 1000))
}

_st_psqlodbc_logs() {
	local f n=0
	for f in /tmp/psqlodbc_*.log; do [ -e "$f" ] && n=$((n + 1)); done
	printf '%d\n' "$n"
}

# stack_selftest - run every check against the stack described by the
# ACKBEAT_STACK_* variables. Needs lib.sh's assertions. Uses T_DIR for its
# message files if set, else a temporary directory it removes.
stack_selftest() {
	local tmp own_tmp='' tok d ca imap pg_on ehlo uids uid msg n0 n1 t0 ms conf
	local a_pw=${ACKBEAT_STACK_PASSWORD_alice:-} b_pw=${ACKBEAT_STACK_PASSWORD_bob:-}
	local h_pw=${ACKBEAT_STACK_PASSWORD_heartbeat:-}
	if [ -z "$a_pw" ] || [ -z "$b_pw" ] || [ -z "$h_pw" ]; then
		not_ok "the stack has users alice, bob and heartbeat" "ACKBEAT_STACK_USER_NAMES=${ACKBEAT_STACK_USER_NAMES:-}"
		return 1
	fi
	if [ -n "${T_DIR:-}" ]; then tmp=$T_DIR/selftest; mkdir -p "$tmp"; else tmp=$(mktemp -d); own_tmp=1; fi
	tok=st$(date +%s%N)
	d=$ACKBEAT_STACK_DOMAIN
	ca=$ACKBEAT_STACK_CA
	imap=$ACKBEAT_STACK_IMAP_URL
	pg_on=${ACKBEAT_STACK_PG:-0}
	conf=$ACKBEAT_STACK_POSTFIX_CONF

	make_message "heartbeat@$d" "alice@$d" "plain $tok" "Sent over plain SMTP." >"$tmp/plain.eml"
	make_message "alice@$d" "bob@$d" "submission $tok" >"$tmp/sub.eml"
	make_message "bob@$d" "alice@$d" "smtps $tok" >"$tmp/smtps.eml"
	make_message "carol@elsewhere.test" "heartbeat+$tok@$d" "Re: plus $tok" >"$tmp/plus.eml"
	make_message "heartbeat@$d" "gone@$d" "bounce $tok" >"$tmp/bounce.eml"
	make_message "alice@$d" "alice@$d" "appended $tok" >"$tmp/append.eml"
	make_message "heartbeat@$d" "bob@$d" "sendmail $tok" >"$tmp/sendmail.eml"

	# --- what the servers offer ---
	ehlo=$(_st_ehlo "$ACKBEAT_STACK_SMTP_PORT")
	check_like "SMTP :$ACKBEAT_STACK_SMTP_PORT offers STARTTLS" "$ehlo" '250.STARTTLS'
	check_like "SMTP :$ACKBEAT_STACK_SMTP_PORT offers AUTH PLAIN and LOGIN in clear" "$ehlo" '250.AUTH( [A-Z-]+)*( PLAIN| LOGIN).*( PLAIN| LOGIN)'
	ehlo=$(_st_ehlo "$ACKBEAT_STACK_SUBMISSION_PORT")
	check_like "submission :$ACKBEAT_STACK_SUBMISSION_PORT offers STARTTLS" "$ehlo" '250.STARTTLS'
	if [[ $ehlo == *AUTH* ]]; then
		not_ok "submission offers no AUTH before STARTTLS" "$ehlo"
	else
		ok "submission offers no AUTH before STARTTLS"
	fi
	check_eq "nothing can leave: default_transport and relay_transport are error" \
		"$(postconf -c "$conf" -h default_transport relay_transport | cut -d: -f1 | sort -u)" error

	# --- sending ---
	check "SMTP :$ACKBEAT_STACK_SMTP_PORT in clear, no auth: heartbeat -> alice" \
		smtp_send "heartbeat@$d" "alice@$d" "$tmp/plain.eml"
	check "submission :$ACKBEAT_STACK_SUBMISSION_PORT, STARTTLS + AUTH PLAIN: alice -> bob" \
		curl -sS --ssl-reqd --cacert "$ca" -u "alice:$a_pw" --login-options AUTH=PLAIN \
		"$ACKBEAT_STACK_SUBMISSION_URL/client.test" --mail-from "alice@$d" --mail-rcpt "bob@$d" -T "$tmp/sub.eml"
	check "smtps :$ACKBEAT_STACK_SMTPS_PORT, implicit TLS + AUTH LOGIN: bob -> alice" \
		curl -sS --cacert "$ca" -u "bob:$b_pw" --login-options AUTH=LOGIN \
		"$ACKBEAT_STACK_SMTPS_URL/client.test" --mail-from "bob@$d" --mail-rcpt "alice@$d" -T "$tmp/smtps.eml"
	check "SMTP: a stranger writes to heartbeat+TOKEN" \
		smtp_send "carol@elsewhere.test" "heartbeat+$tok@$d" "$tmp/plus.eml"
	check "SMTP: mail to $ACKBEAT_STACK_BOUNCE_ADDR is accepted (bounced later)" \
		smtp_send "heartbeat+b$tok@$d" "$ACKBEAT_STACK_BOUNCE_ADDR" "$tmp/bounce.eml"
	check "sendmail -C (pickup) accepts heartbeat -> bob" \
		sendmail -C "$conf" -f "heartbeat@$d" -t -i <"$tmp/sendmail.eml"

	# --- receiving ---
	uids=$(imap_wait_for alice "$a_pw" "SUBJECT \"plain $tok\"" 10)
	check_like "IMAP: the plain SMTP message is in alice's INBOX" "$uids" '^[0-9]+$'
	uid=${uids%% *}
	msg=$(imap_fetch alice "$a_pw" "${uid:-0}")
	check_eq "IMAP: fetched over BODY.PEEK[] with the same Subject" "$(mail_header subject <<<"$msg")" "plain $tok"
	check_contains "IMAP: Delivered-To names the recipient" "$(mail_header delivered-to <<<"$msg")" "alice@$d"
	check_eq "IMAP: BODY.PEEK[] left it unseen" "$(imap_flags alice "$a_pw" "${uid:-0}")" ""
	check "Maildir: the message is a file in alice's Maildir" \
		grep -rqs "plain $tok" "$ACKBEAT_STACK_MAILDIR_alice/new" "$ACKBEAT_STACK_MAILDIR_alice/cur"
	check "IMAP: the submission message reached bob" imap_wait_for bob "$b_pw" "SUBJECT \"submission $tok\"" 10
	check "IMAP: the smtps message reached alice" imap_wait_for alice "$a_pw" "SUBJECT \"smtps $tok\"" 10
	check "IMAP: the sendmail message reached bob" imap_wait_for bob "$b_pw" "SUBJECT \"sendmail $tok\"" 10
	uids=$(imap_wait_for heartbeat "$h_pw" "SUBJECT \"plus $tok\"" 10)
	msg=$(imap_fetch heartbeat "$h_pw" "${uids%% *}" 2>&1)
	check_eq "plus address: heartbeat+TOKEN lands in heartbeat's INBOX, Delivered-To keeps the token" \
		"$(mail_header delivered-to <<<"$msg")" "heartbeat+$tok@$d"
	uids=$(imap_wait_for heartbeat "$h_pw" "HEADER Delivered-To \"heartbeat+b$tok@\"" 10)
	msg=$(imap_fetch heartbeat "$h_pw" "${uids%% *}" 2>&1)
	check_like "bounce: a DSN for $ACKBEAT_STACK_BOUNCE_ADDR comes back to the envelope sender" \
		"$(mail_header content-type <<<"$msg")" 'multipart/report; *report-type=delivery-status'

	# --- IMAP commands through curl ---
	check_like "IMAP: login as alice@$d (full address) works" \
		"$(curl -sS -u "alice@$d:$a_pw" "$imap/INBOX" -X 'UID SEARCH ALL' 2>&1)" '^\* SEARCH [0-9]'
	curl -sS -u "alice:$a_pw" "$imap/INBOX" -X "UID STORE ${uid:-0} +FLAGS (\\Seen)" >/dev/null 2>&1
	check_contains "IMAP: UID STORE +FLAGS (\\Seen), then FETCH FLAGS shows it" \
		"$(imap_flags alice "$a_pw" "${uid:-0}")" '\Seen'
	n0=$(imap_count alice "$a_pw")
	check "IMAP: APPEND (curl -T) is accepted" curl -sS -u "alice:$a_pw" "$imap/INBOX" -T "$tmp/append.eml"
	n1=$(imap_count alice "$a_pw")
	check_eq "IMAP: APPEND added one message (STATUS MESSAGES)" "$n1" "$((${n0:-0} + 1))"
	check_like "IMAPS :$ACKBEAT_STACK_IMAPS_PORT with the CA" \
		"$(curl -sS --cacert "$ca" -u "bob:$b_pw" "$ACKBEAT_STACK_IMAPS_URL/INBOX" -X 'UID SEARCH ALL' 2>&1)" '^\* SEARCH'
	check "IMAP STARTTLS on :$ACKBEAT_STACK_IMAP_PORT (host name localhost)" \
		curl -sS --ssl-reqd --cacert "$ca" -u "bob:$b_pw" "imap://localhost:$ACKBEAT_STACK_IMAP_PORT/INBOX" -X NOOP

	# --- what must be refused ---
	check_exit "refused: unknown user (550 at RCPT, curl 55)" 55 \
		smtp_send "heartbeat@$d" "nobody@$d" "$tmp/plain.eml"
	check_exit "refused: relay to another domain without auth (554, curl 55)" 55 \
		smtp_send "heartbeat@$d" "someone@example.com" "$tmp/plain.eml"
	check_exit "refused: another domain even when authenticated (curl 55)" 55 \
		curl -sS --ssl-reqd --cacert "$ca" -u "alice:$a_pw" "$ACKBEAT_STACK_SUBMISSION_URL/client.test" \
		--mail-from "alice@$d" --mail-rcpt "someone@example.com" -T "$tmp/sub.eml"
	check_exit "refused: SMTP AUTH with a bad password (curl 67)" 67 \
		curl -sS --ssl-reqd --cacert "$ca" -u "alice:wrong" "$ACKBEAT_STACK_SUBMISSION_URL/client.test" \
		--mail-from "alice@$d" --mail-rcpt "bob@$d" -T "$tmp/sub.eml"
	check_exit "refused: submission without STARTTLS (530, curl 55)" 55 \
		curl -sS -u "alice:$a_pw" "$ACKBEAT_STACK_SUBMISSION_URL/client.test" \
		--mail-from "alice@$d" --mail-rcpt "bob@$d" -T "$tmp/sub.eml"
	check_exit "refused: submission with TLS but without AUTH (curl 55)" 55 \
		curl -sS --ssl-reqd --cacert "$ca" "$ACKBEAT_STACK_SUBMISSION_URL/client.test" \
		--mail-from "alice@$d" --mail-rcpt "bob@$d" -T "$tmp/sub.eml"
	check_exit "refused: TLS without the CA (curl 60)" 60 \
		curl -sS --ssl-reqd -u "alice:$a_pw" "$ACKBEAT_STACK_SUBMISSION_URL/client.test" \
		--mail-from "alice@$d" --mail-rcpt "bob@$d" -T "$tmp/sub.eml"
	t0=$EPOCHREALTIME
	check_exit "refused: IMAP login with a bad password (curl 67)" 67 \
		curl -sS -u "bob:wrong" "$imap/INBOX" -X NOOP
	curl -sS -u "bob:wrong" "$imap/INBOX" -X NOOP >/dev/null 2>&1
	curl -sS -u "bob:wrong" "$imap/INBOX" -X NOOP >/dev/null 2>&1
	check "IMAP: a good login right after 3 bad ones works" curl -sS -u "bob:$b_pw" "$imap/INBOX" -X NOOP
	ms=$(_st_elapsed_ms "$t0")
	check_like "IMAP: 3 bad logins and a good one took under 4 s, no auth penalty (${ms} ms)" \
		"$((ms < 4000))" '^1$'
	check_exit "refused: IMAP command syntax error (curl 21)" 21 \
		curl -sS -u "bob:$b_pw" "$imap/INBOX" -X 'UID FOO'

	# --- ODBC ---
	n0=$(_st_psqlodbc_logs)
	if [ "$pg_on" = 1 ]; then
		check_eq "ODBC (DSN-less) to PostgreSQL: SELECT 1+1" \
			"$(odbc_query "$ACKBEAT_STACK_ODBC_PG" 'SELECT 1+1' 2>&1)" 2
		check_eq "ODBC DSN $ACKBEAT_STACK_ODBC_PG_DSN: current_user" \
			"$(odbc_query "$ACKBEAT_STACK_ODBC_PG_DSN" 'SELECT current_user' 2>&1)" "$ACKBEAT_STACK_PG_USER"
		check_fails "refused: ODBC to PostgreSQL with a bad password" \
			odbc_query "${ACKBEAT_STACK_ODBC_PG/Pwd=$ACKBEAT_STACK_PG_PASSWORD;/Pwd=wrong;}" 'SELECT 1'
	else
		skip "ODBC to PostgreSQL" "ACKBEAT_STACK_PG=0"
		skip "ODBC DSN to PostgreSQL" "ACKBEAT_STACK_PG=0"
		skip "ODBC to PostgreSQL with a bad password" "ACKBEAT_STACK_PG=0"
	fi
	check_eq "ODBC (DSN-less) to SQLite: write and read back" \
		"$(odbc_query "$ACKBEAT_STACK_ODBC_SQLITE" "CREATE TABLE IF NOT EXISTS selftest(t TEXT);
INSERT INTO selftest VALUES('$tok');
SELECT t FROM selftest WHERE t = '$tok';" 2>&1)" "$tok"
	check_eq "ODBC DSN $ACKBEAT_STACK_ODBC_SQLITE_DSN reads the same file" \
		"$(odbc_query "$ACKBEAT_STACK_ODBC_SQLITE_DSN" "SELECT count(*) FROM selftest WHERE t = '$tok';" 2>&1)" 1
	check_eq "ODBC left no /tmp/psqlodbc_*.log (CommLog=0)" "$(_st_psqlodbc_logs)" "$n0"

	# --- afterwards ---
	# shellcheck disable=SC2016 # $1 is for the inner sh
	check "the Postfix queue drains (postqueue -p)" \
		wait_until 10 sh -c 'postqueue -c "$1" -p | grep -q "Mail queue is empty"' sh "$conf"

	[ -z "$own_tmp" ] || rm -rf "$tmp"
	return 0
}

# Run as a script: selftest.sh DIR.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	case ${1:-} in
	"" | -h | --help)
		sed -n '2,/^# shellcheck/{/^# shellcheck/d;s/^# \{0,1\}//;p}' "$0" >&2
		exit 2 ;;
	esac
	[ -r "$1/stack.env" ] || { echo "selftest.sh: no $1/stack.env: is the stack started?" >&2; exit 2; }
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	# shellcheck source=/dev/null
	. "$1/stack.env"
	# shellcheck source=../integration/lib.sh
	. "$here/../integration/lib.sh"
	# Assertions report failures through their status; from here on a
	# failed one must not end the script.
	set +e
	stack_selftest
	printf '# selftest: %d passed, %d failed\n' "$((_ab_n - _ab_failed - _ab_skipped))" "$_ab_failed"
	done_testing
fi
