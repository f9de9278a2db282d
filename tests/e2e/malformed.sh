#!/bin/sh
# malformed.sh: run tests/e2e/malformed (damaged fatbins and PTX registered through the
# built libcudart; each case in its own process with time and address-space limits)
# with a private kernel cache.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
export CUSHIM_CACHE_DIR="$top_builddir/tests/kernel-cache"
mkdir -p -m 700 "$CUSHIM_CACHE_DIR"
unset CUSHIM_BACKEND CUSHIM_STRICT
exec timeout 600 "$top_builddir/tests/e2e/malformed" "$top_builddir/shim/libcudart.so.13" \
    "$top_srcdir/tests/data/fatbin"
