/* test_exec.c: PTX -> C -> native execution tests of the CPU-fallback code generator.
 * Each test parses PTX (tests/ptx/), generates C, compiles it with the system C
 * compiler, runs every block through a small harness of its own (shared memory,
 * thread state, services that record printf output and faults) and compares the
 * outputs with results computed here in plain C. */
#include <check.h>
#include <dlfcn.h>
#include <fenv.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/api_texture.h"
#include "translate/gen_c.h"
#include "translate/ptx_ir.h"
#include "vendors/cpu/cpu.h"
#include "vendors/cpu/kernel_abi.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif
#define PTX_DIR TEST_DATA_DIR "/../ptx"

/* ---- harness ------------------------------------------------------------------------ */

typedef struct xmod {
    ptx_module *m;
    void *dl;
    const struct cushim_module_desc *d;
    void **var_mem;
    char dir[64];
} xmod;

static char g_printf[8192];
static size_t g_printf_len;
static int g_fault_code;
static char g_fault_msg[1024];
static jmp_buf g_jmp;

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    if (p)
        p[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return p;
}

/* Generated C is compiled as the CPU runtime does: optimised, no strict aliasing. */
static xmod *load_ptx_text(const char *text, size_t len)
{
    char err[512], path[128], cmd[512];
    xmod *x = calloc(1, sizeof *x);
    ck_assert_ptr_nonnull(x);
    x->m = ptx_parse(text, len, err, sizeof err);
    ck_assert_msg(x->m != NULL, "ptx_parse: %s", err);
    char *c = cgen_module(x->m, NULL, err, sizeof err);
    ck_assert_msg(c != NULL, "cgen_module: %s", err);
    strcpy(x->dir, "/tmp/cushim-test-exec-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(x->dir));
    snprintf(path, sizeof path, "%s/k.c", x->dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(c, f);
    fclose(f);
    free(c);
    /* TEST_EXEC_CC=tcc (or clang) runs the same checks with another kernel compiler */
    const char *cc = getenv("TEST_EXEC_CC");
    snprintf(cmd, sizeof cmd,
             "%s -std=c11 -O2 -shared -fPIC -fno-strict-aliasing -o %s/k.so %s/k.c -lm 2>%s/cc.log",
             cc && *cc ? cc : "cc", x->dir, x->dir, x->dir);
    int rc = system(cmd);
    if (rc != 0) {
        snprintf(path, sizeof path, "%s/cc.log", x->dir);
        char *log = read_file(path, NULL);
        ck_abort_msg("generated C does not compile (%s):\n%.3000s", x->dir, log ? log : "");
    }
    snprintf(path, sizeof path, "%s/k.so", x->dir);
    x->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(x->dl != NULL, "dlopen: %s", dlerror());
    cushim_module_entry_fn entry = (cushim_module_entry_fn)dlsym(x->dl, CUSHIM_KABI_ENTRY);
    ck_assert_ptr_nonnull(entry);
    x->d = entry();
    ck_assert_uint_eq(x->d->kabi_version, CUSHIM_KABI_VERSION);
    ck_assert_uint_eq(x->d->nvars, x->m->nvars);
    /* module variables: host memory with their initial bytes */
    uint64_t *addr = calloc(x->m->nvars + 1, sizeof *addr);
    x->var_mem = calloc(x->m->nvars + 1, sizeof *x->var_mem);
    for (uint32_t i = 0; i < x->m->nvars; i++) {
        const ptx_var *v = &x->m->vars[i];
        if (v->space != PTX_SPACE_GLOBAL && v->space != PTX_SPACE_CONST)
            continue;
        x->var_mem[i] = calloc(1, v->size + 16);
        if (v->init)
            memcpy(x->var_mem[i], v->init, v->size);
        addr[i] = (uint64_t)(uintptr_t)x->var_mem[i];
    }
    x->d->bind(addr);
    free(addr);
    return x;
}

static xmod *load_ptx(const char *name)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", PTX_DIR, name);
    char *text = read_file(path, &len);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    xmod *x = load_ptx_text(text, len);
    free(text);
    return x;
}

static void unload(xmod *x)
{
    char cmd[256];
    for (uint32_t i = 0; i < x->m->nvars; i++)
        free(x->var_mem[i]);
    free(x->var_mem);
    dlclose(x->dl);
    ptx_module_free(x->m);
    snprintf(cmd, sizeof cmd, "rm -rf %s", x->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", x->dir);
    free(x);
}

static const struct cushim_kernel_desc *kfind(xmod *x, const char *name)
{
    for (uint32_t i = 0; i < x->d->nkernels; i++)
        if (strcmp(x->d->kernels[i].name, name) == 0)
            return &x->d->kernels[i];
    ck_abort_msg("kernel %s not in the generated module", name);
    return NULL;
}

/* Device printf: CUDA's argument buffer (each argument aligned to its size). */
static int32_t svc_vprintf(struct cushim_block_ctx *ctx, uint64_t fmt_addr, uint64_t args)
{
    (void)ctx;
    const char *fmt = (const char *)(uintptr_t)fmt_addr;
    const char *ap = (const char *)(uintptr_t)args;
    size_t off = 0, start = g_printf_len;
    for (const char *p = fmt; *p; p++) {
        char spec[32];
        size_t k = 0;
        if (*p != '%' || p[1] == '%') {
            if (*p == '%')
                p++;
            if (g_printf_len + 1 < sizeof g_printf)
                g_printf[g_printf_len++] = *p;
            continue;
        }
        spec[k++] = *p++;
        while (*p && strchr("-+ #0123456789.", *p) && k < 20)
            spec[k++] = *p++;
        int longs = 0;
        while (*p == 'l' || *p == 'h') {
            longs += *p == 'l';
            p++;
        }
        char conv = *p;
        char out[256];
        if (conv == 'd' || conv == 'i' || conv == 'u' || conv == 'x' || conv == 'X' || conv == 'c') {
            size_t sz = longs ? 8 : 4;
            off = (off + sz - 1) / sz * sz;
            long long v = 0;
            if (sz == 8) { int64_t t; memcpy(&t, ap + off, 8); v = t; }
            else { int32_t t; memcpy(&t, ap + off, 4); v = (conv == 'u' || conv == 'x' || conv == 'X') ? (long long)(uint32_t)t : t; }
            off += sz;
            spec[k++] = 'l';
            spec[k++] = 'l';
            spec[k++] = conv == 'c' ? 'd' : conv;
            spec[k] = 0;
            if (conv == 'c')
                snprintf(out, sizeof out, "%c", (char)v);
            else
                snprintf(out, sizeof out, spec, v);
        } else if (strchr("fFeEgG", conv)) {
            off = (off + 7) / 8 * 8;
            double v;
            memcpy(&v, ap + off, 8);
            off += 8;
            spec[k++] = conv;
            spec[k] = 0;
            snprintf(out, sizeof out, spec, v);
        } else if (conv == 's' || conv == 'p') {
            off = (off + 7) / 8 * 8;
            uint64_t v;
            memcpy(&v, ap + off, 8);
            off += 8;
            if (conv == 's')
                snprintf(out, sizeof out, "%s", (const char *)(uintptr_t)v);
            else
                snprintf(out, sizeof out, "0x%llx", (unsigned long long)v);
        } else {
            snprintf(out, sizeof out, "<bad %%%c>", conv);
        }
        size_t n = strlen(out);
        if (g_printf_len + n < sizeof g_printf) {
            memcpy(g_printf + g_printf_len, out, n);
            g_printf_len += n;
        }
    }
    g_printf[g_printf_len] = 0;
    return (int32_t)(g_printf_len - start);
}

static uint64_t svc_malloc(struct cushim_block_ctx *ctx, uint64_t n)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)malloc(n ? n : 1);
}

static void svc_free(struct cushim_block_ctx *ctx, uint64_t p)
{
    (void)ctx;
    free((void *)(uintptr_t)p);
}

static void svc_assert(struct cushim_block_ctx *ctx, uint64_t msg, uint64_t file, uint32_t line,
                       uint64_t func, uint64_t cs)
{
    (void)ctx; (void)func; (void)cs;
    g_fault_code = 710;
    snprintf(g_fault_msg, sizeof g_fault_msg, "assert %s at %s:%u", (const char *)(uintptr_t)msg,
             (const char *)(uintptr_t)file, line);
    longjmp(g_jmp, 1);
}

static void svc_fault(struct cushim_block_ctx *ctx, int32_t code, const char *what)
{
    g_fault_code = code;
    snprintf(g_fault_msg, sizeof g_fault_msg, "%s [thread %u,%u,%u]", what, ctx->tid[0], ctx->tid[1], ctx->tid[2]);
    longjmp(g_jmp, 1);
}

static void svc_nanosleep(struct cushim_block_ctx *ctx, uint32_t ns)
{
    (void)ctx; (void)ns;
}

/* The texture and surface entries are the CPU backend's own (they fault through
 * svc_fault); the objects are registered over host buffers. */
static const struct cushim_rt_services services = {
    svc_vprintf, svc_malloc, svc_free, svc_assert, svc_fault, svc_nanosleep,
    cpu_service_tex, cpu_service_tex_query, cpu_service_surf_load, cpu_service_surf_store,
};

