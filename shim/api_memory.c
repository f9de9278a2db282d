/* api_memory.c: device, managed and pinned host memory; copies and fills (synchronous,
 * all kinds incl. cudaMemcpyDefault and host-to-host); symbol copies; pointer
 * attributes; memory info. */
#include <stdlib.h>
#include <string.h>

#include "shim/api_gen.h"
#include "shim/api_texture.h"
#include "shim/core.h"
#include "shim/log.h"

/* Host memory handed out by cudaMallocHost is page aligned, as CUDA's is. */
#define HOST_ALIGN 4096

cudaError_t cushim_impl_cudaMalloc(void **devPtr, size_t size)
{
    if (!devPtr)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (size == 0) {
        *devPtr = NULL;
        return cudaSuccess;
    }
    cushim_dptr p;
    e = cushim__dev_alloc(dev, size, CUSHIM_MEM_DEVICE, &p);
    if (e != cudaSuccess)
        return e;
    *devPtr = (void *)(uintptr_t)p;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaMallocPitch(void **devPtr, size_t *pitch, size_t width, size_t height)
{
    if (!devPtr || !pitch)
        return cudaErrorInvalidValue;
    size_t p = (width + 511) & ~(size_t)511;
    if (p < width || (height && p > SIZE_MAX / height))
        return cudaErrorMemoryAllocation;
    cudaError_t e = cushim_impl_cudaMalloc(devPtr, p * height);
    if (e == cudaSuccess)
        *pitch = p;
    return e;
}

cudaError_t cushim_impl_cudaMallocManaged(void **devPtr, size_t size, unsigned int flags)
{
    if (!devPtr || size == 0 || (flags != cudaMemAttachGlobal && flags != cudaMemAttachHost))
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    const struct cushim_vendor_ops *ops = cushim__ops();
    if (!ops->host_ptr || !cushim__device_info(dev)->managed_memory) {
        cushim_log_once("managed-unsupported", "cudaMallocManaged: backend '%s' has no memory "
                        "both host and device can address", ops->name);
        return cudaErrorNotSupported;
    }
    cushim_dptr p;
    e = cushim__dev_alloc(dev, size, CUSHIM_MEM_MANAGED, &p);
    if (e != cudaSuccess)
        return e;
    if ((uintptr_t)ops->host_ptr(dev, p) != (uintptr_t)p) {
        cushim__alloc_remove((uintptr_t)p, CUSHIM_MEM_BIT(CUSHIM_MEM_MANAGED), NULL);
        cushim__dev_free(dev, p);
        cushim_log_once("managed-unsupported", "cudaMallocManaged: backend '%s' gives device "
                        "memory a different address on the host", ops->name);
        return cudaErrorNotSupported;
    }
    *devPtr = (void *)(uintptr_t)p;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaFree(void *devPtr)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (!devPtr)
        return cudaSuccess;
    /* CUDA synchronises the device before freeing (queued work may still use the
     * memory) and reports a pending fault here. */
    e = cushim__device_wait(dev);
    if (e != cudaSuccess)
        return e;
    cushim__alloc a;
    if (!cushim__alloc_remove((uintptr_t)devPtr,
                              CUSHIM_MEM_BIT(CUSHIM_MEM_DEVICE) | CUSHIM_MEM_BIT(CUSHIM_MEM_MANAGED), &a))
        return cudaErrorInvalidValue;
    return cushim__dev_free(a.device, (cushim_dptr)a.base);
}

cudaError_t cushim_impl_cudaHostAlloc(void **pHost, size_t size, unsigned int flags)
{
    if (!pHost || (flags & ~(cudaHostAllocPortable | cudaHostAllocMapped | cudaHostAllocWriteCombined)))
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (size == 0) {
        *pHost = NULL;
        return cudaSuccess;
    }
    size_t rounded = (size + HOST_ALIGN - 1) & ~(size_t)(HOST_ALIGN - 1);
    if (rounded < size)
        return cudaErrorMemoryAllocation;
    void *p = aligned_alloc(HOST_ALIGN, rounded);
    if (!p)
        return cudaErrorMemoryAllocation;
    cushim__alloc a = {.base = (uintptr_t)p, .size = size, .kind = CUSHIM_MEM_HOST,
                       .device = dev, .flags = flags, .host = p};
    if (cushim__alloc_add(&a) != cudaSuccess) {
        free(p);
        return cudaErrorMemoryAllocation;
    }
    *pHost = p;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaMallocHost(void **ptr, size_t size)
{
    return cushim_impl_cudaHostAlloc(ptr, size, cudaHostAllocDefault);
}

cudaError_t cushim_impl_cudaFreeHost(void *ptr)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (!ptr)
        return cudaSuccess;
    e = cushim__device_wait(-1);
    if (e != cudaSuccess)
        return e;
    if (!cushim__alloc_remove((uintptr_t)ptr, CUSHIM_MEM_BIT(CUSHIM_MEM_HOST), NULL))
        return cudaErrorInvalidValue;
    free(ptr);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaHostRegister(void *ptr, size_t size, unsigned int flags)
{
    if (!ptr || size == 0 || (flags & ~(cudaHostRegisterPortable | cudaHostRegisterMapped |
                                        cudaHostRegisterIoMemory | cudaHostRegisterReadOnly)))
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (cushim__alloc_find((uintptr_t)ptr, NULL) ||
        cushim__alloc_find((uintptr_t)ptr + size - 1, NULL))
        return cudaErrorHostMemoryAlreadyRegistered;
    cushim__alloc a = {.base = (uintptr_t)ptr, .size = size, .kind = CUSHIM_MEM_REGISTERED,
                       .device = dev, .flags = flags, .host = ptr};
    return cushim__alloc_add(&a);
}

cudaError_t cushim_impl_cudaHostUnregister(void *ptr)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (!ptr)
        return cudaErrorInvalidValue;
    /* Queued copies may still read the registered range. */
    e = cushim__device_wait(-1);
    if (e != cudaSuccess && e != cudaErrorStreamCaptureUnsupported && cushim__sticky_error() == cudaSuccess)
        return e;
    if (!cushim__alloc_remove((uintptr_t)ptr, CUSHIM_MEM_BIT(CUSHIM_MEM_REGISTERED), NULL))
        return cudaErrorHostMemoryNotRegistered;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaHostGetDevicePointer(void **pDevice, void *pHost, unsigned int flags)
{
    if (!pDevice || !pHost || flags != 0)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    cushim__alloc a;
    if (!cushim__alloc_find((uintptr_t)pHost, &a) ||
        (a.kind != CUSHIM_MEM_HOST && a.kind != CUSHIM_MEM_REGISTERED))
        return cudaErrorInvalidValue;
    if (!cushim__device_info(dev)->unified_addressing) {
        cushim_log_once("mapped-host", "cudaHostGetDevicePointer: backend '%s' cannot address "
                        "host memory from kernels", cushim__ops()->name);
        return cudaErrorNotSupported;
    }
    /* With unified addressing the device reaches host memory at its host address. */
    *pDevice = pHost;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaHostGetFlags(unsigned int *pFlags, void *pHost)
{
    if (!pFlags || !pHost)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    cushim__alloc a;
    if (!cushim__alloc_find((uintptr_t)pHost, &a) || a.kind != CUSHIM_MEM_HOST)
        return cudaErrorInvalidValue;
    *pFlags = a.flags | cudaHostAllocMapped;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaMemGetInfo(size_t *free_bytes, size_t *total)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    uint64_t tot = cushim__device_info(dev)->total_mem;
    uint64_t used = cushim__bytes_allocated(dev);
    if (free_bytes)
        *free_bytes = used < tot ? (size_t)(tot - used) : 0;
    if (total)
        *total = (size_t)tot;
    return cudaSuccess;
}

/* ---- copies and fills ----------------------------------------------------------------
 * Every copy and fill is stream work, checked before it is queued so that bad
 * arguments fail the call. Host synchronisation follows CUDA's documented behaviour:
 * cudaMemcpy returns after the copy except device-to-device; cudaMemcpyAsync is
 * asynchronous except with pageable host memory or host-to-host, where it returns after
 * the copy; cudaMemset returns after the fill (CUDA allows it, and host code may read
 * managed memory right after); cudaMemsetAsync is asynchronous. */

typedef struct copy_geom {
    void *dst;
    const void *src;
    size_t width, height, depth;
    size_t dpitch, spitch, dslice, sslice;
} copy_geom;

static size_t span_of(size_t width, size_t height, size_t depth, size_t pitch, size_t slice)
{
    return (depth - 1) * slice + (height - 1) * pitch + width;
}

static cudaError_t submit_copy(const copy_geom *g, enum cudaMemcpyKind kind, cudaStream_t stream,
                               bool sync_call)
{
    if ((unsigned)kind > cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    e = cushim__stream_check(stream);
    if (e != cudaSuccess)
        return e;
    if (!g->width || !g->height || !g->depth)
        return cudaSuccess;
    if (!g->dst || !g->src)
        return cudaErrorInvalidValue;
    bool pageable, device;
    e = cushim__copy_check(g->dst, span_of(g->width, g->height, g->depth, g->dpitch, g->dslice),
                           g->src, span_of(g->width, g->height, g->depth, g->spitch, g->sslice),
                           kind, &pageable, &device);
    if (e != cudaSuccess)
        return e;
    bool wait = sync_call ? (pageable || !device) || kind != cudaMemcpyDeviceToDevice
                          : (pageable || !device);
    if (sync_call && device && !pageable && kind == cudaMemcpyDefault) {
        /* Default-kind copies between device (or pinned) memory: wait unless both
         * sides are device memory. */
        cushim__alloc a, b;
        bool dd = cushim__alloc_find((uintptr_t)g->dst, &a) && cushim__alloc_find((uintptr_t)g->src, &b) &&
                  a.kind != CUSHIM_MEM_HOST && a.kind != CUSHIM_MEM_REGISTERED &&
                  b.kind != CUSHIM_MEM_HOST && b.kind != CUSHIM_MEM_REGISTERED;
        wait = !dd;
    }
    cushim__work w = {.kind = CUSHIM_WORK_COPY};
    w.u.copy.dst = g->dst;
    w.u.copy.src = g->src;
    w.u.copy.width = g->width;
    w.u.copy.height = g->height;
    w.u.copy.depth = g->depth;
    w.u.copy.dpitch = g->dpitch;
    w.u.copy.spitch = g->spitch;
    w.u.copy.dslice = g->dslice;
    w.u.copy.sslice = g->sslice;
    w.u.copy.kind = kind;
    e = cushim__submit(cushim__ptsz(stream), &w, wait ? CUSHIM_SUBMIT_WAIT : 0);
    if (e == cudaSuccess && sync_call && wait)
        e = cushim__sync_point();
    return e;
}

static cudaError_t copy_1d(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                           cudaStream_t stream, bool sync_call)
{
    copy_geom g = {dst, src, count, 1, 1, count, count, count, count};
    return submit_copy(&g, kind, stream, sync_call);
}

cudaError_t cushim_impl_cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
    return copy_1d(dst, src, count, kind, NULL, true);
}

cudaError_t cushim_impl_cudaMemcpyAsync(void *dst, const void *src, size_t count,
                                        enum cudaMemcpyKind kind, cudaStream_t stream)
{
    return copy_1d(dst, src, count, kind, stream, false);
}

static cudaError_t copy_2d(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                           size_t height, enum cudaMemcpyKind kind, cudaStream_t stream, bool sync_call)
{
    if ((unsigned)kind > cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    if (height > 1 && (width > dpitch || width > spitch))
        return cudaErrorInvalidPitchValue;
    copy_geom g = {dst, src, width, height, 1, dpitch, spitch, 0, 0};
    return submit_copy(&g, kind, stream, sync_call);
}

cudaError_t cushim_impl_cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch,
                                     size_t width, size_t height, enum cudaMemcpyKind kind)
{
    return copy_2d(dst, dpitch, src, spitch, width, height, kind, NULL, true);
}

cudaError_t cushim_impl_cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch,
                                          size_t width, size_t height, enum cudaMemcpyKind kind,
                                          cudaStream_t stream)
{
    return copy_2d(dst, dpitch, src, spitch, width, height, kind, stream, false);
}

/* cudaMemcpy3DParms / cudaMemcpy3DPeerParms between pitched pointers. CUDA arrays are
 * the texture API's business: cushim__memcpy3d_arrays (shim/api_texture.c) resolves them. */
static cudaError_t copy_3d(cudaArray_t srcArray, struct cudaPos srcPos, struct cudaPitchedPtr srcPtr,
                           cudaArray_t dstArray, struct cudaPos dstPos, struct cudaPitchedPtr dstPtr,
                           struct cudaExtent extent, enum cudaMemcpyKind kind, cudaStream_t stream,
                           bool sync_call, const char *fn)
{
    if ((unsigned)kind > cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    if ((srcArray && srcPtr.ptr) || (dstArray && dstPtr.ptr) || (!srcArray && !srcPtr.ptr) ||
        (!dstArray && !dstPtr.ptr))
        return cudaErrorInvalidValue;
    if (srcArray || dstArray) {
        /* shim/api_texture.c turns array sides into pitched pointers and comes back here */
        (void)fn;
        struct cudaMemcpy3DParms q = {srcArray, srcPos, srcPtr, dstArray, dstPos, dstPtr, extent, kind};
        return cushim__memcpy3d_arrays(&q, stream, sync_call);
    }
    if (!extent.width || !extent.height || !extent.depth)
        return cudaSuccess;
    if ((extent.height > 1 || extent.depth > 1) &&
        (extent.width + srcPos.x > srcPtr.pitch || extent.width + dstPos.x > dstPtr.pitch))
        return cudaErrorInvalidPitchValue;
    size_t sslice = srcPtr.pitch * (srcPtr.ysize ? srcPtr.ysize : extent.height);
    size_t dslice = dstPtr.pitch * (dstPtr.ysize ? dstPtr.ysize : extent.height);
    copy_geom g = {
        .dst = (char *)dstPtr.ptr + dstPos.z * dslice + dstPos.y * dstPtr.pitch + dstPos.x,
        .src = (const char *)srcPtr.ptr + srcPos.z * sslice + srcPos.y * srcPtr.pitch + srcPos.x,
        .width = extent.width, .height = extent.height, .depth = extent.depth,
        .dpitch = dstPtr.pitch, .spitch = srcPtr.pitch, .dslice = dslice, .sslice = sslice,
    };
    return submit_copy(&g, kind, stream, sync_call);
}

static cudaError_t copy_3d_parms(const struct cudaMemcpy3DParms *p, cudaStream_t stream, bool sync_call,
                                 const char *fn)
{
    if (!p)
        return cudaErrorInvalidValue;
    return copy_3d(p->srcArray, p->srcPos, p->srcPtr, p->dstArray, p->dstPos, p->dstPtr, p->extent,
                   p->kind, stream, sync_call, fn);
}

cudaError_t cushim_impl_cudaMemcpy3D(const struct cudaMemcpy3DParms *p)
{
    return copy_3d_parms(p, NULL, true, "cudaMemcpy3D");
}

cudaError_t cushim_impl_cudaMemcpy3DAsync(const struct cudaMemcpy3DParms *p, cudaStream_t stream)
{
    return copy_3d_parms(p, stream, false, "cudaMemcpy3DAsync");
}

static cudaError_t check_devices(int a, int b)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    int n = cushim__device_count();
    return a < 0 || a >= n || b < 0 || b >= n ? cudaErrorInvalidDevice : cudaSuccess;
}

static cudaError_t copy_3d_peer(const struct cudaMemcpy3DPeerParms *p, cudaStream_t stream,
                                bool sync_call, const char *fn)
{
    if (!p)
        return cudaErrorInvalidValue;
    cudaError_t e = check_devices(p->srcDevice, p->dstDevice);
    if (e != cudaSuccess)
        return e;
    return copy_3d(p->srcArray, p->srcPos, p->srcPtr, p->dstArray, p->dstPos, p->dstPtr, p->extent,
                   cudaMemcpyDefault, stream, sync_call, fn);
}

cudaError_t cushim_impl_cudaMemcpy3DPeer(const struct cudaMemcpy3DPeerParms *p)
{
    return copy_3d_peer(p, NULL, true, "cudaMemcpy3DPeer");
}

cudaError_t cushim_impl_cudaMemcpy3DPeerAsync(const struct cudaMemcpy3DPeerParms *p, cudaStream_t stream)
{
    return copy_3d_peer(p, stream, false, "cudaMemcpy3DPeerAsync");
}

cudaError_t cushim_impl_cudaMemcpyPeer(void *dst, int dstDevice, const void *src, int srcDevice,
                                       size_t count)
{
    cudaError_t e = check_devices(dstDevice, srcDevice);
    return e != cudaSuccess ? e : copy_1d(dst, src, count, cudaMemcpyDeviceToDevice, NULL, true);
}

cudaError_t cushim_impl_cudaMemcpyPeerAsync(void *dst, int dstDevice, const void *src, int srcDevice,
                                            size_t count, cudaStream_t stream)
{
    cudaError_t e = check_devices(dstDevice, srcDevice);
    return e != cudaSuccess ? e : copy_1d(dst, src, count, cudaMemcpyDeviceToDevice, stream, false);
}

static cudaError_t submit_fill(void *dst, int value, size_t width, size_t height, size_t depth,
                               size_t pitch, size_t slice, cudaStream_t stream, bool sync_call)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    e = cushim__stream_check(stream);
    if (e != cudaSuccess)
        return e;
    if (!width || !height || !depth)
        return cudaSuccess;
    if (!dst)
        return cudaErrorInvalidValue;
    e = cushim__fill_check(dst, span_of(width, height, depth, pitch, slice));
    if (e != cudaSuccess)
        return e;
    cushim__work w = {.kind = CUSHIM_WORK_FILL};
    w.u.fill.dst = dst;
    w.u.fill.value = value;
    w.u.fill.width = width;
    w.u.fill.height = height;
    w.u.fill.depth = depth;
    w.u.fill.pitch = pitch;
    w.u.fill.slice = slice;
    e = cushim__submit(cushim__ptsz(stream), &w, sync_call ? CUSHIM_SUBMIT_WAIT : 0);
    if (e == cudaSuccess && sync_call)
        e = cushim__sync_point();
    return e;
}

cudaError_t cushim_impl_cudaMemset(void *devPtr, int value, size_t count)
{
    return submit_fill(devPtr, value, count, 1, 1, count, count, NULL, true);
}

cudaError_t cushim_impl_cudaMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t stream)
{
    return submit_fill(devPtr, value, count, 1, 1, count, count, stream, false);
}

