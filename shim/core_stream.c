/* core_stream.c: the stream engine. Each stream owns a FIFO queue of work items run by
 * its own worker thread, so kernels, copies and host functions overlap the host
 * program. Cross-stream order comes from dependencies attached at submission: the
 * legacy default stream waits for all blocking streams of its device and they wait
 * for it (CUDA's implicit synchronisation), cudaStreamWaitEvent waits for an event's
 * record. Events complete when their stream reaches them and take the monotonic clock
 * then. One lock (cushim__q_lock) and one condition (progress) keep this simple: work
 * items are coarse (kernels, copies), so contention does not matter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/api_internal.h"
#include "shim/core_stream.h"
#include "shim/log.h"
#include "shim/report.h"

#define MAX_DEVICES 64

typedef struct dep {
    cushim__stream *stream;
    uint64_t ticket;
} dep;

typedef struct work_node {
    struct work_node *next;
    cushim__work w;
    uint64_t ticket;
    dep *deps;
    size_t ndeps;
    cushim__event *event;         /* record/wait: referenced event */
    uint64_t event_generation;
    cudaError_t *result;          /* a waiting submitter's slot */
} work_node;

pthread_mutex_t cushim__q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress = PTHREAD_COND_INITIALIZER;
static cushim__stream *user_streams;        /* by handle */
static cushim__event *events;               /* by handle */
static cushim__stream *all_streams;         /* every stream object alive */
static cushim__stream *legacy_streams[MAX_DEVICES];
static unsigned long long next_stream_id = 3;  /* 1, 2: the default streams */

static _Thread_local bool in_worker;
static _Thread_local bool per_thread_default;   /* inside a _ptsz/_ptds call */
/* Heap-allocated on first use: the library may be dlopen'ed, where static TLS is scarce. */
static _Thread_local cushim__stream **thread_streams;
static pthread_key_t thread_stream_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static pthread_mutex_t dev_locks[MAX_DEVICES];
static pthread_once_t dev_locks_once = PTHREAD_ONCE_INIT;

/* ---- per-device backend lock ------------------------------------------------------- */

static void init_dev_locks(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    for (int i = 0; i < MAX_DEVICES; i++)
        pthread_mutex_init(&dev_locks[i], &a);
    pthread_mutexattr_destroy(&a);
}

void cushim__dev_lock(int dev)
{
    pthread_once(&dev_locks_once, init_dev_locks);
    pthread_mutex_lock(&dev_locks[(unsigned)dev % MAX_DEVICES]);
}

void cushim__dev_unlock(int dev)
{
    pthread_mutex_unlock(&dev_locks[(unsigned)dev % MAX_DEVICES]);
}

bool cushim__in_stream_worker(void) { return in_worker; }

bool cushim__ptds_enter(void)
{
    bool prev = per_thread_default;
    per_thread_default = true;
    return prev;
}

void cushim__ptds_leave(bool previous) { per_thread_default = previous; }

/* ---- stream objects ------------------------------------------------------------------ */

static cushim__stream *stream_new_locked(int dev, unsigned flags, int priority)
{
    cushim__stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->flags = flags;
    s->priority = priority;
    s->device = dev;
    s->refs = 1;
    pthread_cond_init(&s->wake, NULL);
    s->all_next = all_streams;
    if (all_streams)
        all_streams->all_prev = s;
    all_streams = s;
    return s;
}

static void stream_unref_locked(cushim__stream *s)
{
    if (--s->refs)
        return;
    if (s->all_prev)
        s->all_prev->all_next = s->all_next;
    else
        all_streams = s->all_next;
    if (s->all_next)
        s->all_next->all_prev = s->all_prev;
    pthread_cond_destroy(&s->wake);
    free(s->cap_deps);
    free(s);
}

static void thread_streams_release(void *unused)
{
    (void)unused;
    if (!thread_streams)
        return;
    pthread_mutex_lock(&cushim__q_lock);
    for (int d = 0; d < MAX_DEVICES; d++) {
        cushim__stream *s = thread_streams[d];
        if (!s)
            continue;
        thread_streams[d] = NULL;
        s->destroyed = true;
        pthread_cond_signal(&s->wake);
        stream_unref_locked(s);
    }
    pthread_mutex_unlock(&cushim__q_lock);
    free(thread_streams);
    thread_streams = NULL;
}

