#!/bin/sh
# no_compiler.sh: with no C compiler to be found (CUSHIM_CC names a missing file, PATH
# holds no cc), the CPU fallback compiles kernels with cushim-kcc, the embedded libtcc
# installed beside libcudart, says so once, and the program still passes.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$top_builddir/shim/cushim-kcc" ] || { echo "SKIP: built without libtcc"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/cache" "$work/bin"
sample=$top_builddir/samples/bin/vector_add.shared
[ -x "$sample" ] || sample=$top_srcdir/samples/prebuilt/vector_add
out=$(PATH=$work/bin CUSHIM_CC=/nonexistent/cc CUSHIM_CACHE_DIR=$work/cache \
      "$top_builddir/cli/cushim" run -- "$sample" 2>&1) || fail "run without a compiler: $out"
case $out in *PASSED*) ;; *) fail "run printed: $out" ;; esac
case $out in *"compiled by the embedded tcc"*) ;; *) fail "no notice of the embedded compiler: $out" ;; esac
ls "$work/cache"/*.kso >/dev/null 2>&1 || fail "nothing cached"
echo "PASS: kernels compiled by the embedded libtcc without a C compiler"
