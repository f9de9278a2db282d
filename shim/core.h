/* core.h: the shim's core state: backend selection and lazy initialisation, devices,
 * per-thread current device and last error, sticky and pending kernel faults, device
 * allocations, registered fatbins / modules / kernels / variables, streams and events.
 * The exported API (api_*.c) is a thin layer of argument checks over these. */
#ifndef CUSHIM_CORE_H
#define CUSHIM_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/cuda_types.h"
#include "vendors/vendor.h"

/* ---- backend and devices (core.c) ------------------------------------------------ */

/* Initialise on first use (backend from CUSHIM_BACKEND, default cpu; default device
 * from CUSHIM_DEVICE). Returns cudaSuccess or the error every call then reports
 * (cudaErrorNoDevice for an unknown backend or no device), with one message logged. */
cudaError_t cushim__init(void);
/* The backend in use (NULL before a successful init). */
const struct cushim_vendor_ops *cushim__ops(void);
int cushim__device_count(void);
/* Device info of a valid device index (cached at init). */
const cushim_device_info *cushim__device_info(int dev);
/* Which table column the active backend follows (CUSHIM_API_COL_*). */
int cushim__backend_col(void);

/* This thread's current device: initialises; cudaSuccess or the init error. */
cudaError_t cushim__current_device(int *dev);
cudaError_t cushim__set_current_device(int dev);

/* Per-device settings the API reads and writes. */
typedef struct cushim__device_state {
    unsigned flags;                 /* cudaSetDeviceFlags */
    size_t limits[8];               /* cudaLimit values */
    int cache_config;               /* cudaFuncCache */
    int shmem_config;               /* cudaSharedMemConfig */
} cushim__device_state;
cushim__device_state *cushim__device_state_of(int dev);
/* CUDA's default cudaLimit values (api_device.c): at init and cudaDeviceReset. */
void cushim__limits_default(size_t limits[8]);

/* ---- errors (core.c) --------------------------------------------------------------- */
cudaError_t cushim__last_error(bool reset);
void cushim__set_last_error(cudaError_t e);
/* Sticky error (0 when none): every later call returns it until cudaDeviceReset. */
cudaError_t cushim__sticky_error(void);
/* A kernel fault: kept pending and reported by the next synchronising call, from which
 * point it is sticky. The message is printed when the fault is recorded. */
void cushim__kernel_fault(cudaError_t e, const char *msg);
/* A synchronising call: flush device printf output, turn a pending fault into the
 * sticky error and return it (cudaSuccess when none). */
cudaError_t cushim__sync_point(void);
/* The pending (not yet reported) kernel fault, cudaSuccess when none. */
cudaError_t cushim__pending_fault(void);
/* Whether a backend launch result is a kernel fault (sticky once reported). */
bool cushim__is_kernel_fault(int rc);
/* cudaDeviceReset: clear sticky/pending errors, free the device's allocations, etc. */
void cushim__reset_errors(void);

/* ---- allocations (core_mem.c) --------------------------------------------------------- */
typedef enum cushim__mem_kind {
    CUSHIM_MEM_DEVICE = 1,   /* cudaMalloc */
    CUSHIM_MEM_MANAGED,      /* cudaMallocManaged: device memory the host can touch */
    CUSHIM_MEM_HOST,         /* cudaMallocHost / cudaHostAlloc: pinned host memory */
    CUSHIM_MEM_REGISTERED,   /* cudaHostRegister */
    CUSHIM_MEM_SYMBOL,       /* a module variable's device storage */
} cushim__mem_kind;

typedef struct cushim__alloc {
    uintptr_t base;          /* the address the program sees */
    size_t size;
    cushim__mem_kind kind;
    int device;
    unsigned flags;
    void *host;              /* host view (host, registered, managed on a unified backend) */
} cushim__alloc;

/* Add/remove an allocation record. find: the record containing [p, p+1) or NULL;
 * the copy is made under the lock, so it stays valid after a concurrent free. */
cudaError_t cushim__alloc_add(const cushim__alloc *a);
bool cushim__alloc_remove(uintptr_t base, cushim__mem_kind kind_mask_bits, cushim__alloc *out);
bool cushim__alloc_find(uintptr_t p, cushim__alloc *out);
/* Free every allocation of a device (cudaDeviceReset). */
void cushim__alloc_release_device(int dev);
#define CUSHIM_MEM_BIT(k) (1u << (k))

