# shellcheck shell=bash disable=SC2034
# common.sh - helpers shared by start.sh, stop.sh and selftest.sh.
#
# Sourced, never run. Everything here is about one stack directory (DIR):
# validating its path, telling whether a daemon recorded in one of its pid
# files is really alive, and waiting for it to go.

# The marker that says "this directory is a test stack": start.sh will not
# take over a non-empty directory without it and stop.sh --rm will not
# delete one without it, so a typo in DIR cannot wipe real data.
STK_MARKER=.ackbeat-stack

# Unix socket paths are limited to 107 bytes. The longest socket the stack
# creates is DIR/dovecot/run/token-login/imap-urlauth (DIR + 37), so 70
# leaves no room for surprises.
STK_MAX_DIR_LEN=70

# stk_die MESSAGE [CODE] - print MESSAGE and exit with CODE (default 1).
stk_die() {
	printf '%s: %s\n' "${STK_PROG:-stack}" "$1" >&2
	exit "${2:-1}"
}

stk_say() {
	[ -n "${STK_QUIET:-}" ] || printf '%s: %s\n' "${STK_PROG:-stack}" "$*" >&2
}

# stk_dir ARG - print ARG as an absolute path, or die if it is unusable.
# Only a conservative character set is allowed: the path ends up unquoted
# in main.cf, dovecot.conf and postgresql.conf, none of which share a
# quoting syntax.
stk_dir() {
	local d=$1
	[ -n "$d" ] || stk_die "no directory given"
	[[ $d == /* ]] || d=$PWD/$d
	# Collapse "//" and a trailing "/", which all three configs would keep.
	while [[ $d == *//* ]]; do d=${d//\/\//\/}; done
	[ "$d" = / ] || d=${d%/}
	[[ $d =~ ^/[A-Za-z0-9._/-]+$ ]] ||
		stk_die "refusing directory '$d': only A-Z a-z 0-9 . _ - / are allowed"
	[[ /$d/ != */../* && /$d/ != */./* ]] ||
		stk_die "refusing directory '$d': no . or .. components"
	((${#d} <= STK_MAX_DIR_LEN)) ||
		stk_die "refusing directory '$d': longer than $STK_MAX_DIR_LEN characters (unix socket paths are limited to 107 bytes)"
	case $d in
	/ | /bin* | /boot* | /dev* | /etc* | /lib* | /proc* | /run | /sbin* | /sys* | /usr* | /var | /var/lib | /var/spool)
		stk_die "refusing directory '$d': a system path" ;;
	esac
	printf '%s\n' "$d"
}

# stk_read_pid FILE - print the pid recorded in FILE (Postfix pads it with
# spaces; PostgreSQL puts it on the first of several lines), or nothing.
stk_read_pid() {
	local line=
	[ -r "$1" ] || return 0
	IFS=' ' read -r line <"$1" || true
	line=${line//[[:space:]]/}
	[[ $line =~ ^[0-9]+$ ]] && printf '%s\n' "$line"
	return 0
}

# stk_alive PID NAME - true if PID is a running (not zombie) process whose
# executable is called NAME. PID 1 on this kind of machine reaps orphans
# seconds late, and kill -0 succeeds on a zombie, so /proc is read instead;
# checking the executable stops a stale pid file that now names somebody
# else's process from being signalled.
stk_alive() {
	local pid=$1 name=$2 exe state=
	[ -n "$pid" ] || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	[[ ${exe##*/} == "$name" || ${exe##*/} == "$name "* ]] || return 1
	while IFS=$'\t' read -r key val; do
		[ "$key" = State: ] && { state=${val%% *}; break; }
	done <"/proc/$pid/status" 2>/dev/null || return 1
	[ "$state" != Z ] && [ "$state" != X ]
}

# stk_wait_gone PID NAME TIMEOUT_S - wait until stk_alive is false.
stk_wait_gone() {
	local pid=$1 name=$2 i n=$(($3 * 50))
	for ((i = 0; i < n; i++)); do
		stk_alive "$pid" "$name" || return 0
		sleep 0.02
	done
	return 1
}

# stk_procs_under DIR - print "pid comm" of live processes whose working
# directory is inside DIR. Postfix daemons live in the queue directory and
# PostgreSQL backends in the data directory, while their command lines do
# not name DIR, so the cwd is the reliable way to find leftovers.
stk_procs_under() {
	local d=$1 p comm
	# One find instead of a readlink per process: this runs in a polling
	# loop while the daemons exit.
	while IFS= read -r p; do
		comm=
		read -r comm 2>/dev/null <"$p/comm" || continue
		printf '%s %s\n' "${p#/proc/}" "$comm"
	done < <(find /proc -mindepth 2 -maxdepth 2 -name cwd \( -lname "$d" -o -lname "$d/*" \) \
		-printf '%h\n' 2>/dev/null)
}

# stk_port_busy PORT - true if something accepts connections on 127.0.0.1:PORT.
stk_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# stk_wait_banner PORT PREFIX BYE TIMEOUT_S - wait until a connection to
# 127.0.0.1:PORT greets with a line starting with PREFIX, then say BYE so
# the server logs a clean disconnect. Retries cover a daemon that has bound
# its socket but not yet spawned the process that answers.
stk_wait_banner() {
	local port=$1 prefix=$2 bye=$3 i n=$(($4 * 20)) line fd
	for ((i = 0; i < n; i++)); do
		if { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
			line=
			IFS= read -r -t 2 -u "$fd" line || true
			{ printf '%s\r\n' "$bye" 1>&"$fd"; } 2>/dev/null || true
			exec {fd}>&-
			[[ $line == "$prefix"* ]] && return 0
		fi
		sleep 0.05
	done
	return 1
}
