#!/usr/bin/env python3
# extract_api.py: builds shim/api_table.tsv, the table of every CUDA runtime entry point,
# from the toolkit headers and the export lists of the real libraries. Run once by a
# developer when a new CUDA release appears; the build only reads the committed table.
#
# Usage: extract_api.py CUDA13_INCLUDE LIBCUDART13 CUDA12_INCLUDE LIBCUDART12 [OLD_TABLE [ENUMS_HEADER]]
# (the CUDA 12 files come from the PyPI wheel nvidia-cuda-runtime-cu12). When OLD_TABLE
# is given, the hand-maintained columns (status, error, impl, flags) of rows already
# there are kept, so re-extraction never loses mapping decisions.
#
# Columns (tab-separated): name, nodes (13 / 12 / 13,12), return type, parameters
# (TYPE|NAME|DIR|KIND separated by ';'), cpu status, opencl status, error when
# unsupported, impl (function implementing it, '-' none), flags.
# DIR: in / out / inout. KIND (how the tracer prints it): int uint size u64 i64 hex
# float double ptr str handle enum:TYPE struct:TYPE dim3 out:KIND.
import os
import re
import subprocess
import sys
import tempfile

FAKE_SYSTEM_HEADERS = {
    "GL/gl.h": "typedef unsigned int GLuint; typedef unsigned int GLenum;\n",
    "EGL/egl.h": "typedef void *EGLDisplay; typedef void *EGLSyncKHR; typedef int EGLint;\n"
                 "typedef void *EGLImageKHR; typedef void *EGLStreamKHR; typedef void *EGLSync;\n"
                 "typedef unsigned int EGLenum;\n",
    "EGL/eglext.h": "",
    "vdpau/vdpau.h": "typedef unsigned int VdpDevice; typedef unsigned int VdpVideoSurface;\n"
                     "typedef unsigned int VdpOutputSurface;\n"
                     "typedef int VdpGetProcAddress(VdpDevice, unsigned int, void **);\n",
}

SOURCE = """
#include "cuda_runtime_api.h"
#include "cuda_profiler_api.h"
#include "cuda_gl_interop.h"
#include "cuda_egl_interop.h"
#include "cuda_vdpau_interop.h"
"""

# Entry points no public header declares: the registration and launch interface nvcc's
# generated code calls (crt/host_runtime.h, crt/device_functions.h are C++ only), and
# a few private ones whose signature is unknown (their rows take no parameters: a stub
# that reads none is correct for any caller).
HAND_WRITTEN = [
    ("__cudaRegisterFatBinary", "void **", "void *|fatCubin|in|ptr"),
    ("__cudaRegisterFatBinaryEnd", "void", "void **|fatCubinHandle|in|ptr"),
    ("__cudaUnregisterFatBinary", "void", "void **|fatCubinHandle|in|ptr"),
    ("__cudaRegisterFunction", "void",
     "void **|fatCubinHandle|in|ptr;const char *|hostFun|in|ptr;char *|deviceFun|in|ptr;"
     "const char *|deviceName|in|str;int|thread_limit|in|int;uint3 *|tid|in|ptr;"
     "uint3 *|bid|in|ptr;dim3 *|bDim|in|ptr;dim3 *|gDim|in|ptr;int *|wSize|in|ptr"),
    ("__cudaRegisterVar", "void",
     "void **|fatCubinHandle|in|ptr;char *|hostVar|in|ptr;char *|deviceAddress|in|ptr;"
     "const char *|deviceName|in|str;int|ext|in|int;size_t|size|in|size;"
     "int|constant|in|int;int|global|in|int"),
    ("__cudaRegisterManagedVar", "void",
     "void **|fatCubinHandle|in|ptr;void **|hostVarPtrAddress|in|ptr;char *|deviceAddress|in|ptr;"
     "const char *|deviceName|in|str;int|ext|in|int;size_t|size|in|size;"
     "int|constant|in|int;int|global|in|int"),
    ("__cudaInitModule", "char", "void **|fatCubinHandle|in|ptr"),
    ("__cudaPushCallConfiguration", "unsigned int",
     "dim3|gridDim|in|dim3;dim3|blockDim|in|dim3;size_t|sharedMem|in|size;"
     "cudaStream_t|stream|in|handle"),
    ("__cudaPopCallConfiguration", "cudaError_t",
     "dim3 *|gridDim|out|ptr;dim3 *|blockDim|out|ptr;size_t *|sharedMem|out|out:size;"
     "void *|stream|out|ptr"),
    ("__cudaGetKernel", "cudaError_t",
     "cudaKernel_t *|kernelPtr|out|out:handle;const void *|entryFuncAddr|in|ptr"),
    ("__cudaLaunchKernel", "cudaError_t",
     "cudaKernel_t|kernel|in|handle;dim3|gridDim|in|dim3;dim3|blockDim|in|dim3;"
     "void **|args|in|ptr;size_t|sharedMem|in|size;cudaStream_t|stream|in|handle"),
    ("__cudaLaunchKernel_ptsz", "cudaError_t",
     "cudaKernel_t|kernel|in|handle;dim3|gridDim|in|dim3;dim3|blockDim|in|dim3;"
     "void **|args|in|ptr;size_t|sharedMem|in|size;cudaStream_t|stream|in|handle"),
    ("__cudaRegisterHostVar", "void", ""),
    ("__cudaRegisterUnifiedTable", "void", ""),
    ("__cudaGetProcAddress", "cudaError_t", ""),
    ("cudaGetExportTable", "cudaError_t",
     "const void **|ppExportTable|out|out:ptr;const cudaUUID_t *|pExportTableId|in|ptr"),
]

