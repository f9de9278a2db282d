/* cpu_pool.c: runs a kernel launch on the CPU: blocks handed out by an atomic counter to
 * a persistent pool of worker threads (plus the launching thread), with per-worker
 * reusable block buffers, and faults (services, SIGSEGV/SIGBUS in generated code)
 * turned into the launch's CUDA error. */
#include "config.h"

#include "vendors/cpu/cpu.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim/log.h"

#define ALT_STACK_BYTES (64u * 1024u)
#define WORKER_STACK_BYTES (16u << 20)
#define BUFFER_ALIGN 4096u

typedef struct block_buffer {
    char *data;
    size_t cap;
} block_buffer;

typedef struct cpu_worker {
    unsigned index;
    pthread_t thread;
    bool started;
    sem_t wake;
    sigjmp_buf jump;
    struct cushim_block_ctx ctx;
    block_buffer shared, state, local;
    void *alt_stack;
    volatile sig_atomic_t fault_signal;
    volatile uint64_t fault_addr;
} cpu_worker;

typedef struct launch_state {
    const struct cushim_kernel_desc *kernel;
    const cushim_launch *config;
    uint64_t nblocks;
    uint64_t state_bytes, local_bytes; /* per block */
    uint32_t shared_bytes;
    uint64_t gridid;
    /* The grid-sync word cooperative groups finds through %envreg1:%envreg2 (high:low)
     * for cooperative launches; zero at each launch, as CUDA's runtime leaves it. */
    _Alignas(16) uint32_t grid_workspace[4];
    atomic_uint_fast64_t next_block;
    atomic_int failed;
    atomic_uint active_helpers;
    pthread_mutex_t error_lock;
    int error;
    char message[768];
} launch_state;

static pthread_mutex_t launch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static bool pool_ready; /* under launch_lock */
static cpu_worker *helpers;
static unsigned nhelpers;
static cpu_worker launcher;   /* used by whichever thread holds launch_lock */
static launch_state current = {.error_lock = PTHREAD_MUTEX_INITIALIZER};
static sem_t helpers_done;
static atomic_bool stopping;
static uint64_t launch_counter;

/* The worker running a block on this thread, NULL otherwise: the signal handler's
 * test. initial-exec so that reading it in the handler never allocates. */
static __thread cpu_worker *volatile running_worker __attribute__((tls_model("initial-exec")));
static __thread volatile sig_atomic_t chaining __attribute__((tls_model("initial-exec")));

static struct sigaction previous_segv, previous_bus;

/* ---- faults ------------------------------------------------------------------- */

void cpu_thread_text(const struct cushim_block_ctx *ctx, char *buf, size_t len)
{
    if (ctx->tid[0] == UINT32_MAX)
        snprintf(buf, len, "[?]");
    else
        snprintf(buf, len, "[%u,%u,%u]", ctx->tid[0], ctx->tid[1], ctx->tid[2]);
}

static void record_error(const struct cushim_block_ctx *ctx, int cuda_error, const char *what)
{
    char thread[48];
    cpu_thread_text(ctx, thread, sizeof thread);
    pthread_mutex_lock(&current.error_lock);
    if (current.error == 0) {
        current.error = cuda_error;
        snprintf(current.message, sizeof current.message,
                 "kernel %s, block [%u,%u,%u], thread %s: %s", current.kernel->name,
                 ctx->ctaid[0], ctx->ctaid[1], ctx->ctaid[2], thread, what);
    }
    pthread_mutex_unlock(&current.error_lock);
    atomic_store(&current.failed, 1);
}

_Noreturn void cpu_pool_fail_block(struct cushim_block_ctx *ctx, int cuda_error,
                                   const char *what)
{
    cpu_worker *w = ctx->rt_data;
    record_error(ctx, cuda_error, what);
    running_worker = NULL;
    siglongjmp(w->jump, 1);
}

static void chain_to_previous(int sig, siginfo_t *info, void *uc)
{
    const struct sigaction *prev = sig == SIGSEGV ? &previous_segv : &previous_bus;
    /* A previous handler that chains back to us would recurse forever. */
    if (!chaining && prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        chaining = 1;
        if (prev->sa_flags & SA_SIGINFO)
            prev->sa_sigaction(sig, info, uc);
        else
            prev->sa_handler(sig);
        chaining = 0;
        return;
    }
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    /* A real fault re-executes and now kills; a signal sent by kill() must be re-sent. */
    if (info->si_code <= 0)
        raise(sig);
}

