// managed_memory.cu: unified memory seen by host and device: a __managed__ variable the
// host reads and writes directly, and a cudaMallocManaged array filled on the host,
// updated by a kernel and read back on the host without any copy.
#include "sample_check.h"

__managed__ int launches = 0;
__managed__ float total = 1.5f;

__global__ void scale(float *data, int n, float factor)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        data[i] *= factor;
    if (i == 0) {
        launches += 1;
        total += factor;
    }
}

int main()
{
    const int n = 50000;
    float *data = nullptr;
    CHECK(cudaMallocManaged(&data, n * sizeof(float)));
    for (int i = 0; i < n; i++) data[i] = (float)i;
    int errors = 0;
    if (launches != 0 || total != 1.5f) {
        std::printf("initial managed values: %d %f\n", launches, total);
        errors++;
    }
    launches = 10;  // host writes before the kernel runs
    scale<<<(n + 255) / 256, 256>>>(data, n, 2.0f);
    CHECK(cudaGetLastError());
    CHECK(cudaDeviceSynchronize());
    scale<<<(n + 255) / 256, 256>>>(data, n, 0.5f);
    CHECK(cudaDeviceSynchronize());
    for (int i = 0; i < n; i++)
        if (data[i] != (float)i) errors++;
    if (launches != 12 || total != 4.0f) {
        std::printf("managed values after kernels: %d %f (expected 12 4.0)\n", launches, total);
        errors++;
    }
    cudaPointerAttributes attr;
    CHECK(cudaPointerGetAttributes(&attr, data));
    if (attr.type != cudaMemoryTypeManaged) {
        std::printf("pointer type %d, expected managed\n", (int)attr.type);
        errors++;
    }
    CHECK(cudaFree(data));
    return sample_verdict("managed_memory", errors);
}
