# shellcheck shell=bash
# lib.sh - assertions and mail/database helpers for ackbeat's integration
# tests (tests/integration/t_*.sh), which talk to the real Postfix, Dovecot
# and PostgreSQL that tests/stack/start.sh runs on 127.0.0.1.
#
# A test script:
#   #!/usr/bin/env bash
#   . "$AB_SRCDIR/tests/integration/lib.sh"
#   smtp_send heartbeat alice "$T_DIR/msg.eml"
#   uids=$(imap_wait_for alice "$ACKBEAT_STACK_PASSWORD_alice" 'SUBJECT "hello"' 10)
#   check_eq "one message arrived" "$(wc -w <<<"$uids")" 1
#   done_testing
#
# Output is TAP: "ok N - what", "not ok N - what", "# diagnostics", and a
# closing plan "1..N". Assertions return 0 or 1, so a test may say
# `check ... || skip_all "..."`; do not run tests under `set -e`, or the
# first failed assertion ends the script before the rest are reported.
# Counters live in the calling shell: call assertions directly, never
# inside $(...) or a pipeline.
#
# Environment (from the runner): everything in the stack's stack.env
# (ACKBEAT_STACK_*, ODBCSYSINI), ACKBEAT (the binary), AB_SRCDIR (the
# repository), T_DIR (a fresh scratch directory for this test).

_ab_n=0
_ab_imap_literals=0
_ab_failed=0
_ab_skipped=0
_ab_at_exit=()

# --- TAP --------------------------------------------------------------------

# diag MESSAGE... - print each MESSAGE, and each line within it, as a TAP
# comment. Empty arguments print nothing.
diag() {
	local m line
	for m in "$@"; do
		[ -n "$m" ] || continue
		while IFS= read -r line; do
			printf '# %s\n' "$line"
		done <<<"$m"
	done
}

# ok DESCRIPTION - record a pass.
ok() {
	_ab_n=$((_ab_n + 1))
	printf 'ok %d - %s\n' "$_ab_n" "$1"
	return 0
}

