#!/bin/sh
# report.sh: end-to-end test of run reports: samples built by nvcc and run under
# `cushim run --report` on the cpu backend; the JSON's counts, a program that aborts
# after some CUDA calls, processes without CUDA, `cushim report` on a good and on a
# truncated report, and `cushim compare` of two reports.
# Run by `make check` with top_builddir, top_srcdir and NVCC in the environment.
set -u

: "${top_builddir:?run this test from make check (top_builddir unset)}"
: "${top_srcdir:?run this test from make check (top_srcdir unset)}"
cushim="$top_builddir/cli/cushim"
unset CUSHIM_REPORT CUSHIM_BACKEND CUSHIM_LIBDIR

if [ -z "${NVCC:-}" ] || ! [ -x "$NVCC" ]; then
    if [ -n "${CI:-}" ]; then
        echo "FAIL: nvcc not found and CI is set: end-to-end tests must run in CI"
        exit 1
    fi
    echo "SKIP: nvcc not found (configure with NVCC=/path/to/nvcc)"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CUSHIM_CACHE_DIR="$top_builddir/tests/kernel-cache"
mkdir -p -m 700 "$CUSHIM_CACHE_DIR"
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# field FILE NAME KEY: the value of "KEY" in the report line that has "name":"NAME"
# (the writer puts every API row and every kernel on a line of its own).
field() {
    grep -F "\"name\":\"$2\"" "$1" | head -n 1 | sed -n "s/.*\"$3\":\([^,}]*\).*/\1/p"
}

expect_eq() {
    if [ "$2" = "$3" ]; then
        echo "ok: $1"
    else
        fail "$1: got '$2', expected '$3'"
    fi
}

expect_grep() {
    if grep -F -q -- "$3" "$2"; then
        echo "ok: $1"
    else
        fail "$1: $2 lacks '$3'"
        sed 's/^/  | /' "$2"
    fi
}

build() {
    # shellcheck disable=SC2086
    "$NVCC" -cudart shared -Wno-deprecated-gpu-targets -I"$top_srcdir/samples" -o "$tmp/$1" "$2" ||
        { echo "FAIL: nvcc could not build $1"; exit 1; }
}

# ---- a normal run: vector_add
build vector_add "$top_srcdir/samples/vector_add.cu"
timeout 300 "$cushim" run --backend cpu --report "$tmp/va.json" -- "$tmp/vector_add" >"$tmp/va.out" 2>&1
expect_eq "vector_add exit status" "$?" 0
[ -f "$tmp/va.json" ] || { fail "vector_add wrote no report"; cat "$tmp/va.out"; exit 1; }
expect_grep "schema" "$tmp/va.json" '"schema":"cushim-run/1"'
expect_grep "complete" "$tmp/va.json" '"complete":true'
expect_grep "exit status in the report" "$tmp/va.json" '"exit":{"status":0,"signal":null}'
expect_grep "backend" "$tmp/va.json" '"backend":{"name":"cpu","initialised":true'
expect_eq "cudaMalloc calls" "$(field "$tmp/va.json" cudaMalloc calls)" 3
expect_eq "cudaMalloc errors" "$(field "$tmp/va.json" cudaMalloc errors)" 0
expect_eq "cudaMemcpy calls" "$(field "$tmp/va.json" cudaMemcpy calls)" 3
expect_eq "cudaFree calls" "$(field "$tmp/va.json" cudaFree calls)" 3
kernel=_Z10vector_addPKfS0_Pfi
expect_grep "kernel name" "$tmp/va.json" "\"name\":\"$kernel\""
expect_eq "kernel launches" "$(field "$tmp/va.json" $kernel launches)" 1
expect_eq "kernel status" "$(field "$tmp/va.json" $kernel status)" '"translated"'
ns=$(field "$tmp/va.json" $kernel total_ns)
[ "${ns:-0}" -gt 0 ] 2>/dev/null && echo "ok: kernel time $ns ns" || fail "kernel time '$ns'"
# three buffers of 2^20 floats live at once
expect_grep "memory high-water" "$tmp/va.json" '"memory":{"high_water_bytes":12582912}'
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/va.json" &&
        echo "ok: the report is valid JSON" || fail "the report is not valid JSON"
