#!/bin/sh
# triage.sh: end-to-end checks of `cushim triage` on programs nvcc builds here (shared
# and static runtime, -rdc, SASS only, an API and instructions the CPU backend lacks,
# a texture fetch) and on garbage: verdicts, blockers, exit statuses, the JSON report.
# Run by `make check` with top_builddir/top_srcdir set; skips (77) without nvcc unless
# CI is set.
set -u

top_builddir=${top_builddir:?run this test from make check (top_builddir unset)}
top_srcdir=${top_srcdir:?run this test from make check (top_srcdir unset)}
nvcc=${NVCC:-}
[ -n "$nvcc" ] || nvcc=$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)
if ! [ -x "$nvcc" ]; then
    if [ -n "${CI:-}" ]; then
        echo "FAIL: nvcc not found ($nvcc) and CI is set"
        exit 1
    fi
    echo "SKIP: nvcc not found"
    exit 77
fi

# The command itself once cli/main.c dispatches `triage`; the stand-alone driver until
# then (same code: cushim_cmd_triage).
if "$top_builddir/cli/cushim" triage --help >/dev/null 2>&1; then
    triage="$top_builddir/cli/cushim triage"
else
    triage="$top_builddir/cli/triage-driver"
fi
unset NO_COLOR

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# check NAME EXPECTED_STATUS -- ARGS...: runs triage, keeps stdout/stderr in $tmp.
check() {
    name=$1 expected=$2
    shift 3
    # shellcheck disable=SC2086 # $triage is a command and its first argument
    $triage "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    if [ "$status" -ne "$expected" ]; then
        fail "$name: exit status $status, expected $expected"
        sed 's/^/  stdout: /' "$tmp/out"
        sed 's/^/  stderr: /' "$tmp/err"
        return 1
    fi
    echo "ok: $name"
    return 0
}

# expect NAME FILE TEXT / reject NAME FILE TEXT: FILE (out, err) has / lacks the text.
expect() {
    grep -F -q -- "$3" "$tmp/$2" || {
        fail "$1: $2 lacks '$3'"
        sed "s/^/  $2: /" "$tmp/$2"
    }
}
reject() {
    if grep -F -q -- "$3" "$tmp/$2"; then
        fail "$1: $2 has '$3'"
        sed "s/^/  $2: /" "$tmp/$2"
    fi
}

# json NAME EXPRESSION: a Python expression over the report `r` must be true.
if command -v python3 >/dev/null 2>&1; then have_python=yes; else have_python=no; fi
json() {
    [ "$have_python" = yes ] || return 0
    python3 - "$tmp/report.json" "$2" <<'EOF' || fail "$1: JSON check failed: $2"
import json, sys
r = json.load(open(sys.argv[1]))
files = {f["path"].rsplit("/", 1)[-1]: f for f in r["files"]}
ok = eval(sys.argv[2], {"r": r, "files": files})
if not ok:
    print("  report:", json.dumps(r)[:3000])
sys.exit(0 if ok else 1)
EOF
}

cd "$tmp" || exit 1
build() { # OUTPUT NVCC_ARGS...
    out=$1
    shift
    "$nvcc" -o "$out" "$@" >"$tmp/nvcc.log" 2>&1 || {
        fail "nvcc could not build $out"
        sed 's/^/  nvcc: /' "$tmp/nvcc.log"
        return 1
    }
}

cat >scale.cu <<'EOF'
__global__ void scale(float *a, float s, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        a[i] *= s;
}
int main()
{
    float *d;
    cudaMalloc(&d, 64 * sizeof(float));
    scale<<<1, 64>>>(d, 2.0f, 64);
    cudaDeviceSynchronize();
    cudaFree(d);
    return 0;
}
EOF
cat >rdc_a.cu <<'EOF'
extern __device__ float twice(float x);
__global__ void first_kernel(float *p) { p[threadIdx.x] = twice(p[threadIdx.x]); }
int main()
{
    float *d;
    cudaMalloc(&d, 128);
    first_kernel<<<1, 32>>>(d);
    cudaDeviceSynchronize();
    return 0;
}
EOF
cat >rdc_b.cu <<'EOF'
__device__ float twice(float x) { return 2 * x; }
__global__ void second_kernel(int *p) { atomicAdd(p, 1); }
EOF
cat >launch.cu <<'EOF'
__global__ void child(int *p) { p[threadIdx.x] = threadIdx.x; }
__global__ void parent(int *p) { child<<<1, 4>>>(p); }
int main()
{
    int *d;
    cudaMalloc(&d, 16);
    parent<<<1, 1>>>(d);
    cudaDeviceSynchronize();
    return 0;
}
EOF
cat >tex.cu <<'EOF'
__global__ void fetch(cudaTextureObject_t t, float *out)
{
    out[threadIdx.x] = tex2D<float>(t, threadIdx.x, 0);
}
int main()
{
    float *d;
    cudaMalloc(&d, 128);
    fetch<<<1, 32>>>(0, d);
    cudaDeviceSynchronize();
    return 0;
}
EOF