/* Device memory through the backend, with the table kept up to date. */
cudaError_t cushim__dev_alloc(int dev, size_t bytes, cushim__mem_kind kind, cushim_dptr *out);
cudaError_t cushim__dev_free(int dev, cushim_dptr p);
/* Copy with pointers resolved through the allocation table (kind is a cudaMemcpyKind
 * already range-checked). Bounds are checked against the allocations involved. */
cudaError_t cushim__copy(void *dst, const void *src, size_t n, int kind);
cudaError_t cushim__fill(void *dst, int value, size_t n);
/* Check a copy before it is queued: both ranges (spans in bytes) inside the
 * allocations they start in, device sides where the kind says so. *pageable: a host
 * side is ordinary (not pinned, registered or managed) memory; *device: a side is
 * device (or managed) memory. */
cudaError_t cushim__copy_check(const void *dst, size_t dspan, const void *src, size_t sspan,
                               int kind, bool *pageable, bool *device);
cudaError_t cushim__fill_check(const void *dst, size_t span);
/* Bytes allocated through the backend, for cudaMemGetInfo. */
uint64_t cushim__bytes_allocated(int dev);

/* ---- modules, kernels, variables (core_module.c) --------------------------------- */
typedef struct cushim__kernel cushim__kernel;
typedef struct cushim__fatbin cushim__fatbin;

/* Registration (called from program constructors: no backend needed). */
void **cushim__fatbin_register(const void *wrapper);
void cushim__fatbin_register_end(void **handle);
void cushim__fatbin_unregister(void **handle);
void cushim__function_register(void **handle, const void *host_fun, const char *device_name);
void cushim__var_register(void **handle, void *host_var, const char *device_name, size_t size,
                          bool constant, void **managed_slot);
/* __cudaInitModule: loads the module now when it has managed variables. */
bool cushim__fatbin_init_module(void **handle);

/* Kernel lookup: by the host stub address, and validation of a cudaKernel_t. */
cushim__kernel *cushim__kernel_by_host_fun(const void *host_fun);
bool cushim__kernel_valid(const cushim__kernel *k);
const char *cushim__kernel_name(const cushim__kernel *k);

/* Resolve a kernel for a device: the module is loaded on first use. On failure returns
 * the CUDA error and has logged a message naming the kernel. */
cudaError_t cushim__kernel_resolve(cushim__kernel *k, int dev, void **backend_kernel,
                                   cushim_kernel_info *info, const ptx_function **fn,
                                   uint32_t *ptx_version);

/* Per-kernel attributes set by cudaFuncSetAttribute. */
typedef struct cushim__kernel_attrs {
    int max_dynamic_shared;  /* -1: not set (default limit applies) */
    int preferred_carveout;
    int cache_config;
} cushim__kernel_attrs;
cushim__kernel_attrs *cushim__kernel_attrs_of(cushim__kernel *k);

/* Launch a kernel (validates the configuration, packs the arguments, runs it). */
cudaError_t cushim__launch(cushim__kernel *k, dim3 grid, dim3 block, void **args,
                           size_t shmem, cudaStream_t stream, bool cooperative);

/* Symbols: resolve a registered host shadow (the `symbol` argument of
 * cudaMemcpyToSymbol etc.) to its device address and size on the current device. */
cudaError_t cushim__symbol_resolve(const void *symbol, int dev, cushim_dptr *addr, size_t *size);

/* The driver API (shim/driver_*.c) names modules by handle and kernels and variables
 * by name. fatbin_load: load the module on dev now (cuModuleLoadData is eager).
 * fatbin_kernel: the kernel `name` of a registered fatbin (a handle without a host
 * stub is made on first request); cudaErrorSymbolNotFound when its PTX has no such
 * .entry, without logging (a miss is an answer). fatbin_global: a .global/.const
 * variable's device address and size; cudaErrorSymbolNotFound when absent. Load
 * failures return the module's load error, logged once. */
cudaError_t cushim__fatbin_load(void **handle, int dev);
cudaError_t cushim__fatbin_kernel(void **handle, const char *name, int dev, cushim__kernel **out);
cudaError_t cushim__fatbin_global(void **handle, const char *name, int dev, cushim_dptr *addr,
                                  size_t *size);

/* ---- launch configuration stack (per host thread; core_module.c) ------------------- */
void cushim__config_push(dim3 grid, dim3 block, size_t shmem, cudaStream_t stream);
bool cushim__config_pop(dim3 *grid, dim3 *block, size_t *shmem, cudaStream_t *stream);

/* ---- streams and events (api_stream.c) ------------------------------------------- */
/* Validate a stream handle (NULL, cudaStreamLegacy, cudaStreamPerThread, or a live
 * stream); cudaErrorInvalidResourceHandle otherwise. */
