/* api_internal.h: what the generated export wrappers (api_exports.c) call around each
 * implementation: call counting, sticky-error and backend-mapping checks, the
 * unsupported path, last-error recording and the CUSHIM_TRACE tracer. */
#ifndef CUSHIM_API_INTERNAL_H
#define CUSHIM_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "shim/cuda_types.h"

#define CUSHIM_EXPORT __attribute__((visibility("default")))

/* Count one call of row `id` (relaxed atomic increment). */
void cushim__api_count(unsigned id);

/* Before an implemented call: when a sticky error is set, or the active backend maps
 * this row as unsupported, write the error to return into *r and return true. */
bool cushim__api_precheck(unsigned id, cudaError_t *r);

/* The unsupported path: log one line naming the function (once per function), count
 * it; CUSHIM_STRICT=1 aborts instead. */
void cushim__api_unsupported(unsigned id);

/* Around the implementation of a `_ptsz`/`_ptds` entry point: the default stream of
 * the call is this thread's per-thread stream. enter returns the previous setting. */
bool cushim__ptds_enter(void);
void cushim__ptds_leave(bool previous);

/* Record a failed call as this thread's last error (cudaGetLastError). */
void cushim__record_error(cudaError_t e);

/* Tracer (CUSHIM_TRACE=1): one line per call on stderr, arguments decoded. */
extern bool cushim__trace_enabled;

typedef struct cushim__tr {
    char buf[1024];
    size_t len;
    unsigned nargs;
} cushim__tr;

void cushim__tr_begin(cushim__tr *t, const char *fn);
void cushim__tr_int(cushim__tr *t, const char *name, long long v);
void cushim__tr_uint(cushim__tr *t, const char *name, unsigned long long v);
void cushim__tr_hex(cushim__tr *t, const char *name, unsigned long long v);
void cushim__tr_double(cushim__tr *t, const char *name, double v);
void cushim__tr_str(cushim__tr *t, const char *name, const char *s);
void cushim__tr_ptr(cushim__tr *t, const char *name, const void *p);
void cushim__tr_dim3(cushim__tr *t, const char *name, unsigned x, unsigned y, unsigned z);
void cushim__tr_error(cushim__tr *t, const char *name, int e);
void cushim__tr_memcpy_kind(cushim__tr *t, const char *name, int kind);
void cushim__tr_struct(cushim__tr *t, const char *name, const char *type);
/* Output parameters: the pointer, then "->value" when the call succeeded. `value_ptr`
 * for out_ptr is the pointer to the output slot, dereferenced only when non-NULL. */
void cushim__tr_out_ptr(cushim__tr *t, const char *name, const void *p, const void *value_ptr);
void cushim__tr_out_int(cushim__tr *t, const char *name, const void *p, long long v, int ok);
void cushim__tr_out_uint(cushim__tr *t, const char *name, const void *p, unsigned long long v,
                         int ok);
void cushim__tr_out_double(cushim__tr *t, const char *name, const void *p, double v, int ok);
void cushim__tr_end_error(cushim__tr *t, int e);
void cushim__tr_end_void(cushim__tr *t);
void cushim__tr_end_str(cushim__tr *t, const char *s);
void cushim__tr_end_ptr(cushim__tr *t, const void *p);
void cushim__tr_end_uint(cushim__tr *t, unsigned long long v);
void cushim__tr_end_struct(cushim__tr *t);

#endif
