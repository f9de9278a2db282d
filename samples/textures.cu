// textures.cu: texture objects over CUDA arrays, pitched and linear memory, sampled with
// point and linear filtering, every address mode, normalized coordinates, 8-bit
// normalized reads, layered, 3D and cubemap arrays and gather; each result is compared
// with a host model of CUDA's sampling rules (linear weights in 1/256 steps).
// sample-flags: -Xcompiler -Wno-deprecated-declarations
// sample-known-gap: static CUDA arrays and texture objects are not implemented in libcuda.so.1 yet
#include <cmath>
#include <cstring>
#include <vector>

#include "sample_check.h"

static int errors = 0;

static void expect(const char *what, int i, float got, float want)
{
    if (!nearly_equal(got, want, 1e-5) && std::fabs(got - want) > 1e-5f) {
        if (errors < 20)
            std::printf("%s[%d]: got %.7g, expected %.7g\n", what, i, got, want);
        errors++;
    }
}

// ---- host model --------------------------------------------------------------------

static const int W = 8, H = 5;
static float texel_value(int x, int y) { return (float)(x * 10 + y) + 0.25f * (float)((x * 7 + y * 3) % 4); }

// Index after addressing; false when it falls on the border.
static bool host_address(int mode, bool normalized, int i, int n, int *out)
{
    if (!normalized && (mode == cudaAddressModeWrap || mode == cudaAddressModeMirror))
        mode = cudaAddressModeClamp;
    if (mode == cudaAddressModeWrap) {
        i %= n;
        if (i < 0) i += n;
    } else if (mode == cudaAddressModeMirror) {
        int m = i % (2 * n);
        if (m < 0) m += 2 * n;
        i = m < n ? m : 2 * n - 1 - m;
    } else if (mode == cudaAddressModeBorder) {
        if (i < 0 || i >= n) return false;
    } else {
        i = i < 0 ? 0 : i >= n ? n - 1 : i;
    }
    *out = i;
    return true;
}

static float host_fetch(int mode, bool norm, int x, int y, float border)
{
    int ax, ay;
    if (!host_address(mode, norm, x, W, &ax) || !host_address(mode, norm, y, H, &ay))
        return border;
    return texel_value(ax, ay);
}

static float host_sample(int mode, bool linear, bool norm, float u, float v, float border)
{
    if (norm) {
        u *= W;
        v *= H;
    }
    if (!linear)
        return host_fetch(mode, norm, (int)std::floor(u), (int)std::floor(v), border);
    float xb = u - 0.5f, yb = v - 0.5f;
    int i = (int)std::floor(xb), j = (int)std::floor(yb);
    float a = std::floor((xb - std::floor(xb)) * 256.0f + 0.5f) / 256.0f;
    float b = std::floor((yb - std::floor(yb)) * 256.0f + 0.5f) / 256.0f;
    return (1 - a) * (1 - b) * host_fetch(mode, norm, i, j, border) +
           a * (1 - b) * host_fetch(mode, norm, i + 1, j, border) +
           (1 - a) * b * host_fetch(mode, norm, i, j + 1, border) +
           a * b * host_fetch(mode, norm, i + 1, j + 1, border);
}

// ---- kernels -------------------------------------------------------------------------

__global__ void sample2d(cudaTextureObject_t t, const float2 *coords, float *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        out[i] = tex2D<float>(t, coords[i].x, coords[i].y);
}

__global__ void gather2d(cudaTextureObject_t t, float x, float y, float4 *out)
{
    *out = tex2Dgather<float4>(t, x, y, 0);
}

__global__ void fetch1d(cudaTextureObject_t t, int *out, int n)
{
    int i = threadIdx.x;
    if (i < n)
        out[i] = tex1Dfetch<int>(t, i - 2); // reaches 2 elements before and after
}

__global__ void sample_uchar4(cudaTextureObject_t t, float x, float y, float4 *out, uchar4 *raw,
                              cudaTextureObject_t element)
{
    *out = tex2D<float4>(t, x, y);
    *raw = tex2D<uchar4>(element, x, y);
}

__global__ void sample_layered(cudaTextureObject_t t, float x, float y, int layer, float *out)
{
    *out = tex2DLayered<float>(t, x, y, layer);
}

