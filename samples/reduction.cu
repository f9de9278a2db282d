// reduction.cu: tree reduction in shared memory with __syncthreads inside the loop,
// one partial sum per block, then a second launch reduces the partials.
#include "sample_check.h"
#include <vector>

__global__ void reduce_sum(const int *in, int *out, int n)
{
    __shared__ int partial[256];
    unsigned tid = threadIdx.x;
    unsigned i = blockIdx.x * blockDim.x * 2 + threadIdx.x;
    int v = 0;
    if (i < n) v += in[i];
    if (i + blockDim.x < n) v += in[i + blockDim.x];
    partial[tid] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (tid < s)
            partial[tid] += partial[tid + s];
        __syncthreads();
    }
    if (tid == 0)
        out[blockIdx.x] = partial[0];
}

int main()
{
    const int n = 1000003, threads = 256;
    std::vector<int> h(n);
    long long expect = 0;
    for (int i = 0; i < n; i++) {
        h[i] = (i % 19) - 9;
        expect += h[i];
    }
    int blocks = (n + threads * 2 - 1) / (threads * 2);
    int *din, *dpart, *dsum;
    CHECK(cudaMalloc(&din, n * sizeof(int)));
    CHECK(cudaMalloc(&dpart, blocks * sizeof(int)));
    CHECK(cudaMalloc(&dsum, sizeof(int)));
    CHECK(cudaMemcpy(din, h.data(), n * sizeof(int), cudaMemcpyHostToDevice));
    reduce_sum<<<blocks, threads>>>(din, dpart, n);
    CHECK(cudaGetLastError());
    // Reduce the partial sums again, ping-ponging between two buffers (reading and
    // writing one buffer from several blocks would race).
    int remaining = blocks;
    int *src = dpart, *dst = din;
    while (remaining > 1) {
        int b2 = (remaining + threads * 2 - 1) / (threads * 2);
        reduce_sum<<<b2, threads>>>(src, dst, remaining);
        CHECK(cudaGetLastError());
        remaining = b2;
        int *t = src; src = dst; dst = t;
    }
    int got = 0;
    CHECK(cudaMemcpy(&got, src, sizeof(int), cudaMemcpyDeviceToHost));
    std::printf("sum = %d (expected %lld)\n", got, expect);
    CHECK(cudaFree(din));
    CHECK(cudaFree(dpart));
    CHECK(cudaFree(dsum));
    return sample_verdict("reduction", got != expect);
}
