#!/bin/sh
# regenerate.sh: rebuild the fatbin test blobs of tests/unit/test_fatbin.c from the
# .cu sources beside it. Needs nvcc, objcopy and strip; run from any directory:
#   sh tests/data/fatbin/regenerate.sh [path/to/nvcc]
# The blobs are the raw bytes of the fatbin sections nvcc puts in an executable.
# After regenerating, check the expectations in test_fatbin.c (sizes, PTX version).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
nvcc=${1:-${NVCC:-/usr/local/cuda/bin/nvcc}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Sources are named relative to this directory: -G stores the name in the fatbin.
cd "$here"

# build NAME SOURCES... -- NVCC_OPTIONS...
build() {
    name=$1; shift
    srcs=
    while [ "$1" != "--" ]; do srcs="$srcs $1"; shift; done
    shift
    # shellcheck disable=SC2086
    "$nvcc" -cudart shared "$@" -o "$tmp/$name" $srcs
}

section() { # ELF SECTION OUT
    objcopy -O binary --only-section="$2" "$tmp/$1" "$here/$3"
    [ -s "$here/$3" ] || { echo "regenerate.sh: $1 has no section $2" >&2; exit 1; }
}

build zstd scale.cu --
build lz4 scale.cu -- --compress-mode=speed
build none scale.cu -- --compress-mode=none
build sass scale.cu -- -gencode arch=compute_75,code=sm_75
build multi scale.cu -- -gencode arch=compute_75,code=sm_75 \
    -gencode arch=compute_90,code=compute_90 -gencode arch=compute_80,code=compute_80
build debug scale.cu -- -G
build rdc rdc_a.cu rdc_b.cu -- -rdc=true

# Link-time-optimisation IR only exists in object files (nvlink turns it into SASS).
"$nvcc" -rdc=true -gencode arch=compute_75,code=lto_75 -c -o "$tmp/lto" scale.cu

for v in zstd lz4 none sass multi debug rdc; do
    section "$v" .nv_fatbin "$v.nv_fatbin"
done
section rdc __nv_relfatbin rdc.nv_relfatbin
section lto __nv_relfatbin lto.nv_relfatbin

# Two whole (stripped) executables for the ELF scanner.
strip -o "$here/zstd.elf" "$tmp/zstd"
strip -o "$here/rdc.elf" "$tmp/rdc"
chmod 644 "$here/zstd.elf" "$here/rdc.elf"
