#!/usr/bin/env bash
# t_94_state - the state file under real daemons: 0600 (it holds the reply
# tokens), one `ackbeat run` per database (a second refuses to start),
# four commands started at once on a new file all succeed (they crashed in
# the migrations), and a daemon whose state file is deleted or replaced
# stops with a clear error instead of writing into an unlinked file.
. "$AB_SRCDIR/tests/integration/lib.sh"

# ended=the exit status of daemon $1 once it has ended, or "still
# running" (then stopped) if it does not end within 30 s.  Not in $(...):
# a subshell cannot wait for our children.
exit_of() {
    if wait_until 30 sh -c "! kill -0 $1 2>/dev/null"; then
        wait "$1"
        ended=$?
    else
        kill "$1"
        ended="still running"
    fi
}

conf() { # conf FILE STATE
    cat >"$1" <<EOF2
<ackbeat tick="1s">
  <state path="$2"/>
  <mail from="ackbeat@example.test" transport="maildir:Maildir"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops"/>
  <checks><ping name="job" period="1d"/></checks>
</ackbeat>
EOF2
}
conf "$T_DIR/a.xml" "private/state.db"
umask 022
"$ACKBEAT" run -c "$T_DIR/a.xml" >"$T_DIR/a.out" 2>"$T_DIR/a.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
check "the daemon starts" wait_until 30 grep -q "running:" "$T_DIR/a.err"
check_eq "state.db is 0600" "$(stat -c %a "$T_DIR/private/state.db")" 600
check_eq "state.db-wal is 0600" "$(stat -c %a "$T_DIR/private/state.db-wal")" 600
check_eq "its folder, made by ackbeat, is 0700" "$(stat -c %a "$T_DIR/private")" 700

"$ACKBEAT" run -c "$T_DIR/a.xml" >"$T_DIR/b.out" 2>"$T_DIR/b.err" &
pid2=$!
at_exit "kill $pid2 2>/dev/null"
exit_of $pid2
check_eq "a second daemon on the same database refuses to start" "$ended" 1
check_contains "and says why" "$(cat "$T_DIR/b.err")" "another \`ackbeat run\` is already using this state database"
check "the first one runs on" kill -0 $pid

# Four at once on a new file.
conf "$T_DIR/c.xml" "race.db"
for i in 1 2 3 4; do
    "$ACKBEAT" tick -c "$T_DIR/c.xml" >"$T_DIR/c$i.out" 2>&1 &
    kids="$kids $!"
done
bad=0
for k in $kids; do wait "$k" || bad=$((bad + 1)); done
check_eq "four ticks started at once on a new database all succeed" "$bad" 0
check_eq "none crashed in the migrations" "$(cat "$T_DIR"/c?.out | grep -c 'already exists')" 0

# Replaced under the running daemon: noticed on the next tick.
cp "$T_DIR/private/state.db" "$T_DIR/copy.db"
mv "$T_DIR/copy.db" "$T_DIR/private/state.db"
exit_of $pid
check_eq "the daemon whose state file was replaced exits 1" "$ended" 1
check_contains "with a clear error" "$(cat "$T_DIR/a.err")" "state database was replaced by another file"

# Deleted under a running daemon.
conf "$T_DIR/d.xml" "gone.db"
"$ACKBEAT" run -c "$T_DIR/d.xml" >"$T_DIR/d.out" 2>"$T_DIR/d.err" &
pid3=$!
at_exit "kill $pid3 2>/dev/null"
check "another daemon starts" wait_until 30 grep -q "running:" "$T_DIR/d.err"
rm -f "$T_DIR/gone.db"
exit_of $pid3
check_eq "the daemon whose state file was deleted exits 1" "$ended" 1
check_contains "with a clear error" "$(cat "$T_DIR/d.err")" "the state database is gone"
done_testing
