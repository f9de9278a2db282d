/* api_async_mem.c: stream-ordered allocation and memory pools (cudaMallocAsync,
 * cudaFreeAsync, cudaMemPool*), unified-memory hints (cudaMemPrefetchAsync,
 * cudaMemAdvise, cudaStreamAttachMemAsync), cudaMalloc3D, the extended launch
 * (cudaLaunchKernelExC, cudaLaunchCooperativeKernel), cudaGetFuncBySymbol and peer
 * access on one device.
 *
 * Stream-ordered allocation is satisfied when called (the memory exists before any
 * later work of the stream, which is all CUDA promises); the free runs in stream
 * order. Pools keep their attributes and usage counters; their memory comes from the
 * device allocator. Prefetch and advice are validated and otherwise advisory: managed
 * memory is host memory on the backends that have it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "shim/api_gen.h"
#include "shim/core.h"
#include "shim/log.h"

/* ---- memory pools ----------------------------------------------------------------------- */

typedef struct mem_pool {
    struct mem_pool *self;
    int device;
    bool is_default;
    uint64_t release_threshold;
    int reuse_follow_events, reuse_opportunistic, reuse_internal;
    uint64_t used, used_high;
    struct mem_pool *next;
} mem_pool;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static mem_pool *pools;
static mem_pool *default_pools[64];

static mem_pool *find_pool_locked(cudaMemPool_t h)
{
    for (mem_pool *p = pools; p; p = p->next)
        if ((cudaMemPool_t)p == h)
            return p;
    return NULL;
}

static mem_pool *pool_new_locked(int dev, bool is_default)
{
    mem_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->self = p;
    p->device = dev;
    p->is_default = is_default;
    p->reuse_follow_events = p->reuse_opportunistic = p->reuse_internal = 1;
    p->next = pools;
    pools = p;
    return p;
}

static cudaError_t default_pool(int dev, mem_pool **out)
{
    if (dev < 0 || dev >= cushim__device_count() || dev >= 64)
        return cudaErrorInvalidDevice;
    pthread_mutex_lock(&pool_lock);
    if (!default_pools[dev])
        default_pools[dev] = pool_new_locked(dev, true);
    *out = default_pools[dev];
    pthread_mutex_unlock(&pool_lock);
    return *out ? cudaSuccess : cudaErrorMemoryAllocation;
}

cudaError_t cushim_impl_cudaDeviceGetDefaultMemPool(cudaMemPool_t *memPool, int device)
{
    if (!memPool)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    mem_pool *p;
    if (e == cudaSuccess)
        e = default_pool(device, &p);
    if (e == cudaSuccess)
        *memPool = (cudaMemPool_t)p;
    return e;
}

cudaError_t cushim_impl_cudaDeviceGetMemPool(cudaMemPool_t *memPool, int device)
{
    return cushim_impl_cudaDeviceGetDefaultMemPool(memPool, device);
}

