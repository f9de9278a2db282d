/* test_cpu.c: unit tests of the CPU fallback backend: device memory, the kernel cache,
 * device printf, faults, block distribution and the backend registry. Kernels here are
 * hand-written C that follows vendors/cpu/kernel_abi.h, as generated code does. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "translate/gen_c.h"
#include "translate/ptx_ir.h"
#include "vendors/cpu/cpu.h"
#include "vendors/vendor.h"

/* ---- helpers ------------------------------------------------------------------------ */

static char cache_root[64];

/* Kernels used by several tests. Parameters are packed as PTX lays them out. */
static const char kernels_body[] =
    "static uint64_t bound_var;\n"
    "static void cover(struct cushim_block_ctx *ctx) {\n"
    "    uint32_t *counts = *(uint32_t *const *)ctx->params;\n"
    "    uint64_t b = ctx->ctaid[0] + (uint64_t)ctx->nctaid[0] *\n"
    "                 (ctx->ctaid[1] + (uint64_t)ctx->nctaid[1] * ctx->ctaid[2]);\n"
    "    for (uint32_t t = 0; t < ctx->nthreads; t++)\n"
    "        counts[b]++; /* each block owns its slot */\n"
    "}\n"
    "static void empty(struct cushim_block_ctx *ctx) { (void)ctx; }\n"
    "static void poke(struct cushim_block_ctx *ctx) {\n"
    "    char *p = *(char *const *)ctx->params;\n"
    "    uint64_t off = *(const uint64_t *)((const char *)ctx->params + 8);\n"
    "    ctx->tid[0] = 5; ctx->tid[1] = 0; ctx->tid[2] = 0;\n"
    "    *(volatile char *)(p + off) = 1;\n"
    "}\n"
    "static void checker(struct cushim_block_ctx *ctx) {\n"
    "    ctx->tid[0] = 3; ctx->tid[1] = 0; ctx->tid[2] = 0;\n"
    "    if (ctx->ctaid[0] == 1)\n"
    "        ctx->rt->assert_fail(ctx, (uint64_t)(uintptr_t)\"x > 0\",\n"
    "            (uint64_t)(uintptr_t)\"k.cu\", 42, (uint64_t)(uintptr_t)\"void k(int)\", 1);\n"
    "}\n"
    "static void trapper(struct cushim_block_ctx *ctx) {\n"
    "    ctx->tid[0] = 0; ctx->tid[1] = 1; ctx->tid[2] = 0;\n"
    "    ctx->rt->fault(ctx, 719, \"trap instruction (trap;)\");\n"
    "}\n"
    "static void heap(struct cushim_block_ctx *ctx) {\n"
    "    uint64_t *out = *(uint64_t *const *)ctx->params;\n"
    "    uint64_t p = ctx->rt->malloc(ctx, 100);\n"
    "    out[ctx->ctaid[0] * 3] = p;\n"
    "    if (p) { for (int i = 0; i < 100; i++) ((char *)(uintptr_t)p)[i] = (char)i;\n"
    "             ctx->rt->free(ctx, p); }\n"
    "    out[ctx->ctaid[0] * 3 + 1] = ctx->rt->malloc(ctx, (uint64_t)1 << 40);\n"
    "    out[ctx->ctaid[0] * 3 + 2] = bound_var;\n"
    "}\n"
    "static void bad_free(struct cushim_block_ctx *ctx) {\n"
    "    ctx->tid[0] = 0; ctx->tid[1] = 0; ctx->tid[2] = 0;\n"
    "    ctx->rt->free(ctx, 0x1234);\n"
    "}\n"
    "static void hello(struct cushim_block_ctx *ctx) {\n"
    "    struct { int32_t a; int32_t pad; double d; const char *s; } args =\n"
    "        { (int32_t)ctx->ctaid[0], 0, 2.5, \"str\" };\n"
    "    ctx->rt->vprintf(ctx, (uint64_t)(uintptr_t)\"block %d: %.2f %s\\n\",\n"
    "                     (uint64_t)(uintptr_t)&args);\n"
    "}\n"
    "static const struct cushim_kernel_desc kernel_table[] = {\n"
    "    {\"cover\", cover, 0, 0, 0, 8, 0, 0},\n"
    "    {\"empty\", empty, 16, 4, 128, 8, 0, 0},\n"
    "    {\"poke\", poke, 0, 0, 0, 8, 0, 0},\n"
    "    {\"checker\", checker, 0, 0, 0, 8, 0, 0},\n"
    "    {\"trapper\", trapper, 0, 0, 0, 8, 0, 0},\n"
    "    {\"heap\", heap, 0, 0, 0, 8, 0, 0},\n"
    "    {\"bad_free\", bad_free, 0, 0, 0, 8, 0, 0},\n"
    "    {\"hello\", hello, 0, 0, 0, 8, 0, 0},\n"
    "    {\"bounded\", empty, 0, 0, 0, 8, 128, 0},\n"
    "    {\"unsupported\", 0, 0, 0, 0, 0, 0, \"opcode 'tex' is not supported (kernel unsupported, k.cu:7)\"},\n"
    "};\n"
    "static void bind(const uint64_t *addr) { bound_var = addr[0]; }\n"
    "static const struct cushim_module_desc module_desc = {\n"
    "    CUSHIM_KABI_VERSION, sizeof kernel_table / sizeof kernel_table[0], kernel_table,\n"
    "    1, bind };\n"
    "__attribute__((visibility(\"default\")))\n"
    "const struct cushim_module_desc *cushim_module_v1(void) { return &module_desc; }\n";

/* kernel_abi.h's text, then body (with an optional comment making the source unique). */
static char *module_source(const char *body, const char *salt)
{
    size_t len = strlen(cushim_kernel_abi_text) + strlen(body) + strlen(salt) + 32;
    char *src = malloc(len);
    ck_assert_ptr_nonnull(src);
    snprintf(src, len, "%s\n/* %s */\n%s", cushim_kernel_abi_text, salt, body);
    return src;
}

static void *load_test_module(const char *salt)
{
    char *src = module_source(kernels_body, salt);
    char err[1024] = "";
    void *module = NULL;
    uint64_t var = 0xfeedULL;
    int rc = cpu_module_load_c(src, strlen(src), &var, 1, "test module", &module, err,
                               sizeof err);
    free(src);
    ck_assert_msg(rc == 0, "module load failed (%d): %s", rc, err);
    return module;
}

