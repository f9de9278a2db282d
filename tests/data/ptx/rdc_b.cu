// rdc_b.cu: separate compilation, second module: defines scale() and scale_factor,
// and a static helper with the same name as one in rdc_a.cu.
__device__ int scale_factor = 3;
static __device__ __noinline__ int helper(int x) { return x * 2; }
__device__ __noinline__ int scale(int x) { return helper(x) * scale_factor; }
