/* test_triage.c: unit tests of `cushim triage`: the scanner on real nvcc executables
 * (the .elf files of tests/data/fatbin) and on hand-built, truncated and corrupted ELF
 * images, the verdicts' dependence on the runtime's API table, the JSON report, and the
 * command's usage errors and exit statuses. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/triage.h"
#include "shim/api_table.h"

/* ------------------------------------------------------------------ helpers */

typedef struct blob {
    unsigned char *data;
    size_t size;
} blob;

static blob load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/fatbin/%s", TEST_DATA_DIR, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open test data %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    ck_assert_int_gt(n, 0);
    blob b = { malloc((size_t)n), (size_t)n };
    ck_assert_ptr_nonnull(b.data);
    ck_assert_uint_eq(fread(b.data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return b;
}

static const char *data_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/fatbin/%s", TEST_DATA_DIR, name);
    return path;
}

static int backend_index(const triage_run *run, const char *name)
{
    for (size_t b = 0; b < run->nbackends; b++)
        if (strcmp(run->backends[b].name, name) == 0)
            return (int)b;
    return -1;
}

static bool has_issue(const triage_issue_list *l, const char *category, const char *text)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].category, category) == 0 && strstr(l->items[i].message, text))
            return true;
    return false;
}

static void dump_issues(const triage_issue_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        fprintf(stderr, "  [%s] %s\n", l->items[i].category, l->items[i].message);
}

static const triage_kernel *kernel_named(const triage_file *f, const char *name)
{
    for (size_t i = 0; i < f->nkernels; i++)
        if (strcmp(f->kernels[i].name, name) == 0)
            return &f->kernels[i];
    return NULL;
}

static bool import_named(const triage_file *f, const char *name)
{
    for (size_t i = 0; i < f->nimports; i++)
        if (strcmp(f->imports[i].name, name) == 0)
            return true;
    return false;
}

/* Scan an image as a file of the run would be, then judge it. */
static bool scan(triage_run *run, triage_file *f, const void *image, size_t size)
{
    memset(f, 0, sizeof *f);
    f->path = strdup("image");
    bool elf = triage_scan_image(run, f, image, size);
    if (elf)
        triage_judge(run, f);
    return elf;
}

/* A minimal ELF64 image builder: sections in order after the header, then the section
 * name table, then the section headers. */
typedef struct test_section {
    const char *name;
    uint32_t type;
    uint64_t flags;
    const void *data;
    size_t size;
    uint32_t link;
    uint64_t entsize;
} test_section;

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put16(unsigned char *p, uint16_t v) { put_le(p, v, 2); }
static void put32(unsigned char *p, uint32_t v) { put_le(p, v, 4); }
static void put64(unsigned char *p, uint64_t v) { put_le(p, v, 8); }