static void make_thread_key(void)
{
    pthread_key_create(&thread_stream_key, thread_streams_release);
}

cushim__stream *cushim__stream_lookup_locked(cudaStream_t h, int dev)
{
    if (dev < 0 || dev >= MAX_DEVICES)
        return NULL;
    if (h == NULL && per_thread_default)
        h = cudaStreamPerThread;
    if (h == NULL || h == cudaStreamLegacy) {
        if (!legacy_streams[dev]) {
            cushim__stream *s = stream_new_locked(dev, cudaStreamDefault, 0);
            if (!s)
                return NULL;
            s->legacy = true;
            s->id = 1;
            legacy_streams[dev] = s;
        }
        return legacy_streams[dev];
    }
    if (h == cudaStreamPerThread) {
        if (!thread_streams && !(thread_streams = calloc(MAX_DEVICES, sizeof *thread_streams)))
            return NULL;
        if (!thread_streams[dev]) {
            pthread_once(&thread_key_once, make_thread_key);
            cushim__stream *s = stream_new_locked(dev, cudaStreamDefault, 0);
            if (!s)
                return NULL;
            s->per_thread = true;
            s->id = 2;
            thread_streams[dev] = s;
            /* The key's destructor runs only for a non-NULL value. */
            pthread_setspecific(thread_stream_key, (void *)1);
        }
        return thread_streams[dev];
    }
    cushim__stream *s = NULL;
    HASH_FIND_PTR(user_streams, &h, s);
    return s;
}

cudaError_t cushim__stream_check(cudaStream_t s)
{
    if (s == NULL || s == cudaStreamLegacy || s == cudaStreamPerThread)
        return cudaSuccess;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__stream *o = NULL;
    HASH_FIND_PTR(user_streams, &s, o);
    pthread_mutex_unlock(&cushim__q_lock);
    return o ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaStream_t cushim__ptsz(cudaStream_t s) { return s || !per_thread_default ? s : cudaStreamPerThread; }

cudaError_t cushim__stream_create(cudaStream_t *out, unsigned flags, int priority)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__stream *s = stream_new_locked(dev, flags, priority);
    if (!s) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorMemoryAllocation;
    }
    s->id = next_stream_id++;
    s->key = (cudaStream_t)s;
    HASH_ADD_PTR(user_streams, key, s);
    pthread_mutex_unlock(&cushim__q_lock);
    *out = (cudaStream_t)s;
    return cudaSuccess;
}

cudaError_t cushim__stream_destroy(cudaStream_t h)
{
    pthread_mutex_lock(&cushim__q_lock);
    cushim__stream *s = NULL;
    HASH_FIND_PTR(user_streams, &h, s);
    if (!s) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorInvalidResourceHandle;
    }
    HASH_DEL(user_streams, s);
    /* CUDA: destroying a stream with pending work returns at once; the work still
     * runs and the resources go when it is done. */
    s->destroyed = true;
    pthread_cond_signal(&s->wake);
    stream_unref_locked(s);
    pthread_mutex_unlock(&cushim__q_lock);
    return cudaSuccess;
}

/* ---- events ---------------------------------------------------------------------------- */

cushim__event *cushim__event_lookup_locked(cudaEvent_t h)
{
    cushim__event *e = NULL;
    HASH_FIND_PTR(events, &h, e);
    return e;
}

void cushim__event_ref_locked(cushim__event *e) { e->refs++; }

void cushim__event_unref_locked(cushim__event *e)
{
    if (--e->refs)
        return;
    free(e->cap_nodes);
    free(e);
}