__global__ void sample3d(cudaTextureObject_t t, float x, float y, float z, float *out)
{
    *out = tex3D<float>(t, x, y, z);
}

__global__ void sample_cube(cudaTextureObject_t t, const float4 *dirs, float *out, int n)
{
    int i = threadIdx.x;
    if (i < n)
        out[i] = texCubemap<float>(t, dirs[i].x, dirs[i].y, dirs[i].z);
}

__global__ void sample1d(cudaTextureObject_t t, float x, float *out)
{
    *out = tex1D<float>(t, x);
}

static cudaTextureObject_t make_tex(cudaArray_t a, int mode, bool linear, bool norm, float border)
{
    cudaResourceDesc rd;
    std::memset(&rd, 0, sizeof rd);
    rd.resType = cudaResourceTypeArray;
    rd.res.array.array = a;
    cudaTextureDesc td;
    std::memset(&td, 0, sizeof td);
    td.addressMode[0] = td.addressMode[1] = td.addressMode[2] = (cudaTextureAddressMode)mode;
    td.filterMode = linear ? cudaFilterModeLinear : cudaFilterModePoint;
    td.readMode = cudaReadModeElementType;
    td.normalizedCoords = norm;
    for (int k = 0; k < 4; k++)
        td.borderColor[k] = border;
    cudaTextureObject_t t = 0;
    CHECK(cudaCreateTextureObject(&t, &rd, &td, nullptr));
    return t;
}