static void *get_kernel(void *module, const char *name, cushim_kernel_info *info)
{
    void *kernel = NULL;
    cushim_kernel_info local;
    ck_assert_int_eq(cushim_cpu_vendor.kernel_get(module, name, &kernel, info ? info : &local), 0);
    return kernel;
}

static int launch(void *kernel, uint32_t gx, uint32_t gy, uint32_t gz, uint32_t bx,
                  uint32_t by, uint32_t bz, const void *params, uint32_t dyn_smem, char *err,
                  size_t errlen)
{
    cushim_launch l = {
        .kernel = kernel,
        .grid = {gx, gy, gz},
        .block = {bx, by, bz},
        .dynamic_shared_bytes = dyn_smem,
        .params = params,
        .param_bytes = 16,
    };
    err[0] = '\0';
    return cushim_cpu_vendor.launch(0, &l, err, errlen);
}

/* Run fn with file descriptor fd redirected to a temporary file; returns its text. */
static char *capture_fd(int fd, void (*fn)(void *), void *arg)
{
    char path[] = "/tmp/cushim-test-XXXXXX";
    int tmp = mkstemp(path);
    ck_assert_int_ge(tmp, 0);
    unlink(path);
    fflush(NULL);
    int saved = dup(fd);
    dup2(tmp, fd);
    fn(arg);
    fflush(NULL);
    dup2(saved, fd);
    close(saved);
    off_t size = lseek(tmp, 0, SEEK_END);
    char *text = calloc(1, (size_t)size + 1);
    ck_assert_int_eq(pread(tmp, text, (size_t)size, 0), size);
    close(tmp);
    return text;
}

/* ---- registry and device ------------------------------------------------------------- */

START_TEST(registry_validates)
{
    ck_assert_ptr_eq(cushim_builtin_vendors[0], &cushim_cpu_vendor);
    ck_assert_ptr_null(cushim_vendor_validate(&cushim_cpu_vendor));
    struct cushim_vendor_ops broken = cushim_cpu_vendor;
    broken.launch = NULL;
    const char *why = cushim_vendor_validate(&broken);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "`launch`"));
    broken = cushim_cpu_vendor;
    broken.abi_version = (CUSHIM_VENDOR_ABI_MAJOR + 1) << 16;
    why = cushim_vendor_validate(&broken);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "major"));
    broken = cushim_cpu_vendor;
    broken.shutdown = NULL; /* OPTIONAL */
    broken.host_ptr = NULL;
    ck_assert_ptr_null(cushim_vendor_validate(&broken));
}
END_TEST

START_TEST(device_info_is_truthful)
{
    int count = -1;
    char err[256];
    ck_assert_int_eq(cushim_cpu_vendor.init(&count, err, sizeof err), 0);
    ck_assert_int_eq(count, 1);
    cushim_device_info info;
    ck_assert_int_eq(cushim_cpu_vendor.device_info(0, &info), 0);
    ck_assert_int_eq(strncmp(info.name, "cushim CPU: ", 12), 0);
    char cores[32];
    snprintf(cores, sizeof cores, ", %ld cores", sysconf(_SC_NPROCESSORS_ONLN));
    ck_assert_ptr_nonnull(strstr(info.name, cores));
    ck_assert_uint_eq(info.multiprocessor_count, (uint32_t)sysconf(_SC_NPROCESSORS_ONLN));
    ck_assert_uint_eq(info.cc_major, 7);
    ck_assert_uint_eq(info.cc_minor, 5);
    ck_assert_uint_eq(info.warp_size, 32);
    ck_assert_uint_eq(info.max_threads_per_block, 1024);
    ck_assert_uint_eq(info.max_block_dim[2], 64);
    ck_assert_uint_eq(info.max_grid_dim[0], 0x7fffffffu);
    ck_assert_uint_eq(info.shared_mem_per_block, 48 * 1024);
    ck_assert_uint_eq(info.shared_mem_per_block_optin, 228 * 1024);
    ck_assert(info.unified_addressing && info.managed_memory);
    uint64_t phys = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
    ck_assert(info.total_mem > phys / 2 && info.total_mem <= phys + (64u << 20));
    cushim_device_info again;
    cushim_cpu_vendor.device_info(0, &again);
    ck_assert_mem_eq(info.uuid, again.uuid, 16);
    ck_assert_int_eq(cushim_cpu_vendor.device_info(1, &again), CPU_cudaErrorInvalidDevice);
}
END_TEST

/* ---- memory ---------------------------------------------------------------------------- */

START_TEST(memory_alloc_find_free)
{
    char err[256] = "";
    cushim_dptr p = 0;
    ck_assert_int_eq(cushim_cpu_vendor.mem_alloc(0, 1000, &p, err, sizeof err), 0);
    ck_assert_uint_eq(p % 256, 0);
    ck_assert(cpu_mem_in_range(p));
    memset((void *)(uintptr_t)p, 0xab, 1000);
    uint64_t base = 0;
    size_t size = 0;
    ck_assert(cpu_mem_find(p + 999, &base, &size));
    ck_assert_uint_eq(base, p);
    ck_assert_uint_eq(size, 1000);
    ck_assert(!cpu_mem_find(p + 1000, NULL, NULL));
    ck_assert(!cpu_mem_find(p - 1, NULL, NULL));
    ck_assert_ptr_eq(cushim_cpu_vendor.host_ptr(0, p + 10), (void *)(uintptr_t)(p + 10));

    char where[160];
    cpu_mem_describe(p + 1000 + 16, where, sizeof where);
    ck_assert_ptr_nonnull(strstr(where, "16 bytes past the end of allocation"));

    /* Copies must stay inside the allocation. */
    char host[1001] = {0};
    ck_assert_int_eq(cushim_cpu_vendor.memcpy_dtoh(0, host, p, 1000), 0);
    ck_assert_int_eq((unsigned char)host[999], 0xab);
    ck_assert_int_eq(cushim_cpu_vendor.memcpy_dtoh(0, host, p, 1001), CPU_cudaErrorInvalidValue);
    ck_assert_int_eq(cushim_cpu_vendor.memcpy_htod(0, p + 1, host, 1000), CPU_cudaErrorInvalidValue);
    ck_assert_int_eq(cushim_cpu_vendor.memset_d8(0, p + 500, 7, 500), 0);
    ck_assert_int_eq(((unsigned char *)(uintptr_t)p)[999], 7);
    ck_assert_int_eq(cushim_cpu_vendor.memcpy_dtod(0, p, p + 500, 500), 0);
    ck_assert_int_eq(((unsigned char *)(uintptr_t)p)[0], 7);
    ck_assert_int_eq(cushim_cpu_vendor.memset_d8(0, p, 7, 1001), CPU_cudaErrorInvalidValue);

    /* Only the start of a live allocation may be freed, once. */
    ck_assert_int_eq(cushim_cpu_vendor.mem_free(0, p + 256), CPU_cudaErrorInvalidValue);
    ck_assert_int_eq(cushim_cpu_vendor.mem_free(0, 12345), CPU_cudaErrorInvalidValue);
    ck_assert_int_eq(cushim_cpu_vendor.mem_free(0, p), 0);
    ck_assert_int_eq(cushim_cpu_vendor.mem_free(0, p), CPU_cudaErrorInvalidValue);
    ck_assert(!cpu_mem_find(p, NULL, NULL));
    ck_assert_int_eq(cushim_cpu_vendor.memcpy_dtoh(0, host, p, 10), CPU_cudaErrorInvalidValue);
    cpu_mem_describe(p, where, sizeof where);
    ck_assert_str_eq(where, "in freed or never allocated device memory");
}
END_TEST