cudaError_t cushim__event_create(cudaEvent_t *out, unsigned flags)
{
    int dev;
    cudaError_t err = cushim__current_device(&dev);
    if (err != cudaSuccess)
        return err;
    cushim__event *e = calloc(1, sizeof *e);
    if (!e)
        return cudaErrorMemoryAllocation;
    e->flags = flags;
    e->device = dev;
    e->refs = 1;
    e->key = (cudaEvent_t)e;
    pthread_mutex_lock(&cushim__q_lock);
    HASH_ADD_PTR(events, key, e);
    pthread_mutex_unlock(&cushim__q_lock);
    *out = (cudaEvent_t)e;
    return cudaSuccess;
}

cudaError_t cushim__event_destroy(cudaEvent_t h)
{
    pthread_mutex_lock(&cushim__q_lock);
    cushim__event *e = cushim__event_lookup_locked(h);
    if (e) {
        HASH_DEL(events, e);
        e->destroyed = true;
        cushim__event_unref_locked(e);
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return e ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

static bool event_pending_locked(const cushim__event *e)
{
    return e->completed_generation < e->generation;
}

cudaError_t cushim__event_query(cudaEvent_t h)
{
    pthread_mutex_lock(&cushim__q_lock);
    cushim__event *e = cushim__event_lookup_locked(h);
    cudaError_t r = !e ? cudaErrorInvalidResourceHandle
                       : (event_pending_locked(e) ? cudaErrorNotReady : cudaSuccess);
    pthread_mutex_unlock(&cushim__q_lock);
    return r == cudaSuccess ? cushim__sync_point() : r;
}

cudaError_t cushim__event_wait(cudaEvent_t h)
{
    pthread_mutex_lock(&cushim__q_lock);
    cushim__event *e = cushim__event_lookup_locked(h);
    if (!e) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorInvalidResourceHandle;
    }
    if (event_pending_locked(e) && in_worker) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorNotPermitted;
    }
    uint64_t want = e->generation;
    cushim__event_ref_locked(e);
    while (e->completed_generation < want)
        pthread_cond_wait(&progress, &cushim__q_lock);
    cushim__event_unref_locked(e);
    pthread_mutex_unlock(&cushim__q_lock);
    return cushim__sync_point();
}

cudaError_t cushim__event_elapsed(float *ms, cudaEvent_t start, cudaEvent_t end)
{
    pthread_mutex_lock(&cushim__q_lock);
    cushim__event *a = cushim__event_lookup_locked(start), *b = cushim__event_lookup_locked(end);
    cudaError_t r = cudaSuccess;
    if (!a || !b || (a->flags & cudaEventDisableTiming) || (b->flags & cudaEventDisableTiming))
        r = cudaErrorInvalidResourceHandle;
    else if (!a->generation || !b->generation)
        r = cudaErrorInvalidResourceHandle;   /* never recorded */
    else if (event_pending_locked(a) || event_pending_locked(b))
        r = cudaErrorNotReady;
    else
        *ms = (float)((double)(int64_t)(b->time_ns - a->time_ns) / 1e6);
    pthread_mutex_unlock(&cushim__q_lock);
    return r;
}

/* ---- executing work ------------------------------------------------------------------------ */

void cushim__work_release(cushim__work *w)
{
    if (w->kind == CUSHIM_WORK_KERNEL) {
        free(w->u.kernel.params);
        w->u.kernel.params = NULL;
    }
}

static bool faulted(void)
{
    return cushim__sticky_error() != cudaSuccess || cushim__pending_fault() != cudaSuccess;
}

