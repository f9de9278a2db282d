// dynamic_shared.cu: extern __shared__ memory sized at launch; each block reverses its
// slice in shared memory, for several block sizes.
#include "sample_check.h"
#include <vector>

__global__ void reverse_blocks(const int *in, int *out, int n)
{
    extern __shared__ int buf[];
    int base = blockIdx.x * blockDim.x;
    int t = threadIdx.x;
    if (base + t < n)
        buf[t] = in[base + t];
    __syncthreads();
    int count = min((int)blockDim.x, n - base);
    if (t < count)
        out[base + t] = buf[count - 1 - t];
}

int main()
{
    const int n = 10000;
    std::vector<int> in(n), out(n);
    for (int i = 0; i < n; i++) in[i] = i * 3 + 1;
    int *din, *dout;
    CHECK(cudaMalloc(&din, n * sizeof(int)));
    CHECK(cudaMalloc(&dout, n * sizeof(int)));
    CHECK(cudaMemcpy(din, in.data(), n * sizeof(int), cudaMemcpyHostToDevice));
    int errors = 0;
    const int sizes[] = {32, 100, 256, 1024};
    for (int threads : sizes) {
        int blocks = (n + threads - 1) / threads;
        reverse_blocks<<<blocks, threads, threads * sizeof(int)>>>(din, dout, n);
        CHECK(cudaGetLastError());
        CHECK(cudaMemcpy(out.data(), dout, n * sizeof(int), cudaMemcpyDeviceToHost));
        for (int b = 0; b < blocks; b++) {
            int base = b * threads, count = std::min(threads, n - base);
            for (int t = 0; t < count; t++)
                if (out[base + t] != in[base + count - 1 - t]) errors++;
        }
    }
    CHECK(cudaFree(din));
    CHECK(cudaFree(dout));
    return sample_verdict("dynamic_shared", errors);
}