fi

"$cushim" report "$tmp/va.json" >"$tmp/report.out" 2>&1
expect_eq "cushim report exit status" "$?" 0
expect_grep "report: program" "$tmp/report.out" "Run report: $tmp/vector_add (pid "
expect_grep "report: friction" "$tmp/report.out" "Porting friction on cpu: 100.0% of distinct APIs and kernels supported"
expect_grep "report: cudaMalloc row" "$tmp/report.out" "  cudaMalloc "
expect_grep "report: kernel row" "$tmp/report.out" "  vector_add  translated         1"

# ---- a report cut short: a clear error naming the file and the position
head -c 300 "$tmp/va.json" >"$tmp/cut.json"
"$cushim" report "$tmp/cut.json" >"$tmp/cut.out" 2>&1
expect_eq "truncated report exit status" "$?" 1
expect_grep "truncated report message" "$tmp/cut.out" "cushim: $tmp/cut.json: not valid JSON: line "
expect_grep "truncated report hint" "$tmp/cut.out" "(is the report truncated?)"

# ---- compare: a second run, and a copy whose kernel took twice as long
timeout 300 "$cushim" run --report "$tmp/va2.json" -- "$tmp/vector_add" >/dev/null 2>&1
"$cushim" compare "$tmp/va.json" "$tmp/va2.json" >"$tmp/cmp.out" 2>&1
expect_eq "compare exit status" "$?" 0
grep -E -q '^  vector_add +translated +translated +1 +1 ' "$tmp/cmp.out" &&
    echo "ok: compare: kernel row" || fail "compare: no kernel row"
grep -E -q '^  kernel time +[0-9.]+ [mun]?s +[0-9.]+ [mun]?s +[0-9]+\.[0-9][0-9]x$' "$tmp/cmp.out" &&
    echo "ok: compare: kernel time ratio" || { fail "compare: no kernel time ratio"; cat "$tmp/cmp.out"; }
sed "s/\(\"name\":\"$kernel\".*\"total_ns\":\)$ns}/\1$((ns * 2))}/" "$tmp/va.json" >"$tmp/slow.json"
"$cushim" compare "$tmp/va.json" "$tmp/slow.json" >"$tmp/cmp2.out" 2>&1
expect_eq "compare (doubled) exit status" "$?" 0
grep -E -q '^  vector_add +translated +translated +1 +1 .* 2\.00x$' "$tmp/cmp2.out" &&
    echo "ok: compare: kernel ratio 2.00x" || { fail "compare: no 2.00x ratio"; cat "$tmp/cmp2.out"; }
expect_grep "compare: friction" "$tmp/cmp2.out" "time ratio B/A: kernels 2.00x"

