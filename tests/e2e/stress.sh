#!/bin/sh
# stress.sh: run tests/e2e/stress (8 host threads x 4 streams of launches, copies and
# events through the built libcudart on the CPU backend) with a private kernel cache.
# STRESS_LAUNCHES sets the launches per stream (fewer under ThreadSanitizer).
set -u
: "${top_builddir:?}"
export CUSHIM_CACHE_DIR="$top_builddir/tests/kernel-cache"
mkdir -p -m 700 "$CUSHIM_CACHE_DIR"
unset CUSHIM_BACKEND CUSHIM_STRICT
launches=${STRESS_LAUNCHES:-2000}
# A TSan build of the library needs its runtime in the program: the stress program of
# that build has it, and reports make the run fail.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
exec timeout 600 "$top_builddir/tests/e2e/stress" "$top_builddir/shim/libcudart.so.13" "$launches"
