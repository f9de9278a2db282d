// launch_limits.cu: absurd sizes return CUDA's errors instead of hanging or exhausting
// the host: grid and block dimensions past the device's limits, too much dynamic shared
// memory, allocations of 2^60 bytes; a large but valid grid of an empty kernel
// launches and finishes.
// sample-expect: launch_limits: 2^60-byte cudaMalloc -> cudaErrorMemoryAllocation
// sample-known-gap: static NVIDIA's runtime inside the binary truncates the 2^40-byte shared-memory request to 32 bits before the driver sees it (docs/static-binaries.md)
#include "sample_check.h"

__global__ void empty_kernel() {}

__global__ void count_blocks(unsigned long long *n)
{
    if (threadIdx.x == 0)
        atomicAdd(n, 1ull);
}

static int errors = 0;

static void expect(const char *what, cudaError_t got, cudaError_t want)
{
    if (got != want) {
        std::printf("%s: got %s, expected %s\n", what, cudaGetErrorName(got),
                    cudaGetErrorName(want));
        errors++;
    }
    cudaGetLastError();
}

int main()
{
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));

    // Invalid configurations: refused at launch.
    empty_kernel<<<dim3(1, 65536, 1), 1>>>();
    expect("grid.y 65536", cudaGetLastError(), cudaErrorInvalidConfiguration);
    empty_kernel<<<dim3(1, 1, 65536), 1>>>();
    expect("grid.z 65536", cudaGetLastError(), cudaErrorInvalidConfiguration);
    empty_kernel<<<1, dim3(1025, 1, 1)>>>();
    expect("block 1025 threads", cudaGetLastError(), cudaErrorInvalidConfiguration);
    empty_kernel<<<1, dim3(1, 1, 65)>>>();
    expect("block.z 65", cudaGetLastError(), cudaErrorInvalidConfiguration);
    empty_kernel<<<1, dim3(32, 32, 2)>>>();
    expect("block 32x32x2", cudaGetLastError(), cudaErrorInvalidConfiguration);
    empty_kernel<<<dim3(0, 1, 1), 1>>>();
    expect("grid.x 0", cudaGetLastError(), cudaErrorInvalidConfiguration);

    // Dynamic shared memory beyond the opt-in maximum, and beyond the default 48 KiB.
    empty_kernel<<<1, 1, prop.sharedMemPerBlockOptin + 1>>>();
    expect("shared above opt-in max", cudaGetLastError(), cudaErrorInvalidValue);
    empty_kernel<<<1, 1, (size_t)1 << 40>>>();
    expect("shared 2^40", cudaGetLastError(), cudaErrorInvalidValue);
    expect("attribute above opt-in max",
           cudaFuncSetAttribute(empty_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                (int)prop.sharedMemPerBlockOptin + 1),
           cudaErrorInvalidValue);
    CHECK(cudaDeviceSynchronize());

    // Allocations the host cannot back: errors, and the process lives on.
    void *p = nullptr;
    cudaError_t e = cudaMalloc(&p, (size_t)1 << 60);
    std::printf("launch_limits: 2^60-byte cudaMalloc -> %s\n", cudaGetErrorName(e));
    expect("cudaMalloc 2^60", e, cudaErrorMemoryAllocation);
    expect("cudaMalloc SIZE_MAX", cudaMalloc(&p, (size_t)-1), cudaErrorMemoryAllocation);
    expect("cudaMallocManaged 2^60", cudaMallocManaged(&p, (size_t)1 << 60),
           cudaErrorMemoryAllocation);
    expect("cudaMallocHost 2^60", cudaMallocHost(&p, (size_t)1 << 60),
           cudaErrorMemoryAllocation);
    size_t pitch = 0;
    expect("cudaMallocPitch 2^31 x 2^31", cudaMallocPitch(&p, &pitch, (size_t)1 << 31,
                                                          (size_t)1 << 31),
           cudaErrorMemoryAllocation);

    // A large valid grid of an empty kernel (2^20 blocks) launches and completes;
    // every block runs.
    unsigned long long *n = nullptr, blocks = 0;
    CHECK(cudaMalloc(&n, sizeof *n));
    CHECK(cudaMemset(n, 0, sizeof *n));
    count_blocks<<<dim3(1024, 1024, 1), 1>>>(n);
    expect("grid 1024x1024", cudaGetLastError(), cudaSuccess);
    expect("grid 1024x1024 synchronize", cudaDeviceSynchronize(), cudaSuccess);
    CHECK(cudaMemcpy(&blocks, n, sizeof blocks, cudaMemcpyDeviceToHost));
    if (blocks != 1024ull * 1024ull) {
        std::printf("grid 1024x1024: %llu blocks ran\n", blocks);
        errors++;
    }
    // The device still works.
    CHECK(cudaMalloc(&p, 1024));
    CHECK(cudaFree(p));
    CHECK(cudaFree(n));
    return sample_verdict("launch_limits", errors);
}
