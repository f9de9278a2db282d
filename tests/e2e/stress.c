/* stress.c: concurrency stress of the runtime on the CPU backend. THREADS host threads
 * each drive STREAMS streams with thousands of kernel launches, asynchronous copies,
 * event records and cross-stream event waits, all at once. Values prove order and
 * completeness: each stream's kernels append their sequence number to the stream's
 * log through an atomic counter, so the log must read 0, 1, 2 ... with nothing lost
 * or reordered; an asynchronous copy of the counter queued after launch i must read
 * exactly i + 1; a kernel queued on another stream behind an event recorded after
 * launch i must find the counter at i + 1 or more. A watchdog turns a deadlock into a
 * failure. Built in the ThreadSanitizer build too (scripts/check).
 *
 * The kernels are PTX registered through the built libcudart (dlopen'ed), as nvcc's
 * registration code would, so the program needs no CUDA toolkit.
 *
 * Usage: stress LIBCUDART [LAUNCHES_PER_STREAM] */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 8
#define STREAMS 4
#define SNAP_EVERY 64
#define WATCHDOG_SECONDS 240

typedef struct { unsigned x, y, z; } dim3_t;
typedef void *stream_t;
typedef void *event_t;

/* The runtime entry points used, resolved once. */
static struct {
    void **(*register_fatbin)(void *);
    void (*register_end)(void **);
    void (*register_function)(void **, const char *, char *, const char *, int, void *,
                              void *, void *, void *, int *);
    int (*malloc_)(void **, size_t);
    int (*malloc_host)(void **, size_t);
    int (*free_)(void *);
    int (*free_host)(void *);
    int (*memset_)(void *, int, size_t);
    int (*memcpy_)(void *, const void *, size_t, int);
    int (*memcpy_async)(void *, const void *, size_t, int, stream_t);
    int (*launch)(const void *, dim3_t, dim3_t, void **, size_t, stream_t);
    int (*stream_create)(stream_t *);
    int (*stream_destroy)(stream_t);
    int (*stream_sync)(stream_t);
    int (*stream_wait_event)(stream_t, event_t, unsigned);
    int (*event_create)(event_t *);
    int (*event_destroy)(event_t);
    int (*event_record)(event_t, stream_t);
    int (*event_query)(event_t);
    int (*event_sync)(event_t);
    int (*device_sync)(void);
    const char *(*error_name)(int);
} rt;

/* One module with both kernels, as one translation unit of a program would have. */
static const char STRESS_PTX[] =
    ".version 7.5\n.target sm_75\n.address_size 64\n"
    ".visible .entry append(.param .u64 log, .param .u64 count, .param .u32 seq)\n{\n"
    ".reg .b64 %rd<6>;\n.reg .b32 %r<4>;\n"
    "ld.param.u64 %rd1, [log];\nld.param.u64 %rd2, [count];\nld.param.u32 %r1, [seq];\n"
    "cvta.to.global.u64 %rd1, %rd1;\ncvta.to.global.u64 %rd2, %rd2;\n"
    "atom.global.add.u32 %r2, [%rd2], 1;\nmul.wide.u32 %rd3, %r2, 4;\n"
    "add.s64 %rd4, %rd1, %rd3;\nst.global.u32 [%rd4], %r1;\nret;\n}\n"
    ".visible .entry at_least(.param .u64 count, .param .u32 k, .param .u64 bad)\n{\n"
    ".reg .b64 %rd<4>;\n.reg .b32 %r<4>;\n.reg .pred %p<2>;\n"
    "ld.param.u64 %rd1, [count];\nld.param.u32 %r1, [k];\nld.param.u64 %rd2, [bad];\n"
    "cvta.to.global.u64 %rd1, %rd1;\ncvta.to.global.u64 %rd2, %rd2;\n"
    "ld.volatile.global.u32 %r2, [%rd1];\nsetp.ge.u32 %p1, %r2, %r1;\n"
    "@%p1 bra $DONE;\natom.global.add.u32 %r3, [%rd2], 1;\n$DONE:\nret;\n}\n";

/* Host stubs: only their addresses matter; distinct bodies keep the compiler from
 * folding them into one function. */
static volatile int stub_marker;
static void append_stub(void) { stub_marker = 1; }
static void at_least_stub(void) { stub_marker = 2; }

static int launches = 1000;
static atomic_int failures;
static atomic_long operations;   /* API calls checked */

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "FAIL: ");
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    atomic_fetch_add(&failures, 1);
}

