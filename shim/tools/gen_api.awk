# gen_api.awk: generates the shim's sources from shim/api_table.tsv (the one table of
# every CUDA runtime entry point). Plain POSIX awk, so a minimal system can build it.
#   awk -f gen_api.awk -v mode=header  api_table.tsv > api_gen.h         row ids, impl prototypes
#   awk -f gen_api.awk -v mode=table   api_table.tsv > api_table_data.c  cushim_api_table[]
#   awk -f gen_api.awk -v mode=exports api_table.tsv > api_exports.c     exported functions + tracer
#   awk -f gen_api.awk -v mode=map     api_table.tsv > libcudart.map     version script
# Columns: name, nodes, return, params (TYPE|NAME|DIR|KIND;...), cpu, opencl, error,
# impl, flags. See shim/tools/extract_api.py for their meaning.

BEGIN { FS = "\t"; n = 0 }

/^#/ || NF == 0 { next }

{
    if (NF != 9) {
        printf "api_table.tsv:%d: %d columns, expected 9\n", NR, NF > "/dev/stderr"
        bad = 1
        exit 1
    }
    n++
    name[n] = $1; nodes[n] = $2; ret[n] = $3; params[n] = $4
    cpu[n] = $5; ocl[n] = $6; err[n] = $7; impl[n] = $8; flags[n] = $9
    if (cpu[n] !~ /^(implemented|emulated|unsupported)$/ || ocl[n] !~ /^(implemented|emulated|unsupported)$/) {
        printf "api_table.tsv:%d: bad status '%s'/'%s'\n", NR, cpu[n], ocl[n] > "/dev/stderr"
        bad = 1
        exit 1
    }
    if (nodes[n] == "13,12") { sym[n] = "cushim__x_" name[n]; id[n] = "CUSHIM_API_" name[n] }
    else { sym[n] = "cushim__x" nodes[n] "_" name[n]; id[n] = "CUSHIM_API_" name[n] "_" nodes[n] }
}

function split_params(i,    k, parts, f) {
    np = 0
    if (params[i] == "-" || params[i] == "") return
    np = split(params[i], parts, ";")
    for (k = 1; k <= np; k++) {
        split(parts[k], f, "|")
        ptype[k] = f[1]; pname[k] = f[2]; pdir[k] = f[3]; pkind[k] = f[4]
    }
}

function decl_params(    k, s, sep) {
    if (np == 0) return "void"
    s = ""
    for (k = 1; k <= np; k++) {
        sep = (ptype[k] ~ /\*$/) ? "" : " "
        s = s (k > 1 ? ", " : "") ptype[k] sep pname[k]
    }
    return s
}

function call_args(    k, s) {
    s = ""
    for (k = 1; k <= np; k++) s = s (k > 1 ? ", " : "") pname[k]
    return s
}

function status_enum(s) {
    if (s == "implemented") return "CUSHIM_API_IMPLEMENTED"
    if (s == "emulated") return "CUSHIM_API_EMULATED"
    return "CUSHIM_API_UNSUPPORTED"
}

function has_impl(i) { return impl[i] != "-" && !(cpu[i] == "unsupported" && ocl[i] == "unsupported") }
function has_flag(i, f) { return index("," flags[i] ",", "," f ",") > 0 }
function returns_error(i) { return ret[i] == "cudaError_t" }

function c_string(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }

