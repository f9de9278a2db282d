// textures.cu: texture and surface instruction forms for tests/unit/test_exec.c (the
// inventory's tex forms, tld4, txq/suq, suld/sust in every out-of-range mode, sust.p).
#include <cuda_runtime.h>

// One thread per coordinate: every float-returning geometry.
__global__ void tex_float(cudaTextureObject_t t2, cudaTextureObject_t lin, cudaTextureObject_t lay,
                          cudaTextureObject_t cube, cudaTextureObject_t vol, cudaTextureObject_t t1,
                          const float4 *c, float *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float4 p = c[i];
    float *o = out + i * 10;
    o[0] = tex2D<float>(t2, p.x, p.y);
    o[1] = tex1Dfetch<float>(lin, (int)p.w);
    o[2] = tex2DLayered<float>(lay, p.x, p.y, (int)p.w);
    o[3] = texCubemap<float>(cube, p.x, p.y, p.z);
    o[4] = tex3D<float>(vol, p.x, p.y, p.z);
    o[5] = tex1D<float>(t1, p.x);
    float4 g = tex2Dgather<float4>(t2, p.x, p.y, 0);
    o[6] = g.x;
    o[7] = g.y;
    o[8] = g.z;
    o[9] = g.w;
}

// Integer results: uchar4 elements of an array and int4 elements of linear memory.
__global__ void tex_int(cudaTextureObject_t tu, cudaTextureObject_t ti, const float2 *c, unsigned *out,
                        int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    uchar4 u = tex2D<uchar4>(tu, c[i].x, c[i].y);
    int4 v = tex1Dfetch<int4>(ti, i - 1);
    out[i * 2] = u.x | u.y << 8 | u.z << 16 | (unsigned)u.w << 24;
    out[i * 2 + 1] = (unsigned)(v.x + v.y * 3 + v.z * 5 + v.w * 7);
}

// Surface writes (trap), reads (clamp, zero) and queries.
__global__ void surf_ops(cudaSurfaceObject_t s, cudaTextureObject_t t, int *out, int w, int h)
{
    int x = threadIdx.x, y = blockIdx.x;
    if (x < w && y < h)
        surf2Dwrite(x * 16 + y, s, x * 4, y);
    __syncthreads();
    int i = y * blockDim.x + x;
    out[i * 3] = surf2Dread<int>(s, (x - 1) * 4, y - 1, cudaBoundaryModeClamp);
    out[i * 3 + 1] = surf2Dread<int>(s, (x - 1) * 4, y - 1, cudaBoundaryModeZero);
    surf2Dwrite(-7, s, (x + w) * 4, y, cudaBoundaryModeZero); // never lands
    unsigned sw, th, tn;
    asm("suq.width.b32 %0, [%1];" : "=r"(sw) : "l"(s));
    asm("txq.height.b32 %0, [%1];" : "=r"(th) : "l"(t));
    asm("txq.normalized_coords.b32 %0, [%1];" : "=r"(tn) : "l"(t));
    out[i * 3 + 2] = (int)(sw * 10000 + th * 10 + tn);
}

// A formatted store: float data into an 8-bit unsigned normalized surface.
__global__ void surf_formatted(cudaSurfaceObject_t s, float a, float b)
{
    int x = threadIdx.x, y = 0;
    float r = a * x, g = b;
    asm volatile("sust.p.2d.v4.f32.trap [%0, {%1, %2}], {%3, %4, %5, %6};"
                 :: "l"(s), "r"(x), "r"(y), "f"(r), "f"(g), "f"(0.25f), "f"(1.5f));
}

// An out-of-range access in trap mode faults.
__global__ void surf_trap(cudaSurfaceObject_t s, int x)
{
    surf2Dwrite(1, s, x * 4, 0);
}
