/* api_stream.c: the stream, event and host-callback API: argument checks over the
 * stream engine (core_stream.c), which runs each stream's work on its own thread.
 * Error codes follow NVIDIA's runtime: a bad handle is cudaErrorInvalidResourceHandle,
 * a bad pointer or flag cudaErrorInvalidValue, pending work cudaErrorNotReady. */
#include <pthread.h>
#include <stdlib.h>

#include "shim/api_gen.h"
#include "shim/core.h"
#include "shim/core_stream.h"
#include "shim/log.h"

/* Priorities as on current NVIDIA GPUs: [greatest, least] = [-5, 0]. */
#define PRIORITY_GREATEST (-5)
#define PRIORITY_LEAST 0

/* ---- streams -------------------------------------------------------------------------- */

cudaError_t cushim_impl_cudaStreamCreateWithPriority(cudaStream_t *pStream, unsigned int flags,
                                                     int priority)
{
    if (!pStream || (flags & ~cudaStreamNonBlocking))
        return cudaErrorInvalidValue;
    /* CUDA clamps priorities into the supported range. */
    if (priority > PRIORITY_LEAST)
        priority = PRIORITY_LEAST;
    if (priority < PRIORITY_GREATEST)
        priority = PRIORITY_GREATEST;
    return cushim__stream_create(pStream, flags, priority);
}

cudaError_t cushim_impl_cudaStreamCreateWithFlags(cudaStream_t *pStream, unsigned int flags)
{
    return cushim_impl_cudaStreamCreateWithPriority(pStream, flags, 0);
}

cudaError_t cushim_impl_cudaStreamCreate(cudaStream_t *pStream)
{
    return cushim_impl_cudaStreamCreateWithPriority(pStream, cudaStreamDefault, 0);
}

cudaError_t cushim_impl_cudaStreamDestroy(cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (stream == NULL || stream == cudaStreamLegacy || stream == cudaStreamPerThread)
        return cudaErrorInvalidResourceHandle;
    return cushim__stream_destroy(stream);
}

cudaError_t cushim_impl_cudaStreamSynchronize(cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    return e != cudaSuccess ? e : cushim__stream_wait(cushim__ptsz(stream));
}

cudaError_t cushim_impl_cudaStreamQuery(cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    return e != cudaSuccess ? e : cushim__stream_query(cushim__ptsz(stream));
}

cudaError_t cushim_impl_cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (flags & ~1u)  /* cudaEventWaitDefault / cudaEventWaitExternal */
        return cudaErrorInvalidValue;
    if (!event)
        return cudaErrorInvalidResourceHandle;
    cushim__work w = {.kind = CUSHIM_WORK_EVENT_WAIT, .u.event.event = event};
    return cushim__submit(cushim__ptsz(stream), &w, 0);
}

/* Read one property of a stream handle under the engine's lock. */
typedef enum stream_prop { PROP_FLAGS, PROP_PRIORITY, PROP_DEVICE, PROP_ID } stream_prop;

static cudaError_t stream_property(cudaStream_t h, stream_prop what, unsigned long long *out)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__stream *s = cushim__stream_lookup_locked(cushim__ptsz(h), dev);
    if (s) {
        switch (what) {
        case PROP_FLAGS: *out = s->flags; break;
        case PROP_PRIORITY: *out = (unsigned long long)(long long)s->priority; break;
        case PROP_DEVICE: *out = (unsigned long long)s->device; break;
        case PROP_ID: *out = s->id; break;
        }
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return s ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t cushim_impl_cudaStreamGetFlags(cudaStream_t hStream, unsigned int *flags)
{
    if (!flags)
        return cudaErrorInvalidValue;
    unsigned long long v;
    cudaError_t e = stream_property(hStream, PROP_FLAGS, &v);
    if (e == cudaSuccess)
        *flags = (unsigned)v;
    return e;
}

cudaError_t cushim_impl_cudaStreamGetPriority(cudaStream_t hStream, int *priority)
{
    if (!priority)
        return cudaErrorInvalidValue;
    unsigned long long v;
    cudaError_t e = stream_property(hStream, PROP_PRIORITY, &v);
    if (e == cudaSuccess)
        *priority = (int)(long long)v;
    return e;
}

cudaError_t cushim_impl_cudaStreamGetDevice(cudaStream_t hStream, int *device)
{
    if (!device)
        return cudaErrorInvalidValue;
    unsigned long long v;
    cudaError_t e = stream_property(hStream, PROP_DEVICE, &v);
    if (e == cudaSuccess)
        *device = (int)v;
    return e;
}

cudaError_t cushim_impl_cudaStreamGetId(cudaStream_t hStream, unsigned long long *streamId)
{
    if (!streamId)
        return cudaErrorInvalidValue;
    return stream_property(hStream, PROP_ID, streamId);
}

cudaError_t cushim_impl_cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void *userData)
{
    if (!fn)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    cushim__work w = {.kind = CUSHIM_WORK_HOST_FN, .u.host = {fn, userData}};
    return cushim__submit(cushim__ptsz(stream), &w, 0);
}