#define CALL(expr)                                                                      \
    do {                                                                                \
        int rc_ = (expr);                                                               \
        atomic_fetch_add(&operations, 1);                                               \
        if (rc_ != 0) {                                                                 \
            fail("%s:%d: %s returned %s", __FILE__, __LINE__, #expr, rt.error_name(rc_)); \
            return NULL;                                                                \
        }                                                                               \
    } while (0)

/* A one-entry container holding uncompressed PTX, and its wrapper, with the two
 * kernels' host stubs. */
static void **register_ptx(const char *ptx)
{
    size_t len = strlen(ptx) + 1, padded = (len + 7) & ~(size_t)7;
    unsigned char *c = calloc(1, 16 + 0x50 + padded);
    uint32_t magic = 0xBA55ED50u;
    uint64_t fat = 0x50 + padded, flags = 0x11, psize = padded;
    uint32_t hsize = 0x50, arch = 75;
    memcpy(c, &magic, 4);
    c[4] = 1;
    c[6] = 16;
    memcpy(c + 8, &fat, 8);
    unsigned char *e = c + 16;
    e[0] = 1;
    e[2] = 1;
    e[3] = 1;
    memcpy(e + 4, &hsize, 4);
    memcpy(e + 8, &psize, 8);
    e[0x18] = 5;
    e[0x1a] = 7;
    memcpy(e + 0x1c, &arch, 4);
    memcpy(e + 0x28, &flags, 8);
    memcpy(e + 0x50, ptx, len);
    struct { uint32_t magic, version; const void *data; const void *prelinked; } *w;
    w = calloc(1, sizeof *w);
    w->magic = 0x466243B1u;
    w->version = 1;
    w->data = c;
    void **h = rt.register_fatbin(w);
    rt.register_function(h, (const char *)append_stub, (char *)"append", "append", -1, NULL,
                         NULL, NULL, NULL, NULL);
    rt.register_function(h, (const char *)at_least_stub, (char *)"at_least", "at_least", -1,
                         NULL, NULL, NULL, NULL, NULL);
    rt.register_end(h);
    return h;
}

typedef struct stream_state {
    stream_t stream;
    unsigned *log;       /* device: launches entries */
    unsigned *count;     /* device */
    unsigned *snaps;     /* pinned host: one per SNAP_EVERY launches */
    event_t *events;
} stream_state;

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    stream_state st[STREAMS];
    int nsnaps = launches / SNAP_EVERY;
    unsigned *bad = NULL;
    memset(st, 0, sizeof st);
    CALL(rt.malloc_((void **)&bad, sizeof *bad));
    CALL(rt.memset_(bad, 0, sizeof *bad));
    for (int s = 0; s < STREAMS; s++) {
        CALL(rt.stream_create(&st[s].stream));
        CALL(rt.malloc_((void **)&st[s].log, (size_t)launches * sizeof(unsigned)));
        CALL(rt.malloc_((void **)&st[s].count, sizeof(unsigned)));
        CALL(rt.memset_(st[s].count, 0, sizeof(unsigned)));
        CALL(rt.malloc_host((void **)&st[s].snaps, (size_t)(nsnaps + 1) * sizeof(unsigned)));
        memset(st[s].snaps, 0xff, (size_t)(nsnaps + 1) * sizeof(unsigned));
        st[s].events = calloc((size_t)nsnaps + 1, sizeof(event_t));
        for (int j = 0; j < nsnaps; j++)
            CALL(rt.event_create(&st[s].events[j]));
    }
    dim3_t one = { 1, 1, 1 };
    /* Interleave the streams launch by launch, so their queues fill together. */
    for (int i = 0; i < launches; i++) {
        for (int s = 0; s < STREAMS; s++) {
            unsigned seq = (unsigned)i;
            void *args[] = { &st[s].log, &st[s].count, &seq };
            CALL(rt.launch((const void *)append_stub, one, one, args, 0, st[s].stream));
            if ((i + 1) % SNAP_EVERY == 0) {
                int j = (i + 1) / SNAP_EVERY - 1;
                CALL(rt.memcpy_async(&st[s].snaps[j], st[s].count, sizeof(unsigned), 2,
                                     st[s].stream));
                CALL(rt.event_record(st[s].events[j], st[s].stream));
                /* The next stream checks, behind the event, that this one got there. */
                stream_t next = st[(s + 1) % STREAMS].stream;
                CALL(rt.stream_wait_event(next, st[s].events[j], 0));
                unsigned k = (unsigned)i + 1;
                void *cargs[] = { &st[s].count, &k, &bad };
                CALL(rt.launch((const void *)at_least_stub, one, one, cargs, 0, next));
            }
        }
        /* Now and then, query an event of the past (ready or not, never an error). */
        if (i % 200 == 199 && nsnaps > 0) {
            int rc = rt.event_query(st[i % STREAMS].events[0]);
            atomic_fetch_add(&operations, 1);
            if (rc != 0 && rc != 600 /* cudaErrorNotReady */)
                fail("thread %d: cudaEventQuery returned %s", t, rt.error_name(rc));
        }
    }
    for (int s = 0; s < STREAMS; s++) {
        if (nsnaps > 0)
            CALL(rt.event_sync(st[s].events[nsnaps - 1]));
        CALL(rt.stream_sync(st[s].stream));
    }
    unsigned *log = malloc((size_t)launches * sizeof *log);
    for (int s = 0; s < STREAMS; s++) {
        unsigned count = 0;
        CALL(rt.memcpy_(&count, st[s].count, sizeof count, 2));
        CALL(rt.memcpy_(log, st[s].log, (size_t)launches * sizeof *log, 2));
        if (count != (unsigned)launches)
            fail("thread %d stream %d: %u of %d launches ran", t, s, count, launches);
        for (int i = 0; i < launches; i++)
            if (log[i] != (unsigned)i) {
                fail("thread %d stream %d: entry %d of the log is %u (lost or reordered)", t,
                     s, i, log[i]);
                break;
            }
        for (int j = 0; j < nsnaps; j++)
            if (st[s].snaps[j] != (unsigned)((j + 1) * SNAP_EVERY)) {
                fail("thread %d stream %d: copy queued after launch %d read %u", t, s,
                     (j + 1) * SNAP_EVERY - 1, st[s].snaps[j]);
                break;
            }
    }
    unsigned nbad = 0;
    CALL(rt.memcpy_(&nbad, bad, sizeof nbad, 2));
    if (nbad)
        fail("thread %d: %u kernels behind an event ran before the event's work", t, nbad);
    for (int s = 0; s < STREAMS; s++) {
        for (int j = 0; j < nsnaps; j++)
            CALL(rt.event_destroy(st[s].events[j]));
        free(st[s].events);
        CALL(rt.stream_destroy(st[s].stream));
        CALL(rt.free_(st[s].log));
        CALL(rt.free_(st[s].count));
        CALL(rt.free_host(st[s].snaps));
    }
    CALL(rt.free_(bad));
    free(log);
    return NULL;
}

