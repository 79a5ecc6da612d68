#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# start.sh - start a throwaway Postfix + Dovecot + PostgreSQL stack on
# 127.0.0.1 for ackbeat's integration tests, all of it inside DIR.
#
# Usage: tests/stack/start.sh DIR
#   then: . DIR/stack.env      (every URL, port, password, path a test needs)
#   stop: tests/stack/stop.sh DIR [--rm]
#
# Runs as root (postfix start needs it). Nothing listens beyond 127.0.0.1 and
# no mail can leave the machine (default_transport = relay_transport = error).
# Idempotent: on a running stack it rewrites only configs that changed, then
# restarts Dovecot / reloads Postfix / restarts PostgreSQL only if theirs did.
# Data (mail, queue, database) is kept. See ../../../shared/notes/test-stack.md
# for the why of most settings below; "pitfall N" refers to its list.
#
# Defaults, each overridable from the environment:
#   ACKBEAT_STACK_SMTP_PORT=2525        Postfix smtpd: local domain without
#                                       auth, AUTH PLAIN/LOGIN and STARTTLS offered
#   ACKBEAT_STACK_SUBMISSION_PORT=2587  STARTTLS and AUTH required
#   ACKBEAT_STACK_SMTPS_PORT=2465       implicit TLS, AUTH required
#   ACKBEAT_STACK_IMAP_PORT=1143        plaintext login allowed, STARTTLS offered
#   ACKBEAT_STACK_IMAPS_PORT=1993
#   ACKBEAT_STACK_PG_PORT=55432         PostgreSQL 15 (ACKBEAT_STACK_PG=0 skips it)
#   ACKBEAT_STACK_PG_USER / _PG_PASSWORD / _PG_DB = ackbeat
#   ACKBEAT_STACK_USERS="alice:alicepw bob:bobpw heartbeat:heartbeatpw"
#   ACKBEAT_STACK_DOMAIN=example.test
#   ACKBEAT_STACK_VMAIL_UID=5000        owner of every Maildir (no passwd entry needed)
#
# Exit status: 0 the stack is up, 3 a port is taken by something else (the
# integration runner then retries on other ports), 1 anything else.
#
# Timings on this 2-core VM, /tmp on disk, other work running (load ~2),
# from tests/stack/cycle.sh. PostgreSQL's initdb (1.1-1.3 s) runs in the
# background while the mail servers start (0.6 s), so it sets the pace:
#   cold start, fresh DIR, whole stack     1.6-2.1 s (3-4 s when the box is busy)
#   cold start, ACKBEAT_STACK_PG=0         0.4 s
#   warm start (already running)           0.08-0.13 s; 0.17 s if Postfix is reloaded
#   start of a stopped DIR (data kept)     0.35-0.6 s
#   stop                                   1.04-1.18 s (Dovecot takes 1.1 s to exit)
#   stop again / --rm of a stopped DIR     0.03 s / 0.05-0.35 s (rm of the PG data)
#   selftest.sh (45 checks)                2.7-3.5 s (each refused login costs 0.5 s)
set -euo pipefail

# shellcheck disable=SC2034 # read by common.sh
STK_PROG=start.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

case ${1:-} in
-h | --help | "")
	sed -n '2,/^set -euo/{/^set -euo/d;/^# shellcheck/d;s/^# \{0,1\}//;p}' "$0" >&2
	[ -n "${1:-}" ] && exit 0
	exit 2 ;;
