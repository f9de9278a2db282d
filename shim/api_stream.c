/* api_stream.c: streams, events, host callbacks, and a few stateless calls (profiler
 * markers, channel descriptors).
 *
 * Execution is synchronous: every operation has completed when the call that enqueues
 * it returns, which CUDA's semantics allow (a stream is an ordering guarantee, not a
 * promise of concurrency). Hence queries always answer "done", synchronisation only
 * reports pending kernel faults and flushes device printf, and an event records the
 * monotonic clock at the moment it is recorded. */
#include <pthread.h>
#include <stdlib.h>
#include <uthash.h>

#include "shim/api_gen.h"
#include "shim/core.h"
#include "shim/log.h"

typedef struct stream_obj {
    struct stream_obj *self;     /* key */
    unsigned flags;
    int priority;
    int device;
    unsigned long long id;
    UT_hash_handle hh;
} stream_obj;

typedef struct event_obj {
    struct event_obj *self;      /* key */
    unsigned flags;
    bool recorded;
    uint64_t time_ns;
    UT_hash_handle hh;
} event_obj;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static stream_obj *streams;
static event_obj *events;
static unsigned long long next_stream_id = 3; /* 0..2: legacy and per-thread defaults */

static stream_obj *find_stream(cudaStream_t s)
{
    stream_obj *o = NULL, *key = (stream_obj *)s;
    HASH_FIND_PTR(streams, &key, o);
    return o;
}

static event_obj *find_event(cudaEvent_t e)
{
    event_obj *o = NULL, *key = (event_obj *)e;
    HASH_FIND_PTR(events, &key, o);
    return o;
}

static bool is_default_stream(cudaStream_t s)
{
    return s == NULL || s == cudaStreamLegacy || s == cudaStreamPerThread;
}