/* Run every block of a grid, one after another. Returns 0 or the fault's error code. */
static int launch(xmod *x, const char *kname, unsigned gx, unsigned gy, unsigned bx, unsigned by,
                  unsigned bz, const void *params, uint32_t dyn_smem)
{
    const struct cushim_kernel_desc *k = kfind(x, kname);
    ck_assert_msg(k->run_block != NULL, "kernel %s unsupported: %s", kname, k->unsupported);
    struct cushim_block_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.params = params;
    ctx.ntid[0] = bx; ctx.ntid[1] = by; ctx.ntid[2] = bz;
    ctx.nctaid[0] = gx; ctx.nctaid[1] = gy; ctx.nctaid[2] = 1;
    ctx.nthreads = bx * by * bz;
    ctx.dynamic_smem_bytes = dyn_smem;
    ctx.total_smem_bytes = k->static_shared_bytes + dyn_smem;
    ctx.rt = &services;
    ctx.nsmid = 1;
    char *shared = calloc(1, ctx.total_smem_bytes + 16);
    char *state = NULL, *local = NULL;
    g_fault_code = 0;
    g_fault_msg[0] = 0;
    for (unsigned by_ = 0; by_ < gy; by_++) {
        for (unsigned bx_ = 0; bx_ < gx; bx_++) {
            free(state);
            free(local);
            state = calloc(ctx.nthreads, k->state_bytes_per_thread + 1);
            local = calloc(ctx.nthreads, k->local_bytes_per_thread + 1);
            memset(shared, 0x5a, ctx.total_smem_bytes); /* shared memory starts undefined */
            ctx.shared = shared;
            ctx.thread_state = state;
            ctx.local_mem = local;
            ctx.ctaid[0] = bx_;
            ctx.ctaid[1] = by_;
            ctx.tid[0] = ctx.tid[1] = ctx.tid[2] = UINT32_MAX;
            if (setjmp(g_jmp) == 0) {
                k->run_block(&ctx);
            } else {
                free(state);
                free(local);
                free(shared);
                return g_fault_code;
            }
        }
    }
    free(state);
    free(local);
    free(shared);
    return 0;
}

/* Kernel parameter buffer in PTX layout. */
typedef struct pbuf {
    _Alignas(16) unsigned char b[256];
    size_t n;
} pbuf;

static void p_add(pbuf *p, const void *v, size_t sz)
{
    p->n = (p->n + sz - 1) / sz * sz;
    memcpy(p->b + p->n, v, sz);
    p->n += sz;
}
static void p_ptr(pbuf *p, const void *v) { uint64_t a = (uint64_t)(uintptr_t)v; p_add(p, &a, 8); }
static void p_i32(pbuf *p, int32_t v) { p_add(p, &v, 4); }

/* ---- tests ----------------------------------------------------------------------------- */

START_TEST(test_vecadd)
{
    xmod *x = load_ptx("vecadd.ptx");
    enum { N = 1000 };
    float *a = malloc(N * 4), *b = malloc(N * 4), *c = calloc(N + 24, 4);
    for (int i = 0; i < N; i++) {
        a[i] = (float)i * 0.5f;
        b[i] = 1000.0f - (float)i;
    }
    c[N] = -1.0f;
    pbuf p = { .n = 0 };
    p_ptr(&p, a); p_ptr(&p, b); p_ptr(&p, c); p_i32(&p, N);
    ck_assert_int_eq(launch(x, "_Z6vecaddPKfS0_Pfi", 4, 1, 256, 1, 1, p.b, 0), 0);
    for (int i = 0; i < N; i++)
        ck_assert_msg(c[i] == a[i] + b[i], "c[%d] = %g", i, c[i]);
    ck_assert(c[N] == -1.0f); /* i >= n must not store */
    ck_assert_uint_eq(kfind(x, "_Z6vecaddPKfS0_Pfi")->state_bytes_per_thread, 0);

    int w = 20, h = 7;
    int *out = calloc((size_t)(w * h), 4);
    pbuf q = { .n = 0 };
    p_ptr(&q, out); p_i32(&q, w); p_i32(&q, h);
    ck_assert_int_eq(launch(x, "_Z6grid2dPiii", 3, 2, 8, 4, 2, q.b, 0), 0);
    for (int y = 0; y < h; y++)
        for (int xx = 0; xx < w; xx++)
            ck_assert_int_eq(out[y * w + xx], xx * 1000 + y);
    free(a); free(b); free(c); free(out);
    unload(x);
}
END_TEST

START_TEST(test_reduce_barriers)
{
    xmod *x = load_ptx("reduce.ptx");
    enum { N = 1000, B = 256, G = 4 };
    int *in = malloc(N * 4), out[G] = { 0 }, counts[G * 3] = { 0 };
    for (int i = 0; i < N; i++)
        in[i] = (i * 37) % 101 - 20;
    in[600] = 7;
    pbuf p = { .n = 0 };
    p_ptr(&p, in); p_ptr(&p, out); p_ptr(&p, counts); p_i32(&p, N);
    const struct cushim_kernel_desc *k = kfind(x, "_Z6reducePKiPiS1_i");
    ck_assert_uint_gt(k->state_bytes_per_thread, 0);
    ck_assert_int_eq(launch(x, "_Z6reducePKiPiS1_i", G, 1, B, 1, 1, p.b, B * 4), 0);
    for (int g = 0; g < G; g++) {
        int sum = 0, odd = 0, seven = 0, all = 1;
        for (int t = 0; t < B; t++) {
            int i = g * B + t;
            if (i < N) {
                sum += in[i];
                odd += in[i] & 1;
                seven |= in[i] == 7;
            } else {
                all = 0;
            }
        }
        ck_assert_int_eq(out[g], sum);
        ck_assert_int_eq(counts[g * 3], odd);
        ck_assert_int_eq(counts[g * 3 + 1], seven);
        ck_assert_int_eq(counts[g * 3 + 2], all);
    }
    int eo[64];
    for (int i = 0; i < 64; i++)
        eo[i] = -1;
    pbuf q = { .n = 0 };
    p_ptr(&q, eo);
    ck_assert_int_eq(launch(x, "_Z10early_exitPi", 1, 1, 64, 1, 1, q.b, 0), 0);
    for (int i = 0; i < 48; i++)
        ck_assert_int_eq(eo[i], 47 - i);
    for (int i = 48; i < 64; i++)
        ck_assert_int_eq(eo[i], -1);
    free(in);
    unload(x);
}
END_TEST

START_TEST(test_warp_collectives)
{
    xmod *x = load_ptx("warp.ptx");
    int in[256], out[2048];
    for (int i = 0; i < 256; i++)
        in[i] = (i * 13) % 97 + 1;
    memset(out, 0, sizeof out);
    pbuf p = { .n = 0 };
    p_ptr(&p, in); p_ptr(&p, out);
    ck_assert_int_eq(launch(x, "_Z11warp_reducePKiPi", 2, 1, 128, 1, 1, p.b, 0), 0);
    for (int w = 0; w < 8; w++) {
        int s = 0;
        for (int l = 0; l < 32; l++)
            s += in[w * 32 + l];
        ck_assert_int_eq(out[w], s);
    }
    memset(out, 0, sizeof out);
    ck_assert_int_eq(launch(x, "_Z8warp_opsPKiPi", 1, 1, 32, 1, 1, p.b, 0), 0);
    unsigned ballot = 0;
    int all = 1, any = 0;
    for (int l = 0; l < 32; l++) {
        ballot |= (unsigned)(in[l] & 1) << l;
        all &= in[l] > 0;
        any |= in[l] > 90;
    }
    for (int t = 0; t < 32; t++) {
        int *o = out + t * 8;
        ck_assert_int_eq(o[0], in[t >= 3 ? t - 3 : t]);
        ck_assert_int_eq(o[1], in[t ^ 5]);
        ck_assert_int_eq(o[2], in[(t * 7) & 31]);
        ck_assert_uint_eq((unsigned)o[3], ballot);
        ck_assert_int_eq(o[4], all | (any << 1));
        unsigned match = 0;
        for (int l = 0; l < 32; l++)
            if (in[l] % 3 == in[t] % 3)
                match |= 1u << l;
        ck_assert_uint_eq((unsigned)o[5], match);
        /* width 8: lanes past the end of their segment keep their own value */
        ck_assert_int_eq(o[6], (t % 8) + 2 < 8 ? in[t + 2] : in[t]);
        ck_assert_uint_eq((unsigned)o[7], (t & 1) ? 0xaaaaaaaau : 0u);
    }
    memset(out, 0, sizeof out);
    ck_assert_int_eq(launch(x, "_Z5tiledPKiPi", 1, 1, 40, 1, 1, p.b, 0), 0);
    for (int t = 0; t < 40; t++) {
        int s = 0;
        for (int l = 0; l < 8; l++)
            s += in[(t & ~7) + l];
        ck_assert_msg(out[t] == s, "tiled out[%d] = %d, want %d", t, out[t], s);
    }
    unload(x);
}
END_TEST

START_TEST(test_atomics)
{
    xmod *x = load_ptx("atomics.ptx");
    int ci = 0, cm[8] = { INT_MIN, INT_MAX, 0, 0, 0, 0, 0, 0 };
    float cf = 0;
    double cd = 0;
    unsigned cu[2] = { 0, 0 };
    unsigned long long c64 = 0;
    pbuf p = { .n = 0 };
    p_ptr(&p, &ci); p_ptr(&p, &cf); p_ptr(&p, &cd); p_ptr(&p, cu); p_ptr(&p, cm); p_ptr(&p, &c64);
    enum { G = 8, B = 64, T = G * B };
    ck_assert_int_eq(launch(x, "_Z7atomicsPiPfPdPjS_Py", G, 1, B, 1, 1, p.b, 0), 0);
    ck_assert_int_eq(ci, T);
    ck_assert(cf == 0.5f * T);
    ck_assert(cd == 0.25 * T);
    ck_assert_uint_eq(cu[0], T % 10);
    unsigned dec = 0;
    for (int i = 0; i < T; i++)
        dec = (dec == 0 || dec > 5) ? 5 : dec - 1;
    ck_assert_uint_eq(cu[1], dec);
    ck_assert_int_eq(cm[0], T - 1);
    ck_assert_int_eq(cm[1], -(T - 1));
    ck_assert_uint_eq((unsigned)cm[2], 0xffffffffu);
    int xr = 0;
    unsigned long long s64 = 0;
    for (int i = 0; i < T; i++) {
        xr ^= i;
        s64 += (unsigned long long)i << 20;
    }
    ck_assert_int_eq(cm[3], xr);
    ck_assert_uint_eq(c64, s64);
    ck_assert_int_eq(cm[5], 42);
    ck_assert_int_eq(cm[6], T); /* shared counter summed per block */
    unload(x);
}
END_TEST