DECL_RE = re.compile(r"^\s*(?:extern\s+)?(.*?)\b((?:__)?cuda[A-Za-z0-9_]+)\s*\((.*)\)\s*;\s*$")


def preprocess(include_dir, defines):
    with tempfile.TemporaryDirectory() as tmp:
        for path, text in FAKE_SYSTEM_HEADERS.items():
            os.makedirs(os.path.join(tmp, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(tmp, path), "w") as f:
                f.write(text)
        src = os.path.join(tmp, "all.c")
        with open(src, "w") as f:
            f.write(SOURCE)
        cmd = ["gcc", "-E", "-P", "-w", "-I", include_dir, "-I", tmp] + \
              ["-D" + d for d in defines] + [src]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def join_statements(text):
    """One declaration per line: the preprocessed text splits them arbitrarily."""
    text = re.sub(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)", " ", text)
    text = re.sub(r"__declspec\s*\([^)]*\)", " ", text)
    out, depth, cur = [], 0, []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        cur.append(ch)
        if ch == ";" and depth == 0:
            out.append(" ".join("".join(cur).split()))
            cur = []
    return out


def collect(text):
    """Returns (declarations {name: (ret, [params])}, pointer typedefs, enum typedefs)."""
    decls, handles, enums, fnptrs = {}, set(), set(), set()
    for st in join_statements(text):
        m = re.match(r"^typedef (?:const )?(?:struct \w+|void)\s*\*\s*(\w+);$", st)
        if m:
            handles.add(m.group(1))
            continue
        m = re.match(r"^typedef [\w\s]+\(\s*\*\s*(\w+)\)\s*\(", st)
        if m:
            fnptrs.add(m.group(1))
            continue
        m = re.match(r"^typedef (?:enum \w+|enum \w* ?\{.*\}) ?(\w+);$", st)
        if m:
            enums.add(m.group(1))
            continue
        if st.startswith("typedef") or "{" in st:
            continue
        m = DECL_RE.match(st)
        if not m:
            continue
        ret, name, params = m.group(1).strip(), m.group(2), m.group(3).strip()
        ret = ret.replace("static ", "").replace("inline ", "").strip()
        ret = re.sub(r"\s*\*", " *", ret)
        plist = [] if params in ("", "void") else [p.strip() for p in params.split(",")]
        decls.setdefault(name, (ret, plist))
    return decls, handles, enums, fnptrs


def split_param(p):
    m = re.match(r"^(.*?)(\w+)\s*(\[\s*\])?$", p)
    typ, name = m.group(1).strip(), m.group(2)
    if m.group(3):
        typ += " *"
    typ = re.sub(r"\s*\*", " *", typ).replace("* *", "**").strip()
    return typ, name


SCALARS = {
    "int": "int", "unsigned int": "uint", "unsigned": "uint", "size_t": "size",
    "unsigned long long": "u64", "long long": "i64", "float": "float", "double": "double",
    "char": "int", "unsigned char": "uint", "short": "int", "unsigned short": "uint",
    "cudaError_t": "enum:cudaError_t", "GLuint": "uint", "GLenum": "uint",
    "VdpDevice": "uint", "VdpVideoSurface": "uint", "VdpOutputSurface": "uint",
    "uint64_t": "u64", "int64_t": "i64", "uint32_t": "uint", "int32_t": "int",
    "cudaGraphConditionalHandle": "u64", "cudaSurfaceObject_t": "u64",
    "cudaTextureObject_t": "u64", "EGLint": "int", "EGLenum": "uint",
}


# Parameters whose direction the type does not tell: arrays of argument pointers.
FNPTRS = set()
KIND_OVERRIDES = {"args": "ptr", "kernelParams": "ptr", "extra": "ptr"}


def kind_of(typ, name, handles, enums):
    if name in KIND_OVERRIDES:
        return KIND_OVERRIDES[name]
    base = typ.replace("const ", "").strip()
    if base.endswith("*"):
        pointee = base[:-1].strip()
        if base == "char *" and typ.startswith("const"):
            return "str"
        if typ.startswith("const") or "const *" in typ or pointee in ("void", "char"):
            return "ptr"
        if pointee == "void *":
            return "out:ptr"
        pk = kind_of(pointee, name, handles, enums)
        if pk in ("int", "uint", "hex", "size", "u64", "i64", "float", "handle") or \
                pk.startswith("enum:"):
            return "out:" + pk
        return "ptr"
    if base in SCALARS:
        k = SCALARS[base]
        if k == "uint" and "flag" in name.lower():
            return "hex"
        return k
    if base.startswith("enum "):
        return "enum:" + base[5:]
    if base in enums:
        return "enum:" + base
    if base in handles:
        return "handle"
    if base in FNPTRS:
        return "ptr"
    if base == "dim3":
        return "dim3"
    if base.startswith("struct "):
        return "struct:" + base[7:]
    # a typedef'd struct passed by value (cudaIpcMemHandle_t, cudaLaunchConfig_t...)
    return "struct:" + base


def direction(typ, kind):
    if kind.startswith("out:"):
        return "out"
    if typ.endswith("*") and "const" not in typ and not kind.startswith("str"):
        return "inout"
    return "in"


def direction(typ, kind):
    if kind.startswith("out:"):
        return "out"
    return "in"


def encode_params(plist, handles, enums):
    out = []
    for p in plist:
        typ, name = split_param(p)
        kind = kind_of(typ, name, handles, enums)
        out.append("%s|%s|%s|%s" % (typ, name, direction(typ, kind), kind))
    return ";".join(out)


# Enums the hand-written implementations need beyond those in signatures.
EXTRA_ENUMS = ["cudaMemoryType", "cudaComputeMode", "cudaMemLocationType", "cudaDeviceNumaConfig",
               "cudaGPUDirectRDMAWritesOrdering", "cudaFlushGPUDirectRDMAWritesOptions",
               "cudaMemAllocationHandleType", "cudaMemAllocationType", "cudaMemoryAdvise",
               "cudaTextureAddressMode", "cudaTextureFilterMode", "cudaTextureReadMode",
               "cudaResourceType", "cudaResourceViewFormat", "cudaLogLevel"]


def struct_size(include_dir, tag):
    """sizeof(struct tag) with one header set, or None when incomplete there."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "p.c")
        with open(src, "w") as f:
            f.write('#include "cuda_runtime_api.h"\n#include <stdio.h>\n'
                    'int main(void) { printf("%%zu", sizeof(struct %s)); return 0; }\n' % tag)
        exe = os.path.join(tmp, "p")
        r = subprocess.run(["gcc", "-w", "-I", include_dir, src, "-o", exe], capture_output=True)
        if r.returncode != 0:
            return None
        return subprocess.run([exe], capture_output=True, text=True).stdout


def layout_changes(inc13, inc12):
    """Struct tags whose size differs between the CUDA 12 and 13 headers: in the CUDA 12
    pass they are renamed TAG12, so rows using them become separate 12-only rows."""
    tags = set()
    for inc in (inc13, inc12):
        text = preprocess(inc, [])
        for st in join_statements(text):
            if DECL_RE.match(st):
                tags.update(re.findall(r"struct (\w+)", st))
    changed = []
    for tag in sorted(tags):
        a, b = struct_size(inc13, tag), struct_size(inc12, tag)
        if a is not None and b is not None and a != b:
            changed.append(tag)
    return changed


def write_enums(path, text, wanted):
    """Write every enum the table refers to, with the toolkit's values (an ABI fact)."""
    text = " ".join(text.split())
    bodies, aliases = {}, {}
    for m in re.finditer(r"(typedef )?enum (\w+)? ?\{([^}]*)\} ?(\w+)?;", text):
        tag, body, tdef = m.group(2), m.group(3), m.group(4)
        if tag:
            bodies[tag] = body
            if m.group(1) and tdef:
                aliases[tdef] = tag
        elif tdef:
            bodies[tdef] = body
            aliases[tdef] = tdef
    for m in re.finditer(r"typedef enum (\w+) (\w+);", text):
        aliases[m.group(2)] = m.group(1)
    with open(path, "w") as f:
        f.write("/* cuda_enums.h: the CUDA runtime's enumerations used by the API table, values as in\n"
                " * the CUDA 13 headers (an ABI fact). Generated by shim/tools/extract_api.py. */\n")
        f.write("#ifndef CUSHIM_CUDA_ENUMS_H\n#define CUSHIM_CUDA_ENUMS_H\n\n")
        for name in sorted(wanted):
            tag = aliases.get(name, name)
            if tag not in bodies:
                sys.exit("enum %s not found" % name)
            items = [i.strip() for i in bodies[tag].split(",") if i.strip()]
            f.write("enum %s {\n" % tag)
            for it in items:
                f.write("    %s,\n" % it)
            f.write("};\n")
            if name in aliases:
                f.write("typedef enum %s %s;\n" % (tag, name))
            f.write("\n")
        f.write("#endif\n")


def exports(lib):
    text = subprocess.run(["nm", "-D", "--defined-only", "--with-symbol-versions", lib],
                          check=True, capture_output=True, text=True).stdout
    names = []
    for line in text.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] == "T":
            names.append(f[2].split("@")[0])
    return names