esac
[ $# -eq 1 ] || stk_die "usage: start.sh DIR"
D=$(stk_dir "$1")
[ "$(id -u)" = 0 ] || stk_die "must run as root (postfix start requires it)"

# --- settings ---------------------------------------------------------------

SMTP_PORT=${ACKBEAT_STACK_SMTP_PORT:-2525}
SUBMISSION_PORT=${ACKBEAT_STACK_SUBMISSION_PORT:-2587}
SMTPS_PORT=${ACKBEAT_STACK_SMTPS_PORT:-2465}
IMAP_PORT=${ACKBEAT_STACK_IMAP_PORT:-1143}
IMAPS_PORT=${ACKBEAT_STACK_IMAPS_PORT:-1993}
PG=${ACKBEAT_STACK_PG:-1}
PG_PORT=${ACKBEAT_STACK_PG_PORT:-55432}
PG_USER=${ACKBEAT_STACK_PG_USER:-ackbeat}
PG_PASSWORD=${ACKBEAT_STACK_PG_PASSWORD:-ackbeat}
PG_DB=${ACKBEAT_STACK_PG_DB:-ackbeat}
PG_BIN=${ACKBEAT_STACK_PG_BIN:-/usr/lib/postgresql/15/bin}
USERS=${ACKBEAT_STACK_USERS:-alice:alicepw bob:bobpw heartbeat:heartbeatpw}
DOMAIN=${ACKBEAT_STACK_DOMAIN:-example.test}
VMAIL_UID=${ACKBEAT_STACK_VMAIL_UID:-5000}
# Accepted by Postfix (it is in the virtual mailbox map) but unknown to
# Dovecot, so LMTP refuses it after the SMTP transaction and Postfix sends a
# real DSN back to the envelope sender: bounce handling can be tested.
BOUNCE_LOCAL=gone
HOSTNAME_FQ=mail.$DOMAIN

[[ $PG == [01] ]] || stk_die "ACKBEAT_STACK_PG must be 0 or 1"
ports=("$SMTP_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT" "$IMAP_PORT" "$IMAPS_PORT")
[ "$PG" = 1 ] && ports+=("$PG_PORT")
declare -A seen_port=()
for p in "${ports[@]}"; do
	if ! [[ $p =~ ^[1-9][0-9]{2,4}$ ]] || ((p > 65535)); then
		stk_die "bad port '$p'"
	fi
	[ -z "${seen_port[$p]:-}" ] || stk_die "ports must all differ: ${ports[*]}"
	seen_port[$p]=1
done
[[ $DOMAIN =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || stk_die "bad domain '$DOMAIN'"
[[ $VMAIL_UID =~ ^[1-9][0-9]*$ ]] || stk_die "bad uid '$VMAIL_UID'"
for v in "$PG_USER" "$PG_DB"; do
	[[ $v =~ ^[a-z_][a-z0-9_]*$ ]] || stk_die "bad PostgreSQL name '$v'"
done
[[ $PG_PASSWORD =~ ^[A-Za-z0-9._~-]+$ ]] || stk_die "bad PostgreSQL password"

# User names become parts of variable names (ACKBEAT_STACK_MAILDIR_alice)
# and passwords go into URLs and connection strings unescaped, hence the
# narrow character sets.
user_names=()
user_pws=()
for up in $USERS; do
	u=${up%%:*} pw=${up#*:}
	[[ $up == *:* && $u =~ ^[a-z][a-z0-9_]*$ && $pw =~ ^[A-Za-z0-9._~-]+$ ]] ||
		stk_die "bad ACKBEAT_STACK_USERS entry '$up' (want name:password, name [a-z0-9_], password [A-Za-z0-9._~-])"
	[ "$u" != "$BOUNCE_LOCAL" ] || stk_die "user name '$u' is reserved for bounce tests"
	user_names+=("$u")
	user_pws+=("$pw")
done
((${#user_names[@]})) || stk_die "ACKBEAT_STACK_USERS names no user"

# The drivers by path, whatever the multiarch triplet.
PSQLODBC='' PSQLODBC_A='' SQLITEODBC=''
for f in /usr/lib/*/odbc/psqlodbcw.so; do [ -e "$f" ] && PSQLODBC=$f; done
for f in /usr/lib/*/odbc/psqlodbca.so; do [ -e "$f" ] && PSQLODBC_A=$f; done
for f in /usr/lib/*/odbc/libsqlite3odbc.so; do [ -e "$f" ] && SQLITEODBC=$f; done

# --- the directory ----------------------------------------------------------

if [ -e "$D" ] && [ ! -e "$D/$STK_MARKER" ]; then
	[ -d "$D" ] || stk_die "$D exists and is not a directory"
	[ -z "$(ls -A "$D")" ] ||
		stk_die "$D is not empty and has no $STK_MARKER marker; refusing to take it over"
fi
mkdir -p "$D"
: >"$D/$STK_MARKER"
# mktemp -d makes 0700 directories; the postfix, dovecot and postgres users
# must traverse DIR (pitfall 2).
chmod 755 "$D"
mkdir -p "$D/log" "$D/tls" "$D/postfix/conf" "$D/postfix/spool" \
	"$D/dovecot/state" "$D/mail" "$D/odbc" "$D/sqlite"
chown "$VMAIL_UID:$VMAIL_UID" "$D/mail"

# Back-dating matters: Postfix re-reads main.cf and texthash maps younger
# than ~2 s in 300 ms loops "to let them cool down", which turned a 0.2 s
# start into 2.4 s (pitfall 6).
printf -v now '%(%s)T' -1
backdate=@$((now - 10))

# put_file DEST - write stdin to DEST if it differs; true if it changed.
# Unchanged files keep their mtime so a second start is a no-op.
put_file() {
	local dest=$1 tmp=$1.new.$$
	cat >"$tmp"
	if cmp -s "$tmp" "$dest"; then
		rm -f "$tmp"
		return 1
	fi
	touch -d "$backdate" "$tmp"
	mv -f "$tmp" "$dest"
	return 0
}

# --- TLS --------------------------------------------------------------------

# One self-signed EC certificate is both the servers' certificate and the
# CA that clients trust (curl --cacert, CURLOPT_CAINFO).
if [ ! -s "$D/tls/cert.pem" ] || [ ! -s "$D/tls/key.pem" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$D/tls/key.pem" -out "$D/tls/cert.pem" -days 3650 \
		-subj "/CN=localhost/O=ackbeat test stack" \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:$HOSTNAME_FQ" \
		-addext "keyUsage=critical,digitalSignature,keyCertSign" \
		-addext "extendedKeyUsage=serverAuth" 2>/dev/null ||
		stk_die "openssl could not make the certificate"
	chmod 600 "$D/tls/key.pem"
	chmod 644 "$D/tls/cert.pem"
fi

# --- Dovecot config ---------------------------------------------------------

dovecot_changed=
{
	for i in "${!user_names[@]}"; do
		printf '%s:{PLAIN}%s::::::\n' "${user_names[i]}" "${user_pws[i]}"
	done
} | put_file "$D/dovecot/users" || true
chown root:dovecot "$D/dovecot/users"
chmod 640 "$D/dovecot/users"

put_file "$D/dovecot/dovecot.conf" <<EOF && dovecot_changed=1
# Generated by tests/stack/start.sh; rewritten on every start.
instance_name = ackbeat-stack
base_dir = $D/dovecot/run
state_dir = $D/dovecot/state
log_path = $D/log/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
hostname = $HOSTNAME_FQ
postmaster_address = postmaster@$DOMAIN

ssl = yes
ssl_cert = <$D/tls/cert.pem
ssl_key = <$D/tls/key.pem
ssl_dh = </usr/share/dovecot/dh.pem

# Tests log in with plain passwords over the clear port on purpose.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# Failed logins would otherwise cost 2 s each and grow an anvil penalty
# that made a good login after 3 bad ones take 15 s (pitfall 9).
auth_failure_delay = 0

mail_location = maildir:~/Maildir
mail_fsync = never
first_valid_uid = $VMAIL_UID
last_valid_uid = $VMAIL_UID
first_valid_gid = $VMAIL_UID
last_valid_gid = $VMAIL_UID
# Tests open many sessions for one user from 127.0.0.1; the default of 10
# would refuse the 11th concurrent one.
mail_max_userip_connections = 100

# heartbeat+TOKEN@domain is delivered to heartbeat's INBOX.
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $D/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%n $D/dovecot/users
  default_fields = uid=$VMAIL_UID gid=$VMAIL_UID home=$D/mail/%n
}

namespace inbox {
  inbox = yes
  mailbox Drafts {
    auto = subscribe
    special_use = \\Drafts
  }
  mailbox Sent {
    auto = subscribe
    special_use = \\Sent
  }
  mailbox Trash {
    auto = subscribe
    special_use = \\Trash
  }
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
# Mode 0 disables the auth penalty socket (pitfall 9); a stale socket file
# from an earlier run would then cost 5 s, hence rm -rf of base_dir before
# every start (pitfall 10).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF

# --- Postfix config ---------------------------------------------------------

postfix_changed=
{
	for u in "${user_names[@]}" "$BOUNCE_LOCAL"; do
		printf '%s@%s\t%s/\n' "$u" "$DOMAIN" "$u"
	done
} | put_file "$D/postfix/conf/vmailbox" && postfix_changed=1

# The queue and data directories are siblings of conf/, not inside it:
# postfix-script checks ownership of everything under the config dir
# (pitfall 4). data/ is left for Postfix to create with its own owner
# (pitfall 2).
put_file "$D/postfix/conf/main.cf" <<EOF && postfix_changed=1
# Generated by tests/stack/start.sh; rewritten on every start.
compatibility_level = 3.6
queue_directory = $D/postfix/spool
data_directory = $D/postfix/data
# No syslog here: without these Postfix fails silently (pitfall 1).
maillog_file = $D/log/postfix.log
maillog_file_prefixes = $D/log

myhostname = $HOSTNAME_FQ
mydomain = $DOMAIN
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
local_recipient_maps =
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
smtpd_banner = \$myhostname ESMTP ackbeat test stack
recipient_delimiter = +

virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$D/postfix/conf/vmailbox
virtual_transport = lmtp:unix:$D/dovecot/run/lmtp
# One recipient per LMTP transaction: only then does Dovecot add a
# Delivered-To header (and "for <rcpt>" in Received), which is how a reader
# learns that a reply came to heartbeat+TOKEN@domain.
lmtp_destination_recipient_limit = 1

# Nothing leaves this machine: any other domain is refused at RCPT.
default_transport = error:outbound mail disabled (ackbeat test stack)
relay_transport = error:outbound mail disabled (ackbeat test stack)
relay_domains =
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination

smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $D/dovecot/run/auth-postfix
smtpd_tls_security_level = may
smtpd_tls_cert_file = $D/tls/cert.pem
smtpd_tls_key_file = $D/tls/key.pem
smtp_tls_security_level = none

# Recover in 1 s, not 60, if smtpd ever started while the Dovecot auth
# socket was missing (pitfall 11).
service_throttle_time = 1s
# Speed over politeness: tests send bursts and expect them in the Maildir
# at once, and a refused LMTP delivery is retried within seconds.
in_flow_delay = 0
smtpd_error_sleep_time = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 10s
EOF

# chroot is off everywhere (column 5 = n): the daemons must reach sockets
# and maps under DIR by absolute path.
put_file "$D/postfix/conf/master.cf" <<EOF && postfix_changed=1
# Generated by tests/stack/start.sh; rewritten on every start.
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$SMTPS_PORT inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup     unix n - n 60 1 pickup
cleanup    unix n - n - 0 cleanup
qmgr       unix n - n 300 1 qmgr
tlsmgr     unix - - n 1000? 1 tlsmgr
rewrite    unix - - n - - trivial-rewrite
bounce     unix - - n - 0 bounce
defer      unix - - n - 0 bounce
trace      unix - - n - 0 bounce
verify     unix - - n - 1 verify
flush      unix n - n 1000? 0 flush
proxymap   unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp       unix - - n - - smtp
relay      unix - - n - - smtp
showq      unix n - n - - showq
error      unix - - n - - error
retry      unix - - n - - error
discard    unix - - n - - discard
lmtp       unix - - n - - lmtp
anvil      unix - - n - 1 anvil
scache     unix - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF

# --- mailboxes --------------------------------------------------------------

# Made up front so a test can count an empty Maildir before any delivery.
for u in "${user_names[@]}"; do
	m=$D/mail/$u/Maildir
	[ -d "$m/new" ] && continue
	mkdir -p "$m/cur" "$m/new" "$m/tmp"
	chown -R "$VMAIL_UID:$VMAIL_UID" "$D/mail/$u"
	chmod 700 "$D/mail/$u" "$m" "$m/cur" "$m/new" "$m/tmp"
done

# --- ODBC -------------------------------------------------------------------

# Debian's /etc/odbcinst.ini sets CommLog=1, so each psqlODBC connection
# leaves /tmp/psqlodbc_*.log behind; only a private odbcinst.ini, found
# through ODBCSYSINI, turns that off (pitfall 12). odbc.ini beside it holds
# the DSNs.
{
	if [ -n "$PSQLODBC" ]; then
		printf '[PostgreSQL Unicode]\nDescription=PostgreSQL ODBC driver (Unicode)\nDriver=%s\nDebug=0\nCommLog=0\n\n' "$PSQLODBC"
	fi
	if [ -n "$PSQLODBC_A" ]; then
		printf '[PostgreSQL ANSI]\nDescription=PostgreSQL ODBC driver (ANSI)\nDriver=%s\nDebug=0\nCommLog=0\n\n' "$PSQLODBC_A"
	fi
	if [ -n "$SQLITEODBC" ]; then
		printf '[SQLite3]\nDescription=SQLite3 ODBC driver\nDriver=%s\n\n' "$SQLITEODBC"
	fi
} | put_file "$D/odbc/odbcinst.ini" || true
{
	printf '[ackbeat_pg]\nDriver=PostgreSQL Unicode\nServername=127.0.0.1\nPort=%s\nDatabase=%s\nUsername=%s\nPassword=%s\n\n' \
		"$PG_PORT" "$PG_DB" "$PG_USER" "$PG_PASSWORD"
	printf '[ackbeat_sqlite]\nDriver=SQLite3\nDatabase=%s\n' "$D/sqlite/ackbeat.db"
} | put_file "$D/odbc/odbc.ini" || true

# --- PostgreSQL (in the background: initdb is the slowest step) -------------

pg_log=$D/log/postgresql.log
pg_up() {
	local pgdata=$D/pg/data pid opts restart=
	# initdb and pg_ctl refuse root; postgres must own the data and socket
	# dirs and must not start in a cwd it cannot read (pitfall 16).
	cd /
	mkdir -p "$D/pg/run"
	chown postgres:postgres "$D/pg" "$D/pg/run"
	chmod 755 "$D/pg" "$D/pg/run"
	touch "$pg_log"
	chown postgres:postgres "$pg_log"
	if [ ! -s "$pgdata/PG_VERSION" ]; then
		rm -rf "$pgdata"
		# initdb insists on a superuser password once any method is
		# password-based; the socket stays trust for postgres.
		printf 'postgres\n' >"$D/pg/pw"
		chown postgres "$D/pg/pw"
		runuser -u postgres -- "$PG_BIN/initdb" -D "$pgdata" -U postgres \
			--pwfile="$D/pg/pw" --auth-local=trust --auth-host=scram-sha-256 \
			-E UTF8 --locale=C.UTF-8 --no-sync >>"$pg_log" 2>&1 ||
			{ rm -f "$D/pg/pw"; stk_die "initdb failed, see $pg_log"; }
		rm -f "$D/pg/pw"
		printf "\ninclude = 'ackbeat.conf'\n" >>"$pgdata/postgresql.conf"
	fi
	put_file "$pgdata/ackbeat.conf" <<-EOF && restart=1
		# Generated by tests/stack/start.sh; rewritten on every start.
		listen_addresses = '127.0.0.1'
		port = $PG_PORT
		unix_socket_directories = '$D/pg/run'
		# A throwaway database: durability buys nothing here.
		fsync = off
		synchronous_commit = off
		full_page_writes = off
	EOF
	chown postgres:postgres "$pgdata/ackbeat.conf"
	pid=$(stk_read_pid "$pgdata/postmaster.pid")
	# pg_ctl's own output and the server's log share one file on purpose.
	# shellcheck disable=SC2094
	if stk_alive "$pid" postgres; then
		[ -z "$restart" ] && return 0
		runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pgdata" -l "$pg_log" -w -m fast restart \
			</dev/null >>"$pg_log" 2>&1 || stk_die "PostgreSQL restart failed, see $pg_log"
	else
		! stk_port_busy "$PG_PORT" || stk_die "port $PG_PORT is in use by something else" 3
		runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pgdata" -l "$pg_log" -w -t 30 start \
			</dev/null >>"$pg_log" 2>&1 || stk_die "PostgreSQL did not start, see $pg_log"
	fi
	opts=(-X -q -v ON_ERROR_STOP=1 -h "$D/pg/run" -p "$PG_PORT" -U postgres -d postgres)
	# FILE_COPY: 0.14 s instead of 0.24 s for the default WAL_LOG copy of
	# the template, and durability is off anyway.
	"$PG_BIN/psql" "${opts[@]}" >>"$pg_log" 2>&1 <<-EOF || stk_die "could not create role/database, see $pg_log"
		SELECT format('CREATE ROLE %I LOGIN CREATEDB', '$PG_USER')
		 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') \gexec
		ALTER ROLE "$PG_USER" PASSWORD '$PG_PASSWORD';
		SELECT format('CREATE DATABASE %I OWNER %I STRATEGY FILE_COPY', '$PG_DB', '$PG_USER')
		 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DB') \gexec
	EOF
}

pg_pid=
if [ "$PG" = 1 ]; then
	[ -x "$PG_BIN/initdb" ] || stk_die "no PostgreSQL in $PG_BIN (set ACKBEAT_STACK_PG_BIN, or ACKBEAT_STACK_PG=0)"
	pg_up &
	pg_pid=$!
	# If the mail half fails while initdb runs, let it finish first, so
	# that stop.sh finds PostgreSQL either running or not, never starting.
	trap 'wait "$pg_pid" 2>/dev/null || true' EXIT
fi

# --- Dovecot ----------------------------------------------------------------

# Dovecot first: Postfix's smtpd needs its auth socket (pitfall 11).
dc_pid=$(stk_read_pid "$D/dovecot/run/master.pid")
if stk_alive "$dc_pid" dovecot && [ -n "$dovecot_changed" ]; then
	stk_say "dovecot.conf changed: restarting Dovecot"
	kill -TERM "$dc_pid"
	stk_wait_gone "$dc_pid" dovecot 10 || stk_die "Dovecot (pid $dc_pid) did not stop"
fi
if ! stk_alive "$dc_pid" dovecot; then
	for p in "$IMAP_PORT" "$IMAPS_PORT"; do
		! stk_port_busy "$p" || stk_die "port $p is in use by something else" 3
	done
	rm -rf "$D/dovecot/run"
	# Daemons must not inherit the caller's stdout/stderr: "start.sh | grep"
	# would never end while Dovecot holds the pipe (pitfall 8).
	dovecot -c "$D/dovecot/dovecot.conf" </dev/null >>"$D/log/dovecot.log" 2>&1 ||
		stk_die "Dovecot did not start, see $D/log/dovecot.log"
fi
stk_wait_banner "$IMAP_PORT" '* OK' 'a LOGOUT' 10 ||
	stk_die "no IMAP banner on 127.0.0.1:$IMAP_PORT, see $D/log/dovecot.log"

# --- Postfix ----------------------------------------------------------------

pf=(postfix -c "$D/postfix/conf")
# Read the pid file first: "postfix status" takes 2 s to fail when there
# is none (pitfall 7).
pf_pid=$(stk_read_pid "$D/postfix/spool/pid/master.pid")
if stk_alive "$pf_pid" master; then
	if [ -n "$postfix_changed" ]; then
		stk_say "Postfix config changed: reloading"
		"${pf[@]}" reload </dev/null >>"$D/log/postfix.log" 2>&1 ||
			stk_die "postfix reload failed, see $D/log/postfix.log"
	fi
else
	for p in "$SMTP_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT"; do
		! stk_port_busy "$p" || stk_die "port $p is in use by something else" 3
	done
	"${pf[@]}" start </dev/null >>"$D/log/postfix.log" 2>&1 ||
		stk_die "Postfix did not start, see $D/log/postfix.log"
fi
for p in "$SMTP_PORT" "$SUBMISSION_PORT"; do
	stk_wait_banner "$p" 220 QUIT 10 ||
		stk_die "no SMTP banner on 127.0.0.1:$p, see $D/log/postfix.log"
done

if [ -n "$pg_pid" ]; then
	wait "$pg_pid" || exit $?
fi

# --- stack.env --------------------------------------------------------------

q() { printf "export %s='%s'\n" "$1" "$2"; }
{
	cat <<-EOF
		# Generated by tests/stack/start.sh for the stack in $D.
		# Source it:  . $D/stack.env
		#
		# Put a message into alice's INBOX (SMTP, no auth for $DOMAIN):
		#   curl -sS "\$ACKBEAT_STACK_SMTP_URL/client.test" --mail-from heartbeat@$DOMAIN \\
		#        --mail-rcpt alice@$DOMAIN -T msg.eml
		#   (the URL path is the EHLO name; without one the curl tool uses the file name)
		#   or: tests/stack/deliver.sh $D alice msg.eml
		# Read it back over IMAP without marking it \\Seen:
		#   curl -sS -u alice:\$ACKBEAT_STACK_PASSWORD_alice "\$ACKBEAT_STACK_IMAP_URL/INBOX" -X 'UID SEARCH ALL'
		#   curl -sS -u alice:\$ACKBEAT_STACK_PASSWORD_alice "\$ACKBEAT_STACK_IMAP_URL/INBOX" -X 'UID FETCH 1 BODY.PEEK[]'
		#   ('INBOX;UID=1' fetches BODY[], which sets \\Seen); or use imap_fetch in tests/integration/lib.sh.
		# Or read the files: \$ACKBEAT_STACK_MAILDIR_alice/{new,cur}.
		# Mail to $BOUNCE_LOCAL@$DOMAIN is accepted, then bounced to the envelope sender.
		# Any other domain is refused at RCPT: nothing leaves this machine.
		# Postfix tools: postqueue -c "\$ACKBEAT_STACK_POSTFIX_CONF" -p; sendmail -C "\$ACKBEAT_STACK_POSTFIX_CONF" -t
	EOF
	q ACKBEAT_STACK_DIR "$D"
	q ACKBEAT_STACK_HOST 127.0.0.1
	q ACKBEAT_STACK_DOMAIN "$DOMAIN"
	q ACKBEAT_STACK_HOSTNAME "$HOSTNAME_FQ"
	q ACKBEAT_STACK_CA "$D/tls/cert.pem"
	q ACKBEAT_STACK_LOG_DIR "$D/log"
	q ACKBEAT_STACK_SMTP_PORT "$SMTP_PORT"
	q ACKBEAT_STACK_SUBMISSION_PORT "$SUBMISSION_PORT"
	q ACKBEAT_STACK_SMTPS_PORT "$SMTPS_PORT"
	q ACKBEAT_STACK_IMAP_PORT "$IMAP_PORT"
	q ACKBEAT_STACK_IMAPS_PORT "$IMAPS_PORT"
	q ACKBEAT_STACK_SMTP_URL "smtp://127.0.0.1:$SMTP_PORT"
	q ACKBEAT_STACK_SUBMISSION_URL "smtp://127.0.0.1:$SUBMISSION_PORT"
	q ACKBEAT_STACK_SMTPS_URL "smtps://127.0.0.1:$SMTPS_PORT"
	q ACKBEAT_STACK_IMAP_URL "imap://127.0.0.1:$IMAP_PORT"
	q ACKBEAT_STACK_IMAPS_URL "imaps://127.0.0.1:$IMAPS_PORT"
	q ACKBEAT_STACK_POSTFIX_CONF "$D/postfix/conf"
	q ACKBEAT_STACK_BOUNCE_ADDR "$BOUNCE_LOCAL@$DOMAIN"
	q ACKBEAT_STACK_USERS "$USERS"
	q ACKBEAT_STACK_USER_NAMES "${user_names[*]}"
	for i in "${!user_names[@]}"; do
		u=${user_names[i]}
		q "ACKBEAT_STACK_PASSWORD_$u" "${user_pws[i]}"
		q "ACKBEAT_STACK_EMAIL_$u" "$u@$DOMAIN"
		q "ACKBEAT_STACK_MAILDIR_$u" "$D/mail/$u/Maildir"
	done
	q ACKBEAT_STACK_PG "$PG"
	if [ "$PG" = 1 ]; then
		q ACKBEAT_STACK_PG_PORT "$PG_PORT"
		q ACKBEAT_STACK_PG_USER "$PG_USER"
		q ACKBEAT_STACK_PG_PASSWORD "$PG_PASSWORD"
		q ACKBEAT_STACK_PG_DB "$PG_DB"
		q ACKBEAT_STACK_PG_SOCKET_DIR "$D/pg/run"
		q ACKBEAT_STACK_PG_URI "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
		q ACKBEAT_STACK_ODBC_PG "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=$PG_PORT;Database=$PG_DB;Uid=$PG_USER;Pwd=$PG_PASSWORD;"
		q ACKBEAT_STACK_ODBC_PG_DSN ackbeat_pg
	fi
	q ACKBEAT_STACK_SQLITE_DB "$D/sqlite/ackbeat.db"
	q ACKBEAT_STACK_ODBC_SQLITE "Driver={SQLite3};Database=$D/sqlite/ackbeat.db;"
	q ACKBEAT_STACK_ODBC_SQLITE_DSN ackbeat_sqlite
	q ODBCSYSINI "$D/odbc"
} >"$D/stack.env.new"
mv -f "$D/stack.env.new" "$D/stack.env"
stk_say "stack up in $D (. $D/stack.env)"
