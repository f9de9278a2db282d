// warp_reduce.cu: block sums with __shfl_down_sync inside each warp, warp totals through
// shared memory, then a final warp; plus __ballot_sync and __any_sync on a predicate.
#include "sample_check.h"
#include <vector>

__inline__ __device__ float warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_down_sync(0xffffffffu, v, offset);
    return v;
}

__global__ void block_sums(const float *in, float *out, unsigned *ballots, int n)
{
    __shared__ float warp_totals[32];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    float v = i < n ? in[i] : 0.0f;
    unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    unsigned ballot = __ballot_sync(0xffffffffu, v > 50.0f);
    if (lane == 0) ballots[i >> 5] = ballot;
    v = warp_sum(v);
    if (lane == 0) warp_totals[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (blockDim.x + 31) / 32 ? warp_totals[lane] : 0.0f;
        v = warp_sum(v);
        if (lane == 0) out[blockIdx.x] = v;
    }
}

int main()
{
    const int n = 256 * 40, threads = 256, blocks = n / threads;
    std::vector<float> h(n);
    for (int i = 0; i < n; i++) h[i] = (float)(i % 101);
    float *din, *dout;
    unsigned *dballots;
    CHECK(cudaMalloc(&din, n * sizeof(float)));
    CHECK(cudaMalloc(&dout, blocks * sizeof(float)));
    CHECK(cudaMalloc(&dballots, n / 32 * sizeof(unsigned)));
    CHECK(cudaMemcpy(din, h.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    block_sums<<<blocks, threads>>>(din, dout, dballots, n);
    CHECK(cudaGetLastError());
    std::vector<float> out(blocks);
    std::vector<unsigned> ballots(n / 32);
    CHECK(cudaMemcpy(out.data(), dout, blocks * sizeof(float), cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(ballots.data(), dballots, ballots.size() * sizeof(unsigned), cudaMemcpyDeviceToHost));
    int errors = 0;
    for (int b = 0; b < blocks; b++) {
        double ref = 0;
        for (int t = 0; t < threads; t++) ref += h[b * threads + t];
        if (!nearly_equal(out[b], ref, 1e-6)) errors++;
    }
    for (int w = 0; w < n / 32; w++) {
        unsigned ref = 0;
        for (int l = 0; l < 32; l++)
            if (h[w * 32 + l] > 50.0f) ref |= 1u << l;
        if (ballots[w] != ref) errors++;
    }
    CHECK(cudaFree(din));
    CHECK(cudaFree(dout));
    CHECK(cudaFree(dballots));
    return sample_verdict("warp_reduce", errors);
}
