#!/bin/sh
# run-sample.sh: end-to-end test of one self-checking CUDA sample: build it with nvcc
# in each link mode, run each binary under `cushim run` on each backend, and require
# exit status 0, the "NAME: PASSED" verdict and every `sample-expect:` line of the
# source in the output.
#
# Usage (from make check): run-sample.sh samples/NAME.cu
# Directives read from the sample's source:
#   // sample-sources: other.cu ...   extra translation units (same directory)
#   // sample-modes: shared rdc       link modes to build (default: shared rdc ptds static cuda12)
# Link modes: shared (nvcc -cudart shared), rdc (separate compilation), ptds (the
# per-thread default stream: _ptds/_ptsz entry points), static (nvcc's
# default static runtime), cuda12 (CUDA 12 runtime headers and libcudart.so.12 from
# $CUSHIM_CUDA12_RUNTIME, see fetch-cuda12-runtime.sh; skipped when absent).
#   // sample-expect: TEXT            a line the run must print
#   // sample-flags: FLAGS            extra nvcc flags
#   // sample-known-gap: MODE WHY     do not run MODE; print WHY (a documented gap)
# Backends: $CUSHIM_TEST_BACKENDS, by default cpu, plus opencl when cushim was built with
# it and it has a device. A sample runs on opencl only when tests/e2e/opencl-samples.txt
# lists it (the others, and why they fail there: docs/opencl-backend.md).
set -u

src=$1
name=$(basename "$src" .cu)
srcdir=$(cd "$(dirname "$src")" && pwd)
: "${top_builddir:?top_builddir must be set (run through make check)}"
if [ -n "${CUSHIM_TEST_BACKENDS:-}" ]; then
    backends=$CUSHIM_TEST_BACKENDS
elif "$top_builddir/cli/cushim" backends 2>/dev/null |
        awk '/^[^ ]/ { b = $1 } b == "opencl" && /^  device 0:/ { found = 1 } END { exit !found }'; then
    backends="cpu opencl"
else
    backends=cpu
fi
opencl_list=$(cd "$(dirname "$0")" && pwd)/opencl-samples.txt
# Whether the sample is known to pass on backend $1 (only opencl keeps such a list).
runs_on() {
    [ "$1" != opencl ] && return 0
    sed 's/#.*//' "$opencl_list" | grep -qx "[[:space:]]*$name[[:space:]]*"
}

if [ -z "${NVCC:-}" ] || ! [ -x "$NVCC" ]; then
    if [ -n "${CI:-}" ]; then
        echo "FAIL: nvcc not found and CI is set: end-to-end tests must run in CI"
        exit 1
    fi
    echo "SKIP: nvcc not found (configure with NVCC=/path/to/nvcc to build the samples)"
    exit 77
fi

directive() { sed -n "s|^// $1: *||p" "$srcdir/$name.cu"; }
extra_sources=$(directive sample-sources | tr '\n' ' ')
modes=$(directive sample-modes)
[ -n "$modes" ] || modes="shared rdc ptds static cuda12"
# @CUDA@ in sample-flags: the toolkit $NVCC belongs to (e.g. its stubs/libcuda.so).
cuda_root=$(cd "$(dirname "$NVCC")/.." && pwd)
extra_flags=$(directive sample-flags | sed "s|@CUDA@|$cuda_root|g" | tr '\n' ' ')
cuda12=${CUSHIM_CUDA12_RUNTIME:-$top_builddir/tests/cuda12-runtime}

bindir=$top_builddir/samples/bin
mkdir -p "$bindir"
# A private, per-build kernel cache: tests never touch the user's cache.
export CUSHIM_CACHE_DIR="$top_builddir/tests/kernel-cache"
mkdir -p -m 700 "$CUSHIM_CACHE_DIR"

status=0
for mode in $modes; do
    # `// sample-known-gap: MODE why`: a documented gap, reported as a skip with its reason.
    gap=$(directive sample-known-gap | sed -n "s|^$mode  *||p")
    if [ -n "$gap" ]; then
        echo "SKIP: $name ($mode): known gap: $gap"
        continue
    fi
    case $mode in
        shared) flags="-cudart shared" ;;
        rdc) flags="-cudart shared -rdc=true" ;;
        ptds) flags="-cudart shared --default-stream per-thread" ;;
        static) flags="-cudart static" ;;
        cuda12)
            if ! [ -f "$cuda12/lib/libcudart.so.12" ]; then
                echo "SKIP: $name (cuda12): no CUDA 12 runtime in $cuda12"
                continue
            fi
            flags="-cudart none -I$cuda12/include -L$cuda12/lib -l:libcudart.so.12" ;;
        *) echo "FAIL: unknown mode '$mode' in $name.cu"; exit 1 ;;
    esac
    bin=$bindir/$name.$mode
    sources="$srcdir/$name.cu"
    for s in $extra_sources; do sources="$sources $srcdir/$s"; done
    # shellcheck disable=SC2086
    if ! "$NVCC" $flags $extra_flags -Wno-deprecated-gpu-targets -o "$bin" $sources; then
        echo "FAIL: $name ($mode): nvcc failed"
        status=1
        continue
    fi
    for backend in $backends; do
        if ! runs_on "$backend"; then
            echo "SKIP: $name ($mode, $backend): not in tests/e2e/opencl-samples.txt"
            continue
        fi
        out=$bindir/$name.$mode.$backend.out
        "$top_builddir/cli/cushim" run --backend "$backend" -- "$bin" > "$out" 2>&1
        rc=$?
        sed "s/^/  [$mode $backend] /" "$out"
        verdict=ok
        if [ $rc -ne 0 ]; then
            verdict="exit status $rc"
        elif ! grep -q "PASSED" "$out"; then
            verdict="no PASSED verdict"
        else
            directive sample-expect > "$out.expect"
            while IFS= read -r line; do
                grep -qF -- "$line" "$out" || verdict="missing expected output: $line"
            done < "$out.expect"
        fi
        if [ "$verdict" = ok ]; then
            echo "PASS: $name ($mode, $backend)"
        else
            echo "FAIL: $name ($mode, $backend): $verdict"
            status=1
        fi
    done
done
exit $status
