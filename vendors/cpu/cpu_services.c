/* cpu_services.c: what generated kernels call into: device printf (CUDA's argument
 * buffer format), the device heap (malloc/free), assert, trap, nanosleep; the
 * texture and surface entries are in cpu_texture.c. */
#include "config.h"

#include "vendors/cpu/cpu.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim/log.h"

/* CUDA's printf FIFO defaults to 1 MiB; one call never produces more than that here. */
#define PRINTF_MAX_OUTPUT (1u << 20)

/* ---- printf formatting ---------------------------------------------------------- */

typedef struct text_buffer {
    char *data;
    size_t len, cap;
    bool failed;
} text_buffer;

static void text_append(text_buffer *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (n > PRINTF_MAX_OUTPUT - t->len)
        n = PRINTF_MAX_OUTPUT - t->len;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 128;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

/* The argument buffer: C-promoted values, each at its own natural alignment. */
typedef struct arg_reader {
    const unsigned char *base;
    size_t offset;
    int consumed;
} arg_reader;

static bool pull_arg(arg_reader *r, void *out, size_t size)
{
    if (!r->base)
        return false;
    r->offset = (r->offset + size - 1) / size * size;
    memcpy(out, r->base + r->offset, size);
    r->offset += size;
    r->consumed++;
    return true;
}

/* Width and precision saturate: nothing can print more than PRINTF_MAX_OUTPUT anyway. */
static int parse_decimal(const char **p)
{
    long v = 0;
    while (**p >= '0' && **p <= '9') {
        if (v < PRINTF_MAX_OUTPUT)
            v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v > PRINTF_MAX_OUTPUT ? (int)PRINTF_MAX_OUTPUT : (int)v;
}

enum arg_class { ARG_INT, ARG_LONG, ARG_DOUBLE, ARG_STRING, ARG_POINTER, ARG_CHAR };

/* Format one conversion with one argument of a known type into t. */
static void format_one(text_buffer *t, const char *spec, enum arg_class cls, uint64_t bits)
{
    char small[512];
    char *buf = small;
    int n = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t cap = attempt == 0 ? sizeof small : (size_t)n + 1;
        if (attempt == 1) {
            buf = malloc(cap);
            if (!buf) {
                t->failed = true;
                return;
            }
        }
        /* The spec is built from a validated conversion and always matches the type
         * passed, so these non-literal formats are safe. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        switch (cls) {
        case ARG_INT:
        case ARG_CHAR:
            n = snprintf(buf, cap, spec, (int)(uint32_t)bits);
            break;
        case ARG_LONG:
            n = snprintf(buf, cap, spec, (long long)bits);
            break;
        case ARG_DOUBLE: {
            double d;
            memcpy(&d, &bits, sizeof d);
            n = snprintf(buf, cap, spec, d);
            break;
        }
        case ARG_STRING:
            n = snprintf(buf, cap, spec, bits ? (const char *)(uintptr_t)bits : "(null)");
            break;
        case ARG_POINTER:
            n = snprintf(buf, cap, spec, (void *)(uintptr_t)bits);
            break;
        }
#pragma GCC diagnostic pop
        if (n < 0) {
            t->failed = true;
            break;
        }
        if ((size_t)n < cap)
            break;
    }
    if (n >= 0 && !t->failed)
        text_append(t, buf, (size_t)n);
    if (buf != small)
        free(buf);
}

int cpu_printf_format(const char *fmt, const unsigned char *args, char **out, size_t *outlen)
{
    *out = NULL;
    if (outlen)
        *outlen = 0;
    if (!fmt)
        return -1;
    text_buffer t = {0};
    arg_reader r = {.base = args, .offset = 0, .consumed = 0};
    const char *p = fmt;
    while (*p && !t.failed && t.len < PRINTF_MAX_OUTPUT) {
        if (*p != '%') {
            const char *next = strchr(p, '%');
            size_t n = next ? (size_t)(next - p) : strlen(p);
            text_append(&t, p, n);
            p += n;
            continue;
        }
        const char *start = p++;
        if (*p == '%') {
            text_append(&t, "%", 1);
            p++;
            continue;
        }
        char flags[8];
        size_t nflags = 0;
        while (*p && strchr("-+ #0", *p)) {
            if (nflags < sizeof flags - 1 && !memchr(flags, *p, nflags))
                flags[nflags++] = *p;
            p++;
        }
        flags[nflags] = '\0';
        int width = -1, precision = -1;
        bool missing = false;
        if (*p == '*') {
            int32_t w = 0;
            missing |= !pull_arg(&r, &w, 4);
            if (w < 0) {
                if (!strchr(flags, '-') && nflags < sizeof flags - 1) {
                    flags[nflags++] = '-';
                    flags[nflags] = '\0';
                }
                w = w == INT32_MIN ? INT32_MAX : -w;
            }
            width = w > (int32_t)PRINTF_MAX_OUTPUT ? (int)PRINTF_MAX_OUTPUT : w;
            p++;
        } else if (*p >= '0' && *p <= '9') {
            width = parse_decimal(&p);
        }
        if (*p == '.') {
            p++;
            if (*p == '*') {
                int32_t v = 0;
                missing |= !pull_arg(&r, &v, 4);
                precision = v < 0 ? -1 : v > (int32_t)PRINTF_MAX_OUTPUT ? (int)PRINTF_MAX_OUTPUT : v;
                p++;
            } else {
                precision = parse_decimal(&p);
            }
        }
        /* Length: 0 none, 1 h, 2 hh, 8 for the 64-bit ones (l ll z j t L q). */
        int length = 0;
        if (p[0] == 'h' && p[1] == 'h') {
            length = 2;
            p += 2;
        } else if (p[0] == 'h') {
            length = 1;
            p++;
        } else if (p[0] == 'l' && p[1] == 'l') {
            length = 8;
            p += 2;
        } else if (*p && strchr("lzjtLq", *p)) {
            length = 8;
            p++;
        }
        char conv = *p;
        if (!conv || !strchr("diuxXocspfFeEgGaA", conv)) {
            /* Not a conversion CUDA prints (or %n): show it as written. */
            size_t n = conv ? (size_t)(p + 1 - start) : (size_t)(p - start);
            text_append(&t, start, n);
            p += conv ? 1 : 0;
            continue;
        }
        p++;
        enum arg_class cls;
        size_t arg_size;
        const char *length_text = "";
        if (strchr("diuxXo", conv)) {
            if (length == 8) {
                cls = ARG_LONG;
                arg_size = 8;
                length_text = "ll";
            } else {
                cls = ARG_INT;
                arg_size = 4;
                length_text = length == 2 ? "hh" : length == 1 ? "h" : "";
            }
        } else if (conv == 'c') {
            cls = ARG_CHAR;
            arg_size = 4;
        } else if (conv == 's') {
            cls = ARG_STRING;
            arg_size = 8;
        } else if (conv == 'p') {
            cls = ARG_POINTER;
            arg_size = 8;
        } else {
            cls = ARG_DOUBLE;
            arg_size = 8;
        }
        uint64_t bits = 0;
        if (missing || !pull_arg(&r, &bits, arg_size)) {
            /* No argument buffer at all: nothing to print for it but the text. */
            text_append(&t, start, (size_t)(p - start));
            continue;
        }
        if (arg_size == 4)
            bits &= 0xffffffffu;
        char spec[64];
        int used = snprintf(spec, sizeof spec, "%%%s", flags);
        if (width >= 0)
            used += snprintf(spec + used, sizeof spec - (size_t)used, "%d", width);
        if (precision >= 0)
            used += snprintf(spec + used, sizeof spec - (size_t)used, ".%d", precision);
        snprintf(spec + used, sizeof spec - (size_t)used, "%s%c", length_text, conv);
        format_one(&t, spec, cls, bits);
    }
    if (t.failed) {
        free(t.data);
        return -2;
    }
    if (!t.data)
        text_append(&t, "", 0);
    if (t.failed) {
        free(t.data);
        return -2;
    }
    *out = t.data;
    if (outlen)
        *outlen = t.len;
    return r.consumed;
}

/* One lock orders device output (printf, assert messages) between worker threads. */
static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

static int32_t service_vprintf(struct cushim_block_ctx *ctx, uint64_t fmt, uint64_t args)
{
    (void)ctx;
    char *text;
    size_t len;
    int rc = cpu_printf_format((const char *)(uintptr_t)fmt,
                               (const unsigned char *)(uintptr_t)args, &text, &len);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&output_lock);
    /* The program's own buffered output printed before the launch comes first. */
    fflush(stdout);
    write_all(STDOUT_FILENO, text, len);
    pthread_mutex_unlock(&output_lock);
    free(text);
    return rc;
}

