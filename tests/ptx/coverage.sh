#!/bin/sh
# coverage.sh: which PTX opcode strings of the inventory (real programs built by nvcc 12/13,
# tests/ptx/inventory/ptx_opcodes_full.tsv, a copy of the shared inventory) no test PTX
# executes. Reads every tests/ptx/*.ptx and tests/ptx/hand/*.ptx (fail/ holds PTX that must
# be rejected, so it does not count), lists the inventory opcodes none of them contains,
# and fails when one of those is not in the exemption list below (each with its reason).
#
# usage: coverage.sh [PTX_TEST_DIR [INVENTORY_TSV]]
set -u
if [ -n "${top_srcdir:-}" ]; then here=$top_srcdir/tests/ptx; else here=$(dirname "$0"); fi
dir=${1:-$here}
inv=${2:-$dir/inventory/ptx_opcodes_full.tsv}

# Opcodes that no test executes yet, and why. Keep this list short and honest.
exempt='
'

tmp=${TMPDIR:-/tmp}/cushim-cov.$$
trap 'rm -f "$tmp".*' EXIT INT TERM

# Instruction opcodes of the test PTX: drop comments, split statements at ; { }, drop
# directives, labels and guards, keep the first word.
for f in "$dir"/*.ptx "$dir"/hand/*.ptx; do
    [ -f "$f" ] && cat "$f"
done | sed -e 's://.*$::' | tr ';{}' '\n\n\n' | sed -e 's/^[[:space:]]*//' \
    -e 's/^[$A-Za-z_][$A-Za-z0-9_]*:[[:space:]]*//' -e 's/^@!\{0,1\}%\{0,1\}[A-Za-z0-9_]*[[:space:]]*//' |
    awk '$1 != "" && $1 !~ /^\./ && $1 ~ /^[a-z]/ { print $1 }' | sort -u > "$tmp.have"

awk -F '\t' 'NR > 1 && $1 != "" { print $1 }' "$inv" | sort -u > "$tmp.inv"
printf '%s\n' "$exempt" | awk 'NF { print $1 }' | sort -u > "$tmp.exempt"

comm -23 "$tmp.inv" "$tmp.have" > "$tmp.missing"
comm -23 "$tmp.missing" "$tmp.exempt" > "$tmp.bad"
comm -12 "$tmp.exempt" "$tmp.have" > "$tmp.stale"

total=$(wc -l < "$tmp.inv")
missing=$(wc -l < "$tmp.missing")
echo "coverage: $((total - missing)) of $total inventory opcodes executed by tests/ptx; $missing exempt or missing"
rc=0
if [ -s "$tmp.bad" ]; then
    echo "coverage: inventory opcodes no test executes and not exempt:"
    sed 's/^/  /' "$tmp.bad"
    rc=1
fi
if [ -s "$tmp.stale" ]; then
    echo "coverage: exempt opcodes that a test now executes (remove them from the list):"
    sed 's/^/  /' "$tmp.stale"
    rc=1
fi
exit $rc
