#include <cstdio>
// Device function calls (recursion, local arrays) and printf.
__device__ __noinline__ int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
__device__ __noinline__ float sum_local(float a, int k)
{
    float loc[16];
    for (int i = 0; i < 16; i++)
        loc[i] = a * i;
    return loc[k & 15] + loc[(k + 3) & 15];
}
__device__ int table[4] = { 10, 20, 30, 40 };
__constant__ float scale = 2.5f;
__global__ void calls(int *out, float *fo, int n)
{
    int t = threadIdx.x;
    int arr[8];
    for (int i = 0; i < 8; i++)
        arr[i] = t * i + table[i & 3];
    out[t] = fib(t % 12) + arr[(t + n) & 7];
    fo[t] = sum_local((float)t, t) * scale;
    if (t < 2)
        printf("t=%d f=%.2f s=%s c=%c x=%x ll=%lld\n", t, 1.5f * t, "str", 'A' + t, 255 + t, -5000000000LL);
}