/* ---- device heap ------------------------------------------------------------------ */

#define HEAP_GRANULE 16u /* CUDA's malloc returns 16-byte aligned blocks */

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t heap_limit = 8u << 20;
static bool heap_created, heap_usable;
static cpu_arena heap_arena;

int cpu_set_malloc_heap_limit(size_t bytes)
{
    pthread_mutex_lock(&heap_lock);
    int rc = 0;
    if (heap_created)
        rc = CPU_cudaErrorInvalidValue;
    else
        heap_limit = bytes < HEAP_GRANULE ? HEAP_GRANULE : bytes;
    pthread_mutex_unlock(&heap_lock);
    return rc;
}

size_t cpu_get_malloc_heap_limit(void)
{
    pthread_mutex_lock(&heap_lock);
    size_t limit = heap_limit;
    pthread_mutex_unlock(&heap_lock);
    return limit;
}

static void create_heap(void)
{
    heap_created = true;
    char err[256];
    uint64_t base = 0;
    size_t bytes = heap_limit - heap_limit % HEAP_GRANULE;
    if (cpu_mem_alloc(bytes, &base, err, sizeof err) != 0) {
        CUSHIM_WARN(CPU, "device malloc heap of %zu bytes unavailable: %s", bytes, err);
        return;
    }
    cpu_arena_init(&heap_arena, base, bytes, HEAP_GRANULE);
    heap_usable = heap_arena.nfree > 0;
}

