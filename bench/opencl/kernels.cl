/* kernels.cl: the OpenCL C kernels of the benchmark suite, the same algorithms as
 * bench/cuda/bench.cu written the OpenCL way (local memory, barriers, local atomics). */

__kernel void saxpy(int n, float a, __global const float *x, __global float *y)
{
    int i = get_global_id(0);
    if (i < n)
        y[i] = a * x[i] + y[i];
}

#define SGEMM_TILE 16

__kernel __attribute__((reqd_work_group_size(SGEMM_TILE, SGEMM_TILE, 1)))
void sgemm_tiled(int n, __global const float *a, __global const float *b, __global float *c)
{
    __local float a_tile[SGEMM_TILE][SGEMM_TILE];
    __local float b_tile[SGEMM_TILE][SGEMM_TILE];
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int row = get_group_id(1) * SGEMM_TILE + ty, col = get_group_id(0) * SGEMM_TILE + tx;
    float acc = 0.0f;
    for (int t = 0; t < n; t += SGEMM_TILE) {
        a_tile[ty][tx] = (row < n && t + tx < n) ? a[row * n + t + tx] : 0.0f;
        b_tile[ty][tx] = (t + ty < n && col < n) ? b[(t + ty) * n + col] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < SGEMM_TILE; k++)
            acc += a_tile[ty][k] * b_tile[k][tx];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (row < n && col < n)
        c[row * n + col] = acc;
}

#define REDUCE_THREADS 256

/* Grid-stride partial sums, then a tree in local memory; one partial per work-group. */
__kernel __attribute__((reqd_work_group_size(REDUCE_THREADS, 1, 1)))
void reduce_sum(__global const float *in, __global float *partial, int n)
{
    __local float scratch[REDUCE_THREADS];
    const int lid = get_local_id(0);
    float v = 0.0f;
    for (int i = get_global_id(0); i < n; i += get_global_size(0))
        v += in[i];
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = REDUCE_THREADS / 2; stride > 0; stride >>= 1) {
        if (lid < stride)
            scratch[lid] += scratch[lid + stride];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0)
        partial[get_group_id(0)] = scratch[0];
}

__kernel void stencil5(int n, __global const float *in, __global float *out)
{
    const int x = get_global_id(0), y = get_global_id(1);
    if (x < 1 || y < 1 || x >= n - 1 || y >= n - 1)
        return;
    out[y * n + x] =
        0.25f * (in[(y - 1) * n + x] + in[(y + 1) * n + x] + in[y * n + x - 1] + in[y * n + x + 1]);
}

/* Per-work-group counts with local atomics, then one global atomic per bin and group. */
__kernel void histogram256(__global const uchar *data, int n, __global uint *bins)
{
    __local uint local_bins[256];
    const int lid = get_local_id(0), lsize = get_local_size(0);
    for (int b = lid; b < 256; b += lsize)
        local_bins[b] = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int i = get_global_id(0); i < n; i += get_global_size(0))
        atomic_inc(&local_bins[data[i]]);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int b = lid; b < 256; b += lsize)
        if (local_bins[b])
            atomic_add(&bins[b], local_bins[b]);
}

#define NBODY_THREADS 256

__kernel __attribute__((reqd_work_group_size(NBODY_THREADS, 1, 1)))
void nbody_step(int n, __global const float4 *pos, __global const float4 *vel,
                __global float4 *new_pos, __global float4 *new_vel, float dt, float softening2)
{
    __local float4 tile[NBODY_THREADS];
    const int i = get_global_id(0), lid = get_local_id(0);
    const float4 p = i < n ? pos[i] : (float4)(0.0f);
    float ax = 0.0f, ay = 0.0f, az = 0.0f;
    for (int base = 0; base < n; base += NBODY_THREADS) {
        const int j = base + lid;
        tile[lid] = j < n ? pos[j] : (float4)(0.0f);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < NBODY_THREADS; k++) {
            const float4 q = tile[k];
            const float dx = q.x - p.x, dy = q.y - p.y, dz = q.z - p.z;
            const float inv = rsqrt(dx * dx + dy * dy + dz * dz + softening2);
            const float s = q.w * inv * inv * inv;
            ax += dx * s;
            ay += dy * s;
            az += dz * s;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (i < n) {
        float4 v = vel[i];
        v.x += ax * dt;
        v.y += ay * dt;
        v.z += az * dt;
        new_vel[i] = v;
        new_pos[i] = (float4)(p.x + v.x * dt, p.y + v.y * dt, p.z + v.z * dt, p.w);
    }
}

__kernel void empty_kernel(void)
{
}
