#!/bin/sh
# garbage_args.sh: every exported entry point, listed from shim/api_table.tsv now,
# called with NULL and garbage arguments by tests/e2e/garbage_args (see its header):
# no crash, no hang, an error where CUDA requires one.
set -u
: "${top_srcdir:?top_srcdir must be set (run through make check)}"
: "${top_builddir:?top_builddir must be set (run through make check)}"
# One line per (row, version node).
awk -F'\t' '!/^#/ && NF == 9 { n = split($2, nodes, ","); for (i = 1; i <= n; i++) printf "%s\t%s\t%s\t%s\n", $1, nodes[i], $3, $4 }' \
    "$top_srcdir/shim/api_table.tsv" > garbage_args.rows
CUSHIM_LOG=none timeout 900 "$top_builddir/tests/e2e/garbage_args" \
    "$top_builddir/shim/libcudart.so.13" < garbage_args.rows 2>/dev/null