static blob build_elf(uint16_t type, const test_section *secs, size_t n)
{
    size_t shstr_size = 1 + strlen(".shstrtab") + 1;
    for (size_t i = 0; i < n; i++)
        shstr_size += strlen(secs[i].name) + 1;
    size_t off = 64;
    size_t *offsets = calloc(n + 1, sizeof *offsets);
    for (size_t i = 0; i < n; i++) {
        off = (off + 7) & ~(size_t)7;
        offsets[i] = off;
        off += secs[i].size;
    }
    size_t shstr_off = off;
    off += shstr_size;
    off = (off + 7) & ~(size_t)7;
    size_t shoff = off;
    size_t shnum = n + 2; /* null, sections, .shstrtab */
    size_t total = shoff + shnum * 64;
    blob b = { calloc(1, total), total };
    unsigned char *p = b.data;
    memcpy(p, "\x7f" "ELF", 4);
    p[4] = 2; /* 64-bit */
    p[5] = 1; /* little endian */
    p[6] = 1;
    put16(p + 16, type);
    put16(p + 18, 62);
    put32(p + 20, 1);
    put64(p + 40, shoff);
    put16(p + 52, 64);
    put16(p + 58, 64);
    put16(p + 60, (uint16_t)shnum);
    put16(p + 62, (uint16_t)(shnum - 1));
    char *names = (char *)p + shstr_off;
    size_t name_at = 1;
    for (size_t i = 0; i < n; i++) {
        memcpy(p + offsets[i], secs[i].data, secs[i].size);
        unsigned char *sh = p + shoff + (i + 1) * 64;
        strcpy(names + name_at, secs[i].name);
        put32(sh, (uint32_t)name_at);
        name_at += strlen(secs[i].name) + 1;
        put32(sh + 4, secs[i].type);
        put64(sh + 8, secs[i].flags);
        put64(sh + 24, offsets[i]);
        put64(sh + 32, secs[i].size);
        put32(sh + 40, secs[i].link);
        put64(sh + 48, 8);
        put64(sh + 56, secs[i].entsize);
    }
    unsigned char *sh = p + shoff + (shnum - 1) * 64;
    strcpy(names + name_at, ".shstrtab");
    put32(sh, (uint32_t)name_at);
    put32(sh + 4, 3);
    put64(sh + 24, shstr_off);
    put64(sh + 32, shstr_size);
    free(offsets);
    return b;
}

/* ------------------------------------------------------------------ real executables */

START_TEST(shared_runtime_executable)
{
    triage_run run;
    triage_run_init(&run);
    blob b = load("zstd.elf");
    triage_file f;
    ck_assert(scan(&run, &f, b.data, b.size));
    ck_assert_int_eq(f.state, TRIAGE_FILE_SCANNED);
    ck_assert(f.is_cuda);
    ck_assert_int_eq(f.cudart_shared_major, 13);
    ck_assert_str_eq(f.cudart_needed, "libcudart.so.13");
    ck_assert(triage_strlist_has(&f.cudart_versions, "libcudart.so.13"));
    ck_assert(!f.cudart_static);
    ck_assert(!f.driver_api);
    ck_assert_str_eq(f.elf_type, "pie-executable");
    ck_assert(import_named(&f, "cudaMalloc"));
    ck_assert(import_named(&f, "__cudaRegisterFatBinary"));
    ck_assert(!import_named(&f, "printf")); /* not a CUDA import */
    ck_assert_uint_eq(f.nkernels, 1);
    const triage_kernel *k = kernel_named(&f, "_Z12scale_kernelPffi");
    ck_assert_ptr_nonnull(k);
    ck_assert(k->has_ptx);
    ck_assert_uint_eq(k->ptx_arch, 75);
    ck_assert_str_eq(k->sass_archs, "sm_75");
    ck_assert_uint_eq(k->param_bytes, 16); /* float*, float, int */
    ck_assert_uint_eq(f.ptx_modules, 1);
    ck_assert_uint_gt(triage_counter_get(&f.opcodes, "mul.f32"), 0);
    ck_assert_uint_gt(triage_counter_get(&f.opcodes, "ld.param.u64"), 0);
    ck_assert_uint_eq(triage_counter_get(&f.sregs, "%tid.x"), 1);
    ck_assert_uint_eq(triage_counter_get(&f.spaces, "st.global"), 1);
    ck_assert_str_eq(f.toolkit, "13.0");
    int cpu = backend_index(&run, "cpu"), ocl = backend_index(&run, "opencl");
    ck_assert_int_ge(cpu, 0);
    ck_assert_int_ge(ocl, 0);
    if (f.verdict[cpu] != TRIAGE_RUNS)
        dump_issues(&f.blockers[cpu]);
    ck_assert_int_eq(f.verdict[cpu], TRIAGE_RUNS);
#ifdef HAVE_OPENCL
    /* built with OpenCL: judged by the OpenCL generator, which translates this kernel */
    if (f.verdict[ocl] != TRIAGE_RUNS)
        dump_issues(&f.blockers[ocl]);
    ck_assert_int_eq(f.verdict[ocl], TRIAGE_RUNS);
#else
    ck_assert_int_eq(f.verdict[ocl], TRIAGE_CANNOT_RUN);
    ck_assert(has_issue(&f.blockers[ocl], "backend",
                        "backend opencl is not built into this cushim"));
#endif
    triage_file_free(&f);
    free(b.data);
}
END_TEST