# not_ok DESCRIPTION [DIAGNOSTIC...] - record a failure, with optional
# diagnostics printed below it.
not_ok() {
	_ab_n=$((_ab_n + 1))
	_ab_failed=$((_ab_failed + 1))
	printf 'not ok %d - %s\n' "$_ab_n" "$1"
	shift
	[ $# -eq 0 ] || diag "$@"
	return 1
}

# skip DESCRIPTION REASON - record a check that could not run here.
skip() {
	_ab_n=$((_ab_n + 1))
	_ab_skipped=$((_ab_skipped + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_ab_n" "$1" "$2"
	return 0
}

# check DESCRIPTION COMMAND [ARG...] - pass if COMMAND exits 0. Its output
# is shown only when it fails.
check() {
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$desc"
	else
		not_ok "$desc" "command: $*" "exit status: $rc" "${out:+output: $(_ab_tail "$out")}"
	fi
}

# check_fails DESCRIPTION COMMAND [ARG...] - pass if COMMAND exits non-zero.
check_fails() {
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		ok "$desc"
	else
		not_ok "$desc" "command: $*" "expected a non-zero exit status, got 0" "${out:+output: $(_ab_tail "$out")}"
	fi
}

# check_exit DESCRIPTION STATUS COMMAND [ARG...] - pass if COMMAND exits
# with exactly STATUS (curl's codes tell a refused RCPT, 55, from a failed
# login, 67, from an untrusted certificate, 60).
check_exit() {
	local desc=$1 want=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc" "command: $*" "exit status: $rc, wanted $want" "${out:+output: $(_ab_tail "$out")}"
	fi
}

# check_eq DESCRIPTION GOT WANT - pass if the strings are equal.
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "     got: '$2'" "expected: '$3'"
	fi
}

# check_contains DESCRIPTION HAYSTACK NEEDLE - pass if NEEDLE is a substring.
check_contains() {
	if [[ $2 == *"$3"* ]]; then
		ok "$1"
	else
		not_ok "$1" "looked for: '$3'" "        in: '$(_ab_tail "$2")'"
	fi
}

# check_like DESCRIPTION STRING REGEX - pass if STRING matches the
# extended regular expression REGEX (bash =~).
check_like() {
	if [[ $2 =~ $3 ]]; then
		ok "$1"
	else
		not_ok "$1" "   pattern: /$3/" "    string: '$(_ab_tail "$2")'"
	fi
}

# skip_all REASON - the whole test cannot run here (exit status 77, which
# the runner counts as one skip).
skip_all() {
	printf '1..0 # SKIP %s\n' "$1"
	exit 77
}

# done_testing - print the plan and exit: 0 if nothing failed, else 1.
done_testing() {
	printf '1..%d\n' "$_ab_n"
	if [ "$_ab_failed" -ne 0 ]; then
		diag "failed $_ab_failed of $_ab_n"
		exit 1
	fi
	exit 0
}

# at_exit COMMAND - run COMMAND (a string, eval'd) when the test exits,
# latest first: stop a daemon the test started even if the test dies.
at_exit() {
	_ab_at_exit=("$1" "${_ab_at_exit[@]}")
	trap _ab_run_at_exit EXIT
}

_ab_run_at_exit() {
	local c
	for c in "${_ab_at_exit[@]}"; do
		eval "$c" || true
	done
}

# The last lines of a long output are the ones that explain a failure.
_ab_tail() {
	local s=$1
	((${#s} <= 2000)) || s="...${s: -2000}"
	printf '%s' "$s"
}

# wait_until TIMEOUT_S COMMAND [ARG...] - poll COMMAND every 0.1 s until it
# succeeds (status 0) or TIMEOUT_S seconds pass (status 1).
wait_until() {
	local end
	end=$(_ab_deadline "$1")
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		_ab_before "$end" || return 1
		sleep 0.1
	done
}

# _ab_deadline SECONDS - print the time SECONDS from now, in microseconds.
_ab_deadline() {
	local now=${EPOCHREALTIME/[.,]/}
	printf '%s\n' $((now + $1 * 1000000))
}

# _ab_before DEADLINE - true while the clock has not passed DEADLINE.
_ab_before() {
	local now=${EPOCHREALTIME/[.,]/}
	((now < $1))
}

# --- messages ---------------------------------------------------------------

# make_message FROM TO SUBJECT [BODY] - print a minimal RFC 5322 message
# with CRLF line ends, a Date and a unique Message-ID.
make_message() {
	local from=$1 to=$2 subject=$3 body=${4:-This is a test message.} line
	printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\n' "$from" "$to" "$subject"
	printf 'Date: %s\r\n' "$(LC_ALL=C date -R)"
	printf 'Message-ID: <%s.%s.%s@client.test>\r\n' "$(date +%s%N)" "$$" "$RANDOM"
	printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
	while IFS= read -r line; do
		printf '%s\r\n' "$line"
	done <<<"$body"
}

# mail_header NAME [FILE] - print the (unfolded) value of the first NAME
# header of the message in FILE or on stdin; status 1 if there is none.
mail_header() {
	local want=${1,,} line name value='' found=''
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [ -n "$found" ]; then
			[[ $line == [$' \t']* ]] || break
			value+=" ${line#"${line%%[![:space:]]*}"}"
			continue
		fi
		[ -n "$line" ] || break
		name=${line%%:*}
		if [ "${name,,}" = "$want" ] && [[ $line == *:* ]]; then
			value=${line#*:}
			value=${value#"${value%%[![:space:]]*}"}
			found=1
		fi
	done < <(cat -- "${2:--}")
	[ -n "$found" ] || return 1
	printf '%s\n' "$value"
}

# --- SMTP -------------------------------------------------------------------

# _ab_addr NAME - a bare user name becomes NAME@the stack's domain.
_ab_addr() {
	if [[ $1 == *@* ]]; then printf '%s\n' "$1"; else printf '%s@%s\n' "$1" "${ACKBEAT_STACK_DOMAIN:-example.test}"; fi
}

# smtp_send FROM TO FILE - submit the message in FILE (or - for stdin)
# over plain SMTP to the stack's port 2525, which needs no login for the
# stack's own domain. TO may list several recipients separated by commas or
# spaces; a bare user name gets the stack's domain. Returns curl's exit
# status: 0 accepted, 55 refused at RCPT, 7 no server.
smtp_send() {
	local from to file=$3 r args=()
	from=$(_ab_addr "$1")
	for r in ${2//,/ }; do
		to=$(_ab_addr "$r")
		args+=(--mail-rcpt "$to")
	done
	# The URL path is the EHLO name; without it the curl tool would send
	# the upload's file name instead.
	curl -sS --max-time 30 "${ACKBEAT_STACK_SMTP_URL:?source stack.env first}/client.test" \
		--mail-from "$from" "${args[@]}" -T "$file"
}

# --- IMAP over curl ---------------------------------------------------------

# _ab_imap_curl USER PASS PATH COMMAND - run one custom IMAP command and
# print the untagged response lines (CR removed).
_ab_imap_curl() {
	local out
	out=$(curl -sS --max-time 30 -u "$1:$2" "${ACKBEAT_STACK_IMAP_URL:?source stack.env first}/$3" -X "$4") || return
	printf '%s\n' "${out//$'\r'/}"
}

# imap_search USER PASS CRITERIA [MAILBOX] - print the UIDs (space
# separated, maybe none) of the messages matching an IMAP SEARCH CRITERIA
# such as 'SUBJECT "hello"' or 'HEADER Message-ID "<x@y>"'.
imap_search() {
	local out uids=
	out=$(_ab_imap_curl "$1" "$2" "${4:-INBOX}" "UID SEARCH $3") || return
	out=$(grep '^\* SEARCH' <<<"$out") || true
	uids=${out#\* SEARCH}
	uids=${uids# }
	printf '%s\n' "$uids"
}

# imap_wait_for USER PASS CRITERIA [TIMEOUT_S] [MAILBOX] - poll UID SEARCH
# until at least one message matches (delivery is asynchronous: Postfix
# queues, then hands over to Dovecot over LMTP). Prints the UIDs; status 1
# if none came within TIMEOUT_S (default 10) seconds.
imap_wait_for() {
	local user=$1 pass=$2 crit=$3 mbox=${5:-INBOX} uids end
	end=$(_ab_deadline "${4:-10}")
	while :; do
		uids=$(imap_search "$user" "$pass" "$crit" "$mbox") || return
		if [ -n "$uids" ]; then
			printf '%s\n' "$uids"
			return 0
		fi
		_ab_before "$end" || return 1
		sleep 0.1
	done
}

# imap_count USER PASS [MAILBOX] - print the number of messages in MAILBOX.
imap_count() {
	local out
	out=$(_ab_imap_curl "$1" "$2" "" "STATUS \"${3:-INBOX}\" (MESSAGES)") || return
	[[ $out =~ MESSAGES\ ([0-9]+) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# imap_flags USER PASS UID [MAILBOX] - print the message's flags, e.g. "\Seen".
imap_flags() {
	local out
	out=$(_ab_imap_curl "$1" "$2" "${4:-INBOX}" "UID FETCH $3 (FLAGS)") || return
	[[ $out =~ FLAGS\ \(([^\)]*)\) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# --- IMAP without curl ------------------------------------------------------

# imap_fetch USER PASS UID [MAILBOX] - print the raw message, exactly as
# stored, leaving its flags alone (it stays unseen).
#
# Why not curl: 'INBOX;UID=n' sends BODY[], which sets \Seen, and with
# libcurl 7.88.1 a custom -X 'UID FETCH n BODY.PEEK[]' returns only the
# first response line (curl issue #18847); its -D dump has the literal but
# ends early at any body line that starts with curl's own tag ("A004 OK").
# So this speaks IMAP itself over bash's /dev/tcp on the clear port, with
# EXAMINE (read-only) and BODY.PEEK[]. Limit: NUL bytes are dropped.
imap_fetch() {
	_ab_imap_literals=0
	_ab_imap_session "$1" "$2" "${4:-INBOX}" "UID FETCH $3 BODY.PEEK[]" literal || return
	# A UID that does not exist is not an error in IMAP: the reply is an
	# empty OK.
	if [ "$_ab_imap_literals" -eq 0 ]; then
		echo "imap: no message with UID $3 in ${4:-INBOX}" >&2
		return 1
	fi
}

# imap_raw USER PASS MAILBOX COMMAND - run COMMAND after LOGIN and EXAMINE
# MAILBOX (read-only) and print its untagged response, literals included,
# as the server sent it. Status 1 if the command did not end in OK.
imap_raw() {
	_ab_imap_session "$1" "$2" "$3" "$4" raw
}

# IMAP quoted string (RFC 3501): backslash and double quote are escaped.
_ab_imap_quote() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

_ab_imap_session() {
	local user=$1 pass=$2 mbox=$3 cmd=$4 mode=$5 fd line rc=0
	# Byte semantics for read -N.
	local LC_ALL=C
	if ! { exec {fd}<>"/dev/tcp/127.0.0.1/${ACKBEAT_STACK_IMAP_PORT:?source stack.env first}"; } 2>/dev/null; then
		echo "imap: cannot connect to 127.0.0.1:$ACKBEAT_STACK_IMAP_PORT" >&2
		return 7
	fi
	if ! IFS= read -r -t 10 -u "$fd" line || [[ $line != '* OK'* ]]; then
		echo "imap: no greeting" >&2
		rc=1
	elif ! _ab_imap_cmd "$fd" a1 "LOGIN $(_ab_imap_quote "$user") $(_ab_imap_quote "$pass")" ''; then
		echo "imap: login failed for $user" >&2
		rc=67
	elif ! _ab_imap_cmd "$fd" a2 "EXAMINE $(_ab_imap_quote "$mbox")" ''; then
		echo "imap: cannot examine $mbox" >&2
		rc=1
	elif ! _ab_imap_cmd "$fd" a3 "$cmd" "$mode"; then
		echo "imap: $cmd failed" >&2
		rc=1
	else
		_ab_imap_cmd "$fd" a4 LOGOUT '' || true
	fi
	exec {fd}>&-
	return "$rc"
}

# _ab_imap_cmd FD TAG COMMAND MODE - send one command and read up to its
# tagged reply. MODE raw prints every untagged line and literal, literal
# prints only the literals' bytes, '' prints nothing. A line ending in
# {N} is followed by exactly N bytes that are data, not protocol, however
# much they look like a tagged reply.
_ab_imap_cmd() {
	local fd=$1 tag=$2 cmd=$3 mode=$4 line data n
	printf '%s %s\r\n' "$tag" "$cmd" >&"$fd" || return 1
	while IFS= read -r -t 10 -u "$fd" line; do
		if [[ $line == "$tag "* ]]; then
			[[ $line == "$tag OK"* ]]
			return
		fi
		[ "$mode" != raw ] || printf '%s\n' "$line"
		while [[ $line =~ \{([0-9]+)\}$'\r'?$ ]]; do
			n=${BASH_REMATCH[1]}
			_ab_imap_literals=$((_ab_imap_literals + 1))
			data=
			if ((n > 0)); then
				IFS= read -r -N "$n" -t 10 -u "$fd" data || return 1
			fi
			[ -z "$mode" ] || printf '%s' "$data"
			IFS= read -r -t 10 -u "$fd" line || return 1
			[ "$mode" != raw ] || printf '%s\n' "$line"
		done
	done
	return 1
}

# --- files and databases ----------------------------------------------------

# maildir_count DIR - print how many messages a Maildir holds (new + cur).
maildir_count() {
	local n=0 f
	for f in "$1"/new/* "$1"/cur/*; do
		[ -f "$f" ] && n=$((n + 1))
	done
	printf '%d\n' "$n"
}

# odbc_query CONNECTION SQL - run SQL through unixODBC (isql) with a
# DSN-less connection string or a DSN name; print the result rows, fields
# separated by tabs. ODBCSYSINI from stack.env supplies the driver list.
odbc_query() {
	local out conn=$1
	if [[ $conn == *=* ]]; then
		out=$(printf '%s\n' "$2" | isql -b -v -x0x09 -k "$conn" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
	else
		out=$(printf '%s\n' "$2" | isql -b -v -x0x09 "$conn" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
	fi
	# isql reports SQL errors on stdout and still exits 0.
	if grep -q -E '^\[([0-9A-Z]{5}|ISQL)\]' <<<"$out"; then
		printf '%s\n' "$out" >&2
		return 1
	fi
	printf '%s\n' "$out" | grep -v -e '^SQLRowCount returns' -e '^[0-9]* rows fetched$' || true
}

# pg_private DIR DB PASSWORD - a PostgreSQL cluster of the test's own in
# DIR, for a test that stops and starts the server (the stack's is shared
# by every test of the run and must stay up).  A role `ackbeat` with
# PASSWORD owns database DB; the cluster listens on 127.0.0.1 at the first
# free port from the stack's PostgreSQL port + 100 up, and is stopped when
# the test exits.  Sets PGP_DIR, PGP_PORT and PGP_BIN.  Status 1 (with the
# log on stderr) if it does not start.
pg_private() {
	PGP_DIR=$1 PGP_BIN=${ACKBEAT_STACK_PG_BIN:-/usr/lib/postgresql/15/bin}
	local db=$2 pw=$3 p=$((${ACKBEAT_STACK_PG_PORT:-55432} + 100))
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	PGP_PORT=$p
	mkdir -p "$PGP_DIR/run"
	# postgres must reach the data through every parent (pitfall 16).
	chmod 755 "$PGP_DIR" "$(dirname "$PGP_DIR")"
	chown postgres:postgres "$PGP_DIR" "$PGP_DIR/run"
	printf 'postgres\n' >"$PGP_DIR/pw"
	chown postgres "$PGP_DIR/pw"
	(cd / && runuser -u postgres -- "$PGP_BIN/initdb" -D "$PGP_DIR/data" -U postgres \
		--pwfile="$PGP_DIR/pw" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
		--locale=C.UTF-8 --no-sync >"$PGP_DIR/initdb.log" 2>&1) ||
		{ cat "$PGP_DIR/initdb.log" >&2; return 1; }
	cat >>"$PGP_DIR/data/postgresql.conf" <<-EOF2
		listen_addresses = '127.0.0.1'
		port = $PGP_PORT
		unix_socket_directories = '$PGP_DIR/run'
		fsync = off
		synchronous_commit = off
	EOF2
	touch "$PGP_DIR/server.log"
	chown postgres "$PGP_DIR/server.log"
	pg_private_ctl start || { cat "$PGP_DIR/server.log" >&2; return 1; }
	at_exit "cd / && runuser -u postgres -- $PGP_BIN/pg_ctl -D $PGP_DIR/data -m immediate stop >/dev/null 2>&1"
	"$PGP_BIN/psql" -X -q -h "$PGP_DIR/run" -p "$PGP_PORT" -U postgres -d postgres \
		-c "CREATE ROLE ackbeat LOGIN PASSWORD '$pw'" -c "CREATE DATABASE $db OWNER ackbeat" >&2
}

# pg_private_ctl start|stop - start or stop (fast) pg_private's cluster.
pg_private_ctl() {
	(cd / && runuser -u postgres -- "$PGP_BIN/pg_ctl" -D "$PGP_DIR/data" -l "$PGP_DIR/server.log" \
		-w -t 30 -m fast "$1" </dev/null >>"$PGP_DIR/server.log" 2>&1)
}
