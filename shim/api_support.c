/* api_support.c: the machinery every exported entry point goes through: call counters,
 * sticky-error and backend-mapping checks, the unsupported path (log once, count,
 * CUSHIM_STRICT), last-error recording, and the CUSHIM_TRACE tracer. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/api_gen.h"
#include "shim/api_internal.h"
#include "shim/api_table.h"
#include "shim/core.h"
#include "shim/log.h"

static _Atomic uint64_t call_counts[CUSHIM_API_COUNT];
static _Atomic uint64_t unsupported_count;
bool cushim__trace_enabled;
static bool strict_mode;

__attribute__((constructor)) static void api_support_setup(void)
{
    const char *t = cushim_getenv("CUSHIM_TRACE");
    cushim__trace_enabled = t && *t && strcmp(t, "0") != 0;
    const char *s = cushim_getenv("CUSHIM_STRICT");
    strict_mode = s && *s && strcmp(s, "0") != 0;
}

void cushim__api_count(unsigned id)
{
    if (id < CUSHIM_API_COUNT)
        atomic_fetch_add_explicit(&call_counts[id], 1, memory_order_relaxed);
}

uint64_t cushim_api_calls(unsigned row)
{
    return row < CUSHIM_API_COUNT ? atomic_load(&call_counts[row]) : 0;
}

uint64_t cushim_api_unsupported_calls(void) { return atomic_load(&unsupported_count); }

const char *cushim_api_status_name(cushim_api_status s)
{
    switch (s) {
    case CUSHIM_API_IMPLEMENTED: return "implemented";
    case CUSHIM_API_EMULATED: return "emulated";
    case CUSHIM_API_UNSUPPORTED: return "unsupported";
    }
    return "?";
}

int cushim_api_find(const char *name, int cuda_major)
{
    const char *node = cuda_major == 12 ? "12" : "13";
    for (unsigned i = 0; i < cushim_api_count; i++)
        if (strcmp(cushim_api_table[i].name, name) == 0 && strstr(cushim_api_table[i].nodes, node))
            return (int)i;
    return -1;
}

static const char *error_name(int e)
{
    switch (e) {
#define X(name, value, message) case value: return #name;
#include "shim/cuda_errors.def"
#undef X
    }
    return NULL;
}

void cushim__api_unsupported(unsigned id)
{
    const cushim_api_entry *e = &cushim_api_table[id];
    atomic_fetch_add_explicit(&unsupported_count, 1, memory_order_relaxed);
    if (strict_mode) {
        CUSHIM_ERROR(API, "%s is not supported (CUSHIM_STRICT=1: aborting)", e->name);
        abort();
    }
    char key[160];
    snprintf(key, sizeof key, "api:%s", e->name);
    const char *err = error_name(e->unsupported_error);
    if (e->unsupported_error && err)
        cushim_log_once(key, "%s is not supported by cushim; it returns %s", e->name, err);
    else
        cushim_log_once(key, "%s is not supported by cushim; it does nothing", e->name);
}

bool cushim__api_precheck(unsigned id, cudaError_t *r)
{
    cudaError_t sticky = cushim__sticky_error();
    if (sticky != cudaSuccess) {
        *r = sticky;
        return true;
    }
    if (cushim__ops()) {
        int col = cushim__backend_col();
        if (cushim_api_table[id].status[col] == CUSHIM_API_UNSUPPORTED) {
            cushim__api_unsupported(id);
            *r = (cudaError_t)cushim_api_table[id].unsupported_error;
            return true;
        }
    }
    return false;
}

void cushim__record_error(cudaError_t e)
{
    /* cudaErrorNotReady is a status (stream/event query), not an error. */
    if (e != cudaErrorNotReady)
        cushim__set_last_error(e);
}

/* ---- tracer ------------------------------------------------------------------------ */

