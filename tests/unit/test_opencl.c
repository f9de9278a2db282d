/* test_opencl.c: unit tests of the opencl backend: the OpenCL C generator's refusals
 * (instruction, kernel and line named; missing device capabilities named), and, where an
 * OpenCL device is present (PoCL in CI), the arena allocator, copies, a kernel run, the
 * out-of-arena fault, unsupported kernels failing their launch and the program cache. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translate/gen_ocl.h"
#include "translate/ptx_ir.h"
#include "vendors/opencl/opencl.h"
#include "vendors/vendor.h"

#define ERR_MEMORY_ALLOCATION 2
#define ERR_INVALID_PTX 218
#define ERR_ILLEGAL_ADDRESS 700

/* out[i] = a[i] + b[i] * 2 for i < n; the grid may overshoot n. */
static const char vecadd_ptx[] =
    ".version 8.0\n"
    ".target sm_75\n"
    ".address_size 64\n"
    ".visible .entry vecadd(\n"
    "    .param .u64 pa, .param .u64 pb, .param .u64 pout, .param .u32 pn)\n"
    "{\n"
    "    .reg .pred %p<2>;\n"
    "    .reg .b32 %r<6>;\n"
    "    .reg .f32 %f<4>;\n"
    "    .reg .b64 %rd<10>;\n"
    "    ld.param.u64 %rd1, [pa];\n"
    "    ld.param.u64 %rd2, [pb];\n"
    "    ld.param.u64 %rd3, [pout];\n"
    "    ld.param.u32 %r1, [pn];\n"
    "    mov.u32 %r2, %ctaid.x;\n"
    "    mov.u32 %r3, %ntid.x;\n"
    "    mov.u32 %r4, %tid.x;\n"
    "    mad.lo.s32 %r5, %r2, %r3, %r4;\n"
    "    setp.ge.s32 %p1, %r5, %r1;\n"
    "    @%p1 bra $done;\n"
    "    cvta.to.global.u64 %rd4, %rd1;\n"
    "    cvta.to.global.u64 %rd5, %rd2;\n"
    "    cvta.to.global.u64 %rd6, %rd3;\n"
    "    mul.wide.s32 %rd7, %r5, 4;\n"
    "    add.s64 %rd8, %rd4, %rd7;\n"
    "    ld.global.f32 %f1, [%rd8];\n"
    "    add.s64 %rd9, %rd5, %rd7;\n"
    "    ld.global.f32 %f2, [%rd9];\n"
    "    fma.rn.f32 %f3, %f2, 0f40000000, %f1;\n"
    "    add.s64 %rd8, %rd6, %rd7;\n"
    "    st.global.f32 [%rd8], %f3;\n"
    "$done:\n"
    "    ret;\n"
    "}\n"
    /* Stores through the pointer it is given: a stray address must fault, not crash. */
    ".visible .entry poke(.param .u64 pp)\n"
    "{\n"
    "    .reg .b32 %r<2>;\n"
    "    .reg .b64 %rd<2>;\n"
    "    ld.param.u64 %rd1, [pp];\n"
    "    mov.u32 %r1, 7;\n"
    "    st.global.u32 [%rd1], %r1;\n"
    "    ret;\n"
    "}\n"
    /* A warp shuffle: not translated by this backend yet. */
    ".visible .entry shuffle(.param .u64 pp)\n"
    "{\n"
    "    .reg .b32 %r<3>;\n"
    "    .reg .b64 %rd<2>;\n"
    "    ld.param.u64 %rd1, [pp];\n"
    "    mov.u32 %r1, %tid.x;\n"
    "    shfl.sync.bfly.b32 %r2, %r1, 1, 31, -1;\n"
    "    st.global.u32 [%rd1], %r2;\n"
    "    ret;\n"
    "}\n"
    /* Threads past n return before the barriers the others still reach (CUDA counts
     * them as arrived): out[t] = (t + 1) % n through shared memory. */
    ".visible .entry early(.param .u64 pout, .param .u32 pn)\n"
    "{\n"
    "    .reg .pred %p<2>;\n"
    "    .reg .b32 %r<8>;\n"
    "    .reg .b64 %rd<4>;\n"
    "    .shared .align 4 .b8 sbuf[1024];\n"
    "    ld.param.u64 %rd1, [pout];\n"
    "    ld.param.u32 %r1, [pn];\n"
    "    mov.u32 %r2, %tid.x;\n"
    "    setp.ge.u32 %p1, %r2, %r1;\n"
    "    @%p1 bra $exit;\n"
    "    shl.b32 %r3, %r2, 2;\n"
    "    mov.u32 %r4, sbuf;\n"
    "    add.s32 %r5, %r4, %r3;\n"
    "    st.shared.u32 [%r5], %r2;\n"
    "    bar.sync 0;\n"
    "    add.s32 %r6, %r2, 1;\n"
    "    rem.u32 %r6, %r6, %r1;\n"
    "    shl.b32 %r6, %r6, 2;\n"
    "    add.s32 %r6, %r4, %r6;\n"
    "    ld.shared.u32 %r7, [%r6];\n"
    "    bar.sync 0;\n"
    "    cvta.to.global.u64 %rd2, %rd1;\n"
    "    mul.wide.u32 %rd3, %r2, 4;\n"
    "    add.s64 %rd2, %rd2, %rd3;\n"
    "    st.global.u32 [%rd2], %r7;\n"
    "$exit:\n"
    "    ret;\n"
    "}\n"
    ".visible .entry dbl(.param .u64 pp)\n"
    "{\n"
    "    .reg .f64 %fd<2>;\n"
    "    .reg .b64 %rd<2>;\n"
    "    ld.param.u64 %rd1, [pp];\n"
    "    ld.global.f64 %fd1, [%rd1];\n"
    "    st.global.f64 [%rd1], %fd1;\n"
    "    ret;\n"
    "}\n";