cudaError_t cushim_impl_cudaMemset2D(void *devPtr, size_t pitch, int value, size_t width, size_t height)
{
    if (height > 1 && width > pitch)
        return cudaErrorInvalidValue;
    return submit_fill(devPtr, value, width, height, 1, pitch, 0, NULL, true);
}

cudaError_t cushim_impl_cudaMemset2DAsync(void *devPtr, size_t pitch, int value, size_t width,
                                          size_t height, cudaStream_t stream)
{
    if (height > 1 && width > pitch)
        return cudaErrorInvalidValue;
    return submit_fill(devPtr, value, width, height, 1, pitch, 0, stream, false);
}

static cudaError_t memset_3d(struct cudaPitchedPtr p, int value, struct cudaExtent extent,
                             cudaStream_t stream, bool sync_call)
{
    if ((extent.height > 1 || extent.depth > 1) && extent.width > p.pitch)
        return cudaErrorInvalidValue;
    size_t slice = p.pitch * (p.ysize ? p.ysize : extent.height);
    return submit_fill(p.ptr, value, extent.width, extent.height, extent.depth, p.pitch, slice,
                       stream, sync_call);
}

cudaError_t cushim_impl_cudaMemset3D(struct cudaPitchedPtr pitchedDevPtr, int value,
                                     struct cudaExtent extent)
{
    return memset_3d(pitchedDevPtr, value, extent, NULL, true);
}

