/* ocl_backend.c: the opencl backend: runs kernels on any OpenCL 1.2+ device through the
 * ICD loader, opened with dlopen at init (no OpenCL installed: the backend reports no
 * device and says why). Device memory is one arena buffer per device; device addresses
 * are GOCL_ARENA_BASE + offset into it (translate/gen_ocl.h). Kernels are translated to
 * OpenCL C one by one on their first kernel_get (docs/opencl-backend.md). */
#include "config.h"

#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include "vendors/opencl/opencl.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/log.h"
#include "translate/gen_ocl.h"
#include "vendors/opencl/ocl_cache.h"

enum ocl_cuda_error {
#define X(name, value, message) OCL_##name = value,
#include "shim/cuda_errors.def"
#undef X
};

/* ---- the ICD loader, opened at run time ------------------------------------------------- */

#define OCL_API_LIST(X) \
    X(clGetPlatformIDs) X(clGetPlatformInfo) X(clGetDeviceIDs) X(clGetDeviceInfo) \
    X(clCreateContext) X(clReleaseContext) X(clCreateCommandQueue) \
    X(clReleaseCommandQueue) X(clCreateBuffer) X(clReleaseMemObject) \
    X(clEnqueueReadBuffer) X(clEnqueueWriteBuffer) X(clEnqueueCopyBuffer) \
    X(clEnqueueFillBuffer) X(clFinish) X(clCreateProgramWithSource) X(clBuildProgram) \
    X(clGetProgramBuildInfo) X(clReleaseProgram) X(clCreateKernel) X(clReleaseKernel) \
    X(clSetKernelArg) X(clEnqueueNDRangeKernel) X(clGetKernelWorkGroupInfo) \
    X(clCreateProgramWithBinary) X(clGetProgramInfo)

static struct {
#define X(fn) __typeof__(&fn) fn;
    OCL_API_LIST(X)
#undef X
} cl;

/* ---- devices ------------------------------------------------------------------------------ */

typedef struct ocl_extent {
    uint64_t offset, len;
} ocl_extent;

typedef struct ocl_device {
    cl_platform_id platform;
    cl_device_id id;
    cushim_device_info info;
    bool fp64, int64_atomics, int64_extended_atomics, correct_div_sqrt;
    char driver_version[128], device_version[128]; /* part of the program cache key */
    uint64_t max_alloc, arena_bytes;
    pthread_mutex_t lock;        /* everything below */
    bool opened;
    cl_context ctx;
    cl_command_queue queue;
    cl_mem arena;
    ocl_extent *live;            /* sorted by offset */
    size_t nlive, cap_live;
} ocl_device;

static ocl_device *devices;
static int ndevices;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static char init_error[512];
static void *icd_handle;

#define OCL_GRANULE 256u

typedef struct ocl_kernel {
    int dev;
    cl_program program;
    cl_kernel kernel;
    gocl_kernel_facts facts;
    char *unsupported;           /* why it cannot run, or NULL */
    char *name;
    struct ocl_kernel *next;
} ocl_kernel;

typedef struct ocl_module {
    int dev;
    const ptx_module *ir;
    uint64_t *var_addr;
    char label[200];
    pthread_mutex_t lock;
    ocl_kernel *kernels;
} ocl_module;

static const char *cl_error_name(cl_int e)
{
    switch (e) {
    case CL_SUCCESS: return "CL_SUCCESS";
    case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND";
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE";
    case CL_INVALID_VALUE: return "CL_INVALID_VALUE";
    case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE";
    case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS";
    case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE";
    case CL_INVALID_WORK_ITEM_SIZE: return "CL_INVALID_WORK_ITEM_SIZE";
    case CL_INVALID_GLOBAL_WORK_SIZE: return "CL_INVALID_GLOBAL_WORK_SIZE";
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL platform installed)";
    default: return "an OpenCL error";
    }
}

