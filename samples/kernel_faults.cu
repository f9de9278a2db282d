// kernel_faults.cu: what a program sees when its kernel faults: a store far outside
// any allocation, a store into the gap just past an allocation, a load through NULL,
// `trap`, a failed device assert. The launch itself succeeds; the next synchronising
// call returns CUDA's error, which then stays (every call returns it) until
// cudaDeviceReset, after which the program allocates and launches again. Integer
// division by zero and misaligned accesses do not kill the process either.
// sample-expect: kernel_faults: far store -> cudaErrorIllegalAddress
// sample-expect: kernel_faults: store past the end -> cudaErrorIllegalAddress
// sample-expect: kernel_faults: null load -> cudaErrorIllegalAddress
// sample-expect: kernel_faults: trap -> cudaErrorLaunchFailure
// sample-expect: kernel_faults: device assert -> cudaErrorAssert
// sample-expect: illegal memory access
#include "sample_check.h"
#include <cassert>
#include <cstdint>
#include <cstring>

__global__ void store_at(int *base, long long offset, int value)
{
    base[offset] = value;
}

__global__ void load_null(int *out, int *null_ptr)
{
    out[threadIdx.x] = null_ptr[threadIdx.x];
}

__global__ void trap_kernel(int *out)
{
    out[0] = 1;
    if (threadIdx.x == 3)
        asm volatile("trap;");
}

__global__ void assert_kernel(int v)
{
    assert(v == 0);
}

__global__ void divide(const int *a, const int *b, int *q, int *r, unsigned *uq)
{
    int i = threadIdx.x;
    q[i] = a[i] / b[i];
    r[i] = a[i] % b[i];
    uq[i] = (unsigned)a[i] / (unsigned)b[i];
}

__global__ void misaligned_load(const char *base, int *out)
{
    out[0] = *(const int *)(base + 1);
}

__global__ void fill(int *p, int n, int value)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        p[i] = value + i;
}

static int errors = 0;

static void expect(const char *what, cudaError_t got, cudaError_t want)
{
    if (got != want) {
        std::printf("%s: got %s, expected %s\n", what, cudaGetErrorName(got),
                    cudaGetErrorName(want));
        errors++;
    }
}

// After a fault: every call returns the sticky error until cudaDeviceReset; then the
// device works again (allocate, launch, copy back the right values).
static void check_sticky_then_reset(const char *what, cudaError_t want)
{
    char label[160];
    int *p = nullptr;
    std::snprintf(label, sizeof label, "%s: cudaMalloc after the fault", what);
    expect(label, cudaMalloc(&p, 64), want);
    std::snprintf(label, sizeof label, "%s: cudaGetLastError after the fault", what);
    expect(label, cudaGetLastError(), want);
    std::snprintf(label, sizeof label, "%s: cudaDeviceSynchronize again", what);
    expect(label, cudaDeviceSynchronize(), want);
    fill<<<1, 32>>>(p, 32, 0);
    std::snprintf(label, sizeof label, "%s: launch after the fault", what);
    expect(label, cudaGetLastError(), want);

    std::snprintf(label, sizeof label, "%s: cudaDeviceReset", what);
    expect(label, cudaDeviceReset(), cudaSuccess);
    std::snprintf(label, sizeof label, "%s: cudaGetLastError after reset", what);
    expect(label, cudaGetLastError(), cudaSuccess);
    const int n = 1000;
    int *d = nullptr;
    std::snprintf(label, sizeof label, "%s: cudaMalloc after reset", what);
    expect(label, cudaMalloc(&d, n * sizeof(int)), cudaSuccess);
    fill<<<(n + 255) / 256, 256>>>(d, n, 7);
    std::snprintf(label, sizeof label, "%s: launch after reset", what);
    expect(label, cudaGetLastError(), cudaSuccess);
    int host[1000];
    std::snprintf(label, sizeof label, "%s: copy after reset", what);
    expect(label, cudaMemcpy(host, d, sizeof host, cudaMemcpyDeviceToHost), cudaSuccess);
    for (int i = 0; i < n; i++)
        if (host[i] != 7 + i) {
            std::printf("%s: after reset, element %d is %d\n", what, i, host[i]);
            errors++;
            break;
        }
    cudaFree(d);
}