START_TEST(memory_out_of_memory)
{
    char err[256] = "";
    cushim_dptr p = 0;
    ck_assert_int_eq(cushim_cpu_vendor.mem_alloc(0, (size_t)1 << 60, &p, err, sizeof err),
                     CPU_cudaErrorMemoryAllocation);
    ck_assert_ptr_nonnull(strstr(err, "cannot allocate 1152921504606846976 bytes"));
    ck_assert_int_eq(cushim_cpu_vendor.mem_alloc(0, SIZE_MAX, &p, err, sizeof err),
                     CPU_cudaErrorMemoryAllocation);
    /* Memory in use is counted: the device's total cannot be allocated twice over.
     * (Under strict overcommit the system itself may refuse the first one.) */
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int mode = 0;
    if (f) {
        if (fscanf(f, "%d", &mode) != 1)
            mode = 0;
        fclose(f);
    }
    if (mode == 2)
        return;
    uint64_t total = cpu_mem_total();
    ck_assert_int_eq(cushim_cpu_vendor.mem_alloc(0, (size_t)(total / 4 * 3), &p, err, sizeof err), 0);
    cushim_dptr q = 0;
    ck_assert_int_eq(cushim_cpu_vendor.mem_alloc(0, (size_t)(total / 2), &q, err, sizeof err),
                     CPU_cudaErrorMemoryAllocation);
    ck_assert_ptr_nonnull(strstr(err, "in use"));
    ck_assert_int_eq(cushim_cpu_vendor.mem_free(0, p), 0);
    ck_assert_int_eq(cushim_cpu_vendor.mem_alloc(0, (size_t)(total / 2), &q, err, sizeof err), 0);
    ck_assert_int_eq(cushim_cpu_vendor.mem_free(0, q), 0);
}
END_TEST

START_TEST(memory_reuse_after_free)
{
    char err[256];
    cushim_dptr a, b, c, d;
    ck_assert_int_eq(cpu_mem_alloc(100000, &a, err, sizeof err), 0);
    ck_assert_int_eq(cpu_mem_alloc(300000, &b, err, sizeof err), 0);
    ck_assert_int_eq(cpu_mem_alloc(100000, &c, err, sizeof err), 0);
    /* Neighbours are separated by at least the guard gap. */
    ck_assert_uint_ge(b - a, 100000 + cpu_mem_guard_bytes());
    ck_assert_int_eq(cpu_mem_free(b), 0);
    /* Best fit: the hole left by b is the smallest that fits. */
    ck_assert_int_eq(cpu_mem_alloc(200000, &d, err, sizeof err), 0);
    ck_assert_uint_eq(d, b);
    uint64_t used = cpu_mem_used();
    for (int i = 0; i < 2000; i++) {
        cushim_dptr x;
        ck_assert_int_eq(cpu_mem_alloc(4096 * (size_t)(1 + i % 7), &x, err, sizeof err), 0);
        ck_assert_int_eq(cpu_mem_free(x), 0);
    }
    ck_assert_uint_eq(cpu_mem_used(), used);
    cushim_dptr again;
    ck_assert_int_eq(cpu_mem_alloc(100000, &again, err, sizeof err), 0);
    ck_assert_uint_lt(again, c + (1u << 20)); /* reused low addresses, no bump pointer */
    cpu_mem_free(a);
    cpu_mem_free(c);
    cpu_mem_free(d);
    cpu_mem_free(again);
}
END_TEST

static void *alloc_free_loop(void *arg)
{
    uintptr_t failures = 0;
    char err[256];
    for (int i = 0; i < 300; i++) {
        cushim_dptr p;
        size_t size = 1000 + (size_t)(((uintptr_t)arg * 7919 + (unsigned)i * 104729) % 50000);
        if (cpu_mem_alloc(size, &p, err, sizeof err) != 0) {
            failures++;
            continue;
        }
        memset((void *)(uintptr_t)p, (int)(uintptr_t)arg, size);
        uint64_t base;
        size_t found;
        if (!cpu_mem_find(p + size - 1, &base, &found) || base != p || found != size ||
            ((unsigned char *)(uintptr_t)p)[size - 1] != (unsigned char)(uintptr_t)arg)
            failures++;
        if (cpu_mem_free(p) != 0)
            failures++;
    }
    return (void *)failures;
}

START_TEST(memory_concurrent_threads)
{
    pthread_t threads[4];
    uint64_t used = cpu_mem_used();
    for (uintptr_t i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, alloc_free_loop, (void *)(i + 1)), 0);
    for (int i = 0; i < 4; i++) {
        void *failures;
        pthread_join(threads[i], &failures);
        ck_assert_uint_eq((uintptr_t)failures, 0);
    }
    ck_assert_uint_eq(cpu_mem_used(), used);
}
END_TEST

START_TEST(arena_coalesces)
{
    cpu_arena a;
    cpu_arena_init(&a, 0x10000, 0x1000, 16);
    uint64_t x, y, z;
    ck_assert(cpu_arena_alloc(&a, 0x400, 1000, &x));
    ck_assert(cpu_arena_alloc(&a, 0x400, 1000, &y));
    ck_assert(cpu_arena_alloc(&a, 0x800, 2000, &z));
    ck_assert(!cpu_arena_alloc(&a, 16, 1, &x) || false);
    ck_assert(cpu_arena_free(&a, 0x10000, NULL));
    ck_assert(!cpu_arena_free(&a, 0x10000, NULL));
    ck_assert(cpu_arena_free(&a, 0x10800, NULL));
    ck_assert(cpu_arena_free(&a, 0x10400, NULL));
    ck_assert_uint_eq(a.nfree, 1);
    ck_assert_uint_eq(a.free_list[0].len, 0x1000);
    ck_assert(cpu_arena_alloc(&a, 0x1000, 1, &x));
    ck_assert_uint_eq(x, 0x10000);
    cpu_arena_destroy(&a);
}
END_TEST