cudaError_t cushim__stream_check(cudaStream_t s);

/* ---- asynchronous work on streams (core_stream.c) --------------------------------
 * Every operation a program orders on a stream (kernel, copy, fill, host function,
 * event record/wait, stream-ordered free) is a work item. Each stream has a FIFO queue
 * run by its own worker thread; the legacy default stream synchronises with blocking
 * streams as CUDA documents; a capturing stream turns work into graph nodes instead. */
typedef enum cushim__work_kind {
    CUSHIM_WORK_NOP = 0,       /* graph empty nodes */
    CUSHIM_WORK_KERNEL,
    CUSHIM_WORK_COPY,          /* 1D, 2D or 3D (pitched) copy */
    CUSHIM_WORK_FILL,          /* 1D, 2D or 3D (pitched) byte fill */
    CUSHIM_WORK_HOST_FN,       /* cudaLaunchHostFunc */
    CUSHIM_WORK_CALLBACK,      /* cudaStreamAddCallback */
    CUSHIM_WORK_EVENT_RECORD,
    CUSHIM_WORK_EVENT_WAIT,
    CUSHIM_WORK_FREE,          /* cudaFreeAsync */
} cushim__work_kind;

typedef struct cushim__work {
    cushim__work_kind kind;
    union {
        struct {
            cushim__kernel *kernel;   /* for messages and graph node queries */
            void *backend_kernel;
            unsigned char *params;    /* packed; owned (malloc) */
            uint32_t param_bytes;
            dim3 grid, block;
            uint32_t shmem;
            bool cooperative;
        } kernel;
        struct {   /* rows of `width` bytes, `height` rows per slice, `depth` slices */
            void *dst;
            const void *src;
            size_t width, height, depth;
            size_t dpitch, spitch, dslice, sslice;
            int kind;                 /* cudaMemcpyKind, already validated */
        } copy;
        struct {
            void *dst;
            int value;
            size_t width, height, depth, pitch, slice;
        } fill;
        struct { cudaHostFn_t fn; void *data; } host;
        struct { cudaStreamCallback_t fn; void *data; cudaStream_t stream; } callback;
        struct { cudaEvent_t event; } event;   /* handle, checked by the submitter */
        struct { void *ptr; } free;
    } u;
} cushim__work;

/* Submit work to a stream handle (NULL, cudaStreamLegacy, cudaStreamPerThread or a
 * stream). Ownership of the work's resources passes to the engine, also on failure.
 * CUSHIM_SUBMIT_WAIT: return when the work has run, with its result (a synchronous
 * call); without it, errors met while running are reported at the next synchronising
 * call. Unknown stream -> cudaErrorInvalidResourceHandle; an event handle that is not
 * an event -> cudaErrorInvalidResourceHandle. */
#define CUSHIM_SUBMIT_WAIT 1u
cudaError_t cushim__submit(cudaStream_t stream, cushim__work *w, unsigned flags);
void cushim__work_release(cushim__work *w);
/* Wait until the work submitted so far to a stream (the legacy stream: and to every
 * blocking stream of its device) has run; then the sync point's error. */
cudaError_t cushim__stream_wait(cudaStream_t s);
/* cudaDeviceSynchronize: every stream of the device. */
cudaError_t cushim__device_wait(int dev);
/* Wait for every stream of every device (exit, module unload, device reset). */
void cushim__drain_all(void);
/* The stream a NULL handle means in this call: cudaStreamPerThread inside a
 * `_ptsz`/`_ptds` entry point, else the handle itself. */
cudaStream_t cushim__ptsz(cudaStream_t s);
/* True on a stream worker thread (host functions, callbacks): CUDA calls that would
 * wait for streams return cudaErrorNotPermitted there instead of deadlocking. */
bool cushim__in_stream_worker(void);
/* Serialises backend calls on one device (vendor.h's contract); recursive. */
void cushim__dev_lock(int dev);
void cushim__dev_unlock(int dev);
/* A non-sticky error found while running asynchronous work (not a kernel fault):
 * reported once by the next synchronising call. */
void cushim__async_error(cudaError_t e);
/* Validate a launch and turn it into a work item (kernel resolved on `dev`, arguments
 * packed). Launch errors as cushim__launch returns them. */
cudaError_t cushim__launch_prepare(cushim__kernel *k, int dev, dim3 grid, dim3 block,
                                   void **args, size_t shmem, bool cooperative,
                                   cushim__work *out);

/* Monotonic time in nanoseconds. */
uint64_t cushim__now_ns(void);

#endif
