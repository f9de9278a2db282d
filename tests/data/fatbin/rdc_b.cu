// rdc_b.cu: the other half of the -rdc=true test program (see rdc_a.cu).
#include <cstdio>

__device__ float helper_scale(float v) { return v * 3.0f; }

__global__ void rdc_side_kernel(float *x) { x[threadIdx.x] = helper_scale(1.0f); }

int launch_main(float *d, int n);

int main()
{
    float *d;
    cudaMalloc(&d, 16 * sizeof(float));
    launch_main(d, 4);
    rdc_side_kernel<<<1, 4>>>(d);
    cudaDeviceSynchronize();
    printf("ok\n");
    return 0;
}
