// host_threads.cu: the runtime used from 8 host threads at once. Each thread selects
// the device, allocates, copies, launches and checks its own data, round after round,
// while some threads make failing calls: a thread's error shows in its own
// cudaGetLastError / cudaPeekAtLastError only, never in another thread's.
#include <pthread.h>

#include "sample_check.h"

#define THREADS 8
#define ROUNDS 20
#define N 4096

__global__ void affine(int *x, int mul, int add, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = x[i] * mul + add;
}

static pthread_barrier_t barrier;
static int failures[THREADS];

static void fail(int t, int round, const char *what, cudaError_t e)
{
    std::printf("thread %d round %d: %s (%s)\n", t, round, what, cudaGetErrorName(e));
    failures[t]++;
}

// The error this thread makes in this round, or cudaSuccess: threads take turns, so
// every round has threads with and without an error in flight at the same moment.
static cudaError_t provoke(int t, int round)
{
    switch ((t + round) % 4) {
    case 0: return cudaSetDevice(1000);                         // cudaErrorInvalidDevice
    case 1: affine<<<1, 4096>>>(nullptr, 0, 0, 0);              // cudaErrorInvalidConfiguration
            return cudaPeekAtLastError();
    case 2: return cudaMemcpy(nullptr, nullptr, 1, (cudaMemcpyKind)42); // bad direction
    default: return cudaSuccess;
    }
}

static void *worker(void *arg)
{
    int t = (int)(long)arg;
    int *h = new int[N];
    for (int round = 0; round < ROUNDS; round++) {
        cudaError_t e = cudaSetDevice(0);
        if (e != cudaSuccess) fail(t, round, "cudaSetDevice(0)", e);
        int *d = nullptr;
        e = cudaMalloc(&d, N * sizeof(int));
        if (e != cudaSuccess) { fail(t, round, "cudaMalloc", e); break; }
        for (int i = 0; i < N; i++) h[i] = i + t;
        e = cudaMemcpy(d, h, N * sizeof(int), cudaMemcpyHostToDevice);
        if (e != cudaSuccess) fail(t, round, "cudaMemcpy H2D", e);
        int mul = t + 2, add = round;
        affine<<<(N + 127) / 128, 128>>>(d, mul, add, N);
        e = cudaGetLastError();
        if (e != cudaSuccess) fail(t, round, "launch", e);

        // Everyone makes (or does not make) an error, then all look at the same time.
        cudaError_t made = provoke(t, round);
        pthread_barrier_wait(&barrier);
        cudaError_t peek = cudaPeekAtLastError();
        cudaError_t last = cudaGetLastError();
        cudaError_t again = cudaGetLastError();
        if (peek != made || last != made)
            fail(t, round, "last error differs from this thread's own error", last);
        if (again != cudaSuccess) fail(t, round, "cudaGetLastError did not reset", again);
        if (made == cudaSuccess && (t + round) % 4 != 3)
            fail(t, round, "the provoking call succeeded", made);
        pthread_barrier_wait(&barrier);

        // The bad cudaSetDevice left this thread on device 0.
        int dev = -1;
        e = cudaGetDevice(&dev);
        if (e != cudaSuccess || dev != 0) fail(t, round, "current device changed", e);

        e = cudaMemcpy(h, d, N * sizeof(int), cudaMemcpyDeviceToHost);
        if (e != cudaSuccess) fail(t, round, "cudaMemcpy D2H", e);
        int bad = 0;
        for (int i = 0; i < N; i++) bad += h[i] != (i + t) * mul + add;
        if (bad) {
            std::printf("thread %d round %d: %d wrong results\n", t, round, bad);
            failures[t]++;
        }
        e = cudaFree(d);
        if (e != cudaSuccess) fail(t, round, "cudaFree", e);
    }
    delete[] h;
    return nullptr;
}

int main()
{
    pthread_barrier_init(&barrier, nullptr, THREADS);
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        if (pthread_create(&th[t], nullptr, worker, (void *)t) != 0) {
            std::printf("pthread_create failed\n");
            return 1;
        }
    int errors = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], nullptr);
        errors += failures[t];
    }
    // The main thread made no call that failed.
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
        std::printf("main thread sees %s\n", cudaGetErrorName(e));
        errors++;
    }
    CHECK(cudaDeviceSynchronize());
    std::printf("%d threads x %d rounds of malloc/copy/launch/copy/free with interleaved "
                "errors\n", THREADS, ROUNDS);
    pthread_barrier_destroy(&barrier);
    return sample_verdict("host_threads", errors);
}
