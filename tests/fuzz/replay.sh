#!/bin/sh
# replay.sh: replay every fuzz target's seed corpus and regression inputs (inputs that
# once crashed a parser) through the targets' entry functions, built without libFuzzer.
# A crash, sanitizer report or hang (60 s per target) fails the test.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
status=0
for t in fatbin ptx ptx_link cgen triage; do
    dirs=$top_srcdir/tests/fuzz/corpus/$t
    [ -d "$top_srcdir/tests/fuzz/regressions/$t" ] && dirs="$dirs $top_srcdir/tests/fuzz/regressions/$t"
    log=$top_builddir/tests/fuzz/replay_$t.log
    # shellcheck disable=SC2086
    timeout 60 "$top_builddir/tests/fuzz/replay_$t" $dirs > "$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "PASS: $t: $(tail -n 1 "$log")"
    else
        echo "FAIL: $t (exit $rc); last lines of $log:"
        tail -n 20 "$log"
        status=1
    fi
done
exit $status
