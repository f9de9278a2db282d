// device_printf.cu: printf from device code with CUDA's argument promotion (int, long,
// double, char, string, pointer-sized values); the output is checked by the test.
// sample-expect: block 1 thread 2: i=7 l=-5000000000 f=2.500 c=Z s=hello u=4294967295 x=ff
#include "sample_check.h"

__global__ void say(int i, long long l, float f, char c, unsigned u)
{
    if (blockIdx.x == 1 && threadIdx.x == 2)
        printf("block %d thread %d: i=%d l=%lld f=%.3f c=%c s=%s u=%u x=%x\n", blockIdx.x,
               threadIdx.x, i, l, f, c, "hello", u, 255);
}

int main()
{
    say<<<2, 4>>>(7, -5000000000LL, 2.5f, 'Z', 4294967295u);
    CHECK(cudaGetLastError());
    CHECK(cudaDeviceSynchronize());
    return sample_verdict("device_printf", 0);
}
