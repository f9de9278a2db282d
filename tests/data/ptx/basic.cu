// basic.cu: ordinary kernels: shared memory, barriers in loops, local arrays.
__global__ void vec_add(const float *a, const float *b, float *c, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) c[i] = a[i] + b[i];
}

__global__ void block_sum(const int *in, int *out, int n)
{
    __shared__ int buf[256];
    int t = threadIdx.x;
    int i = blockIdx.x * blockDim.x + t;
    buf[t] = i < n ? in[i] : 0;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) buf[t] += buf[t + s];
        __syncthreads();
    }
    if (t == 0) out[blockIdx.x] = buf[0];
}

__global__ void local_array(int *out, int k)
{
    int tmp[16];
    for (int j = 0; j < 16; j++) tmp[j] = j * k + threadIdx.x;
    out[threadIdx.x] = tmp[(k + threadIdx.x) & 15];
}

extern __shared__ float dyn[];
__global__ void dyn_shared(float *out)
{
    dyn[threadIdx.x] = threadIdx.x * 2.0f;
    __syncthreads();
    out[threadIdx.x] = dyn[blockDim.x - 1 - threadIdx.x] + 1.5;
}
