#!/bin/sh
# fetch-cuda12-runtime.sh DIR: put the CUDA 12 runtime's headers and libcudart.so.12
# (NVIDIA's nvidia-cuda-runtime-cu12 wheel from the Python package index) under DIR,
# so the tests can build CUDA 12-shaped binaries (NEEDED libcudart.so.12, symbols
# versioned libcudart.so.12, CUDA 12 struct layouts) with the installed nvcc.
# Best effort: exits 0 without doing anything when pip is missing or offline.
set -u
dir=$1
version=12.9.79
[ -f "$dir/include/cuda_runtime_api.h" ] && [ -f "$dir/lib/libcudart.so.12" ] && exit 0
command -v python3 >/dev/null 2>&1 || { echo "no python3: CUDA 12 builds skipped"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! python3 -m pip download -q --no-deps -d "$tmp" "nvidia-cuda-runtime-cu12==$version" >/dev/null 2>&1; then
    echo "could not download nvidia-cuda-runtime-cu12: CUDA 12 builds skipped"
    exit 0
fi
python3 -m zipfile -e "$tmp"/*.whl "$tmp/x" || exit 0
mkdir -p "$dir"
cp -r "$tmp/x/nvidia/cuda_runtime/include" "$tmp/x/nvidia/cuda_runtime/lib" "$dir/"
echo "CUDA 12 runtime $version in $dir"