# ---- an abnormal exit: abort() after some CUDA calls still leaves a report
unsupported_api=cudaDeviceGraphMemTrim
cpu_status=$(awk -F '\t' -v n=$unsupported_api '$1 == n { print $5; exit }' "$top_srcdir/shim/api_table.tsv")
cat >"$tmp/aborts.cu" <<EOF
#include <cstdio>
#include <cstdlib>
__global__ void fill(int *p) { p[threadIdx.x] = 7; }
int main()
{
    int *a = nullptr, *b = nullptr;
    cudaMalloc(&a, 256);
    cudaMalloc(&b, 512);
    fill<<<1, 64>>>(a);
    cudaDeviceSynchronize();
    $unsupported_api(0);
    std::printf("aborting now\n");
    std::fflush(stdout);
    std::abort();
}
EOF
build aborts "$tmp/aborts.cu"
timeout 300 "$cushim" run --report "$tmp/abort.json" -- "$tmp/aborts" >"$tmp/abort.out" 2>&1
rc=$?
[ $rc -eq 134 ] && echo "ok: the program still dies of SIGABRT" || fail "abort: exit status $rc, expected 134"
[ -f "$tmp/abort.json" ] || { fail "abort wrote no report"; cat "$tmp/abort.out"; }
expect_grep "abort: incomplete" "$tmp/abort.json" '"complete":false'
expect_grep "abort: signal" "$tmp/abort.json" '"exit":{"status":null,"signal":"SIGABRT"}'
expect_eq "abort: cudaMalloc calls" "$(field "$tmp/abort.json" cudaMalloc calls)" 2
expect_eq "abort: launches" "$(field "$tmp/abort.json" _Z4fillPi launches)" 1
expect_eq "abort: $unsupported_api status" "$(field "$tmp/abort.json" $unsupported_api status)" "\"$cpu_status\""
if [ "$cpu_status" = unsupported ]; then
    expect_grep "abort: unsupported API met" "$tmp/abort.json" "{\"kind\":\"api\",\"name\":\"$unsupported_api\""
    # First occurrence: the call site, as a symbol or as an offset into the program
    # (main is not a dynamic symbol) that must lie inside main.
    where=$(grep -F "\"name\":\"$unsupported_api\"" "$tmp/abort.json" | sed -n 's/.*"first_where":"\([^"]*\)".*/\1/p')
    case $where in
        main+0x*) echo "ok: abort: first occurrence $where" ;;
        aborts+0x*)
            offset=$((${where#aborts+}))
            set -- $(nm -S "$tmp/aborts" | awk '$4 == "main" { print $1, $2 }')
            if [ $# -eq 2 ] && [ "$offset" -ge $((0x$1)) ] && [ "$offset" -lt $((0x$1 + 0x$2)) ]; then
                echo "ok: abort: first occurrence $where is inside main"
            else
                fail "abort: first occurrence $where is not inside main ($*)"
            fi ;;
        *) fail "abort: first occurrence '$where' names neither main nor the program" ;;
    esac
fi
"$cushim" report "$tmp/abort.json" >"$tmp/abort.report" 2>&1
expect_eq "abort: cushim report exit status" "$?" 0
expect_grep "abort: report says so" "$tmp/abort.report" "killed by SIGABRT"

# ---- a statically linked runtime reaches the core through libcuda.so.1: its kernels
# and memory are reported even though no call goes through cushim's runtime exports
"$NVCC" -cudart static -Wno-deprecated-gpu-targets -I"$top_srcdir/samples" -o "$tmp/va_static" \
    "$top_srcdir/samples/vector_add.cu" || { echo "FAIL: nvcc could not build va_static"; exit 1; }
timeout 300 "$cushim" run --report "$tmp/static.json" -- "$tmp/va_static" >"$tmp/static.out" 2>&1
expect_eq "static: exit status" "$?" 0
expect_eq "static: kernel launches" "$(field "$tmp/static.json" $kernel launches)" 1
expect_grep "static: memory high-water" "$tmp/static.json" '"memory":{"high_water_bytes":12582912}'

# ---- processes without CUDA write nothing; %p names the process
timeout 60 "$cushim" run --report "$tmp/none.json" -- /bin/true
[ ! -e "$tmp/none.json" ] && echo "ok: no report without CUDA calls" || fail "a process without CUDA calls wrote a report"
CUSHIM_REPORT="$tmp/pid-%p.json" timeout 300 "$cushim" run -- "$tmp/vector_add" >/dev/null 2>&1
set -- "$tmp"/pid-*.json
if [ -f "$1" ]; then
    pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$1")
    expect_eq "%p in CUSHIM_REPORT" "$(basename "$1")" "pid-$pid.json"
else
    fail "%p: no report written"
fi
ls "$tmp"/*.tmp.* >/dev/null 2>&1 && fail "temporary report files left behind"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
exit 0
