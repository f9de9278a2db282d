// surfaces.cu: surface objects over CUDA arrays: surf2Dwrite/surf2Dread with byte x
// coordinates, the clamp and zero boundary modes on reads and writes, 1D float4 and 3D
// uchar4 surfaces, a layered surface, and last an out-of-range access in trap mode,
// which fails the kernel (reported at the next synchronising call, then sticky).
// sample-expect: surface access out of range
// sample-flags: -Xcompiler -Wno-deprecated-declarations
// sample-known-gap: static CUDA arrays and surface objects are not implemented in libcuda.so.1 yet
#include <cstring>
#include <vector>

#include "sample_check.h"

static int errors = 0;

static void expect(const char *what, int i, long long got, long long want)
{
    if (got != want) {
        if (errors < 20)
            std::printf("%s[%d]: got %lld, expected %lld\n", what, i, got, want);
        errors++;
    }
}

static const int W = 7, H = 5;

__global__ void fill(cudaSurfaceObject_t s)
{
    int x = threadIdx.x, y = blockIdx.x;
    surf2Dwrite(x * 100 + y, s, x * (int)sizeof(int), y);
}

// Reads at shifted coordinates: clamp and zero mode give different answers outside.
__global__ void shifted_reads(cudaSurfaceObject_t s, int *clamped, int *zeroed)
{
    int x = threadIdx.x - 2, y = blockIdx.x - 1, i = blockIdx.x * blockDim.x + threadIdx.x;
    clamped[i] = surf2Dread<int>(s, x * 4, y, cudaBoundaryModeClamp);
    zeroed[i] = surf2Dread<int>(s, x * 4, y, cudaBoundaryModeZero);
}

__global__ void edge_writes(cudaSurfaceObject_t s)
{
    surf2Dwrite(-1, s, (W + 3) * 4, 1, cudaBoundaryModeZero);   // ignored
    surf2Dwrite(-2, s, -8, 2, cudaBoundaryModeZero);            // ignored
    surf2Dwrite(-3, s, (W + 5) * 4, 3, cudaBoundaryModeClamp);  // lands on (W-1, 3)
}

__global__ void vec_surfaces(cudaSurfaceObject_t s1, cudaSurfaceObject_t s3, cudaSurfaceObject_t sl)
{
    int i = threadIdx.x;
    float4 v = surf1Dread<float4>(s1, i * 16);
    surf1Dwrite(make_float4(v.w, v.z, v.y, v.x + 1.0f), s1, i * 16);
    surf3Dwrite(make_uchar4(i, 2 * i, 3 * i, 255), s3, i * 4, i % 2, i % 3);
    int l = surf2DLayeredread<int>(sl, 4, 1, 1);
    surf2DLayeredwrite(l + i, sl, i * 4, 0, 0);
}

__global__ void out_of_range(cudaSurfaceObject_t s)
{
    surf2Dwrite(1, s, W * 4, 0); // one element past the row: trap
}

static cudaSurfaceObject_t make_surface(cudaArray_t a)
{
    cudaResourceDesc rd;
    std::memset(&rd, 0, sizeof rd);
    rd.resType = cudaResourceTypeArray;
    rd.res.array.array = a;
    cudaSurfaceObject_t s = 0;
    CHECK(cudaCreateSurfaceObject(&s, &rd));
    return s;
}