cudaError_t cushim__stream_check(cudaStream_t s)
{
    if (is_default_stream(s))
        return cudaSuccess;
    pthread_mutex_lock(&lock);
    bool ok = find_stream(s) != NULL;
    pthread_mutex_unlock(&lock);
    return ok ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

/* ---- streams -------------------------------------------------------------------------- */

cudaError_t cushim_impl_cudaStreamCreateWithPriority(cudaStream_t *pStream, unsigned int flags,
                                                     int priority)
{
    if (!pStream || (flags & ~cudaStreamNonBlocking))
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    stream_obj *o = calloc(1, sizeof *o);
    if (!o)
        return cudaErrorMemoryAllocation;
    o->self = o;
    o->flags = flags;
    /* CUDA clamps priorities into [greatest, least] = [-5, 0]. */
    o->priority = priority > 0 ? 0 : (priority < -5 ? -5 : priority);
    o->device = dev;
    pthread_mutex_lock(&lock);
    o->id = next_stream_id++;
    HASH_ADD_PTR(streams, self, o);
    pthread_mutex_unlock(&lock);
    *pStream = (cudaStream_t)o;
    return cudaSuccess;
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
    if (is_default_stream(stream))
        return cudaErrorInvalidResourceHandle;
    pthread_mutex_lock(&lock);
    stream_obj *o = find_stream(stream);
    if (o)
        HASH_DEL(streams, o);
    pthread_mutex_unlock(&lock);
    if (!o)
        return cudaErrorInvalidResourceHandle;
    free(o);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaStreamSynchronize(cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    return e != cudaSuccess ? e : cushim__sync_point();
}

cudaError_t cushim_impl_cudaStreamQuery(cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    return e != cudaSuccess ? e : cushim__sync_point();
}

cudaError_t cushim_impl_cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    if (e != cudaSuccess)
        return e;
    if (flags > 1)  /* cudaEventWaitDefault / cudaEventWaitExternal */
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&lock);
    bool ok = find_event(event) != NULL;
    pthread_mutex_unlock(&lock);
    return ok ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t cushim_impl_cudaStreamGetFlags(cudaStream_t hStream, unsigned int *flags)
{
    if (!flags)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (is_default_stream(hStream)) {
        *flags = cudaStreamDefault;
        return cudaSuccess;
    }
    pthread_mutex_lock(&lock);
    stream_obj *o = find_stream(hStream);
    if (o)
        *flags = o->flags;
    pthread_mutex_unlock(&lock);
    return o ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t cushim_impl_cudaStreamGetPriority(cudaStream_t hStream, int *priority)
{
    if (!priority)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (is_default_stream(hStream)) {
        *priority = 0;
        return cudaSuccess;
    }
    pthread_mutex_lock(&lock);
    stream_obj *o = find_stream(hStream);
    if (o)
        *priority = o->priority;
    pthread_mutex_unlock(&lock);
    return o ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t cushim_impl_cudaStreamGetDevice(cudaStream_t hStream, int *device)
{
    if (!device)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (is_default_stream(hStream)) {
        *device = dev;
        return cudaSuccess;
    }
    pthread_mutex_lock(&lock);
    stream_obj *o = find_stream(hStream);
    if (o)
        *device = o->device;
    pthread_mutex_unlock(&lock);
    return o ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t cushim_impl_cudaStreamGetId(cudaStream_t hStream, unsigned long long *streamId)
{
    if (!streamId)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (is_default_stream(hStream)) {
        *streamId = hStream == cudaStreamPerThread ? 2 : 1;
        return cudaSuccess;
    }
    pthread_mutex_lock(&lock);
    stream_obj *o = find_stream(hStream);
    if (o)
        *streamId = o->id;
    pthread_mutex_unlock(&lock);
    return o ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t cushim_impl_cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void *userData)
{
    if (!fn)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    if (e != cudaSuccess)
        return e;
    fn(userData);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaStreamAddCallback(cudaStream_t stream, cudaStreamCallback_t callback,
                                              void *userData, unsigned int flags)
{
    if (!callback || flags != 0)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    if (e != cudaSuccess)
        return e;
    /* The callback learns the stream's status: a pending or sticky fault, or success. */
    callback(stream, cushim__sync_point(), userData);
    return cudaSuccess;
}

/* ---- events --------------------------------------------------------------------------- */

cudaError_t cushim_impl_cudaEventCreateWithFlags(cudaEvent_t *event, unsigned int flags)
{
    if (!event || (flags & ~(cudaEventBlockingSync | cudaEventDisableTiming | cudaEventInterprocess)))
        return cudaErrorInvalidValue;
    /* As in CUDA, an interprocess event must disable timing. */
    if ((flags & cudaEventInterprocess) && !(flags & cudaEventDisableTiming))
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    event_obj *o = calloc(1, sizeof *o);
    if (!o)
        return cudaErrorMemoryAllocation;
    o->self = o;
    o->flags = flags;
    pthread_mutex_lock(&lock);
    HASH_ADD_PTR(events, self, o);
    pthread_mutex_unlock(&lock);
    *event = (cudaEvent_t)o;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaEventCreate(cudaEvent_t *event)
{
    return cushim_impl_cudaEventCreateWithFlags(event, cudaEventDefault);
}

cudaError_t cushim_impl_cudaEventDestroy(cudaEvent_t event)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&lock);
    event_obj *o = find_event(event);
    if (o)
        HASH_DEL(events, o);
    pthread_mutex_unlock(&lock);
    if (!o)
        return cudaErrorInvalidResourceHandle;
    free(o);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaEventRecordWithFlags(cudaEvent_t event, cudaStream_t stream,
                                                 unsigned int flags)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(stream);
    if (e != cudaSuccess)
        return e;
    if (flags & ~cudaEventRecordExternal)
        return cudaErrorInvalidValue;
    uint64_t now = cushim__now_ns();
    pthread_mutex_lock(&lock);
    event_obj *o = find_event(event);
    if (o) {
        o->recorded = true;
        o->time_ns = now;
    }
    pthread_mutex_unlock(&lock);
    return o ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t cushim_impl_cudaEventRecord(cudaEvent_t event, cudaStream_t stream)
{
    return cushim_impl_cudaEventRecordWithFlags(event, stream, cudaEventRecordDefault);
}

static cudaError_t event_wait(cudaEvent_t event)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&lock);
    bool ok = find_event(event) != NULL;
    pthread_mutex_unlock(&lock);
    if (!ok)
        return cudaErrorInvalidResourceHandle;
    return cushim__sync_point();
}

cudaError_t cushim_impl_cudaEventSynchronize(cudaEvent_t event) { return event_wait(event); }
cudaError_t cushim_impl_cudaEventQuery(cudaEvent_t event) { return event_wait(event); }

cudaError_t cushim_impl_cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end)
{
    if (!ms)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&lock);
    event_obj *a = find_event(start), *b = find_event(end);
    cudaError_t r = cudaSuccess;
    if (!a || !b || (a->flags & cudaEventDisableTiming) || (b->flags & cudaEventDisableTiming))
        r = cudaErrorInvalidResourceHandle;
    else if (!a->recorded || !b->recorded)
        r = cudaErrorInvalidResourceHandle;
    else
        *ms = (float)((double)((int64_t)(b->time_ns - a->time_ns)) / 1e6);
    pthread_mutex_unlock(&lock);
    return r;
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
