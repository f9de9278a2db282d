#!/bin/sh
# report_html.sh: the HTML pages of `cushim report --html` (run and triage reports) and
# `cushim compare --html`, loaded in a real headless browser (Chromium): the page's
# script must run without a console error, the numbers of the reports must be in the
# rendered document, and nothing may be fetched from outside the file.
# Skipped (77) without Chromium unless CI is set. Run by `make check`.
set -u

: "${top_builddir:?run this test from make check (top_builddir unset)}"
cushim="$top_builddir/cli/cushim"

browser=
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then
        browser=$b
        break
    fi
done
if [ -z "$browser" ]; then
    if [ -n "${CI:-}" ]; then
        echo "FAIL: no Chromium and CI is set (scripts/install-deps --tests installs it)"
        exit 1
    fi
    echo "SKIP: no Chromium (apt-get install chromium)"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# A run on cpu and one on opencl of the same program, and a triage of two binaries.
cat >"$tmp/cpu.json" <<'EOF'
{
"schema":"cushim-run/1",
"generator":"cushim 0.1.0",
"complete":true,
"program":{"argv0":"./app","executable":"/tmp/app","pid":42},
"exit":{"status":0,"signal":null},
"wall_ns":100000000,
"backend":{"name":"cpu","initialised":true,"api_column":"cpu"},
"devices":[
{"index":0,"name":"cushim CPU","total_memory":1073741824,"memory_high_water":12582912}
],
"memory":{"high_water_bytes":12582912},
"api":[
{"name":"cudaMalloc","nodes":"13,12","status":"implemented","calls":3,"errors":0,"total_ns":300000},
{"name":"cudaMemcpy","nodes":"13,12","status":"implemented","calls":5,"errors":1,"total_ns":2000000},
{"name":"cudaGraphAddMemAllocNode","nodes":"13,12","status":"unsupported","calls":2,"errors":2,"total_ns":500}
],
"modules":[
{"id":1,"load_ns":1500,"error":null}
],
"kernels":[
{"name":"_Z5scalePfi","module":1,"status":"translated","error":null,"message":null,"compile_ns":45000000,"launches":4,"refused":0,"faults":0,"first_fault":null,"total_ns":8000000},
{"name":"_Z3mmaPi","module":1,"status":"unsupported","error":null,"message":"kernel _Z3mmaPi: PTX instruction `mma.sync.aligned.m16n8k8 {%r1}` (a.cu:3) is not supported","compile_ns":2000000,"launches":0,"refused":1,"faults":0,"first_fault":null,"total_ns":0}
],
"unsupported":[
{"kind":"api","name":"cudaGraphAddMemAllocNode","detail":"not supported by cushim: returns cudaErrorNotSupported","first_where":"main+0x1f (app)","first_ns":5000000,"count":2},
{"kind":"ptx-instruction","name":"mma.sync.aligned.m16n8k8","detail":"kernel _Z3mmaPi: <b>not</b> supported","first_where":"kernel _Z3mmaPi","first_ns":6000000,"count":1}
],
"dropped":{"kernels":0,"modules":0,"features":0}
}
EOF
sed -e 's/"name":"cpu","initialised"/"name":"opencl","initialised"/' \
    -e 's/"total_ns":8000000}/"total_ns":16000000}/' \
    -e 's/"wall_ns":100000000/"wall_ns":150000000/' "$tmp/cpu.json" >"$tmp/opencl.json"
