/* core_stream.h: the stream engine's objects, shared by the files that need to look
 * inside them (core_stream.c: queues, workers, events; api_stream.c: the stream and
 * event API; api_graph.c: stream capture and graph launch). Everything here is
 * protected by one lock, cushim__q_lock. Not part of core.h: other front ends use the
 * handle-level functions declared there. */
#ifndef CUSHIM_CORE_STREAM_H
#define CUSHIM_CORE_STREAM_H

#include <pthread.h>
#include <uthash.h>

#include "shim/core.h"

typedef struct cushim__stream cushim__stream;
typedef struct cushim__event cushim__event;
typedef struct cushim__capture cushim__capture;
typedef struct cushim__gnode cushim__gnode;

struct cushim__stream {
    cudaStream_t key;             /* the handle a program holds (user streams) */
    unsigned flags;               /* cudaStreamNonBlocking */
    int priority;
    int device;
    unsigned long long id;
    bool legacy;                  /* the device's legacy default stream */
    bool per_thread;              /* a host thread's per-thread default stream */
    bool destroyed;               /* handle released; freed once idle and unreferenced */
    bool worker_running;
    unsigned refs;
    struct work_node *head, *tail;
    uint64_t enqueued, completed; /* tickets: FIFO, so completed <= enqueued */
    pthread_cond_t wake;
    /* Stream capture: the capture this stream belongs to and the nodes the next
     * captured operation depends on. */
    cushim__capture *capture;
    cushim__gnode **cap_deps;
    size_t cap_ndeps, cap_cap;
    cushim__stream *all_next, *all_prev;
    UT_hash_handle hh;
};

struct cushim__event {
    cudaEvent_t key;
    unsigned flags;
    int device;
    unsigned refs;
    bool destroyed;
    uint64_t generation;          /* records so far */
    uint64_t completed_generation;
    uint64_t time_ns;             /* when the stream reached the newest completed record */
    /* Recorded during a capture: the capture and the nodes a wait joins to. */
    cushim__capture *capture;
    cushim__gnode **cap_nodes;
    size_t cap_nnodes;
    UT_hash_handle hh;
};

extern pthread_mutex_t cushim__q_lock;

/* With cushim__q_lock held: the stream object behind a handle (NULL/cudaStreamLegacy:
 * the legacy stream of `dev`; cudaStreamPerThread: this thread's stream on `dev`),
 * or NULL for an unknown handle. */
cushim__stream *cushim__stream_lookup_locked(cudaStream_t h, int dev);
cushim__event *cushim__event_lookup_locked(cudaEvent_t h);
void cushim__event_ref_locked(cushim__event *e);
void cushim__event_unref_locked(cushim__event *e);

/* Handle-level operations behind the stream and event API (argument checks done). */
cudaError_t cushim__stream_create(cudaStream_t *out, unsigned flags, int priority);
cudaError_t cushim__stream_destroy(cudaStream_t h);
cudaError_t cushim__stream_query(cudaStream_t h);
cudaError_t cushim__event_create(cudaEvent_t *out, unsigned flags);
cudaError_t cushim__event_destroy(cudaEvent_t h);
cudaError_t cushim__event_query(cudaEvent_t h);
cudaError_t cushim__event_wait(cudaEvent_t h);
cudaError_t cushim__event_elapsed(float *ms, cudaEvent_t start, cudaEvent_t end);

/* Capture hooks (api_graph.c), called with cushim__q_lock held. add: turns submitted
 * work into a node of the capture (takes ownership of w's resources). */
cudaError_t cushim__capture_add_locked(cushim__stream *s, cushim__work *w);
/* Whether a call that would synchronise with or use the legacy stream is legal now:
 * cudaSuccess, or the capture error to return (and the capture is invalidated). */
cudaError_t cushim__capture_check_sync_locked(cushim__stream *s);

/* Whether capture c forbids unsafe calls (device synchronisation...) from this thread,
 * by its mode and the thread's cudaThreadExchangeStreamCaptureMode setting. */
bool cushim__capture_prohibits_locked(const cushim__capture *c);
/* End of a capture: every stream and event that refers to it forgets it. */
void cushim__capture_detach_all_locked(cushim__capture *c);
/* Any blocking stream of `dev` capturing. */
bool cushim__capture_any_locked(int dev);

#endif
