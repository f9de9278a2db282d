/* api_memory.c: device, managed and pinned host memory; copies and fills (synchronous,
 * all kinds incl. cudaMemcpyDefault and host-to-host); symbol copies; pointer
 * attributes; memory info. */
#include <stdlib.h>
#include <string.h>

#include "shim/api_gen.h"
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
    /* CUDA synchronises the device before freeing: report a pending fault here. */
    e = cushim__sync_point();
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
    e = cushim__sync_point();
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

/* ---- copies and fills ---------------------------------------------------------------- */

static cudaError_t copy_checked(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
    if ((unsigned)kind > cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    /* Copies are ordered after the kernels before them: report their faults first. */
    e = cushim__sync_point();
    if (e != cudaSuccess)
        return e;
    return cushim__copy(dst, src, count, kind);
}

cudaError_t cushim_impl_cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
    return copy_checked(dst, src, count, kind);
}

cudaError_t cushim_impl_cudaMemcpyAsync(void *dst, const void *src, size_t count,
                                        enum cudaMemcpyKind kind, cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    return e != cudaSuccess ? e : copy_checked(dst, src, count, kind);
}

cudaError_t cushim_impl_cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch,
                                     size_t width, size_t height, enum cudaMemcpyKind kind)
{
    if ((unsigned)kind > cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    if (width > dpitch || width > spitch)
        return cudaErrorInvalidPitchValue;
    for (size_t row = 0; row < height; row++) {
        cudaError_t e = copy_checked((char *)dst + row * dpitch, (const char *)src + row * spitch,
                                     width, kind);
        if (e != cudaSuccess)
            return e;
    }
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch,
                                          size_t width, size_t height, enum cudaMemcpyKind kind,
                                          cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    return e != cudaSuccess ? e : cushim_impl_cudaMemcpy2D(dst, dpitch, src, spitch, width, height, kind);
}

cudaError_t cushim_impl_cudaMemcpyPeer(void *dst, int dstDevice, const void *src, int srcDevice,
                                       size_t count)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    int n = cushim__device_count();
    if (dstDevice < 0 || dstDevice >= n || srcDevice < 0 || srcDevice >= n)
        return cudaErrorInvalidDevice;
    return copy_checked(dst, src, count, cudaMemcpyDeviceToDevice);
}

cudaError_t cushim_impl_cudaMemcpyPeerAsync(void *dst, int dstDevice, const void *src, int srcDevice,
                                            size_t count, cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    return e != cudaSuccess ? e : cushim_impl_cudaMemcpyPeer(dst, dstDevice, src, srcDevice, count);
}

cudaError_t cushim_impl_cudaMemset(void *devPtr, int value, size_t count)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    e = cushim__sync_point();
    if (e != cudaSuccess)
        return e;
    return cushim__fill(devPtr, value, count);
}

cudaError_t cushim_impl_cudaMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    return e != cudaSuccess ? e : cushim_impl_cudaMemset(devPtr, value, count);
}

cudaError_t cushim_impl_cudaMemset2D(void *devPtr, size_t pitch, int value, size_t width, size_t height)
{
    if (width > pitch)
        return cudaErrorInvalidValue;
    for (size_t row = 0; row < height; row++) {
        cudaError_t e = cushim_impl_cudaMemset((char *)devPtr + row * pitch, value, width);
        if (e != cudaSuccess)
            return e;
    }
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaMemset2DAsync(void *devPtr, size_t pitch, int value, size_t width,
                                          size_t height, cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    return e != cudaSuccess ? e : cushim_impl_cudaMemset2D(devPtr, pitch, value, width, height);
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

cudaError_t cushim_impl_cudaMemcpyToSymbol(const void *symbol, const void *src, size_t count,
                                           size_t offset, enum cudaMemcpyKind kind)
{
    if (kind != cudaMemcpyHostToDevice && kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    cushim_dptr addr;
    cudaError_t e = symbol_range(symbol, count, offset, &addr);
    if (e != cudaSuccess)
        return e;
    return copy_checked((void *)(uintptr_t)addr, src, count, kind);
}

cudaError_t cushim_impl_cudaMemcpyFromSymbol(void *dst, const void *symbol, size_t count,
                                             size_t offset, enum cudaMemcpyKind kind)
{
    if (kind != cudaMemcpyDeviceToHost && kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    cushim_dptr addr;
    cudaError_t e = symbol_range(symbol, count, offset, &addr);
    if (e != cudaSuccess)
        return e;
    return copy_checked(dst, (const void *)(uintptr_t)addr, count, kind);
}

cudaError_t cushim_impl_cudaMemcpyToSymbolAsync(const void *symbol, const void *src, size_t count,
                                                size_t offset, enum cudaMemcpyKind kind,
                                                cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    return e != cudaSuccess ? e : cushim_impl_cudaMemcpyToSymbol(symbol, src, count, offset, kind);
}

cudaError_t cushim_impl_cudaMemcpyFromSymbolAsync(void *dst, const void *symbol, size_t count,
                                                  size_t offset, enum cudaMemcpyKind kind,
                                                  cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    return e != cudaSuccess ? e : cushim_impl_cudaMemcpyFromSymbol(dst, symbol, count, offset, kind);
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