/* ---- printf ---------------------------------------------------------------------------- */

/* An argument buffer as device printf lays it out. */
typedef struct arg_buffer {
    _Alignas(8) unsigned char bytes[256];
    size_t used;
} arg_buffer;

static void put(arg_buffer *b, const void *v, size_t size)
{
    b->used = (b->used + size - 1) / size * size;
    memcpy(b->bytes + b->used, v, size);
    b->used += size;
}
static void put_i32(arg_buffer *b, int32_t v) { put(b, &v, 4); }
static void put_i64(arg_buffer *b, int64_t v) { put(b, &v, 8); }
static void put_f64(arg_buffer *b, double v) { put(b, &v, 8); }
static void put_ptr(arg_buffer *b, const void *v) { uint64_t x = (uintptr_t)v; put(b, &x, 8); }

static void expect_format(const char *expected, int expected_args, const char *fmt,
                          const arg_buffer *args)
{
    char *out = NULL;
    size_t len = 0;
    int n = cpu_printf_format(fmt, args ? args->bytes : NULL, &out, &len);
    ck_assert_int_eq(n, expected_args);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out, expected);
    ck_assert_uint_eq(len, strlen(expected));
    free(out);
}

#define CHECK_FORMAT(nargs, buffer, fmt, ...) \
    do { \
        char want_[512]; \
        snprintf(want_, sizeof want_, fmt, __VA_ARGS__); \
        expect_format(want_, nargs, fmt, buffer); \
    } while (0)

START_TEST(printf_conversions)
{
    arg_buffer b = {0};
    put_i32(&b, -42);
    put_i32(&b, -42);
    put_i32(&b, 42);
    put_i32(&b, 0xbeef);
    put_i32(&b, 0xbeef);
    put_i32(&b, 8);
    put_i32(&b, 'Z');
    CHECK_FORMAT(7, &b, "%d %i %u %x %X %o %c", -42, -42, 42u, 0xbeefu, 0xbeefu, 8u, 'Z');

    b = (arg_buffer){0};
    put_i32(&b, 7);                 /* int at 0, then doubles at 8, 16 */
    put_f64(&b, 3.14159);
    put_f64(&b, -1.5e-7);
    put_f64(&b, 123456.789);
    put_f64(&b, 0.375);
    put_f64(&b, 1e300);
    put_f64(&b, 2.0);
    CHECK_FORMAT(7, &b, "%d %f %e %g %a %E %G", 7, 3.14159, -1.5e-7, 123456.789, 0.375, 1e300,
                 2.0);

    b = (arg_buffer){0};
    const char *s = "device";
    put_ptr(&b, s);
    put_ptr(&b, (void *)0x7f001234);
    put_ptr(&b, NULL);
    CHECK_FORMAT(3, &b, "%s|%p|%p|100%%", s, (void *)0x7f001234, (void *)NULL);

    b = (arg_buffer){0};
    put_i32(&b, 42);
    put_i32(&b, 42);
    put_i32(&b, 42);
    put_i32(&b, 255);
    put_i32(&b, 42);
    put_f64(&b, 2.5);
    CHECK_FORMAT(6, &b, "[%-6d|%+d|% d|%#x|%08d|%+010.3f]", 42, 42, 42, 255u, 42, 2.5);

    b = (arg_buffer){0};
    put_i32(&b, 8);
    put_i32(&b, 31);
    put_i32(&b, 3);
    put_f64(&b, 3.14159);
    put_i32(&b, -6);
    put_i32(&b, 2);
    put_ptr(&b, "abcdef");
    CHECK_FORMAT(7, &b, "[%*d|%.*f|%*.*s]", 8, 31, 3, 3.14159, -6, 2, "abcdef");

    b = (arg_buffer){0};
    put_i32(&b, 70000);
    put_i32(&b, 300);
    put_i64(&b, -5000000000LL);
    put_i64(&b, -6000000000LL);
    put_i64(&b, 7000000000LL);
    put_i64(&b, 0xdeadbeefcafeLL);
    CHECK_FORMAT(6, &b, "%hd %hhu %ld %lld %zu %lx", (short)70000, (unsigned char)300,
                 -5000000000L, -6000000000LL, (size_t)7000000000ULL, 0xdeadbeefcafeUL);
}
END_TEST

START_TEST(printf_edge_cases)
{
    expect_format("no arguments\n", 0, "no arguments\n", NULL);
    char *out = (char *)1;
    ck_assert_int_eq(cpu_printf_format(NULL, NULL, &out, NULL), -1);
    ck_assert_ptr_null(out);
    /* Not a conversion: printed as written, nothing consumed. */
    arg_buffer b = {0};
    put_i32(&b, 5);
    expect_format("%y 5 %", 1, "%y %d %", &b);
    /* A conversion without an argument buffer is shown rather than read from NULL. */
    expect_format("value %d", 0, "value %d", NULL);
    /* A double after a string pointer and an int: natural alignment, not packing. */
    b = (arg_buffer){0};
    put_i32(&b, 1);
    put_ptr(&b, "x");
    put_i32(&b, 2);
    put_f64(&b, 0.5);
    CHECK_FORMAT(4, &b, "%d %s %d %.1f", 1, "x", 2, 0.5);
    ck_assert_uint_eq(b.used, 32);
}
END_TEST

static void call_vprintf(void *arg)
{
    (void)arg;
    printf("before ");
    arg_buffer b = {0};
    put_i32(&b, 12);
    put_ptr(&b, "abc");
    struct cushim_block_ctx ctx = {0};
    int32_t rc = cpu_services.vprintf(&ctx, (uint64_t)(uintptr_t)"n=%d s=%s\n",
                                      (uint64_t)(uintptr_t)b.bytes);
    ck_assert_int_eq(rc, 2);
    printf("after\n");
}

START_TEST(printf_service_writes_stdout_in_order)
{
    char *text = capture_fd(STDOUT_FILENO, call_vprintf, NULL);
    ck_assert_str_eq(text, "before n=12 s=abc\nafter\n");
    free(text);
}
END_TEST

