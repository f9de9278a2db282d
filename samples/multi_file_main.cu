// multi_file_main.cu: separate compilation (-rdc=true): the kernel calls a device
// function and reads a __device__ table that live in multi_file_lib.cu.
// sample-sources: multi_file_lib.cu
// sample-modes: rdc
#include "sample_check.h"

extern __device__ float scale_and_offset(float x);
extern __device__ int lookup_table[16];

__global__ void apply(const float *in, float *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        out[i] = scale_and_offset(in[i]) + lookup_table[i & 15];
}

int main()
{
    const int n = 5000;
    float h_in[n], h_out[n];
    for (int i = 0; i < n; i++) h_in[i] = i * 0.5f;
    float *din, *dout;
    CHECK(cudaMalloc(&din, sizeof h_in));
    CHECK(cudaMalloc(&dout, sizeof h_out));
    CHECK(cudaMemcpy(din, h_in, sizeof h_in, cudaMemcpyHostToDevice));
    apply<<<(n + 255) / 256, 256>>>(din, dout, n);
    CHECK(cudaGetLastError());
    CHECK(cudaMemcpy(h_out, dout, sizeof h_out, cudaMemcpyDeviceToHost));
    int errors = 0;
    for (int i = 0; i < n; i++) {
        float ref = h_in[i] * 3.0f - 1.0f + (i & 15) * (i & 15);
        if (!nearly_equal(h_out[i], ref, 1e-6)) errors++;
    }
    CHECK(cudaFree(din));
    CHECK(cudaFree(dout));
    return sample_verdict("multi_file", errors);
}