# One tracer call per parameter, chosen by its KIND annotation.
function trace_param(k,    kind, sub_kind) {
    kind = pkind[k]
    if (kind == "int") return "cushim__tr_int(&tr, \"" pname[k] "\", (long long)" pname[k] ");"
    if (kind == "uint" || kind == "u64") return "cushim__tr_uint(&tr, \"" pname[k] "\", (unsigned long long)" pname[k] ");"
    if (kind == "i64") return "cushim__tr_int(&tr, \"" pname[k] "\", (long long)" pname[k] ");"
    if (kind == "size") return "cushim__tr_uint(&tr, \"" pname[k] "\", (unsigned long long)" pname[k] ");"
    if (kind == "hex") return "cushim__tr_hex(&tr, \"" pname[k] "\", (unsigned long long)" pname[k] ");"
    if (kind == "float" || kind == "double") return "cushim__tr_double(&tr, \"" pname[k] "\", (double)" pname[k] ");"
    if (kind == "str") return "cushim__tr_str(&tr, \"" pname[k] "\", " pname[k] ");"
    if (kind == "dim3") return "cushim__tr_dim3(&tr, \"" pname[k] "\", " pname[k] ".x, " pname[k] ".y, " pname[k] ".z);"
    if (kind == "enum:cudaError_t") return "cushim__tr_error(&tr, \"" pname[k] "\", (int)" pname[k] ");"
    if (kind == "enum:cudaMemcpyKind") return "cushim__tr_memcpy_kind(&tr, \"" pname[k] "\", (int)" pname[k] ");"
    if (kind ~ /^enum:/) return "cushim__tr_int(&tr, \"" pname[k] "\", (long long)" pname[k] ");"
    if (kind ~ /^struct:/) return "cushim__tr_struct(&tr, \"" pname[k] "\", \"" substr(kind, 8) "\");"
    if (kind ~ /^out:/) {
        sub_kind = substr(kind, 5)
        if (sub_kind == "ptr" || sub_kind == "handle")
            return "cushim__tr_out_ptr(&tr, \"" pname[k] "\", (const void *)" pname[k] ", ok ? (const void *)" pname[k] " : NULL);"
        if (sub_kind == "int" || sub_kind ~ /^enum:/)
            return "cushim__tr_out_int(&tr, \"" pname[k] "\", (const void *)" pname[k] ", ok && " pname[k] " ? (long long)*" pname[k] " : 0, ok);"
        if (sub_kind == "float")
            return "cushim__tr_out_double(&tr, \"" pname[k] "\", (const void *)" pname[k] ", ok && " pname[k] " ? (double)*" pname[k] " : 0, ok);"
        return "cushim__tr_out_uint(&tr, \"" pname[k] "\", (const void *)" pname[k] ", ok && " pname[k] " ? (unsigned long long)*" pname[k] " : 0, ok);"
    }
    return "cushim__tr_ptr(&tr, \"" pname[k] "\", (const void *)" pname[k] ");"
}

function trace_result(i) {
    if (ret[i] == "cudaError_t") return "cushim__tr_end_error(&tr, (int)r);"
    if (ret[i] == "void") return "cushim__tr_end_void(&tr);"
    if (ret[i] == "const char *") return "cushim__tr_end_str(&tr, r);"
    if (ret[i] ~ /\*$/) return "cushim__tr_end_ptr(&tr, (const void *)r);"
    if (ret[i] ~ /^struct /) return "cushim__tr_end_struct(&tr);"
    return "cushim__tr_end_uint(&tr, (unsigned long long)r);"
}

function unsupported_value(i) {
    if (ret[i] == "cudaError_t") return "(cudaError_t)" err[i]
    if (ret[i] ~ /\*$/) return "NULL"
    if (err[i] == "-") return "0"
    return "(" ret[i] ")" err[i]
}

function emit_export(i,    k, isvoid, okexpr) {
    split_params(i)
    isvoid = (ret[i] == "void")
    printf "\n/* %s [%s] cpu=%s opencl=%s */\n", name[i], nodes[i], cpu[i], ocl[i]
    printf "CUSHIM_EXPORT %s %s(%s)\n{\n", ret[i], sym[i], decl_params()
    if (!isvoid) printf "    %s r;\n", ret[i]
    printf "    cushim__api_count(%s);\n", id[i]
    # Run report (shim/report.h): the clock is read only while a report is recorded.
    printf "    uint64_t report_t0 = cushim__report_active ? cushim__report_clock() : 0;\n"
    if (has_impl(i)) {
        # `_ptsz`/`_ptds` entry points (nvcc --default-stream per-thread): the NULL
        # stream and the synchronous calls mean this thread's per-thread stream.
        ptds = (name[i] ~ /_pt(sz|ds)$/)
        if (ptds) printf "    bool ptds_prev = cushim__ptds_enter();\n"
        if (returns_error(i) && !has_flag(i, "nosticky"))
            printf "    if (!cushim__api_precheck(%s, &r))\n        r = cushim_impl_%s(%s);\n", id[i], impl[i], call_args()
        else if (isvoid)
            printf "    cushim_impl_%s(%s);\n", impl[i], call_args()
        else
            printf "    r = cushim_impl_%s(%s);\n", impl[i], call_args()
        if (ptds) printf "    cushim__ptds_leave(ptds_prev);\n"
    } else {
        for (k = 1; k <= np; k++) printf "    (void)%s;\n", pname[k]
        if (isvoid) printf "    cushim__api_unsupported(%s);\n", id[i]
        else printf "    cushim__api_unsupported(%s);\n    r = %s;\n", id[i], unsupported_value(i)
    }
    if (returns_error(i) && !has_flag(i, "nolasterr"))
        printf "    if (r != cudaSuccess)\n        cushim__record_error(r);\n"
    printf "    if (cushim__report_active)\n        cushim__report_api(%s, report_t0, %s, __builtin_return_address(0));\n", \
        id[i], returns_error(i) ? "(int)r" : "0"
    printf "    if (cushim__trace_enabled) {\n"
    okexpr = returns_error(i) ? "r == cudaSuccess" : "1"
    printf "        int ok = %s;\n        cushim__tr tr;\n        (void)ok;\n", okexpr
    printf "        cushim__tr_begin(&tr, \"%s\");\n", name[i]
    for (k = 1; k <= np; k++) printf "        %s\n", trace_param(k)
    printf "        %s\n    }\n", trace_result(i)
    if (!isvoid) printf "    return r;\n"
    printf "}\n"
    if (nodes[i] == "13,12") {
        printf "__asm__(\".symver %s, %s@@libcudart.so.13\");\n", sym[i], name[i]
        printf "extern __typeof(%s) cushim__x12_%s\n    __attribute__((alias(\"%s\"), visibility(\"default\")));\n", sym[i], name[i], sym[i]
        printf "__asm__(\".symver cushim__x12_%s, %s@libcudart.so.12\");\n", name[i], name[i]
    } else if (nodes[i] == "13") {
        printf "__asm__(\".symver %s, %s@@libcudart.so.13\");\n", sym[i], name[i]
    } else {
        printf "__asm__(\".symver %s, %s@libcudart.so.12\");\n", sym[i], name[i]
    }
}

