// bench.cu: the CUDA version of every benchmark workload, written as one would for a GPU
// and run unmodified under `cushim run --backend cpu`. Kernel time comes from CUDA events
// around the launches; a warm-up run first (its time reported apart) takes the kernel
// translation and compilation out of the measured repetitions.
// Usage: bench_cuda WORKLOAD [--quick] [--repeat N]; prints the bench_common.h protocol.
#include "../common/bench_common.h"

#include <cuda_runtime.h>

#define CUDA_OK(call)                                                                      \
    do {                                                                                   \
        cudaError_t err_ = (call);                                                         \
        if (err_ != cudaSuccess) {                                                         \
            printf("error: %s: %s (%s)\n", #call, cudaGetErrorName(err_),            \
                        cudaGetErrorString(err_));                                         \
            exit(BENCH_EXIT_ERROR);                                                   \
        }                                                                                  \
    } while (0)

static void *device_alloc(size_t bytes)
{
    void *p = nullptr;
    CUDA_OK(cudaMalloc(&p, bytes));
    return p;
}

// Host wall-clock time of the last event_ms run, up to the event synchronisation: a
// cross-check of the event timing, printed as wall_ms.
static double last_wall_ms;

// Events bracket one run of the workload; the kernel errors a launch leaves behind
// surface at the event synchronisation.
template <typename Run> static float event_ms(Run run)
{
    cudaEvent_t start, stop;
    CUDA_OK(cudaEventCreate(&start));
    CUDA_OK(cudaEventCreate(&stop));
    const double wall_start = bench_now_ms();
    CUDA_OK(cudaEventRecord(start));
    run();
    CUDA_OK(cudaGetLastError());
    CUDA_OK(cudaEventRecord(stop));
    CUDA_OK(cudaEventSynchronize(stop));
    last_wall_ms = bench_now_ms() - wall_start;
    float ms = 0.0f;
    CUDA_OK(cudaEventElapsedTime(&ms, start, stop));
    CUDA_OK(cudaEventDestroy(start));
    CUDA_OK(cudaEventDestroy(stop));
    return ms;
}

// The warm-up run, then `repeat` timed runs; `reset` restores inputs a run overwrites
// and stays outside the timed region.
template <typename Reset, typename Run>
static void timed_runs(int repeat, Reset reset, Run run)
{
    for (int r = -1; r < repeat; r++) {
        reset();
        bench_print_time(r < 0 ? "first_ms" : "rep_ms", event_ms(run));
        bench_print_time("wall_ms", last_wall_ms);
    }
}

static void no_reset() {}

// ---------------------------------------------------------------- saxpy
__global__ void saxpy_kernel(int n, float a, const float *x, float *y)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = a * x[i] + y[i];
}

static int bench_saxpy(const bench_options &opt)
{
    const int n = (int)bench_size(BENCH_SAXPY, opt.quick);
    const size_t bytes = n * sizeof(float);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "n=%d", n);
    bench_print_header(BENCH_SAXPY, size);
    float *x = (float *)bench_alloc(bytes), *y0 = (float *)bench_alloc(bytes),
          *y = (float *)bench_alloc(bytes);
    bench_fill_uniform(x, n, -1.0f, 1.0f, 1);
    bench_fill_uniform(y0, n, -1.0f, 1.0f, 2);
    float *dx = (float *)device_alloc(bytes), *dy = (float *)device_alloc(bytes);
    CUDA_OK(cudaMemcpy(dx, x, bytes, cudaMemcpyHostToDevice));
    timed_runs(
        opt.repeat, [&] { CUDA_OK(cudaMemcpy(dy, y0, bytes, cudaMemcpyHostToDevice)); },
        [&] { saxpy_kernel<<<(n + 255) / 256, 256>>>(n, BENCH_SAXPY_A, dx, dy); });
    CUDA_OK(cudaMemcpy(y, dy, bytes, cudaMemcpyDeviceToHost));
    return bench_verdict(bench_check_saxpy(x, y0, y, n, first), first);
}

// ---------------------------------------------------------------- sgemm
#define SGEMM_TILE 16

