// textures.cu: texture object fetches and a surface write.
__global__ void tex_read(cudaTextureObject_t t, float *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = tex1Dfetch<float>(t, i) + tex2D<float>(t, i + 0.5f, 0.5f);
}

__global__ void surf_write(cudaSurfaceObject_t s, int w)
{
    int x = threadIdx.x;
    surf2Dwrite((float)x, s, x * 4, blockIdx.x);
}
