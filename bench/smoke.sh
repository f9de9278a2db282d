#!/bin/sh
# smoke.sh: make check's benchmark smoke test: the whole suite at quick sizes, one
# repetition each, asserting only that every result is correct (bench/run's exit
# status), never a speed. Skips (77) without nvcc or OpenCL, unless CI is set.
# BENCH_STRICT=1 also fails when cushim cannot run a workload yet.
set -u
here=$(cd "$(dirname "$0")" && pwd)
builddir=${top_builddir:-$here/../_build}

skip() {
    if [ -n "${CI:-}" ]; then
        echo "FAIL: $1, and CI is set: the benchmark smoke test must run in CI"
        exit 1
    fi
    echo "SKIP: $1"
    exit 77
}

nvcc=${NVCC:-}
[ -n "$nvcc" ] || nvcc=$(command -v nvcc 2>/dev/null || true)
[ -n "$nvcc" ] || ! [ -x /usr/local/cuda/bin/nvcc ] || nvcc=/usr/local/cuda/bin/nvcc
{ [ -n "$nvcc" ] && [ -x "$nvcc" ]; } || skip "nvcc not found (set NVCC)"

work=$(mktemp -d "${TMPDIR:-/tmp}/cushim-bench-smoke.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cat > "$work/probe.c" <<'PROBE'
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
int main(void)
{
    cl_uint platforms = 0;
    return clGetPlatformIDs(0, NULL, &platforms) != CL_SUCCESS || platforms == 0;
}
PROBE
"${CC:-cc}" -o "$work/probe" "$work/probe.c" -lOpenCL > /dev/null 2>&1 ||
    skip "OpenCL headers or loader missing (apt-get install opencl-headers ocl-icd-opencl-dev)"
"$work/probe" || skip "no OpenCL platform (apt-get install pocl-opencl-icd)"

NVCC=$nvcc "$here/run" --build "$builddir" --work "$work" --json "$work/results.json" \
    --quick --repeat 1 ${BENCH_STRICT:+--strict}
