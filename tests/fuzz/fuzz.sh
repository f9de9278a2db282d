#!/bin/sh
# fuzz.sh: build the libFuzzer targets of tests/fuzz with clang (ASan + UBSan +
# coverage) and run each one for a fixed time from its committed seed corpus and its
# regression inputs. Any crash, leak, sanitizer report, timeout or out-of-memory fails
# the run; the input that caused it is left in $builddir/fuzz/artifacts/.
#
# Usage (from `make fuzz`): fuzz.sh SRCDIR BUILDDIR SECONDS LIBS -- CORE_SOURCES...
#   CORE_SOURCES: libcushim_core.a's sources and the triage sources (as Makefile.am
#   lists them; headers are skipped, generated ones are looked up in BUILDDIR).
# Environment: FUZZ_CC (default clang), FUZZ_TARGETS (default: all), FUZZ_JOBS
# (targets run in parallel, default 1), FUZZ_FLAGS (extra libFuzzer flags).
set -u
srcdir=$1 builddir=$2 seconds=$3 libs=$4
shift 4
[ "${1:-}" = "--" ] && shift
cc=${FUZZ_CC:-clang}
targets=${FUZZ_TARGETS:-fatbin ptx ptx_link cgen triage}
out=$builddir/fuzz
objdir=$out/obj

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz: $cc not found (libFuzzer needs clang); set FUZZ_CC" >&2
    exit 1
fi
probe=$out/probe.c
mkdir -p "$objdir" "$out/artifacts" "$out/work"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' > "$probe"
if ! "$cc" -fsanitize=fuzzer,address -o "$out/probe" "$probe" 2>"$out/probe.log"; then
    echo "fuzz: $cc cannot build libFuzzer programs:" >&2
    cat "$out/probe.log" >&2
    exit 1
fi

# Coverage-instrumented objects of the code under test (edge coverage guides libFuzzer;
# the sanitizers turn silent corruption into a crash report).
flags="-std=c11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -I$srcdir -I$builddir \
-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
-fno-sanitize=function"
objs=
for s in "$@"; do
    case $s in *.c) ;; *) continue ;; esac
    if [ -f "$srcdir/$s" ]; then path=$srcdir/$s; else path=$builddir/$s; fi
    obj=$objdir/$(echo "$s" | tr '/' '_' | sed 's/\.c$/.o/')
    if [ ! -f "$obj" ] || [ "$path" -nt "$obj" ]; then
        # shellcheck disable=SC2086
        $cc $flags -c -o "$obj" "$path" || { echo "fuzz: cannot compile $s" >&2; exit 1; }
    fi
    objs="$objs $obj"
done
rm -f "$out/libfuzzcore.a"
# shellcheck disable=SC2086
ar rcs "$out/libfuzzcore.a" $objs || exit 1

status=0
for t in $targets; do
    bin=$out/fuzz_$t
    # shellcheck disable=SC2086
    if ! $cc $flags -fsanitize=fuzzer -o "$bin" "$srcdir/tests/fuzz/fuzz_$t.c" \
            "$out/libfuzzcore.a" $libs -lpthread -ldl; then
        echo "FAIL: fuzz_$t does not build"
        status=1
        continue
    fi
done
[ $status -eq 0 ] || exit $status

# Each target: new inputs go to a scratch corpus in the build tree (the committed
# corpus stays small; minimise and copy interesting inputs by hand).
run_target() {
    t=$1
    work=$out/work/$t
    mkdir -p "$work"
    seeds=$srcdir/tests/fuzz/corpus/$t
    regress=$srcdir/tests/fuzz/regressions/$t
    dict=
    [ -f "$srcdir/tests/fuzz/$t.dict" ] && dict="-dict=$srcdir/tests/fuzz/$t.dict"
    [ -d "$regress" ] || regress=
    # -malloc_limit_mb: one allocation above 256 MiB driven by a small input is a bug
    # (sizes read from a file must not become huge allocations). -timeout: 10 s on one
    # input is a hang. -max_len: large enough for the committed ELF seeds.
    # shellcheck disable=SC2086
    "$out/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=256 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$out/artifacts/$t-" $dict ${FUZZ_FLAGS:-} \
        "$work" "$seeds" $regress > "$out/$t.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "PASS: fuzz_$t (${execs:-?} executions in ${seconds}s)"
    else
        echo "FAIL: fuzz_$t (exit $rc after ${execs:-?} executions); log: $out/$t.log"
        grep -E "ERROR|SUMMARY|Test unit written" "$out/$t.log" | head -n 8
        return 1
    fi
}

jobs=${FUZZ_JOBS:-1}
running=0
pids=
for t in $targets; do
    ( run_target "$t" ) &
    pids="$pids $!"
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        for p in $pids; do wait "$p" || status=1; done
        pids= running=0
    fi
done
for p in $pids; do wait "$p" || status=1; done
exit $status