static uint64_t service_malloc(struct cushim_block_ctx *ctx, uint64_t size)
{
    (void)ctx;
    if (size == 0 || size > UINT64_MAX - HEAP_GRANULE)
        return 0;
    uint64_t slot = (size + HEAP_GRANULE - 1) / HEAP_GRANULE * HEAP_GRANULE;
    uint64_t addr = 0;
    pthread_mutex_lock(&heap_lock);
    if (!heap_created)
        create_heap();
    if (heap_usable && !cpu_arena_alloc(&heap_arena, slot, size, &addr))
        addr = 0;
    pthread_mutex_unlock(&heap_lock);
    return addr;
}

static void service_free(struct cushim_block_ctx *ctx, uint64_t ptr)
{
    if (ptr == 0)
        return;
    pthread_mutex_lock(&heap_lock);
    bool ok = heap_usable && cpu_arena_free(&heap_arena, ptr, NULL);
    pthread_mutex_unlock(&heap_lock);
    if (!ok) {
        char what[128];
        snprintf(what, sizeof what,
                 "free(0x%" PRIx64 "): not a pointer returned by device malloc (or freed twice)",
                 ptr);
        cpu_pool_fail_block(ctx, CPU_cudaErrorLaunchFailure, what);
    }
}

/* ---- assert, trap, nanosleep --------------------------------------------------------- */

static const char *text_or(uint64_t p, const char *fallback)
{
    return p ? (const char *)(uintptr_t)p : fallback;
}

static void service_assert_fail(struct cushim_block_ctx *ctx, uint64_t msg, uint64_t file,
                                uint32_t line, uint64_t func, uint64_t char_size)
{
    (void)char_size;
    char thread[48];
    cpu_thread_text(ctx, thread, sizeof thread);
    const char *message = text_or(msg, "?");
    /* Format before taking the lock: a bad string pointer faults here, and the fault
     * abandons the block, which must not leave the lock held. */
    char line_text[1024];
    snprintf(line_text, sizeof line_text,
             "%s:%u: %s: block: [%u,%u,%u], thread: %s Assertion `%s` failed.\n",
             text_or(file, "?"), line, text_or(func, "?"), ctx->ctaid[0], ctx->ctaid[1],
             ctx->ctaid[2], thread, message);
    pthread_mutex_lock(&output_lock);
    fflush(stdout);
    fflush(stderr);
    write_all(STDERR_FILENO, line_text, strlen(line_text));
    pthread_mutex_unlock(&output_lock);
    char what[512];
    snprintf(what, sizeof what, "device assertion `%.300s` failed at %.120s:%u", message,
             text_or(file, "?"), line);
    cpu_pool_fail_block(ctx, CPU_cudaErrorAssert, what);
}

static void service_fault(struct cushim_block_ctx *ctx, int32_t cuda_error, const char *what)
{
    cpu_pool_fail_block(ctx, cuda_error ? cuda_error : CPU_cudaErrorLaunchFailure,
                        what ? what : "trap");
}

static void service_nanosleep(struct cushim_block_ctx *ctx, uint32_t ns)
{
    (void)ctx;
    if (ns < 1000) {
        sched_yield();
        return;
    }
    /* __nanosleep sleeps at most about a millisecond on NVIDIA hardware. */
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ns > 1000000 ? 1000000 : (long)ns};
    nanosleep(&ts, NULL);
}

const struct cushim_rt_services cpu_services = {
    .vprintf = service_vprintf,
    .malloc = service_malloc,
    .free = service_free,
    .assert_fail = service_assert_fail,
    .fault = service_fault,
    .nanosleep = service_nanosleep,
    .tex = cpu_service_tex,
    .tex_query = cpu_service_tex_query,
    .surf_load = cpu_service_surf_load,
    .surf_store = cpu_service_surf_store,
};