/* Reference semantics of the PTX integer instructions (ISA manual). */
static unsigned ref_prmt(unsigned a, unsigned b, unsigned c)
{
    uint64_t v = ((uint64_t)b << 32) | a;
    unsigned d = 0;
    for (int i = 0; i < 4; i++) {
        unsigned n = (c >> (4 * i)) & 15, byte = (unsigned)(v >> (8 * (n & 7))) & 255;
        if (n & 8)
            byte = (byte & 128) ? 255 : 0;
        d |= byte << (8 * i);
    }
    return d;
}

START_TEST(test_int_edges)
{
    xmod *x = load_ptx("intops.ptx");
    enum { T = 8 };
    int a[T] = { 7, -7, INT_MIN, 0x12345678, -1, 100, 5, (int)0x80000001u };
    int b[T] = { 0, 0, -1, 7, 32, 33, 63, -3 };
    unsigned out[T * 16];
    pbuf p = { .n = 0 };
    p_ptr(&p, a); p_ptr(&p, b); p_ptr(&p, out);
    ck_assert_int_eq(launch(x, "_Z6intopsPKiS0_Pj", 1, 1, T, 1, 1, p.b, 0), 0);
    for (int t = 0; t < T; t++) {
        unsigned *o = out + t * 16;
        int xx = a[t], y = b[t];
        unsigned ux = (unsigned)xx, uy = (unsigned)y, s = uy & 63;
        unsigned q = y == 0 ? 0xffffffffu : (y == -1 ? 0u - ux : (unsigned)(xx / y));
        unsigned r = y == 0 ? ux : (y == -1 ? 0u : (unsigned)(xx % y));
        ck_assert_msg(o[0] == q, "t%d div %08x", t, o[0]);
        ck_assert_msg(o[1] == r, "t%d rem %08x", t, o[1]);
        ck_assert_uint_eq(o[2], uy ? ux / uy : 0xffffffffu);
        ck_assert_uint_eq(o[3], uy ? ux % uy : ux);
        ck_assert_uint_eq(o[4], s >= 32 ? 0 : ux << s);
        ck_assert_uint_eq(o[5], s >= 32 ? 0 : ux >> s);
        ck_assert_uint_eq(o[6], (unsigned)(s >= 32 ? (xx < 0 ? -1 : 0) : xx >> s));
        ck_assert_uint_eq(o[7], (unsigned)(((uint64_t)ux * uy) >> 32));
        ck_assert_uint_eq(o[8], (unsigned)(((int64_t)xx * y) >> 32));
        ck_assert_uint_eq(o[9], ref_prmt(ux, uy, 0x7531u + (unsigned)t));
        /* ecl (edge clamp left): d.b[i] = source byte max(i, c[1:0]) (ISA table) */
        unsigned ecl = 0, sel = (unsigned)t & 3;
        uint64_t v = ((uint64_t)uy << 32) | ux;
        for (unsigned i = 0; i < 4; i++)
            ecl |= (unsigned)((v >> (8 * (i > sel ? i : sel))) & 255) << (8 * i);
        ck_assert_uint_eq(o[10], ecl);
        unsigned rev = 0, pc = 0, lz = 0;
        for (int i = 0; i < 32; i++) {
            rev |= ((ux >> i) & 1) << (31 - i);
            pc += (ux >> i) & 1;
        }
        while (lz < 32 && !(ux & (0x80000000u >> lz)))
            lz++;
        ck_assert_uint_eq(o[11], rev ^ pc ^ (lz << 8));
        unsigned pos = uy & 31, bfe = 0;
        for (unsigned i = 0; i < 32; i++) {
            unsigned src = pos + (i < 5 ? i : 4);
            unsigned bit = src < 32 ? (ux >> src) & 1 : (ux >> 31) & 1;
            bfe |= bit << i;
        }
        ck_assert_msg(o[12] == bfe, "t%d bfe %08x want %08x", t, o[12], bfe);
        ck_assert_uint_eq(o[13], (ux & ~0xff0u) | ((uy & 0xffu) << 4));
        ck_assert_uint_eq(o[14], (unsigned)(((long long)xx * (long long)y) >> 7));
        unsigned ffs = 0;
        for (int i = 0; i < 32; i++)
            if ((ux >> i) & 1) { ffs = (unsigned)i + 1; break; }
        unsigned sad = (xx > y ? (unsigned)xx - (unsigned)y : (unsigned)y - (unsigned)xx) + 3u;
        ck_assert_uint_eq(o[15], ffs + (sad << 8));
    }
    unload(x);
}
END_TEST

static int ref_f2i(double v, int mode) /* saturating; NaN -> 0 */
{
    if (v != v)
        return 0;
    v = mode == 0 ? nearbyint(v) : mode == 1 ? trunc(v) : mode == 2 ? floor(v) : ceil(v);
    if (v <= (double)INT_MIN) return INT_MIN;
    if (v >= (double)INT_MAX) return INT_MAX;
    return (int)v;
}

START_TEST(test_float_edges)
{
    xmod *x = load_ptx("floatops.ptx");
    enum { T = 10 };
    float a[T] = { NAN, 1.0f, -0.0f, 2.5f, -2.5f, 3e9f, -3e9f, INFINITY, 0.1f, 65520.0f };
    float b[T] = { 3.0f, NAN, 0.0f, 0.5f, -1.5f, 7.0f, 2.0f, 0.0f, 3.0f, 1.0f };
    float of[T * 8];
    int oi[T * 8];
    double od[T];
    pbuf p = { .n = 0 };
    p_ptr(&p, a); p_ptr(&p, b); p_ptr(&p, of); p_ptr(&p, oi); p_ptr(&p, od);
    ck_assert_int_eq(launch(x, "_Z8floatopsPKfS0_PfPiPd", 1, 1, T, 1, 1, p.b, 0), 0);
    for (int t = 0; t < T; t++) {
        float xx = a[t], y = b[t], *f = of + t * 8;
        int *i = oi + t * 8;
        /* min/max: a NaN operand yields the other one */
        ck_assert(f[0] == fminf(xx, y) || (isnan(f[0]) && isnan(fminf(xx, y))));
        ck_assert(f[1] == fmaxf(xx, y) || (isnan(f[1]) && isnan(fmaxf(xx, y))));
        if (t == 2)
            ck_assert(signbit(f[0]) && !signbit(f[1])); /* -0 < +0 */
        ck_assert(f[2] == sqrtf(fabsf(xx)) || (isnan(xx) && isnan(f[2])));
        float fm = fmaf(xx, y, 1.0f);
        ck_assert(f[3] == fm || (isnan(fm) && isnan(f[3])));
        float sat = isnan(xx) ? 0.0f : xx < 0 ? 0.0f : xx > 1 ? 1.0f : xx;
        ck_assert_msg(f[4] == sat, "t%d saturate %g", t, f[4]);
        ck_assert(f[5] == xx / y || (isnan(f[5]) && isnan(xx / y)));
        ck_assert(f[6] == nearbyintf(xx) || (isnan(xx) && isnan(f[6])));
        double exact = (double)xx * (double)y;
        float rz = (float)exact;
        if (isfinite(exact) && fabs((double)rz) > fabs(exact))
            rz = nextafterf(rz, 0.0f);
        ck_assert_msg(f[7] == rz || (isnan(exact) && isnan(f[7])), "t%d mul.rz %a want %a", t, f[7], rz);
        ck_assert_int_eq(i[0], ref_f2i(xx, 0));
        ck_assert_int_eq(i[1], ref_f2i(xx, 1));
        ck_assert_int_eq(i[2], ref_f2i(xx, 2));
        ck_assert_int_eq(i[3], ref_f2i(xx, 3));
        unsigned u = isnan(xx) || xx <= 0 ? 0u : xx >= 4294967295.0f ? 0xffffffffu : (unsigned)nearbyintf(xx);
        ck_assert_uint_eq((unsigned)i[4], u);
        long long ll = isnan(xx) ? 0 : xx >= 9.2e18f ? LLONG_MAX : xx <= -9.2e18f ? LLONG_MIN : (long long)xx;
        ck_assert_int_eq(i[5], (int)ll);
        int bits;
        memcpy(&bits, &xx, 4);
        ck_assert_int_eq(i[6], bits ^ (int)(xx < y) ^ ((int)(xx != y) << 1) ^ ((int)isnan(xx) << 2));
        ck_assert(fabs(od[t] - fma((double)xx, (double)y, 1e-300)) == 0 || isnan(od[t]));
    }
    /* f16 conversions (round to nearest even, overflow to inf, NaN stays NaN) */
    ck_assert_int_eq(oi[3 * 8 + 7], 0x4100);      /* 2.5 */
    ck_assert_int_eq(oi[4 * 8 + 7], 0xc100);      /* -2.5 */
    ck_assert_int_eq(oi[8 * 8 + 7], 0x2e66);      /* 0.1 */
    ck_assert_int_eq(oi[9 * 8 + 7], 0x7c00);      /* 65520 rounds to inf */
    ck_assert_int_eq(oi[7 * 8 + 7], 0x7c00);      /* inf */
    ck_assert_int_eq(oi[2 * 8 + 7], 0x8000);      /* -0 */
    ck_assert((oi[7] & 0x7c00) == 0x7c00 && (oi[7] & 0x3ff) != 0); /* NaN */
    unload(x);
}
END_TEST

static int ref_fib(int n) { return n < 2 ? n : ref_fib(n - 1) + ref_fib(n - 2); }

START_TEST(test_calls_local_printf)
{
    xmod *x = load_ptx("calls.ptx");
    enum { T = 20 };
    int out[T];
    float fo[T];
    pbuf p = { .n = 0 };
    p_ptr(&p, out); p_ptr(&p, fo); p_i32(&p, 3);
    g_printf_len = 0;
    g_printf[0] = 0;
    ck_assert_int_eq(launch(x, "_Z5callsPiPfi", 1, 1, T, 1, 1, p.b, 0), 0);
    static const int table[4] = { 10, 20, 30, 40 };
    for (int t = 0; t < T; t++) {
        int k = (t + 3) & 7;
        ck_assert_int_eq(out[t], ref_fib(t % 12) + t * k + table[k & 3]);
        float want = ((float)t * (float)(t & 15) + (float)t * (float)((t + 3) & 15)) * 2.5f;
        ck_assert_msg(fo[t] == want, "fo[%d] = %g want %g", t, fo[t], want);
    }
    ck_assert_str_eq(g_printf, "t=0 f=0.00 s=str c=A x=ff ll=-5000000000\n"
                               "t=1 f=1.50 s=str c=B x=100 ll=-5000000000\n");
    unload(x);
}
END_TEST

