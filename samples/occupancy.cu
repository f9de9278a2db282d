// occupancy.cu: the occupancy API as programs use it: the header-only
// cudaOccupancyMaxPotentialBlockSize (built on cudaFuncGetAttributes,
// cudaDeviceGetAttribute and the occupancy functions) suggests a block size that is
// consistent with the kernel's attributes and the device's limits, and a launch with it
// works; blocks per SM respect threads, blocks and shared memory per SM; dynamic shared
// memory per block; cluster queries refused on a device without clusters.
// sample-known-gap: static NVIDIA's runtime inside the binary dereferences the NULL launch config given to cudaOccupancyMaxActiveClusters before reaching the driver (docs/static-binaries.md)
#include "sample_check.h"

__global__ void scale(float *x, float a, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= a;
}

// 8 KiB of static shared memory: a block's share of the SM's shared memory.
__global__ void tile_sum(const float *in, float *out, int n)
{
    __shared__ float tile[2048];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    tile[threadIdx.x % 2048] = i < n ? in[i] : 0.0f;
    __syncthreads();
    if (i < n) out[i] = tile[threadIdx.x % 2048] + 1.0f;
}

// At most 128 threads per block (compile-time launch bounds).
__global__ void __launch_bounds__(128) bounded(int *out)
{
    out[blockIdx.x * blockDim.x + threadIdx.x] = (int)threadIdx.x;
}

// Dynamic shared memory sized by the block.
__global__ void dyn_reverse(int *data)
{
    extern __shared__ int buf[];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    buf[threadIdx.x] = data[i];
    __syncthreads();
    data[i] = buf[blockDim.x - 1 - threadIdx.x];
}

// Dynamic shared memory as a function of the block size: one int per thread.
struct IntPerThread {
    __host__ __device__ size_t operator()(int block) const { return (size_t)block * sizeof(int); }
};

struct Device {
    int sms, warp, max_threads_sm, max_blocks_sm, max_threads_block;
    size_t smem_sm;
};

static int errors = 0;
#define EXPECT(cond, ...)                                                                    \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            std::printf("line %d: %s: ", __LINE__, #cond);                                   \
            std::printf(__VA_ARGS__);                                                        \
            std::printf("\n");                                                               \
            errors++;                                                                        \
        }                                                                                    \
    } while (0)

// Blocks per SM must fit every per-SM limit the device reports, and be the most that
// fits: one more block would break one of them (for kernels whose limits are threads,
// blocks and shared memory).
static void check_blocks(const char *name, const Device &d, int block, size_t smem_per_block,
                         int blocks)
{
    int warps = (block + d.warp - 1) / d.warp;
    EXPECT(blocks >= 1, "%s: block %d: no block fits", name, block);
    EXPECT(blocks * warps * d.warp <= d.max_threads_sm, "%s: %d blocks exceed threads per SM",
           name, blocks);
    EXPECT(blocks <= d.max_blocks_sm, "%s: %d blocks exceed blocks per SM", name, blocks);
    EXPECT(blocks * smem_per_block <= d.smem_sm, "%s: %d blocks exceed shared memory per SM",
           name, blocks);
    int more = blocks + 1;
    EXPECT(more * warps * d.warp > d.max_threads_sm || more > d.max_blocks_sm ||
               more * smem_per_block > d.smem_sm,
           "%s: %d blocks reported but %d fit", name, blocks, more);
}