static void *watchdog(void *arg)
{
    (void)arg;
    sleep(WATCHDOG_SECONDS);
    printf("FAIL: not finished after %d s (deadlock?); %ld operations done\n",
           WATCHDOG_SECONDS, atomic_load(&operations));
    fflush(stdout);
    _exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s LIBCUDART [LAUNCHES_PER_STREAM]\n", argv[0]);
        return 2;
    }
    if (argc > 2)
        launches = atoi(argv[2]);
    if (launches < SNAP_EVERY)
        launches = SNAP_EVERY;
    setvbuf(stdout, NULL, _IOLBF, 0);
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        printf("FAIL: dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    struct { void **slot; const char *name; } syms[] = {
        { (void **)&rt.register_fatbin, "__cudaRegisterFatBinary" },
        { (void **)&rt.register_end, "__cudaRegisterFatBinaryEnd" },
        { (void **)&rt.register_function, "__cudaRegisterFunction" },
        { (void **)&rt.malloc_, "cudaMalloc" },
        { (void **)&rt.malloc_host, "cudaMallocHost" },
        { (void **)&rt.free_, "cudaFree" },
        { (void **)&rt.free_host, "cudaFreeHost" },
        { (void **)&rt.memset_, "cudaMemset" },
        { (void **)&rt.memcpy_, "cudaMemcpy" },
        { (void **)&rt.memcpy_async, "cudaMemcpyAsync" },
        { (void **)&rt.launch, "cudaLaunchKernel" },
        { (void **)&rt.stream_create, "cudaStreamCreate" },
        { (void **)&rt.stream_destroy, "cudaStreamDestroy" },
        { (void **)&rt.stream_sync, "cudaStreamSynchronize" },
        { (void **)&rt.stream_wait_event, "cudaStreamWaitEvent" },
        { (void **)&rt.event_create, "cudaEventCreate" },
        { (void **)&rt.event_destroy, "cudaEventDestroy" },
        { (void **)&rt.event_record, "cudaEventRecord" },
        { (void **)&rt.event_query, "cudaEventQuery" },
        { (void **)&rt.event_sync, "cudaEventSynchronize" },
        { (void **)&rt.device_sync, "cudaDeviceSynchronize" },
        { (void **)&rt.error_name, "cudaGetErrorName" },
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        /* Object-to-function pointer conversion through memcpy (POSIX guarantees it). */
        void *p = dlsym(lib, syms[i].name);
        if (!p) {
            printf("FAIL: %s not exported\n", syms[i].name);
            return 1;
        }
        memcpy(syms[i].slot, &p, sizeof p);
    }
    register_ptx(STRESS_PTX);

    pthread_t dog, th[THREADS];
    pthread_create(&dog, NULL, watchdog, NULL);
    pthread_detach(dog);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    int rc = rt.device_sync();
    if (rc != 0)
        fail("cudaDeviceSynchronize at the end returned %s", rt.error_name(rc));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    long launched = (long)THREADS * STREAMS * (launches + launches / SNAP_EVERY);
    printf("%d threads x %d streams: %ld kernels, %ld API calls checked in %.1f s; %d failures\n",
           THREADS, STREAMS, launched, atomic_load(&operations), secs, atomic_load(&failures));
    return atomic_load(&failures) ? 1 : 0;
}