cudaError_t cushim_impl_cudaMemPoolCreate(cudaMemPool_t *memPool, const struct cudaMemPoolProps *poolProps)
{
    if (!memPool || !poolProps)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (poolProps->allocType != cudaMemAllocationTypePinned ||
        poolProps->location.type != cudaMemLocationTypeDevice ||
        poolProps->location.id < 0 || poolProps->location.id >= cushim__device_count())
        return cudaErrorInvalidValue;
    if (poolProps->handleTypes != cudaMemHandleTypeNone) {
        cushim_log_once("pool-ipc", "cudaMemPoolCreate: shareable (IPC) pools are not supported");
        return cudaErrorNotSupported;
    }
    pthread_mutex_lock(&pool_lock);
    mem_pool *p = pool_new_locked(poolProps->location.id, false);
    pthread_mutex_unlock(&pool_lock);
    if (!p)
        return cudaErrorMemoryAllocation;
    *memPool = (cudaMemPool_t)p;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaMemPoolDestroy(cudaMemPool_t memPool)
{
    pthread_mutex_lock(&pool_lock);
    mem_pool *p = find_pool_locked(memPool);
    cudaError_t e = cudaSuccess;
    if (!p || p->is_default) {
        e = cudaErrorInvalidValue;   /* a device's default pool cannot be destroyed */
    } else {
        for (mem_pool **pp = &pools; *pp; pp = &(*pp)->next)
            if (*pp == p) {
                *pp = p->next;
                break;
            }
        free(p);
    }
    pthread_mutex_unlock(&pool_lock);
    return e;
}

cudaError_t cushim_impl_cudaMemPoolTrimTo(cudaMemPool_t memPool, size_t minBytesToKeep)
{
    (void)minBytesToKeep;
    pthread_mutex_lock(&pool_lock);
    bool ok = find_pool_locked(memPool) != NULL;
    pthread_mutex_unlock(&pool_lock);
    return ok ? cudaSuccess : cudaErrorInvalidValue;   /* nothing is cached to trim */
}

cudaError_t cushim_impl_cudaMemPoolSetAttribute(cudaMemPool_t memPool, enum cudaMemPoolAttr attr, void *value)
{
    if (!value)
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&pool_lock);
    mem_pool *p = find_pool_locked(memPool);
    cudaError_t e = p ? cudaSuccess : cudaErrorInvalidValue;
    if (p) {
        switch (attr) {
        case cudaMemPoolReuseFollowEventDependencies: p->reuse_follow_events = *(int *)value; break;
        case cudaMemPoolReuseAllowOpportunistic: p->reuse_opportunistic = *(int *)value; break;
        case cudaMemPoolReuseAllowInternalDependencies: p->reuse_internal = *(int *)value; break;
        case cudaMemPoolAttrReleaseThreshold: p->release_threshold = *(uint64_t *)value; break;
        case cudaMemPoolAttrReservedMemHigh:
        case cudaMemPoolAttrUsedMemHigh:
            /* Only resetting to zero is allowed. */
            if (*(uint64_t *)value != 0)
                e = cudaErrorInvalidValue;
            else
                p->used_high = p->used;
            break;
        default:
            e = cudaErrorInvalidValue;
        }
    }
    pthread_mutex_unlock(&pool_lock);
    return e;
}

cudaError_t cushim_impl_cudaMemPoolGetAttribute(cudaMemPool_t memPool, enum cudaMemPoolAttr attr, void *value)
{
    if (!value)
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&pool_lock);
    mem_pool *p = find_pool_locked(memPool);
    cudaError_t e = p ? cudaSuccess : cudaErrorInvalidValue;
    if (p) {
        switch (attr) {
        case cudaMemPoolReuseFollowEventDependencies: *(int *)value = p->reuse_follow_events; break;
        case cudaMemPoolReuseAllowOpportunistic: *(int *)value = p->reuse_opportunistic; break;
        case cudaMemPoolReuseAllowInternalDependencies: *(int *)value = p->reuse_internal; break;
        case cudaMemPoolAttrReleaseThreshold: *(uint64_t *)value = p->release_threshold; break;
        /* Nothing is reserved beyond what is in use. */
        case cudaMemPoolAttrReservedMemCurrent:
        case cudaMemPoolAttrUsedMemCurrent: *(uint64_t *)value = p->used; break;
        case cudaMemPoolAttrReservedMemHigh:
        case cudaMemPoolAttrUsedMemHigh: *(uint64_t *)value = p->used_high; break;
        default: e = cudaErrorInvalidValue;
        }
    }
    pthread_mutex_unlock(&pool_lock);
    return e;
}

/* Allocations from pools, so the free can credit the right pool. */
typedef struct pool_alloc {
    uintptr_t ptr;
    size_t size;
    mem_pool *pool;
    struct pool_alloc *next;
} pool_alloc;
static pool_alloc *pool_allocs;

