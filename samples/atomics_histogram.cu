// atomics_histogram.cu: a 64-bin histogram built with atomicAdd in shared memory per
// block, merged into global memory with atomicAdd; plus atomicMax/atomicCAS on globals.
#include "sample_check.h"
#include <vector>

__global__ void histogram(const unsigned char *data, int n, unsigned *bins, int *max_seen)
{
    __shared__ unsigned local[64];
    for (int b = threadIdx.x; b < 64; b += blockDim.x) local[b] = 0;
    __syncthreads();
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
        atomicAdd(&local[data[i] & 63], 1u);
        atomicMax(max_seen, (int)data[i]);
    }
    __syncthreads();
    for (int b = threadIdx.x; b < 64; b += blockDim.x) atomicAdd(&bins[b], local[b]);
}

__global__ void cas_counter(int *counter, int rounds)
{
    for (int r = 0; r < rounds; r++) {
        int old = *counter, assumed;
        do {
            assumed = old;
            old = atomicCAS(counter, assumed, assumed + 1);
        } while (old != assumed);
    }
}

int main()
{
    const int n = 1 << 20;
    std::vector<unsigned char> h(n);
    unsigned ref[64] = {0};
    int ref_max = 0;
    for (int i = 0; i < n; i++) {
        h[i] = (unsigned char)((i * 2654435761u) >> 24);
        ref[h[i] & 63]++;
        if (h[i] > ref_max) ref_max = h[i];
    }
    unsigned char *dd;
    unsigned *dbins;
    int *dmax, *dcount;
    CHECK(cudaMalloc(&dd, n));
    CHECK(cudaMalloc(&dbins, 64 * sizeof(unsigned)));
    CHECK(cudaMalloc(&dmax, sizeof(int)));
    CHECK(cudaMalloc(&dcount, sizeof(int)));
    CHECK(cudaMemcpy(dd, h.data(), n, cudaMemcpyHostToDevice));
    CHECK(cudaMemset(dbins, 0, 64 * sizeof(unsigned)));
    CHECK(cudaMemset(dmax, 0, sizeof(int)));
    CHECK(cudaMemset(dcount, 0, sizeof(int)));
    histogram<<<64, 256>>>(dd, n, dbins, dmax);
    CHECK(cudaGetLastError());
    cas_counter<<<16, 64>>>(dcount, 10);
    CHECK(cudaGetLastError());
    unsigned bins[64];
    int got_max = 0, got_count = 0;
    CHECK(cudaMemcpy(bins, dbins, sizeof bins, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(&got_max, dmax, sizeof got_max, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(&got_count, dcount, sizeof got_count, cudaMemcpyDeviceToHost));
    int errors = 0;
    for (int b = 0; b < 64; b++)
        if (bins[b] != ref[b]) errors++;
    if (got_max != ref_max) errors++;
    if (got_count != 16 * 64 * 10) {
        std::printf("CAS counter %d, expected %d\n", got_count, 16 * 64 * 10);
        errors++;
    }
    CHECK(cudaFree(dd));
    CHECK(cudaFree(dbins));
    CHECK(cudaFree(dmax));
    CHECK(cudaFree(dcount));
    return sample_verdict("atomics_histogram", errors);
}