// Each block computes one TILE x TILE tile of C, staging tiles of A and B in shared memory.
__global__ void sgemm_tiled(int n, const float *a, const float *b, float *c)
{
    __shared__ float a_tile[SGEMM_TILE][SGEMM_TILE];
    __shared__ float b_tile[SGEMM_TILE][SGEMM_TILE];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int row = blockIdx.y * SGEMM_TILE + ty, col = blockIdx.x * SGEMM_TILE + tx;
    float acc = 0.0f;
    for (int t = 0; t < n; t += SGEMM_TILE) {
        a_tile[ty][tx] = (row < n && t + tx < n) ? a[row * n + t + tx] : 0.0f;
        b_tile[ty][tx] = (t + ty < n && col < n) ? b[(t + ty) * n + col] : 0.0f;
        __syncthreads();
        for (int k = 0; k < SGEMM_TILE; k++)
            acc += a_tile[ty][k] * b_tile[k][tx];
        __syncthreads();
    }
    if (row < n && col < n)
        c[row * n + col] = acc;
}

static int bench_sgemm(const bench_options &opt)
{
    const int n = (int)bench_size(BENCH_SGEMM, opt.quick);
    const size_t bytes = (size_t)n * n * sizeof(float);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "%dx%d", n, n);
    bench_print_header(BENCH_SGEMM, size);
    float *a = (float *)bench_alloc(bytes), *b = (float *)bench_alloc(bytes),
          *c = (float *)bench_alloc(bytes);
    bench_fill_uniform(a, (long)n * n, -1.0f, 1.0f, 3);
    bench_fill_uniform(b, (long)n * n, -1.0f, 1.0f, 4);
    float *da = (float *)device_alloc(bytes), *db = (float *)device_alloc(bytes),
          *dc = (float *)device_alloc(bytes);
    CUDA_OK(cudaMemcpy(da, a, bytes, cudaMemcpyHostToDevice));
    CUDA_OK(cudaMemcpy(db, b, bytes, cudaMemcpyHostToDevice));
    const dim3 block(SGEMM_TILE, SGEMM_TILE);
    const dim3 grid((n + SGEMM_TILE - 1) / SGEMM_TILE, (n + SGEMM_TILE - 1) / SGEMM_TILE);
    timed_runs(opt.repeat, no_reset, [&] { sgemm_tiled<<<grid, block>>>(n, da, db, dc); });
    CUDA_OK(cudaMemcpy(c, dc, bytes, cudaMemcpyDeviceToHost));
    return bench_verdict(bench_check_sgemm(a, b, c, n, first), first);
}

// ---------------------------------------------------------------- reduce
#define REDUCE_THREADS 256
#define REDUCE_BLOCKS 1024

__device__ __forceinline__ float warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_down_sync(0xffffffffu, v, offset);
    return v;
}

// Grid-stride partial sums, reduced within each warp by shuffles and across the
// block's warps through shared memory; one partial per block.
__global__ void reduce_sum(const float *in, float *partial, int n)
{
    __shared__ float warp_totals[REDUCE_THREADS / 32];
    float v = 0.0f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        v += in[i];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_sum(v);
    if (lane == 0)
        warp_totals[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (int)(blockDim.x / 32) ? warp_totals[lane] : 0.0f;
        v = warp_sum(v);
        if (lane == 0)
            partial[blockIdx.x] = v;
    }
}

static int bench_reduce(const bench_options &opt)
{
    const int n = (int)bench_size(BENCH_REDUCE, opt.quick);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "n=%d", n);
    bench_print_header(BENCH_REDUCE, size);
    float *in = (float *)bench_alloc(n * sizeof(float));
    bench_fill_reduce_input(in, n, 5);
    float *din = (float *)device_alloc(n * sizeof(float));
    float *dpartial = (float *)device_alloc(REDUCE_BLOCKS * sizeof(float));
    float *dsum = (float *)device_alloc(sizeof(float));
    CUDA_OK(cudaMemcpy(din, in, n * sizeof(float), cudaMemcpyHostToDevice));
    timed_runs(opt.repeat, no_reset, [&] {
        reduce_sum<<<REDUCE_BLOCKS, REDUCE_THREADS>>>(din, dpartial, n);
        reduce_sum<<<1, REDUCE_THREADS>>>(dpartial, dsum, REDUCE_BLOCKS);
    });
    float sum = 0.0f;
    CUDA_OK(cudaMemcpy(&sum, dsum, sizeof(float), cudaMemcpyDeviceToHost));
    return bench_verdict(bench_check_reduce(in, n, sum, first), first);
}