static void fault_handler(int sig, siginfo_t *info, void *uc)
{
    cpu_worker *w = running_worker;
    if (!w) {
        chain_to_previous(sig, info, uc);
        return;
    }
    running_worker = NULL;
    w->fault_signal = sig;
    w->fault_addr = (uint64_t)(uintptr_t)info->si_addr;
    siglongjmp(w->jump, 2);
}

/* Installed on each launch unless still in place, so a program that sets its own
 * SIGSEGV handler later still has kernel faults reported and its own faults chained. */
static void ensure_fault_handlers(void)
{
    static const int signals[2] = {SIGSEGV, SIGBUS};
    for (int i = 0; i < 2; i++) {
        struct sigaction now;
        if (sigaction(signals[i], NULL, &now) != 0)
            continue;
        if ((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == fault_handler)
            continue;
        struct sigaction ours;
        memset(&ours, 0, sizeof ours);
        ours.sa_sigaction = fault_handler;
        ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&ours.sa_mask);
        sigaction(signals[i], &ours, signals[i] == SIGSEGV ? &previous_segv : &previous_bus);
    }
}

/* ---- running blocks ----------------------------------------------------------------- */

static bool ensure_buffer(block_buffer *b, uint64_t bytes)
{
    if (bytes <= b->cap)
        return true;
    if (bytes > SIZE_MAX / 2)
        return false;
    size_t cap = b->cap ? b->cap : BUFFER_ALIGN;
    while (cap < bytes)
        cap *= 2;
    void *p = NULL;
    if (posix_memalign(&p, BUFFER_ALIGN, cap) != 0)
        return false;
    free(b->data);
    b->data = p;
    b->cap = cap;
    return true;
}

static __attribute__((noinline)) void run_one_block(cpu_worker *w, uint64_t linear)
{
    const cushim_launch *l = current.config;
    struct cushim_block_ctx *ctx = &w->ctx;
    ctx->ctaid[0] = (uint32_t)(linear % l->grid[0]);
    ctx->ctaid[1] = (uint32_t)(linear / l->grid[0] % l->grid[1]);
    ctx->ctaid[2] = (uint32_t)(linear / ((uint64_t)l->grid[0] * l->grid[1]));
    ctx->tid[0] = ctx->tid[1] = ctx->tid[2] = UINT32_MAX;
    if (current.state_bytes)
        memset(w->state.data, 0, current.state_bytes);
    w->fault_signal = 0;
    if (sigsetjmp(w->jump, 0) == 0) {
        running_worker = w;
        current.kernel->run_block(ctx);
        running_worker = NULL;
        return;
    }
    running_worker = NULL;
    if (w->fault_signal) {
        sigset_t faults;
        sigemptyset(&faults);
        sigaddset(&faults, SIGSEGV);
        sigaddset(&faults, SIGBUS);
        pthread_sigmask(SIG_UNBLOCK, &faults, NULL);
        char where[160], what[320];
        cpu_mem_describe(w->fault_addr, where, sizeof where);
        snprintf(what, sizeof what, "%s at address 0x%" PRIx64 " (%s)",
                 w->fault_signal == SIGBUS ? "bus error" : "illegal memory access",
                 w->fault_addr, where);
        record_error(ctx, CPU_cudaErrorIllegalAddress, what);
    }
}

static void run_blocks(cpu_worker *w)
{
    const cushim_launch *l = current.config;
    if (!ensure_buffer(&w->shared, current.shared_bytes ? current.shared_bytes : 1) ||
        !ensure_buffer(&w->state, current.state_bytes ? current.state_bytes : 1) ||
        !ensure_buffer(&w->local, current.local_bytes ? current.local_bytes : 1)) {
        pthread_mutex_lock(&current.error_lock);
        if (current.error == 0) {
            current.error = CPU_cudaErrorLaunchOutOfResources;
            snprintf(current.message, sizeof current.message,
                     "kernel %s: cannot allocate per-block memory (%" PRIu64
                     " bytes of thread state, %" PRIu64 " bytes of local memory)",
                     current.kernel->name, current.state_bytes, current.local_bytes);
        }
        pthread_mutex_unlock(&current.error_lock);
        atomic_store(&current.failed, 1);
        return;
    }
    struct cushim_block_ctx *ctx = &w->ctx;
    memset(ctx, 0, sizeof *ctx);
    ctx->params = l->params;
    memcpy(ctx->ntid, l->block, sizeof ctx->ntid);
    memcpy(ctx->nctaid, l->grid, sizeof ctx->nctaid);
    ctx->nthreads = l->block[0] * l->block[1] * l->block[2];
    ctx->shared = w->shared.data;
    ctx->dynamic_smem_bytes = l->dynamic_shared_bytes;
    ctx->total_smem_bytes = current.shared_bytes;
    ctx->thread_state = w->state.data;
    ctx->local_mem = w->local.data;
    ctx->rt = &cpu_services;
    ctx->rt_data = w;
    ctx->smid = w->index;
    ctx->nsmid = nhelpers + 1;
    ctx->gridid = current.gridid;
    if (l->cooperative) {
        uint64_t ws = (uint64_t)(uintptr_t)current.grid_workspace;
        ctx->envreg[1] = (uint32_t)(ws >> 32);
        ctx->envreg[2] = (uint32_t)ws;
    }
    while (!atomic_load_explicit(&current.failed, memory_order_relaxed)) {
        uint64_t b = atomic_fetch_add_explicit(&current.next_block, 1, memory_order_relaxed);
        if (b >= current.nblocks)
            break;
        run_one_block(w, b);
    }
}

