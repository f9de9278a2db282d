// Block reduction: bar.sync inside a loop, dynamic shared memory, __syncthreads_count.
__global__ void reduce(const int *in, int *out, int *counts, int n)
{
    extern __shared__ int sdata[];
    unsigned t = threadIdx.x;
    unsigned i = blockIdx.x * blockDim.x + t;
    sdata[t] = i < n ? in[i] : 0;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s)
            sdata[t] += sdata[t + s];
        __syncthreads();
    }
    int c = __syncthreads_count(i < n && (in[i] & 1));
    int any = __syncthreads_or(i < n && in[i] == 7);
    int all = __syncthreads_and(i < n);
    if (t == 0) {
        out[blockIdx.x] = sdata[0];
        counts[blockIdx.x * 3] = c;
        counts[blockIdx.x * 3 + 1] = any;
        counts[blockIdx.x * 3 + 2] = all;
    }
}
// Threads that exit early no longer count for the barrier.
__global__ void early_exit(int *out)
{
    __shared__ int s[64];
    if (threadIdx.x >= 48)
        return;
    s[threadIdx.x] = threadIdx.x;
    __syncthreads();
    out[threadIdx.x] = s[47 - threadIdx.x];
}