// ---------------------------------------------------------------- stencil
__global__ void stencil5(int n, const float *in, float *out)
{
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x < 1 || y < 1 || x >= n - 1 || y >= n - 1)
        return;
    out[y * n + x] =
        0.25f * (in[(y - 1) * n + x] + in[(y + 1) * n + x] + in[y * n + x - 1] + in[y * n + x + 1]);
}

static int bench_stencil(const bench_options &opt)
{
    const int n = (int)bench_size(BENCH_STENCIL, opt.quick);
    const size_t bytes = (size_t)n * n * sizeof(float);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "%dx%d,%d-iterations", n, n, BENCH_STENCIL_ITERATIONS);
    bench_print_header(BENCH_STENCIL, size);
    float *initial = (float *)bench_alloc(bytes), *result = (float *)bench_alloc(bytes);
    bench_fill_uniform(initial, (long)n * n, 0.0f, 1.0f, 6);
    float *da = (float *)device_alloc(bytes), *db = (float *)device_alloc(bytes);
    const dim3 block(16, 16), grid((n + 15) / 16, (n + 15) / 16);
    float *final_grid = da;
    timed_runs(
        opt.repeat,
        [&] {
            CUDA_OK(cudaMemcpy(da, initial, bytes, cudaMemcpyHostToDevice));
            CUDA_OK(cudaMemcpy(db, initial, bytes, cudaMemcpyHostToDevice));
        },
        [&] {
            float *src = da, *dst = db;
            for (int it = 0; it < BENCH_STENCIL_ITERATIONS; it++) {
                stencil5<<<grid, block>>>(n, src, dst);
                float *t = src;
                src = dst;
                dst = t;
            }
            final_grid = src;
        });
    CUDA_OK(cudaMemcpy(result, final_grid, bytes, cudaMemcpyDeviceToHost));
    return bench_verdict(
        bench_check_stencil(initial, result, n, BENCH_STENCIL_ITERATIONS, first), first);
}

// ---------------------------------------------------------------- histogram
#define HISTOGRAM_BLOCKS 256
#define HISTOGRAM_THREADS 256

// Per-block counts with shared-memory atomics, then one global atomic per bin and block.
__global__ void histogram256(const unsigned char *data, int n, unsigned *bins)
{
    __shared__ unsigned local[256];
    for (int b = threadIdx.x; b < 256; b += blockDim.x)
        local[b] = 0;
    __syncthreads();
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        atomicAdd(&local[data[i]], 1u);
    __syncthreads();
    for (int b = threadIdx.x; b < 256; b += blockDim.x)
        if (local[b])
            atomicAdd(&bins[b], local[b]);
}

static int bench_histogram(const bench_options &opt)
{
    const int n = (int)bench_size(BENCH_HISTOGRAM, opt.quick);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "n=%d,256-bins", n);
    bench_print_header(BENCH_HISTOGRAM, size);
    unsigned char *data = (unsigned char *)bench_alloc(n);
    bench_fill_bytes(data, n, 7);
    unsigned char *ddata = (unsigned char *)device_alloc(n);
    unsigned *dbins = (unsigned *)device_alloc(256 * sizeof(unsigned));
    CUDA_OK(cudaMemcpy(ddata, data, n, cudaMemcpyHostToDevice));
    timed_runs(
        opt.repeat, [&] { CUDA_OK(cudaMemset(dbins, 0, 256 * sizeof(unsigned))); },
        [&] { histogram256<<<HISTOGRAM_BLOCKS, HISTOGRAM_THREADS>>>(ddata, n, dbins); });
    unsigned bins[256];
    CUDA_OK(cudaMemcpy(bins, dbins, sizeof bins, cudaMemcpyDeviceToHost));
    return bench_verdict(bench_check_histogram(data, n, bins, first), first);
}

// ---------------------------------------------------------------- nbody
#define NBODY_THREADS 256