int main()
{
    cudaChannelFormatDesc id = cudaCreateChannelDesc<int>();
    cudaArray_t a;
    CHECK(cudaMallocArray(&a, &id, W, H, cudaArraySurfaceLoadStore));
    cudaSurfaceObject_t s = make_surface(a);
    fill<<<H, W>>>(s);
    std::vector<int> img(W * H);
    CHECK(cudaMemcpy2DFromArray(img.data(), W * sizeof(int), a, 0, 0, W * sizeof(int), H,
                                cudaMemcpyDeviceToHost));
    for (int i = 0; i < W * H; i++)
        expect("surf2Dwrite", i, img[i], (i % W) * 100 + i / W);

    const int RW = W + 4, RH = H + 2;
    int *dc, *dz;
    CHECK(cudaMalloc(&dc, RW * RH * sizeof(int)));
    CHECK(cudaMalloc(&dz, RW * RH * sizeof(int)));
    shifted_reads<<<RH, RW>>>(s, dc, dz);
    std::vector<int> c(RW * RH), z(RW * RH);
    CHECK(cudaMemcpy(c.data(), dc, c.size() * sizeof(int), cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(z.data(), dz, z.size() * sizeof(int), cudaMemcpyDeviceToHost));
    for (int i = 0; i < RW * RH; i++) {
        int x = i % RW - 2, y = i / RW - 1;
        bool inside = x >= 0 && x < W && y >= 0 && y < H;
        int cx = x < 0 ? 0 : x >= W ? W - 1 : x, cy = y < 0 ? 0 : y >= H ? H - 1 : y;
        expect("clamp read", i, c[i], cx * 100 + cy);
        expect("zero read", i, z[i], inside ? x * 100 + y : 0);
    }

    edge_writes<<<1, 1>>>(s);
    CHECK(cudaMemcpy2DFromArray(img.data(), W * sizeof(int), a, 0, 0, W * sizeof(int), H,
                                cudaMemcpyDeviceToHost));
    for (int i = 0; i < W * H; i++) {
        int x = i % W, y = i / W;
        expect("edge writes", i, img[i], x == W - 1 && y == 3 ? -3 : x * 100 + y);
    }

    // float4 1D, uchar4 3D and a layered int surface
    const int N = 6;
    cudaChannelFormatDesc f4 = cudaCreateChannelDesc<float4>(), u4 = cudaCreateChannelDesc<uchar4>();
    cudaArray_t a1, a3, al;
    CHECK(cudaMallocArray(&a1, &f4, N, 0, cudaArraySurfaceLoadStore));
    CHECK(cudaMalloc3DArray(&a3, &u4, make_cudaExtent(N, 2, 3), cudaArraySurfaceLoadStore));
    CHECK(cudaMalloc3DArray(&al, &id, make_cudaExtent(N, 2, 2), cudaArraySurfaceLoadStore | cudaArrayLayered));
    float4 v[N];
    for (int i = 0; i < N; i++)
        v[i] = make_float4((float)i, i + 0.5f, i + 0.25f, -(float)i);
    CHECK(cudaMemcpyToArray(a1, 0, 0, v, sizeof v, cudaMemcpyHostToDevice));
    std::vector<unsigned char> vol(N * 2 * 3 * 4, 0);
    CHECK(cudaMemcpyToArray(a3, 0, 0, vol.data(), vol.size(), cudaMemcpyHostToDevice));
    std::vector<int> layers(N * 2 * 2);
    for (size_t i = 0; i < layers.size(); i++)
        layers[i] = (int)i * 3;
    CHECK(cudaMemcpyToArray(al, 0, 0, layers.data(), layers.size() * sizeof(int), cudaMemcpyHostToDevice));
    cudaSurfaceObject_t s1 = make_surface(a1), s3 = make_surface(a3), sl = make_surface(al);
    vec_surfaces<<<1, N>>>(s1, s3, sl);
    float4 vb[N];
    CHECK(cudaMemcpyFromArray(vb, a1, 0, 0, sizeof vb, cudaMemcpyDeviceToHost));
    for (int i = 0; i < N; i++) {
        expect("float4 x", i, (long long)(vb[i].x * 4), (long long)(v[i].w * 4));
        expect("float4 w", i, (long long)(vb[i].w * 4), (long long)((v[i].x + 1) * 4));
    }
    CHECK(cudaMemcpyFromArray(vol.data(), a3, 0, 0, vol.size(), cudaMemcpyDeviceToHost));
    for (int i = 0; i < N; i++) {
        size_t at = ((size_t)(i % 3) * 2 * N + (i % 2) * N + i) * 4;
        expect("uchar4 3D", i, vol[at] + 256 * vol[at + 1] + 65536 * vol[at + 2], i + 256 * 2 * i + 65536 * 3 * i);
        expect("uchar4 3D alpha", i, vol[at + 3], 255);
    }
    std::vector<int> lb(layers.size());
    CHECK(cudaMemcpyFromArray(lb.data(), al, 0, 0, lb.size() * sizeof(int), cudaMemcpyDeviceToHost));
    int l111 = layers[1 * 2 * N + 1 * N + 1];
    for (int i = 0; i < N; i++)
        expect("layered", i, lb[i], l111 + i);

    // A surface needs cudaArraySurfaceLoadStore.
    cudaArray_t plain;
    CHECK(cudaMallocArray(&plain, &id, 4, 4));
    cudaResourceDesc rd;
    std::memset(&rd, 0, sizeof rd);
    rd.resType = cudaResourceTypeArray;
    rd.res.array.array = plain;
    cudaSurfaceObject_t bad;
    if (cudaCreateSurfaceObject(&bad, &rd) != cudaErrorInvalidValue) {
        std::printf("surface over an array without cudaArraySurfaceLoadStore was accepted\n");
        errors++;
    }
    cudaGetLastError();
    CHECK(cudaDestroySurfaceObject(s1));
    CHECK(cudaDestroySurfaceObject(s3));
    CHECK(cudaDestroySurfaceObject(sl));

    // Trap mode: the kernel fails; the error comes at the next synchronising call.
    out_of_range<<<1, 1>>>(s);
    cudaError_t e = cudaDeviceSynchronize();
    if (e != cudaErrorIllegalAddress) {
        std::printf("out-of-range trap: %s\n", cudaGetErrorName(e));
        errors++;
    }
    if (cudaMemcpy(img.data(), dc, 4, cudaMemcpyDeviceToHost) != cudaErrorIllegalAddress) {
        std::printf("the error is not sticky\n");
        errors++;
    }
    return sample_verdict("surfaces", errors);
}