static cudaError_t alloc_from(mem_pool *p, void **out, size_t size, cudaStream_t stream)
{
    cudaError_t e = cushim__stream_check(cushim__ptsz(stream));
    if (e != cudaSuccess)
        return e;
    if (size == 0)
        return cudaErrorInvalidValue;   /* as CUDA's stream-ordered allocator */
    pool_alloc *rec = malloc(sizeof *rec);
    if (!rec)
        return cudaErrorMemoryAllocation;
    cushim_dptr d;
    e = cushim__dev_alloc(p->device, size, CUSHIM_MEM_DEVICE, &d);
    if (e != cudaSuccess) {
        free(rec);
        return e;
    }
    pthread_mutex_lock(&pool_lock);
    *rec = (pool_alloc){(uintptr_t)d, size, p, pool_allocs};
    pool_allocs = rec;
    p->used += size;
    if (p->used > p->used_high)
        p->used_high = p->used;
    pthread_mutex_unlock(&pool_lock);
    *out = (void *)(uintptr_t)d;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaMallocAsync(void **devPtr, size_t size, cudaStream_t hStream)
{
    if (!devPtr)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    mem_pool *p;
    if (e == cudaSuccess)
        e = default_pool(dev, &p);
    return e != cudaSuccess ? e : alloc_from(p, devPtr, size, hStream);
}

cudaError_t cushim_impl_cudaMallocFromPoolAsync(void **ptr, size_t size, cudaMemPool_t memPool,
                                                cudaStream_t stream)
{
    if (!ptr)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&pool_lock);
    mem_pool *p = find_pool_locked(memPool);
    pthread_mutex_unlock(&pool_lock);
    return p ? alloc_from(p, ptr, size, stream) : cudaErrorInvalidValue;
}

cudaError_t cushim_impl_cudaFreeAsync(void *devPtr, cudaStream_t hStream)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    hStream = cushim__ptsz(hStream);
    e = cushim__stream_check(hStream);
    if (e != cudaSuccess)
        return e;
    if (!devPtr)
        return cudaErrorInvalidValue;
    cushim__alloc a;
    if (!cushim__alloc_find((uintptr_t)devPtr, &a) || a.base != (uintptr_t)devPtr ||
        (a.kind != CUSHIM_MEM_DEVICE && a.kind != CUSHIM_MEM_MANAGED))
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&pool_lock);
    for (pool_alloc **pp = &pool_allocs; *pp; pp = &(*pp)->next)
        if ((*pp)->ptr == (uintptr_t)devPtr) {
            pool_alloc *r = *pp;
            *pp = r->next;
            r->pool->used -= r->size;
            free(r);
            break;
        }
    pthread_mutex_unlock(&pool_lock);
    cushim__work w = {.kind = CUSHIM_WORK_FREE, .u.free.ptr = devPtr};
    return cushim__submit(hStream, &w, 0);
}

/* ---- unified memory hints ---------------------------------------------------------------- */

/* A range of managed memory (or, for CUDA's HMM systems, any memory: we accept
 * pageable host memory too, as CUDA does on systems with pageable memory access). */
static cudaError_t check_location(int type, int id)
{
    switch (type) {
    case cudaMemLocationTypeDevice:
        return id >= 0 && id < cushim__device_count() ? cudaSuccess : cudaErrorInvalidDevice;
    case cudaMemLocationTypeHost:
    case cudaMemLocationTypeHostNuma:
    case cudaMemLocationTypeHostNumaCurrent:
        return cudaSuccess;
    default:
        return cudaErrorInvalidValue;
    }
}

static cudaError_t check_managed_range(const void *p, size_t count)
{
    if (!p || !count)
        return cudaErrorInvalidValue;
    cushim__alloc a;
    if (cushim__alloc_find((uintptr_t)p, &a)) {
        if (a.kind != CUSHIM_MEM_MANAGED)
            return cudaErrorInvalidValue;   /* device or pinned memory is not migratable */
        if (count > a.size - ((uintptr_t)p - a.base))
            return cudaErrorInvalidValue;
    }
    return cudaSuccess;
}

static cudaError_t prefetch(const void *devPtr, size_t count, int type, int id, unsigned flags,
                            cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    stream = cushim__ptsz(stream);
    e = cushim__stream_check(stream);
    if (e == cudaSuccess && flags != 0)
        e = cudaErrorInvalidValue;
    if (e == cudaSuccess)
        e = check_location(type, id);
    if (e == cudaSuccess)
        e = check_managed_range(devPtr, count);
    return e;   /* the data is already where both sides can reach it */
}

