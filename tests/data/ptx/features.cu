// features.cu: constant memory with initialisers, structs by value, printf, atomics,
// warp shuffles and votes, function pointers, globals holding addresses.
#include <cstdio>

struct S { float f; double d; char c; };

__constant__ float coeffs[4] = {1.0f, 2.5f, -3.0f, 0.125f};
__constant__ int table[3][2] = {{1, 2}, {3, 4}, {5, 6}};
__device__ int counter;
__device__ int target_var = 7;
__device__ int *ptr_to_var = &target_var;
__device__ char message[] = "hi";

__global__ void by_value(S s, float *p, char c, short h, double d)
{
    p[threadIdx.x] = s.f + (float)s.d + s.c + c + h + (float)d + coeffs[threadIdx.x & 3]
                     + table[threadIdx.x % 3][1];
}

__global__ void say_hello(int x, double y)
{
    printf("thread %d x=%d y=%f %s\n", threadIdx.x, x, y, message);
}

__global__ void atomics(int *a, unsigned long long *b, float *f)
{
    atomicAdd(a, 1);
    atomicMax(a + 1, threadIdx.x);
    atomicCAS(b, 0ull, 5ull);
    atomicAdd(f, 1.0f);
    atomicExch(&counter, *ptr_to_var);
}

__global__ void warp_ops(int *out)
{
    int v = threadIdx.x;
    v += __shfl_down_sync(0xffffffff, v, 16);
    v += __shfl_xor_sync(0xffffffff, v, 1);
    unsigned b = __ballot_sync(0xffffffff, v & 1);
    int all = __all_sync(0xffffffff, v > 0);
    __syncwarp();
    out[threadIdx.x] = v + b + all + __popc(b) + __clz(v);
}

typedef int (*binop)(int, int);
__device__ __noinline__ int add_op(int a, int b) { return a + b; }
__device__ __noinline__ int mul_op(int a, int b) { return a * b; }
__device__ binop ops[2] = {add_op, mul_op};

__global__ void fnptr(int *out, int which)
{
    binop f = ops[which & 1];
    out[threadIdx.x] = f(threadIdx.x, 3);
}

__global__ void asserting(int *p)
{
    assert(p[threadIdx.x] >= 0);
    if (p[0] < 0) __trap();
}
