/* driver_memory.c: memory (allocation, copies, fills, pointer queries), streams,
 * events, and stream capture into graphs with their instantiation and launch, for the
 * driver API. Everything goes through the runtime's own
 * implementations in libcudart, so a pointer, stream or event made by either API
 * works with the other, and ordering, bounds checks and errors are the same. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/driver_gen.h"
#include "shim/driver_internal.h"

#define CORE cushim__drv_core
#define R(call) cushim__drv_result(call)
#define PTR(d) ((void *)(uintptr_t)(d))

/* ---- allocation --------------------------------------------------------------------- */

CUresult cushim_drv_cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
    if (!dptr || !bytesize)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    void *p = NULL;
    CUresult r = R(CORE->malloc(&p, bytesize));
    if (r == CUDA_SUCCESS)
        *dptr = (CUdeviceptr)(uintptr_t)p;
    return r;
}

CUresult cushim_drv_cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes,
                                       size_t Height, unsigned int ElementSizeBytes)
{
    if (!dptr || !pPitch || !WidthInBytes || !Height ||
        (ElementSizeBytes != 4 && ElementSizeBytes != 8 && ElementSizeBytes != 16))
        return CUDA_ERROR_INVALID_VALUE;
    size_t pitch = (WidthInBytes + 511) & ~(size_t)511;   /* the runtime's pitch alignment */
    if (Height > SIZE_MAX / pitch)
        return CUDA_ERROR_OUT_OF_MEMORY;
    CUresult r = cushim_drv_cuMemAlloc_v2(dptr, pitch * Height);
    if (r == CUDA_SUCCESS)
        *pPitch = pitch;
    return r;
}

CUresult cushim_drv_cuMemFree_v2(CUdeviceptr dptr)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->free(PTR(dptr)));
}

CUresult cushim_drv_cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags)
{
    if (!dptr || !bytesize || (flags != CU_MEM_ATTACH_GLOBAL && flags != CU_MEM_ATTACH_HOST))
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    void *p = NULL;
    CUresult r = R(CORE->malloc_managed(&p, bytesize, flags));
    if (r == CUDA_SUCCESS)
        *dptr = (CUdeviceptr)(uintptr_t)p;
    return r;
}

CUresult cushim_drv_cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags)
{
    if (!pp || !bytesize)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    /* CU_MEMHOSTALLOC_* and cudaHostAlloc* flags have the same values. */
    return R(CORE->host_alloc(pp, bytesize, Flags));
}

CUresult cushim_drv_cuMemAllocHost_v2(void **pp, size_t bytesize)
{
    return cushim_drv_cuMemHostAlloc(pp, bytesize, 0);
}

CUresult cushim_drv_cuMemFreeHost(void *p)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->free_host(p));
}

CUresult cushim_drv_cuMemHostRegister_v2(void *p, size_t bytesize, unsigned int Flags)
{
    if (!p || !bytesize)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->host_register(p, bytesize, Flags));
}

CUresult cushim_drv_cuMemHostUnregister(void *p)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->host_unregister(p));
}

CUresult cushim_drv_cuMemHostGetDevicePointer_v2(CUdeviceptr *pdptr, void *p, unsigned int Flags)
{
    if (!pdptr || !p || Flags)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    void *d = NULL;
    CUresult r = R(CORE->host_get_device_pointer(&d, p, 0));
    if (r == CUDA_SUCCESS)
        *pdptr = (CUdeviceptr)(uintptr_t)d;
    return r;
}

CUresult cushim_drv_cuMemHostGetFlags(unsigned int *pFlags, void *p)
{
    if (!pFlags || !p)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    cushim__alloc a;
    if (!CORE->alloc_find((uintptr_t)p, &a) || a.kind != CUSHIM_MEM_HOST)
        return CUDA_ERROR_INVALID_VALUE;
    *pFlags = a.flags;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuMemGetInfo_v2(size_t *free, size_t *total)
{
    if (!free || !total)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->mem_get_info(free, total));
}

CUresult cushim_drv_cuMemGetAddressRange_v2(CUdeviceptr *pbase, size_t *psize, CUdeviceptr dptr)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    cushim__alloc a;
    if (!CORE->alloc_find((uintptr_t)dptr, &a) || a.kind == CUSHIM_MEM_HOST ||
        a.kind == CUSHIM_MEM_REGISTERED)
        return CUDA_ERROR_NOT_FOUND;
    if (pbase)
        *pbase = (CUdeviceptr)a.base;
    if (psize)
        *psize = a.size;
    return CUDA_SUCCESS;
}