/* ---- the kernel cache -------------------------------------------------------------------- */

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".kso"))
            n++;
    closedir(d);
    return n;
}

static char *first_entry(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    char *path = NULL;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".kso")) {
            size_t len = strlen(dir) + strlen(e->d_name) + 2;
            path = malloc(len);
            snprintf(path, len, "%s/%s", dir, e->d_name);
            break;
        }
    closedir(d);
    ck_assert_ptr_nonnull(path);
    return path;
}

static void run_cover_once(void *module)
{
    uint32_t counts[4] = {0};
    uint32_t *p = counts;
    char err[256];
    ck_assert_int_eq(launch(get_kernel(module, "cover", NULL), 4, 1, 1, 2, 1, 1, &p, 0, err,
                            sizeof err), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(counts[i], 2);
}

START_TEST(cache_second_load_compiles_nothing)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/second", cache_root);
    setenv("CUSHIM_CACHE_DIR", dir, 1);
    unsigned long before = cpu_compile_count();
    void *m = load_test_module("second-load");
    ck_assert_uint_eq(cpu_compile_count(), before + 1);
    run_cover_once(m);
    ck_assert_int_eq(count_entries(dir), 1);
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    cushim_cpu_vendor.module_unload(0, m);

    m = load_test_module("second-load");
    ck_assert_uint_eq(cpu_compile_count(), before + 1);
    run_cover_once(m);
    /* Two live instances of one cached object keep their own variables. */
    void *m2 = load_test_module("second-load");
    ck_assert_ptr_ne(m, m2);
    cushim_cpu_vendor.module_unload(0, m);
    cushim_cpu_vendor.module_unload(0, m2);

    /* A different source is a different entry. */
    m = load_test_module("second-load, other source");
    ck_assert_uint_eq(cpu_compile_count(), before + 2);
    ck_assert_int_eq(count_entries(dir), 2);
    cushim_cpu_vendor.module_unload(0, m);
}
END_TEST

/* Modules loaded through the ops keep their IR: a kernel is translated and compiled on
 * its first kernel_get (the others of the module never are), and each kernel is a cache
 * entry of its own, so loading the module again compiles nothing. */
static const char two_kernels_ptx[] =
    ".version 7.0\n.target sm_75\n.address_size 64\n"
    ".visible .entry first(.param .u64 out)\n{\n"
    "  .reg .b32 %r<3>;\n  .reg .b64 %rd<4>;\n"
    "  ld.param.u64 %rd1, [out];\n  mov.u32 %r1, %tid.x;\n"
    "  mul.wide.u32 %rd2, %r1, 4;\n  add.s64 %rd3, %rd1, %rd2;\n"
    "  add.u32 %r2, %r1, 100;\n  st.global.u32 [%rd3], %r2;\n  ret;\n}\n"
    ".visible .entry second(.param .u64 out)\n{\n"
    "  .reg .b64 %rd<2>;\n  ld.param.u64 %rd1, [out];\n"
    "  st.global.u32 [%rd1], 7;\n  ret;\n}\n";

START_TEST(kernels_translate_on_first_use)
{
    char dir[128], err[512] = "";
    snprintf(dir, sizeof dir, "%s/lazy", cache_root);
    setenv("CUSHIM_CACHE_DIR", dir, 1);
    ptx_module *ir = ptx_parse(two_kernels_ptx, strlen(two_kernels_ptx), err, sizeof err);
    ck_assert_msg(ir != NULL, "parse: %s", err);
    cushim_module_image img = {.ir = ir, .var_addr = NULL, .label = "lazy module"};
    unsigned long before = cpu_compile_count();
    void *module = NULL;
    ck_assert_int_eq(cushim_cpu_vendor.module_load(0, &img, &module, err, sizeof err), 0);
    ck_assert_uint_eq(cpu_compile_count(), before); /* loading compiles nothing */

    void *kernel = NULL, *again = NULL;
    cushim_kernel_info info;
    ck_assert_int_eq(cushim_cpu_vendor.kernel_get(module, "first", &kernel, &info), 0);
    ck_assert_uint_eq(cpu_compile_count(), before + 1);
    ck_assert_ptr_null(info.unsupported);
    ck_assert_uint_eq(info.param_bytes, 8);
    ck_assert_int_eq(cushim_cpu_vendor.kernel_get(module, "first", &again, &info), 0);
    ck_assert_ptr_eq(kernel, again);
    ck_assert_uint_eq(cpu_compile_count(), before + 1);
    ck_assert_int_eq(count_entries(dir), 1);
    ck_assert_int_eq(cushim_cpu_vendor.kernel_get(module, "no_such_kernel", &again, &info),
                     CPU_cudaErrorInvalidDeviceFunction);

    uint32_t out[64];
    memset(out, 0, sizeof out);
    uint32_t *out_ptr = out;
    cushim_launch l = {.kernel = kernel, .grid = {1, 1, 1}, .block = {64, 1, 1},
                       .params = &out_ptr, .param_bytes = sizeof out_ptr};
    ck_assert_int_eq(cushim_cpu_vendor.launch(0, &l, err, sizeof err), 0);
    for (uint32_t i = 0; i < 64; i++)
        ck_assert_uint_eq(out[i], i + 100);
    cushim_cpu_vendor.module_unload(0, module);

    /* A second load (a second run of the program) finds the kernel in the cache. */
    ck_assert_int_eq(cushim_cpu_vendor.module_load(0, &img, &module, err, sizeof err), 0);
    ck_assert_int_eq(cushim_cpu_vendor.kernel_get(module, "first", &kernel, &info), 0);
    ck_assert_uint_eq(cpu_compile_count(), before + 1);
    ck_assert_int_eq(cushim_cpu_vendor.kernel_get(module, "second", &kernel, &info), 0);
    ck_assert_uint_eq(cpu_compile_count(), before + 2);
    ck_assert_int_eq(count_entries(dir), 2);
    cushim_cpu_vendor.module_unload(0, module);
    ptx_module_free(ir);
}
END_TEST