static cudaError_t run_kernel(int dev, cushim__work *w)
{
    if (faulted())
        return cudaErrorLaunchFailure;   /* the context is unusable after a fault */
    cushim_launch l = {
        .kernel = w->u.kernel.backend_kernel,
        .grid = {w->u.kernel.grid.x, w->u.kernel.grid.y, w->u.kernel.grid.z},
        .block = {w->u.kernel.block.x, w->u.kernel.block.y, w->u.kernel.block.z},
        .dynamic_shared_bytes = w->u.kernel.shmem,
        .params = w->u.kernel.params,
        .param_bytes = w->u.kernel.param_bytes,
        .cooperative = w->u.kernel.cooperative,
    };
    char err[512] = "";
    cushim__dev_lock(dev);
    uint64_t report_t0 = cushim__report_active ? cushim__report_clock() : 0;
    int rc = cushim__ops()->launch(dev, &l, err, sizeof err);
    if (cushim__report_active)
        cushim__report_kernel_ran(w->u.kernel.kernel, cushim__report_clock() - report_t0, rc, err);
    cushim__dev_unlock(dev);
    if (rc == 0)
        return cudaSuccess;
    const char *name = cushim__kernel_name(w->u.kernel.kernel);
    if (cushim__is_kernel_fault(rc)) {
        char msg[700];
        snprintf(msg, sizeof msg, "kernel %s faulted: %s", name, err[0] ? err : "(no details)");
        cushim__kernel_fault((cudaError_t)rc, msg);
    } else {
        CUSHIM_ERROR(LAUNCH, "kernel %s: launch failed: %s", name, err[0] ? err : "(no details)");
    }
    return (cudaError_t)rc;
}

static cudaError_t run_copy(const cushim__work *w)
{
    if (faulted())
        return cushim__sticky_error() ? cushim__sticky_error() : cushim__pending_fault();
    for (size_t z = 0; z < w->u.copy.depth; z++)
        for (size_t y = 0; y < w->u.copy.height; y++) {
            char *d = (char *)w->u.copy.dst + z * w->u.copy.dslice + y * w->u.copy.dpitch;
            const char *s = (const char *)w->u.copy.src + z * w->u.copy.sslice + y * w->u.copy.spitch;
            cudaError_t e = cushim__copy(d, s, w->u.copy.width, w->u.copy.kind);
            if (e != cudaSuccess)
                return e;
        }
    return cudaSuccess;
}

static cudaError_t run_fill(const cushim__work *w)
{
    if (faulted())
        return cushim__sticky_error() ? cushim__sticky_error() : cushim__pending_fault();
    for (size_t z = 0; z < w->u.fill.depth; z++)
        for (size_t y = 0; y < w->u.fill.height; y++) {
            char *d = (char *)w->u.fill.dst + z * w->u.fill.slice + y * w->u.fill.pitch;
            cudaError_t e = cushim__fill(d, w->u.fill.value, w->u.fill.width);
            if (e != cudaSuccess)
                return e;
        }
    return cudaSuccess;
}

/* Runs without the lock; event bookkeeping is done by the caller under it. */
static cudaError_t run_work(cushim__stream *s, work_node *n)
{
    cushim__work *w = &n->w;
    switch (w->kind) {
    case CUSHIM_WORK_KERNEL:
        return run_kernel(s->device, w);
    case CUSHIM_WORK_COPY:
        return run_copy(w);
    case CUSHIM_WORK_FILL:
        return run_fill(w);
    case CUSHIM_WORK_HOST_FN:
        w->u.host.fn(w->u.host.data);
        return cudaSuccess;
    case CUSHIM_WORK_CALLBACK: {
        cudaError_t status = cushim__sticky_error();
        if (status == cudaSuccess)
            status = cushim__pending_fault();
        w->u.callback.fn(w->u.callback.stream, status, w->u.callback.data);
        return cudaSuccess;
    }
    case CUSHIM_WORK_FREE: {
        cushim__alloc a;
        if (!cushim__alloc_remove((uintptr_t)w->u.free.ptr,
                                  CUSHIM_MEM_BIT(CUSHIM_MEM_DEVICE) | CUSHIM_MEM_BIT(CUSHIM_MEM_MANAGED),
                                  &a))
            return cudaErrorInvalidValue;
        return cushim__dev_free(a.device, (cushim_dptr)a.base);
    }
    case CUSHIM_WORK_NOP:
    case CUSHIM_WORK_EVENT_RECORD:
    case CUSHIM_WORK_EVENT_WAIT:
        return cudaSuccess;
    }
    return cudaSuccess;
}

static bool deps_ready_locked(const work_node *n)
{
    for (size_t i = 0; i < n->ndeps; i++)
        if (n->deps[i].stream->completed < n->deps[i].ticket)
            return false;
    if (n->w.kind == CUSHIM_WORK_EVENT_WAIT && n->event &&
        n->event->completed_generation < n->event_generation)
        return false;
    return true;
}