/* ---- copies ------------------------------------------------------------------------- */

static CUresult copy(void *dst, const void *src, size_t n, enum cudaMemcpyKind kind)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    if (!n)
        return CUDA_SUCCESS;
    return R(CORE->memcpy(dst, src, n, kind));
}

static CUresult copy_async(void *dst, const void *src, size_t n, enum cudaMemcpyKind kind,
                           CUstream s)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    if (!n)
        return CUDA_SUCCESS;
    return R(CORE->memcpy_async(dst, src, n, kind, cushim__drv_stream(s)));
}

CUresult cushim_drv_cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)
{
    return copy(PTR(dstDevice), srcHost, ByteCount, cudaMemcpyHostToDevice);
}

CUresult cushim_drv_cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount)
{
    return copy(dstHost, PTR(srcDevice), ByteCount, cudaMemcpyDeviceToHost);
}

CUresult cushim_drv_cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount)
{
    return copy(PTR(dstDevice), PTR(srcDevice), ByteCount, cudaMemcpyDeviceToDevice);
}

CUresult cushim_drv_cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount)
{
    return copy(PTR(dst), PTR(src), ByteCount, cudaMemcpyDefault);
}

CUresult cushim_drv_cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost,
                                         size_t ByteCount, CUstream hStream)
{
    return copy_async(PTR(dstDevice), srcHost, ByteCount, cudaMemcpyHostToDevice, hStream);
}

CUresult cushim_drv_cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount,
                                         CUstream hStream)
{
    return copy_async(dstHost, PTR(srcDevice), ByteCount, cudaMemcpyDeviceToHost, hStream);
}

CUresult cushim_drv_cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice,
                                         size_t ByteCount, CUstream hStream)
{
    return copy_async(PTR(dstDevice), PTR(srcDevice), ByteCount, cudaMemcpyDeviceToDevice, hStream);
}

CUresult cushim_drv_cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount,
                                  CUstream hStream)
{
    return copy_async(PTR(dst), PTR(src), ByteCount, cudaMemcpyDefault, hStream);
}

/* ---- fills -------------------------------------------------------------------------- */

/* Fill `count` elements of `width` bytes (1, 2 or 4) with the pattern. Byte patterns
 * (and wider ones whose bytes are all equal) are one core fill, ordered on the
 * stream; others are written as copies of a pattern buffer after the stream's earlier
 * work completes (the call is then synchronous, which CUDA allows). */
static CUresult fill(CUdeviceptr dst, uint32_t value, unsigned width, size_t count, CUstream s,
                     bool async)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    if (!count)
        return CUDA_SUCCESS;
    if (count > SIZE_MAX / width)
        return CUDA_ERROR_INVALID_VALUE;
    if (dst % width)
        return CUDA_ERROR_INVALID_VALUE;
    uint8_t b = (uint8_t)value;
    bool uniform = width == 1 || (width == 2 && (value & 0xffff) == b * 0x0101u) ||
                   (width == 4 && value == b * 0x01010101u);
    cudaStream_t stream = cushim__drv_stream(s);
    if (uniform)
        return async ? R(CORE->memset_async(PTR(dst), b, count * width, stream))
                     : R(CORE->memset(PTR(dst), b, count * width));
    CUresult r = async ? R(CORE->stream_synchronize(stream)) : CUDA_SUCCESS;
    if (r != CUDA_SUCCESS)
        return r;
    enum { CHUNK = 64 * 1024 };
    uint8_t *pattern = malloc(CHUNK);
    if (!pattern)
        return CUDA_ERROR_OUT_OF_MEMORY;
    for (size_t i = 0; i < CHUNK; i += width)
        memcpy(pattern + i, &value, width);   /* little-endian: the low bytes */
    size_t total = count * width;
    for (size_t done = 0; done < total && r == CUDA_SUCCESS;) {
        size_t n = total - done < CHUNK ? total - done : CHUNK;
        r = R(CORE->memcpy(PTR(dst + done), pattern, n, cudaMemcpyHostToDevice));
        done += n;
    }
    free(pattern);
    return r;
}