START_TEST(cache_rejects_corrupted_entry)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/corrupt", cache_root);
    setenv("CUSHIM_CACHE_DIR", dir, 1);
    unsigned long before = cpu_compile_count();
    cushim_cpu_vendor.module_unload(0, load_test_module("corrupt"));
    ck_assert_uint_eq(cpu_compile_count(), before + 1);

    char *entry = first_entry(dir);
    int fd = open(entry, O_RDWR);
    ck_assert_int_ge(fd, 0);
    off_t size = lseek(fd, 0, SEEK_END);
    unsigned char byte;
    ck_assert_int_eq(pread(fd, &byte, 1, size - 100), 1);
    byte ^= 0x5a;
    ck_assert_int_eq(pwrite(fd, &byte, 1, size - 100), 1);
    close(fd);

    void *m = load_test_module("corrupt");
    ck_assert_uint_eq(cpu_compile_count(), before + 2); /* rejected and rebuilt */
    run_cover_once(m);
    cushim_cpu_vendor.module_unload(0, m);
    m = load_test_module("corrupt");                    /* the rebuilt entry verifies */
    ck_assert_uint_eq(cpu_compile_count(), before + 2);
    cushim_cpu_vendor.module_unload(0, m);

    /* A truncated entry is rejected too. */
    ck_assert_int_eq(truncate(entry, 60), 0);
    cushim_cpu_vendor.module_unload(0, load_test_module("corrupt"));
    ck_assert_uint_eq(cpu_compile_count(), before + 3);
    free(entry);
}
END_TEST

START_TEST(cache_refuses_insecure_directory)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/open", cache_root);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(chmod(dir, 0777), 0);
    setenv("CUSHIM_CACHE_DIR", dir, 1);
    unsigned long before = cpu_compile_count();
    void *m = load_test_module("insecure");
    run_cover_once(m);
    cushim_cpu_vendor.module_unload(0, m);
    cushim_cpu_vendor.module_unload(0, load_test_module("insecure"));
    /* Nothing cached there, so each load compiled. */
    ck_assert_uint_eq(cpu_compile_count(), before + 2);
    ck_assert_int_eq(count_entries(dir), 0);
}
END_TEST

START_TEST(compile_errors_are_reported)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/errors", cache_root);
    setenv("CUSHIM_CACHE_DIR", dir, 1);
    char *src = module_source("this is not C;\n", "broken");
    char err[1024] = "";
    void *module = NULL;
    int rc = cpu_module_load_c(src, strlen(src), NULL, 0, "broken module", &module, err,
                               sizeof err);
    ck_assert_int_eq(rc, CPU_cudaErrorInvalidPtx);
    ck_assert_ptr_null(module);
    ck_assert_msg(strstr(err, "compiling broken module with") && strstr(err, "failed") &&
                      strstr(err, "error"), "message: %s", err);
    free(src);

    /* A module built for another kernel ABI is refused, naming both versions. */
    char body[600];
    snprintf(body, sizeof body,
             "static const struct cushim_module_desc d = {%d, 0, 0, 0, 0};\n"
             "__attribute__((visibility(\"default\")))\n"
             "const struct cushim_module_desc *cushim_module_v1(void) { return &d; }\n",
             CUSHIM_KABI_VERSION + 7);
    src = module_source(body, "old abi");
    rc = cpu_module_load_c(src, strlen(src), NULL, 0, "old module", &module, err, sizeof err);
    ck_assert_int_eq(rc, CPU_cudaErrorInvalidPtx);
    ck_assert_msg(strstr(err, "kernel ABI"), "message: %s", err);

    /* Variable count mismatch. */
    uint64_t vars[2] = {0, 0};
    free(src);
    src = module_source(kernels_body, "var count");
    rc = cpu_module_load_c(src, strlen(src), vars, 2, "vars module", &module, err, sizeof err);
    ck_assert_int_eq(rc, CPU_cudaErrorInvalidPtx);
    ck_assert_msg(strstr(err, "expects 1 module variables, the image has 2"), "message: %s", err);

    setenv("CUSHIM_CC", "/nonexistent/cc", 1);
    rc = cpu_module_load_c(src, strlen(src), vars, 1, "no compiler", &module, err, sizeof err);
    unsetenv("CUSHIM_CC");
    ck_assert_int_eq(rc, CPU_cudaErrorJitCompilerNotFound);
    ck_assert_msg(strstr(err, "no C compiler '/nonexistent/cc'") && strstr(err, "CUSHIM_CC"),
                  "message: %s", err);
    free(src);
}
END_TEST

/* ---- launches -------------------------------------------------------------------------------- */

static void *shared_module;

static void load_shared_module(void)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/shared", cache_root);
    setenv("CUSHIM_CACHE_DIR", dir, 1);
    shared_module = load_test_module("shared");
}

START_TEST(launch_covers_every_block_once)
{
    load_shared_module();
    enum { GX = 37, GY = 5, GZ = 3, N = GX * GY * GZ };
    uint32_t *counts = calloc(N, sizeof *counts);
    char err[256];
    ck_assert_int_eq(launch(get_kernel(shared_module, "cover", NULL), GX, GY, GZ, 64, 2, 1,
                            &counts, 0, err, sizeof err), 0);
    for (int i = 0; i < N; i++)
        ck_assert_msg(counts[i] == 128, "block %d ran %u thread iterations", i, counts[i]);
    /* Many more small launches reuse the same pool. */
    for (int round = 0; round < 50; round++) {
        memset(counts, 0, N * sizeof *counts);
        ck_assert_int_eq(launch(get_kernel(shared_module, "cover", NULL), N, 1, 1, 1, 1, 1,
                                &counts, 0, err, sizeof err), 0);
        for (int i = 0; i < N; i++)
            ck_assert_uint_eq(counts[i], 1);
    }
    free(counts);
}
END_TEST