static void *worker_main(void *arg)
{
    cushim__stream *s = arg;
    in_worker = true;
    pthread_mutex_lock(&cushim__q_lock);
    for (;;) {
        while (!s->head && !s->destroyed)
            pthread_cond_wait(&s->wake, &cushim__q_lock);
        if (!s->head)
            break;
        work_node *n = s->head;
        while (!deps_ready_locked(n))
            pthread_cond_wait(&progress, &cushim__q_lock);
        pthread_mutex_unlock(&cushim__q_lock);
        cudaError_t r = run_work(s, n);
        uint64_t now = cushim__now_ns();
        pthread_mutex_lock(&cushim__q_lock);
        if (n->w.kind == CUSHIM_WORK_EVENT_RECORD && n->event) {
            cushim__event *e = n->event;
            if (n->event_generation >= e->completed_generation) {
                e->completed_generation = n->event_generation;
                e->time_ns = now;
            }
        }
        if (n->result)
            *n->result = r;
        else if (r != cudaSuccess && !cushim__is_kernel_fault(r) && r != cushim__sticky_error())
            cushim__async_error(r);
        s->head = n->next;
        if (!s->head)
            s->tail = NULL;
        s->completed = n->ticket;
        for (size_t i = 0; i < n->ndeps; i++)
            stream_unref_locked(n->deps[i].stream);
        if (n->event)
            cushim__event_unref_locked(n->event);
        cushim__work_release(&n->w);
        free(n->deps);
        free(n);
        pthread_cond_broadcast(&progress);
    }
    s->worker_running = false;
    stream_unref_locked(s);
    pthread_mutex_unlock(&cushim__q_lock);
    return NULL;
}

static cudaError_t add_dep_locked(work_node *n, size_t *cap, cushim__stream *t)
{
    if (t->completed >= t->enqueued)
        return cudaSuccess;
    if (n->ndeps == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        dep *d = realloc(n->deps, c * sizeof *d);
        if (!d)
            return cudaErrorMemoryAllocation;
        n->deps = d;
        *cap = c;
    }
    n->deps[n->ndeps++] = (dep){t, t->enqueued};
    t->refs++;
    return cudaSuccess;
}

/* CUDA's implicit synchronisation of the legacy default stream. */
static cudaError_t implicit_deps_locked(cushim__stream *s, work_node *n)
{
    size_t cap = 0;
    if (s->legacy) {
        for (cushim__stream *t = all_streams; t; t = t->all_next)
            if (t != s && t->device == s->device && !(t->flags & cudaStreamNonBlocking)) {
                cudaError_t e = add_dep_locked(n, &cap, t);
                if (e != cudaSuccess)
                    return e;
            }
    } else if (!(s->flags & cudaStreamNonBlocking) && legacy_streams[s->device]) {
        return add_dep_locked(n, &cap, legacy_streams[s->device]);
    }
    return cudaSuccess;
}

static cudaError_t start_worker_locked(cushim__stream *s)
{
    if (s->worker_running)
        return cudaSuccess;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int rc = pthread_create(&t, &attr, worker_main, s);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        CUSHIM_ERROR(API, "cannot start a stream worker thread: %s", strerror(rc));
        return cudaErrorOperatingSystem;
    }
    s->worker_running = true;
    s->refs++;
    return cudaSuccess;
}

/* A legacy-stream operation while a blocking stream of the device captures would join
 * the capture implicitly: CUDA refuses it. */
static cudaError_t legacy_capture_conflict_locked(cushim__stream *s)
{
    if (!s->legacy)
        return cudaSuccess;
    for (cushim__stream *t = all_streams; t; t = t->all_next)
        if (t->capture && t->device == s->device && !(t->flags & cudaStreamNonBlocking)) {
            cushim__capture_check_sync_locked(t);
            return cudaErrorStreamCaptureImplicit;
        }
    return cudaSuccess;
}