static CUresult fill_2d(CUdeviceptr dst, size_t pitch, uint32_t value, unsigned width,
                        size_t w, size_t h, CUstream s, bool async)
{
    if (h > 1 && pitch < w * width)
        return CUDA_ERROR_INVALID_VALUE;
    CUresult r = CUDA_SUCCESS;
    for (size_t row = 0; row < h && r == CUDA_SUCCESS; row++)
        r = fill(dst + row * pitch, value, width, w, s, async);
    return r;
}

CUresult cushim_drv_cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N)
{
    return fill(dstDevice, uc, 1, N, NULL, false);
}

CUresult cushim_drv_cuMemsetD16_v2(CUdeviceptr dstDevice, unsigned short us, size_t N)
{
    return fill(dstDevice, us, 2, N, NULL, false);
}

CUresult cushim_drv_cuMemsetD32_v2(CUdeviceptr dstDevice, unsigned int ui, size_t N)
{
    return fill(dstDevice, ui, 4, N, NULL, false);
}

CUresult cushim_drv_cuMemsetD8Async(CUdeviceptr dstDevice, unsigned char uc, size_t N,
                                    CUstream hStream)
{
    return fill(dstDevice, uc, 1, N, hStream, true);
}

CUresult cushim_drv_cuMemsetD16Async(CUdeviceptr dstDevice, unsigned short us, size_t N,
                                     CUstream hStream)
{
    return fill(dstDevice, us, 2, N, hStream, true);
}

CUresult cushim_drv_cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N,
                                     CUstream hStream)
{
    return fill(dstDevice, ui, 4, N, hStream, true);
}

CUresult cushim_drv_cuMemsetD2D8_v2(CUdeviceptr dstDevice, size_t dstPitch, unsigned char uc,
                                    size_t Width, size_t Height)
{
    return fill_2d(dstDevice, dstPitch, uc, 1, Width, Height, NULL, false);
}

CUresult cushim_drv_cuMemsetD2D16_v2(CUdeviceptr dstDevice, size_t dstPitch, unsigned short us,
                                     size_t Width, size_t Height)
{
    return fill_2d(dstDevice, dstPitch, us, 2, Width, Height, NULL, false);
}

CUresult cushim_drv_cuMemsetD2D32_v2(CUdeviceptr dstDevice, size_t dstPitch, unsigned int ui,
                                     size_t Width, size_t Height)
{
    return fill_2d(dstDevice, dstPitch, ui, 4, Width, Height, NULL, false);
}

/* ---- pointer attributes ------------------------------------------------------------- */