END {
    if (bad) exit 1
    if (mode == "header") {
        print "/* api_gen.h: generated from shim/api_table.tsv by shim/tools/gen_api.awk: do not edit. */"
        print "#ifndef CUSHIM_API_GEN_H\n#define CUSHIM_API_GEN_H\n"
        print "#include \"shim/cuda_types.h\"\n"
        print "enum cushim_api_id {"
        for (i = 1; i <= n; i++) printf "    %s = %d,\n", id[i], i - 1
        printf "    CUSHIM_API_COUNT = %d\n};\n\n", n
        print "/* Hand-written implementations (shim/api_*.c), one per distinct impl name. */"
        for (i = 1; i <= n; i++) {
            if (!has_impl(i) || (impl[i] in done)) continue
            done[impl[i]] = 1
            split_params(i)
            printf "%s cushim_impl_%s(%s);\n", ret[i], impl[i], decl_params()
        }
        print "\n#endif"
    } else if (mode == "table") {
        print "/* api_table_data.c: generated from shim/api_table.tsv by shim/tools/gen_api.awk: do not edit. */"
        print "#include \"shim/api_table.h\"\n#include \"shim/api_gen.h\"\n"
        print "const cushim_api_entry cushim_api_table[] = {"
        for (i = 1; i <= n; i++) {
            split_params(i)
            printf "    {\"%s\", \"%s\", %s, {%s, %s}, %s},\n", name[i], nodes[i], \
                c_string(ret[i] (ret[i] ~ /\*$/ ? "" : " ") name[i] "(" decl_params() ")"), \
                status_enum(cpu[i]), status_enum(ocl[i]), (err[i] == "-" ? "0" : err[i])
        }
        print "    {0, 0, 0, {0, 0}, 0}\n};"
        printf "const unsigned cushim_api_count = %d;\n", n
    } else if (mode == "exports") {
        print "/* api_exports.c: generated from shim/api_table.tsv by shim/tools/gen_api.awk: do not edit."
        print " * Every exported entry point: count the call, check sticky errors and the backend's"
        print " * mapping, call the implementation or the unsupported path, record the error, time"
        print " * it for the run report when one is recorded, trace. */"
        print "#include <stddef.h>\n#include <stdint.h>\n#include \"shim/api_gen.h\"\n#include \"shim/api_internal.h\"\n#include \"shim/report.h\""
        for (i = 1; i <= n; i++) emit_export(i)
    } else if (mode == "map") {
        print "/* libcudart.map: generated from shim/api_table.tsv: do not edit. */"
        print "libcudart.so.12 {\n  global:"
        for (i = 1; i <= n; i++) if (nodes[i] ~ /12/) printf "    %s;\n", name[i]
        print "};\nlibcudart.so.13 {\n  global:"
        for (i = 1; i <= n; i++) if (nodes[i] ~ /13/) printf "    %s;\n", name[i]
        print "  local:\n    *;\n};"
    } else {
        print "gen_api.awk: mode must be header, table, exports or map" > "/dev/stderr"
        exit 1
    }
}
