#!/bin/sh
# cli.sh: end-to-end checks of the `cushim` command: help, version, usage errors, and
# how `run` prepares the environment and passes the program's exit status through.
# Run by `make check` with top_builddir and top_srcdir in the environment.
# shellcheck disable=SC2016 # the $VARIABLES in single quotes are the child shell's
set -u

top_builddir=${top_builddir:?run this test from make check (top_builddir unset)}
cushim="$top_builddir/cli/cushim"
libdir="$top_builddir/shim"
lib="$libdir/libcudart.so.13"
# A sanitizer build's library refuses to be preloaded into uninstrumented programs
# unless told otherwise; the checks below are about the environment, not the library.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS
unset CUSHIM_LIBDIR CUSHIM_BACKEND CUSHIM_REPORT

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# check NAME EXPECTED_STATUS -- COMMAND...: runs it, keeps stdout/stderr in $tmp.
check() {
    name=$1 expected=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    if [ "$status" -ne "$expected" ]; then
        fail "$name: exit status $status, expected $expected"
        sed 's/^/  stderr: /' "$tmp/err"
        return 1
    fi
    echo "ok: $name"
    return 0
}

# expect NAME FILE PATTERN: FILE (out or err) has a line matching the fixed string.
expect() {
    grep -F -q -- "$3" "$tmp/$2" || {
        fail "$1: $2 lacks '$3'"
        sed "s/^/  $2: /" "$tmp/$2"
    }
}

[ -x "$cushim" ] || { echo "FAIL: $cushim was not built"; exit 1; }

check "--help" 0 -- "$cushim" --help
expect "--help" out "Usage: cushim COMMAND"
expect "--help" out "run [--backend NAME] [--report FILE] [--] PROGRAM [ARGS...]"
expect "--help" out "backends"
expect "--help" out "report FILE.json [--html OUT]"
expect "--help" out "compare A.json B.json [--html OUT]"
check "-h" 0 -- "$cushim" -h
expect "-h" out "Usage: cushim"
check "help" 0 -- "$cushim" help
expect "help" out "Usage: cushim"
check "no arguments" 2 -- "$cushim"
expect "no arguments" err "Usage: cushim"

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
check "--version" 0 -- "$cushim" --version
[ "$(cat "$tmp/out")" = "cushim $version" ] || fail "--version printed '$(cat "$tmp/out")', expected 'cushim $version'"

check "unknown command" 2 -- "$cushim" frobnicate
expect "unknown command" err "cushim: unknown command 'frobnicate'"
expect "unknown command" err "Usage: cushim"
check "unknown option" 2 -- "$cushim" --frobnicate
expect "unknown option" err "unknown option '--frobnicate'"
check "triage without a path" 2 -- "$cushim" triage
expect "triage without a path" err "triage"
check "report without a file" 2 -- "$cushim" report
expect "report without a file" err "cushim: report: no report given"
check "report: unknown option" 2 -- "$cushim" report --frob x.json
expect "report: unknown option" err "cushim: report: unknown option '--frob'"
check "report: missing file" 1 -- "$cushim" report "$tmp/no-such-report.json"
expect "report: missing file" err "cushim: $tmp/no-such-report.json: cannot open: No such file or directory"
check "compare with one file" 2 -- "$cushim" compare "$tmp/a.json"
expect "compare with one file" err "cushim: compare: needs two run reports"
check "compare with three files" 2 -- "$cushim" compare a.json b.json c.json
expect "compare with three files" err "takes two reports, not more ('c.json')"

[ -f "$lib" ] || { echo "FAIL: $lib was not built"; exit 1; }
# cushim finds its library from /proc/self/exe, a path without symbolic links.
libdir=$(cd "$libdir" && pwd -P)
lib="$libdir/libcudart.so.13"

check "run: status passes through" 3 -- "$cushim" run /bin/sh -c 'echo "$LD_PRELOAD"; exit 3'
[ "$(cat "$tmp/out")" = "$lib" ] || fail "run: LD_PRELOAD is '$(cat "$tmp/out")', expected '$lib'"

check "run: LD_LIBRARY_PATH" 0 -- env LD_LIBRARY_PATH=/opt/x "$cushim" run -- /bin/sh -c 'echo "$LD_LIBRARY_PATH"'
[ "$(cat "$tmp/out")" = "$libdir:/opt/x" ] || fail "run: LD_LIBRARY_PATH is '$(cat "$tmp/out")', expected '$libdir:/opt/x'"

