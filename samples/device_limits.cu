// device_limits.cu: cudaDeviceSetLimit / cudaDeviceGetLimit as a program sees them: the
// device malloc heap sized before first use (a kernel's malloc within it succeeds, one
// beyond it returns NULL, and the size is fixed once the heap is in use), the stack and
// printf FIFO sizes read back, hints clamped, and the errors for bad limits.
#include "sample_check.h"

// Each thread of `n` asks for `bytes`, records whether it got memory, writes to it
// (proving it is usable) and frees it.
__global__ void try_malloc(size_t bytes, int *got)
{
    char *p = (char *)malloc(bytes);
    if (p) {
        p[0] = 1;
        p[bytes - 1] = 2;
        got[threadIdx.x] = p[0] + p[bytes - 1];
        free(p);
    } else {
        got[threadIdx.x] = 0;
    }
}

static int expect_error(const char *what, cudaError_t got, cudaError_t want)
{
    // The error was reported by the call, so it is also this thread's last error.
    cudaError_t last = cudaGetLastError();
    if (got == want && last == want)
        return 0;
    std::printf("%s: got %s (last error %s), expected %s\n", what, cudaGetErrorName(got),
                cudaGetErrorName(last), cudaGetErrorName(want));
    return 1;
}

static int expect_limit(const char *what, cudaLimit limit, size_t want)
{
    size_t v = ~(size_t)0;
    CHECK(cudaDeviceGetLimit(&v, limit));
    if (v == want)
        return 0;
    std::printf("%s: limit is %zu, expected %zu\n", what, v, want);
    return 1;
}

int main()
{
    int errors = 0;

    // Defaults a program reads before setting anything (CUDA's documented values).
    errors += expect_limit("default heap", cudaLimitMallocHeapSize, 8u << 20);
    errors += expect_limit("default stack", cudaLimitStackSize, 1024);
    errors += expect_limit("default printf FIFO", cudaLimitPrintfFifoSize, 1u << 20);

    // The heap is sized before any kernel uses malloc.
    const size_t heap = 1u << 20;
    CHECK(cudaDeviceSetLimit(cudaLimitMallocHeapSize, heap));
    errors += expect_limit("heap after set", cudaLimitMallocHeapSize, heap);

    int *d_got = nullptr, got[4];
    CHECK(cudaMalloc(&d_got, sizeof got));
    // Four threads taking 128 KiB each fit in 1 MiB together.
    try_malloc<<<1, 4>>>(128u << 10, d_got);
    CHECK(cudaGetLastError());
    CHECK(cudaMemcpy(got, d_got, sizeof got, cudaMemcpyDeviceToHost));
    for (int i = 0; i < 4; i++)
        if (got[i] != 3) {
            std::printf("malloc(128 KiB) in thread %d within a 1 MiB heap failed\n", i);
            errors++;
        }
    // Beyond the heap: malloc returns NULL (no fault).
    try_malloc<<<1, 1>>>(2u << 20, d_got);
    CHECK(cudaGetLastError());
    CHECK(cudaMemcpy(got, d_got, sizeof(int), cudaMemcpyDeviceToHost));
    if (got[0] != 0) {
        std::printf("malloc(2 MiB) from a 1 MiB heap did not return NULL\n");
        errors++;
    }
    std::printf("heap: 1 MiB; 128 KiB x4: ok; 2 MiB: NULL\n");

    // Once kernels have used the heap its size is fixed: cudaErrorInvalidValue, and the
    // limit reads back unchanged.
    errors += expect_error("heap resize after use",
                           cudaDeviceSetLimit(cudaLimitMallocHeapSize, 4u << 20),
                           cudaErrorInvalidValue);
    errors += expect_limit("heap after refused resize", cudaLimitMallocHeapSize, heap);

    // Stack and printf FIFO sizes are stored and read back.
    CHECK(cudaDeviceSetLimit(cudaLimitStackSize, 4096));
    errors += expect_limit("stack after set", cudaLimitStackSize, 4096);
    CHECK(cudaDeviceSetLimit(cudaLimitPrintfFifoSize, 4u << 20));
    errors += expect_limit("printf FIFO after set", cudaLimitPrintfFifoSize, 4u << 20);

    // Hints: the L2 fetch granularity ranges over 0..128 bytes (larger requests are
    // clamped); the persisting L2 size is clamped to what the device can set aside.
    CHECK(cudaDeviceSetLimit(cudaLimitMaxL2FetchGranularity, 32));
    errors += expect_limit("L2 fetch granularity", cudaLimitMaxL2FetchGranularity, 32);
    CHECK(cudaDeviceSetLimit(cudaLimitMaxL2FetchGranularity, 256));
    errors += expect_limit("L2 fetch granularity clamped", cudaLimitMaxL2FetchGranularity, 128);
    int persist_max = -1;
    CHECK(cudaDeviceGetAttribute(&persist_max, cudaDevAttrMaxPersistingL2CacheSize, 0));
    CHECK(cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, (size_t)persist_max + (1u << 20)));
    errors += expect_limit("persisting L2 clamped", cudaLimitPersistingL2CacheSize,
                           (size_t)persist_max);

    // Dynamic parallelism is not available: its limits are unsupported, as is a limit
    // CUDA does not define.
    size_t v = 12345;
    errors += expect_error("get sync depth", cudaDeviceGetLimit(&v, cudaLimitDevRuntimeSyncDepth),
                           cudaErrorUnsupportedLimit);
    errors += expect_error("set pending launches",
                           cudaDeviceSetLimit(cudaLimitDevRuntimePendingLaunchCount, 4096),
                           cudaErrorUnsupportedLimit);
    errors += expect_error("unknown limit", cudaDeviceSetLimit((cudaLimit)0x7f, 1),
                           cudaErrorUnsupportedLimit);
    if (v != 12345) {
        std::printf("a refused cudaDeviceGetLimit wrote its output\n");
        errors++;
    }
    errors += expect_error("NULL output", cudaDeviceGetLimit(nullptr, cudaLimitStackSize),
                           cudaErrorInvalidValue);

    // A reset returns the limits a program can still change to CUDA's defaults.
    CHECK(cudaFree(d_got));
    CHECK(cudaDeviceReset());
    errors += expect_limit("stack after reset", cudaLimitStackSize, 1024);
    errors += expect_limit("printf FIFO after reset", cudaLimitPrintfFifoSize, 1u << 20);
    errors += expect_limit("L2 fetch after reset", cudaLimitMaxL2FetchGranularity, 64);
    return sample_verdict("device_limits", errors);
}
