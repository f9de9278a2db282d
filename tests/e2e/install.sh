#!/bin/sh
# install.sh: `make install` lays out bin/cushim, lib/cushim/libcudart.so.13 with its
# libcudart.so.12 and libcudart.so links, and the man page; the installed cushim runs a
# CUDA binary from there (the shared-runtime sample, when nvcc built it).
set -u
: "${top_builddir:?run through make check}"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

make -s -C "$top_builddir" install DESTDIR="$dest" >"$dest.log" 2>&1 || { cat "$dest.log"; fail "make install"; }
rm -f "$dest.log"
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
libdir=$(sed -n 's/^libdir = //p' "$top_builddir/Makefile" | sed "s|\${exec_prefix}|$prefix|; s|\$(exec_prefix)|$prefix|")
root=$dest$prefix
pkglib=$dest$libdir/cushim

[ -x "$root/bin/cushim" ] || fail "bin/cushim missing"
[ -f "$pkglib/libcudart.so.13" ] || fail "libcudart.so.13 missing in $pkglib"
for link in libcudart.so.12 libcudart.so; do
    [ "$(readlink "$pkglib/$link")" = libcudart.so.13 ] || fail "$link is not a link to libcudart.so.13"
done
ls "$root/share/man/man1/cushim.1" >/dev/null 2>&1 || fail "man page missing"
soname=$(LC_ALL=C readelf -d "$pkglib/libcudart.so.13" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libcudart.so.13 ] || fail "SONAME is '$soname'"
"$root/bin/cushim" --version >/dev/null || fail "installed cushim --version"

# Run a sample through the installed copy (its library directory given explicitly,
# since DESTDIR is not the configured prefix).
sample=$top_builddir/samples/bin/vector_add.shared
[ -x "$sample" ] || sample=$top_srcdir/samples/prebuilt/vector_add
out=$(CUSHIM_LIBDIR=$pkglib "$root/bin/cushim" run -- "$sample" 2>&1) || fail "installed run: $out"
case $out in *PASSED*) ;; *) fail "installed run printed: $out" ;; esac
echo "PASS: installed layout and run ($out)"