check "run: existing LD_PRELOAD kept" 0 -- env LD_PRELOAD=/nonexistent/cushim-test.so "$cushim" run /bin/sh -c 'echo "$LD_PRELOAD"'
[ "$(cat "$tmp/out")" = "/nonexistent/cushim-test.so:$lib" ] || fail "run: LD_PRELOAD is '$(cat "$tmp/out")'"
check "run: no duplicate preload" 0 -- env LD_PRELOAD="$lib" "$cushim" run /bin/sh -c 'echo "$LD_PRELOAD"'
[ "$(cat "$tmp/out")" = "$lib" ] || fail "run: LD_PRELOAD is '$(cat "$tmp/out")', expected '$lib' once"

(cd "$tmp" && "$cushim" run --backend=cpu --report rel.json /bin/sh -c 'echo "$CUSHIM_BACKEND $CUSHIM_REPORT"') >"$tmp/out2" 2>"$tmp/err"
real_tmp=$(cd "$tmp" && pwd -P)
case "$(cat "$tmp/out2")" in
    "cpu $tmp/rel.json" | "cpu $real_tmp/rel.json") echo "ok: run: --backend and --report" ;;
    *) fail "run: --backend/--report gave '$(cat "$tmp/out2")'" ;;
esac

check "run: missing program" 127 -- "$cushim" run "$tmp/no-such-program"
expect "run: missing program" err "cushim: cannot run '$tmp/no-such-program'"
: >"$tmp/not-executable"
chmod 644 "$tmp/not-executable"
check "run: not executable" 126 -- "$cushim" run "$tmp/not-executable"
check "run: no program" 2 -- "$cushim" run
expect "run: no program" err "no program given"
check "run: unknown option" 2 -- "$cushim" run --frob /bin/true
expect "run: unknown option" err "unknown option '--frob'"
check "run: unknown backend" 2 -- "$cushim" run --backend nosuch /bin/true
expect "run: unknown backend" err "unknown backend 'nosuch'; built-in backends: "
expect "run: unknown backend" err "cpu"
check "run: --backend without name" 2 -- "$cushim" run --backend
check "run: bad CUSHIM_LIBDIR" 125 -- env CUSHIM_LIBDIR="$tmp" "$cushim" run /bin/true
expect "run: bad CUSHIM_LIBDIR" err "CUSHIM_LIBDIR=$tmp holds no readable libcudart.so.13"
check "run: CUSHIM_LIBDIR" 0 -- env CUSHIM_LIBDIR="$libdir" "$cushim" run /bin/sh -c 'echo "$LD_PRELOAD"'
[ "$(cat "$tmp/out")" = "$lib" ] || fail "run: with CUSHIM_LIBDIR LD_PRELOAD is '$(cat "$tmp/out")'"

check "backends" 0 -- "$cushim" backends
grep -q '^cpu ' "$tmp/out" || fail "backends: no 'cpu' line: $(cat "$tmp/out")"
expect "backends" out "  device 0: "
expect "backends" out "compute capability"
check "backends: extra argument" 2 -- "$cushim" backends extra

# CUSHIM_DEVICE: an index or part of a device name (case-insensitive); a prebuilt CUDA
# binary (shared runtime) checks the device it got.
top_srcdir=${top_srcdir:?run this test from make check (top_srcdir unset)}
sample="$top_srcdir/samples/prebuilt/vector_add"
export CUSHIM_CACHE_DIR="$top_builddir/tests/kernel-cache"
mkdir -p -m 700 "$CUSHIM_CACHE_DIR"
check "CUSHIM_DEVICE by index" 0 -- env CUSHIM_DEVICE=0 "$cushim" run --backend cpu "$sample"
expect "CUSHIM_DEVICE by index" out "vector_add: PASSED"
check "CUSHIM_DEVICE by name" 0 -- env CUSHIM_DEVICE="cushim cpu" "$cushim" run --backend cpu "$sample"
expect "CUSHIM_DEVICE by name" out "vector_add: PASSED"
check "CUSHIM_DEVICE unknown name" 1 -- env CUSHIM_DEVICE=no-such-device "$cushim" run --backend cpu "$sample"
expect "CUSHIM_DEVICE unknown name" err "CUSHIM_DEVICE=no-such-device names no device of backend 'cpu' (an index or part of a name: 0: cushim CPU: "
check "CUSHIM_DEVICE index out of range" 1 -- env CUSHIM_DEVICE=7 "$cushim" run --backend cpu "$sample"
expect "CUSHIM_DEVICE index out of range" err "CUSHIM_DEVICE=7 names no device"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
exit 0
