// driver_api.cu: a CUDA driver API program: loads a module from PTX text with
// cuModuleLoadData, reads and writes a module global, launches a kernel with
// kernelParams and again with a packed `extra` buffer, fills with cuMemsetD32, and
// checks the driver's answers for errors a program can make.
// sample-flags: -L@CUDA@/lib64/stubs -lcuda
// sample-modes: shared static
// sample-expect: driver_api: module global bias = 1
// sample-expect: driver_api: missing function -> CUDA_ERROR_NOT_FOUND
#include <cstdio>
#include <cstring>
#include <cuda.h>
#include <vector>

#define CU_CHECK(call)                                                              \
    do {                                                                            \
        CUresult r_ = (call);                                                       \
        if (r_ != CUDA_SUCCESS) {                                                   \
            const char *name_ = "?";                                                \
            cuGetErrorName(r_, &name_);                                             \
            std::fprintf(stderr, "%s:%d: %s failed: %s (%d)\n", __FILE__, __LINE__, \
                         #call, name_, (int)r_);                                    \
            return 1;                                                               \
        }                                                                           \
    } while (0)

// out[i] = a * x[i] + bias, with `bias` a module global initialised to 1.0.
static const char ptx[] =
    ".version 7.0\n"
    ".target sm_52\n"
    ".address_size 64\n"
    ".visible .global .align 4 .f32 bias = 0f3F800000;\n"
    ".visible .entry axpb(.param .u64 out, .param .u64 x, .param .f32 a, .param .u32 n)\n"
    "{\n"
    "    .reg .pred %p<2>;\n"
    "    .reg .f32 %f<5>;\n"
    "    .reg .b32 %r<6>;\n"
    "    .reg .b64 %rd<8>;\n"
    "    ld.param.u64 %rd1, [out];\n"
    "    ld.param.u64 %rd2, [x];\n"
    "    ld.param.f32 %f1, [a];\n"
    "    ld.param.u32 %r2, [n];\n"
    "    mov.u32 %r3, %ctaid.x;\n"
    "    mov.u32 %r4, %ntid.x;\n"
    "    mov.u32 %r5, %tid.x;\n"
    "    mad.lo.s32 %r1, %r3, %r4, %r5;\n"
    "    setp.ge.s32 %p1, %r1, %r2;\n"
    "    @%p1 bra DONE;\n"
    "    cvta.to.global.u64 %rd3, %rd2;\n"
    "    mul.wide.s32 %rd4, %r1, 4;\n"
    "    add.s64 %rd5, %rd3, %rd4;\n"
    "    ld.global.f32 %f2, [%rd5];\n"
    "    ld.global.f32 %f3, [bias];\n"
    "    fma.rn.f32 %f4, %f2, %f1, %f3;\n"
    "    cvta.to.global.u64 %rd6, %rd1;\n"
    "    add.s64 %rd7, %rd6, %rd4;\n"
    "    st.global.f32 [%rd7], %f4;\n"
    "DONE:\n"
    "    ret;\n"
    "}\n";

static int check(const std::vector<float> &got, const std::vector<float> &x, float a, float bias,
                 const char *what)
{
    int errors = 0;
    for (size_t i = 0; i < got.size(); i++) {
        float want = a * x[i] + bias;
        if (got[i] != want) {
            if (errors < 5)
                std::printf("%s: out[%zu] = %g, expected %g\n", what, i, got[i], want);
            errors++;
        }
    }
    return errors;
}

int main()
{
    const int n = 1000;
    int version = 0;
    CU_CHECK(cuDriverGetVersion(&version));
    CU_CHECK(cuInit(0));
    CUdevice dev;
    CU_CHECK(cuDeviceGet(&dev, 0));
    char name[256];
    CU_CHECK(cuDeviceGetName(name, sizeof name, dev));
    CUcontext ctx;
    CU_CHECK(cuDevicePrimaryCtxRetain(&ctx, dev));
    CU_CHECK(cuCtxSetCurrent(ctx));
    CUcontext current = nullptr;
    CU_CHECK(cuCtxGetCurrent(&current));
    int errors = current == ctx ? 0 : 1;

    CUmodule module;
    CU_CHECK(cuModuleLoadData(&module, ptx));
    CUfunction axpb;
    CU_CHECK(cuModuleGetFunction(&axpb, module, "axpb"));
    CUfunction missing;
    CUresult r = cuModuleGetFunction(&missing, module, "no_such_kernel");
    const char *rname = "?";
    cuGetErrorName(r, &rname);
    std::printf("driver_api: missing function -> %s\n", rname);
    errors += r != CUDA_ERROR_NOT_FOUND;

    CUdeviceptr bias_ptr;
    size_t bias_size = 0;
    CU_CHECK(cuModuleGetGlobal(&bias_ptr, &bias_size, module, "bias"));
    float bias = 0;
    CU_CHECK(cuMemcpyDtoH(&bias, bias_ptr, sizeof bias));
    std::printf("driver_api: module global bias = %g\n", bias);
    errors += bias_size != sizeof(float) || bias != 1.0f;

    std::vector<float> x(n), out(n);
    for (int i = 0; i < n; i++)
        x[i] = 0.25f * i;
    CUdeviceptr dx, dout;
    CU_CHECK(cuMemAlloc(&dx, n * sizeof(float)));
    CU_CHECK(cuMemAlloc(&dout, n * sizeof(float)));
    CU_CHECK(cuMemcpyHtoD(dx, x.data(), n * sizeof(float)));

    // 1. kernelParams: one pointer per parameter.
    float a = 2.0f;
    int count = n;
    void *params[] = {&dout, &dx, &a, &count};
    CU_CHECK(cuLaunchKernel(axpb, (n + 127) / 128, 1, 1, 128, 1, 1, 0, nullptr, params, nullptr));
    CU_CHECK(cuCtxSynchronize());
    CU_CHECK(cuMemcpyDtoH(out.data(), dout, n * sizeof(float)));
    errors += check(out, x, a, 1.0f, "kernelParams");

    // 2. extra: the parameters packed in their .entry layout (8, 8, 4, 4 bytes), after
    // changing the global through its device address.
    float new_bias = -3.0f;
    CU_CHECK(cuMemcpyHtoD(bias_ptr, &new_bias, sizeof new_bias));
    CU_CHECK(cuMemsetD32(dout, 0x7fc00000u, n));   // NaN everywhere first
    struct { CUdeviceptr out, x; float a; int n; } packed = {dout, dx, 0.5f, n};
    size_t packed_size = sizeof packed;
    void *extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, &packed, CU_LAUNCH_PARAM_BUFFER_SIZE,
                     &packed_size, CU_LAUNCH_PARAM_END};
    CU_CHECK(cuLaunchKernel(axpb, (n + 63) / 64, 1, 1, 64, 1, 1, 0, nullptr, nullptr, extra));
    CU_CHECK(cuCtxSynchronize());
    CU_CHECK(cuMemcpyDtoH(out.data(), dout, n * sizeof(float)));
    errors += check(out, x, 0.5f, new_bias, "extra");

    // Launch errors a program can make: both argument forms at once, a zero grid.
    r = cuLaunchKernel(axpb, 1, 1, 1, 1, 1, 1, 0, nullptr, params, extra);
    errors += r != CUDA_ERROR_INVALID_VALUE;
    r = cuLaunchKernel(axpb, 0, 1, 1, 1, 1, 1, 0, nullptr, params, nullptr);
    errors += r != CUDA_ERROR_INVALID_VALUE;

    // A 32-bit fill with a pattern whose bytes differ.
    CU_CHECK(cuMemsetD32(dout, 0x12345678u, n));
    std::vector<unsigned> words(n);
    CU_CHECK(cuMemcpyDtoH(words.data(), dout, n * sizeof(unsigned)));
    for (int i = 0; i < n; i++)
        errors += words[i] != 0x12345678u;

    CU_CHECK(cuMemFree(dx));
    CU_CHECK(cuMemFree(dout));
    CU_CHECK(cuModuleUnload(module));
    CU_CHECK(cuDevicePrimaryCtxRelease(dev));
    std::printf("driver_api on %s (driver %d)\n", name, version);
    if (errors) {
        std::printf("driver_api: FAILED (%d mismatches)\n", errors);
        return 1;
    }
    std::printf("driver_api: PASSED\n");
    return 0;
}
