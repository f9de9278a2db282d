// advanced.cu: sm_90 features: half/bf16 math, tensor-core fragments, asynchronous
// copies, thread-block clusters, managed variables, pointers inside initialised structs.
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <mma.h>
#include <cooperative_groups.h>
#include <cuda_pipeline.h>
namespace cg = cooperative_groups;

struct Node { int value; Node *next; };
__device__ Node tail_node = {2, nullptr};
__device__ Node head_node = {1, &tail_node};
__managed__ int managed_total;

__global__ void halves(__half *h, __nv_bfloat16 *b, int n)
{
    int i = threadIdx.x;
    if (i < n) {
        h[i] = __hfma(h[i], __float2half(2.0f), __float2half(0.5f));
        b[i] = __hmul(b[i], __float2bfloat16(3.0f));
    }
}

__global__ void tensor(const __half *a, const __half *b, float *c)
{
    using namespace nvcuda;
    wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
    wmma::fill_fragment(fc, 0.0f);
    wmma::load_matrix_sync(fa, a, 16);
    wmma::load_matrix_sync(fb, b, 16);
    wmma::mma_sync(fc, fa, fb, fc);
    wmma::store_matrix_sync(c, fc, 16, wmma::mem_row_major);
}

__global__ void async_copy(const float *in, float *out)
{
    __shared__ float tile[128];
    __pipeline_memcpy_async(&tile[threadIdx.x], &in[threadIdx.x], sizeof(float));
    __pipeline_commit();
    __pipeline_wait_prior(0);
    __syncthreads();
    out[threadIdx.x] = tile[127 - threadIdx.x] + head_node.next->value;
    atomicAdd(&managed_total, 1);
}

__global__ void __cluster_dims__(2, 1, 1) clustered(int *out)
{
    cg::cluster_group cluster = cg::this_cluster();
    __shared__ int smem;
    smem = cluster.block_rank();
    cluster.sync();
    int *remote = cluster.map_shared_rank(&smem, (cluster.block_rank() + 1) % 2);
    out[blockIdx.x] = *remote;
    cluster.sync();
}

__global__ void __launch_bounds__(128, 4) bounded(double *d, unsigned long long *u)
{
    atomicAdd(d, 1.0);
    unsigned long long t = clock64();
    unsigned lt;
    asm volatile("mov.u32 %0, %%lanemask_lt;" : "=r"(lt));
    u[threadIdx.x] = t + lt + __activemask();
}
