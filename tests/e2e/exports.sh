#!/bin/sh
# exports.sh: the shim's exported functions and version nodes equal the real runtime's:
# every symbol of the toolkit's libcudart.so.13 as NAME@@libcudart.so.13 and, when the
# CUDA 12 runtime is at hand ($CUSHIM_CUDA12_RUNTIME, see fetch-cuda12-runtime.sh),
# every symbol of its libcudart.so.12 as NAME@libcudart.so.12; nothing else is
# exported; and a program linked against the real library loads ours with no
# "no version information" warning. Skips (77) without the toolkit, unless CI is set.
set -u
: "${top_builddir:?top_builddir must be set (run through make check)}"
lib="$top_builddir/shim/libcudart.so.13"
cuda=${CUDA_HOME:-/usr/local/cuda}
real13="$cuda/lib64/libcudart.so.13"
fail=0

if ! [ -f "$real13" ]; then
    if [ -n "${CI:-}" ]; then
        echo "FAIL: $real13 not found and CI is set"
        exit 1
    fi
    echo "SKIP: no toolkit runtime at $real13"
    exit 77
fi
[ -f "$lib" ] || { echo "FAIL: $lib was not built"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Function symbols with their version, "name@@node" (default) or "name@node".
exports() {
    nm -D --defined-only --with-symbol-versions "$1" | awk '$2 == "T" || $2 == "W" { print $3 }' | sort
}

exports "$lib" > "$tmp/ours"
exports "$real13" > "$tmp/real13"
grep '@@libcudart\.so\.13$' "$tmp/ours" > "$tmp/ours13"
if ! diff -u "$tmp/real13" "$tmp/ours13" > "$tmp/diff13"; then
    echo "FAIL: exports under libcudart.so.13 differ from $real13:"
    head -40 "$tmp/diff13"
    fail=1
fi
# Nothing outside the two nodes: every exported function carries one of them.
if grep -v '@@\?libcudart\.so\.1[23]$' "$tmp/ours" > "$tmp/stray"; then
    echo "FAIL: exported without a libcudart version node:"
    head -20 "$tmp/stray"
    fail=1
fi
n12=$(grep -c '@libcudart\.so\.12$' "$tmp/ours")
if [ "$n12" -lt 400 ]; then
    echo "FAIL: only $n12 symbols under libcudart.so.12"
    fail=1
fi
real12="${CUSHIM_CUDA12_RUNTIME:-}/lib/libcudart.so.12"
if [ -n "${CUSHIM_CUDA12_RUNTIME:-}" ] && [ -f "$real12" ]; then
    exports "$real12" | sed 's/@@libcudart/@libcudart/' > "$tmp/real12"
    grep '@libcudart\.so\.12$' "$tmp/ours" > "$tmp/ours12"
    if ! diff -u "$tmp/real12" "$tmp/ours12" > "$tmp/diff12"; then
        echo "FAIL: exports under libcudart.so.12 differ from $real12:"
        head -40 "$tmp/diff12"
        fail=1
    fi
else
    echo "note: CUSHIM_CUDA12_RUNTIME not set: libcudart.so.12 node checked by count only"
fi

# A program linked against the real runtime binds to ours without complaint.
cat > "$tmp/probe.c" <<'EOF'
#include <stdio.h>
int cudaRuntimeGetVersion(int *v);
const char *cudaGetErrorString(int e);
int main(void)
{
    int v = 0;
    int rc = cudaRuntimeGetVersion(&v);
    printf("%d %d %s\n", rc, v, cudaGetErrorString(2));
    return 0;
}
EOF
if ${CC:-cc} -o "$tmp/probe" "$tmp/probe.c" -L"$cuda/lib64" -l:libcudart.so.13 2> "$tmp/cc.err"; then
    out=$(LD_LIBRARY_PATH="$top_builddir/shim" "$tmp/probe" 2>&1)
    if [ "$out" != "0 13000 out of memory" ]; then
        echo "FAIL: probe linked against the toolkit printed: $out"
        fail=1
    fi
    if LD_LIBRARY_PATH="$top_builddir/shim" ldd "$tmp/probe" 2>&1 | grep -q 'no version information'; then
        echo "FAIL: the dynamic linker warns about version information"
        fail=1
    fi
    case "$(LD_LIBRARY_PATH="$top_builddir/shim" ldd "$tmp/probe")" in
    *"$top_builddir/shim/libcudart.so.13"*) ;;
    *) echo "FAIL: the probe did not load the shim"; fail=1 ;;
    esac
else
    echo "FAIL: cannot link a probe against $cuda/lib64: $(cat "$tmp/cc.err")"
    fail=1
fi

[ $fail -eq 0 ] && echo "PASS: $(wc -l < "$tmp/ours13") symbols @@libcudart.so.13, $n12 @libcudart.so.12"
exit $fail
