/* driver_internal.h: what the files of libcuda.so.1 (shim/driver_*.c) share: the core
 * table from libcudart, error conversion, the init state, contexts and the current
 * context, handles of modules/libraries, and diagnostics. */
#ifndef CUSHIM_DRIVER_INTERNAL_H
#define CUSHIM_DRIVER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/driver_core.h"
#include "shim/driver_types.h"

#define CUSHIM_DRV_EXPORT __attribute__((visibility("default")))

/* The version cuDriverGetVersion reports (and the integrity check hashes). */
#define CUSHIM_DRV_VERSION 13000

/* libcudart's core table, checked when libcuda is loaded (driver_init.c). NULL when the
 * pair does not match: every call then fails with CUDA_ERROR_NOT_INITIALIZED. */
extern const cushim__driver_core *cushim__drv_core;

/* Diagnostics through libcudart's logger (so CUSHIM_LOG and the once-only set are one). */
void cushim__drv_log(cushim_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define DRV_ERROR(...) cushim__drv_log(CUSHIM_LOG_ERROR, __VA_ARGS__)
#define DRV_WARN(...) cushim__drv_log(CUSHIM_LOG_WARN, __VA_ARGS__)
#define DRV_DEBUG(...) cushim__drv_log(CUSHIM_LOG_DEBUG, __VA_ARGS__)
/* Print once per key. */
void cushim__drv_log_once(const char *key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The runtime's error for a core result, as the driver's CUresult. */
CUresult cushim__drv_result(cudaError_t e);

/* Every call but cuInit, cuDriverGetVersion, cuGetProcAddress, cuGetExportTable and
 * the error-name calls requires cuInit: CUDA_ERROR_NOT_INITIALIZED before it. */
CUresult cushim__drv_check_init(void);
#define DRV_REQUIRE_INIT() do { CUresult init_r_ = cushim__drv_check_init(); \
    if (init_r_ != CUDA_SUCCESS) return init_r_; } while (0)
/* A valid device ordinal (after init). */
bool cushim__drv_device_ok(CUdevice dev);

/* ---- contexts (driver_context.c) -------------------------------------------------- */
typedef struct cushim__drv_ctx cushim__drv_ctx;
/* The context handle is valid (live). */
bool cushim__drv_ctx_valid(CUcontext ctx);
int cushim__drv_ctx_device(CUcontext ctx);
/* This thread's current context, or NULL. */
CUcontext cushim__drv_ctx_current(void);
/* The device of the current context, making the core follow it; CUDA_ERROR_INVALID_CONTEXT
 * without one. */
CUresult cushim__drv_current_device(int *dev);
/* A kernel fault (illegal address, assert, trap...) leaves the context unusable: every
 * call that needs it returns that error (CUDA_ERROR_ILLEGAL_ADDRESS, _ASSERT,
 * _LAUNCH_FAILED...) until cuDevicePrimaryCtxReset / cudaDeviceReset, as in CUDA.
 * CUDA_SUCCESS when there is none. */
CUresult cushim__drv_sticky(void);
#define DRV_REQUIRE_CTX(devvar) do { DRV_REQUIRE_INIT(); \
    CUresult ctx_r_ = cushim__drv_current_device(&(devvar)); \
    if (ctx_r_ == CUDA_SUCCESS) ctx_r_ = cushim__drv_sticky(); \
    if (ctx_r_ != CUDA_SUCCESS) return ctx_r_; } while (0)
/* The same without the sticky-error check: queries of the context itself (its device,
 * flags) still answer after a fault, so the runtime can report and reset. */
#define DRV_REQUIRE_CTX_ANY(devvar) do { DRV_REQUIRE_INIT(); \
    CUresult ctx_r_ = cushim__drv_current_device(&(devvar)); \
    if (ctx_r_ != CUDA_SUCCESS) return ctx_r_; } while (0)
/* The primary context of a device (created on first request, not retained). */
CUcontext cushim__drv_primary_ctx(int dev);
/* Context-local storage (the CONTEXT_LOCAL_STORAGE export table). ctx NULL = current. */
CUresult cushim__drv_cls_put(CUcontext ctx, void *key, void *value, void *dtor);
CUresult cushim__drv_cls_delete(CUcontext ctx, void *key);
CUresult cushim__drv_cls_get(void **value, CUcontext ctx, void *key);

/* ---- per-thread default stream (the _ptds/_ptsz exports) -------------------------- */
bool cushim__drv_ptds_enter(void);
void cushim__drv_ptds_leave(bool previous);
/* The stream a handle means in this call: NULL is the per-thread stream inside a
 * _ptds/_ptsz entry point. */
cudaStream_t cushim__drv_stream(CUstream s);

/* ---- unsupported entry points (driver_proc.c) ------------------------------------- */
/* Log once naming the row's function, count it, return CUDA_ERROR_NOT_SUPPORTED;
 * CUSHIM_STRICT=1 aborts instead. */
CUresult cushim__drv_unsupported(unsigned row);
void cushim__drv_count(unsigned row);
extern bool cushim__drv_trace_enabled;
void cushim__drv_trace(unsigned row, CUresult r);

/* The generated table of exports (driver_exports.c). */
typedef struct cushim__drv_entry {
    const char *name;        /* exported symbol */
    void *fn;                /* its address */
    const char *lookups;     /* "BASE@VERSION,..." or "" */
    int per_thread;          /* row of the _ptds/_ptsz sibling, or -1 */
    int implemented;
} cushim__drv_entry;
extern const cushim__drv_entry cushim__drv_entries[];
extern const unsigned cushim__drv_entry_count;

/* The highest cudaVersion a caller passed to cuGetProcAddress: the version of the
 * CUDA runtime inside a statically linked program (for messages and reports). */
int cushim__drv_runtime_version(void);

#endif
