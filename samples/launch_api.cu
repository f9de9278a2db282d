// launch_api.cu: launching through the runtime API rather than <<<>>>: cudaLaunchKernel
// with an argument array (the path CUDA 12 stubs take), on an explicit stream, and
// cudaFuncGetAttributes reporting the kernel's real resources.
#include "sample_check.h"

__global__ void fill(int *out, int base, short step)
{
    __shared__ int tile[128];
    tile[threadIdx.x] = base + step * (int)(blockIdx.x * blockDim.x + threadIdx.x);
    __syncthreads();
    out[blockIdx.x * blockDim.x + threadIdx.x] = tile[blockDim.x - 1 - threadIdx.x];
}

int main()
{
    const int blocks = 8, threads = 128, n = blocks * threads;
    int *d = nullptr;
    CHECK(cudaMalloc(&d, n * sizeof(int)));
    cudaStream_t stream;
    CHECK(cudaStreamCreate(&stream));
    int base = 1000;
    short step = 3;
    void *args[] = {&d, &base, &step};
    CHECK(cudaLaunchKernel((const void *)fill, dim3(blocks), dim3(threads), args, 0, stream));
    CHECK(cudaStreamSynchronize(stream));
    int h[n];
    CHECK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
    int errors = 0;
    for (int b = 0; b < blocks; b++)
        for (int t = 0; t < threads; t++)
            if (h[b * threads + t] != base + step * (b * threads + threads - 1 - t)) errors++;

    cudaFuncAttributes attr;
    CHECK(cudaFuncGetAttributes(&attr, (const void *)fill));
    std::printf("fill: %zu bytes static shared, %d max threads, %d regs\n", attr.sharedSizeBytes,
                attr.maxThreadsPerBlock, attr.numRegs);
    if (attr.sharedSizeBytes != 128 * sizeof(int)) errors++;
    if (attr.maxThreadsPerBlock < threads) errors++;

    // A host function that is not a kernel is refused.
    cudaError_t e = cudaLaunchKernel((const void *)main, dim3(1), dim3(1), args, 0, stream);
    if (e != cudaErrorInvalidDeviceFunction) {
        std::printf("launching a non-kernel: %s, expected cudaErrorInvalidDeviceFunction\n",
                    cudaGetErrorName(e));
        errors++;
    }
    cudaGetLastError();
    CHECK(cudaStreamDestroy(stream));
    CHECK(cudaFree(d));
    return sample_verdict("launch_api", errors);
}