static ptx_module *parse(void)
{
    char err[512];
    ptx_module *m = ptx_parse(vecadd_ptx, sizeof vecadd_ptx - 1, err, sizeof err);
    ck_assert_msg(m != NULL, "ptx_parse: %s", err);
    return m;
}

START_TEST(generator_translates_vecadd)
{
    ptx_module *m = parse();
    gocl_options opt = {.arena_bytes = 1u << 20, .device_fp64 = true};
    gocl_kernel_facts facts;
    char err[512] = "";
    char *src = gocl_kernel(m, "vecadd", NULL, &opt, &facts, err, sizeof err);
    ck_assert_msg(src != NULL, "gocl_kernel: %s", err);
    ck_assert_ptr_nonnull(strstr(src, "__kernel void vecadd("));
    ck_assert_uint_eq(facts.param_bytes, 28);
    ck_assert(!facts.uses_fp64);
    free(src);
    ptx_module_free(m);
}
END_TEST

START_TEST(generator_names_unsupported_instruction)
{
    ptx_module *m = parse();
    gocl_options opt = {.arena_bytes = 1u << 20, .device_fp64 = true};
    gocl_kernel_facts facts;
    char err[512] = "";
    char *src = gocl_kernel(m, "shuffle", NULL, &opt, &facts, err, sizeof err);
    ck_assert_ptr_null(src);
    ck_assert_msg(strstr(err, "shfl.sync.bfly.b32") && strstr(err, "kernel shuffle") &&
                  strstr(err, "line"), "message: %s", err);
    ptx_module_free(m);
}
END_TEST

START_TEST(generator_names_missing_fp64)
{
    ptx_module *m = parse();
    gocl_options opt = {.arena_bytes = 1u << 20, .device_fp64 = false};
    gocl_kernel_facts facts;
    char err[512] = "";
    char *src = gocl_kernel(m, "dbl", NULL, &opt, &facts, err, sizeof err);
    ck_assert_ptr_null(src);
    ck_assert_msg(strstr(err, "cl_khr_fp64") && strstr(err, "dbl"), "message: %s", err);
    opt.device_fp64 = true;
    src = gocl_kernel(m, "dbl", NULL, &opt, &facts, err, sizeof err);
    ck_assert_msg(src != NULL, "gocl_kernel: %s", err);
    ck_assert(facts.uses_fp64);
    free(src);
    ptx_module_free(m);
}
END_TEST

/* ---- the backend, on the first OpenCL device when there is one ---------------------------- */

static const struct cushim_vendor_ops *ops = &cushim_opencl_vendor;
static char cache_dir[64]; /* private to this run: the tests never touch the user's cache */

static bool have_device(void)
{
    char err[512] = "";
    int count = -1;
    ck_assert_int_eq(ops->init(&count, err, sizeof err), 0);
    ck_assert_int_ge(count, 0);
    if (count == 0) {
        ck_assert_msg(err[0] != '\0', "no device and no reason given");
        fprintf(stderr, "test_opencl: no OpenCL device (%s): device tests skipped\n", err);
    }
    return count > 0;
}

START_TEST(backend_registered_and_valid)
{
    ck_assert_ptr_null(cushim_vendor_validate(ops));
    bool listed = false;
    for (size_t i = 0; cushim_builtin_vendors[i]; i++)
        listed |= cushim_builtin_vendors[i] == ops;
    ck_assert(listed);
}
END_TEST