static CUresult pointer_attribute(void *data, CUpointer_attribute attribute, CUdeviceptr ptr,
                                  const cushim__alloc *a)
{
    bool device_side = a->kind == CUSHIM_MEM_DEVICE || a->kind == CUSHIM_MEM_MANAGED ||
                       a->kind == CUSHIM_MEM_SYMBOL;
    switch (attribute) {
    case CU_POINTER_ATTRIBUTE_CONTEXT:
        *(CUcontext *)data = cushim__drv_primary_ctx(a->device);
        break;
    case CU_POINTER_ATTRIBUTE_MEMORY_TYPE:
        *(unsigned *)data = device_side ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST;
        break;
    case CU_POINTER_ATTRIBUTE_DEVICE_POINTER:
        /* Device and host views share addresses on unified backends; otherwise only
         * device memory has a device pointer. */
        if (!device_side && !a->host)
            return CUDA_ERROR_INVALID_VALUE;
        *(CUdeviceptr *)data = ptr;
        break;
    case CU_POINTER_ATTRIBUTE_HOST_POINTER:
        if (!a->host)
            return CUDA_ERROR_INVALID_VALUE;
        *(void **)data = (char *)a->host + (ptr - a->base);
        break;
    case CU_POINTER_ATTRIBUTE_SYNC_MEMOPS:
        *(bool *)data = true;   /* every operation is ordered: synchronous memops hold */
        break;
    case CU_POINTER_ATTRIBUTE_BUFFER_ID:
        *(unsigned long long *)data = (unsigned long long)a->base;
        break;
    case CU_POINTER_ATTRIBUTE_IS_MANAGED:
        *(bool *)data = a->kind == CUSHIM_MEM_MANAGED;
        break;
    case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL:
        *(int *)data = a->device;
        break;
    case CU_POINTER_ATTRIBUTE_RANGE_START_ADDR:
        *(CUdeviceptr *)data = (CUdeviceptr)a->base;
        break;
    case CU_POINTER_ATTRIBUTE_RANGE_SIZE:
        *(size_t *)data = a->size;
        break;
    case CU_POINTER_ATTRIBUTE_MAPPED:
        *(bool *)data = true;
        break;
    default: {
        char key[64];
        snprintf(key, sizeof key, "drv:ptr-attr:%d", attribute);
        cushim__drv_log_once(key, "cuPointerGetAttribute: attribute %d is not supported by "
                             "cushim; it returns CUDA_ERROR_NOT_SUPPORTED", attribute);
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    }
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuPointerGetAttribute(void *data, CUpointer_attribute attribute, CUdeviceptr ptr)
{
    if (!data)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    cushim__alloc a;
    if (!CORE->alloc_find((uintptr_t)ptr, &a))
        return CUDA_ERROR_INVALID_VALUE;   /* memory CUDA does not know */
    return pointer_attribute(data, attribute, ptr, &a);
}

CUresult cushim_drv_cuPointerGetAttributes(unsigned int numAttributes,
                                           CUpointer_attribute *attributes, void **data,
                                           CUdeviceptr ptr)
{
    if (!numAttributes || !attributes || !data)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    cushim__alloc a;
    bool known = CORE->alloc_find((uintptr_t)ptr, &a);
    for (unsigned i = 0; i < numAttributes; i++) {
        if (!data[i])
            return CUDA_ERROR_INVALID_VALUE;
        if (!known) {
            /* Unknown memory answers "nothing" rather than failing (CUDA's rule here). */
            if (attributes[i] == CU_POINTER_ATTRIBUTE_MEMORY_TYPE)
                *(unsigned *)data[i] = 0;
            else if (attributes[i] == CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL)
                *(int *)data[i] = -2;
            else if (attributes[i] == CU_POINTER_ATTRIBUTE_IS_MANAGED ||
                     attributes[i] == CU_POINTER_ATTRIBUTE_MAPPED ||
                     attributes[i] == CU_POINTER_ATTRIBUTE_SYNC_MEMOPS)
                *(bool *)data[i] = false;
            else
                *(void **)data[i] = NULL;
            continue;
        }
        CUresult r = pointer_attribute(data[i], attributes[i], ptr, &a);
        if (r == CUDA_ERROR_INVALID_VALUE)
            *(void **)data[i] = NULL;
        else if (r != CUDA_SUCCESS)
            return r;
    }
    return CUDA_SUCCESS;
}

/* ---- streams ------------------------------------------------------------------------ */

CUresult cushim_drv_cuStreamCreateWithPriority(CUstream *phStream, unsigned int flags, int priority)
{
    if (!phStream || (flags & ~(unsigned)CU_STREAM_NON_BLOCKING))
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    cudaStream_t s = NULL;
    CUresult r = R(CORE->stream_create(&s, flags, priority));
    if (r == CUDA_SUCCESS)
        *phStream = (CUstream)s;
    return r;
}

CUresult cushim_drv_cuStreamCreate(CUstream *phStream, unsigned int Flags)
{
    return cushim_drv_cuStreamCreateWithPriority(phStream, Flags, 0);
}

CUresult cushim_drv_cuStreamDestroy_v2(CUstream hStream)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    if (!hStream || hStream == CU_STREAM_LEGACY || hStream == CU_STREAM_PER_THREAD)
        return CUDA_ERROR_INVALID_HANDLE;
    return R(CORE->stream_destroy((cudaStream_t)hStream));
}

CUresult cushim_drv_cuStreamSynchronize(CUstream hStream)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->stream_synchronize(cushim__drv_stream(hStream)));
}

CUresult cushim_drv_cuStreamQuery(CUstream hStream)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->stream_query(cushim__drv_stream(hStream)));
}

CUresult cushim_drv_cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->stream_wait_event(cushim__drv_stream(hStream), (cudaEvent_t)hEvent, Flags));
}

CUresult cushim_drv_cuStreamGetFlags(CUstream hStream, unsigned int *flags)
{
    if (!flags)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->stream_get_flags(cushim__drv_stream(hStream), flags));
}