START_TEST(separate_compilation_is_linked)
{
    triage_run run;
    triage_run_init(&run);
    blob b = load("rdc.elf");
    triage_file f;
    ck_assert(scan(&run, &f, b.data, b.size));
    ck_assert_uint_eq(f.wrappers_v2, 1);
    ck_assert_uint_eq(f.ptx_modules, 2);
    ck_assert_uint_eq(f.nkernels, 2);
    const triage_kernel *main_k = kernel_named(&f, "_Z15rdc_main_kernelPfi");
    const triage_kernel *side_k = kernel_named(&f, "_Z15rdc_side_kernelPf");
    ck_assert_ptr_nonnull(main_k);
    ck_assert_ptr_nonnull(side_k);
    ck_assert(main_k->has_ptx && side_k->has_ptx);
    /* each kernel is attributed to the container of the file defining it */
    ck_assert_uint_ne(main_k->container, side_k->container);
    /* helper_scale is defined in the other module: linked, not an external call */
    ck_assert_uint_eq(triage_counter_get(&f.calls, "_Z12helper_scalef"), 0);
    int cpu = backend_index(&run, "cpu");
    ck_assert(!has_issue(&f.blockers[cpu], "ptx-link", ""));
    ck_assert_int_eq(f.verdict[cpu], TRIAGE_RUNS);
    triage_file_free(&f);
    free(b.data);
}
END_TEST

/* ------------------------------------------------------------------ verdicts */

/* The verdict follows cushim_api_table: whatever row is unsupported/emulated for the
 * cpu column now, triage says so, and a name absent from the table is "missing". */
START_TEST(api_verdicts_follow_the_table)
{
    triage_run run;
    triage_run_init(&run);
    int cpu = backend_index(&run, "cpu");
    int unsupported = -1, emulated = -1, implemented = -1;
    for (unsigned i = 0; i < cushim_api_count; i++) {
        const cushim_api_entry *e = &cushim_api_table[i];
        if (!strstr(e->nodes, "13"))
            continue;
        if (e->status[CUSHIM_API_COL_CPU] == CUSHIM_API_UNSUPPORTED && unsupported < 0)
            unsupported = (int)i;
        if (e->status[CUSHIM_API_COL_CPU] == CUSHIM_API_EMULATED && emulated < 0)
            emulated = (int)i;
        if (e->status[CUSHIM_API_COL_CPU] == CUSHIM_API_IMPLEMENTED && implemented < 0)
            implemented = (int)i;
    }
    ck_assert_int_ge(implemented, 0);

    triage_file f;
    memset(&f, 0, sizeof f);
    f.path = strdup("crafted");
    f.is_cuda = true;
    f.cudart_shared_major = 13;
    const char *names[3] = { cushim_api_table[implemented].name,
                             emulated >= 0 ? cushim_api_table[emulated].name : NULL,
                             "cudaNoSuchFunctionAnywhere" };
    f.imports = calloc(3, sizeof *f.imports);
    for (int i = 0; i < 3; i++) {
        if (!names[i])
            continue;
        f.imports[f.nimports].name = strdup(names[i]);
        f.imports[f.nimports].version = strdup("libcudart.so.13");
        f.imports[f.nimports].cuda_major = 13;
        f.imports[f.nimports].row = cushim_api_find(names[i], 13);
        f.nimports++;
    }
    triage_judge(&run, &f);
    ck_assert_int_eq(f.verdict[cpu], TRIAGE_CANNOT_RUN);
    ck_assert(has_issue(&f.blockers[cpu], "api",
                        "missing API cudaNoSuchFunctionAnywhere@libcudart.so.13: not exported"));
    if (emulated >= 0) {
        char want[200];
        snprintf(want, sizeof want, "emulated API %s", cushim_api_table[emulated].name);
        ck_assert(has_issue(&f.degraded[cpu], "api", want));
    }
    triage_file_free(&f);

    /* only implemented (and emulated) imports: it runs, degraded when emulated */
    memset(&f, 0, sizeof f);
    f.path = strdup("crafted");
    f.is_cuda = true;
    f.imports = calloc(2, sizeof *f.imports);
    for (int i = 0; i < 2; i++) {
        if (!names[i])
            continue;
        f.imports[f.nimports].name = strdup(names[i]);
        f.imports[f.nimports].row = cushim_api_find(names[i], 13);
        f.nimports++;
    }
    triage_judge(&run, &f);
    ck_assert_int_eq(f.verdict[cpu], emulated >= 0 ? TRIAGE_RUNS_DEGRADED : TRIAGE_RUNS);
    triage_file_free(&f);

    if (unsupported >= 0) {
        memset(&f, 0, sizeof f);
        f.path = strdup("crafted");
        f.is_cuda = true;
        f.imports = calloc(1, sizeof *f.imports);
        f.imports[0].name = strdup(cushim_api_table[unsupported].name);
        f.imports[0].row = unsupported;
        f.nimports = 1;
        triage_judge(&run, &f);
        char want[200];
        snprintf(want, sizeof want, "unsupported API %s: returns ", f.imports[0].name);
        ck_assert_int_eq(f.verdict[cpu], TRIAGE_CANNOT_RUN);
        ck_assert(has_issue(&f.blockers[cpu], "api", want));
        triage_file_free(&f);
    }
}
END_TEST