static bool has_extension(const char *list, const char *ext)
{
    size_t n = strlen(ext);
    for (const char *p = list; p && (p = strstr(p, ext)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

static void fill_info(ocl_device *d)
{
    char name[160] = "?", platform[96] = "?", ext[8192] = "";
    cl.clGetDeviceInfo(d->id, CL_DEVICE_NAME, sizeof name, name, NULL);
    cl.clGetPlatformInfo(d->platform, CL_PLATFORM_NAME, sizeof platform, platform, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_EXTENSIONS, sizeof ext, ext, NULL);
    cl.clGetDeviceInfo(d->id, CL_DRIVER_VERSION, sizeof d->driver_version, d->driver_version, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_VERSION, sizeof d->device_version, d->device_version, NULL);
    cl_ulong global_mem = 0, max_alloc = 0, local_mem = 0, cache = 0, const_mem = 0;
    cl_uint units = 1, clock = 0, addr_bits = 64;
    size_t wg = 1, items[3] = {1, 1, 1};
    cl_bool unified = CL_FALSE;
    cl.clGetDeviceInfo(d->id, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global_mem, &global_mem, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local_mem, &local_mem, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, sizeof cache, &cache, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_MAX_CONSTANT_BUFFER_SIZE, sizeof const_mem, &const_mem, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof clock, &clock, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_ADDRESS_BITS, sizeof addr_bits, &addr_bits, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof items, items, NULL);
    cl.clGetDeviceInfo(d->id, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL);
    cl_device_fp_config fp32 = 0;
    cl.clGetDeviceInfo(d->id, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp32, &fp32, NULL);
    d->correct_div_sqrt = (fp32 & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
    d->fp64 = has_extension(ext, "cl_khr_fp64");
    d->int64_atomics = has_extension(ext, "cl_khr_int64_base_atomics");
    d->int64_extended_atomics = has_extension(ext, "cl_khr_int64_extended_atomics");
    d->max_alloc = max_alloc;
    /* A quarter of the device's memory, in one buffer: OpenCL 1.2 caps one buffer at
     * CL_DEVICE_MAX_MEM_ALLOC_SIZE. */
    uint64_t arena = global_mem / 4;
    if (arena > max_alloc)
        arena = max_alloc;
    arena &= ~(uint64_t)(OCL_GRANULE - 1);
    d->arena_bytes = arena;

    cushim_device_info *i = &d->info;
    memset(i, 0, sizeof *i);
    snprintf(i->name, sizeof i->name, "cushim OpenCL: %s (%s)", name, platform);
    i->total_mem = arena > GOCL_ARENA_RESERVED ? arena - GOCL_ARENA_RESERVED : 0;
    i->multiprocessor_count = units ? units : 1;
    uint32_t max_threads = wg > 1024 ? 1024 : (uint32_t)wg;
    i->max_threads_per_block = max_threads;
    /* CUDA's own limits (1024, 1024, 64) where the device allows more: programs test
     * them. */
    static const uint32_t cuda_block_dim[3] = {1024, 1024, 64};
    for (int k = 0; k < 3; k++) {
        uint32_t lim = cuda_block_dim[k] < max_threads ? cuda_block_dim[k] : max_threads;
        i->max_block_dim[k] = items[k] < lim ? (uint32_t)items[k] : lim;
    }
    i->max_grid_dim[0] = 0x7fffffff;
    i->max_grid_dim[1] = 65535;
    i->max_grid_dim[2] = 65535;
    uint32_t smem = local_mem > 48u * 1024u ? 48u * 1024u : (uint32_t)local_mem;
    i->shared_mem_per_block = smem;
    i->shared_mem_per_block_optin = local_mem > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)local_mem;
    i->shared_mem_per_multiprocessor = i->shared_mem_per_block_optin;
    i->max_threads_per_multiprocessor = max_threads * 2;
    i->max_blocks_per_multiprocessor = 32;
    i->regs_per_block = 65536;
    i->total_const_mem = const_mem > 65536 ? 65536 : (uint32_t)const_mem;
    i->clock_khz = clock ? clock * 1000u : 1000000u;
    i->memory_clock_khz = 1600000;
    i->memory_bus_width = 128;
    i->l2_cache_bytes = cache > UINT32_MAX ? UINT32_MAX : (uint32_t)cache;
    i->cc_major = 7;
    i->cc_minor = 5;
    i->unified_addressing = true; /* device addresses are unique across the arena */
    i->managed_memory = false;
    i->concurrent_kernels = false;
    i->integrated = unified == CL_TRUE;
    i->warp_size = 32;
    snprintf((char *)i->uuid, sizeof i->uuid, "ocl%.12s", name);
}

static void init_once_fn(void)
{
    icd_handle = dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!icd_handle) {
        snprintf(init_error, sizeof init_error, "no OpenCL ICD loader (libOpenCL.so.1): %s",
                 dlerror());
        return;
    }
#define X(fn) \
    if (!(*(void **)&cl.fn = dlsym(icd_handle, #fn))) { \
        snprintf(init_error, sizeof init_error, "the OpenCL ICD loader lacks " #fn); \
        return; \
    }
    OCL_API_LIST(X)
#undef X
    cl_uint nplat = 0;
    cl_int rc = cl.clGetPlatformIDs(0, NULL, &nplat);
    if (rc != CL_SUCCESS || nplat == 0) {
        snprintf(init_error, sizeof init_error, "no OpenCL platform (%s)",
                 rc == CL_SUCCESS ? "none installed" : cl_error_name(rc));
        return;
    }
    cl_platform_id *plats = calloc(nplat, sizeof *plats);
    if (!plats || cl.clGetPlatformIDs(nplat, plats, NULL) != CL_SUCCESS) {
        free(plats);
        snprintf(init_error, sizeof init_error, "cannot list the OpenCL platforms");
        return;
    }
    for (cl_uint p = 0; p < nplat; p++) {
        cl_uint ndev = 0;
        if (cl.clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &ndev) != CL_SUCCESS || !ndev)
            continue;
        cl_device_id *ids = calloc(ndev, sizeof *ids);
        ocl_device *grown = realloc(devices, (size_t)(ndevices + (int)ndev) * sizeof *devices);
        if (!ids || !grown) {
            free(ids);
            if (grown)
                devices = grown;
            break;
        }
        devices = grown;
        if (cl.clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, ndev, ids, NULL) == CL_SUCCESS) {
            for (cl_uint k = 0; k < ndev; k++) {
                ocl_device *d = &devices[ndevices];
                memset(d, 0, sizeof *d);
                d->platform = plats[p];
                d->id = ids[k];
                pthread_mutex_init(&d->lock, NULL);
                fill_info(d);
                if (d->arena_bytes <= GOCL_ARENA_RESERVED)
                    continue;
                ndevices++;
            }
        }
        free(ids);
    }
    free(plats);
    if (!ndevices)
        snprintf(init_error, sizeof init_error, "no usable OpenCL device");
}

static int ocl_init(int *device_count, char *err, size_t errlen)
{
    pthread_once(&init_once, init_once_fn);
    *device_count = ndevices;
    if (!ndevices && err && errlen)
        snprintf(err, errlen, "%s", init_error);
    /* No device is not a failure: the backend is present, `cushim backends` says why. */
    if (!ndevices)
        CUSHIM_INFO(OPENCL, "opencl backend: %s", init_error);
    return 0;
}

static ocl_device *device_at(int dev)
{
    return dev >= 0 && dev < ndevices ? &devices[dev] : NULL;
}

/* Create the context, queue and arena on first use. Caller holds d->lock. */
static int device_open(ocl_device *d, char *err, size_t errlen)
{
    if (d->opened)
        return 0;
    cl_int rc = CL_SUCCESS;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)d->platform, 0};
    d->ctx = cl.clCreateContext(props, 1, &d->id, NULL, NULL, &rc);
    if (d->ctx)
        d->queue = cl.clCreateCommandQueue(d->ctx, d->id, 0, &rc);
    if (d->queue)
        d->arena = cl.clCreateBuffer(d->ctx, CL_MEM_READ_WRITE, d->arena_bytes, NULL, &rc);
    if (d->arena) {
        static const uint8_t zero[GOCL_ARENA_RESERVED];
        rc = cl.clEnqueueWriteBuffer(d->queue, d->arena, CL_TRUE, 0, sizeof zero, zero, 0,
                                     NULL, NULL);
    }
    if (!d->arena || rc != CL_SUCCESS) {
        if (err && errlen)
            snprintf(err, errlen, "cannot set up OpenCL device %s with a %" PRIu64 "-byte arena: "
                     "%s", d->info.name, d->arena_bytes, cl_error_name(rc));
        if (d->arena)
            cl.clReleaseMemObject(d->arena);
        if (d->queue)
            cl.clReleaseCommandQueue(d->queue);
        if (d->ctx)
            cl.clReleaseContext(d->ctx);
        d->arena = NULL;
        d->queue = NULL;
        d->ctx = NULL;
        return OCL_cudaErrorInitializationError;
    }
    d->opened = true;
    return 0;
}

static int device_ready(int dev, ocl_device **out, char *err, size_t errlen)
{
    ocl_device *d = device_at(dev);
    if (!d)
        return OCL_cudaErrorInvalidDevice;
    pthread_mutex_lock(&d->lock);
    int rc = device_open(d, err, errlen);
    pthread_mutex_unlock(&d->lock);
    *out = d;
    return rc;
}

static void ocl_shutdown(void)
{
    for (int i = 0; i < ndevices; i++) {
        ocl_device *d = &devices[i];
        if (!d->opened)
            continue;
        cl.clFinish(d->queue);
        cl.clReleaseMemObject(d->arena);
        cl.clReleaseCommandQueue(d->queue);
        cl.clReleaseContext(d->ctx);
        d->opened = false;
    }
}

static int ocl_device_info(int dev, cushim_device_info *out)
{
    ocl_device *d = device_at(dev);
    if (!d)
        return OCL_cudaErrorInvalidDevice;
    *out = d->info;
    return 0;
}

/* ---- memory -------------------------------------------------------------------------------- */

static int ocl_mem_alloc(int dev, size_t bytes, cushim_dptr *out, char *err, size_t errlen)
{
    ocl_device *d;
    int rc = device_ready(dev, &d, err, errlen);
    if (rc)
        return rc;
    if (bytes > d->max_alloc || bytes > d->arena_bytes - GOCL_ARENA_RESERVED) {
        snprintf(err, errlen, "cannot allocate %zu bytes on %s: larger than its %" PRIu64
                 "-byte device memory arena", bytes, d->info.name, d->arena_bytes);
        return OCL_cudaErrorMemoryAllocation;
    }
    uint64_t len = ((uint64_t)bytes + OCL_GRANULE - 1) / OCL_GRANULE * OCL_GRANULE;
    pthread_mutex_lock(&d->lock);
    /* First fit over the gaps between live extents. */
    uint64_t at = GOCL_ARENA_RESERVED;
    size_t pos = 0;
    for (; pos < d->nlive; pos++) {
        if (d->live[pos].offset - at >= len)
            break;
        at = d->live[pos].offset + d->live[pos].len;
    }
    bool fits = at + len <= d->arena_bytes;
    if (fits && d->nlive == d->cap_live) {
        size_t cap = d->cap_live ? d->cap_live * 2 : 64;
        ocl_extent *grown = realloc(d->live, cap * sizeof *grown);
        if (grown) {
            d->live = grown;
            d->cap_live = cap;
        } else {
            fits = false;
        }
    }
    if (fits) {
        memmove(&d->live[pos + 1], &d->live[pos], (d->nlive - pos) * sizeof *d->live);
        d->live[pos] = (ocl_extent){at, len};
        d->nlive++;
    }
    pthread_mutex_unlock(&d->lock);
    if (!fits) {
        snprintf(err, errlen, "cannot allocate %zu bytes on %s: its %" PRIu64 "-byte arena "
                 "has no free range that large", bytes, d->info.name, d->arena_bytes);
        return OCL_cudaErrorMemoryAllocation;
    }
    *out = GOCL_ARENA_BASE + at;
    return 0;
}

static int ocl_mem_free(int dev, cushim_dptr p)
{
    ocl_device *d = device_at(dev);
    if (!d)
        return OCL_cudaErrorInvalidDevice;
    int rc = OCL_cudaErrorInvalidValue;
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->nlive; i++)
        if (GOCL_ARENA_BASE + d->live[i].offset == p) {
            memmove(&d->live[i], &d->live[i + 1], (d->nlive - i - 1) * sizeof *d->live);
            d->nlive--;
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

/* The arena offset of [p, p+n) when it lies inside one live allocation. */
static bool arena_range(ocl_device *d, cushim_dptr p, size_t n, size_t *offset)
{
    if (p < GOCL_ARENA_BASE)
        return false;
    uint64_t off = p - GOCL_ARENA_BASE;
    bool ok = false;
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->nlive && !ok; i++)
        ok = off >= d->live[i].offset && n <= d->live[i].len &&
             off - d->live[i].offset <= d->live[i].len - n;
    pthread_mutex_unlock(&d->lock);
    *offset = (size_t)off;
    return ok;
}

static int cl_result(cl_int rc)
{
    if (rc == CL_SUCCESS)
        return 0;
    CUSHIM_ERROR(OPENCL, "OpenCL operation failed: %s (%d)", cl_error_name(rc), (int)rc);
    return rc == CL_OUT_OF_RESOURCES || rc == CL_MEM_OBJECT_ALLOCATION_FAILURE ||
                   rc == CL_OUT_OF_HOST_MEMORY
               ? OCL_cudaErrorMemoryAllocation : OCL_cudaErrorLaunchFailure;
}

static int ocl_memcpy_htod(int dev, cushim_dptr dst, const void *src, size_t n)
{
    ocl_device *d;
    int rc = device_ready(dev, &d, NULL, 0);
    if (rc || n == 0)
        return rc;
    size_t off;
    if (!src || !arena_range(d, dst, n, &off))
        return OCL_cudaErrorInvalidValue;
    return cl_result(cl.clEnqueueWriteBuffer(d->queue, d->arena, CL_TRUE, off, n, src, 0, NULL,
                                             NULL));
}

static int ocl_memcpy_dtoh(int dev, void *dst, cushim_dptr src, size_t n)
{
    ocl_device *d;
    int rc = device_ready(dev, &d, NULL, 0);
    if (rc || n == 0)
        return rc;
    size_t off;
    if (!dst || !arena_range(d, src, n, &off))
        return OCL_cudaErrorInvalidValue;
    return cl_result(cl.clEnqueueReadBuffer(d->queue, d->arena, CL_TRUE, off, n, dst, 0, NULL,
                                            NULL));
}

static int ocl_memcpy_dtod(int dev, cushim_dptr dst, cushim_dptr src, size_t n)
{
    ocl_device *d;
    int rc = device_ready(dev, &d, NULL, 0);
    if (rc || n == 0)
        return rc;
    size_t doff, soff;
    if (!arena_range(d, dst, n, &doff) || !arena_range(d, src, n, &soff))
        return OCL_cudaErrorInvalidValue;
    if ((doff < soff + n && soff < doff + n)) {
        /* clEnqueueCopyBuffer refuses overlapping ranges: go through the host. */
        void *tmp = malloc(n);
        if (!tmp)
            return OCL_cudaErrorMemoryAllocation;
        rc = cl_result(cl.clEnqueueReadBuffer(d->queue, d->arena, CL_TRUE, soff, n, tmp, 0, NULL,
                                              NULL));
        if (!rc)
            rc = cl_result(cl.clEnqueueWriteBuffer(d->queue, d->arena, CL_TRUE, doff, n, tmp, 0,
                                                   NULL, NULL));
        free(tmp);
        return rc;
    }
    rc = cl_result(cl.clEnqueueCopyBuffer(d->queue, d->arena, d->arena, soff, doff, n, 0, NULL,
                                          NULL));
    return rc ? rc : cl_result(cl.clFinish(d->queue));
}

static int ocl_memset_d8(int dev, cushim_dptr dst, uint8_t value, size_t n)
{
    ocl_device *d;
    int rc = device_ready(dev, &d, NULL, 0);
    if (rc || n == 0)
        return rc;
    size_t off;
    if (!arena_range(d, dst, n, &off))
        return OCL_cudaErrorInvalidValue;
    rc = cl_result(cl.clEnqueueFillBuffer(d->queue, d->arena, &value, 1, off, n, 0, NULL, NULL));
    return rc ? rc : cl_result(cl.clFinish(d->queue));
}

/* ---- modules and kernels --------------------------------------------------------------------- */

static int ocl_module_load(int dev, const cushim_module_image *img, void **module, char *err,
                           size_t errlen)
{
    ocl_device *d;
    int rc = device_ready(dev, &d, err, errlen);
    if (rc)
        return rc;
    *module = NULL;
    ocl_module *m = calloc(1, sizeof *m);
    uint32_t nvars = img->ir->nvars;
    if (m)
        m->var_addr = calloc(nvars ? nvars : 1, sizeof *m->var_addr);
    if (!m || !m->var_addr) {
        free(m);
        snprintf(err, errlen, "loading %s: out of memory", img->label ? img->label : "module");
        return OCL_cudaErrorMemoryAllocation;
    }
    if (img->var_addr && nvars)
        memcpy(m->var_addr, img->var_addr, nvars * sizeof *m->var_addr);
    m->dev = dev;
    m->ir = img->ir;
    pthread_mutex_init(&m->lock, NULL);
    snprintf(m->label, sizeof m->label, "%s", img->label ? img->label : "module");
    *module = m;
    return 0;
}

static void free_kernel(ocl_kernel *k)
{
    if (k->kernel)
        cl.clReleaseKernel(k->kernel);
    if (k->program)
        cl.clReleaseProgram(k->program);
    free(k->unsupported);
    free(k->name);
    free(k);
}

static void ocl_module_unload(int dev, void *module)
{
    (void)dev;
    ocl_module *m = module;
    if (!m)
        return;
    for (ocl_kernel *k = m->kernels, *next; k; k = next) {
        next = k->next;
        free_kernel(k);
    }
    pthread_mutex_destroy(&m->lock);
    free(m->var_addr);
    free(m);
}

/* Build the OpenCL program of one kernel; on failure k->unsupported says why. */
static void build_kernel(ocl_module *m, ocl_kernel *k)
{
    ocl_device *d = &devices[m->dev];
    gocl_options opt = {.arena_bytes = d->arena_bytes, .device_fp64 = d->fp64,
                        .device_int64_atomics = d->int64_atomics,
                        .device_int64_extended_atomics = d->int64_extended_atomics};
    char err[1024] = "";
    char *src = gocl_kernel(m->ir, k->name, m->var_addr, &opt, &k->facts, err, sizeof err);
    if (!src) {
        k->unsupported = strdup(err);
        return;
    }
    /* CUSHIM_LOG=debug,opencl shows the generated source whole (log lines are cut). */
    if (cushim_log_enabled(CUSHIM_LOG_DEBUG, CUSHIM_LOGC_OPENCL)) {
        CUSHIM_DEBUG(OPENCL, "%s, kernel %s: OpenCL C follows", m->label, k->name);
        fprintf(stderr, "%s\n", src);
    }
    cl_int rc = CL_SUCCESS;
    const char *options = d->correct_div_sqrt ? "-cl-fp32-correctly-rounded-divide-sqrt" : "";
    char dir[OCL_CACHE_PATH_MAX], key[OCL_CACHE_KEY_LEN];
    bool cached = ocl_cache_dir(dir, sizeof dir);
    if (cached) {
        const char *parts[] = {src, options, d->info.name, d->driver_version, d->device_version};
        ocl_cache_key(parts, sizeof parts / sizeof parts[0], key);
        size_t len = 0;
        unsigned char *bin = ocl_cache_read(dir, key, &len);
        if (bin) {
            const unsigned char *bins[1] = {bin};
            cl_int status = CL_SUCCESS;
            k->program = cl.clCreateProgramWithBinary(d->ctx, 1, &d->id, &len, bins, &status, &rc);
            if (k->program && rc == CL_SUCCESS && status == CL_SUCCESS)
                rc = cl.clBuildProgram(k->program, 1, &d->id, options, NULL, NULL);
            if (rc == CL_SUCCESS && k->program && (k->kernel = cl.clCreateKernel(k->program, k->name, &rc))) {
                CUSHIM_DEBUG(OPENCL, "%s, kernel %s: built program taken from the cache", m->label,
                             k->name);
                free(bin);
                free(src);
                return;
            }
            /* A binary the driver no longer takes: build from source again. */
            if (k->program)
                cl.clReleaseProgram(k->program);
            k->program = NULL;
            free(bin);
        }
    }
    const char *srcs[1] = {src};
    k->program = cl.clCreateProgramWithSource(d->ctx, 1, srcs, NULL, &rc);
    free(src);
    if (k->program)
        rc = cl.clBuildProgram(k->program, 1, &d->id, options, NULL, NULL);
    if (rc == CL_SUCCESS && cached) {
        size_t size = 0;
        if (cl.clGetProgramInfo(k->program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) ==
                CL_SUCCESS && size) {
            unsigned char *bin = malloc(size);
            unsigned char *bins[1] = {bin};
            if (bin && cl.clGetProgramInfo(k->program, CL_PROGRAM_BINARIES, sizeof bins, bins,
                                           NULL) == CL_SUCCESS)
                ocl_cache_write(dir, key, bin, size);
            free(bin);
        }
    }
    if (rc == CL_SUCCESS)
        k->kernel = cl.clCreateKernel(k->program, k->name, &rc);
    if (rc != CL_SUCCESS) {
        char log[700] = "";
        if (k->program)
            cl.clGetProgramBuildInfo(k->program, d->id, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log,
                                     NULL);
        snprintf(err, sizeof err, "the OpenCL compiler rejected kernel %s of %s (%s): %.600s",
                 k->name, m->label, cl_error_name(rc), log);
        k->unsupported = strdup(err);
    }
}

static int ocl_kernel_get(void *module, const char *name, void **kernel, cushim_kernel_info *info)
{
    ocl_module *m = module;
    if (!m || !name)
        return OCL_cudaErrorInvalidDeviceFunction;
    const ptx_function *f = ptx_find_function(m->ir, name);
    if (!f || !f->is_entry || !f->has_body)
        return OCL_cudaErrorInvalidDeviceFunction;
    pthread_mutex_lock(&m->lock);
    ocl_kernel *k = m->kernels;
    while (k && strcmp(k->name, name) != 0)
        k = k->next;
    int rc = 0;
    if (!k) {
        k = calloc(1, sizeof *k);
        if (k && !(k->name = strdup(name))) {
            free(k);
            k = NULL;
        }
        if (!k) {
            rc = OCL_cudaErrorMemoryAllocation;
        } else {
            k->dev = m->dev;
            build_kernel(m, k);
            if (k->unsupported)
                CUSHIM_ERROR(OPENCL, "%s: %s", m->label, k->unsupported);
            k->next = m->kernels;
            m->kernels = k;
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (rc)
        return rc;
    *kernel = k;
    if (info) {
        memset(info, 0, sizeof *info);
        info->static_shared_bytes = k->facts.static_shared_bytes;
        info->local_bytes_per_thread = k->facts.local_bytes_per_thread;
        info->num_regs = f->nregs > 255 ? 255 : f->nregs;
        size_t wg = devices[m->dev].info.max_threads_per_block;
        if (k->kernel) {
            size_t kwg = 0;
            if (cl.clGetKernelWorkGroupInfo(k->kernel, devices[m->dev].id, CL_KERNEL_WORK_GROUP_SIZE,
                                            sizeof kwg, &kwg, NULL) == CL_SUCCESS && kwg && kwg < wg)
                wg = kwg;
        }
        /* .maxntid / .reqntid (__launch_bounds__) cap it as on NVIDIA. */
        const uint32_t *bound = f->maxntid[0] ? f->maxntid : f->reqntid[0] ? f->reqntid : NULL;
        if (bound) {
            uint64_t cap = (uint64_t)bound[0] * (bound[1] ? bound[1] : 1) * (bound[2] ? bound[2] : 1);
            if (cap < wg)
                wg = (size_t)cap;
        }
        info->max_threads_per_block = (uint32_t)wg;
        info->param_bytes = k->facts.param_bytes;
        info->unsupported = k->unsupported;
    }
    return 0;
}

static int ocl_launch(int dev, const cushim_launch *l, char *err, size_t errlen)
{
    ocl_device *d;
    int rc = device_ready(dev, &d, err, errlen);
    if (rc)
        return rc;
    ocl_kernel *k = l ? l->kernel : NULL;
    if (!k || k->dev != dev)
        return OCL_cudaErrorInvalidDeviceFunction;
    if (k->unsupported || !k->kernel) {
        snprintf(err, errlen, "%s", k->unsupported ? k->unsupported : "kernel was not built");
        return OCL_cudaErrorInvalidPtx;
    }
    uint64_t threads = (uint64_t)l->block[0] * l->block[1] * l->block[2];
    if (threads == 0 || threads > d->info.max_threads_per_block) {
        snprintf(err, errlen, "block of %" PRIu64 " threads: %s takes at most %u", threads,
                 d->info.name, d->info.max_threads_per_block);
        return OCL_cudaErrorInvalidConfiguration;
    }
    uint32_t dyn_off = (k->facts.static_shared_bytes + 15u) / 16u * 16u;
    uint64_t smem = (uint64_t)dyn_off + l->dynamic_shared_bytes;
    if (smem > d->info.shared_mem_per_block_optin) {
        snprintf(err, errlen, "%" PRIu64 " bytes of shared memory: %s has %u", smem,
                 d->info.name, d->info.shared_mem_per_block_optin);
        return OCL_cudaErrorInvalidValue;
    }
    uint8_t zero[16] = {0};
    size_t pbytes = l->param_bytes > k->facts.param_bytes ? l->param_bytes : k->facts.param_bytes;
    cl_int crc = CL_SUCCESS;
    cl_mem params = cl.clCreateBuffer(d->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                      pbytes && l->params ? pbytes : sizeof zero,
                                      pbytes && l->params ? (void *)l->params : zero, &crc);
    if (!params)
        return cl_result(crc);
    cl_uint dyn = l->dynamic_shared_bytes;
    crc = cl.clSetKernelArg(k->kernel, 0, sizeof(cl_mem), &d->arena);
    if (crc == CL_SUCCESS)
        crc = cl.clSetKernelArg(k->kernel, 1, sizeof(cl_mem), &params);
    if (crc == CL_SUCCESS)
        crc = cl.clSetKernelArg(k->kernel, 2, smem ? (size_t)smem : 16, NULL);
    if (crc == CL_SUCCESS)
        crc = cl.clSetKernelArg(k->kernel, 3, sizeof dyn, &dyn);
    size_t global[3], local[3];
    for (int i = 0; i < 3; i++) {
        local[i] = l->block[i];
        global[i] = (size_t)l->grid[i] * l->block[i];
    }
    if (crc == CL_SUCCESS && global[0] && global[1] && global[2])
        crc = cl.clEnqueueNDRangeKernel(d->queue, k->kernel, 3, NULL, global, local, 0, NULL, NULL);
    if (crc == CL_SUCCESS)
        crc = cl.clFinish(d->queue);
    cl.clReleaseMemObject(params);
    if (crc != CL_SUCCESS) {
        snprintf(err, errlen, "launching kernel %s on %s failed: %s (%d)", k->name, d->info.name,
                 cl_error_name(crc), (int)crc);
        return crc == CL_INVALID_WORK_GROUP_SIZE || crc == CL_INVALID_WORK_ITEM_SIZE
                   ? OCL_cudaErrorInvalidConfiguration
               : crc == CL_OUT_OF_RESOURCES ? OCL_cudaErrorLaunchOutOfResources
                                            : OCL_cudaErrorLaunchFailure;
    }
    /* The fault record the generated code writes on an access outside the arena. */
    uint64_t record[2] = {0, 0};
    crc = cl.clEnqueueReadBuffer(d->queue, d->arena, CL_TRUE, 0, sizeof record, record, 0, NULL,
                                 NULL);
    if (crc != CL_SUCCESS)
        return cl_result(crc);
    if ((uint32_t)record[0]) {
        uint64_t at = record[1];
        if (at - GOCL_SHARED_WINDOW < (1ull << 32))
            snprintf(err, errlen, "kernel %s accessed shared memory at offset 0x%" PRIx64 ", "
                     "outside the block's %" PRIu64 " bytes", k->name, (uint64_t)(at - GOCL_SHARED_WINDOW),
                     smem);
        else if (at - GOCL_LOCAL_WINDOW < (1ull << 32))
            snprintf(err, errlen, "kernel %s accessed local memory at offset 0x%" PRIx64 ", "
                     "outside the thread's %u bytes", k->name, (uint64_t)(at - GOCL_LOCAL_WINDOW),
                     k->facts.local_bytes_per_thread);
        else
            snprintf(err, errlen, "kernel %s accessed device address 0x%" PRIx64 ", outside "
                     "device memory", k->name, at);
        uint64_t clear[2] = {0, 0};
        cl.clEnqueueWriteBuffer(d->queue, d->arena, CL_TRUE, 0, sizeof clear, clear, 0, NULL, NULL);
        return OCL_cudaErrorIllegalAddress;
    }
    return 0;
}

const struct cushim_vendor_ops cushim_opencl_vendor = {
    .abi_version = CUSHIM_VENDOR_ABI,
    .name = "opencl",
    .description = "OpenCL 1.2+ devices through the ICD loader: kernels translated from PTX "
                   "to OpenCL C",
    .init = ocl_init,
    .shutdown = ocl_shutdown,
    .device_info = ocl_device_info,
    .mem_alloc = ocl_mem_alloc,
    .mem_free = ocl_mem_free,
    .memcpy_htod = ocl_memcpy_htod,
    .memcpy_dtoh = ocl_memcpy_dtoh,
    .memcpy_dtod = ocl_memcpy_dtod,
    .memset_d8 = ocl_memset_d8,
    .host_ptr = NULL,
    .module_load = ocl_module_load,
    .module_unload = ocl_module_unload,
    .kernel_get = ocl_kernel_get,
    .launch = ocl_launch,
};