cudaError_t cushim_impl_cudaMemset3DAsync(struct cudaPitchedPtr pitchedDevPtr, int value,
                                          struct cudaExtent extent, cudaStream_t stream)
{
    return memset_3d(pitchedDevPtr, value, extent, stream, false);
}

/* ---- symbols ------------------------------------------------------------------------- */

static cudaError_t symbol_range(const void *symbol, size_t count, size_t offset, cushim_dptr *addr)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    size_t size;
    e = cushim__symbol_resolve(symbol, dev, addr, &size);
    if (e != cudaSuccess)
        return e;
    if (offset > size || count > size - offset)
        return cudaErrorInvalidValue;
    *addr += offset;
    return cudaSuccess;
}

static cudaError_t to_symbol(const void *symbol, const void *src, size_t count, size_t offset,
                             enum cudaMemcpyKind kind, cudaStream_t stream, bool sync_call)
{
    if (kind != cudaMemcpyHostToDevice && kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    cushim_dptr addr;
    cudaError_t e = symbol_range(symbol, count, offset, &addr);
    if (e != cudaSuccess)
        return e;
    return copy_1d((void *)(uintptr_t)addr, src, count, kind, stream, sync_call);
}

static cudaError_t from_symbol(void *dst, const void *symbol, size_t count, size_t offset,
                               enum cudaMemcpyKind kind, cudaStream_t stream, bool sync_call)
{
    if (kind != cudaMemcpyDeviceToHost && kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    cushim_dptr addr;
    cudaError_t e = symbol_range(symbol, count, offset, &addr);
    if (e != cudaSuccess)
        return e;
    return copy_1d(dst, (const void *)(uintptr_t)addr, count, kind, stream, sync_call);
}

cudaError_t cushim_impl_cudaMemcpyToSymbol(const void *symbol, const void *src, size_t count,
                                           size_t offset, enum cudaMemcpyKind kind)
{
    return to_symbol(symbol, src, count, offset, kind, NULL, true);
}

cudaError_t cushim_impl_cudaMemcpyFromSymbol(void *dst, const void *symbol, size_t count,
                                             size_t offset, enum cudaMemcpyKind kind)
{
    return from_symbol(dst, symbol, count, offset, kind, NULL, true);
}

cudaError_t cushim_impl_cudaMemcpyToSymbolAsync(const void *symbol, const void *src, size_t count,
                                                size_t offset, enum cudaMemcpyKind kind,
                                                cudaStream_t stream)
{
    return to_symbol(symbol, src, count, offset, kind, stream, false);
}

cudaError_t cushim_impl_cudaMemcpyFromSymbolAsync(void *dst, const void *symbol, size_t count,
                                                  size_t offset, enum cudaMemcpyKind kind,
                                                  cudaStream_t stream)
{
    return from_symbol(dst, symbol, count, offset, kind, stream, false);
}

cudaError_t cushim_impl_cudaGetSymbolAddress(void **devPtr, const void *symbol)
{
    if (!devPtr)
        return cudaErrorInvalidValue;
    cushim_dptr addr;
    cudaError_t e = symbol_range(symbol, 0, 0, &addr);
    if (e == cudaSuccess)
        *devPtr = (void *)(uintptr_t)addr;
    return e;
}

cudaError_t cushim_impl_cudaGetSymbolSize(size_t *size, const void *symbol)
{
    if (!size)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    cushim_dptr addr;
    return cushim__symbol_resolve(symbol, dev, &addr, size);
}

/* ---- pointer attributes ---------------------------------------------------------------- */

static cudaError_t classify(const void *ptr, enum cudaMemoryType *type, int *device,
                            void **dptr, void **hptr)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    cushim__alloc a;
    *type = cudaMemoryTypeUnregistered;
    *device = -2;
    *dptr = NULL;
    *hptr = NULL;
    if (!ptr || !cushim__alloc_find((uintptr_t)ptr, &a))
        return cudaSuccess;   /* CUDA 11+: unregistered host memory is not an error */
    size_t off = (uintptr_t)ptr - a.base;
    *device = a.device;
    switch (a.kind) {
    case CUSHIM_MEM_DEVICE:
    case CUSHIM_MEM_SYMBOL:
        *type = cudaMemoryTypeDevice;
        *dptr = (void *)ptr;
        break;
    case CUSHIM_MEM_MANAGED:
        *type = cudaMemoryTypeManaged;
        *dptr = (void *)ptr;
        *hptr = (void *)ptr;
        break;
    case CUSHIM_MEM_HOST:
    case CUSHIM_MEM_REGISTERED:
        *type = cudaMemoryTypeHost;
        *hptr = (char *)a.host + off;
        if (cushim__device_info(a.device)->unified_addressing)
            *dptr = *hptr;
        break;
    }
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaPointerGetAttributes(struct cudaPointerAttributes *attributes, const void *ptr)
{
    if (!attributes)
        return cudaErrorInvalidValue;
    enum cudaMemoryType type;
    int device;
    void *d, *h;
    cudaError_t e = classify(ptr, &type, &device, &d, &h);
    if (e != cudaSuccess)
        return e;
    memset(attributes, 0, sizeof *attributes);
    attributes->type = type;
    attributes->device = device;
    attributes->devicePointer = d;
    attributes->hostPointer = h;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaPointerGetAttributes12(struct cudaPointerAttributes12 *attributes,
                                                   const void *ptr)
{
    if (!attributes)
        return cudaErrorInvalidValue;
    enum cudaMemoryType type;
    int device;
    void *d, *h;
    cudaError_t e = classify(ptr, &type, &device, &d, &h);
    if (e != cudaSuccess)
        return e;
    attributes->type = type;
    attributes->device = device;
    attributes->devicePointer = d;
    attributes->hostPointer = h;
    return cudaSuccess;
}