static const char static_rodata[] =
    "xx\0CUDA driver version is insufficient for CUDA runtime version\0cuGetProcAddress_v2\0"
    "libcuda.so.1\0";

START_TEST(static_runtime_detected)
{
    triage_run run;
    triage_run_init(&run);
    test_section secs[] = {
        { ".rodata", 1, 2, static_rodata, sizeof static_rodata, 0, 0 },
    };
    blob b = build_elf(2, secs, 1);
    triage_file f;
    ck_assert(scan(&run, &f, b.data, b.size));
    ck_assert_int_eq(f.state, TRIAGE_FILE_SCANNED);
    ck_assert(f.cudart_static);
    ck_assert(f.is_cuda);
    ck_assert(!f.driver_dlopen); /* the runtime's own dlopen is not the program's */
    int cpu = backend_index(&run, "cpu");
    /* runs through cushim's libcuda.so.1: degraded (its calls are not visible) */
    ck_assert_int_eq(f.verdict[cpu], TRIAGE_RUNS_DEGRADED);
    ck_assert_uint_eq(f.blockers[cpu].count, 0);
    ck_assert(has_issue(&f.degraded[cpu], "static-cudart",
                        "statically linked CUDA runtime: runs through cushim's libcuda.so.1"));
    triage_file_free(&f);
    free(b.data);

    /* the same strings in code (not read-only data) prove nothing */
    test_section code[] = {
        { ".text", 1, 6, static_rodata, sizeof static_rodata, 0, 0 },
    };
    b = build_elf(2, code, 1);
    ck_assert(scan(&run, &f, b.data, b.size));
    ck_assert(!f.cudart_static);
    ck_assert(!f.is_cuda);
    ck_assert_int_eq(f.verdict[cpu], TRIAGE_NOT_CUDA);
    triage_file_free(&f);
    free(b.data);
}
END_TEST

static const char driver_rodata[] = "a\0libcuda.so.1\0cuInit\0cuModuleLoadData\0";

