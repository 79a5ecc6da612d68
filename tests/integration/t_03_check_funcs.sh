#!/usr/bin/env bash
# t_03_check_funcs.sh - scripts/check-funcs (make lint) holds functions to
# 80 lines and files to 700: the limit itself passes and one more line
# fails, a multi-line declarator and a leading macro still name the
# function, a listed offender is reported without failing, a stale entry
# is named (and fails only with --strict), and the tree as it is passes.
# Needs no stack: it runs on generated C files in T_DIR.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$AB_SRCDIR/tests/integration/lib.sh"

cf=$AB_SRCDIR/scripts/check-funcs
cd "$T_DIR" || exit 1

# fn NAME BODY_LINES: a function whose braces and body span BODY_LINES + 2.
fn() {
	printf 'static int\n%s(int a,\n    int b)\n{\n' "$1"
	for ((i = 0; i < $2; i++)); do printf '    a += b;\n'; done
	printf '    return a;\n}\n\n'
}
{ fn fits 77; } > fits.c # 1 + 77 + 1 + 1 = 80 lines
{ printf 'AB_PRINTF(2, 3) '; fn too_long 78; } > long.c # 81 lines
printf '#include <stdio.h>\n' > none.list

out=$(LONG_FUNCS=none.list "$cf" fits.c) && st=0 || st=$?
check_eq "a function of exactly 80 lines passes" "$st" 0
check_contains "the summary says nothing is too long" "$out" "no function over 80 lines"

out=$(LONG_FUNCS=none.list "$cf" fits.c long.c) && st=0 || st=$?
check_eq "a function of 81 lines fails" "$st" 1
check_contains "the failure names file, line, function and length" "$out" \
	"long.c:4 too_long 81 lines, over 80 for a function"

printf '# known\nlong.c too_long\nfits.c gone\nelsewhere.c other\n' > known.list
out=$(LONG_FUNCS=known.list "$cf" fits.c long.c) && st=0 || st=$?
check_eq "a listed offender does not fail" "$st" 0
check_contains "a listed offender is still reported" "$out" "long.c:4 too_long 81 lines (listed in known.list)"
check_contains "a stale entry is named" "$out" "known.list lists fits.c gone, which is no longer too long"
case $out in
*elsewhere.c*) not_ok "an entry for a file not read is not called stale" "$out" ;;
*) ok "an entry for a file not read is not called stale" ;;
esac
out=$(LONG_FUNCS=known.list "$cf" --strict fits.c long.c) && st=0 || st=$?
check_eq "--strict fails on a stale entry" "$st" 1

for ((i = 0; i < 701; i++)); do echo "int v$i;"; done > big.c
out=$(LONG_FUNCS=none.list "$cf" big.c) && st=0 || st=$?
check_eq "a file of 701 lines fails" "$st" 1
check_contains "the failure names the file and its length" "$out" "big.c:1 - 701 lines, over 700 for a file"

out=$(cd "$AB_SRCDIR" && "$cf") && st=0 || st=$?
check_eq "the tree passes with docs/long-functions" "$st" 0

done_testing