/* ---- ALU table (tests/ptx/src/alu_table.h): C references of the PTX rules ------------- */

static uint32_t ref_rem_s32(uint32_t a, uint32_t b)
{
    if (b == 0)
        return a;
    if ((int32_t)b == -1)
        return 0;
    return (uint32_t)((int32_t)a % (int32_t)b);
}

static uint32_t ref_bfind_u32(uint32_t a)
{
    for (int i = 31; i >= 0; i--)
        if ((a >> i) & 1)
            return (uint32_t)i;
    return 0xffffffffu;
}

static uint32_t ref_bmsk_clamp(uint32_t pos, uint32_t len)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < len && pos + i < 32; i++)
        m |= 1u << (pos + i);
    return m;
}

static uint32_t ref_shf_l_wrap(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t n = c & 31;
    return n ? (b << n) | (a >> (32 - n)) : b;
}

static uint32_t ref_shf_r_clamp(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t n = c > 32 ? 32 : c;
    if (n == 32)
        return b;
    return n ? (a >> n) | (b << (32 - n)) : a;
}

/* prmt: the ISA's table of source bytes for d.b0..d.b3, per mode and selector c[1:0]. */
static uint32_t ref_prmt_mode(uint32_t a, uint32_t b, uint32_t c, int mode)
{
    static const unsigned char tab[6][4][4] = {
        { { 0, 1, 2, 3 }, { 1, 2, 3, 4 }, { 2, 3, 4, 5 }, { 3, 4, 5, 6 } }, /* f4e */
        { { 0, 7, 6, 5 }, { 1, 0, 7, 6 }, { 2, 1, 0, 7 }, { 3, 2, 1, 0 } }, /* b4e */
        { { 0, 0, 0, 0 }, { 1, 1, 1, 1 }, { 2, 2, 2, 2 }, { 3, 3, 3, 3 } }, /* rc8 */
        { { 0, 1, 2, 3 }, { 1, 1, 2, 3 }, { 2, 2, 2, 3 }, { 3, 3, 3, 3 } }, /* ecl */
        { { 0, 0, 0, 0 }, { 0, 1, 1, 1 }, { 0, 1, 2, 2 }, { 0, 1, 2, 3 } }, /* ecr */
        { { 0, 1, 0, 1 }, { 2, 3, 2, 3 }, { 0, 1, 0, 1 }, { 2, 3, 2, 3 } }, /* rc16 */
    };
    unsigned char src[8];
    for (int i = 0; i < 4; i++) {
        src[i] = (unsigned char)(a >> (8 * i));
        src[4 + i] = (unsigned char)(b >> (8 * i));
    }
    uint32_t d = 0;
    for (int i = 0; i < 4; i++) {
        unsigned byte;
        if (mode == 0) {
            unsigned n = (c >> (4 * i)) & 15;
            byte = src[n & 7];
            if (n & 8)
                byte = (byte & 0x80) ? 0xff : 0;
        } else {
            byte = src[tab[mode - 1][c & 3][i]];
        }
        d |= (uint32_t)byte << (8 * i);
    }
    return d;
}

static uint32_t ref_vabsdiff4_add(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t s = c;
    for (int i = 0; i < 4; i++) {
        int x = (a >> (8 * i)) & 255, y = (b >> (8 * i)) & 255;
        s += (uint32_t)(x > y ? x - y : y - x);
    }
    return s;
}

static int64_t ref_sext(uint32_t v, int bits)
{
    int64_t x = v & ((1u << bits) - 1);
    return x >= ((int64_t)1 << (bits - 1)) ? x - ((int64_t)1 << bits) : x;
}

static uint32_t ref_dp4a(uint32_t a, uint32_t b, uint32_t c, int asg, int bsg)
{
    int64_t s = (int32_t)c;
    for (int i = 0; i < 4; i++) {
        uint32_t x = (a >> (8 * i)) & 255, y = (b >> (8 * i)) & 255;
        s += (asg ? ref_sext(x, 8) : (int64_t)x) * (bsg ? ref_sext(y, 8) : (int64_t)y);
    }
    return (uint32_t)s;
}

static uint32_t ref_dp2a(uint32_t a, uint32_t b, uint32_t c, int hi, int asg, int bsg)
{
    int64_t s = (int32_t)c;
    for (int i = 0; i < 2; i++) {
        uint32_t x = (a >> (16 * i)) & 0xffff, y = (b >> (8 * (i + 2 * hi))) & 255;
        s += (asg ? ref_sext(x, 16) : (int64_t)x) * (bsg ? ref_sext(y, 8) : (int64_t)y);
    }
    return (uint32_t)s;
}

static uint32_t ref_mad24_s(uint32_t a, uint32_t b, uint32_t c)
{
    return (uint32_t)((uint64_t)(ref_sext(a, 24) * ref_sext(b, 24)) + c);
}

static uint32_t ref_carry_chain(uint32_t a, uint32_t b, uint32_t c)
{
    uint64_t c1 = ((uint64_t)a + b) >> 32, s = (uint64_t)a + c + c1;
    return (uint32_t)s + 7u + (uint32_t)(s >> 32);
}

static uint32_t ref_borrow_chain(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t b1 = a < b, t = a - c - b1, b2 = (uint64_t)a < (uint64_t)c + b1;
    return t - 7u - b2;
}

static uint32_t ref_madc_chain(uint32_t a, uint32_t b, uint32_t c)
{
    uint64_t p1 = (uint64_t)a * b, p2 = (uint64_t)b * c, p3 = (uint64_t)c * a;
    uint64_t s1 = (uint64_t)(uint32_t)p1 + c;
    uint64_t s2 = (p1 >> 32) + c + (s1 >> 32);
    uint64_t s3 = (uint64_t)(uint32_t)p2 + a + (s2 >> 32);
    uint64_t s4 = (p3 >> 32) + b + (s3 >> 32);
    return (uint32_t)s1 ^ (uint32_t)s2 ^ (uint32_t)s3 ^ (uint32_t)s4;
}

static uint64_t ref_clz64(uint64_t a)
{
    uint64_t n = 0;
    while (n < 64 && !((a >> (63 - n)) & 1))
        n++;
    return n;
}

static uint64_t ref_bfi64(uint64_t a, uint64_t b, uint32_t pos, uint32_t len)
{
    for (uint32_t i = 0; i < len && pos + i < 64; i++)
        b = (b & ~((uint64_t)1 << (pos + i))) | (((a >> i) & 1) << (pos + i));
    return b;
}

static float ref_ftz(float x) { return fpclassify(x) == FP_SUBNORMAL ? copysignf(0.0f, x) : x; }
static double ref_ftz_d(double x) { return fpclassify(x) == FP_SUBNORMAL ? copysign(0.0, x) : x; }
static float ref_sat(float x) { return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f; }

/* PTX min/max: a NaN operand yields the other; -0 is below +0. */
static double ref_fmin(double a, double b)
{
    if (a != a) return b;
    if (b != b) return a;
    if (a == b) return signbit(a) ? a : b;
    return a < b ? a : b;
}
static double ref_fmax(double a, double b)
{
    if (a != a) return b;
    if (b != b) return a;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}
static float ref_fminf(float a, float b) { return (float)ref_fmin(a, b); }
static float ref_fmaxf(float a, float b) { return (float)ref_fmax(a, b); }

/* One operation under a rounding mode; operands through volatile so that the compiler
 * cannot evaluate them outside the fesetround bracket. */
static float ref_rf(int mode, char op, float a, float b, float c)
{
    volatile float x = a, y = b, z = c, r;
    fesetround(mode);
    switch (op) {
    case '+': r = x + y; break;
    case '*': r = x * y; break;
    case '/': r = x / y; break;
    case 'f': r = fmaf(x, y, z); break;
    default: r = sqrtf(x); break;
    }
    fesetround(FE_TONEAREST);
    return r;
}
static double ref_rd(int mode, char op, double a, double b, double c)
{
    volatile double x = a, y = b, z = c, r;
    fesetround(mode);
    switch (op) {
    case '+': r = x + y; break;
    case '*': r = x * y; break;
    case '/': r = x / y; break;
    case 'f': r = fma(x, y, z); break;
    default: r = sqrt(x); break;
    }
    fesetround(FE_TONEAREST);
    return r;
}
static float ref_rf_d(int mode, double a)
{
    volatile double x = a;
    volatile float r;
    fesetround(mode);
    r = (float)x;
    fesetround(FE_TONEAREST);
    return r;
}
static float ref_rf_u64(int mode, uint64_t a)
{
    volatile uint64_t x = a;
    volatile float r;
    fesetround(mode);
    r = (float)x;
    fesetround(FE_TONEAREST);
    return r;
}
static double ref_rd_s64(int mode, int64_t a)
{
    volatile int64_t x = a;
    volatile double r;
    fesetround(mode);
    r = (double)x;
    fesetround(FE_TONEAREST);
    return r;
}

/* Float -> integer: round per mode (0 nearest even, 1 zero, 2 down, 3 up), saturate,
 * NaN -> 0. */
static int64_t ref_f2int(double v, int mode, int64_t lo, int64_t hi)
{
    if (v != v)
        return 0;
    long double r = mode == 0 ? nearbyintl(v) : mode == 1 ? truncl(v) : mode == 2 ? floorl(v) : ceill(v);
    if (r <= (long double)lo)
        return lo;
    if (r >= (long double)hi)
        return hi;
    return (int64_t)r;
}
static uint64_t ref_f2u64(double v, int mode)
{
    if (v != v || v <= 0)
        return 0;
    long double r = mode == 0 ? nearbyintl(v) : mode == 1 ? truncl(v) : mode == 2 ? floorl(v) : ceill(v);
    if (r >= 18446744073709551615.0L)
        return UINT64_MAX;
    return (uint64_t)r;
}