static bool install_alt_stack(cpu_worker *w, stack_t *old)
{
    if (!w->alt_stack) {
        void *p = mmap(NULL, ALT_STACK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return false;
        w->alt_stack = p;
    }
    stack_t st = {.ss_sp = w->alt_stack, .ss_size = ALT_STACK_BYTES, .ss_flags = 0};
    return sigaltstack(&st, old) == 0;
}

static void *helper_main(void *arg)
{
    cpu_worker *w = arg;
    install_alt_stack(w, NULL);
    for (;;) {
        while (sem_wait(&w->wake) != 0 && errno == EINTR)
            ;
        if (atomic_load(&stopping))
            break;
        run_blocks(w);
        if (atomic_fetch_sub(&current.active_helpers, 1) == 1)
            sem_post(&helpers_done);
    }
    return NULL;
}

/* fork() keeps only the forking thread: a child must not wait for helpers it does not
 * have, nor inherit launch_lock held by another thread. */
static void before_fork(void)
{
    pthread_mutex_lock(&launch_lock);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&launch_lock);
}

static void after_fork_child(void)
{
    helpers = NULL; /* the parent's threads are gone; their memory is left alone */
    nhelpers = 0;
    pool_ready = false;
    running_worker = NULL;
    pthread_mutex_unlock(&launch_lock);
}

static void register_atfork(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* Called with launch_lock held. */
static void create_pool(void)
{
    pool_ready = true;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    sem_init(&helpers_done, 0, 0);
    unsigned want = (unsigned)(cores - 1);
    if (want == 0)
        return;
    helpers = calloc(want, sizeof *helpers);
    if (!helpers)
        return;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK_BYTES);
    /* Workers must not take the program's signals (SIGINT handlers, timers). */
    sigset_t all, saved;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    pthread_sigmask(SIG_BLOCK, &all, &saved);
    for (unsigned i = 0; i < want; i++) {
        cpu_worker *w = &helpers[nhelpers];
        w->index = nhelpers + 1;
        sem_init(&w->wake, 0, 0);
        if (pthread_create(&w->thread, &attr, helper_main, w) != 0) {
            sem_destroy(&w->wake);
            break;
        }
        w->started = true;
        nhelpers++;
    }
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    pthread_attr_destroy(&attr);
    CUSHIM_DEBUG(CPU, "worker pool: %u helper threads", nhelpers);
}

unsigned cpu_pool_parallelism(void)
{
    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&launch_lock);
    if (!pool_ready && !atomic_load(&stopping))
        create_pool();
    unsigned n = nhelpers + 1;
    pthread_mutex_unlock(&launch_lock);
    return n;
}

void cpu_pool_shutdown(void)
{
    pthread_mutex_lock(&launch_lock);
    if (!atomic_exchange(&stopping, true)) {
        for (unsigned i = 0; i < nhelpers; i++)
            sem_post(&helpers[i].wake);
        for (unsigned i = 0; i < nhelpers; i++)
            pthread_join(helpers[i].thread, NULL);
        nhelpers = 0;
    }
    pthread_mutex_unlock(&launch_lock);
}

/* ---- launch ------------------------------------------------------------------------- */

static int config_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int config_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CPU_cudaErrorInvalidConfiguration;
}