cudaError_t cushim__submit(cudaStream_t stream, cushim__work *w, unsigned flags)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess) {
        cushim__work_release(w);
        return e;
    }
    cudaError_t result = cudaSuccess;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__stream *s = cushim__stream_lookup_locked(stream, dev);
    if (!s) {
        e = cudaErrorInvalidResourceHandle;
        goto fail;
    }
    cushim__event *wait_ev = w->kind == CUSHIM_WORK_EVENT_WAIT
                                 ? cushim__event_lookup_locked(w->u.event.event) : NULL;
    if (s->capture || (wait_ev && wait_ev->capture)) {
        if (flags & CUSHIM_SUBMIT_WAIT) {
            /* A synchronous operation cannot be captured. */
            e = cushim__capture_check_sync_locked(s);
            goto fail;
        }
        e = cushim__capture_add_locked(s, w);
        pthread_mutex_unlock(&cushim__q_lock);
        return e;
    }
    e = legacy_capture_conflict_locked(s);
    if (e != cudaSuccess)
        goto fail;
    if ((flags & CUSHIM_SUBMIT_WAIT) && in_worker) {
        e = cudaErrorNotPermitted;
        goto fail;
    }
    work_node *n = calloc(1, sizeof *n);
    if (!n) {
        e = cudaErrorMemoryAllocation;
        goto fail;
    }
    n->w = *w;
    if (w->kind == CUSHIM_WORK_EVENT_RECORD || w->kind == CUSHIM_WORK_EVENT_WAIT) {
        cushim__event *ev = cushim__event_lookup_locked(w->u.event.event);
        if (!ev) {
            free(n);
            e = cudaErrorInvalidResourceHandle;
            goto fail;
        }
        n->event = ev;
        cushim__event_ref_locked(ev);
        if (w->kind == CUSHIM_WORK_EVENT_RECORD) {
            n->event_generation = ++ev->generation;
            /* A record outside any capture makes the event a plain event again. */
            ev->capture = NULL;
            ev->cap_nnodes = 0;
        } else {
            n->event_generation = ev->generation;
        }
    }
    e = implicit_deps_locked(s, n);
    if (e == cudaSuccess)
        e = start_worker_locked(s);
    if (e != cudaSuccess) {
        for (size_t i = 0; i < n->ndeps; i++)
            stream_unref_locked(n->deps[i].stream);
        if (n->event)
            cushim__event_unref_locked(n->event);
        free(n->deps);
        free(n);
        goto fail;
    }
    n->ticket = ++s->enqueued;
    if (flags & CUSHIM_SUBMIT_WAIT)
        n->result = &result;
    if (s->tail)
        s->tail->next = n;
    else
        s->head = n;
    s->tail = n;
    pthread_cond_signal(&s->wake);
    if (flags & CUSHIM_SUBMIT_WAIT) {
        uint64_t ticket = n->ticket;
        s->refs++;
        while (s->completed < ticket)
            pthread_cond_wait(&progress, &cushim__q_lock);
        stream_unref_locked(s);
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return result;
fail:
    pthread_mutex_unlock(&cushim__q_lock);
    cushim__work_release(w);
    return e;
}

/* ---- waiting ---------------------------------------------------------------------------- */

static void wait_stream_locked(cushim__stream *s)
{
    uint64_t want = s->enqueued;
    s->refs++;
    while (s->completed < want)
        pthread_cond_wait(&progress, &cushim__q_lock);
    stream_unref_locked(s);
}

/* Wait for every stream matching (dev < 0: all devices; blocking_only: skip
 * non-blocking streams). Snapshots are taken first so new work does not extend it. */