START_TEST(driver_loaded_at_run_time)
{
    triage_run run;
    triage_run_init(&run);
    test_section secs[] = { { ".rodata", 1, 2, driver_rodata, sizeof driver_rodata, 0, 0 } };
    blob b = build_elf(3, secs, 1);
    triage_file f;
    ck_assert(scan(&run, &f, b.data, b.size));
    ck_assert(f.driver_api && f.driver_dlopen);
    int cpu = backend_index(&run, "cpu");
    ck_assert_int_eq(f.verdict[cpu], TRIAGE_RUNS_DEGRADED);
    ck_assert_uint_eq(f.blockers[cpu].count, 0);
    ck_assert(has_issue(&f.degraded[cpu], "driver-api",
                        "driver API loaded at run time (dlopen libcuda.so.1): served by "
                        "cushim's libcuda.so.1"));
    triage_file_free(&f);
    free(b.data);
}
END_TEST

/* NEEDED entries: CUDA libraries and the driver are blockers; libc is nothing. */
START_TEST(needed_libraries)
{
    triage_run run;
    triage_run_init(&run);
    static const char dynstr[] = "\0libcublas.so.13\0libc.so.6\0libcuda.so.1\0libfoo.so\0";
    unsigned char dyn[5 * 16];
    memset(dyn, 0, sizeof dyn);
    put64(dyn + 0, 1);  put64(dyn + 8, 1);   /* NEEDED libcublas.so.13 */
    put64(dyn + 16, 1); put64(dyn + 24, 17); /* NEEDED libc.so.6 */
    put64(dyn + 32, 1); put64(dyn + 40, 27); /* NEEDED libcuda.so.1 */
    put64(dyn + 48, 14); put64(dyn + 56, 40); /* SONAME libfoo.so */
    test_section secs[] = {
        { ".dynstr", 3, 2, dynstr, sizeof dynstr, 0, 0 },
        { ".dynamic", 6, 3, dyn, sizeof dyn, 1, 16 },
    };
    blob b = build_elf(3, secs, 2);
    triage_file f;
    ck_assert(scan(&run, &f, b.data, b.size));
    ck_assert_str_eq(f.soname, "libfoo.so");
    ck_assert_uint_eq(f.needed.count, 3);
    ck_assert_uint_eq(f.libraries.count, 1);
    ck_assert_str_eq(f.libraries.items[0], "libcublas.so.13");
    ck_assert(f.driver_api);
    int cpu = backend_index(&run, "cpu");
    ck_assert_int_eq(f.verdict[cpu], TRIAGE_CANNOT_RUN);
    ck_assert(has_issue(&f.blockers[cpu], "library", "library libcublas.so.13: not provided"));
    ck_assert(has_issue(&f.degraded[cpu], "driver-api", "driver API libcuda.so.1"));
    ck_assert(!has_issue(&f.blockers[cpu], "driver-api", ""));
    ck_assert(!has_issue(&f.blockers[cpu], "library", "libc.so.6"));
    triage_file_free(&f);
    free(b.data);

    /* a .dynamic naming strings past the end of .dynstr: reported, not read */
    put64(dyn + 8, 100000);
    b = build_elf(3, secs, 2);
    ck_assert(scan(&run, &f, b.data, b.size));
    ck_assert_int_eq(f.state, TRIAGE_FILE_SCANNED);
    ck_assert_uint_eq(f.needed.count, 2);
    ck_assert_uint_ge(f.warnings.count, 1);
    triage_file_free(&f);
    free(b.data);
}
END_TEST

/* ------------------------------------------------------------------ hostile input */

