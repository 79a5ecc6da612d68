#!/usr/bin/env bash
# t_33_docs.sh - docs that cannot rot.
#
# 1. Every configuration example in README.md, the module READMEs
#    (*/README.md), ackbeat(1) and ackbeat.conf(5), and seed 002's blocks
#    as its web page gives them (non-breaking spaces and all), passes
#    `ackbeat validate`.  How examples are found and how a fragment is
#    wrapped into a minimal valid config: tests/integration/doc_examples.py
#    (```xml blocks; .nf/.fi blocks that start with "<"; the seed's
#    <Schedules> and <HeartbeatAssembly> blocks; a fragment goes where its
#    first element belongs inside <ackbeat> with a <state> and a <mail>).
# 2. Every command in cli/main.c's table has a section (.SS) in
#    man/ackbeat.1 and a row in README.md's command table (internal
#    commands, described "(internal)", only the man section).
# 3. The README sends users to the man pages, not to a C API.
# Needs no stack; the seeds are at AB_SRCDIR/../shared/seeds (skipped
# with a note when absent).
. "$AB_SRCDIR/tests/integration/lib.sh"

src=$AB_SRCDIR
ex=$T_DIR/examples
docs=("$src/README.md")
for f in "$src"/*/README.md; do
	case $f in "$src"/tests/* | "$src"/build/*) continue ;; esac
	docs+=("$f")
done
docs+=("$src/man/ackbeat.1" "$src/man/ackbeat.conf.5")
seeds=$(ls "$src"/../shared/seeds/002_*.txt 2>/dev/null | head -n 1)
if [ -n "$seeds" ]; then
	docs+=("$seeds")
else
	diag "note: seed 002 not found at $src/../shared/seeds: its blocks are not checked"
fi

list=$(python3 "$src/tests/integration/doc_examples.py" "$ex" "${docs[@]}") ||
	not_ok "the examples can be extracted" "$list"
n_whole=$(grep -c $'\twhole' <<<"$list")
n_frag=$(grep -c $'\tfragment' <<<"$list")
diag "found $n_whole whole configs and $n_frag fragments"
# The README's and ackbeat.conf(5)'s full examples at least; seed 002 has two blocks.
check "at least two whole example configs were found" test "$n_whole" -ge 2
if [ -n "$seeds" ]; then
	check "seed 002's <Schedules> and <HeartbeatAssembly> were found" \
		grep -q "<HeartbeatAssembly>" "$ex/$(grep "${seeds##*/}" <<<"$list" | cut -f1)"
fi

# Each *-env= variable an example names is set, as a site would.
envs=()
for e in "$ex"/*.env; do
	[ -e "$e" ] || continue
	e=${e##*/}
	envs+=("${e%.env}=docs-example-secret-0123456789")
done
while IFS=$'\t' read -r file where kind; do
	[ -n "$file" ] || continue
	out=$(cd "$ex" && env "${envs[@]}" "$ACKBEAT" validate -c "$ex/$file" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "validate: ${where#"$src"/} ($kind)"
	else
		not_ok "validate: ${where#"$src"/} ($kind)" "exit $rc" "$out" \
			"--- as validated:" "$(cat -n "$ex/$file" | head -n 60)"
	fi
done <<<"$list"

# --- commands: man sections and README rows ----------------------------------
cmds=$(sed -n 's/^ *{"\([a-z-]*\)", cmd_[a-z_]*, "\(.*\)"},.*/\1\t\2/p' "$src/cli/main.c")
check "cli/main.c's command table was read" test "$(wc -l <<<"$cmds")" -ge 15
missing_man='' missing_readme=''
while IFS=$'\t' read -r cmd desc; do
	[ -n "$cmd" ] || continue
	sec=${cmd//-/\\-}
	grep -qxF ".SS $sec" "$src/man/ackbeat.1" || missing_man+=" $cmd"
	case $desc in "(internal)"*) continue ;; esac
	grep -qE "^\| \`ackbeat $cmd( |\`)" "$src/README.md" || missing_readme+=" $cmd"
done <<<"$cmds"
check_eq "every command has a section in ackbeat(1)" "${missing_man:-none}" none
check_eq "every command has a row in README.md's command table" "${missing_readme:-none}" none
# And the other way: no section for a command that does not exist.
extra=''
while read -r sec; do
	name=${sec//\\-/-}
	grep -q "^$name"$'\t' <<<"$cmds" || extra+=" $name"
done < <(sed -n '/^\.SH COMMANDS/,/^\.SH /s/^\.SS //p' "$src/man/ackbeat.1")
check_eq "ackbeat(1) documents no command that is gone" "${extra:-none}" none

# --- the README points at user documentation ----------------------------------
check_contains "README.md names ackbeat.conf(5)" "$(cat "$src/README.md")" "ackbeat.conf(5)"
if grep -n 'checks/README.md' "$src/README.md" >/dev/null; then
	not_ok "README.md does not send users to checks/README.md (a C API)" \
		"$(grep -n 'checks/README.md' "$src/README.md")"
else
	ok "README.md does not send users to checks/README.md (a C API)"
fi

done_testing
