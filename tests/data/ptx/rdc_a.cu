// rdc_a.cu: separate compilation, first module: uses a device function and a
// variable defined in rdc_b.cu.
extern __device__ int scale_factor;
__device__ int scale(int x);
static __device__ __noinline__ int helper(int x) { return x + 1; }

__global__ void use_scale(int *out)
{
    out[threadIdx.x] = scale(threadIdx.x) + scale_factor + helper(threadIdx.x);
}