START_TEST(not_elf_and_malformed)
{
    triage_run run;
    triage_run_init(&run);
    triage_file f;
    static const char text[] = "#!/bin/sh\necho hello\n";
    ck_assert(!scan(&run, &f, text, sizeof text));
    triage_file_free(&f);
    ck_assert(!scan(&run, &f, "\x7f" "EL", 3));
    triage_file_free(&f);

    unsigned char hdr[64];
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, "\x7f" "ELF", 4);
    hdr[4] = 2;
    hdr[5] = 1;
    ck_assert(scan(&run, &f, hdr, 20)); /* ELF, but the header is cut short */
    ck_assert_int_eq(f.state, TRIAGE_FILE_MALFORMED);
    ck_assert(strstr(f.error, "truncated") != NULL);
    triage_file_free(&f);

    hdr[4] = 1; /* 32-bit */
    ck_assert(scan(&run, &f, hdr, sizeof hdr));
    ck_assert_int_eq(f.state, TRIAGE_FILE_MALFORMED);
    ck_assert(strstr(f.error, "32-bit") != NULL);
    triage_file_free(&f);

    hdr[4] = 2;
    put64(hdr + 40, 1u << 30); /* section headers far past the end */
    put16(hdr + 58, 64);
    put16(hdr + 60, 3);
    ck_assert(scan(&run, &f, hdr, sizeof hdr));
    ck_assert_int_eq(f.state, TRIAGE_FILE_MALFORMED);
    ck_assert(strstr(f.error, "outside the file") != NULL);
    triage_file_free(&f);

    put64(hdr + 40, 0); /* no section headers: legal, nothing to find */
    put16(hdr + 60, 0);
    ck_assert(scan(&run, &f, hdr, sizeof hdr));
    ck_assert_int_eq(f.state, TRIAGE_FILE_SCANNED);
    ck_assert(!f.is_cuda);
    triage_file_free(&f);
}
END_TEST

/* Every prefix of a real executable: the scan ends with a report, never a crash. */
START_TEST(truncated_executables)
{
    triage_run run;
    triage_run_init(&run);
    static const char *names[] = { "zstd.elf", "rdc.elf" };
    for (size_t n = 0; n < 2; n++) {
        blob b = load(names[n]);
        for (size_t len = 0; len < b.size; len += len < 4096 ? 1 : 7) {
            unsigned char *copy = malloc(len ? len : 1);
            memcpy(copy, b.data, len);
            triage_file f;
            if (scan(&run, &f, copy, len)) {
                ck_assert(f.state == TRIAGE_FILE_SCANNED || f.state == TRIAGE_FILE_MALFORMED);
                if (f.state == TRIAGE_FILE_MALFORMED)
                    ck_assert_ptr_nonnull(f.error);
            }
            triage_file_free(&f);
            free(copy);
        }
        free(b.data);
    }
}
END_TEST

/* Random corruption of a real executable (fixed seed, so failures reproduce). */
START_TEST(corrupted_executables)
{
    triage_run run;
    triage_run_init(&run);
    static const char *names[] = { "zstd.elf", "rdc.elf" };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (size_t n = 0; n < 2; n++) {
        blob b = load(names[n]);
        for (int round = 0; round < 1500; round++) {
            unsigned char *copy = malloc(b.size);
            memcpy(copy, b.data, b.size);
            int flips = 1 + round % 8;
            for (int i = 0; i < flips; i++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                size_t at = (size_t)(seed >> 33) % b.size;
                /* aim half the flips at the header and section table */
                if (round & 1)
                    at = at % 64;
                copy[at] ^= (unsigned char)(seed >> 24 | 1);
            }
            triage_file f;
            if (scan(&run, &f, copy, b.size))
                ck_assert(f.state == TRIAGE_FILE_SCANNED || f.state == TRIAGE_FILE_MALFORMED);
            triage_file_free(&f);
            free(copy);
        }
        free(b.data);
    }
}
END_TEST

/* ------------------------------------------------------------------ the command */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_triage.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int run_cmd(int argc, const char **argv)
{
    /* the command prints its table; keep it out of the test output */
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    FILE *null = fopen("/dev/null", "w");
    dup2(fileno(null), STDOUT_FILENO);
    int rc = cushim_cmd_triage(argc, (char **)argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    fclose(null);
    return rc;
}

/* A small JSON well-formedness check (RFC 8259 grammar, no semantics). */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return p;
}

static const char *json_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p && *p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
                        return NULL;
                p += 4;
            } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
        p++;
    }
    return *p == '"' ? p + 1 : NULL;
}