int main()
{
    Device d;
    CHECK(cudaDeviceGetAttribute(&d.sms, cudaDevAttrMultiProcessorCount, 0));
    CHECK(cudaDeviceGetAttribute(&d.warp, cudaDevAttrWarpSize, 0));
    CHECK(cudaDeviceGetAttribute(&d.max_threads_sm, cudaDevAttrMaxThreadsPerMultiProcessor, 0));
    CHECK(cudaDeviceGetAttribute(&d.max_blocks_sm, cudaDevAttrMaxBlocksPerMultiprocessor, 0));
    CHECK(cudaDeviceGetAttribute(&d.max_threads_block, cudaDevAttrMaxThreadsPerBlock, 0));
    int smem_sm = 0;
    CHECK(cudaDeviceGetAttribute(&smem_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, 0));
    d.smem_sm = (size_t)smem_sm;
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    EXPECT(prop.maxThreadsPerMultiProcessor == d.max_threads_sm &&
               prop.sharedMemPerMultiprocessor == d.smem_sm &&
               prop.maxBlocksPerMultiProcessor == d.max_blocks_sm,
           "properties and attributes disagree");

    // ---- the header-only suggestion, then a launch with it ----
    int min_grid = 0, block = 0;
    CHECK(cudaOccupancyMaxPotentialBlockSize(&min_grid, &block, scale, 0, 0));
    cudaFuncAttributes fa;
    CHECK(cudaFuncGetAttributes(&fa, scale));
    int per_sm = 0;
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, scale, block, 0));
    std::printf("scale: block %d, min grid %d, %d blocks/SM, %d SMs\n", block, min_grid, per_sm,
                d.sms);
    EXPECT(block > 0 && block <= fa.maxThreadsPerBlock && block % d.warp == 0,
           "suggested block %d (kernel max %d)", block, fa.maxThreadsPerBlock);
    EXPECT(min_grid == per_sm * d.sms, "min grid %d != %d blocks/SM x %d SMs", min_grid, per_sm,
           d.sms);
    check_blocks("scale", d, block, 0, per_sm);
    // A kernel with nothing but threads to limit it reaches full occupancy.
    EXPECT(per_sm * block == d.max_threads_sm, "scale: %d x %d threads, SM holds %d", per_sm,
           block, d.max_threads_sm);

    const int n = 1 << 16;
    float *x = nullptr;
    CHECK(cudaMalloc(&x, n * sizeof(float)));
    float *h = new float[n];
    for (int i = 0; i < n; i++) h[i] = (float)i;
    CHECK(cudaMemcpy(x, h, n * sizeof(float), cudaMemcpyHostToDevice));
    int grid = (n + block - 1) / block;
    scale<<<grid, block>>>(x, 2.0f, n);
    CHECK(cudaGetLastError());
    CHECK(cudaMemcpy(h, x, n * sizeof(float), cudaMemcpyDeviceToHost));
    int bad = 0;
    for (int i = 0; i < n; i++) bad += h[i] != 2.0f * (float)i;
    EXPECT(bad == 0, "launch with the suggested block size: %d wrong elements", bad);

    // ---- shared memory limits blocks per SM ----
    CHECK(cudaFuncGetAttributes(&fa, tile_sum));
    EXPECT(fa.sharedSizeBytes == 2048 * sizeof(float), "tile_sum static shared %zu",
           fa.sharedSizeBytes);
    for (int b = d.warp; b <= fa.maxThreadsPerBlock; b *= 2) {
        CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, tile_sum, b, 0));
        check_blocks("tile_sum", d, b, fa.sharedSizeBytes, per_sm);
    }
    // Dynamic shared memory adds to the static part.
    int with_dyn = 0;
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&with_dyn, tile_sum, 64, 32768));
    check_blocks("tile_sum + 32 KiB", d, 64, fa.sharedSizeBytes + 32768, with_dyn);
    CHECK(cudaOccupancyMaxPotentialBlockSize(&min_grid, &block, tile_sum, 0, 0));
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, tile_sum, block, 0));
    EXPECT(min_grid == per_sm * d.sms && block <= fa.maxThreadsPerBlock,
           "tile_sum: block %d min grid %d", block, min_grid);
    float *y = nullptr;
    CHECK(cudaMalloc(&y, n * sizeof(float)));
    tile_sum<<<(n + block - 1) / block, block>>>(x, y, n);
    CHECK(cudaGetLastError());
    CHECK(cudaMemcpy(h, y, n * sizeof(float), cudaMemcpyDeviceToHost));
    bad = 0;
    for (int i = 0; i < n; i++) bad += h[i] != 2.0f * (float)i + 1.0f;
    EXPECT(bad == 0, "tile_sum with block %d: %d wrong elements", block, bad);

    // ---- launch bounds cap the block size ----
    CHECK(cudaFuncGetAttributes(&fa, bounded));
    EXPECT(fa.maxThreadsPerBlock == 128, "bounded: maxThreadsPerBlock %d", fa.maxThreadsPerBlock);
    CHECK(cudaOccupancyMaxPotentialBlockSize(&min_grid, &block, bounded, 0, 0));
    EXPECT(block == 128, "bounded: suggested block %d", block);
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, bounded, 256, 0));
    EXPECT(per_sm == 0, "bounded: %d blocks of 256 threads", per_sm);

    // ---- dynamic shared memory that depends on the block size ----
    int vblock = 0;
    CHECK(cudaOccupancyMaxPotentialBlockSizeVariableSMem(
        &min_grid, &vblock, dyn_reverse, IntPerThread(), 0));
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, dyn_reverse, vblock,
                                                        vblock * sizeof(int)));
    EXPECT(vblock > 0 && min_grid == per_sm * d.sms, "dyn_reverse: block %d min grid %d",
           vblock, min_grid);
    check_blocks("dyn_reverse", d, vblock, vblock * sizeof(int), per_sm);
    int *v = nullptr;
    const int vn = vblock * 4;
    CHECK(cudaMalloc(&v, vn * sizeof(int)));
    int *hv = new int[vn];
    for (int i = 0; i < vn; i++) hv[i] = i;
    CHECK(cudaMemcpy(v, hv, vn * sizeof(int), cudaMemcpyHostToDevice));
    dyn_reverse<<<4, vblock, vblock * sizeof(int)>>>(v);
    CHECK(cudaGetLastError());
    CHECK(cudaMemcpy(hv, v, vn * sizeof(int), cudaMemcpyDeviceToHost));
    bad = 0;
    for (int i = 0; i < vn; i++) bad += hv[i] != (i / vblock) * vblock + vblock - 1 - i % vblock;
    EXPECT(bad == 0, "dyn_reverse with block %d: %d wrong elements", vblock, bad);

    // ---- dynamic shared memory available per block ----
    size_t avail = 0;
    CHECK(cudaOccupancyAvailableDynamicSMemPerBlock(&avail, dyn_reverse, 2, 256));
    CHECK(cudaFuncGetAttributes(&fa, dyn_reverse));
    EXPECT(avail > 0 && avail <= (size_t)fa.maxDynamicSharedSizeBytes,
           "available %zu, kernel max %d", avail, fa.maxDynamicSharedSizeBytes);
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, dyn_reverse, 256, avail));
    EXPECT(per_sm >= 2, "with %zu bytes each only %d blocks fit, expected 2", avail, per_sm);
    // More dynamic memory than a launch may ask for: no block fits.
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, dyn_reverse, 256,
                                                        (size_t)fa.maxDynamicSharedSizeBytes + 1));
    EXPECT(per_sm == 0, "dynamic shared beyond the kernel's limit: %d blocks", per_sm);
    // More blocks than can be resident for other reasons: refused.
    cudaError_t e = cudaOccupancyAvailableDynamicSMemPerBlock(&avail, dyn_reverse,
                                                              d.max_blocks_sm + 1, 32);
    EXPECT(e == cudaErrorInvalidValue, "%d blocks of 32: %s", d.max_blocks_sm + 1,
           cudaGetErrorName(e));
    (void)cudaGetLastError();

    // ---- argument errors ----
    e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, scale, 0, 0);
    EXPECT(e == cudaErrorInvalidValue, "block size 0: %s", cudaGetErrorName(e));
    EXPECT(cudaGetLastError() == cudaErrorInvalidValue, "block size 0: last error not set");
    e = cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(&per_sm, scale, 64, 0, 0x80);
    EXPECT(e == cudaErrorInvalidValue, "bad flags: %s", cudaGetErrorName(e));
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
        &per_sm, scale, 64, 0, cudaOccupancyDisableCachingOverride));
    check_blocks("scale (flags)", d, 64, 0, per_sm);
    e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, (const void *)main, 64, 0);
    EXPECT(e == cudaErrorInvalidDeviceFunction, "host function: %s", cudaGetErrorName(e));
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, scale, d.max_threads_block + 1, 0));
    EXPECT(per_sm == 0, "blocks above the device's block size: %d", per_sm);
    (void)cudaGetLastError();

    // ---- clusters: the device has none ----
    int cluster_launch = -1;
    CHECK(cudaDeviceGetAttribute(&cluster_launch, cudaDevAttrClusterLaunch, 0));
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3(4);
    cfg.blockDim = dim3(64);
    int clusters = -1;
    e = cudaOccupancyMaxPotentialClusterSize(&clusters, (const void *)scale, &cfg);
    EXPECT(cluster_launch == 0 && e == cudaErrorNotSupported && clusters == -1,
           "cluster size query: %s (cluster launch %d)", cudaGetErrorName(e), cluster_launch);
    e = cudaOccupancyMaxActiveClusters(&clusters, (const void *)scale, &cfg);
    EXPECT(e == cudaErrorNotSupported && clusters == -1, "active clusters: %s",
           cudaGetErrorName(e));
    e = cudaOccupancyMaxActiveClusters(&clusters, (const void *)scale, nullptr);
    EXPECT(e == cudaErrorInvalidValue, "active clusters without config: %s", cudaGetErrorName(e));
    (void)cudaGetLastError();

    CHECK(cudaFree(x));
    CHECK(cudaFree(y));
    CHECK(cudaFree(v));
    delete[] h;
    delete[] hv;
    return sample_verdict("occupancy", errors);
}
