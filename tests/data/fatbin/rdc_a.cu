// rdc_a.cu: with rdc_b.cu, a separately compiled (-rdc=true) program whose kernel
// calls a device function defined in the other file (test data, see regenerate.sh).
extern __device__ float helper_scale(float v);

__global__ void rdc_main_kernel(float *x, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        x[i] = helper_scale(x[i]);
}

int launch_main(float *d, int n)
{
    rdc_main_kernel<<<1, n>>>(d, n);
    return 0;
}