static const char *json_value(const char *p, int depth)
{
    if (depth > 64)
        return NULL;
    p = json_ws(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        bool object = *p == '{';
        p = json_ws(p + 1);
        if (*p == close)
            return p + 1;
        for (;;) {
            if (object) {
                p = json_string(json_ws(p));
                if (!p || *(p = json_ws(p)) != ':')
                    return NULL;
                p++;
            }
            p = json_value(p, depth + 1);
            if (!p)
                return NULL;
            p = json_ws(p);
            if (*p == ',') {
                p++;
                continue;
            }
            return *p == close ? p + 1 : NULL;
        }
    }
    if (*p == '"')
        return json_string(p);
    if (strncmp(p, "true", 4) == 0)
        return p + 4;
    if (strncmp(p, "false", 5) == 0)
        return p + 5;
    if (strncmp(p, "null", 4) == 0)
        return p + 4;
    const char *start = p;
    if (*p == '-')
        p++;
    while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
           *p == '-')
        p++;
    return p > start ? p : NULL;
}

static bool json_valid(const char *text)
{
    const char *end = json_value(text, 0);
    return end && *json_ws(end) == '\0';
}

START_TEST(usage_errors)
{
    const char *none[] = { "triage" };
    ck_assert_int_eq(run_cmd(1, none), 2);
    const char *bad_opt[] = { "triage", "--frobnicate", "/" };
    ck_assert_int_eq(run_cmd(3, bad_opt), 2);
    const char *bad_backend[] = { "triage", "--backend", "nosuch", data_path("zstd.elf") };
    ck_assert_int_eq(run_cmd(4, bad_backend), 2);
    const char *no_value[] = { "triage", data_path("zstd.elf"), "--json" };
    /* options come before paths: a trailing --json is a path that does not exist */
    ck_assert_int_eq(run_cmd(3, no_value), 2);
    const char *missing_json[] = { "triage", "--json" };
    ck_assert_int_eq(run_cmd(2, missing_json), 2);
    const char *bad_jobs[] = { "triage", "--jobs", "0", data_path("zstd.elf") };
    ck_assert_int_eq(run_cmd(4, bad_jobs), 2);
    const char *missing[] = { "triage", "/nonexistent/path/for/triage" };
    ck_assert_int_eq(run_cmd(2, missing), 2);
    const char *help[] = { "triage", "--help" };
    ck_assert_int_eq(run_cmd(2, help), 0);
}
END_TEST

