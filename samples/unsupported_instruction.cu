// unsupported_instruction.cu: a kernel using a PTX instruction the CPU fallback does not
// execute must fail its launch with an error naming the instruction, the kernel and the
// source line — and the program's other kernels must still run.
// A tensor-core `mma` stands for any unsupported instruction; if it ever becomes
// supported, pick another one here.
// sample-flags: -lineinfo
// sample-expect: PTX instruction `mma.sync.aligned.m16n8k8.row.col.f16.f16.f16.f16
// sample-expect: (unsupported_instruction.cu:16)
// sample-expect: kernel _Z16uses_unsupportedPi
#include "sample_check.h"

__global__ void uses_unsupported(int *out)
{
    unsigned d0, d1, a = threadIdx.x, c = 0;
    // clang-format off
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f16.f16.f16.f16 {%0,%1}, {%2,%3}, {%4}, {%5,%6};" : "=r"(d0), "=r"(d1) : "r"(a), "r"(a), "r"(a), "r"(c), "r"(c));
    // clang-format on
    out[threadIdx.x] = d0 + d1;
}

__global__ void plain(int *out)
{
    out[threadIdx.x] = 2 * threadIdx.x;
}

int main()
{
    int *d = nullptr;
    CHECK(cudaMalloc(&d, 32 * sizeof(int)));
    CHECK(cudaMemset(d, 0, 32 * sizeof(int)));
    uses_unsupported<<<1, 32>>>(d);
    cudaError_t launch = cudaGetLastError();
    cudaError_t sync = cudaDeviceSynchronize();
    int errors = 0;
    if (launch == cudaSuccess && sync == cudaSuccess) {
        std::printf("a kernel with an unsupported instruction ran\n");
        errors++;
    }
    std::printf("launch: %s, synchronize: %s\n", cudaGetErrorName(launch), cudaGetErrorName(sync));
    int h[32];
    CHECK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
    for (int i = 0; i < 32; i++)
        if (h[i] != 0) errors++;  // nothing of the failed kernel may have run
    plain<<<1, 32>>>(d);
    CHECK(cudaGetLastError());
    CHECK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
    for (int i = 0; i < 32; i++)
        if (h[i] != 2 * i) errors++;
    CHECK(cudaFree(d));
    return sample_verdict("unsupported_instruction", errors);
}
