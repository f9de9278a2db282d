// Atomics from many blocks on global and shared memory.
__global__ void atomics(int *ci, float *cf, double *cd, unsigned *cu, int *cm, unsigned long long *c64)
{
    __shared__ int sh;
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (threadIdx.x == 0) sh = 0;
    __syncthreads();
    atomicAdd(&sh, 1);
    atomicAdd(ci, 1);
    atomicAdd(cf, 0.5f);
    atomicAdd(cd, 0.25);
    atomicInc(cu, 9);           /* wraps to 0 after 9 */
    atomicMax(cm, t);
    atomicMin(cm + 1, -t);
    atomicOr(cm + 2, 1 << (t & 31));
    atomicXor(cm + 3, t);
    atomicAdd(c64, (unsigned long long)t << 20);
    int old = atomicCAS(cm + 4, t - 1 < 0 ? 0 : cm[4], t);
    (void)old;
    atomicExch(cm + 5, 42);
    atomicDec(cu + 1, 5);
    __syncthreads();
    if (threadIdx.x == 0) atomicAdd(cm + 6, sh);
}