START_TEST(backend_device_info_and_memory)
{
    if (!have_device())
        return;
    cushim_device_info info;
    ck_assert_int_eq(ops->device_info(0, &info), 0);
    ck_assert_msg(strncmp(info.name, "cushim OpenCL: ", 15) == 0, "name: %s", info.name);
    ck_assert(info.total_mem > 0 && info.max_threads_per_block > 0);
    char err[512] = "";
    cushim_dptr a = 0, b = 0;
    ck_assert_int_eq(ops->mem_alloc(0, 1000, &a, err, sizeof err), 0);
    ck_assert_int_eq(ops->mem_alloc(0, 10, &b, err, sizeof err), 0);
    ck_assert(a >= GOCL_ARENA_BASE && b >= a + 1000);
    ck_assert_uint_eq(a % 256, 0);
    uint8_t in[1000], out[1000];
    for (int i = 0; i < 1000; i++)
        in[i] = (uint8_t)(i * 7);
    ck_assert_int_eq(ops->memcpy_htod(0, a, in, sizeof in), 0);
    ck_assert_int_eq(ops->memset_d8(0, b, 0xab, 10), 0);
    ck_assert_int_eq(ops->memcpy_dtod(0, a + 100, b, 10), 0);
    ck_assert_int_eq(ops->memcpy_dtoh(0, out, a, sizeof out), 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(out[i], i >= 100 && i < 110 ? 0xab : in[i]);
    /* Ranges must lie in one live allocation. */
    ck_assert_int_ne(ops->memcpy_dtoh(0, out, a + 900, 200), 0);
    cushim_dptr huge = 0;
    err[0] = '\0';
    ck_assert_int_eq(ops->mem_alloc(0, (size_t)1 << 62, &huge, err, sizeof err),
                     ERR_MEMORY_ALLOCATION);
    ck_assert_msg(strstr(err, "cannot allocate"), "message: %s", err);
    ck_assert_int_eq(ops->mem_free(0, a), 0);
    ck_assert_int_ne(ops->mem_free(0, a), 0);
    cushim_dptr c = 0;
    ck_assert_int_eq(ops->mem_alloc(0, 512, &c, err, sizeof err), 0);
    ck_assert_uint_eq(c, a); /* first fit reuses the freed range */
    ck_assert_int_eq(ops->mem_free(0, b), 0);
    ck_assert_int_eq(ops->mem_free(0, c), 0);
}
END_TEST

START_TEST(backend_runs_kernel_and_reports_faults)
{
    if (!have_device())
        return;
    ptx_module *m = parse();
    char err[1024] = "";
    cushim_module_image img = {.ir = m, .var_addr = NULL, .label = "test module"};
    void *mod = NULL;
    ck_assert_int_eq(ops->module_load(0, &img, &mod, err, sizeof err), 0);

    enum { N = 1000 };
    float a[N], b[N], out[N];
    for (int i = 0; i < N; i++) {
        a[i] = (float)i;
        b[i] = 0.5f * (float)i;
    }
    cushim_dptr da, db, dout;
    ck_assert_int_eq(ops->mem_alloc(0, sizeof a, &da, err, sizeof err), 0);
    ck_assert_int_eq(ops->mem_alloc(0, sizeof b, &db, err, sizeof err), 0);
    ck_assert_int_eq(ops->mem_alloc(0, sizeof out, &dout, err, sizeof err), 0);
    ck_assert_int_eq(ops->memcpy_htod(0, da, a, sizeof a), 0);
    ck_assert_int_eq(ops->memcpy_htod(0, db, b, sizeof b), 0);

    void *k = NULL;
    cushim_kernel_info info;
    ck_assert_int_eq(ops->kernel_get(mod, "vecadd", &k, &info), 0);
    ck_assert_msg(info.unsupported == NULL, "vecadd unsupported: %s", info.unsupported);
    ck_assert_uint_eq(info.param_bytes, 28);
    unsigned char params[28] = {0};
    memcpy(params, &da, 8);
    memcpy(params + 8, &db, 8);
    memcpy(params + 16, &dout, 8);
    uint32_t n = N;
    memcpy(params + 24, &n, 4);
    cushim_launch l = {.kernel = k, .grid = {8, 1, 1}, .block = {128, 1, 1},
                       .params = params, .param_bytes = sizeof params};
    ck_assert_msg(ops->launch(0, &l, err, sizeof err) == 0, "launch: %s", err);
    ck_assert_int_eq(ops->memcpy_dtoh(0, out, dout, sizeof out), 0);
    for (int i = 0; i < N; i++)
        ck_assert_msg(out[i] == a[i] + 2.0f * b[i], "out[%d] = %g", i, (double)out[i]);

    /* Early exit before barriers: the others still synchronise and see right data. */
    ck_assert_int_eq(ops->kernel_get(mod, "early", &k, &info), 0);
    ck_assert_msg(info.unsupported == NULL, "early unsupported: %s", info.unsupported);
    ck_assert_uint_eq(info.static_shared_bytes, 1024);
    unsigned char eparams[12];
    uint32_t en = 200;
    memcpy(eparams, &dout, 8);
    memcpy(eparams + 8, &en, 4);
    ck_assert_int_eq(ops->memset_d8(0, dout, 0xff, sizeof out), 0);
    cushim_launch e = {.kernel = k, .grid = {1, 1, 1}, .block = {256, 1, 1},
                       .params = eparams, .param_bytes = sizeof eparams};
    ck_assert_msg(ops->launch(0, &e, err, sizeof err) == 0, "launch: %s", err);
    uint32_t got[256];
    ck_assert_int_eq(ops->memcpy_dtoh(0, got, dout, sizeof got), 0);
    for (uint32_t i = 0; i < 256; i++)
        ck_assert_msg(got[i] == (i < en ? (i + 1) % en : 0xffffffffu), "early: out[%u] = %u", i,
                      got[i]);

    /* A store far outside the arena: a CUDA error naming the address, no crash. */
    ck_assert_int_eq(ops->kernel_get(mod, "poke", &k, &info), 0);
    ck_assert_ptr_null(info.unsupported);
    uint64_t stray = 0x1234;
    cushim_launch p = {.kernel = k, .grid = {1, 1, 1}, .block = {1, 1, 1}, .params = &stray,
                       .param_bytes = 8};
    err[0] = '\0';
    ck_assert_int_eq(ops->launch(0, &p, err, sizeof err), ERR_ILLEGAL_ADDRESS);
    ck_assert_msg(strstr(err, "0x1234"), "message: %s", err);
    /* The record is cleared: the next good launch succeeds. */
    ck_assert_int_eq(ops->launch(0, &l, err, sizeof err), 0);

    /* An untranslatable kernel loads, says why, and fails its launch with that. */
    ck_assert_int_eq(ops->kernel_get(mod, "shuffle", &k, &info), 0);
    ck_assert_ptr_nonnull(info.unsupported);
    ck_assert_ptr_nonnull(strstr(info.unsupported, "shfl"));
    cushim_launch s = {.kernel = k, .grid = {1, 1, 1}, .block = {32, 1, 1}, .params = &dout,
                       .param_bytes = 8};
    err[0] = '\0';
    ck_assert_int_eq(ops->launch(0, &s, err, sizeof err), ERR_INVALID_PTX);
    ck_assert_ptr_nonnull(strstr(err, "shfl"));

    /* The built program went to the private cache; a second module takes it from there
     * and computes the same. */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls %s/ocl-*.bin >/dev/null 2>&1", cache_dir);
    ck_assert_msg(system(cmd) == 0, "no cached program in %s", cache_dir);
    void *mod2 = NULL;
    ck_assert_int_eq(ops->module_load(0, &img, &mod2, err, sizeof err), 0);
    ck_assert_int_eq(ops->kernel_get(mod2, "vecadd", &k, &info), 0);
    ck_assert_ptr_null(info.unsupported);
    ck_assert_int_eq(ops->memset_d8(0, dout, 0, sizeof out), 0);
    l.kernel = k;
    ck_assert_msg(ops->launch(0, &l, err, sizeof err) == 0, "launch: %s", err);
    ck_assert_int_eq(ops->memcpy_dtoh(0, out, dout, sizeof out), 0);
    for (int i = 0; i < N; i++)
        ck_assert_msg(out[i] == a[i] + 2.0f * b[i], "cached: out[%d] = %g", i, (double)out[i]);
    ops->module_unload(0, mod2);

    ck_assert_int_eq(ops->mem_free(0, da), 0);
    ck_assert_int_eq(ops->mem_free(0, db), 0);
    ck_assert_int_eq(ops->mem_free(0, dout), 0);
    ops->module_unload(0, mod);
    ptx_module_free(m);
}
END_TEST

static Suite *opencl_suite(void)
{
    Suite *s = suite_create("opencl");
    TCase *tc = tcase_create("generator");
    tcase_add_test(tc, generator_translates_vecadd);
    tcase_add_test(tc, generator_names_unsupported_instruction);
    tcase_add_test(tc, generator_names_missing_fp64);
    suite_add_tcase(s, tc);
    tc = tcase_create("backend");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, backend_registered_and_valid);
    tcase_add_test(tc, backend_device_info_and_memory);
    tcase_add_test(tc, backend_runs_kernel_and_reports_faults);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    snprintf(cache_dir, sizeof cache_dir, "/tmp/cushim-test-opencl-XXXXXX");
    if (!mkdtemp(cache_dir) || setenv("CUSHIM_CACHE_DIR", cache_dir, 1) != 0) {
        perror("test_opencl: private cache directory");
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create(opencl_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_opencl: could not remove %s\n", cache_dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