cat >"$tmp/triage.json" <<'EOF'
{"schema":"cushim-triage/1","generator":"cushim 0.1.0","seconds":0.5,
"backends":[{"name":"cpu","built_in":true,"selected":true,"api_column":"cpu","kernel_translator":true}],
"summary":{},
"files":[
{"path":"good","cuda":true,"kernels":[{}],
"imports":[{"name":"cudaMalloc","status":{"cpu":"implemented"}}],
"ptx":{"opcodes":{"add.s32":4},"features":{"atomics":3}},
"verdicts":{"cpu":{"verdict":"RUNS","blockers":[],"degraded":[]}}},
{"path":"bad","cuda":true,"kernels":[{},{}],
"imports":[{"name":"cudaMalloc","status":{"cpu":"implemented"}},{"name":"cudaFoo","status":{"cpu":"unsupported"}}],
"ptx":{"opcodes":{"mov.u32":8,"mma.sync.aligned":2},"features":{"tensor-core":1,"atomics":1}},
"verdicts":{"cpu":{"verdict":"CANNOT-RUN","blockers":[{"category":"ptx-instruction","message":"PTX instruction `mma.sync.aligned` in kernel k (a.cu:1): no"}],"degraded":[]}}}
]}
EOF

"$cushim" report "$tmp/cpu.json" --html "$tmp/run.html" >/dev/null || fail "cushim report --html (run) failed"
"$cushim" report "$tmp/triage.json" --html="$tmp/triage.html" >/dev/null || fail "cushim report --html (triage) failed"
"$cushim" compare "$tmp/cpu.json" "$tmp/opencl.json" --html "$tmp/compare.html" >/dev/null ||
    fail "cushim compare --html failed"

# render PAGE: the DOM after the page's scripts ran, and the browser's log.
render() {
    timeout 120 "$browser" --headless --disable-gpu --no-sandbox --no-first-run \
        --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 \
        --dump-dom "file://$tmp/$1.html" >"$tmp/$1.dom" 2>"$tmp/$1.log"
}

# check PAGE STRING...: every string is in the rendered DOM; no console message, no
# script error caught by the page, the page's script ran, no external reference.
check() {
    page=$1
    shift
    if ! [ -f "$tmp/$page.html" ]; then
        fail "$page: no HTML written"
        return
    fi
    render "$page" || { fail "$page: the browser failed"; sed 's/^/  | /' "$tmp/$page.log"; return; }
    if grep -q ':CONSOLE' "$tmp/$page.log"; then
        fail "$page: console messages:"
        grep ':CONSOLE' "$tmp/$page.log" | sed 's/^/  | /'
    fi
    grep -q '<pre id="js-errors"></pre>' "$tmp/$page.dom" || fail "$page: the page caught a script error: $(grep -o 'js-errors">[^<]*' "$tmp/$page.dom")"
    grep -q 'data-script="ok"' "$tmp/$page.dom" || fail "$page: the page's script did not run to its end"
    if grep -E -q '(src|href)=|url\(|@import' "$tmp/$page.html"; then
        fail "$page: the page references outside resources"
    fi
    for s in "$@"; do
        grep -F -q -- "$s" "$tmp/$page.dom" || fail "$page: the rendered page lacks '$s'"
    done
    echo "ok: $page"
}

# The check itself must be able to fail: a page with a script error is caught.
printf '<html><body><script>nosuch();</script></body></html>\n' >"$tmp/broken.html"
render broken
grep -q ':CONSOLE' "$tmp/broken.log" && echo "ok: a script error shows in the browser's log" ||
    fail "the browser's log does not show script errors: this test could not see them"

check run '<b>60.0%</b>' '<b>80.0%</b>' '<b>12.0 MiB</b>' '>8.00 ms</text>' '>scale</text>' \
    '>45.00 ms</td>' '>cudaMalloc</td>' 'data-v="3">3</td>' 'main+0x1f (app)' \
    'kernel _Z3mmaPi: &lt;b&gt;not&lt;/b&gt; supported'
check triage 'RUNS<br>100.0%</td>' 'CANNOT-RUN<br>50.0%</td>' 'hsl(120,65%,78%)' 'hsl(60,65%,78%)' \
    '>atomics</text>' '>4</text>' '<b>66.7%</b>' '<b>82.4%</b>'
check compare '>2.00x</td>' '>1.50x</b>' '>16.00 ms</text>' 'class="bar-a"' 'class="bar-b"' \
    'Nothing: what failed, failed on both sides.' '<b>60.0%</b>'

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
exit 0
