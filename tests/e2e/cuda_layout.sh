#!/bin/sh
# cuda_layout.sh: our declarations of the CUDA runtime's structs (shim/cuda_types.h)
# have the toolkit's sizes and field offsets: tests/unit/layout_probe.c is built against
# each and the outputs compared; the CUDA 12 layouts too when $CUSHIM_CUDA12_RUNTIME
# holds the CUDA 12 headers. Skips (77) without the toolkit headers, unless CI is set.
set -u
: "${top_srcdir:?top_srcdir must be set (run through make check)}"
cuda=${CUDA_HOME:-/usr/local/cuda}
cc=${CC:-cc}
probe="$top_srcdir/tests/unit/layout_probe.c"
if ! [ -f "$cuda/include/cuda_runtime_api.h" ]; then
    [ -n "${CI:-}" ] && { echo "FAIL: no toolkit headers in $cuda and CI is set"; exit 1; }
    echo "SKIP: no toolkit headers in $cuda/include"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
compare() {  # label, toolkit include dir, extra flags
    $cc -std=gnu11 -w -DUSE_TOOLKIT $3 -I"$2" "$probe" -o "$tmp/theirs" || { echo "FAIL: $1: probe does not build against $2"; fail=1; return; }
    $cc -std=c11 -Wall -Wextra -Werror $3 -I"$top_srcdir" "$probe" -o "$tmp/ours" || { echo "FAIL: $1: probe does not build against shim/cuda_types.h"; fail=1; return; }
    "$tmp/theirs" > "$tmp/theirs.txt"
    "$tmp/ours" > "$tmp/ours.txt"
    if diff -u "$tmp/theirs.txt" "$tmp/ours.txt"; then
        echo "PASS: $1: $(wc -l < "$tmp/ours.txt") sizes and offsets agree"
    else
        echo "FAIL: $1: layouts differ (- toolkit, + ours)"
        fail=1
    fi
}
compare "CUDA 13" "$cuda/include" ""
if [ -n "${CUSHIM_CUDA12_RUNTIME:-}" ] && [ -f "$CUSHIM_CUDA12_RUNTIME/include/cuda_runtime_api.h" ]; then
    compare "CUDA 12" "$CUSHIM_CUDA12_RUNTIME/include" "-DCUDA12"
else
    echo "note: CUSHIM_CUDA12_RUNTIME not set: CUDA 12 layouts not checked"
fi
exit $fail