static void wait_streams_locked(int dev, bool blocking_only)
{
    size_t n = 0, cap = 16;
    dep *snap = malloc(cap * sizeof *snap);
    for (cushim__stream *t = all_streams; t && snap; t = t->all_next) {
        if ((dev >= 0 && t->device != dev) || (blocking_only && (t->flags & cudaStreamNonBlocking)))
            continue;
        if (t->completed >= t->enqueued)
            continue;
        if (n == cap) {
            dep *g = realloc(snap, 2 * cap * sizeof *snap);
            if (!g)
                break;
            snap = g;
            cap *= 2;
        }
        snap[n++] = (dep){t, t->enqueued};
        t->refs++;
    }
    if (!snap) {
        /* Out of memory: wait for everything, one stream at a time. */
        for (bool busy = true; busy;) {
            busy = false;
            for (cushim__stream *t = all_streams; t; t = t->all_next)
                if (t->completed < t->enqueued) {
                    busy = true;
                    pthread_cond_wait(&progress, &cushim__q_lock);
                    break;
                }
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        while (snap[i].stream->completed < snap[i].ticket)
            pthread_cond_wait(&progress, &cushim__q_lock);
        stream_unref_locked(snap[i].stream);
    }
    free(snap);
}

cudaError_t cushim__stream_wait(cudaStream_t h)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__stream *s = cushim__stream_lookup_locked(h, dev);
    if (!s) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorInvalidResourceHandle;
    }
    if (s->capture) {
        e = cushim__capture_check_sync_locked(s);
        pthread_mutex_unlock(&cushim__q_lock);
        return e;
    }
    e = legacy_capture_conflict_locked(s);
    if (e == cudaSuccess && in_worker)
        e = cudaErrorNotPermitted;
    if (e != cudaSuccess) {
        pthread_mutex_unlock(&cushim__q_lock);
        return e;
    }
    if (s->legacy)
        wait_streams_locked(s->device, true);
    else
        wait_stream_locked(s);
    pthread_mutex_unlock(&cushim__q_lock);
    return cushim__sync_point();
}

cudaError_t cushim__stream_query(cudaStream_t h)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__stream *s = cushim__stream_lookup_locked(h, dev);
    if (!s) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorInvalidResourceHandle;
    }
    if (s->capture) {
        e = cushim__capture_check_sync_locked(s);
        pthread_mutex_unlock(&cushim__q_lock);
        return e;
    }
    bool busy = s->completed < s->enqueued;
    if (s->legacy)
        for (cushim__stream *t = all_streams; t && !busy; t = t->all_next)
            if (t->device == s->device && !(t->flags & cudaStreamNonBlocking))
                busy = t->completed < t->enqueued;
    pthread_mutex_unlock(&cushim__q_lock);
    return busy ? cudaErrorNotReady : cushim__sync_point();
}

/* A capture on `dev` that forbids this thread to synchronise the device. */
static bool device_capturing_locked(int dev)
{
    for (cushim__stream *t = all_streams; t; t = t->all_next)
        if (t->capture && (dev < 0 || t->device == dev) && cushim__capture_prohibits_locked(t->capture))
            return true;
    return false;
}

bool cushim__capture_any_locked(int dev)
{
    for (cushim__stream *t = all_streams; t; t = t->all_next)
        if (t->capture && t->device == dev && !(t->flags & cudaStreamNonBlocking))
            return true;
    return false;
}

void cushim__capture_detach_all_locked(cushim__capture *c)
{
    for (cushim__stream *t = all_streams; t; t = t->all_next)
        if (t->capture == c) {
            t->capture = NULL;
            t->cap_ndeps = 0;
        }
    cushim__event *e, *tmp;
    HASH_ITER(hh, events, e, tmp)
        if (e->capture == c) {
            e->capture = NULL;
            e->cap_nnodes = 0;
        }
}

cudaError_t cushim__device_wait(int dev)
{
    if (in_worker)
        return cudaErrorNotPermitted;
    pthread_mutex_lock(&cushim__q_lock);
    if (device_capturing_locked(dev)) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorStreamCaptureUnsupported;
    }
    wait_streams_locked(dev, false);
    pthread_mutex_unlock(&cushim__q_lock);
    return cushim__sync_point();
}

void cushim__drain_all(void)
{
    if (in_worker)
        return;
    pthread_mutex_lock(&cushim__q_lock);
    wait_streams_locked(-1, false);
    pthread_mutex_unlock(&cushim__q_lock);
    fflush(stdout);
}