build shared -cudart shared scale.cu
build static scale.cu
build rdc -cudart shared -rdc=true rdc_a.cu rdc_b.cu
build sass -cudart shared -gencode arch=compute_75,code=sm_75 scale.cu
build launch -cudart shared -rdc=true -lineinfo launch.cu -lcudadevrt
build tex -cudart shared -lineinfo tex.cu
[ "$failures" -eq 0 ] || exit 1

# --- a program cushim runs -------------------------------------------------------
check "shared runtime" 0 -- --json report.json shared
expect "shared runtime" out "cudart.so.13"
expect "shared runtime" out "RUNS"
reject "shared runtime" out "CANNOT-RUN"
reject "shared runtime" out "$(printf '\033')" # not a terminal: no colour
json "shared runtime" 'r["schema"] == "cushim-triage/1"'
json "shared runtime" 'files["shared"]["linkage"]["cudart_shared"]["major"] == 13'
json "shared runtime" '"libcudart.so.13" in files["shared"]["linkage"]["cudart_shared"]["versions"]'
json "shared runtime" 'files["shared"]["verdicts"]["cpu"]["verdict"] == "RUNS"'
json "shared runtime" '[k["name"] for k in files["shared"]["kernels"]] == ["_Z5scalePffi"]'
json "shared runtime" 'files["shared"]["kernels"][0]["has_ptx"] is True'
json "shared runtime" 'any(i["name"] == "cudaMalloc" and i["version"] == "libcudart.so.13" for i in files["shared"]["imports"])'
json "shared runtime" 'any(e["kind"] == "ptx" and e["compression"] == "zstd" for c in files["shared"]["fatbin"]["containers"] for e in c["entries"])'
json "shared runtime" 'files["shared"]["ptx"]["special_registers"]["%tid.x"] == 1'

# Every import's status is the API table's: compare with shim/api_table.tsv.
if [ "$have_python" = yes ]; then
    python3 - "$tmp/report.json" "$top_srcdir/shim/api_table.tsv" <<'EOF' || fail "imports: statuses differ from shim/api_table.tsv"
import json, sys
rows = {}
for line in open(sys.argv[2]):
    if line.startswith("#") or not line.strip():
        continue
    col = line.rstrip("\n").split("\t")
    if "13" in col[1].split(","):
        rows[col[0]] = {"cpu": col[4], "opencl": col[5]}
for f in json.load(open(sys.argv[1]))["files"]:
    for i in f["imports"]:
        want = rows.get(i["name"], {"cpu": "unknown", "opencl": "unknown"})
        if i["status"] != want:
            print("  ", i["name"], i["status"], "table:", want)
            sys.exit(1)
EOF
    echo "ok: import statuses match shim/api_table.tsv"
fi

# --- separate compilation: linked, runs -----------------------------------------------
check "rdc" 0 -- --backend cpu --json report.json rdc
json "rdc" 'files["rdc"]["fatbin"]["wrappers_v2"] >= 1'
json "rdc" 'sorted(k["name"] for k in files["rdc"]["kernels"]) == ["_Z12first_kernelPf", "_Z13second_kernelPi"]'
json "rdc" 'files["rdc"]["ptx"]["modules"] == 2 and files["rdc"]["verdicts"]["cpu"]["verdict"] == "RUNS"'
json "rdc" '"atomics" in [k for k in files["rdc"]["kernels"] if k["name"] == "_Z13second_kernelPi"][0]["features"]'

# --- SASS only --------------------------------------------------------------------------
check "SASS only" 1 -- --json report.json sass
expect "SASS only" out "CANNOT-RUN"
expect "SASS only" out "kernel _Z5scalePffi is SASS-only (sm_75)"
expect "SASS only" out "SASS only for sm_75, 1 kernel"
json "SASS only" 'files["sass"]["kernels"][0]["has_ptx"] is False and files["sass"]["kernels"][0]["sass_archs"] == ["sm_75"]'

# --- static runtime (nvcc's default) ------------------------------------------------------
check "static runtime" 0 -- --backend cpu --json report.json static
expect "static runtime" out "static cudart 13"
expect "static runtime" out "RUNS-DEGRADED"
expect "static runtime" out "statically linked CUDA runtime: runs through cushim's libcuda.so.1"
json "static runtime" 'files["static"]["verdicts"]["cpu"]["verdict"] == "RUNS-DEGRADED" and files["static"]["verdicts"]["cpu"]["blockers"] == []' 
json "static runtime" 'files["static"]["linkage"]["cudart_static"]["toolkit"].startswith("13.")'
json "static runtime" 'files["static"]["linkage"]["cudart_shared"] is None and files["static"]["imports"] == []'

# --- an API the table marks unsupported for cpu -------------------------------------------
# Which one is taken from shim/api_table.tsv itself (the table changes as work lands): the
# first unsupported CUDA 13 row whose declared parameters compile in a call.
awk -F'\t' '!/^#/ && $1 ~ /^cuda/ && $2 ~ /13/ && $4 != "-" && $5 == "unsupported" {
        n = split($4, params, ";"); args = ""
        for (i = 1; i <= n; i++) { split(params[i], p, "|"); args = args (i > 1 ? ", " : "") "zero<" p[1] ">()" }
        print $1 "\t" args
    }' "$top_srcdir/shim/api_table.tsv" | head -n 8 >candidates.tsv