// Launch is asynchronous: it succeeds; the synchronising call reports the fault.
static void fault_case(const char *what, cudaError_t launch_result, cudaError_t want)
{
    char label[160];
    std::snprintf(label, sizeof label, "%s: launch", what);
    expect(label, launch_result, cudaSuccess);
    cudaError_t got = cudaDeviceSynchronize();
    std::printf("kernel_faults: %s -> %s\n", what, cudaGetErrorName(got));
    std::snprintf(label, sizeof label, "%s: cudaDeviceSynchronize", what);
    expect(label, got, want);
    check_sticky_then_reset(what, want);
}

int main()
{
    const int n = 1000;
    int *d = nullptr;

    CHECK(cudaMalloc(&d, n * sizeof(int)));
    // 2^40 ints past the allocation: no allocation is there.
    store_at<<<1, 1>>>(d, 1ll << 40, 42);
    fault_case("far store", cudaGetLastError(), cudaErrorIllegalAddress);

    CHECK(cudaMalloc(&d, n * sizeof(int)));
    // One page past the end: the gap after an allocation.
    store_at<<<1, 1>>>(d, n + 4096, 42);
    fault_case("store past the end", cudaGetLastError(), cudaErrorIllegalAddress);

    CHECK(cudaMalloc(&d, n * sizeof(int)));
    load_null<<<1, 32>>>(d, nullptr);
    fault_case("null load", cudaGetLastError(), cudaErrorIllegalAddress);

    CHECK(cudaMalloc(&d, n * sizeof(int)));
    trap_kernel<<<2, 32>>>(d);
    fault_case("trap", cudaGetLastError(), cudaErrorLaunchFailure);

    assert_kernel<<<1, 1>>>(1);
    fault_case("device assert", cudaGetLastError(), cudaErrorAssert);

    // Integer division by zero is not a fault on the GPU: the quotient is all ones
    // (-1 signed) and the remainder the dividend. The process must survive it.
    {
        int ha[4] = { 7, -7, 0, 123 }, hb[4] = { 0, 0, 0, 1 };
        int *a, *b, *q, *r;
        unsigned *uq;
        CHECK(cudaMalloc(&a, sizeof ha));
        CHECK(cudaMalloc(&b, sizeof hb));
        CHECK(cudaMalloc(&q, sizeof ha));
        CHECK(cudaMalloc(&r, sizeof ha));
        CHECK(cudaMalloc(&uq, sizeof ha));
        CHECK(cudaMemcpy(a, ha, sizeof ha, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(b, hb, sizeof hb, cudaMemcpyHostToDevice));
        divide<<<1, 4>>>(a, b, q, r, uq);
        expect("division by zero: launch", cudaGetLastError(), cudaSuccess);
        expect("division by zero: synchronize", cudaDeviceSynchronize(), cudaSuccess);
        int hq[4], hr[4];
        unsigned huq[4];
        CHECK(cudaMemcpy(hq, q, sizeof hq, cudaMemcpyDeviceToHost));
        CHECK(cudaMemcpy(hr, r, sizeof hr, cudaMemcpyDeviceToHost));
        CHECK(cudaMemcpy(huq, uq, sizeof huq, cudaMemcpyDeviceToHost));
        if (hq[3] != 123 || hr[3] != 0 || huq[3] != 123u) {
            std::printf("division: 123 / 1 gave %d rem %d\n", hq[3], hr[3]);
            errors++;
        }
        for (int i = 0; i < 3; i++)
            if (huq[i] != 0xffffffffu) {
                std::printf("division: %d / 0 (unsigned) gave %u, expected all ones\n", ha[i],
                            huq[i]);
                errors++;
            }
        std::printf("kernel_faults: division by zero -> no fault\n");
        CHECK(cudaDeviceReset());
    }

    // A misaligned 4-byte load: CUDA reports cudaErrorMisalignedAddress; x86 hosts do
    // not trap on it, so the cpu backend may run it. Either way the process lives on
    // and a reset recovers.
    {
        char *c;
        int *out;
        CHECK(cudaMalloc(&c, 64));
        CHECK(cudaMalloc(&out, 4));
        CHECK(cudaMemset(c, 0, 64));
        misaligned_load<<<1, 1>>>(c, out);
        expect("misaligned: launch", cudaGetLastError(), cudaSuccess);
        cudaError_t got = cudaDeviceSynchronize();
        std::printf("kernel_faults: misaligned load -> %s\n", cudaGetErrorName(got));
        if (got != cudaSuccess && got != cudaErrorMisalignedAddress) {
            std::printf("misaligned load: unexpected %s\n", cudaGetErrorName(got));
            errors++;
        }
        if (got != cudaSuccess)
            check_sticky_then_reset("misaligned load", got);
        CHECK(cudaDeviceReset());
    }
    return sample_verdict("kernel_faults", errors);
}