cudaError_t cushim_impl_cudaMemPrefetchAsync(const void *devPtr, size_t count, struct cudaMemLocation location,
                                             unsigned int flags, cudaStream_t stream)
{
    return prefetch(devPtr, count, location.type, location.id, flags, stream);
}

cudaError_t cushim_impl_cudaMemPrefetchAsync12(const void *devPtr, size_t count, int dstDevice,
                                               cudaStream_t stream)
{
    return prefetch(devPtr, count,
                    dstDevice == cudaCpuDeviceId ? cudaMemLocationTypeHost : cudaMemLocationTypeDevice,
                    dstDevice, 0, stream);
}

static cudaError_t advise(const void *devPtr, size_t count, enum cudaMemoryAdvise advice, int type, int id)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if ((unsigned)advice < cudaMemAdviseSetReadMostly || (unsigned)advice > cudaMemAdviseUnsetAccessedBy)
        return cudaErrorInvalidValue;
    e = check_managed_range(devPtr, count);
    /* Read-mostly advice ignores the location; the others need a valid one. */
    if (e == cudaSuccess && advice != cudaMemAdviseSetReadMostly && advice != cudaMemAdviseUnsetReadMostly)
        e = check_location(type, id);
    return e;
}

cudaError_t cushim_impl_cudaMemAdvise(const void *devPtr, size_t count, enum cudaMemoryAdvise advice,
                                      struct cudaMemLocation location)
{
    return advise(devPtr, count, advice, location.type, location.id);
}

cudaError_t cushim_impl_cudaMemAdvise12(const void *devPtr, size_t count, enum cudaMemoryAdvise advice,
                                        int device)
{
    return advise(devPtr, count, advice,
                  device == cudaCpuDeviceId ? cudaMemLocationTypeHost : cudaMemLocationTypeDevice, device);
}

cudaError_t cushim_impl_cudaStreamAttachMemAsync(cudaStream_t stream, void *devPtr, size_t length,
                                                 unsigned int flags)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(cushim__ptsz(stream));
    if (e != cudaSuccess)
        return e;
    if (flags != cudaMemAttachGlobal && flags != cudaMemAttachHost && flags != cudaMemAttachSingle)
        return cudaErrorInvalidValue;
    cushim__alloc a;
    if (!devPtr || !cushim__alloc_find((uintptr_t)devPtr, &a) || a.kind != CUSHIM_MEM_MANAGED ||
        (length && (a.base != (uintptr_t)devPtr || length != a.size)))
        return cudaErrorInvalidValue;
    return cudaSuccess;   /* visibility is global on every backend with managed memory */
}

/* ---- 3D allocation ----------------------------------------------------------------------- */

cudaError_t cushim_impl_cudaMalloc3D(struct cudaPitchedPtr *pitchedDevPtr, struct cudaExtent extent)
{
    if (!pitchedDevPtr)
        return cudaErrorInvalidValue;
    size_t pitch = (extent.width + 511) & ~(size_t)511;
    if (pitch < extent.width)
        return cudaErrorMemoryAllocation;
    size_t rows = extent.height * extent.depth;
    if (extent.height && rows / extent.height != extent.depth)
        return cudaErrorMemoryAllocation;
    if (rows && pitch > SIZE_MAX / rows)
        return cudaErrorMemoryAllocation;
    void *p = NULL;
    cudaError_t e = cushim_impl_cudaMalloc(&p, pitch * rows);
    if (e != cudaSuccess)
        return e;
    *pitchedDevPtr = (struct cudaPitchedPtr){p, pitch, extent.width, extent.height};
    return cudaSuccess;
}

/* ---- extended launch ---------------------------------------------------------------------- */

static cushim__kernel *kernel_of(const void *func)
{
    cushim__kernel *k = cushim__kernel_by_host_fun(func);
    if (!k && func && cushim__kernel_valid((const cushim__kernel *)func))
        k = (cushim__kernel *)func;   /* a cudaKernel_t */
    return k;
}

