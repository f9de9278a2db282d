/* vendor.h: the contract between cushim's core (shim/) and a backend (vendors/NAME/).
 *
 * A backend fills one `struct cushim_vendor_ops`. The struct is versioned and
 * append-only: new members go at the end and bump CUSHIM_VENDOR_ABI_MINOR; a change
 * that breaks old backends bumps the major. The core rejects a backend whose major
 * differs or whose REQUIRED members are NULL, and says which.
 *
 * Semantics the core relies on:
 * - Every operation is synchronous: it returns when the work is done. Streams,
 *   events and asynchrony are the core's job (it runs stream work on its own threads),
 *   so a backend never needs to know about CUDA streams.
 * - Return values are cudaError_t numbers (shim/cuda_errors.def); 0 is success. When a
 *   member fails for a reason a user must see, it also writes a one-line message into
 *   the `err` buffer it was given.
 * - Device addresses (cushim_dptr) are what the program sees as device pointers. A
 *   backend must keep them stable and unique across all allocations of a device, so
 *   programs can do pointer arithmetic on the host and store pointers in device memory.
 * - Threading: members may be called from any host thread. Calls on different devices
 *   may run concurrently; calls on one device are serialised by the core EXCEPT
 *   mem_alloc/mem_free/host_ptr/device_info, which must be thread-safe on their own.
 */
#ifndef CUSHIM_VENDOR_H
#define CUSHIM_VENDOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translate/ptx_ir.h"

#define CUSHIM_VENDOR_ABI_MAJOR 1
#define CUSHIM_VENDOR_ABI_MINOR 1
#define CUSHIM_VENDOR_ABI ((CUSHIM_VENDOR_ABI_MAJOR << 16) | CUSHIM_VENDOR_ABI_MINOR)

typedef uint64_t cushim_dptr;

/* What the core needs to answer cudaGetDeviceProperties/cudaDeviceGetAttribute
 * truthfully. Limits are the ones the backend enforces. */
typedef struct cushim_device_info {
    char name[256];
    uint64_t total_mem;
    uint32_t multiprocessor_count;     /* units that run blocks in parallel */
    uint32_t max_threads_per_block;
    uint32_t max_block_dim[3];
    uint32_t max_grid_dim[3];
    uint32_t shared_mem_per_block;     /* default limit (48 KiB on NVIDIA) */
    uint32_t shared_mem_per_block_optin; /* cudaFuncSetAttribute ceiling */
    uint32_t shared_mem_per_multiprocessor;
    uint32_t max_threads_per_multiprocessor;
    uint32_t max_blocks_per_multiprocessor;
    uint32_t regs_per_block;
    uint32_t total_const_mem;
    uint32_t clock_khz;
    uint32_t memory_clock_khz;
    uint32_t memory_bus_width;
    uint32_t l2_cache_bytes;
    uint32_t cc_major, cc_minor;       /* reported compute capability */
    bool unified_addressing;           /* device pointers are valid host pointers */
    bool managed_memory;
    bool concurrent_kernels;
    bool integrated;                   /* shares memory with the host */
    int pci_bus, pci_device, pci_domain;
    uint8_t uuid[16];
    uint32_t warp_size;                /* (ABI 1.1) 32 on NVIDIA; 0 from older backends */
} cushim_device_info;

/* A module handed to a backend: linked IR plus the device addresses the core has
 * already given its module-scope variables (and filled with their initialisers). */
typedef struct cushim_module_image {
    const ptx_module *ir;
    const cushim_dptr *var_addr; /* parallel to ir->vars: address of .global/.const vars, 0 else */
    const char *label;           /* for messages: "<binary>: module 2" */
} cushim_module_image;

/* Facts about one kernel after translation. */
typedef struct cushim_kernel_info {
    uint32_t static_shared_bytes;
    uint32_t local_bytes_per_thread;
    uint32_t const_bytes;
    uint32_t num_regs;
    uint32_t max_threads_per_block;
    uint32_t param_bytes;
    /* NULL when the kernel can run; otherwise why not, naming the instruction,
     * kernel and source line. Launching such a kernel fails with this message. */
    const char *unsupported;
} cushim_kernel_info;

typedef struct cushim_launch {
    void *kernel;                  /* from kernel_get */
    uint32_t grid[3];
    uint32_t block[3];
    uint32_t dynamic_shared_bytes;
    const void *params;            /* packed in the PTX .entry parameter layout */
    uint32_t param_bytes;
    bool cooperative;
} cushim_launch;

struct cushim_vendor_ops {
    uint32_t abi_version;          /* REQUIRED: CUSHIM_VENDOR_ABI */
    const char *name;              /* REQUIRED: selection name: "cpu", "opencl" */
    const char *description;       /* REQUIRED: one line for `cushim backends` */

    /* REQUIRED. First call; once. Sets *device_count (0 is allowed: the backend is
     * present but has no device). */
    int (*init)(int *device_count, char *err, size_t errlen);
    /* OPTIONAL. Last call, at process exit. */
    void (*shutdown)(void);
    /* REQUIRED. */
    int (*device_info)(int dev, cushim_device_info *out);

    /* REQUIRED. Memory. mem_alloc of 0 bytes is never called. */
    int (*mem_alloc)(int dev, size_t bytes, cushim_dptr *out, char *err, size_t errlen);
    int (*mem_free)(int dev, cushim_dptr p);
    int (*memcpy_htod)(int dev, cushim_dptr dst, const void *src, size_t n);
    int (*memcpy_dtoh)(int dev, void *dst, cushim_dptr src, size_t n);
    int (*memcpy_dtod)(int dev, cushim_dptr dst, cushim_dptr src, size_t n);
    int (*memset_d8)(int dev, cushim_dptr dst, uint8_t value, size_t n);
    /* OPTIONAL. When device memory is host memory (cpu), the host pointer for a device
     * address; the core then lets the host touch it directly (managed memory). */
    void *(*host_ptr)(int dev, cushim_dptr p);

    /* REQUIRED. Modules: translate the IR for this device. Kernels the backend cannot
     * translate do not fail the load; kernel_get reports them in info->unsupported. */
    int (*module_load)(int dev, const cushim_module_image *img, void **module,
                       char *err, size_t errlen);
    void (*module_unload)(int dev, void *module);
    int (*kernel_get)(void *module, const char *name, void **kernel, cushim_kernel_info *info);

    /* REQUIRED. Run a kernel to completion. A fault inside the kernel returns the CUDA
     * error it maps to (cudaErrorIllegalAddress, cudaErrorAssert, cudaErrorLaunchFailure)
     * with the details in err. */
    int (*launch)(int dev, const cushim_launch *l, char *err, size_t errlen);
};

/* The backends built into the library, NULL-terminated, in preference order. */
extern const struct cushim_vendor_ops *const cushim_builtin_vendors[];

/* Check an ops struct: ABI major and REQUIRED members. Returns NULL when usable, else
 * a static message naming what is wrong. */
const char *cushim_vendor_validate(const struct cushim_vendor_ops *ops);

#endif
