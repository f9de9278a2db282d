/* test_exec.c: PTX -> C -> native execution tests of the CPU-fallback code generator.
 * Each test parses PTX (tests/ptx/), generates C, compiles it with the system C
 * compiler, runs every block through a small harness of its own (shared memory,
 * thread state, services that record printf output and faults) and compares the
 * outputs with results computed here in plain C. */
#include <check.h>
#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "translate/gen_c.h"
#include "translate/ptx_ir.h"
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

static const struct cushim_rt_services services = {
    svc_vprintf, svc_malloc, svc_free, svc_assert, svc_fault, svc_nanosleep,
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
        unsigned ecl = 0, sel = (unsigned)t & 3;
        uint64_t v = ((uint64_t)uy << 32) | ux;
        for (unsigned i = 0; i < 4; i++)
            ecl |= (unsigned)((v >> (8 * (i < sel ? i : sel))) & 255) << (8 * i);
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

/* PTX that must be rejected, with the message naming instruction, kernel and line. */
START_TEST(test_fail_set)
{
    xmod *x = load_ptx("fail/unsupported.ptx");
    const struct cushim_kernel_desc *k = kfind(x, "uses_tex");
    ck_assert_ptr_null(k->run_block);
    ck_assert_ptr_nonnull(k->unsupported);
    ck_assert_msg(strstr(k->unsupported, "kernel uses_tex: PTX instruction `tex.1d.v4.f32.s32") != NULL,
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
                              "ld.param.u64 %rd1, [p];\ntex.1d.v4.f32.s32 {%f1, %f2, %f3, %f4}, [%rd1, {%f1}];\n"
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
    tcase_add_test(tc, test_fail_set);
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
