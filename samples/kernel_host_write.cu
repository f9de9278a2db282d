// kernel_host_write.cu: a kernel store that lands in ordinary host memory (pageable,
// never registered with CUDA): on a GPU it is an illegal address; the host bytes must
// stay untouched. The cpu backend does not check store addresses yet (device
// addresses are host addresses there), so this is an expected failure in make check
// (XFAIL_TESTS) until kernels' global stores are confined to device memory.
// sample-expect: kernel_host_write: host store -> cudaErrorIllegalAddress
#include "sample_check.h"
#include <cstdint>
#include <cstring>

__global__ void store_at(int *base, long long offset, int value)
{
    base[offset] = value;
}

int main()
{
    int errors = 0;
    static int canary[4096];
    for (int i = 0; i < 4096; i++)
        canary[i] = 0x5a5a5a5a;
    int *d = nullptr;
    CHECK(cudaMalloc(&d, 1024 * sizeof(int)));
    // An offset from a device pointer that reaches the middle of the host array.
    long long offset = ((intptr_t)&canary[2048] - (intptr_t)d) / (long long)sizeof(int);
    store_at<<<1, 1>>>(d, offset, 42);
    cudaError_t got = cudaDeviceSynchronize();
    std::printf("kernel_host_write: host store -> %s\n", cudaGetErrorName(got));
    if (got != cudaErrorIllegalAddress)
        errors++;
    for (int i = 0; i < 4096; i++)
        if (canary[i] != 0x5a5a5a5a) {
            std::printf("kernel_host_write: host canary word %d was overwritten\n", i);
            errors++;
            break;
        }
    cudaDeviceReset();
    return sample_verdict("kernel_host_write", errors);
}
