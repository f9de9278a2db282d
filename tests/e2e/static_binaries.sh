#!/bin/sh
# static_binaries.sh: programs linked with a static CUDA runtime run under `cushim run`
# through our libcuda.so.1: a CUDA 13 one (nvcc's default link) and a CUDA 12 one
# (libcudart_static.a of the nvidia-cuda-runtime-cu12 wheel, $CUSHIM_CUDA12_RUNTIME),
# each printing its verdict, with no NVIDIA runtime library loaded and the driver
# calls going through cushim (CUSHIM_TRACE names them). Skips (77) without nvcc.
set -u
: "${top_builddir:?top_builddir must be set (run through make check)}"
: "${top_srcdir:?top_srcdir must be set (run through make check)}"
if [ -z "${NVCC:-}" ] || ! [ -x "$NVCC" ]; then
    [ -n "${CI:-}" ] && { echo "FAIL: nvcc not found and CI is set"; exit 1; }
    echo "SKIP: nvcc not found"
    exit 77
fi
cuda12=${CUSHIM_CUDA12_RUNTIME:-$top_builddir/tests/cuda12-runtime}
export CUSHIM_CACHE_DIR="$top_builddir/tests/kernel-cache"
mkdir -p -m 700 "$CUSHIM_CACHE_DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# run NAME BINARY: PASSED, exit 0, no libcudart NEEDED, our driver traced.
run() {
    out="$tmp/$(basename "$2").out"
    if readelf -d "$2" | grep -q 'NEEDED.*libcudart'; then
        echo "FAIL: $1: the binary is not statically linked"
        status=1
        return
    fi
    CUSHIM_TRACE=1 "$top_builddir/cli/cushim" run -- "$2" > "$out" 2>&1
    rc=$?
    if [ $rc -ne 0 ] || ! grep -q "vector_add: PASSED" "$out"; then
        echo "FAIL: $1: exit status $rc"
        sed 's/^/  /' "$out" | tail -20
        status=1
    elif ! grep -q "cushim: trace: cuLibraryLoadData = CUDA_SUCCESS" "$out" ||
         ! grep -q "cushim: trace: cuLaunchKernel = CUDA_SUCCESS" "$out"; then
        echo "FAIL: $1: the runtime did not load and launch through cushim's driver"
        status=1
    else
        echo "PASS: $1"
    fi
}

if "$NVCC" -Wno-deprecated-gpu-targets -o "$tmp/va13" "$top_srcdir/samples/vector_add.cu"; then
    run "CUDA 13 static (nvcc default)" "$tmp/va13"
else
    echo "FAIL: nvcc failed"
    status=1
fi

if [ -f "$cuda12/lib/libcudart_static.a" ]; then
    if "$NVCC" -cudart none -Wno-deprecated-gpu-targets -I"$cuda12/include" -o "$tmp/va12" \
        "$top_srcdir/samples/vector_add.cu" -L"$cuda12/lib" -lcudart_static -ldl -lpthread -lrt; then
        run "CUDA 12 static (libcudart_static.a from $cuda12)" "$tmp/va12"
    else
        echo "FAIL: nvcc failed with the CUDA 12 static runtime"
        status=1
    fi
else
    echo "SKIP: no CUDA 12 static runtime in $cuda12 (tests/e2e/fetch-cuda12-runtime.sh)"
fi
exit $status
