// scale.cu: one small kernel; its fatbin, built in several nvcc modes, is the
// test data of tests/unit/test_fatbin.c (see regenerate.sh).
#include <cstdio>

__global__ void scale_kernel(float *x, float a, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        x[i] *= a;
}

int main()
{
    float *d;
    cudaMalloc(&d, 4 * sizeof(float));
    scale_kernel<<<1, 4>>>(d, 2.0f, 4);
    cudaDeviceSynchronize();
    printf("ok\n");
    return 0;
}