static void tr_add(cushim__tr *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tr_add(cushim__tr *t, const char *fmt, ...)
{
    if (t->len >= sizeof t->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < sizeof t->buf - t->len ? (size_t)n : sizeof t->buf - 1 - t->len;
}

static void tr_arg(cushim__tr *t, const char *name)
{
    tr_add(t, "%s%s=", t->nargs++ ? ", " : "", name);
}

void cushim__tr_begin(cushim__tr *t, const char *fn)
{
    t->len = 0;
    t->nargs = 0;
    t->buf[0] = '\0';
    tr_add(t, "%s(", fn);
}

void cushim__tr_int(cushim__tr *t, const char *name, long long v) { tr_arg(t, name); tr_add(t, "%lld", v); }
void cushim__tr_uint(cushim__tr *t, const char *name, unsigned long long v) { tr_arg(t, name); tr_add(t, "%llu", v); }
void cushim__tr_hex(cushim__tr *t, const char *name, unsigned long long v) { tr_arg(t, name); tr_add(t, "0x%llx", v); }
void cushim__tr_double(cushim__tr *t, const char *name, double v) { tr_arg(t, name); tr_add(t, "%g", v); }
void cushim__tr_ptr(cushim__tr *t, const char *name, const void *p) { tr_arg(t, name); tr_add(t, "%p", p); }

void cushim__tr_str(cushim__tr *t, const char *name, const char *s)
{
    tr_arg(t, name);
    if (!s)
        tr_add(t, "NULL");
    else
        tr_add(t, "\"%.80s\"", s);
}

void cushim__tr_dim3(cushim__tr *t, const char *name, unsigned x, unsigned y, unsigned z)
{
    tr_arg(t, name);
    tr_add(t, "(%u,%u,%u)", x, y, z);
}

void cushim__tr_error(cushim__tr *t, const char *name, int e)
{
    tr_arg(t, name);
    const char *n = error_name(e);
    if (n)
        tr_add(t, "%s", n);
    else
        tr_add(t, "%d", e);
}

void cushim__tr_memcpy_kind(cushim__tr *t, const char *name, int kind)
{
    static const char *const names[] = {"cudaMemcpyHostToHost", "cudaMemcpyHostToDevice",
                                        "cudaMemcpyDeviceToHost", "cudaMemcpyDeviceToDevice",
                                        "cudaMemcpyDefault"};
    tr_arg(t, name);
    if (kind >= 0 && kind <= 4)
        tr_add(t, "%s", names[kind]);
    else
        tr_add(t, "%d", kind);
}

void cushim__tr_struct(cushim__tr *t, const char *name, const char *type)
{
    tr_arg(t, name);
    tr_add(t, "{%s}", type);
}

void cushim__tr_out_ptr(cushim__tr *t, const char *name, const void *p, const void *value_ptr)
{
    tr_arg(t, name);
    tr_add(t, "%p", p);
    if (value_ptr)
        tr_add(t, "->%p", *(void *const *)value_ptr);
}

void cushim__tr_out_int(cushim__tr *t, const char *name, const void *p, long long v, int ok)
{
    tr_arg(t, name);
    tr_add(t, "%p", p);
    if (ok && p)
        tr_add(t, "->%lld", v);
}

void cushim__tr_out_uint(cushim__tr *t, const char *name, const void *p, unsigned long long v,
                         int ok)
{
    tr_arg(t, name);
    tr_add(t, "%p", p);
    if (ok && p)
        tr_add(t, "->%llu", v);
}

void cushim__tr_out_double(cushim__tr *t, const char *name, const void *p, double v, int ok)
{
    tr_arg(t, name);
    tr_add(t, "%p", p);
    if (ok && p)
        tr_add(t, "->%g", v);
}

static void tr_emit(cushim__tr *t)
{
    fprintf(stderr, "cushim: trace: %s\n", t->buf);
}

void cushim__tr_end_error(cushim__tr *t, int e)
{
    const char *n = error_name(e);
    if (n)
        tr_add(t, ") = %s", n);
    else
        tr_add(t, ") = %d", e);
    tr_emit(t);
}

void cushim__tr_end_void(cushim__tr *t) { tr_add(t, ")"); tr_emit(t); }
void cushim__tr_end_ptr(cushim__tr *t, const void *p) { tr_add(t, ") = %p", p); tr_emit(t); }
void cushim__tr_end_uint(cushim__tr *t, unsigned long long v) { tr_add(t, ") = %llu", v); tr_emit(t); }
void cushim__tr_end_struct(cushim__tr *t) { tr_add(t, ") = {...}"); tr_emit(t); }

void cushim__tr_end_str(cushim__tr *t, const char *s)
{
    tr_add(t, ") = \"%.80s\"", s ? s : "(null)");
    tr_emit(t);
}
