# gen_driver.awk: generates libcuda.so.1's sources from shim/driver_api.tsv (the one
# table of driver entry points). Plain POSIX awk, like gen_api.awk.
#   awk -f gen_driver.awk -v mode=header  driver_api.tsv > driver_gen.h      row ids, impl prototypes
#   awk -f gen_driver.awk -v mode=exports driver_api.tsv > driver_exports.c  exports + lookup table
#   awk -f gen_driver.awk -v mode=map     driver_api.tsv > libcuda.map       version script
# Columns: name, params (TYPE|NAME;...), lookups (BASE@VERSION,...), status
# (implemented|unsupported), impl. See shim/tools/extract_driver_api.py.

BEGIN { FS = "\t"; n = 0 }

/^#/ || NF == 0 { next }

{
    if (NF != 5) {
        printf "driver_api.tsv:%d: %d columns, expected 5\n", NR, NF > "/dev/stderr"
        bad = 1
        exit 1
    }
    if ($4 !~ /^(implemented|unsupported)$/ || ($4 == "implemented") != ($5 != "-")) {
        printf "driver_api.tsv:%d: status '%s' with impl '%s'\n", NR, $4, $5 > "/dev/stderr"
        bad = 1
        exit 1
    }
    n++
    name[n] = $1; params[n] = $2; lookups[n] = $3; status[n] = $4; impl[n] = $5
    row[$1] = n
}

function split_params(i,    k, parts, f) {
    np = 0
    if (params[i] == "-" || params[i] == "") return
    np = split(params[i], parts, ";")
    for (k = 1; k <= np; k++) {
        split(parts[k], f, "|")
        ptype[k] = f[1]; pname[k] = f[2]
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

function implemented(i) { return status[i] == "implemented" }

function sibling(i,    s) {
    if (name[i] ~ /_pt(ds|sz)$/) return -1
    if ((name[i] "_ptds") in row) return row[name[i] "_ptds"] - 1
    if ((name[i] "_ptsz") in row) return row[name[i] "_ptsz"] - 1
    return -1
}

function emit_export(i,    ptds) {
    split_params(i)
    if (implemented(i)) {
        ptds = (name[i] ~ /_pt(ds|sz)$/)
        printf "\nCUSHIM_DRV_EXPORT CUresult %s(%s)\n{\n", name[i], decl_params()
        printf "    cushim__drv_count(CUSHIM_DRV_%s);\n", name[i]
        if (ptds) printf "    bool ptds_prev = cushim__drv_ptds_enter();\n"
        printf "    CUresult r = cushim_drv_%s(%s);\n", impl[i], call_args()
        if (ptds) printf "    cushim__drv_ptds_leave(ptds_prev);\n"
        printf "    if (cushim__drv_trace_enabled)\n        cushim__drv_trace(CUSHIM_DRV_%s, r);\n", name[i]
        printf "    return r;\n}\n"
    } else {
        # The parameters are never read, so they are not declared: the caller's
        # arguments stay in registers and on its own stack (x86-64 SysV), and the
        # build needs none of the types they have.
        printf "\nCUSHIM_DRV_EXPORT CUresult %s(void)\n{\n", name[i]
        printf "    return cushim__drv_unsupported(CUSHIM_DRV_%s);\n}\n", name[i]
    }
}

END {
    if (bad) exit 1
    if (mode == "header") {
        print "/* driver_gen.h: generated from shim/driver_api.tsv by shim/tools/gen_driver.awk: do not edit. */"
        print "#ifndef CUSHIM_DRIVER_GEN_H\n#define CUSHIM_DRIVER_GEN_H\n"
        print "#include \"shim/driver_types.h\"\n"
        print "enum cushim_drv_id {"
        for (i = 1; i <= n; i++) printf "    CUSHIM_DRV_%s = %d,\n", name[i], i - 1
        printf "    CUSHIM_DRV_COUNT = %d\n};\n\n", n
        print "/* Hand-written implementations (shim/driver_*.c), one per distinct impl name. */"
        for (i = 1; i <= n; i++) {
            if (!implemented(i) || (impl[i] in done)) continue
            done[impl[i]] = 1
            split_params(i)
            printf "CUresult cushim_drv_%s(%s);\n", impl[i], decl_params()
        }
        print "\n#endif"
    } else if (mode == "exports") {
        print "/* driver_exports.c: generated from shim/driver_api.tsv by shim/tools/gen_driver.awk: do not edit."
        print " * Every export of libcuda.so.1 (implemented: count, call, trace; otherwise the"
        print " * unsupported path) and the table cuGetProcAddress searches. */"
        print "#include <stdbool.h>\n#include \"shim/driver_gen.h\"\n#include \"shim/driver_internal.h\""
        for (i = 1; i <= n; i++) emit_export(i)
        print "\nconst cushim__drv_entry cushim__drv_entries[] = {"
        for (i = 1; i <= n; i++)
            printf "    {\"%s\", (void *)%s, \"%s\", %d, %d},\n", name[i], name[i], \
                (lookups[i] == "-" ? "" : lookups[i]), sibling(i), implemented(i)
        print "};"
        printf "const unsigned cushim__drv_entry_count = %d;\n", n
    } else if (mode == "map") {
        print "/* libcuda.map: generated from shim/driver_api.tsv: do not edit. Unversioned, as"
        print " * the real libcuda.so.1; everything else is local. */"
        print "{\n  global:"
        for (i = 1; i <= n; i++) printf "    %s;\n", name[i]
        print "  local:\n    *;\n};"
    } else {
        print "gen_driver.awk: mode must be header, exports or map" > "/dev/stderr"
        exit 1
    }
}
