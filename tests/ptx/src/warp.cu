// Warp collectives: shuffles, votes, match, activemask, tiled reductions.
__global__ void warp_reduce(const int *in, int *out)
{
    int v = in[blockIdx.x * blockDim.x + threadIdx.x];
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_down_sync(0xffffffffu, v, o);
    if ((threadIdx.x & 31) == 0)
        out[(blockIdx.x * blockDim.x + threadIdx.x) / 32] = v;
}
__global__ void warp_ops(const int *in, int *out)
{
    int t = threadIdx.x;
    int v = in[t];
    int *o = out + t * 8;
    o[0] = __shfl_up_sync(0xffffffffu, v, 3);
    o[1] = __shfl_xor_sync(0xffffffffu, v, 5);
    o[2] = __shfl_sync(0xffffffffu, v, (t * 7) & 31);
    o[3] = __ballot_sync(0xffffffffu, v & 1);
    o[4] = __all_sync(0xffffffffu, v > 0) | (__any_sync(0xffffffffu, v > 90) << 1);
    o[5] = __match_any_sync(0xffffffffu, v % 3);
    o[6] = __shfl_down_sync(0xffffffffu, v, 2, 8);  /* width 8 segments */
    unsigned m = 0;
    if (t & 1)
        m = __activemask();
    o[7] = m;
}
/* A partial warp (blockDim 40) reducing in tiles of 8 with __syncwarp. */
__global__ void tiled(const int *in, int *out)
{
    int t = threadIdx.x;
    int v = in[t];
    unsigned mask = __ballot_sync(0xffffffffu, 1);
    for (int o = 4; o > 0; o >>= 1)
        v += __shfl_xor_sync(mask, v, o, 8);
    __syncwarp(mask);
    out[t] = v;
}