cudaError_t cushim_impl_cudaLaunchKernelExC(const cudaLaunchConfig_t *config, const void *func, void **args)
{
    if (!config || (config->numAttrs && !config->attrs))
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    bool cooperative = false;
    for (unsigned i = 0; i < config->numAttrs; i++) {
        const cudaLaunchAttribute *a = &config->attrs[i];
        switch ((int)a->id) {
        case cudaLaunchAttributeCooperative: {
            int v;
            memcpy(&v, a->val.pad, sizeof v);
            cooperative = v != 0;
            break;
        }
        case cudaLaunchAttributeClusterDimension: {
            unsigned dim[3];
            memcpy(dim, a->val.pad, sizeof dim);
            if (dim[0] * dim[1] * dim[2] > 1) {
                cushim_log_once("launch-cluster", "cudaLaunchKernelExC: thread block clusters "
                                "(cluster dimension %ux%ux%u) are not supported", dim[0], dim[1], dim[2]);
                return cudaErrorNotSupported;
            }
            break;
        }
        case 0:   /* cudaLaunchAttributeIgnore */
        case 1:   /* access policy window: a cache hint */
        case 3:   /* synchronization policy */
        case 5:   /* cluster scheduling policy preference */
        case 6:   /* programmatic stream serialization: stream order is kept anyway */
        case 8:   /* priority */
        case 9:   /* memory sync domain map */
        case 10:  /* memory sync domain */
            break;
        default:
            cushim_log_once("launch-attr", "cudaLaunchKernelExC: launch attribute %d is not "
                            "supported", (int)a->id);
            return cudaErrorNotSupported;
        }
    }
    cushim__kernel *k = kernel_of(func);
    if (!k)
        return cudaErrorInvalidDeviceFunction;
    return cushim__launch(k, config->gridDim, config->blockDim, args, config->dynamicSmemBytes,
                          cushim__ptsz(config->stream), cooperative);
}

cudaError_t cushim_impl_cudaLaunchCooperativeKernel(const void *func, dim3 gridDim, dim3 blockDim,
                                                    void **args, size_t sharedMem, cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    cushim__kernel *k = kernel_of(func);
    if (!k)
        return cudaErrorInvalidDeviceFunction;
    return cushim__launch(k, gridDim, blockDim, args, sharedMem, cushim__ptsz(stream), true);
}

cudaError_t cushim_impl_cudaGetFuncBySymbol(cudaFunction_t *functionPtr, const void *symbolPtr)
{
    if (!functionPtr)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    cushim__kernel *k = symbolPtr ? cushim__kernel_by_host_fun(symbolPtr) : NULL;
    if (!k)
        return cudaErrorInvalidDeviceFunction;
    *functionPtr = (cudaFunction_t)k;
    return cudaSuccess;
}

/* ---- peer access and flushes --------------------------------------------------------------- */

/* Backends expose one address space per device but no peer mappings: access to a peer
 * is reported absent (cudaDeviceCanAccessPeer = 0), so enabling it fails as CUDA does
 * for a pair without peer support. */
cudaError_t cushim_impl_cudaDeviceEnablePeerAccess(int peerDevice, unsigned int flags)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (peerDevice < 0 || peerDevice >= cushim__device_count())
        return cudaErrorInvalidDevice;
    if (flags != 0)
        return cudaErrorInvalidValue;
    return peerDevice == dev ? cudaErrorInvalidDevice : cudaErrorPeerAccessUnsupported;
}

cudaError_t cushim_impl_cudaDeviceDisablePeerAccess(int peerDevice)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (peerDevice < 0 || peerDevice >= cushim__device_count())
        return cudaErrorInvalidDevice;
    return cudaErrorPeerAccessNotEnabled;
}

cudaError_t cushim_impl_cudaDeviceFlushGPUDirectRDMAWrites(enum cudaFlushGPUDirectRDMAWritesTarget target,
                                                           enum cudaFlushGPUDirectRDMAWritesScope scope)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    /* target: current device (0); scope: owner (100) or all devices (200). */
    if ((int)target != 0 || ((int)scope != 100 && (int)scope != 200))
        return cudaErrorInvalidValue;
    return cudaSuccess;   /* no RDMA writes exist to flush */
}