// All-pairs forces, the positions streamed through shared memory one block-sized tile
// at a time. Launched with NBODY_THREADS threads per block.
__global__ void nbody_step(int n, const float4 *pos, const float4 *vel, float4 *new_pos,
                           float4 *new_vel, float dt, float softening2)
{
    __shared__ float4 tile[NBODY_THREADS];
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    const float4 p = i < n ? pos[i] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    float ax = 0.0f, ay = 0.0f, az = 0.0f;
    for (int base = 0; base < n; base += NBODY_THREADS) {
        const int j = base + threadIdx.x;
        tile[threadIdx.x] = j < n ? pos[j] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        __syncthreads();
        for (int k = 0; k < NBODY_THREADS; k++) {
            const float4 q = tile[k];
            const float dx = q.x - p.x, dy = q.y - p.y, dz = q.z - p.z;
            const float inv = rsqrtf(dx * dx + dy * dy + dz * dz + softening2);
            const float s = q.w * inv * inv * inv;
            ax += dx * s;
            ay += dy * s;
            az += dz * s;
        }
        __syncthreads();
    }
    if (i < n) {
        float4 v = vel[i];
        v.x += ax * dt;
        v.y += ay * dt;
        v.z += az * dt;
        new_vel[i] = v;
        new_pos[i] = make_float4(p.x + v.x * dt, p.y + v.y * dt, p.z + v.z * dt, p.w);
    }
}

static int bench_nbody(const bench_options &opt)
{
    const int n = (int)bench_size(BENCH_NBODY, opt.quick);
    const size_t bytes = (size_t)n * sizeof(float4);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "bodies=%d", n);
    bench_print_header(BENCH_NBODY, size);
    float *pos = (float *)bench_alloc(bytes), *vel = (float *)bench_alloc(bytes);
    float *new_pos = (float *)bench_alloc(bytes), *new_vel = (float *)bench_alloc(bytes);
    bench_fill_bodies(pos, vel, n);
    float4 *dpos = (float4 *)device_alloc(bytes), *dvel = (float4 *)device_alloc(bytes);
    float4 *dnew_pos = (float4 *)device_alloc(bytes), *dnew_vel = (float4 *)device_alloc(bytes);
    CUDA_OK(cudaMemcpy(dpos, pos, bytes, cudaMemcpyHostToDevice));
    CUDA_OK(cudaMemcpy(dvel, vel, bytes, cudaMemcpyHostToDevice));
    timed_runs(opt.repeat, no_reset, [&] {
        nbody_step<<<(n + NBODY_THREADS - 1) / NBODY_THREADS, NBODY_THREADS>>>(
            n, dpos, dvel, dnew_pos, dnew_vel, BENCH_NBODY_DT, BENCH_NBODY_SOFTENING2);
    });
    CUDA_OK(cudaMemcpy(new_pos, dnew_pos, bytes, cudaMemcpyDeviceToHost));
    CUDA_OK(cudaMemcpy(new_vel, dnew_vel, bytes, cudaMemcpyDeviceToHost));
    return bench_verdict(bench_check_nbody(pos, vel, new_pos, new_vel, n, first), first);
}

// ---------------------------------------------------------------- launch
__global__ void empty_kernel() {}

// Launch overhead: an empty kernel and a synchronize, reported per launch. The first
// launch alone is the warm-up; the repetitions are batches of launches.
static int bench_launch(const bench_options &opt)
{
    const long launches = bench_size(BENCH_LAUNCH, opt.quick);
    char size[64];
    snprintf(size, sizeof size, "launches=%ld", launches);
    bench_print_header(BENCH_LAUNCH, size);
    for (int r = -1; r < opt.repeat; r++) {
        const long count = r < 0 ? 1 : launches;
        float ms = event_ms([&] {
            for (long l = 0; l < count; l++) {
                empty_kernel<<<1, 1>>>();
                CUDA_OK(cudaDeviceSynchronize());
            }
        });
        bench_print_time(r < 0 ? "first_ms" : "rep_ms", ms / count);
        bench_print_time("wall_ms", last_wall_ms / count);
    }
    return bench_verdict(0, "");
}

int main(int argc, char **argv)
{
    bench_options opt = bench_parse_args(argc, argv);
    switch (opt.workload) {
    case BENCH_SAXPY: return bench_saxpy(opt);
    case BENCH_SGEMM: return bench_sgemm(opt);
    case BENCH_REDUCE: return bench_reduce(opt);
    case BENCH_STENCIL: return bench_stencil(opt);
    case BENCH_HISTOGRAM: return bench_histogram(opt);
    case BENCH_NBODY: return bench_nbody(opt);
    case BENCH_LAUNCH: return bench_launch(opt);
    }
    return BENCH_EXIT_ERROR;
}
