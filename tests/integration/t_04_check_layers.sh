#!/usr/bin/env bash
# t_04_check_layers.sh - scripts/check-layers (make lint) holds includes to
# docs/layers: a module with several public headers may list them over
# several "public" lines and keeps its first line's place, any of them may
# be included, its private header may not, a listed header that does not
# exist is refused, an include without an arrow fails, and the tree as it
# is passes.  Needs no stack: it runs on a generated tree in T_DIR.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$AB_SRCDIR/tests/integration/lib.sh"

cl=$AB_SRCDIR/scripts/check-layers
cd "$T_DIR" || exit 1

# A tree of three modules: base (one header), low (two public headers on
# two lines and a private one) and top, which may call low.
mkdir -p base low top docs
cat > docs/layers <<'EOF'
public base  base.h
public low   low.h
public top   top.h
public low   low_more.h
base  ->
low   -> base
top   -> low base
EOF
# shellcheck disable=SC2016 # the backquotes are Markdown, not expansions
{
	printf '**May call:** nothing.\n' > base/README.md
	printf '**May call:** `base/`.\n' > low/README.md
	printf '**May call:** `low/`, `base/`.\n' > top/README.md
}
printf 'int base_x;\n' > base/base.h
printf '#include "base/base.h"\n' > low/low.h
printf '#include "low/low.h"\n' > low/low_more.h
printf 'struct low;\n' > low/low_int.h
printf 'struct top;\n' > top/top.h
printf '#include "low/low.h"\n#include "low/low_more.h"\n' > top/top.c

out=$("$cl") && st=0 || st=$?
check_eq "two public lines of one module pass" "$st" 0
check_contains "the includes are counted" "$out" "3 includes across modules follow docs/layers"

# The second "public low" line (after top's) did not move low above top,
# or top -> low would be refused as pointing up; listed first, top is
# below low and the same arrow is refused.
sed '/^public top/d; 1i public top   top.h' docs/layers > layers.top-first
out=$(LAYERS=layers.top-first "$cl") && st=0 || st=$?
check_eq "a module's place is its first public line's" "$st" 1
check_contains "an arrow to a module listed later points up" "$out" \
	"top -> low: points up (or at itself)"

printf '#include "low/low_int.h"\n' > top/top_int.c
out=$("$cl") && st=0 || st=$?
check_eq "another module's private header fails" "$st" 1
check_contains "the failure names the file, the line and the header" "$out" \
	'top/top_int.c:1: "low/low_int.h" is private to low/; include its public header'
rm top/top_int.c

printf '#include "top/top.h"\n' > low/up.c
out=$("$cl") && st=0 || st=$?
check_eq "an include without an arrow fails" "$st" 1
check_contains "the failure says which arrow is missing" "$out" \
	'low/up.c:1: low/ may not include top/ ("top/top.h"; see docs/layers)'
rm low/up.c

printf 'public low   low_gone.h\n' >> docs/layers
out=$("$cl") && st=0 || st=$?
check_eq "a listed public header that does not exist fails" "$st" 1
check_contains "the failure names it" "$out" "public low low_gone.h: no such file"

out=$(cd "$AB_SRCDIR" && "$cl") && st=0 || st=$?
check_eq "the tree passes with docs/layers" "$st" 0

done_testing