int main()
{
    // A W x H float array, filled with cudaMemcpy2DToArray from a padded host image.
    cudaChannelFormatDesc fd = cudaCreateChannelDesc<float>();
    cudaArray_t arr;
    CHECK(cudaMallocArray(&arr, &fd, W, H));
    const int hpitch = W + 3;
    std::vector<float> img((size_t)hpitch * H, -99.0f);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img[(size_t)y * hpitch + x] = texel_value(x, y);
    CHECK(cudaMemcpy2DToArray(arr, 0, 0, img.data(), hpitch * sizeof(float), W * sizeof(float), H,
                              cudaMemcpyHostToDevice));
    {   // the array reads back as written
        std::vector<float> back((size_t)W * H);
        CHECK(cudaMemcpy2DFromArray(back.data(), W * sizeof(float), arr, 0, 0, W * sizeof(float), H,
                                    cudaMemcpyDeviceToHost));
        for (int i = 0; i < W * H; i++)
            expect("array copy", i, back[i], texel_value(i % W, i / W));
        cudaChannelFormatDesc got;
        cudaExtent ext;
        unsigned flags = 99;
        CHECK(cudaArrayGetInfo(&got, &ext, &flags, arr));
        if (got.x != 32 || got.f != cudaChannelFormatKindFloat || ext.width != W || ext.height != H ||
            ext.depth != 0 || flags != 0) {
            std::printf("cudaArrayGetInfo: wrong answer\n");
            errors++;
        }
    }

    // Coordinates inside, on texel edges, outside on every side.
    const int N = 24;
    std::vector<float2> cu(N), cn(N);
    for (int i = 0; i < N; i++) {
        cu[i] = make_float2(-3.0f + 0.73f * (float)i, -2.0f + 0.51f * (float)i - (i % 3) * 0.7f);
        cn[i] = make_float2(cu[i].x / W, cu[i].y / H);
    }
    cu[0] = make_float2(2.5f, 1.5f);   // texel centre: exact texel value when linear
    cu[1] = make_float2(3.0f, 2.0f);   // texel corner: average of four
    cu[2] = make_float2(3.1f, 2.9f);   // weights 0.6 / 0.4 -> quantised to 154/256, 102/256
    float2 *dcoords;
    float *dout;
    CHECK(cudaMalloc(&dcoords, N * sizeof(float2)));
    CHECK(cudaMalloc(&dout, N * sizeof(float)));
    std::vector<float> out(N);
    const char *mode_names[] = {"wrap", "clamp", "mirror", "border"};
    for (int norm = 0; norm < 2; norm++) {
        CHECK(cudaMemcpy(dcoords, norm ? cn.data() : cu.data(), N * sizeof(float2), cudaMemcpyHostToDevice));
        for (int mode = 0; mode < 4; mode++) {
            for (int linear = 0; linear < 2; linear++) {
                cudaTextureObject_t t = make_tex(arr, mode, linear, norm, -1.5f);
                sample2d<<<2, 16>>>(t, dcoords, dout, N);
                CHECK(cudaMemcpy(out.data(), dout, N * sizeof(float), cudaMemcpyDeviceToHost));
                char what[64];
                std::snprintf(what, sizeof what, "tex2D %s %s %s", mode_names[mode],
                              linear ? "linear" : "point", norm ? "normalized" : "unnormalized");
                for (int i = 0; i < N; i++) {
                    float2 c = norm ? cn[i] : cu[i];
                    expect(what, i, out[i], host_sample(mode, linear, norm, c.x, c.y, -1.5f));
                }
                CHECK(cudaDestroyTextureObject(t));
            }
        }
    }
    // The fixed-point weights are visible: 0.6 is weighed as 154/256, not 0.6.
    {
        cudaTextureObject_t t = make_tex(arr, cudaAddressModeClamp, true, false, 0);
        CHECK(cudaMemcpy(dcoords, cu.data(), N * sizeof(float2), cudaMemcpyHostToDevice));
        sample2d<<<1, N>>>(t, dcoords, dout, N);
        CHECK(cudaMemcpy(out.data(), dout, N * sizeof(float), cudaMemcpyDeviceToHost));
        expect("texel centre", 0, out[0], texel_value(2, 1));
        expect("texel corner", 1, out[1], 0.25f * (texel_value(2, 1) + texel_value(3, 1) +
                                                    texel_value(2, 2) + texel_value(3, 2)));
        float a = 154.0f / 256.0f, b = 102.0f / 256.0f;
        float want = (1 - a) * (1 - b) * texel_value(2, 2) + a * (1 - b) * texel_value(3, 2) +
                     (1 - a) * b * texel_value(2, 3) + a * b * texel_value(3, 3);
        expect("quantised weights", 2, out[2], want);
        // gather: component 0 of the 2x2 footprint, (i0,j1) (i1,j1) (i1,j0) (i0,j0)
        float4 *dg, g;
        CHECK(cudaMalloc(&dg, sizeof(float4)));
        gather2d<<<1, 1>>>(t, 3.1f, 2.9f, dg);
        CHECK(cudaMemcpy(&g, dg, sizeof g, cudaMemcpyDeviceToHost));
        expect("gather", 0, g.x, texel_value(2, 3));
        expect("gather", 1, g.y, texel_value(3, 3));
        expect("gather", 2, g.z, texel_value(3, 2));
        expect("gather", 3, g.w, texel_value(2, 2));
        // the descriptors read back
        cudaResourceDesc rd;
        cudaTextureDesc td;
        CHECK(cudaGetTextureObjectResourceDesc(&rd, t));
        CHECK(cudaGetTextureObjectTextureDesc(&td, t));
        if (rd.resType != cudaResourceTypeArray || rd.res.array.array != arr ||
            td.filterMode != cudaFilterModeLinear || td.addressMode[1] != cudaAddressModeClamp) {
            std::printf("texture descriptors do not read back\n");
            errors++;
        }
        CHECK(cudaFree(dg));
        CHECK(cudaDestroyTextureObject(t));
    }

    // Pitched linear memory with linear filtering, normalized coordinates, clamp.
    {
        float *pm;
        size_t pitch;
        CHECK(cudaMallocPitch(&pm, &pitch, W * sizeof(float), H));
        CHECK(cudaMemcpy2D(pm, pitch, img.data(), hpitch * sizeof(float), W * sizeof(float), H,
                           cudaMemcpyHostToDevice));
        cudaResourceDesc rd;
        std::memset(&rd, 0, sizeof rd);
        rd.resType = cudaResourceTypePitch2D;
        rd.res.pitch2D.devPtr = pm;
        rd.res.pitch2D.desc = fd;
        rd.res.pitch2D.width = W;
        rd.res.pitch2D.height = H;
        rd.res.pitch2D.pitchInBytes = pitch;
        cudaTextureDesc td;
        std::memset(&td, 0, sizeof td);
        td.addressMode[0] = td.addressMode[1] = cudaAddressModeClamp;
        td.filterMode = cudaFilterModeLinear;
        td.normalizedCoords = 1;
        cudaTextureObject_t t;
        CHECK(cudaCreateTextureObject(&t, &rd, &td, nullptr));
        CHECK(cudaMemcpy(dcoords, cn.data(), N * sizeof(float2), cudaMemcpyHostToDevice));
        sample2d<<<1, N>>>(t, dcoords, dout, N);
        CHECK(cudaMemcpy(out.data(), dout, N * sizeof(float), cudaMemcpyDeviceToHost));
        for (int i = 0; i < N; i++)
            expect("pitch2D linear", i, out[i], host_sample(cudaAddressModeClamp, true, true, cn[i].x, cn[i].y, 0));
        CHECK(cudaDestroyTextureObject(t));
        CHECK(cudaFree(pm));
    }

    // Linear memory: tex1Dfetch reads elements, 0 outside.
    {
        const int L = 10;
        int host[L], *lin, *dres, res[L + 4];
        for (int i = 0; i < L; i++)
            host[i] = 1000 + i * i;
        CHECK(cudaMalloc(&lin, sizeof host));
        CHECK(cudaMalloc(&dres, sizeof res));
        CHECK(cudaMemcpy(lin, host, sizeof host, cudaMemcpyHostToDevice));
        cudaResourceDesc rd;
        std::memset(&rd, 0, sizeof rd);
        rd.resType = cudaResourceTypeLinear;
        rd.res.linear.devPtr = lin;
        rd.res.linear.desc = cudaCreateChannelDesc<int>();
        rd.res.linear.sizeInBytes = sizeof host;
        cudaTextureDesc td;
        std::memset(&td, 0, sizeof td);
        cudaTextureObject_t t;
        CHECK(cudaCreateTextureObject(&t, &rd, &td, nullptr));
        fetch1d<<<1, L + 4>>>(t, dres, L + 4);
        CHECK(cudaMemcpy(res, dres, sizeof res, cudaMemcpyDeviceToHost));
        for (int i = 0; i < L + 4; i++) {
            int k = i - 2, want = k >= 0 && k < L ? host[k] : 0;
            expect("tex1Dfetch", i, (float)res[i], (float)want);
        }
        // linear filtering of integers read as integers cannot be done
        td.filterMode = cudaFilterModeLinear;
        cudaTextureObject_t bad;
        cudaError_t e = cudaCreateTextureObject(&bad, &rd, &td, nullptr);
        if (e != cudaErrorInvalidFilterSetting) {
            std::printf("linear filter on int texture: %s\n", cudaGetErrorName(e));
            errors++;
        }
        cudaGetLastError();
        CHECK(cudaDestroyTextureObject(t));
        CHECK(cudaFree(lin));
        CHECK(cudaFree(dres));
    }

    // uchar4 read as normalized floats (linear filter) and as elements.
    {
        const int UW = 4, UH = 2;
        uchar4 px[UW * UH];
        for (int i = 0; i < UW * UH; i++)
            px[i] = make_uchar4((unsigned char)(i * 30), (unsigned char)(255 - i * 20), (unsigned char)(i * 7 + 1), 255);
        cudaChannelFormatDesc cd = cudaCreateChannelDesc<uchar4>();
        cudaArray_t ua;
        CHECK(cudaMallocArray(&ua, &cd, UW, UH));
        CHECK(cudaMemcpyToArray(ua, 0, 0, px, sizeof px, cudaMemcpyHostToDevice));
        cudaResourceDesc rd;
        std::memset(&rd, 0, sizeof rd);
        rd.resType = cudaResourceTypeArray;
        rd.res.array.array = ua;
        cudaTextureDesc td;
        std::memset(&td, 0, sizeof td);
        td.addressMode[0] = td.addressMode[1] = cudaAddressModeClamp;
        td.filterMode = cudaFilterModeLinear;
        td.readMode = cudaReadModeNormalizedFloat;
        cudaTextureObject_t tn, te;
        CHECK(cudaCreateTextureObject(&tn, &rd, &td, nullptr));
        td.filterMode = cudaFilterModePoint;
        td.readMode = cudaReadModeElementType;
        CHECK(cudaCreateTextureObject(&te, &rd, &td, nullptr));
        float4 *dv, v;
        uchar4 *draw, raw;
        CHECK(cudaMalloc(&dv, sizeof v));
        CHECK(cudaMalloc(&draw, sizeof raw));
        float x = 1.75f, y = 1.0f; // texels 1 and 2 weighed 0.75/0.25, rows 0 and 1 0.5/0.5
        sample_uchar4<<<1, 1>>>(tn, x, y, dv, draw, te);
        CHECK(cudaMemcpy(&v, dv, sizeof v, cudaMemcpyDeviceToHost));
        CHECK(cudaMemcpy(&raw, draw, sizeof raw, cudaMemcpyDeviceToHost));
        float want[4] = {0, 0, 0, 0};
        for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++) {
                uchar4 p = px[dy * UW + 1 + dx];
                float wgt = (dx ? 0.25f : 0.75f) * 0.5f;
                want[0] += wgt * p.x / 255.0f;
                want[1] += wgt * p.y / 255.0f;
                want[2] += wgt * p.z / 255.0f;
                want[3] += wgt * p.w / 255.0f;
            }
        expect("uchar4 normalized", 0, v.x, want[0]);
        expect("uchar4 normalized", 1, v.y, want[1]);
        expect("uchar4 normalized", 2, v.z, want[2]);
        expect("uchar4 normalized", 3, v.w, want[3]);
        uchar4 p = px[1 * UW + 1];
        expect("uchar4 element", 0, raw.x, p.x);
        expect("uchar4 element", 1, raw.y, p.y);
        expect("uchar4 element", 2, raw.z, p.z);
        CHECK(cudaDestroyTextureObject(tn));
        CHECK(cudaDestroyTextureObject(te));
        CHECK(cudaFreeArray(ua));
        CHECK(cudaFree(dv));
        CHECK(cudaFree(draw));
    }

    // Layered, 3D and cubemap arrays through cudaMalloc3DArray, filled with
    // cudaMemcpyToArray and cudaMemcpy3D.
    {
        const int S = 4, D = 3;
        std::vector<float> vol((size_t)S * S * 6);
        for (size_t i = 0; i < vol.size(); i++)
            vol[i] = (float)i * 0.5f + 1.0f;
        float *dres, res;
        CHECK(cudaMalloc(&dres, 64 * sizeof(float)));
        cudaArray_t la, va, ca;
        CHECK(cudaMalloc3DArray(&la, &fd, make_cudaExtent(S, S, D), cudaArrayLayered));
        CHECK(cudaMalloc3DArray(&va, &fd, make_cudaExtent(S, S, D), 0));
        CHECK(cudaMalloc3DArray(&ca, &fd, make_cudaExtent(S, S, 6), cudaArrayCubemap));
        CHECK(cudaMemcpyToArray(la, 0, 0, vol.data(), S * S * D * sizeof(float), cudaMemcpyHostToDevice));
        {   // the volume through cudaMemcpy3D (extent in elements for arrays), and back
            cudaMemcpy3DParms p;
            std::memset(&p, 0, sizeof p);
            p.srcPtr = make_cudaPitchedPtr(vol.data(), S * sizeof(float), S, S);
            p.dstArray = va;
            p.extent = make_cudaExtent(S, S, D);
            p.kind = cudaMemcpyHostToDevice;
            CHECK(cudaMemcpy3D(&p));
            std::vector<float> back((size_t)S * S * D, 0.0f);
            std::memset(&p, 0, sizeof p);
            p.srcArray = va;
            p.srcPos = make_cudaPos(1, 0, 1); // a sub-box: x 1..S-1, z 1..D-1
            p.dstPtr = make_cudaPitchedPtr(back.data(), S * sizeof(float), S, S);
            p.dstPos = make_cudaPos(1 * sizeof(float), 0, 1); // bytes on the pitched side
            p.extent = make_cudaExtent(S - 1, S, D - 1);
            p.kind = cudaMemcpyDeviceToHost;
            CHECK(cudaMemcpy3D(&p));
            for (int z = 0; z < D; z++)
                for (int y = 0; y < S; y++)
                    for (int x = 0; x < S; x++) {
                        size_t k = ((size_t)z * S + y) * S + x;
                        expect("cudaMemcpy3D array", (int)k, back[k], x >= 1 && z >= 1 ? vol[k] : 0.0f);
                    }
        }
        CHECK(cudaMemcpyToArray(ca, 0, 0, vol.data(), S * S * 6 * sizeof(float), cudaMemcpyHostToDevice));
        cudaTextureObject_t lt = make_tex(la, cudaAddressModeClamp, false, false, 0);
        sample_layered<<<1, 1>>>(lt, 2.5f, 1.2f, 2, dres);
        CHECK(cudaMemcpy(&res, dres, sizeof res, cudaMemcpyDeviceToHost));
        expect("tex2DLayered", 0, res, vol[2 * S * S + 1 * S + 2]);
        cudaTextureObject_t vt = make_tex(va, cudaAddressModeClamp, true, false, 0);
        sample3d<<<1, 1>>>(vt, 1.5f, 2.0f, 1.25f, dres); // x on a centre, y between rows 1/2, z 0.75 of 0->1
        CHECK(cudaMemcpy(&res, dres, sizeof res, cudaMemcpyDeviceToHost));
        auto at = [&](int x, int y, int z) { return vol[(size_t)z * S * S + y * S + x]; };
        float want = 0.25f * (0.5f * at(1, 1, 0) + 0.5f * at(1, 2, 0)) + 0.75f * (0.5f * at(1, 1, 1) + 0.5f * at(1, 2, 1));
        expect("tex3D trilinear", 0, res, want);
        // cubemap: +x face 0 (s=-z, t=-y), -y face 3 (s=x, t=-z), +z face 4 (s=x, t=-y)
        cudaTextureObject_t ct = make_tex(ca, cudaAddressModeClamp, false, true, 0);
        float4 dirs[3] = {make_float4(1.0f, -0.4f, 0.3f, 0), make_float4(0.2f, -2.0f, 0.9f, 0),
                          make_float4(-0.6f, 0.1f, 1.0f, 0)};
        auto cube_ref = [&](int face, float s, float t) {
            float u = (s + 1) * 0.5f * S, v = (t + 1) * 0.5f * S;
            int x = (int)std::floor(u), y = (int)std::floor(v);
            x = x < 0 ? 0 : x >= S ? S - 1 : x;
            y = y < 0 ? 0 : y >= S ? S - 1 : y;
            return vol[(size_t)face * S * S + y * S + x];
        };
        float cwant[3] = {cube_ref(0, -0.3f, 0.4f), cube_ref(3, 0.1f, -0.45f), cube_ref(4, -0.6f, -0.1f)};
        float4 *ddirs;
        CHECK(cudaMalloc(&ddirs, sizeof dirs));
        CHECK(cudaMemcpy(ddirs, dirs, sizeof dirs, cudaMemcpyHostToDevice));
        sample_cube<<<1, 3>>>(ct, ddirs, dres, 3);
        float cres[3];
        CHECK(cudaMemcpy(cres, dres, sizeof cres, cudaMemcpyDeviceToHost));
        for (int i = 0; i < 3; i++)
            expect("texCubemap", i, cres[i], cwant[i]);
        // a 1D array with wrap and normalized coordinates
        cudaArray_t oa;
        CHECK(cudaMallocArray(&oa, &fd, S, 0));
        CHECK(cudaMemcpyToArray(oa, 0, 0, vol.data(), S * sizeof(float), cudaMemcpyHostToDevice));
        cudaTextureObject_t ot = make_tex(oa, cudaAddressModeWrap, false, true, 0);
        sample1d<<<1, 1>>>(ot, 1.3f, dres); // wraps to 0.3 -> texel 1
        CHECK(cudaMemcpy(&res, dres, sizeof res, cudaMemcpyDeviceToHost));
        expect("tex1D wrap", 0, res, vol[1]);
        CHECK(cudaDestroyTextureObject(lt));
        CHECK(cudaDestroyTextureObject(vt));
        CHECK(cudaDestroyTextureObject(ct));
        CHECK(cudaDestroyTextureObject(ot));
        CHECK(cudaFreeArray(la));
        CHECK(cudaFreeArray(va));
        CHECK(cudaFreeArray(ca));
        CHECK(cudaFreeArray(oa));
        CHECK(cudaFree(ddirs));
        CHECK(cudaFree(dres));
    }

    CHECK(cudaFree(dcoords));
    CHECK(cudaFree(dout));
    CHECK(cudaFreeArray(arr));
    return sample_verdict("textures", errors);
}
