#!/bin/sh
# triage_agreement.sh: what `cushim triage` predicts for a binary must be what happens
# when the binary runs under `cushim run` on the same backend. For every sample (built
# with the shared runtime), plus a static, an -rdc and a SASS-only build: RUNS (or
# RUNS-DEGRADED) must mean the run is clean (exit 0, PASSED, no "not supported"/"cannot
# run" diagnostics); CANNOT-RUN must mean the run meets the blocker triage named, in the
# kernel it named. Backends: cpu, and opencl (when present) for the samples
# tests/e2e/opencl-samples.txt lists as passing there.
set -u
: "${top_builddir:?run through make check}" "${top_srcdir:?run through make check}"
if [ -z "${NVCC:-}" ] || ! [ -x "$NVCC" ]; then
    [ -n "${CI:-}" ] && { echo "FAIL: nvcc not found and CI is set"; exit 1; }
    echo "SKIP: nvcc not found"; exit 77
fi
command -v python3 >/dev/null 2>&1 || {
    [ -n "${CI:-}" ] && { echo "FAIL: python3 not found and CI is set"; exit 1; }
    echo "SKIP: python3 not found"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CUSHIM_CACHE_DIR="$top_builddir/tests/kernel-cache"
mkdir -p -m 700 "$CUSHIM_CACHE_DIR"
cushim=$top_builddir/cli/cushim
samples=$top_srcdir/samples
opencl_list=$top_srcdir/tests/e2e/opencl-samples.txt
backends=cpu
"$cushim" backends 2>/dev/null |
    awk '/^[^ ]/ { b = $1 } b == "opencl" && /^  device 0:/ { found = 1 } END { exit !found }' &&
    backends="cpu opencl"

# Binaries: NAME FLAGS SOURCE, built two at a time.
{
    for src in "$samples"/*.cu; do
        name=$(basename "$src" .cu)
        # skip what is not a whole program in shared mode, and the slowest build
        grep -q '^// sample-modes:' "$src" && continue
        grep -q 'main(' "$src" || continue
        # thrust: the slowest build; kernel_host_write: a known defect, an expected
        # failure in make check (docs/robustness.md)
        case $name in thrust_* | kernel_host_write) continue ;; esac
        flags=$(sed -n 's|^// sample-flags: *||p' "$src" | sed "s|@CUDA@|$(dirname "$(dirname "$NVCC")")|g" | tr '\n' ' ')
        echo "$name|-cudart shared $flags|$src"
    done
    echo "static_matmul|-cudart static|$samples/matmul_tiled.cu"
    echo "rdc_multi_file|-cudart shared -rdc=true|$samples/multi_file_main.cu $samples/multi_file_lib.cu"
    echo "sass_only|-cudart shared -gencode arch=compute_75,code=sm_75|$samples/vector_add.cu"
} > "$work/list"
build_one() {
    IFS='|' read -r name flags sources <<LINE
$1
LINE
    # shellcheck disable=SC2086
    "$NVCC" $flags -Wno-deprecated-gpu-targets -o "$work/$name" $sources >"$work/$name.nvcc" 2>&1 ||
        echo "FAIL: nvcc $name: $(head -3 "$work/$name.nvcc")"
}
while IFS= read -r a; do
    IFS= read -r b || b=
    build_one "$a" & [ -n "$b" ] && build_one "$b" & wait
done < "$work/list"

status=0
checked=0
for backend in $backends; do
    while IFS='|' read -r prog _ _; do
        [ -x "$work/$prog" ] || { status=1; continue; }
        if [ "$backend" = opencl ]; then
            sed 's/#.*//' "$opencl_list" | grep -qx "[[:space:]]*$prog[[:space:]]*" || continue
        fi
        "$cushim" triage --backend "$backend" --json "$work/$prog.json" "$work/$prog" >/dev/null 2>&1
        "$cushim" run --backend "$backend" -- "$work/$prog" >"$work/$prog.out" 2>&1
        rc=$?
        checked=$((checked + 1))
        python3 - "$work/$prog.json" "$work/$prog.out" "$rc" "$prog" "$backend" <<'PY' || status=1
import json, sys
report, out_path, rc, prog, backend = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
files = [f for f in json.load(open(report))["files"] if f.get("verdicts")]
assert len(files) == 1, f"{prog}: expected one CUDA file in the triage report"
v = files[0]["verdicts"][backend]
verdict, blockers = v["verdict"], v.get("blockers", [])
out = open(out_path, errors="replace").read()
# cushim's own blocker diagnostics: an API row it does not implement, an instruction a
# backend cannot translate, a kernel without PTX, a module that does not load
blocked_at_run = any(s in out for s in ("is not supported by cushim", "is not supported on the",
                                        "cannot run on backend", "no PTX", "cannot load"))
# a sample whose point is an unsupported feature prints PASSED after checking the error
clean = rc == 0 and "PASSED" in out and not blocked_at_run
if verdict in ("RUNS", "RUNS-DEGRADED"):
    ok = clean
    why = f"triage says {verdict} but the run was not clean (exit {rc})"
else:
    named = [b["message"].split("in kernel ")[-1].split()[0] if "in kernel " in b["message"]
             else b["message"].split("kernel ")[-1].split()[0]
             for b in blockers if b["category"] in ("ptx-instruction", "sass-only")
             and "kernel " in b["message"]]
    missing = [k for k in named if k.strip("`'\":,") not in out]
    ok = blocked_at_run and not missing
    why = (f"triage says {verdict} ({[b['message'] for b in blockers]}) but the run "
           + ("met no blocker" if not blocked_at_run else f"did not name {missing}"))
print(("PASS" if ok else "FAIL") + f": {prog} on {backend}: triage {verdict}, run exit {rc}"
      + ("" if ok else ": " + why))
if not ok:
    print(out[-1500:])
sys.exit(0 if ok else 1)
PY
    done < "$work/list"
done
echo "$checked binary/backend pairs compared"
exit $status