START_TEST(directory_scan_and_json)
{
    make_tmpdir();
    char path[512], json[512];
    blob b = load("zstd.elf");
    snprintf(path, sizeof path, "%s/app", tmpdir);
    write_file(path, b.data, b.size);
    /* a name that needs escaping: quote, backslash, newline, invalid UTF-8 */
    snprintf(path, sizeof path, "%s/we\"ird\\na\nme\xff", tmpdir);
    write_file(path, b.data, b.size);
    snprintf(path, sizeof path, "%s/notes.txt", tmpdir);
    write_file(path, "hello\n", 6);
    snprintf(path, sizeof path, "%s/truncated.so", tmpdir);
    write_file(path, b.data, 40);
    snprintf(path, sizeof path, "%s/link", tmpdir);
    char target[512];
    snprintf(target, sizeof target, "%s/app", tmpdir);
    ck_assert_int_eq(symlink(target, path), 0);
    snprintf(json, sizeof json, "%s/report.json", tmpdir);

    const char *argv[] = { "triage", "--json", json, "--backend", "cpu", tmpdir };
    /* everything CUDA in there runs on cpu: the truncated file is reported only */
    ck_assert_int_eq(run_cmd(6, argv), 0);
    char *text = read_text(json);
    ck_assert_msg(json_valid(text), "report is not valid JSON");
    ck_assert(strstr(text, "\"schema\":\"cushim-triage/1\"") != NULL);
    ck_assert(strstr(text, "\"not_elf\":1") != NULL); /* notes.txt */
    ck_assert(strstr(text, "\"links_not_followed\":1") != NULL);
    ck_assert(strstr(text, "we\\\"ird\\\\na\\nme\\ufffd") != NULL);
    ck_assert(strstr(text, "\"state\":\"malformed\"") != NULL);
    ck_assert(strstr(text, "\"verdict\":\"RUNS\"") != NULL);
    ck_assert(strstr(text, "\"_Z12scale_kernelPffi\"") != NULL);
    free(text);

    /* the same directory judged for opencl too: it cannot run there unless built in */
    const char *both[] = { "triage", "--json", json, "--backend=cpu,opencl", tmpdir };
#ifdef HAVE_OPENCL
    ck_assert_int_eq(run_cmd(5, both), 0);
    text = read_text(json);
    ck_assert(json_valid(text));
    ck_assert(strstr(text, "not built into this cushim") == NULL);
#else
    ck_assert_int_eq(run_cmd(5, both), 1);
    text = read_text(json);
    ck_assert(json_valid(text));
    ck_assert(strstr(text, "backend opencl is not built into this cushim") != NULL);
#endif
    free(text);

    /* no temporary files left beside the report */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q 'report.json.tmp'", tmpdir);
    ck_assert_int_ne(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    free(b.data);
}
END_TEST

START_TEST(json_to_unwritable_place)
{
    const char *argv[] = { "triage", "--json", "/nonexistent/dir/report.json",
                           data_path("zstd.elf") };
    /* the scan itself runs; failing to write the report is an error */
    ck_assert_int_eq(run_cmd(4, argv), 1);
}
END_TEST

START_TEST(counter_and_lists)
{
    triage_counter c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < 1000; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i % 100);
        ck_assert(triage_counter_add(&c, key, 1));
    }
    ck_assert_uint_eq(c.count, 100);
    ck_assert_uint_eq(triage_counter_get(&c, "k42"), 10);
    ck_assert_uint_eq(triage_counter_get(&c, "absent"), 0);
    ck_assert(triage_counter_add(&c, "k7", 5));
    triage_count_item **sorted = triage_counter_sorted(&c);
    ck_assert_str_eq(sorted[0]->key, "k7");
    ck_assert_uint_eq(sorted[0]->count, 15);
    free(sorted);
    triage_counter_free(&c);

    triage_strlist l = { 0 };
    ck_assert(triage_strlist_add_unique(&l, "a"));
    ck_assert(triage_strlist_add_unique(&l, "a"));
    ck_assert(triage_strlist_add(&l, "b"));
    ck_assert_uint_eq(l.count, 2);
    triage_strlist_free(&l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("triage");
    TCase *real = tcase_create("real executables");
    tcase_add_test(real, shared_runtime_executable);
    tcase_add_test(real, separate_compilation_is_linked);
    suite_add_tcase(s, real);
    TCase *verdicts = tcase_create("verdicts");
    tcase_add_test(verdicts, api_verdicts_follow_the_table);
    tcase_add_test(verdicts, static_runtime_detected);
    tcase_add_test(verdicts, driver_loaded_at_run_time);
    tcase_add_test(verdicts, needed_libraries);
    suite_add_tcase(s, verdicts);
    TCase *hostile = tcase_create("hostile input");
    tcase_set_timeout(hostile, 120);
    tcase_add_test(hostile, not_elf_and_malformed);
    tcase_add_test(hostile, truncated_executables);
    tcase_add_test(hostile, corrupted_executables);
    suite_add_tcase(s, hostile);
    TCase *cmd = tcase_create("command");
    tcase_set_timeout(cmd, 60);
    tcase_add_test(cmd, usage_errors);
    tcase_add_test(cmd, directory_scan_and_json);
    tcase_add_test(cmd, json_to_unwritable_place);
    tcase_add_test(cmd, counter_and_lists);
    suite_add_tcase(s, cmd);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