/* IEEE half: exact decode, and rounding of an exactly known value (nearest even or
 * toward zero) with overflow to infinity (nearest) or to the largest finite (zero). */
static long double ref_h2l(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    long double v = e == 0 ? ldexpl(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexpl(1024 + m, e - 25);
    return (h & 0x8000) ? -v : v;
}
static float ref_h2f(uint16_t h) { return (float)ref_h2l(h); }
static uint16_t ref_f2h(long double x, int mode)
{
    if (x != x)
        return 0x7fff;
    uint16_t sign = signbit(x) ? 0x8000 : 0;
    long double a = fabsl(x);
    if (a == 0)
        return sign;
    if (isinf(a))
        return sign | 0x7c00;
    int e;
    frexpl(a, &e);
    int ex = e - 1 < -14 ? -14 : e - 1;
    long double q = ldexpl(1.0L, ex - 10), n = a / q;
    n = mode == FE_TOWARDZERO ? truncl(n) : nearbyintl(n);
    long double v = n * q;
    if (v > 65504.0L)
        return mode == FE_TOWARDZERO ? (uint16_t)(sign | 0x7bff) : (uint16_t)(sign | 0x7c00);
    if (v < ldexpl(1.0L, -14))
        return (uint16_t)(sign | (uint16_t)(v / ldexpl(1.0L, -24)));
    frexpl(v, &e);
    ex = e - 1;
    return (uint16_t)(sign | (uint16_t)((ex + 15) << 10) | (uint16_t)(v / ldexpl(1.0L, ex - 10) - 1024));
}
static uint16_t ref_hop(char op, uint16_t a, uint16_t b, uint16_t c)
{
    long double x = ref_h2l(a), y = ref_h2l(b), z = ref_h2l(c);
    switch (op) {
    case '+': return ref_f2h(x + y, FE_TONEAREST);
    case '-': return ref_f2h(x - y, FE_TONEAREST);
    case '*': return ref_f2h(x * y, FE_TONEAREST);
    case 'f': return ref_f2h(x * y + z, FE_TONEAREST);
    default:
        if (x != x && y != y)
            return 0x7fff;
        return ref_f2h(ref_fmax((double)x, (double)y), FE_TONEAREST);
    }
}
static uint32_t ref_h2op(char op, uint32_t a, uint32_t b, uint32_t c)
{
    return (uint32_t)ref_hop(op, (uint16_t)a, (uint16_t)b, (uint16_t)c) |
           (uint32_t)ref_hop(op, (uint16_t)(a >> 16), (uint16_t)(b >> 16), (uint16_t)(c >> 16)) << 16;
}
static uint16_t ref_f2bf(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if (f != f)
        return 0x7fff;
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}
static float ref_bf2f(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---- comparison of one table row ---- */

static int g_alu_bad;

static void alu_report(const char *op, int t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void alu_report(const char *op, int t, const char *fmt, ...)
{
    va_list ap;
    if (g_alu_bad++ > 40)
        return;
    fprintf(stderr, "alu: %s (thread %d): ", op, t);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static bool half_same(uint16_t got, uint16_t want, bool bf)
{
    uint16_t expmask = bf ? 0x7f80 : 0x7c00, manmask = bf ? 0x7f : 0x3ff;
    bool gnan = (got & expmask) == expmask && (got & manmask);
    bool wnan = (want & expmask) == expmask && (want & manmask);
    return gnan || wnan ? gnan && wnan : got == want;
}

static void chk_h(const char *op, int t, const uint64_t *o, int *k, uint16_t want)
{
    uint16_t got = (uint16_t)o[(*k)++];
    bool ok = strstr(op, "f16") || strstr(op, "bf16") ? half_same(got, want, strstr(op, "bf16") != NULL)
                                                      : got == want;
    if (!ok)
        alu_report(op, t, "got 0x%04x want 0x%04x", got, want);
}
static void chk_r(const char *op, int t, const uint64_t *o, int *k, uint32_t want)
{
    uint32_t got = (uint32_t)o[(*k)++];
    bool ok = strstr(op, "f16x2") ? half_same((uint16_t)got, (uint16_t)want, false) &&
                                        half_same((uint16_t)(got >> 16), (uint16_t)(want >> 16), false)
                                  : got == want;
    if (!ok)
        alu_report(op, t, "got 0x%08x want 0x%08x", got, want);
}
static void chk_l(const char *op, int t, const uint64_t *o, int *k, uint64_t want)
{
    uint64_t got = o[(*k)++];
    if (got != want)
        alu_report(op, t, "got 0x%016llx want 0x%016llx", (unsigned long long)got, (unsigned long long)want);
}
static void chk_f(const char *op, int t, const uint64_t *o, int *k, float want)
{
    uint32_t gb = (uint32_t)o[(*k)++], wb;
    float got;
    memcpy(&got, &gb, 4);
    memcpy(&wb, &want, 4);
    if (isnan(want) ? !isnan(got) : gb != wb)
        alu_report(op, t, "got %a (0x%08x) want %a (0x%08x)", got, gb, want, wb);
}
static void chk_d(const char *op, int t, const uint64_t *o, int *k, double want)
{
    uint64_t gb = o[(*k)++], wb;
    double got;
    memcpy(&got, &gb, 8);
    memcpy(&wb, &want, 8);
    if (isnan(want) ? !isnan(got) : gb != wb)
        alu_report(op, t, "got %a want %a", got, want);
}
static void chk_apx(const char *op, int t, double got, double want, int rel, int abs_, int dom)
{
    if (!dom)
        return;
    bool ok;
    if (isnan(want) || isinf(want) || want == 0)
        ok = isnan(want) ? isnan(got) : got == want;
    else
        ok = fabs(got - want) <= fmax(ldexp(fabs(want), -rel), ldexp(1.0, -abs_));
    if (!ok)
        alu_report(op, t, "got %a want %a", got, want);
}
static double apx_bits_f(const uint64_t *o, int k) { uint32_t b = (uint32_t)o[k]; float f; memcpy(&f, &b, 4); return f; }
static double apx_bits_d(const uint64_t *o, int k) { double d; memcpy(&d, &o[k], 8); return d; }

START_TEST(test_alu_table)
{
    xmod *x = load_ptx("alu.ptx");
    enum { T = 16, STRIDE = 512 };
    static const uint64_t iv[T * 3] = {
        0, 0, 0,
        1, 7, 3,
        UINT64_MAX, 1, 0x8000000000000000ull,
        0x7fff, 0xffff, 0x10001,
        0x8000, 16, 15,
        0x12345678, 0x9abcdef0, 0x0f1e2d3c,
        0x80000000, UINT64_MAX, 32,
        0xffffffff, 33, 0xffffffff,
        0x8000000000000000ull, 63, 64,
        0x123456789abcdef0ull, 0x0fedcba987654321ull, 0x3c00bc00,
        37, (uint64_t)-37, 0x7bff3c00,
        (uint64_t)-37, 37, 0x7c00fc00,
        0xfffe, 0x8001, 0x3555c000,
        0x3c003800, 0x40004400, 0x00017bff,
        0x7e007c00, 0x3c00fbff, 0x80000001,
        0x7fffffffffffffffull, 0x7fffffffffffffffull, 0x1234abcd,
    };
    const float fv[T * 3] = {
        NAN, 1.0f, 2.0f,
        INFINITY, -INFINITY, 1.0f,
        -INFINITY, 3.0f, -0.0f,
        0.0f, -0.0f, 0.0f,
        -0.0f, 0.0f, -0.0f,
        1.0f, 3.0f, 0.1f,
        -1.5f, 0.25f, 1e-40f,
        1e-40f, -1e-40f, 1e-45f,
        -1e-40f, 2.0f, -1.0f,
        3.0f, 7.0f, 1e30f,
        1e30f, 1e10f, -1e38f,
        0.1f, 0.3f, 0.7f,
        2.5f, -2.5f, 16777217.0f,
        -2.5f, 1e-30f, 5.0f,
        65504.0f, 65520.0f, 3.3e38f,
        1e-8f, 3e9f, -3e9f,
    };
    const double dv[T * 3] = {
        NAN, 1.0, 2.0,
        INFINITY, -INFINITY, 1.0,
        -INFINITY, 3.0, -0.0,
        0.0, -0.0, 0.0,
        -0.0, 0.0, -0.0,
        1.0, 3.0, 0.1,
        -1.5, 0.25, 1e-310,
        1e-310, -4.9e-324, 5e-324,
        -1e-310, 2.0, -1.0,
        3.0, 7.0, 1e300,
        1e300, 1e10, -1e308,
        0.1, 0.3, 0.7,
        2.5, -2.5, 9007199254740993.0,
        -2.5, 1e-300, 5.0,
        1.0 / 3.0, 3e9, -3e19,
        1e-8, 9.3e18, -9.3e18,
    };
    uint64_t *out = calloc(T * STRIDE, 8);
    int count[T];
    pbuf p = { .n = 0 };
    p_ptr(&p, iv); p_ptr(&p, fv); p_ptr(&p, dv); p_ptr(&p, out); p_ptr(&p, count); p_i32(&p, STRIDE);
    ck_assert_int_eq(launch(x, "_Z3aluPKyPKfPKdPyPii", 1, 1, T, 1, 1, p.b, 0), 0);
    g_alu_bad = 0;
    int rows = 0;
    for (int t = 0; t < T; t++) {
        uint64_t la = iv[3 * t], lb = iv[3 * t + 1], lc = iv[3 * t + 2];
        uint32_t ra = (uint32_t)la, rb = (uint32_t)lb, rc = (uint32_t)lc;
        uint16_t ha = (uint16_t)la, hb = (uint16_t)lb, hc = (uint16_t)lc;
        float fa = fv[3 * t], fb = fv[3 * t + 1], fc = fv[3 * t + 2];
        double da = dv[3 * t], db = dv[3 * t + 1], dc = dv[3 * t + 2];
        const uint64_t *o = out + (size_t)t * STRIDE;
        int k = 0;
        (void)hc; (void)dc; (void)fc;
#define OP1(op, D, S, ref) chk_##D(op, t, o, &k, ref);
#define OP2 OP1
#define OP3 OP1
#define ASM OP1
#define CMP(op, S, ref) chk_r(op, t, o, &k, (ref) ? 1u : 0u);
#define SEL(op, D, ref) chk_##D(op, t, o, &k, ref);
#define APX1(op, S, ref, rel, abs, dom) { chk_apx(op, t, apx_bits_##S(o, k), ref, rel, abs, dom); k++; }
#define APX2 APX1
#include "../ptx/src/alu_table.h"
#undef OP1
#undef OP2
#undef OP3
#undef ASM
#undef CMP
#undef SEL
#undef APX1
#undef APX2
        ck_assert_int_eq(count[t], k);
        rows = k;
    }
    ck_assert_msg(g_alu_bad == 0, "%d ALU results differ from the PTX rules (listed above)", g_alu_bad);
    ck_assert_int_gt(rows, 200);
    free(out);
    unload(x);
}
END_TEST

/* Every load/store form moves a thread's slice unchanged; sign-extending loads widen. */
START_TEST(test_memory_forms)
{
    xmod *x = load_ptx("memops.ptx");
    enum { T = 32 };
    unsigned char *in = malloc(T * 256), *out = calloc(T, 256);
    int64_t ext[T * 16];
    memset(ext, 0, sizeof ext);
    for (int i = 0; i < T * 256; i++)
        in[i] = (unsigned char)(i * 151 + (i >> 8) * 7 + 0x80);
    pbuf p = { .n = 0 };
    p_ptr(&p, in); p_ptr(&p, out); p_ptr(&p, ext);
    ck_assert_int_eq(launch(x, "_Z6memopsPKcPcPx", 1, 1, T, 1, 1, p.b, 0), 0);
    for (int t = 0; t < T; t++) {
        const unsigned char *gi = in + t * 256;
        const int64_t *e = ext + t * 16;
        for (int i = 0; i < 256; i++)
            ck_assert_msg(out[t * 256 + i] == gi[i], "thread %d byte %d: %02x want %02x", t, i,
                          out[t * 256 + i], gi[i]);
        int16_t h;
        int32_t w;
        memcpy(&h, gi + 248, 2);
        memcpy(&w, gi + 160, 4);
        ck_assert_int_eq((int32_t)e[0], (int8_t)gi[251]);
        ck_assert_int_eq((int32_t)e[1], (int8_t)gi[250]);
        ck_assert_int_eq((int32_t)e[2], h);
        ck_assert_int_eq((int32_t)e[3], h);
        ck_assert_int_eq(e[4], w);
        ck_assert_int_eq(e[5], h);
        ck_assert(memcmp(&e[9], gi + 208, 8) == 0);
        ck_assert(memcmp(&e[10], gi + 216, 8) == 0);
        ck_assert_uint_eq((uint64_t)e[6], 0x0123456789abcdefull);
        ck_assert_uint_eq((uint64_t)e[7], 0xfedcba9876543210ull);
        ck_assert_int_eq(e[8], 3 + (4ll << 20) + (5ll << 50));
    }
    free(in);
    free(out);

    /* atomics with .sys, scopes and orders on global, shared and generic addresses */
    enum { G = 4, B = 64, N = G * B };
    uint32_t g[20] = { 0, 0xffffffffu, 0, 0, INT32_MAX, (uint32_t)INT32_MIN, 0, 0, 0, 0, 0xffffffffu,
                       0xffffffffu, 0, 0, 0, (uint32_t)INT32_MIN, 0, 0xffffffffu, 0, 0 };
    unsigned long long g64 = 0;
    double gd[2] = { 0, 0 };
    pbuf q = { .n = 0 };
    p_ptr(&q, g); p_ptr(&q, &g64); p_ptr(&q, gd);
    ck_assert_int_eq(launch(x, "_Z8atomics2PjPyPd", G, 1, B, 1, 1, q.b, 0), 0);
    uint32_t sum = 0, xr = 0, inc = 0, dec = 0;
    for (uint32_t i = 0; i < N; i++) {
        sum += i;
        xr ^= i * 2654435761u;
        inc = inc >= 9 ? 0 : inc + 1;
        dec = (dec == 0 || dec > 6) ? 6 : dec - 1;
    }
    ck_assert_uint_eq(g[0], sum);
    ck_assert_uint_eq(g[1], 0);
    ck_assert_uint_eq(g[2], 0x1fffffffu);
    ck_assert_uint_eq(g[3], xr);
    ck_assert_int_eq((int32_t)g[4], 100 - (N - 1));
    ck_assert_int_eq((int32_t)g[5], N - 1 - 100);
    ck_assert_uint_eq(g[6], inc);
    ck_assert_uint_eq(g[7], dec);
    ck_assert_uint_eq(g[8], 77);
    ck_assert_uint_eq(g[9], N); /* cas chain: threads run in order in this harness */
    ck_assert_uint_eq(g[10], 0);
    ck_assert_uint_eq(g[11], 5);
    ck_assert_uint_eq(g[12], N - 1 + 5);
    ck_assert_uint_eq(g[13], N * (2 + 3 + 5 + 7));
    ck_assert_uint_eq(g[14], 5);
    ck_assert_int_eq((int32_t)g[15], 24);
    ck_assert_uint_eq(g[16], 0xffff);
    ck_assert_uint_eq(g[17], 0xfff00000u);
    ck_assert_uint_eq(g[18], G * (9u + 0xffffffffu));
    ck_assert_uint_eq(g64, (unsigned long long)N * ((1ull << 33) + 1));
    ck_assert(gd[0] == 0.5 * N);
    ck_assert(gd[1] == 0.25 * N);

    /* bra, exit after collectives, calls, nanosleep, vote.ballot, match.any.b64 */
    uint32_t cin[32], cout[128];
    for (int i = 0; i < 32; i++)
        cin[i] = i == 5 || i == 17 ? 0 : (uint32_t)(i * 37 % 101);
    for (int i = 0; i < 128; i++)
        cout[i] = 0xdeadbeefu;
    pbuf c = { .n = 0 };
    p_ptr(&c, cin); p_ptr(&c, cout);
    ck_assert_int_eq(launch(x, "_Z7controlPKjPj", 1, 1, 32, 1, 1, c.b, 0), 0);
    uint32_t ballot = 0;
    for (int l = 0; l < 32; l++)
        ballot |= (cin[l] & 1u) << l;
    for (int t = 0; t < 32; t++) {
        uint32_t v = cin[t], m = 0, s = 0;
        for (int l = 0; l < 32; l++)
            if (cin[l] % 3 == v % 3)
                m |= 1u << l;
        for (uint32_t i = 0; i < v % 7; i++)
            s += 2 * (i + v);
        ck_assert_uint_eq(cout[t * 4], ballot);
        ck_assert_uint_eq(cout[t * 4 + 1], m);
        ck_assert_uint_eq(cout[t * 4 + 2], v ? s : 0xdeadbeefu);
        uint32_t in_range = v > 20 && v < 80;
        ck_assert_uint_eq(cout[t * 4 + 3], v ? (v > 50 ? 1u : 2u) + ((in_range ? 1u : 4u) << 8) : 0xdeadbeefu);
    }
    int flag = 0;
    pbuf f = { .n = 0 };
    p_ptr(&f, &flag);
    ck_assert_int_eq(launch(x, "_Z5trapsPi", 1, 1, 1, 1, 1, f.b, 0), 0);
    ck_assert_int_eq(flag, 2);
    flag = 1;
    ck_assert_int_eq(launch(x, "_Z5trapsPi", 1, 1, 1, 1, 1, f.b, 0), 719);
    ck_assert_int_eq(flag, 1);
    unload(x);
}
END_TEST

/* Parameter forms of other nvcc versions (hand/params.ptx). */
START_TEST(test_param_forms)
{
    xmod *x = load_ptx("hand/params.ptx");
    uint32_t out[12];
    memset(out, 0xee, sizeof out);
    pbuf p = { .n = 0 };
    int8_t c = -100;
    uint16_t s = 0xfedc;
    uint8_t u = 0xab;
    uint8_t v2[2] = { 0x12, 0x34 }, v4[4] = { 0x81, 0x02, 0x93, 0x04 };
    uint32_t u2[2] = { 0xdeadbeefu, 0x01234567u };
    double d = -12.75;
    int32_t i = -123456;
    p_add(&p, &c, 1); p_add(&p, &s, 2); p_add(&p, &u, 1); p_add(&p, v2, 2); p_add(&p, v4, 4);
    p_add(&p, u2, 8); p_add(&p, &d, 8); p_add(&p, &i, 4); p_ptr(&p, out);
    ck_assert_int_eq(launch(x, "params", 1, 1, 1, 1, 1, p.b, 0), 0);
    ck_assert_int_eq((int32_t)out[0], -100);
    ck_assert_uint_eq(out[1], 0xfedc);
    ck_assert_uint_eq(out[2], 0xab);
    ck_assert_uint_eq(out[3], 0x3412);
    ck_assert_uint_eq(out[4], 0x00020081u); /* mov.b32 {lo, hi} packs two 16-bit halves */
    ck_assert_uint_eq(out[5], 0x00040093u);
    ck_assert_uint_eq(out[6], 0xdeadbeefu);
    ck_assert_uint_eq(out[7], 0x01234567u);
    double got;
    memcpy(&got, &out[8], 8);
    ck_assert(got == d);
    ck_assert_int_eq((int32_t)out[10], i);
    ck_assert_int_eq((int32_t)out[11], -100 + -12);
    unload(x);
}
END_TEST

/* ---- textures and surfaces ---------------------------------------------------------- */

/* An object over a host buffer of float or integer elements. */
static uint64_t tex_object(void *base, bool surface, int restype, size_t w, size_t h, size_t d,
                           size_t layers, unsigned nchan, unsigned bits, cushim_chan_kind kind,
                           int mode, bool linear, bool norm)
{
    cushim_texobj o;
    memset(&o, 0, sizeof o);
    o.surface = surface;
    o.restype = restype;
    o.base = (uint64_t)(uintptr_t)base;
    o.width = w;
    o.height = h;
    o.depth = d;
    o.layers = layers;
    o.nchan = nchan;
    o.chan_bits = bits;
    o.kind = kind;
    o.elem_bytes = nchan * bits / 8;
    o.pitch = w * o.elem_bytes;
    o.slice = o.pitch * h;
    o.address[0] = o.address[1] = o.address[2] = mode;
    o.linear_filter = linear;
    o.normalized_coords = norm;
    uint64_t handle = cushim__texobj_register(&o);
    ck_assert(handle != 0);
    return handle;
}

/* Reference addressing, written from the CUDA programming guide's rules. */
static int ref_index(int mode, bool norm, int i, int n, bool *border)
{
    *border = false;
    if (!norm && mode != 3)
        mode = 1; /* wrap/mirror need normalized coordinates: clamp */
    if (mode == 0)
        return ((i % n) + n) % n;
    if (mode == 2) {
        int m = ((i % (2 * n)) + 2 * n) % (2 * n);
        return m < n ? m : 2 * n - 1 - m;
    }
    if (mode == 3 && (i < 0 || i >= n)) {
        *border = true;
        return 0;
    }
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

static float ref_t2(int x, int y) { return (float)x * 8.0f + (float)y * 0.5f + 1.0f; }
static float ref_t2_at(int i, int j)
{
    bool b;
    int x = ref_index(1, false, i, 6, &b), y = ref_index(1, false, j, 4, &b);
    return ref_t2(x, y);
}

START_TEST(test_textures)
{
    xmod *x = load_ptx("textures.ptx");
    enum { N = 6 };
    /* t2: 6x4 floats, linear filter, clamp; lin: 8 floats of linear memory; lay: 3 layers
     * of 3x2; cube: 2x2 faces; vol: 2x2x2, normalized + wrap; t1: 5 floats, mirror */
    float t2[4][6], lin[8], lay[3][2][3], cube[6][2][2], vol[2][2][2], t1[5];
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 6; i++)
            t2[j][i] = ref_t2(i, j);
    for (int i = 0; i < 8; i++)
        lin[i] = 100.0f + (float)i;
    for (int l = 0; l < 3; l++)
        for (int j = 0; j < 2; j++)
            for (int i = 0; i < 3; i++)
                lay[l][j][i] = (float)(1000 * l + 10 * j + i);
    for (int f = 0; f < 6; f++)
        for (int j = 0; j < 2; j++)
            for (int i = 0; i < 2; i++)
                cube[f][j][i] = (float)(f * 10 + j * 2 + i);
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 2; j++)
            for (int i = 0; i < 2; i++)
                vol[k][j][i] = (float)(100 * k + 10 * j + i);
    for (int i = 0; i < 5; i++)
        t1[i] = 0.5f + (float)i;
    uint64_t h2 = tex_object(t2, false, 0, 6, 4, 1, 1, 1, 32, CUSHIM_CHAN_FLOAT, 1, true, false);
    uint64_t hl = tex_object(lin, false, 2, 8, 1, 1, 1, 1, 32, CUSHIM_CHAN_FLOAT, 1, false, false);
    cushim_texobj lo = *cushim__texobj_get(tex_object(lay, false, 0, 3, 2, 1, 3, 1, 32, CUSHIM_CHAN_FLOAT, 1, false, false));
    lo.layered = true;
    uint64_t hy = cushim__texobj_register(&lo);
    cushim_texobj co = *cushim__texobj_get(tex_object(cube, false, 0, 2, 2, 1, 6, 1, 32, CUSHIM_CHAN_FLOAT, 1, false, false));
    co.cubemap = true;
    uint64_t hc = cushim__texobj_register(&co);
    uint64_t hv = tex_object(vol, false, 0, 2, 2, 2, 1, 1, 32, CUSHIM_CHAN_FLOAT, 0, false, true);
    uint64_t h1 = tex_object(t1, false, 0, 5, 1, 1, 1, 1, 32, CUSHIM_CHAN_FLOAT, 2, false, true);
    float c[N][4] = {{2.5f, 1.5f, 0.3f, 1}, {3.1f, 2.9f, -0.7f, 0}, {-1.0f, 7.0f, 0.2f, 2},
                     {0.75f, 0.25f, 1.0f, -1}, {5.9f, 3.6f, -1.0f, 5}, {1.3f, 0.6f, 0.5f, 8}};
    float out[N * 10];
    pbuf p = { .n = 0 };
    p_add(&p, &h2, 8); p_add(&p, &hl, 8); p_add(&p, &hy, 8); p_add(&p, &hc, 8); p_add(&p, &hv, 8);
    p_add(&p, &h1, 8); p_ptr(&p, c); p_ptr(&p, out); p_i32(&p, N);
    ck_assert_int_eq(launch(x, "_Z9tex_floatyyyyyyPK6float4Pfi", 2, 1, 4, 1, 1, p.b, 0), 0);
    for (int i = 0; i < N; i++) {
        const float *o = out + i * 10;
        /* bilinear with weights rounded to 1/256 */
        float xb = c[i][0] - 0.5f, yb = c[i][1] - 0.5f;
        int i0 = (int)floorf(xb), j0 = (int)floorf(yb);
        float a = roundf((xb - floorf(xb)) * 256) / 256, b = roundf((yb - floorf(yb)) * 256) / 256;
        float want = (1 - a) * (1 - b) * ref_t2_at(i0, j0) + a * (1 - b) * ref_t2_at(i0 + 1, j0) +
                     (1 - a) * b * ref_t2_at(i0, j0 + 1) + a * b * ref_t2_at(i0 + 1, j0 + 1);
        ck_assert_msg(fabsf(o[0] - want) <= 1e-4f * fabsf(want), "tex2D[%d] = %g, want %g", i, o[0], want);
        int k = (int)c[i][3];
        ck_assert_msg(o[1] == (k >= 0 && k < 8 ? lin[k] : 0.0f), "tex1Dfetch[%d] = %g", i, o[1]);
        bool bd;
        int l = k < 0 ? 0 : k > 2 ? 2 : k;
        float wl = lay[l][ref_index(1, false, (int)floorf(c[i][1]), 2, &bd)][ref_index(1, false, (int)floorf(c[i][0]), 3, &bd)];
        ck_assert_msg(o[2] == wl, "tex2DLayered[%d] = %g, want %g", i, o[2], wl);
        /* cube: the major axis picks the face; s, t per the face table */
        float dx = c[i][0], dy = c[i][1], dz = c[i][2], m, s, t;
        int face;
        if (fabsf(dx) >= fabsf(dy) && fabsf(dx) >= fabsf(dz)) {
            m = fabsf(dx); face = dx >= 0 ? 0 : 1; s = dx >= 0 ? -dz : dz; t = -dy;
        } else if (fabsf(dy) >= fabsf(dz)) {
            m = fabsf(dy); face = dy >= 0 ? 2 : 3; s = dx; t = dy >= 0 ? dz : -dz;
        } else {
            m = fabsf(dz); face = dz >= 0 ? 4 : 5; s = dz >= 0 ? dx : -dx; t = -dy;
        }
        int cu = ref_index(1, true, (int)floorf((s / m + 1) * 0.5f * 2), 2, &bd);
        int cv = ref_index(1, true, (int)floorf((t / m + 1) * 0.5f * 2), 2, &bd);
        ck_assert_msg(o[3] == cube[face][cv][cu], "texCubemap[%d] = %g, want %g", i, o[3], cube[face][cv][cu]);
        int vx = ref_index(0, true, (int)floorf(c[i][0] * 2), 2, &bd);
        int vy = ref_index(0, true, (int)floorf(c[i][1] * 2), 2, &bd);
        int vz = ref_index(0, true, (int)floorf(c[i][2] * 2), 2, &bd);
        ck_assert_msg(o[4] == vol[vz][vy][vx], "tex3D[%d] = %g, want %g", i, o[4], vol[vz][vy][vx]);
        int mx = ref_index(2, true, (int)floorf(c[i][0] * 5), 5, &bd);
        ck_assert_msg(o[5] == t1[mx], "tex1D mirror[%d] = %g, want %g", i, o[5], t1[mx]);
        /* gather: (i0,j1) (i1,j1) (i1,j0) (i0,j0) */
        ck_assert(o[6] == ref_t2_at(i0, j0 + 1) && o[7] == ref_t2_at(i0 + 1, j0 + 1) &&
                  o[8] == ref_t2_at(i0 + 1, j0) && o[9] == ref_t2_at(i0, j0));
    }

    /* integer results */
    unsigned char u8[2][3][4];
    int32_t i4[4][4];
    for (int j = 0; j < 2; j++)
        for (int i = 0; i < 3; i++)
            for (int ch = 0; ch < 4; ch++)
                u8[j][i][ch] = (unsigned char)(j * 100 + i * 10 + ch * 3 + 200 * (ch == 3));
    for (int i = 0; i < 4; i++)
        for (int ch = 0; ch < 4; ch++)
            i4[i][ch] = -50 + i * 11 + ch;
    uint64_t hu = tex_object(u8, false, 0, 3, 2, 1, 1, 4, 8, CUSHIM_CHAN_UNSIGNED, 1, false, false);
    uint64_t hi = tex_object(i4, false, 2, 4, 1, 1, 1, 4, 32, CUSHIM_CHAN_SIGNED, 1, false, false);
    float c2[N][2] = {{0.5f, 0.5f}, {2.9f, 1.2f}, {-4.0f, 1.9f}, {1.1f, 9.0f}, {2.0f, 0.99f}, {7.0f, -1.0f}};
    uint32_t iout[N * 2];
    pbuf q = { .n = 0 };
    p_add(&q, &hu, 8); p_add(&q, &hi, 8); p_ptr(&q, c2); p_ptr(&q, iout); p_i32(&q, N);
    ck_assert_int_eq(launch(x, "_Z7tex_intyyPK6float2Pji", 1, 1, N, 1, 1, q.b, 0), 0);
    for (int i = 0; i < N; i++) {
        bool bd;
        int xi = ref_index(1, false, (int)floorf(c2[i][0]), 3, &bd), yi = ref_index(1, false, (int)floorf(c2[i][1]), 2, &bd);
        uint32_t want = 0;
        for (int ch = 0; ch < 4; ch++)
            want |= (uint32_t)u8[yi][xi][ch] << (8 * ch);
        ck_assert_msg(iout[i * 2] == want, "tex2D<uchar4>[%d] = %08x, want %08x", i, iout[i * 2], want);
        int k = i - 1;
        int32_t w4 = k >= 0 && k < 4 ? i4[k][0] + i4[k][1] * 3 + i4[k][2] * 5 + i4[k][3] * 7 : 0;
        ck_assert_int_eq((int32_t)iout[i * 2 + 1], w4);
    }

    /* surfaces: writes (trap), clamp and zero reads, queries */
    enum { SW = 5, SH = 3 };
    int32_t surf[SH][SW];
    memset(surf, 0, sizeof surf);
    uint64_t hs = tex_object(surf, true, 0, SW, SH, 1, 1, 1, 32, CUSHIM_CHAN_SIGNED, 1, false, false);
    int sout[(SH + 1) * (SW + 2) * 3];
    pbuf r = { .n = 0 };
    p_add(&r, &hs, 8); p_add(&r, &h2, 8); p_ptr(&r, sout); p_i32(&r, SW); p_i32(&r, SH);
    ck_assert_int_eq(launch(x, "_Z8surf_opsyyPiii", SH + 1, 1, SW + 2, 1, 1, r.b, 0), 0);
    for (int y = 0; y < SH; y++)
        for (int xx = 0; xx < SW; xx++)
            ck_assert_int_eq(surf[y][xx], xx * 16 + y); /* the zero-mode writes never land */
    for (int y = 0; y <= SH; y++)
        for (int xx = 0; xx < SW + 2; xx++) {
            int i = y * (SW + 2) + xx, sx = xx - 1, sy = y - 1;
            int cx = sx < 0 ? 0 : sx >= SW ? SW - 1 : sx, cy = sy < 0 ? 0 : sy >= SH ? SH - 1 : sy;
            bool in = sx >= 0 && sx < SW && sy >= 0 && sy < SH;
            ck_assert_int_eq(sout[i * 3], cx * 16 + cy);
            ck_assert_int_eq(sout[i * 3 + 1], in ? sx * 16 + sy : 0);
            ck_assert_int_eq(sout[i * 3 + 2], SW * 10000 + 4 * 10 + 0);
        }
    /* sust.p: floats into 8-bit unsigned normalized channels, saturating */
    unsigned char px[4][4];
    memset(px, 0xee, sizeof px);
    uint64_t hp = tex_object(px, true, 0, 4, 1, 1, 1, 4, 8, CUSHIM_CHAN_UNSIGNED, 1, false, false);
    pbuf f = { .n = 0 };
    float fa = 0.2f, fb = 0.6f;
    p_add(&f, &hp, 8); p_add(&f, &fa, 4); p_add(&f, &fb, 4);
    ck_assert_int_eq(launch(x, "_Z14surf_formattedyff", 1, 1, 4, 1, 1, f.b, 0), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(px[i][0], 51 * i);
        ck_assert_int_eq(px[i][1], 153);
        ck_assert_int_eq(px[i][2], 64);  /* 0.25 * 255 = 63.75 */
        ck_assert_int_eq(px[i][3], 255); /* 1.5 saturates */
    }
    /* trap mode out of range, and a handle that names nothing: faults with messages */
    pbuf t = { .n = 0 };
    p_add(&t, &hs, 8); p_i32(&t, SW);
    ck_assert_int_eq(launch(x, "_Z9surf_trapyi", 1, 1, 1, 1, 1, t.b, 0), 700);
    ck_assert_msg(strstr(g_fault_msg, "sust.2d: surface access out of range") != NULL, "%s", g_fault_msg);
    ck_assert(cushim__texobj_unregister(hs));
    ck_assert(!cushim__texobj_unregister(hs));
    ck_assert_int_eq(launch(x, "_Z9surf_trapyi", 1, 1, 1, 1, 1, t.b, 0), 700);
    ck_assert_msg(strstr(g_fault_msg, "is not a live surface object") != NULL, "%s", g_fault_msg);
    memcpy(p.b, &hs, 8); /* a destroyed handle as the first texture */
    ck_assert_int_eq(launch(x, "_Z9tex_floatyyyyyyPK6float4Pfi", 1, 1, 1, 1, 1, p.b, 0), 700);
    ck_assert_msg(strstr(g_fault_msg, "is not a live texture object") != NULL, "%s", g_fault_msg);
    unload(x);
}
END_TEST

/* PTX that must be rejected, with the message naming instruction, kernel and line. */
START_TEST(test_fail_set)
{
    xmod *x = load_ptx("fail/unsupported.ptx");
    const struct cushim_kernel_desc *k = kfind(x, "uses_tex");
    ck_assert_ptr_null(k->run_block);
    ck_assert_ptr_nonnull(k->unsupported);
    ck_assert_msg(strstr(k->unsupported, "kernel uses_tex: PTX instruction `tex.2dms.v4.s32.s32") != NULL,
                  "message: %s", k->unsupported);
    ck_assert_msg(strstr(k->unsupported, "(t.cu:17) is not supported on the cpu backend") != NULL,
                  "message: %s", k->unsupported);
    k = kfind(x, "calls_barrier_func");
    ck_assert_ptr_null(k->run_block);
    ck_assert_msg(strstr(k->unsupported, "`bar.sync 0`") && strstr(k->unsupported, "device function sync_func"),
                  "message: %s", k->unsupported);
    /* a kernel of the same module that is fine still runs */
    k = kfind(x, "fine");
    ck_assert_ptr_nonnull(k->run_block);
    ck_assert_ptr_null(k->unsupported);
    int v = 0;
    pbuf p = { .n = 0 };
    p_ptr(&p, &v);
    ck_assert_int_eq(launch(x, "fine", 1, 1, 1, 1, 1, p.b, 0), 0);
    ck_assert_int_eq(v, 5);
    /* trap reports cudaErrorLaunchFailure naming the kernel */
    ck_assert_int_eq(launch(x, "traps", 1, 1, 4, 1, 1, p.b, 0), 719);
    ck_assert_msg(strstr(g_fault_msg, "trap in kernel traps") != NULL, "%s", g_fault_msg);
    /* a warp collective whose partners wait at a block barrier: an error, not a hang */
    ck_assert_int_eq(launch(x, "deadlock", 1, 1, 32, 1, 1, p.b, 0), 719);
    ck_assert_msg(strstr(g_fault_msg, "kernel deadlock: threads wait") != NULL, "%s", g_fault_msg);
    unload(x);

    /* cgen_supports agrees */
    char err[256], why[128];
    static const char src[] = ".version 8.0\n.target sm_75\n.address_size 64\n"
                              ".visible .entry k(.param .u64 p)\n{\n.reg .f32 %f<5>;\n.reg .b64 %rd<3>;\n"
                              "ld.param.u64 %rd1, [p];\ntex.2dms.v4.f32.s32 {%f1, %f2, %f3, %f4}, [%rd1, {%f1, %f1, %f1, %f1}];\n"
                              "add.f32 %f1, %f2, %f3;\nret;\n}\n";
    ptx_module *m = ptx_parse(src, sizeof src - 1, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    const ptx_function *f = ptx_find_function(m, "k");
    ck_assert_ptr_nonnull(f);
    ck_assert(cgen_supports(&f->instrs[0], why, sizeof why));
    ck_assert(!cgen_supports(&f->instrs[1], why, sizeof why));
    ck_assert_msg(strstr(why, "tex") != NULL, "why: %s", why);
    ck_assert(cgen_supports(&f->instrs[2], why, sizeof why));
    ptx_module_free(m);

    /* device-side launch: the kernel fails naming dynamic parallelism, the rest still runs */
    static const char cdp[] =
        ".version 8.0\n.target sm_75\n.address_size 64\n"
        ".extern .func (.param .b32 func_retval0) __cudaCDP2LaunchDeviceV2(.param .b64 p0, .param .b64 p1);\n"
        ".visible .entry parent(.param .u64 p)\n{\n.reg .b32 %r<2>;\n.reg .b64 %rd<3>;\n"
        "ld.param.u64 %rd1, [p];\n{\n.param .b64 param0;\nst.param.b64 [param0], %rd1;\n"
        ".param .b64 param1;\nst.param.b64 [param1], 0;\n.param .b32 retval0;\n"
        "call.uni (retval0), __cudaCDP2LaunchDeviceV2, (param0, param1);\nld.param.b32 %r1, [retval0];\n}\nret;\n}\n"
        ".visible .entry fine2(.param .u64 p)\n{\n.reg .b64 %rd<2>;\n.reg .b32 %r<2>;\n"
        "ld.param.u64 %rd1, [p];\nmov.u32 %r1, 9;\nst.u32 [%rd1], %r1;\nret;\n}\n";
    x = load_ptx_text(cdp, sizeof cdp - 1);
    k = kfind(x, "parent");
    ck_assert_ptr_null(k->run_block);
    ck_assert_msg(k->unsupported && strstr(k->unsupported, "dynamic parallelism (device-side launch) is not supported"),
                  "message: %s", k->unsupported ? k->unsupported : "(none)");
    ck_assert_int_eq(launch(x, "fine2", 1, 1, 1, 1, 1, p.b, 0), 0);
    ck_assert_int_eq(v, 9);
    unload(x);
}
END_TEST

static Suite *exec_suite(void)
{
    Suite *s = suite_create("exec");
    TCase *tc = tcase_create("ptx");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_vecadd);
    tcase_add_test(tc, test_reduce_barriers);
    tcase_add_test(tc, test_warp_collectives);
    tcase_add_test(tc, test_atomics);
    tcase_add_test(tc, test_int_edges);
    tcase_add_test(tc, test_float_edges);
    tcase_add_test(tc, test_calls_local_printf);
    tcase_add_test(tc, test_alu_table);
    tcase_add_test(tc, test_memory_forms);
    tcase_add_test(tc, test_param_forms);
    tcase_add_test(tc, test_fail_set);
    tcase_add_test(tc, test_textures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (system("cc --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "no C compiler: skipping\n");
        return 77;
    }
    SRunner *sr = srunner_create(exec_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
