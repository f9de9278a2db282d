/* driver_core.h: the interface between libcudart.so.13 (which owns the one core state:
 * devices, memory, modules, streams, events) and libcuda.so.1 (the driver API, a thin
 * library that NEEDs libcudart). libcudart exports one read-only table of core entry
 * points, `cushim__driver_core_v1`, under the private version node CUSHIM_PRIVATE_1;
 * libcuda reads it at load time, checks its version and size, and calls nothing else
 * of libcudart. Why a table rather than many exported names: the core is compiled
 * with hidden visibility, one versioned data symbol keeps the exported set of
 * libcudart unchanged (tests/e2e/exports.sh) and a mismatched pair of libraries is
 * caught by one check instead of a missing-symbol failure. docs/static-binaries.md.
 *
 * Append-only: new members go at the end (libcuda checks `size`); changing a member
 * bumps CUSHIM_DRIVER_CORE_VERSION and the symbol's name. */
#ifndef CUSHIM_DRIVER_CORE_H
#define CUSHIM_DRIVER_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/core.h"
#include "shim/cuda_types.h"
#include "shim/log.h"

#define CUSHIM_DRIVER_CORE_VERSION 1

typedef struct cushim__driver_core {
    uint32_t version;  /* CUSHIM_DRIVER_CORE_VERSION */
    uint32_t size;     /* sizeof (struct cushim__driver_core) libcudart was built with */

    /* diagnostics (shim/log.h) */
    bool (*log_enabled)(cushim_log_level level, cushim_log_cat cat);
    void (*vlog)(cushim_log_level level, cushim_log_cat cat, const char *fmt, va_list ap);
    void (*log_once)(const char *key, const char *fmt, ...);
    const char *(*getenv)(const char *name);

    /* devices (core.c, api_device.c) */
    cudaError_t (*init)(void);
    int (*device_count)(void);
    const cushim_device_info *(*device_info)(int dev);
    cudaError_t (*set_current_device)(int dev);
    cudaError_t (*device_attribute)(int *value, enum cudaDeviceAttr attr, int dev);
    cudaError_t (*device_synchronize)(void);       /* the current device */
    cudaError_t (*device_reset)(void);             /* the current device */
    const char *(*error_name)(cudaError_t e);
    const char *(*error_string)(cudaError_t e);

    /* memory (api_memory.c, core_mem.c) */
    cudaError_t (*malloc)(void **p, size_t size);
    cudaError_t (*malloc_managed)(void **p, size_t size, unsigned flags);
    cudaError_t (*free)(void *p);
    cudaError_t (*host_alloc)(void **p, size_t size, unsigned flags);
    cudaError_t (*free_host)(void *p);
    cudaError_t (*host_register)(void *p, size_t size, unsigned flags);
    cudaError_t (*host_unregister)(void *p);
    cudaError_t (*host_get_device_pointer)(void **dev, void *host, unsigned flags);
    cudaError_t (*mem_get_info)(size_t *free, size_t *total);
    cudaError_t (*memcpy)(void *dst, const void *src, size_t n, enum cudaMemcpyKind kind);
    cudaError_t (*memcpy_async)(void *dst, const void *src, size_t n, enum cudaMemcpyKind kind,
                                cudaStream_t s);
    cudaError_t (*memset)(void *dst, int value, size_t n);
    cudaError_t (*memset_async)(void *dst, int value, size_t n, cudaStream_t s);
    bool (*alloc_find)(uintptr_t p, cushim__alloc *out);

    /* modules and kernels (core_module.c) */
    void **(*fatbin_register)(const void *wrapper);
    void (*fatbin_unregister)(void **handle);
    cudaError_t (*fatbin_load)(void **handle, int dev);
    cudaError_t (*fatbin_kernel)(void **handle, const char *name, int dev, cushim__kernel **out);
    cudaError_t (*fatbin_global)(void **handle, const char *name, int dev, cushim_dptr *addr,
                                 size_t *size);
    bool (*kernel_valid)(const cushim__kernel *k);
    const char *(*kernel_name)(const cushim__kernel *k);
    cudaError_t (*kernel_resolve)(cushim__kernel *k, int dev, void **backend_kernel,
                                  cushim_kernel_info *info, const ptx_function **fn,
                                  uint32_t *ptx_version);
    cushim__kernel_attrs *(*kernel_attrs)(cushim__kernel *k);
    cudaError_t (*launch)(cushim__kernel *k, dim3 grid, dim3 block, void **args, size_t shmem,
                          cudaStream_t stream, bool cooperative);

    /* streams and events (api_stream.c) */
    cudaError_t (*stream_create)(cudaStream_t *s, unsigned flags, int priority);
    cudaError_t (*stream_destroy)(cudaStream_t s);
    cudaError_t (*stream_synchronize)(cudaStream_t s);
    cudaError_t (*stream_query)(cudaStream_t s);
    cudaError_t (*stream_wait_event)(cudaStream_t s, cudaEvent_t e, unsigned flags);
    cudaError_t (*stream_get_flags)(cudaStream_t s, unsigned *flags);
    cudaError_t (*stream_get_priority)(cudaStream_t s, int *priority);
    cudaError_t (*stream_add_callback)(cudaStream_t s, cudaStreamCallback_t fn, void *data,
                                       unsigned flags);
    cudaError_t (*launch_host_func)(cudaStream_t s, cudaHostFn_t fn, void *data);
    cudaError_t (*event_create)(cudaEvent_t *e, unsigned flags);
    cudaError_t (*event_destroy)(cudaEvent_t e);
    cudaError_t (*event_record)(cudaEvent_t e, cudaStream_t s);
    cudaError_t (*event_record_with_flags)(cudaEvent_t e, cudaStream_t s, unsigned flags);
    cudaError_t (*event_synchronize)(cudaEvent_t e);
    cudaError_t (*event_query)(cudaEvent_t e);
    cudaError_t (*event_elapsed_time)(float *ms, cudaEvent_t start, cudaEvent_t end);

    /* device limits of the current device (api_device.c): cuCtxGetLimit/SetLimit share
     * cudaDeviceGetLimit/SetLimit's values and checks (CUlimit numbers are cudaLimit's) */
    cudaError_t (*device_get_limit)(size_t *value, enum cudaLimit limit);
    cudaError_t (*device_set_limit)(enum cudaLimit limit, size_t value);

    /* the sticky error a kernel fault left (core.c): cudaSuccess when none; cleared by
     * device_reset. Driver calls on a context return it, as the runtime's calls do. */
    cudaError_t (*sticky_error)(void);

    /* stream capture and graphs (api_graph.c): CUgraph/CUgraphExec/CUgraphNode are the
     * runtime's cudaGraph_t/cudaGraphExec_t/cudaGraphNode_t, the enumerations share
     * their numbers */
    cudaError_t (*stream_begin_capture)(cudaStream_t s, enum cudaStreamCaptureMode mode);
    cudaError_t (*stream_end_capture)(cudaStream_t s, cudaGraph_t *graph);
    cudaError_t (*stream_capture_info)(cudaStream_t s, enum cudaStreamCaptureStatus *status,
                                       unsigned long long *id, cudaGraph_t *graph,
                                       const cudaGraphNode_t **deps,
                                       const cudaGraphEdgeData **edge_data, size_t *ndeps);
    cudaError_t (*graph_instantiate)(cudaGraphExec_t *exec, cudaGraph_t graph,
                                     unsigned long long flags);
    cudaError_t (*graph_launch)(cudaGraphExec_t exec, cudaStream_t s);
    cudaError_t (*graph_exec_destroy)(cudaGraphExec_t exec);
    cudaError_t (*graph_destroy)(cudaGraph_t graph);
} cushim__driver_core;

/* Defined in shim/driver_core.c (part of libcudart). */
extern const cushim__driver_core cushim__driver_core_v1;

#endif