unsupported_api=
while IFS="$(printf '\t')" read -r name args; do
    {
        echo "template <class T> static T zero() { return T(); }"
        echo "int main() { $name($args); return 0; }"
    } >api.cu
    if "$nvcc" -cudart shared -o api api.cu >/dev/null 2>&1; then
        unsupported_api=$name
        break
    fi
done <candidates.tsv
if [ -n "$unsupported_api" ]; then
    check "unsupported API ($unsupported_api)" 1 -- --json report.json api
    expect "unsupported API" out "unsupported API $unsupported_api: returns cuda"
    json "unsupported API" 'any(i["status"]["cpu"] == "unsupported" for i in files["api"]["imports"])'
else
    echo "note: no unsupported API in shim/api_table.tsv could be called; check skipped"
fi

# --- device-side launch: the CPU generator rejects its calls -------------------------------
check "device launch" 1 -- --json report.json launch
expect "device launch" out "in kernel _Z6parentPi"
expect "device launch" out "\`__cudaCDP2" # the callee, whatever the wording
json "device launch" 'files["launch"]["ptx"]["features"].get("device-launch", 0) > 0'
json "device launch" 'any(b["category"] == "ptx-instruction" for b in files["launch"]["verdicts"]["cpu"]["blockers"])'

# --- texture fetch: inventoried; when the generator rejects it, the blocker says where -------
check_tex_status=0
$triage --json report.json tex >"$tmp/out" 2>"$tmp/err" || check_tex_status=$?
json "texture" '"textures" in files["tex"]["kernels"][0]["features"]'
json "texture" 'files["tex"]["ptx"]["opcodes"].get("tex.2d.v4.f32.f32") == 1'
if [ "$check_tex_status" -eq 1 ]; then
    expect "texture" out "PTX instruction \`tex.2d.v4.f32.f32\` in kernel _Z5fetchyPf ("
    expect "texture" out ".h:" # -lineinfo: the .loc of the (inlined) fetch
    echo "ok: texture fetch rejected with its location"
else
    [ "$check_tex_status" -eq 0 ] || fail "texture: exit status $check_tex_status"
    reject "texture" out "CANNOT-RUN"
    echo "ok: texture fetch supported by the cpu backend"
fi

# --- several files and a directory: the table, the summary, the worst status ------------------
mkdir dir dir/sub
cp shared rdc dir/
cp sass dir/sub/
printf 'not a binary\n' >dir/notes.txt
: >dir/empty
head -c 3000 shared >dir/truncated
head -c 30 shared >dir/stub
ln -s ../shared dir/sub/link
check "directory" 1 -- --json report.json dir
expect "directory" out "dir/sub/sass"
expect "directory" out "malformed ELF"
expect "directory" out "3 CUDA files"
expect "directory" out "2 not ELF"
expect "directory" out "1 symbolic link not followed"
json "directory" 'r["summary"]["not_elf"] == 2 and r["summary"]["links_not_followed"] == 1'
json "directory" 'r["summary"]["verdicts"]["cpu"]["CANNOT-RUN"] == 1 and r["summary"]["verdicts"]["cpu"]["RUNS"] == 2'
json "directory" 'files["truncated"]["state"] == "malformed" and files["stub"]["state"] == "malformed"'
check "directory without the SASS-only program" 0 -- --backend cpu dir/shared dir/rdc dir/truncated

# --- backends -----------------------------------------------------------------------------
if "$top_builddir/cli/cushim" backends 2>/dev/null | grep -q '^opencl '; then
    # Built with OpenCL: its column is judged by the OpenCL generator's instruction support.
    check "opencl column" 0 -- --backend cpu,opencl shared
    expect "opencl column" out "opencl"
    reject "opencl column" out "not built into this cushim"
else
    check "opencl column" 1 -- --backend cpu,opencl shared
    expect "opencl column" out "opencl"
    expect "opencl column" out "backend opencl is not built into this cushim"
fi
check "unknown backend" 2 -- --backend quantum shared
expect "unknown backend" err "unknown backend 'quantum'"

# --- usage errors ---------------------------------------------------------------------------
check "no paths" 2 --
expect "no paths" err "Usage: cushim triage"
check "missing path" 2 -- /nonexistent/triage/input
check "unknown option" 2 -- --frob shared
check "help" 0 -- --help
expect "help" out "--json FILE"

# --- colour only on a terminal, and never with NO_COLOR ----------------------------------------
if command -v script >/dev/null 2>&1; then
    script -qec "$triage shared" /dev/null >"$tmp/out" 2>&1 </dev/null
    expect "terminal colour" out "$(printf '\033[32m')RUNS"
    NO_COLOR=1 script -qec "$triage shared" /dev/null >"$tmp/out" 2>&1 </dev/null
    reject "NO_COLOR" out "$(printf '\033[32m')"
    echo "ok: colour on a terminal, none with NO_COLOR"
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all triage checks passed"