CUresult cushim_drv_cuStreamGetPriority(CUstream hStream, int *priority)
{
    if (!priority)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->stream_get_priority(cushim__drv_stream(hStream), priority));
}

CUresult cushim_drv_cuStreamGetCtx(CUstream hStream, CUcontext *pctx)
{
    if (!pctx)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    unsigned flags;
    CUresult r = R(CORE->stream_get_flags(cushim__drv_stream(hStream), &flags));
    if (r != CUDA_SUCCESS)
        return r;
    /* Streams belong to a device here; the current context is the one on it. */
    *pctx = cushim__drv_ctx_current();
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuStreamAddCallback(CUstream hStream, CUstreamCallback callback,
                                        void *userData, unsigned int flags)
{
    if (!callback || flags)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    /* CUstreamCallback and cudaStreamCallback_t have one ABI (a handle, an int status
     * that is 0 on success in both APIs, the user pointer). */
    return R(CORE->stream_add_callback(cushim__drv_stream(hStream),
                                       (cudaStreamCallback_t)(void (*)(void))callback,
                                       userData, 0));
}

CUresult cushim_drv_cuLaunchHostFunc(CUstream hStream, CUhostFn fn, void *userData)
{
    if (!fn)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->launch_host_func(cushim__drv_stream(hStream), fn, userData));
}

/* ---- events ------------------------------------------------------------------------- */

CUresult cushim_drv_cuEventCreate(CUevent *phEvent, unsigned int Flags)
{
    if (!phEvent)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    cudaEvent_t e = NULL;
    /* CU_EVENT_* and cudaEvent* flags have the same values. */
    CUresult r = R(CORE->event_create(&e, Flags));
    if (r == CUDA_SUCCESS)
        *phEvent = (CUevent)e;
    return r;
}

CUresult cushim_drv_cuEventDestroy_v2(CUevent hEvent)
{
    DRV_REQUIRE_INIT();
    return R(CORE->event_destroy((cudaEvent_t)hEvent));
}

CUresult cushim_drv_cuEventRecord(CUevent hEvent, CUstream hStream)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->event_record((cudaEvent_t)hEvent, cushim__drv_stream(hStream)));
}

CUresult cushim_drv_cuEventRecordWithFlags(CUevent hEvent, CUstream hStream, unsigned int flags)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->event_record_with_flags((cudaEvent_t)hEvent, cushim__drv_stream(hStream), flags));
}

CUresult cushim_drv_cuEventSynchronize(CUevent hEvent)
{
    DRV_REQUIRE_INIT();
    return R(CORE->event_synchronize((cudaEvent_t)hEvent));
}

CUresult cushim_drv_cuEventQuery(CUevent hEvent)
{
    DRV_REQUIRE_INIT();
    return R(CORE->event_query((cudaEvent_t)hEvent));
}

CUresult cushim_drv_cuEventElapsedTime(float *pMilliseconds, CUevent hStart, CUevent hEnd)
{
    if (!pMilliseconds)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    return R(CORE->event_elapsed_time(pMilliseconds, (cudaEvent_t)hStart, (cudaEvent_t)hEnd));
}

/* ---- profiler ----------------------------------------------------------------------- */

/* No profiler to start: accepted, as with no profiler attached. */
CUresult cushim_drv_cuProfilerStart(void)
{
    DRV_REQUIRE_INIT();
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuProfilerStop(void)
{
    DRV_REQUIRE_INIT();
    return CUDA_SUCCESS;
}

/* ---- stream capture and graphs ------------------------------------------------------ */
/* The runtime's capture: work submitted to a capturing stream through either API becomes
 * nodes of the graph EndCapture returns; graph and exec handles are the runtime's. */

CUresult cushim_drv_cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->stream_begin_capture(cushim__drv_stream(hStream),
                                        (enum cudaStreamCaptureMode)mode));
}

/* The first form has no mode: CUDA documents it as global capture. */
CUresult cushim_drv_cuStreamBeginCapture(CUstream hStream)
{
    return cushim_drv_cuStreamBeginCapture_v2(hStream, 0 /* CU_STREAM_CAPTURE_MODE_GLOBAL */);
}

CUresult cushim_drv_cuStreamEndCapture(CUstream hStream, CUgraph *phGraph)
{
    if (!phGraph)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    cudaGraph_t g = NULL;
    CUresult r = R(CORE->stream_end_capture(cushim__drv_stream(hStream), &g));
    *phGraph = (CUgraph)g;
    return r;
}