def load_old(path):
    old = {}
    if path and os.path.exists(path):
        for line in open(path):
            if line.startswith("#") or not line.strip():
                continue
            f = line.rstrip("\n").split("\t")
            old[(f[0], f[1])] = f[4:]
    return old


def main():
    inc13, lib13, inc12, lib12 = sys.argv[1:5]
    old = load_old(sys.argv[5] if len(sys.argv) > 5 else None)
    sigs = {}
    renamed = ["%s=%s12" % (t, t) for t in layout_changes(inc13, inc12)]
    sys.stderr.write("layouts differing between 12 and 13: %s\n" % " ".join(renamed))
    for ver, inc, extra in (("13", inc13, []), ("12", inc12, renamed)):
        decls, handles, enums = {}, set(), set()
        for defs in ([], ["CUDA_API_PER_THREAD_DEFAULT_STREAM"], ["__CUDA_API_VERSION_INTERNAL"]):
            d, h, e, fp = collect(preprocess(inc, defs + extra))
            FNPTRS.update(fp)
            for k, v in d.items():
                decls.setdefault(k, v)
            handles |= h
            enums |= e
        table = {}
        for name, (ret, plist) in decls.items():
            table[name] = (ret, encode_params(plist, handles, enums))
        for name, ret, params in HAND_WRITTEN:
            table[name] = (ret, params)
        sigs[ver] = table

    wanted = set(EXTRA_ENUMS)
    for ver in sigs:
        for ret, params in sigs[ver].values():
            for m in re.finditer(r"enum:(\w+)|enum (\w+)", params + " " + ret):
                name = m.group(1) or m.group(2)
                if name != "cudaError_t":
                    wanted.add(name)
    if len(sys.argv) > 6:
        write_enums(sys.argv[6], preprocess(inc13, []), wanted)
    rows = []
    names13, names12 = exports(lib13), exports(lib12)
    missing = [n for n in names13 if n not in sigs["13"]] + \
              ["%s (12)" % n for n in names12 if n not in sigs["12"]]
    if missing:
        sys.exit("no declaration found for: " + ", ".join(missing))
    for name in sorted(set(names13) | set(names12)):
        s13 = sigs["13"].get(name) if name in names13 else None
        s12 = sigs["12"].get(name) if name in names12 else None
        if s13 and s12 and s13 == s12:
            rows.append((name, "13,12", s13))
        else:
            if s13:
                rows.append((name, "13", s13))
            if s12:
                rows.append((name, "12", s12))
    print("# api_table.tsv: every entry point of libcudart.so.13 and libcudart.so.12, the one")
    print("# table the exports, stubs, tracer and triage matrix are generated from.")
    print("# Generated by shim/tools/extract_api.py; columns 5-9 are maintained by hand.")
    print("# name\tnodes\treturn\tparams\tcpu\topencl\terror\timpl\tflags")
    for name, nodes, (ret, params) in rows:
        keep = old.get((name, nodes), ["unsupported", "unsupported", "cudaErrorNotSupported", "-", "-"])
        print("\t".join([name, nodes, ret, params or "-"] + keep))


if __name__ == "__main__":
    main()