cudaError_t cushim_impl_cudaStreamAddCallback(cudaStream_t stream, cudaStreamCallback_t callback,
                                              void *userData, unsigned int flags)
{
    if (!callback || flags != 0)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    /* The callback receives the handle the program passed, as CUDA does. */
    cushim__work w = {.kind = CUSHIM_WORK_CALLBACK, .u.callback = {callback, userData, stream}};
    return cushim__submit(cushim__ptsz(stream), &w, 0);
}

/* ---- events --------------------------------------------------------------------------- */

cudaError_t cushim_impl_cudaEventCreateWithFlags(cudaEvent_t *event, unsigned int flags)
{
    if (!event || (flags & ~(cudaEventBlockingSync | cudaEventDisableTiming | cudaEventInterprocess)))
        return cudaErrorInvalidValue;
    /* As in CUDA, an interprocess event must disable timing. */
    if ((flags & cudaEventInterprocess) && !(flags & cudaEventDisableTiming))
        return cudaErrorInvalidValue;
    return cushim__event_create(event, flags);
}

cudaError_t cushim_impl_cudaEventCreate(cudaEvent_t *event)
{
    return cushim_impl_cudaEventCreateWithFlags(event, cudaEventDefault);
}

cudaError_t cushim_impl_cudaEventDestroy(cudaEvent_t event)
{
    cudaError_t e = cushim__init();
    return e != cudaSuccess ? e : cushim__event_destroy(event);
}

cudaError_t cushim_impl_cudaEventRecordWithFlags(cudaEvent_t event, cudaStream_t stream,
                                                 unsigned int flags)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (flags & ~cudaEventRecordExternal)
        return cudaErrorInvalidValue;
    if (!event)
        return cudaErrorInvalidResourceHandle;
    cushim__work w = {.kind = CUSHIM_WORK_EVENT_RECORD, .u.event.event = event};
    return cushim__submit(cushim__ptsz(stream), &w, 0);
}

cudaError_t cushim_impl_cudaEventRecord(cudaEvent_t event, cudaStream_t stream)
{
    return cushim_impl_cudaEventRecordWithFlags(event, stream, cudaEventRecordDefault);
}

cudaError_t cushim_impl_cudaEventSynchronize(cudaEvent_t event)
{
    cudaError_t e = cushim__init();
    return e != cudaSuccess ? e : cushim__event_wait(event);
}

cudaError_t cushim_impl_cudaEventQuery(cudaEvent_t event)
{
    cudaError_t e = cushim__init();
    return e != cudaSuccess ? e : cushim__event_query(event);
}

cudaError_t cushim_impl_cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end)
{
    if (!ms)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    return e != cudaSuccess ? e : cushim__event_elapsed(ms, start, end);
}

/* ---- stateless ------------------------------------------------------------------------- */

cudaError_t cushim_impl_cudaProfilerStart(void) { return cudaSuccess; }
cudaError_t cushim_impl_cudaProfilerStop(void) { return cudaSuccess; }

struct cudaChannelFormatDesc cushim_impl_cudaCreateChannelDesc(int x, int y, int z, int w,
                                                               enum cudaChannelFormatKind f)
{
    struct cudaChannelFormatDesc d = {x, y, z, w, f};
    return d;
}
