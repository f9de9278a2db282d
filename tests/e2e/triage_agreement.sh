#!/bin/sh
# triage_agreement.sh: what `cushim triage` predicts for a binary must be what happens
# when the binary runs under `cushim run` on the same backend. For each program: RUNS
# (or RUNS-DEGRADED) must mean the run is clean (exit 0, no "not supported"/"cannot
# run" diagnostics); CANNOT-RUN must mean the run meets the blocker triage named.
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

# name | nvcc flags | source
build() {
    "$NVCC" $2 -Wno-deprecated-gpu-targets -o "$work/$1" "$samples/$3" || { echo "FAIL: nvcc $1"; exit 1; }
}
build vector_add "-cudart shared" vector_add.cu
build matmul_static "-cudart static" matmul_tiled.cu
build warp_rdc "-cudart shared -rdc=true" warp_reduce.cu
build unsupported "-cudart shared -lineinfo" unsupported_instruction.cu
build sass_only "-cudart shared -gencode arch=compute_75,code=sm_75" vector_add.cu

status=0
for prog in vector_add matmul_static warp_rdc unsupported sass_only; do
    "$cushim" triage --backend cpu --json "$work/$prog.json" "$work/$prog" >/dev/null 2>&1
    "$cushim" run --backend cpu -- "$work/$prog" >"$work/$prog.out" 2>&1
    rc=$?
    python3 - "$work/$prog.json" "$work/$prog.out" "$rc" "$prog" <<'PY' || status=1
import json, sys
report, out_path, rc, prog = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
files = [f for f in json.load(open(report))["files"] if f.get("verdicts")]
assert len(files) == 1, f"{prog}: expected one CUDA file in the triage report"
v = files[0]["verdicts"]["cpu"]
verdict, blockers = v["verdict"], v.get("blockers", [])
out = open(out_path, errors="replace").read()
blocked_at_run = ("not supported" in out or "cannot run" in out or "no PTX" in out
                  or "cannot load" in out)
clean = rc == 0 and not blocked_at_run and "PASSED" in out
if verdict in ("RUNS", "RUNS-DEGRADED"):
    ok = clean
    why = f"triage says {verdict} but the run was not clean (exit {rc})"
else:
    # The run must meet a blocker, and every kernel a PTX-instruction or SASS-only
    # blocker names must be the one the run reports.
    named = [b.get("kernel") or b["message"].split("kernel ")[-1].split()[0]
             for b in blockers if b["category"] in ("ptx-instruction", "sass-only")
             and "kernel " in b["message"]]
    missing = [k for k in named if k.strip("`'\":,") not in out]
    ok = blocked_at_run and not missing
    why = (f"triage says {verdict} ({[b['message'] for b in blockers]}) but the run "
           + ("met no blocker" if not blocked_at_run else f"did not name {missing}"))
print(("PASS" if ok else "FAIL") + f": {prog}: triage {verdict}, run exit {rc}" + ("" if ok else ": " + why))
if not ok:
    print(out[-2000:])
sys.exit(0 if ok else 1)
PY
done
exit $status