START_TEST(launch_in_forked_child)
{
    load_shared_module();
    enum { N = 64 };
    uint32_t counts[N] = {0};
    uint32_t *p = counts;
    char err[256];
    void *k = get_kernel(shared_module, "cover", NULL);
    ck_assert_int_eq(launch(k, N, 1, 1, 1, 1, 1, &p, 0, err, sizeof err), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        /* The parent's helper threads do not exist here: the launch must not wait for
         * them. */
        alarm(20);
        memset(counts, 0, sizeof counts);
        int rc = launch(k, N, 1, 1, 1, 1, 1, &p, 0, err, sizeof err);
        for (int i = 0; i < N; i++)
            if (counts[i] != 1)
                rc = 100;
        _exit(rc);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}
END_TEST

START_TEST(launch_overhead)
{
    load_shared_module();
    void *k = get_kernel(shared_module, "empty", NULL);
    char err[256];
    uint64_t params[2] = {0, 0};
    ck_assert_int_eq(launch(k, 1, 1, 1, 32, 1, 1, params, 0, err, sizeof err), 0);
    struct timespec t0, t1;
    enum { ROUNDS = 20000 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < ROUNDS; i++)
        ck_assert_int_eq(launch(k, 1, 1, 1, 32, 1, 1, params, 0, err, sizeof err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / ROUNDS;
    fprintf(stderr, "test_cpu: empty 1-block launch: %.2f us\n", us);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < ROUNDS / 10; i++)
        ck_assert_int_eq(launch(k, 64, 1, 1, 32, 1, 1, params, 0, err, sizeof err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / (ROUNDS / 10);
    fprintf(stderr, "test_cpu: empty 64-block launch: %.2f us (%u host threads)\n", us,
            cpu_pool_parallelism());
}
END_TEST

START_TEST(launch_rejects_bad_configurations)
{
    load_shared_module();
    cushim_kernel_info info;
    void *k = get_kernel(shared_module, "empty", &info);
    ck_assert_uint_eq(info.static_shared_bytes, 128);
    ck_assert_uint_eq(info.local_bytes_per_thread, 4);
    ck_assert_uint_eq(info.max_threads_per_block, 1024);
    ck_assert_ptr_null(info.unsupported);
    char err[256];
    uint64_t params[2] = {0, 0};
    ck_assert_int_eq(launch(k, 1, 1, 1, 0, 1, 1, params, 0, err, sizeof err),
                     CPU_cudaErrorInvalidConfiguration);
    ck_assert_int_eq(launch(k, 1, 1, 1, 1025, 1, 1, params, 0, err, sizeof err),
                     CPU_cudaErrorInvalidConfiguration);
    ck_assert_int_eq(launch(k, 1, 1, 1, 32, 32, 2, params, 0, err, sizeof err),
                     CPU_cudaErrorInvalidConfiguration);
    ck_assert_int_eq(launch(k, 0, 1, 1, 32, 1, 1, params, 0, err, sizeof err),
                     CPU_cudaErrorInvalidConfiguration);
    ck_assert_int_eq(launch(k, 1, 65536, 1, 32, 1, 1, params, 0, err, sizeof err),
                     CPU_cudaErrorInvalidConfiguration);
    /* 128 static + dynamic up to the opt-in limit runs; one byte more does not. */
    ck_assert_int_eq(launch(k, 2, 1, 1, 32, 1, 1, params, CPU_SMEM_OPTIN - 128, err, sizeof err), 0);
    ck_assert_int_eq(launch(k, 2, 1, 1, 32, 1, 1, params, CPU_SMEM_OPTIN - 127, err, sizeof err),
                     CPU_cudaErrorInvalidConfiguration);
    ck_assert_ptr_nonnull(strstr(err, "shared memory"));

    /* A cooperative grid must fit on the host threads at once. */
    unsigned parallel = cpu_pool_parallelism();
    cushim_launch coop = {.kernel = k, .grid = {parallel, 1, 1}, .block = {32, 1, 1},
                          .params = params, .param_bytes = 16, .cooperative = true};
    ck_assert_int_eq(cushim_cpu_vendor.launch(0, &coop, err, sizeof err), 0);
    coop.grid[0] = parallel + 1;
    ck_assert_int_eq(cushim_cpu_vendor.launch(0, &coop, err, sizeof err),
                     CPU_cudaErrorCooperativeLaunchTooLarge);
    ck_assert_ptr_nonnull(strstr(err, "cooperative launch"));

    void *bounded = get_kernel(shared_module, "bounded", &info);
    ck_assert_uint_eq(info.max_threads_per_block, 128);
    ck_assert_int_eq(launch(bounded, 1, 1, 1, 128, 1, 1, params, 0, err, sizeof err), 0);
    ck_assert_int_eq(launch(bounded, 1, 1, 1, 129, 1, 1, params, 0, err, sizeof err),
                     CPU_cudaErrorLaunchOutOfResources);

    void *unsupported = get_kernel(shared_module, "unsupported", &info);
    ck_assert_ptr_nonnull(info.unsupported);
    ck_assert_str_eq(info.unsupported, "opcode 'tex' is not supported (kernel unsupported, k.cu:7)");
    ck_assert_int_eq(launch(unsupported, 1, 1, 1, 1, 1, 1, params, 0, err, sizeof err),
                     CPU_cudaErrorNotSupported);
    ck_assert_ptr_nonnull(strstr(err, "opcode 'tex' is not supported"));

    void *none = NULL;
    ck_assert_int_eq(cushim_cpu_vendor.kernel_get(shared_module, "no_such_kernel", &none, &info),
                     CPU_cudaErrorInvalidDeviceFunction);
}
END_TEST

static sigjmp_buf outside_jump;
static volatile sig_atomic_t outside_faults;

static void program_handler(int sig)
{
    (void)sig;
    outside_faults++;
    siglongjmp(outside_jump, 1);
}

START_TEST(launch_fault_on_guard_gap)
{
    /* The program's own handler, installed before any launch, must still see faults that
     * happen outside kernels. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = program_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);

    load_shared_module();
    char err[512];
    cushim_dptr buf;
    ck_assert_int_eq(cpu_mem_alloc(1000, &buf, err, sizeof err), 0);
    void *poke = get_kernel(shared_module, "poke", NULL);
    uint64_t params[2] = {buf, 8};
    ck_assert_int_eq(launch(poke, 4, 1, 1, 1, 1, 1, params, 0, err, sizeof err), 0);
    ck_assert_int_eq(((char *)(uintptr_t)buf)[8], 1);

    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    params[1] = (1000 + page - 1) / page * page + 64; /* in the guard gap */
    ck_assert_int_eq(launch(poke, 3, 1, 1, 1, 1, 1, params, 0, err, sizeof err),
                     CPU_cudaErrorIllegalAddress);
    char addr[64];
    snprintf(addr, sizeof addr, "0x%" PRIx64, buf + params[1]);
    ck_assert_msg(strstr(err, "kernel poke") && strstr(err, "illegal memory access") &&
                      strstr(err, addr) && strstr(err, "past the end of allocation") &&
                      strstr(err, "thread [5,0,0]"), "message: %s", err);

    /* The process survives and the pool still works; the fault repeats on every worker. */
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(launch(poke, 16, 1, 1, 1, 1, 1, params, 0, err, sizeof err),
                         CPU_cudaErrorIllegalAddress);
    params[1] = 0;
    ck_assert_int_eq(launch(poke, 16, 1, 1, 1, 1, 1, params, 0, err, sizeof err), 0);

    /* Freed memory faults too. */
    ck_assert_int_eq(cpu_mem_free(buf), 0);
    ck_assert_int_eq(launch(poke, 1, 1, 1, 1, 1, 1, params, 0, err, sizeof err),
                     CPU_cudaErrorIllegalAddress);
    ck_assert_msg(strstr(err, "freed or never allocated"), "message: %s", err);

    /* Outside a kernel, the same kind of fault goes to the program's handler. */
    if (sigsetjmp(outside_jump, 1) == 0)
        *(volatile char *)(uintptr_t)buf = 2;
    ck_assert_int_eq(outside_faults, 1);
}
END_TEST

static void *assert_module;
static int assert_rc;
static char assert_err[512];

static void run_assert_kernel(void *arg)
{
    (void)arg;
    uint64_t params[2] = {0, 0};
    assert_rc = launch(get_kernel(assert_module, "checker", NULL), 3, 1, 1, 8, 1, 1, params, 0,
                       assert_err, sizeof assert_err);
}

START_TEST(launch_assert_and_trap)
{
    load_shared_module();
    assert_module = shared_module;
    char *text = capture_fd(STDERR_FILENO, run_assert_kernel, NULL);
    ck_assert_int_eq(assert_rc, CPU_cudaErrorAssert);
    ck_assert_str_eq(text, "k.cu:42: void k(int): block: [1,0,0], thread: [3,0,0] Assertion "
                           "`x > 0` failed.\n");
    ck_assert_msg(strstr(assert_err, "kernel checker, block [1,0,0], thread [3,0,0]") &&
                      strstr(assert_err, "`x > 0`"), "message: %s", assert_err);
    free(text);

    char err[512];
    uint64_t params[2] = {0, 0};
    ck_assert_int_eq(launch(get_kernel(shared_module, "trapper", NULL), 2, 1, 1, 1, 1, 1, params,
                            0, err, sizeof err), CPU_cudaErrorLaunchFailure);
    ck_assert_msg(strstr(err, "trap instruction (trap;)") && strstr(err, "thread [0,1,0]"),
                  "message: %s", err);
}
END_TEST

START_TEST(launch_device_heap)
{
    load_shared_module();
    char err[512];
    enum { BLOCKS = 40 };
    uint64_t *out = calloc(BLOCKS * 3, sizeof *out);
    ck_assert_int_eq(launch(get_kernel(shared_module, "heap", NULL), BLOCKS, 1, 1, 1, 1, 1, &out,
                            0, err, sizeof err), 0);
    for (int b = 0; b < BLOCKS; b++) {
        ck_assert_uint_ne(out[3 * b], 0);
        ck_assert_uint_eq(out[3 * b] % 16, 0);
        ck_assert(cpu_mem_in_range(out[3 * b]));
        ck_assert_uint_eq(out[3 * b + 1], 0);       /* exhausted: NULL */
        ck_assert_uint_eq(out[3 * b + 2], 0xfeed);  /* bind() gave the variable address */
    }
    ck_assert_int_eq(cpu_set_malloc_heap_limit(1 << 20), CPU_cudaErrorInvalidValue);
    ck_assert_uint_eq(cpu_get_malloc_heap_limit(), 8u << 20);

    uint64_t params[2] = {0, 0};
    ck_assert_int_eq(launch(get_kernel(shared_module, "bad_free", NULL), 1, 1, 1, 1, 1, 1, params,
                            0, err, sizeof err), CPU_cudaErrorLaunchFailure);
    ck_assert_msg(strstr(err, "free(0x1234)"), "message: %s", err);
    free(out);
}
END_TEST

static void run_hello(void *arg)
{
    char err[256];
    uint64_t params[2] = {0, 0};
    *(int *)arg = launch(get_kernel(shared_module, "hello", NULL), 3, 1, 1, 1, 1, 1, params, 0,
                         err, sizeof err);
}

START_TEST(launch_printf)
{
    load_shared_module();
    int rc = -1;
    char *text = capture_fd(STDOUT_FILENO, run_hello, &rc);
    ck_assert_int_eq(rc, 0);
    /* Blocks run in any order; each line is whole. */
    ck_assert_uint_eq(strlen(text), 3 * strlen("block 0: 2.50 str\n"));
    ck_assert_ptr_nonnull(strstr(text, "block 0: 2.50 str\n"));
    ck_assert_ptr_nonnull(strstr(text, "block 1: 2.50 str\n"));
    ck_assert_ptr_nonnull(strstr(text, "block 2: 2.50 str\n"));
    free(text);
}
END_TEST

static Suite *cpu_suite(void)
{
    Suite *s = suite_create("cpu");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, registry_validates);
    tcase_add_test(tc, device_info_is_truthful);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory");
    tcase_add_test(tc, memory_alloc_find_free);
    tcase_add_test(tc, memory_out_of_memory);
    tcase_add_test(tc, memory_reuse_after_free);
    tcase_add_test(tc, memory_concurrent_threads);
    tcase_add_test(tc, arena_coalesces);
    suite_add_tcase(s, tc);

    tc = tcase_create("printf");
    tcase_add_test(tc, printf_conversions);
    tcase_add_test(tc, printf_edge_cases);
    tcase_add_test(tc, printf_service_writes_stdout_in_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("cache");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cache_second_load_compiles_nothing);
    tcase_add_test(tc, kernels_translate_on_first_use);
    tcase_add_test(tc, cache_rejects_corrupted_entry);
    tcase_add_test(tc, cache_refuses_insecure_directory);
    tcase_add_test(tc, compile_errors_are_reported);
    suite_add_tcase(s, tc);

    tc = tcase_create("launch");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, launch_covers_every_block_once);
    tcase_add_test(tc, launch_in_forked_child);
    tcase_add_test(tc, launch_overhead);
    tcase_add_test(tc, launch_rejects_bad_configurations);
    tcase_add_test(tc, launch_fault_on_guard_gap);
    tcase_add_test(tc, launch_assert_and_trap);
    tcase_add_test(tc, launch_device_heap);
    tcase_add_test(tc, launch_printf);
    suite_add_tcase(s, tc);
    return s;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char child[512];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

int main(void)
{
    /* Every cache the tests touch lives under one private temporary directory. */
    snprintf(cache_root, sizeof cache_root, "/tmp/cushim-test-cpu-XXXXXX");
    if (!mkdtemp(cache_root)) {
        perror("mkdtemp");
        return 1;
    }
    SRunner *sr = srunner_create(cpu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_tree(cache_root);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