CUresult cushim_drv_cuStreamIsCapturing(CUstream hStream, CUstreamCaptureStatus *captureStatus)
{
    if (!captureStatus)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    enum cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
    CUresult r = R(CORE->stream_capture_info(cushim__drv_stream(hStream), &st, NULL, NULL, NULL,
                                             NULL, NULL));
    if (r == CUDA_SUCCESS)
        *captureStatus = (CUstreamCaptureStatus)st;
    return r;
}

CUresult cushim_drv_cuStreamGetCaptureInfo_v3(CUstream hStream,
                                              CUstreamCaptureStatus *captureStatus_out,
                                              cuuint64_t *id_out, CUgraph *graph_out,
                                              const CUgraphNode **dependencies_out,
                                              const CUgraphEdgeData **edgeData_out,
                                              size_t *numDependencies_out)
{
    if (!captureStatus_out)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    enum cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
    unsigned long long id = 0;
    cudaGraph_t g = NULL;
    const cudaGraphNode_t *deps = NULL;
    const cudaGraphEdgeData *edges = NULL;
    size_t n = 0;
    CUresult r = R(CORE->stream_capture_info(cushim__drv_stream(hStream), &st,
                                             id_out ? &id : NULL, graph_out ? &g : NULL,
                                             dependencies_out ? &deps : NULL,
                                             edgeData_out ? &edges : NULL,
                                             numDependencies_out ? &n : NULL));
    if (r != CUDA_SUCCESS)
        return r;
    *captureStatus_out = (CUstreamCaptureStatus)st;
    if (id_out)
        *id_out = id;
    if (graph_out)
        *graph_out = (CUgraph)g;
    if (dependencies_out)
        *dependencies_out = (const CUgraphNode *)deps;
    if (edgeData_out)
        *edgeData_out = edges;
    if (numDependencies_out)
        *numDependencies_out = n;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuStreamGetCaptureInfo_v2(CUstream hStream,
                                              CUstreamCaptureStatus *captureStatus_out,
                                              cuuint64_t *id_out, CUgraph *graph_out,
                                              const CUgraphNode **dependencies_out,
                                              size_t *numDependencies_out)
{
    return cushim_drv_cuStreamGetCaptureInfo_v3(hStream, captureStatus_out, id_out, graph_out,
                                                dependencies_out, NULL, numDependencies_out);
}

CUresult cushim_drv_cuStreamGetCaptureInfo(CUstream hStream, CUstreamCaptureStatus *captureStatus_out,
                                           cuuint64_t *id_out)
{
    return cushim_drv_cuStreamGetCaptureInfo_v3(hStream, captureStatus_out, id_out, NULL, NULL,
                                                NULL, NULL);
}

CUresult cushim_drv_cuGraphInstantiateWithFlags(CUgraphExec *phGraphExec, CUgraph hGraph,
                                                unsigned long long flags)
{
    if (!phGraphExec)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    cudaGraphExec_t x = NULL;
    CUresult r = R(CORE->graph_instantiate(&x, (cudaGraph_t)hGraph, flags));
    if (r == CUDA_SUCCESS)
        *phGraphExec = (CUgraphExec)x;
    return r;
}

/* The older form reports a failing node and a log: instantiation here fails only for
 * bad arguments, with no node to name, so the log is left empty. */
CUresult cushim_drv_cuGraphInstantiate_v2(CUgraphExec *phGraphExec, CUgraph hGraph,
                                          CUgraphNode *phErrorNode, char *logBuffer,
                                          size_t bufferSize)
{
    if (phErrorNode)
        *phErrorNode = NULL;
    if (logBuffer && bufferSize)
        logBuffer[0] = '\0';
    return cushim_drv_cuGraphInstantiateWithFlags(phGraphExec, hGraph, 0);
}

CUresult cushim_drv_cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->graph_launch((cudaGraphExec_t)hGraphExec, cushim__drv_stream(hStream)));
}

CUresult cushim_drv_cuGraphExecDestroy(CUgraphExec hGraphExec)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->graph_exec_destroy((cudaGraphExec_t)hGraphExec));
}

CUresult cushim_drv_cuGraphDestroy(CUgraph hGraph)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return R(CORE->graph_destroy((cudaGraph_t)hGraph));
}