int cpu_pool_launch(const struct cushim_kernel_desc *k, const cushim_launch *l, char *err,
                    size_t errlen)
{
    if (!k || !l) {
        snprintf(err, errlen, "cpu backend: launch of a NULL kernel");
        return CPU_cudaErrorInvalidDeviceFunction;
    }
    if (!k->run_block) {
        snprintf(err, errlen, "kernel %s cannot run on the cpu backend: %s", k->name,
                 k->unsupported ? k->unsupported : "no code was generated for it");
        return CPU_cudaErrorNotSupported;
    }
    uint64_t nthreads = (uint64_t)l->block[0] * l->block[1] * l->block[2];
    if (nthreads == 0 || nthreads > CPU_MAX_THREADS_PER_BLOCK || l->block[0] > 1024 ||
        l->block[1] > 1024 || l->block[2] > 64)
        return config_error(err, errlen,
                            "kernel %s: block (%u,%u,%u) is empty or exceeds 1024 threads "
                            "or (1024,1024,64)", k->name, l->block[0], l->block[1],
                            l->block[2]);
    if (l->grid[0] == 0 || l->grid[1] == 0 || l->grid[2] == 0 || l->grid[0] > 0x7fffffffu ||
        l->grid[1] > 65535 || l->grid[2] > 65535)
        return config_error(err, errlen,
                            "kernel %s: grid (%u,%u,%u) is empty or exceeds "
                            "(2147483647,65535,65535)", k->name, l->grid[0], l->grid[1],
                            l->grid[2]);
    uint64_t shared = (uint64_t)k->static_shared_bytes + l->dynamic_shared_bytes;
    if (shared > CPU_SMEM_OPTIN)
        return config_error(err, errlen,
                            "kernel %s: %" PRIu64 " bytes of shared memory (%u static + %u "
                            "dynamic) exceed the limit of %u", k->name, shared,
                            k->static_shared_bytes, l->dynamic_shared_bytes, CPU_SMEM_OPTIN);
    if (k->max_threads && nthreads > k->max_threads) {
        snprintf(err, errlen,
                 "kernel %s: %" PRIu64 " threads per block exceed its launch bounds "
                 "(.maxntid/.reqntid: %u)", k->name, nthreads, k->max_threads);
        return CPU_cudaErrorLaunchOutOfResources;
    }

    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&launch_lock);
    if (atomic_load(&stopping)) {
        pthread_mutex_unlock(&launch_lock);
        snprintf(err, errlen, "cpu backend: launch after shutdown");
        return CPU_cudaErrorCudartUnloading;
    }
    if (!pool_ready)
        create_pool();
    /* A cooperative grid may wait on itself (grid sync): all its blocks must run at
     * once, one per host thread. */
    uint64_t nblocks = (uint64_t)l->grid[0] * l->grid[1] * l->grid[2];
    if (l->cooperative && nblocks > nhelpers + 1u) {
        unsigned parallel = nhelpers + 1u;
        pthread_mutex_unlock(&launch_lock);
        snprintf(err, errlen, "kernel %s: cooperative launch of %" PRIu64 " blocks, but the "
                 "cpu backend runs at most %u blocks at once", k->name, nblocks, parallel);
        return CPU_cudaErrorCooperativeLaunchTooLarge;
    }
    ensure_fault_handlers();
    current.kernel = k;
    current.config = l;
    current.nblocks = nblocks;
    current.state_bytes = nthreads * k->state_bytes_per_thread;
    current.local_bytes = nthreads * k->local_bytes_per_thread;
    current.shared_bytes = (uint32_t)shared;
    current.gridid = ++launch_counter;
    memset(current.grid_workspace, 0, sizeof current.grid_workspace);
    current.error = 0;
    current.message[0] = '\0';
    atomic_store(&current.next_block, 0);
    atomic_store(&current.failed, 0);

    unsigned wake = nhelpers;
    if (current.nblocks - 1 < wake)
        wake = (unsigned)(current.nblocks - 1);
    atomic_store(&current.active_helpers, wake);
    for (unsigned i = 0; i < wake; i++)
        sem_post(&helpers[i].wake);

    stack_t saved_stack;
    bool swapped_stack = install_alt_stack(&launcher, &saved_stack);
    launcher.index = 0;
    run_blocks(&launcher);
    if (swapped_stack)
        sigaltstack(&saved_stack, NULL);

    /* Helpers that have not woken yet are not needed any more: taking back their wake-up
     * saves a round trip through the scheduler on short launches. Helpers signal
     * helpers_done when one of them brings active_helpers to zero. */
    unsigned retracted = 0;
    for (unsigned i = 0; i < wake; i++)
        if (sem_trywait(&helpers[i].wake) == 0)
            retracted++;
    unsigned before = retracted ? atomic_fetch_sub(&current.active_helpers, retracted) : 0;
    if (wake > 0 && (retracted == 0 || before != retracted))
        while (sem_wait(&helpers_done) != 0 && errno == EINTR)
            ;
    int rc = current.error;
    if (rc && err && errlen)
        snprintf(err, errlen, "%s", current.message);
    if (rc)
        CUSHIM_DEBUG(LAUNCH, "launch failed: %s", current.message);
    current.kernel = NULL;
    current.config = NULL;
    pthread_mutex_unlock(&launch_lock);
    return rc;
}
