/* test_api.c: the runtime API as a program sees it, through the built libcudart.so.13
 * (dlopen'ed in each test's own process, so environment settings apply to a fresh
 * library): error codes for bad arguments, last-error semantics, properties and
 * attributes agreeing, memory copies, symbols, streams and events, launch errors, and
 * the CUDA 12 entry points. */
#include <check.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim/cuda_types.h"

#ifndef SHIM_LIBRARY
#define SHIM_LIBRARY "shim/libcudart.so.13"
#endif

static void *lib;

#define API_FUNCS(X) \
    X(cudaError_t, cudaMalloc, (void **, size_t)) \
    X(cudaError_t, cudaFree, (void *)) \
    X(cudaError_t, cudaMemcpy, (void *, const void *, size_t, enum cudaMemcpyKind)) \
    X(cudaError_t, cudaMemset, (void *, int, size_t)) \
    X(cudaError_t, cudaMallocHost, (void **, size_t)) \
    X(cudaError_t, cudaFreeHost, (void *)) \
    X(cudaError_t, cudaMallocManaged, (void **, size_t, unsigned)) \
    X(cudaError_t, cudaGetLastError, (void)) \
    X(cudaError_t, cudaPeekAtLastError, (void)) \
    X(const char *, cudaGetErrorString, (cudaError_t)) \
    X(const char *, cudaGetErrorName, (cudaError_t)) \
    X(cudaError_t, cudaGetDeviceCount, (int *)) \
    X(cudaError_t, cudaSetDevice, (int)) \
    X(cudaError_t, cudaGetDevice, (int *)) \
    X(cudaError_t, cudaGetDeviceProperties, (struct cudaDeviceProp *, int)) \
    X(cudaError_t, cudaDeviceGetAttribute, (int *, enum cudaDeviceAttr, int)) \
    X(cudaError_t, cudaDeviceSynchronize, (void)) \
    X(cudaError_t, cudaRuntimeGetVersion, (int *)) \
    X(cudaError_t, cudaPointerGetAttributes, (struct cudaPointerAttributes *, const void *)) \
    X(cudaError_t, cudaStreamCreate, (cudaStream_t *)) \
    X(cudaError_t, cudaStreamDestroy, (cudaStream_t)) \
    X(cudaError_t, cudaStreamSynchronize, (cudaStream_t)) \
    X(cudaError_t, cudaStreamQuery, (cudaStream_t)) \
    X(cudaError_t, cudaEventCreate, (cudaEvent_t *)) \
    X(cudaError_t, cudaEventRecord, (cudaEvent_t, cudaStream_t)) \
    X(cudaError_t, cudaEventSynchronize, (cudaEvent_t)) \
    X(cudaError_t, cudaEventElapsedTime, (float *, cudaEvent_t, cudaEvent_t)) \
    X(cudaError_t, cudaEventDestroy, (cudaEvent_t)) \
    X(cudaError_t, cudaDeviceSetLimit, (enum cudaLimit, size_t)) \
    X(cudaError_t, cudaDeviceGetLimit, (size_t *, enum cudaLimit)) \
    X(cudaError_t, cudaMemcpyToSymbol, (const void *, const void *, size_t, size_t, enum cudaMemcpyKind)) \
    X(cudaError_t, cudaMemcpyFromSymbol, (void *, const void *, size_t, size_t, enum cudaMemcpyKind)) \
    X(cudaError_t, cudaGetSymbolSize, (size_t *, const void *)) \
    X(cudaError_t, cudaMalloc3D, (struct cudaPitchedPtr *, struct cudaExtent)) \
    X(void **, __cudaRegisterFatBinary, (void *)) \
    X(void, __cudaRegisterFatBinaryEnd, (void **)) \
    X(void, __cudaRegisterFunction, (void **, const char *, char *, const char *, int, uint3 *, uint3 *, dim3 *, dim3 *, int *)) \
    X(void, __cudaRegisterVar, (void **, char *, char *, const char *, int, size_t, int, int)) \
    X(unsigned, __cudaPushCallConfiguration, (dim3, dim3, size_t, cudaStream_t)) \
    X(cudaError_t, __cudaPopCallConfiguration, (dim3 *, dim3 *, size_t *, void *)) \
    X(cudaError_t, __cudaGetKernel, (cudaKernel_t *, const void *)) \
    X(cudaError_t, __cudaLaunchKernel, (cudaKernel_t, dim3, dim3, void **, size_t, cudaStream_t)) \
    X(cudaError_t, cudaDeviceReset, (void)) \
    X(cudaError_t, cudaFuncGetAttributes, (struct cudaFuncAttributes *, const void *)) \
    X(cudaError_t, cudaFuncSetAttribute, (const void *, enum cudaFuncAttribute, int)) \
    X(cudaError_t, cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags, (int *, const void *, int, size_t, unsigned)) \
    X(cudaError_t, cudaOccupancyAvailableDynamicSMemPerBlock, (size_t *, const void *, int, int)) \
    X(cudaError_t, cudaOccupancyMaxPotentialClusterSize, (int *, const void *, const cudaLaunchConfig_t *)) \
    X(cudaError_t, cudaOccupancyMaxActiveClusters, (int *, const void *, const cudaLaunchConfig_t *))

#define X(ret, name, args) static ret(*name) args;
API_FUNCS(X)
#undef X

static void load(void)
{
    lib = dlopen(SHIM_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(lib != NULL, "dlopen %s: %s", SHIM_LIBRARY, dlerror());
#define X(ret, name, args) \
    *(void **)&name = dlvsym(lib, #name, "libcudart.so.13"); \
    ck_assert_msg(name != NULL, #name "@libcudart.so.13 not found");
    API_FUNCS(X)
#undef X
}

static void *sym12(const char *name)
{
    void *p = dlvsym(lib, name, "libcudart.so.12");
    ck_assert_msg(p != NULL, "%s@libcudart.so.12 not found", name);
    return p;
}

/* ---- errors -------------------------------------------------------------------------- */

START_TEST(error_strings)
{
    load();
    ck_assert_str_eq(cudaGetErrorString(cudaSuccess), "no error");
    ck_assert_str_eq(cudaGetErrorString(cudaErrorMemoryAllocation), "out of memory");
    ck_assert_str_eq(cudaGetErrorName(cudaErrorInvalidValue), "cudaErrorInvalidValue");
    ck_assert_str_eq(cudaGetErrorString((cudaError_t)12345), "unrecognized error code");
    ck_assert_str_eq(cudaGetErrorName((cudaError_t)12345), "unrecognized error code");
    int v = 0;
    ck_assert_int_eq(cudaRuntimeGetVersion(&v), cudaSuccess);
    ck_assert_int_eq(v, 13000);
    ck_assert_int_eq(cudaRuntimeGetVersion(NULL), cudaErrorInvalidValue);
}
END_TEST

START_TEST(last_error_semantics)
{
    load();
    ck_assert_int_eq(cudaGetLastError(), cudaSuccess);
    ck_assert_int_eq(cudaMalloc(NULL, 16), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaPeekAtLastError(), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaPeekAtLastError(), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaGetLastError(), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaGetLastError(), cudaSuccess);
    /* A later success does not clear the recorded error. */
    ck_assert_int_eq(cudaSetDevice(99), cudaErrorInvalidDevice);
    int dev = -1;
    ck_assert_int_eq(cudaGetDevice(&dev), cudaSuccess);
    ck_assert_int_eq(dev, 0);
    ck_assert_int_eq(cudaGetLastError(), cudaErrorInvalidDevice);
}
END_TEST

START_TEST(unknown_backend)
{
    setenv("CUSHIM_BACKEND", "no-such-backend", 1);
    load();
    int n = 7;
    void *p = NULL;
    ck_assert_int_eq(cudaGetDeviceCount(&n), cudaErrorNoDevice);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(cudaMalloc(&p, 16), cudaErrorNoDevice);
    ck_assert_int_eq(cudaDeviceSynchronize(), cudaErrorNoDevice);
    /* Error reporting itself still works. */
    ck_assert_str_eq(cudaGetErrorName(cudaGetLastError()), "cudaErrorNoDevice");
}
END_TEST

START_TEST(unsupported_call)
{
    load();
    /* Graphics interop has no backend here: the unsupported path answers. */
    cudaError_t (*unregister)(cudaGraphicsResource_t);
    *(void **)&unregister = dlvsym(lib, "cudaGraphicsUnregisterResource", "libcudart.so.13");
    ck_assert_ptr_nonnull(unregister);
    ck_assert_int_eq(unregister(NULL), cudaErrorNotSupported);
    ck_assert_int_eq(cudaGetLastError(), cudaErrorNotSupported);
    /* cudaMalloc3D is implemented: rows pitched to at least the width. */
    struct cudaPitchedPtr pp;
    struct cudaExtent ext = {16, 16, 16};
    ck_assert_int_eq(cudaMalloc3D(&pp, ext), cudaSuccess);
    ck_assert_uint_ge(pp.pitch, 16);
    ck_assert_uint_eq(pp.xsize, 16);
    ck_assert_uint_eq(pp.ysize, 16);
    ck_assert_int_eq(cudaFree(pp.ptr), cudaSuccess);
}
END_TEST

/* ---- devices ------------------------------------------------------------------------- */

START_TEST(properties_match_attributes)
{
    load();
    int n = 0;
    ck_assert_int_eq(cudaGetDeviceCount(&n), cudaSuccess);
    ck_assert_int_ge(n, 1);
    struct cudaDeviceProp p;
    ck_assert_int_eq(cudaGetDeviceProperties(&p, n), cudaErrorInvalidDevice);
    ck_assert_int_eq(cudaGetDeviceProperties(NULL, 0), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaGetDeviceProperties(&p, 0), cudaSuccess);
    ck_assert_int_gt(strlen(p.name), 0);
    ck_assert_int_eq(p.warpSize, 32);
    struct { enum cudaDeviceAttr a; int want; } pairs[] = {
        {cudaDevAttrMaxThreadsPerBlock, p.maxThreadsPerBlock},
        {cudaDevAttrMaxBlockDimX, p.maxThreadsDim[0]},
        {cudaDevAttrMaxGridDimY, p.maxGridSize[1]},
        {cudaDevAttrMultiProcessorCount, p.multiProcessorCount},
        {cudaDevAttrComputeCapabilityMajor, p.major},
        {cudaDevAttrComputeCapabilityMinor, p.minor},
        {cudaDevAttrWarpSize, p.warpSize},
        {cudaDevAttrMaxSharedMemoryPerBlock, (int)p.sharedMemPerBlock},
        {cudaDevAttrMaxSharedMemoryPerBlockOptin, (int)p.sharedMemPerBlockOptin},
        {cudaDevAttrL2CacheSize, p.l2CacheSize},
        {cudaDevAttrUnifiedAddressing, p.unifiedAddressing},
        {cudaDevAttrManagedMemory, p.managedMemory},
        {cudaDevAttrPciBusId, p.pciBusID},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        int v = -12345;
        ck_assert_int_eq(cudaDeviceGetAttribute(&v, pairs[i].a, 0), cudaSuccess);
        ck_assert_msg(v == pairs[i].want, "attribute %d: %d, properties say %d", pairs[i].a, v,
                      pairs[i].want);
    }
    int v;
    ck_assert_int_eq(cudaDeviceGetAttribute(&v, (enum cudaDeviceAttr)9999, 0), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaDeviceGetAttribute(&v, cudaDevAttrWarpSize, 99), cudaErrorInvalidDevice);
    ck_assert_int_eq(cudaDeviceGetAttribute(NULL, cudaDevAttrWarpSize, 0), cudaErrorInvalidValue);
}
END_TEST

START_TEST(cuda12_properties)
{
    load();
    cudaError_t (*props12)(struct cudaDeviceProp12 *, int) =
        (cudaError_t(*)(struct cudaDeviceProp12 *, int))sym12("cudaGetDeviceProperties_v2");
    struct cudaDeviceProp p13;
    struct cudaDeviceProp12 p12;
    memset(&p12, 0xab, sizeof p12);
    ck_assert_int_eq(cudaGetDeviceProperties(&p13, 0), cudaSuccess);
    ck_assert_int_eq(props12(&p12, 0), cudaSuccess);
    ck_assert_str_eq(p12.name, p13.name);
    ck_assert_int_eq(p12.maxThreadsPerBlock, p13.maxThreadsPerBlock);
    ck_assert_int_eq(p12.multiProcessorCount, p13.multiProcessorCount);
    ck_assert_int_eq(p12.unifiedFunctionPointers, p13.unifiedFunctionPointers);
    int clock = 0;
    ck_assert_int_eq(cudaDeviceGetAttribute(&clock, cudaDevAttrClockRate, 0), cudaSuccess);
    ck_assert_int_eq(p12.clockRate, clock);
    ck_assert_int_eq(p12.reserved[62], 0);
}
END_TEST

START_TEST(limits)
{
    load();
    size_t v = 0;
    ck_assert_int_eq(cudaDeviceSetLimit(cudaLimitMallocHeapSize, 64u << 20), cudaSuccess);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitMallocHeapSize), cudaSuccess);
    ck_assert_uint_eq(v, 64u << 20);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, (enum cudaLimit)99), cudaErrorUnsupportedLimit);
    ck_assert_int_eq(cudaGetLastError(), cudaErrorUnsupportedLimit);
    ck_assert_int_eq(cudaDeviceSetLimit((enum cudaLimit)-1, 1), cudaErrorUnsupportedLimit);
    ck_assert_int_eq(cudaDeviceGetLimit(NULL, cudaLimitStackSize), cudaErrorInvalidValue);
    /* Defaults CUDA documents. */
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitStackSize), cudaSuccess);
    ck_assert_uint_eq(v, 1024);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitPrintfFifoSize), cudaSuccess);
    ck_assert_uint_eq(v, 1u << 20);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitMaxL2FetchGranularity), cudaSuccess);
    ck_assert_uint_eq(v, 64);
    /* No dynamic parallelism: its limits do not exist, for reading or setting, and a
     * refused read leaves the output alone. */
    v = 77;
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitDevRuntimeSyncDepth), cudaErrorUnsupportedLimit);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitDevRuntimePendingLaunchCount),
                     cudaErrorUnsupportedLimit);
    ck_assert_uint_eq(v, 77);
    ck_assert_int_eq(cudaDeviceSetLimit(cudaLimitDevRuntimeSyncDepth, 4), cudaErrorUnsupportedLimit);
    ck_assert_int_eq(cudaDeviceSetLimit(cudaLimitDevRuntimePendingLaunchCount, 4096),
                     cudaErrorUnsupportedLimit);
    /* The stack: kept as set, large values included (programs ask for tens of MiB). */
    ck_assert_int_eq(cudaDeviceSetLimit(cudaLimitStackSize, 50u << 20), cudaSuccess);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitStackSize), cudaSuccess);
    ck_assert_uint_eq(v, 50u << 20);
    ck_assert_int_eq(cudaDeviceSetLimit(cudaLimitPrintfFifoSize, 3u << 20), cudaSuccess);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitPrintfFifoSize), cudaSuccess);
    ck_assert_uint_eq(v, 3u << 20);
    /* L2 fetch granularity: a hint clamped into 0..128 bytes and to a power of two. */
    ck_assert_int_eq(cudaDeviceSetLimit(cudaLimitMaxL2FetchGranularity, 100), cudaSuccess);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitMaxL2FetchGranularity), cudaSuccess);
    ck_assert_uint_eq(v, 64);
    ck_assert_int_eq(cudaDeviceSetLimit(cudaLimitMaxL2FetchGranularity, 4096), cudaSuccess);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitMaxL2FetchGranularity), cudaSuccess);
    ck_assert_uint_eq(v, 128);
    ck_assert_int_eq(cudaDeviceSetLimit(cudaLimitMaxL2FetchGranularity, 0), cudaSuccess);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitMaxL2FetchGranularity), cudaSuccess);
    ck_assert_uint_eq(v, 0);
    /* Persisting L2: clamped to the device's maximum. */
    int persist_max = -1;
    ck_assert_int_eq(cudaDeviceGetAttribute(&persist_max, cudaDevAttrMaxPersistingL2CacheSize, 0),
                     cudaSuccess);
    ck_assert_int_eq(cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, (size_t)persist_max + 4096),
                     cudaSuccess);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitPersistingL2CacheSize), cudaSuccess);
    ck_assert_uint_eq(v, (size_t)persist_max);
    /* A reset brings the defaults back. */
    ck_assert_int_eq(cudaDeviceReset(), cudaSuccess);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitStackSize), cudaSuccess);
    ck_assert_uint_eq(v, 1024);
    ck_assert_int_eq(cudaDeviceGetLimit(&v, cudaLimitPrintfFifoSize), cudaSuccess);
    ck_assert_uint_eq(v, 1u << 20);
}
END_TEST

/* ---- memory -------------------------------------------------------------------------- */

START_TEST(memory_round_trip)
{
    load();
    int host[256], back[256];
    for (int i = 0; i < 256; i++)
        host[i] = i * 3 + 1;
    int *d = NULL, *d2 = NULL;
    ck_assert_int_eq(cudaMalloc((void **)&d, sizeof host), cudaSuccess);
    ck_assert_int_eq(cudaMalloc((void **)&d2, sizeof host), cudaSuccess);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(cudaMemcpy(d, host, sizeof host, cudaMemcpyHostToDevice), cudaSuccess);
    ck_assert_int_eq(cudaMemcpy(d2, d, sizeof host, cudaMemcpyDefault), cudaSuccess);
    memset(back, 0, sizeof back);
    ck_assert_int_eq(cudaMemcpy(back, d2, sizeof back, cudaMemcpyDeviceToHost), cudaSuccess);
    ck_assert_mem_eq(back, host, sizeof host);
    /* Device pointer arithmetic on the host. */
    ck_assert_int_eq(cudaMemcpy(back, d + 10, sizeof(int), cudaMemcpyDeviceToHost), cudaSuccess);
    ck_assert_int_eq(back[0], 31);
    ck_assert_int_eq(cudaMemset(d, 0x01, 8), cudaSuccess);
    ck_assert_int_eq(cudaMemcpy(back, d, 8, cudaMemcpyDeviceToHost), cudaSuccess);
    ck_assert_int_eq(back[0], 0x01010101);
    /* Host to host. */
    int a = 5, b = 0;
    ck_assert_int_eq(cudaMemcpy(&b, &a, sizeof a, cudaMemcpyHostToHost), cudaSuccess);
    ck_assert_int_eq(b, 5);
    /* Errors. */
    ck_assert_int_eq(cudaMemcpy(d, host, sizeof host, (enum cudaMemcpyKind)42),
                     cudaErrorInvalidMemcpyDirection);
    ck_assert_int_eq(cudaMemcpy(d, host, sizeof host + 4, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaMemcpy(host, host, 4, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaMemset(host, 0, 4), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaFree(host), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaFree(d + 1), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaFree(NULL), cudaSuccess);
    ck_assert_int_eq(cudaFree(d), cudaSuccess);
    ck_assert_int_eq(cudaFree(d), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaFree(d2), cudaSuccess);
}
END_TEST

START_TEST(pointer_attributes)
{
    load();
    void *d = NULL, *h = NULL;
    int stack = 0;
    struct cudaPointerAttributes pa;
    ck_assert_int_eq(cudaMalloc(&d, 64), cudaSuccess);
    ck_assert_int_eq(cudaMallocHost(&h, 64), cudaSuccess);
    ck_assert_int_eq(cudaPointerGetAttributes(&pa, (char *)d + 8), cudaSuccess);
    ck_assert_int_eq(pa.type, cudaMemoryTypeDevice);
    ck_assert_ptr_eq(pa.devicePointer, (char *)d + 8);
    ck_assert_int_eq(cudaPointerGetAttributes(&pa, h), cudaSuccess);
    ck_assert_int_eq(pa.type, cudaMemoryTypeHost);
    ck_assert_ptr_eq(pa.hostPointer, h);
    ck_assert_int_eq(cudaPointerGetAttributes(&pa, &stack), cudaSuccess);
    ck_assert_int_eq(pa.type, cudaMemoryTypeUnregistered);
    ck_assert_int_eq(cudaFreeHost(d), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaFreeHost(h), cudaSuccess);
    ck_assert_int_eq(cudaFree(d), cudaSuccess);
    /* The CUDA 12 entry point writes only the 24 bytes of its smaller struct. */
    cudaError_t (*pga12)(void *, const void *) =
        (cudaError_t(*)(void *, const void *))sym12("cudaPointerGetAttributes");
    unsigned char buf[64];
    memset(buf, 0xee, sizeof buf);
    ck_assert_int_eq(pga12(buf, &stack), cudaSuccess);
    ck_assert_int_eq(buf[24], 0xee);
}
END_TEST

START_TEST(managed_memory)
{
    load();
    int *m = NULL;
    cudaError_t e = cudaMallocManaged((void **)&m, 16 * sizeof(int), cudaMemAttachGlobal);
    ck_assert_int_eq(e, cudaSuccess);
    for (int i = 0; i < 16; i++)
        m[i] = i;
    int back[16];
    ck_assert_int_eq(cudaMemcpy(back, m, sizeof back, cudaMemcpyDefault), cudaSuccess);
    ck_assert_int_eq(back[15], 15);
    ck_assert_int_eq(cudaMallocManaged((void **)&m, 16, 99), cudaErrorInvalidValue);
}
END_TEST

/* ---- streams and events -------------------------------------------------------------- */

START_TEST(streams_and_events)
{
    load();
    cudaStream_t s;
    cudaEvent_t a, b;
    float ms = -1;
    ck_assert_int_eq(cudaStreamCreate(&s), cudaSuccess);
    ck_assert_int_eq(cudaEventCreate(&a), cudaSuccess);
    ck_assert_int_eq(cudaEventCreate(&b), cudaSuccess);
    ck_assert_int_eq(cudaEventElapsedTime(&ms, a, b), cudaErrorInvalidResourceHandle);
    ck_assert_int_eq(cudaEventRecord(a, s), cudaSuccess);
    /* Work runs asynchronously: the stream is idle once its only record completed. */
    ck_assert_int_eq(cudaEventSynchronize(a), cudaSuccess);
    ck_assert_int_eq(cudaStreamQuery(s), cudaSuccess);
    ck_assert_int_eq(cudaEventRecord(b, s), cudaSuccess);
    ck_assert_int_eq(cudaEventSynchronize(b), cudaSuccess);
    ck_assert_int_eq(cudaEventElapsedTime(&ms, a, b), cudaSuccess);
    ck_assert_float_ge(ms, 0.0f);
    ck_assert_int_eq(cudaStreamSynchronize(s), cudaSuccess);
    ck_assert_int_eq(cudaStreamSynchronize(NULL), cudaSuccess);
    ck_assert_int_eq(cudaStreamDestroy(s), cudaSuccess);
    ck_assert_int_eq(cudaStreamDestroy(s), cudaErrorInvalidResourceHandle);
    ck_assert_int_eq(cudaStreamSynchronize(s), cudaErrorInvalidResourceHandle);
    ck_assert_int_eq(cudaEventDestroy(a), cudaSuccess);
    ck_assert_int_eq(cudaEventDestroy(a), cudaErrorInvalidResourceHandle);
    ck_assert_int_eq(cudaEventDestroy(b), cudaSuccess);
}
END_TEST

/* ---- registration, launch, symbols ---------------------------------------------------- */

static const char test_ptx[] =
    ".version 8.0\n.target sm_75\n.address_size 64\n"
    ".visible .global .align 4 .u32 gv = 7;\n"
    ".visible .const .align 4 .b8 cv[16];\n"
    ".visible .entry k(.param .u64 p)\n{\n\tret;\n}\n";

/* A fatbin wrapper around one uncompressed PTX entry, laid out as nvcc does. */
static struct { uint32_t magic, version; const void *data; const void *prelinked; } wrapper;
static unsigned char container[16 + 64 + sizeof test_ptx];

static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static void **register_test_module(int *host_fun, char *gv_shadow, char *cv_shadow)
{
    memset(container, 0, sizeof container);
    put32(container, 0xBA55ED50u);
    put16(container + 4, 1);
    put16(container + 6, 16);
    put64(container + 8, 64 + sizeof test_ptx);
    unsigned char *e = container + 16;
    put16(e, 1);
    put16(e + 2, 0x0101);
    put32(e + 4, 64);
    put64(e + 8, sizeof test_ptx);
    put16(e + 0x18, 0);
    put16(e + 0x1a, 8);
    put32(e + 0x1c, 75);
    put64(e + 0x28, 0x11);
    memcpy(e + 64, test_ptx, sizeof test_ptx);
    wrapper.magic = 0x466243B1u;
    wrapper.version = 1;
    wrapper.data = container;
    void **h = __cudaRegisterFatBinary(&wrapper);
    ck_assert_ptr_nonnull(h);
    __cudaRegisterFunction(h, (const char *)host_fun, (char *)"k", "k", -1, NULL, NULL, NULL, NULL, NULL);
    __cudaRegisterVar(h, gv_shadow, (char *)"gv", "gv", 0, 4, 0, 0);
    __cudaRegisterVar(h, cv_shadow, (char *)"cv", "cv", 0, 16, 1, 0);
    __cudaRegisterFatBinaryEnd(h);
    return h;
}

START_TEST(launch_configuration_errors)
{
    load();
    static int host_fun;
    static char gv[4], cv[16];
    register_test_module(&host_fun, gv, cv);
    cudaKernel_t k = NULL;
    ck_assert_int_eq(__cudaGetKernel(&k, &gv), cudaErrorInvalidDeviceFunction);
    ck_assert_int_eq(__cudaGetKernel(&k, &host_fun), cudaSuccess);
    unsigned long long arg = 0;
    void *args[] = {&arg};
    dim3 one = {1, 1, 1}, big = {2048, 1, 1}, zero = {0, 1, 1};
    ck_assert_int_eq(__cudaLaunchKernel(k, one, big, args, 0, NULL), cudaErrorInvalidConfiguration);
    ck_assert_int_eq(cudaGetLastError(), cudaErrorInvalidConfiguration);
    ck_assert_int_eq(__cudaLaunchKernel(k, zero, one, args, 0, NULL), cudaErrorInvalidConfiguration);
    ck_assert_int_eq(__cudaLaunchKernel((cudaKernel_t)&arg, one, one, args, 0, NULL),
                     cudaErrorInvalidDeviceFunction);
    ck_assert_int_eq(__cudaLaunchKernel(k, one, one, args, 0, (cudaStream_t)&arg),
                     cudaErrorInvalidResourceHandle);
    /* The <<<>>> configuration stack. */
    dim3 g, b;
    size_t shm = 1;
    cudaStream_t s = (cudaStream_t)&arg;
    ck_assert_uint_eq(__cudaPushCallConfiguration(big, one, 12, NULL), 0);
    ck_assert_int_eq(__cudaPopCallConfiguration(&g, &b, &shm, &s), cudaSuccess);
    ck_assert_uint_eq(g.x, 2048);
    ck_assert_uint_eq(shm, 12);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(__cudaPopCallConfiguration(&g, &b, &shm, &s), cudaErrorMissingConfiguration);
}
END_TEST

/* Occupancy from the device's per-SM limits and the kernel's attributes. */
START_TEST(occupancy)
{
    load();
    static int host_fun;
    static char gv[4], cv[16];
    register_test_module(&host_fun, gv, cv);
    int threads_sm = 0, blocks_sm = 0, smem_sm = 0;
    ck_assert_int_eq(cudaDeviceGetAttribute(&threads_sm, cudaDevAttrMaxThreadsPerMultiProcessor, 0),
                     cudaSuccess);
    ck_assert_int_eq(cudaDeviceGetAttribute(&blocks_sm, cudaDevAttrMaxBlocksPerMultiprocessor, 0),
                     cudaSuccess);
    ck_assert_int_eq(cudaDeviceGetAttribute(&smem_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, 0),
                     cudaSuccess);
    struct cudaFuncAttributes fa;
    ck_assert_int_eq(cudaFuncGetAttributes(&fa, &host_fun), cudaSuccess);
    ck_assert_uint_eq(fa.sharedSizeBytes, 0);
    int n = -1;
    /* Threads: blocks of 256 fill the SM's threads (when blocks per SM allow). */
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(&n, &host_fun, 256, 0, 0),
                     cudaSuccess);
    ck_assert_int_eq(n, threads_sm / 256 < blocks_sm ? threads_sm / 256 : blocks_sm);
    /* A block is counted in whole warps: 65 threads take three. */
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(&n, &host_fun, 65, 0, 0),
                     cudaSuccess);
    ck_assert_int_eq(n, threads_sm / 96 < blocks_sm ? threads_sm / 96 : blocks_sm);
    /* Shared memory: 40 KiB per block. */
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(&n, &host_fun, 32,
                                                                            40u << 10, 0),
                     cudaSuccess);
    ck_assert_int_eq(n, smem_sm / (40 << 10));
    /* Beyond what a launch may have: 0 blocks, not an error. */
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
                         &n, &host_fun, 32, (size_t)fa.maxDynamicSharedSizeBytes + 1, 0),
                     cudaSuccess);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
                         &n, &host_fun, fa.maxThreadsPerBlock + 1, 0, 0),
                     cudaSuccess);
    ck_assert_int_eq(n, 0);
    /* Raising the kernel's dynamic limit raises what fits. */
    ck_assert_int_eq(cudaFuncSetAttribute(&host_fun, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          96 << 10),
                     cudaSuccess);
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(&n, &host_fun, 32,
                                                                            96u << 10, 0),
                     cudaSuccess);
    ck_assert_int_eq(n, smem_sm / (96 << 10));
    /* Argument errors. */
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(&n, &host_fun, 0, 0, 0),
                     cudaErrorInvalidValue);
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(&n, &host_fun, 32, 0, 2),
                     cudaErrorInvalidValue);
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(NULL, &host_fun, 32, 0, 0),
                     cudaErrorInvalidValue);
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(&n, gv, 32, 0, 0),
                     cudaErrorInvalidDeviceFunction);
    /* Dynamic shared memory for 4 resident blocks: the SM's quarter, within the
     * kernel's limit; 4 blocks then fit. */
    size_t avail = 0;
    ck_assert_int_eq(cudaOccupancyAvailableDynamicSMemPerBlock(&avail, &host_fun, 4, 128), cudaSuccess);
    ck_assert_uint_eq(avail, (size_t)smem_sm / 4 < (96u << 10) ? (size_t)smem_sm / 4 : 96u << 10);
    ck_assert_int_eq(cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(&n, &host_fun, 128, avail, 0),
                     cudaSuccess);
    ck_assert_int_ge(n, 4);
    ck_assert_int_eq(cudaOccupancyAvailableDynamicSMemPerBlock(&avail, &host_fun, blocks_sm + 1, 32),
                     cudaErrorInvalidValue);
    ck_assert_int_eq(cudaOccupancyAvailableDynamicSMemPerBlock(&avail, &host_fun, 0, 32),
                     cudaErrorInvalidValue);
    /* No clusters on this device. */
    cudaLaunchConfig_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.gridDim.x = cfg.gridDim.y = cfg.gridDim.z = 1;
    cfg.blockDim = cfg.gridDim;
    ck_assert_int_eq(cudaOccupancyMaxPotentialClusterSize(&n, &host_fun, &cfg), cudaErrorNotSupported);
    ck_assert_int_eq(cudaOccupancyMaxActiveClusters(&n, &host_fun, &cfg), cudaErrorNotSupported);
    ck_assert_int_eq(cudaOccupancyMaxActiveClusters(NULL, &host_fun, &cfg), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaOccupancyMaxPotentialClusterSize(&n, gv, &cfg), cudaErrorInvalidDeviceFunction);
}
END_TEST

START_TEST(malformed_fatbin)
{
    load();
    static int host_fun;
    static struct { uint32_t magic, version; const void *data; const void *prelinked; } bad = {
        0x12345678u, 1, NULL, NULL};
    void **h = __cudaRegisterFatBinary(&bad);
    __cudaRegisterFunction(h, (const char *)&host_fun, (char *)"k", "k", -1, NULL, NULL, NULL, NULL, NULL);
    __cudaRegisterFatBinaryEnd(h);
    cudaKernel_t k = NULL;
    ck_assert_int_eq(__cudaGetKernel(&k, &host_fun), cudaSuccess);
    dim3 one = {1, 1, 1};
    void *args[] = {NULL};
    ck_assert_int_eq(__cudaLaunchKernel(k, one, one, args, 0, NULL), cudaErrorInvalidKernelImage);
}
END_TEST

START_TEST(symbol_copies)
{
    load();
    static int host_fun;
    static char gv[4], cv[16];
    register_test_module(&host_fun, gv, cv);
    unsigned v = 0;
    ck_assert_int_eq(cudaMemcpyFromSymbol(&v, gv, 4, 0, cudaMemcpyDeviceToHost), cudaSuccess);
    ck_assert_uint_eq(v, 7);   /* the PTX initialiser */
    unsigned char in[16], out[16];
    for (int i = 0; i < 16; i++)
        in[i] = (unsigned char)(i + 100);
    ck_assert_int_eq(cudaMemcpyToSymbol(cv, in, 16, 0, cudaMemcpyHostToDevice), cudaSuccess);
    ck_assert_int_eq(cudaMemcpyFromSymbol(out, cv, 8, 8, cudaMemcpyDeviceToHost), cudaSuccess);
    ck_assert_mem_eq(out, in + 8, 8);
    size_t size = 0;
    ck_assert_int_eq(cudaGetSymbolSize(&size, cv), cudaSuccess);
    ck_assert_uint_eq(size, 16);
    ck_assert_int_eq(cudaMemcpyToSymbol(cv, in, 16, 4, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
    ck_assert_int_eq(cudaMemcpyToSymbol(&v, in, 4, 0, cudaMemcpyHostToDevice), cudaErrorInvalidSymbol);
    ck_assert_int_eq(cudaMemcpyToSymbol(cv, in, 4, 0, cudaMemcpyDeviceToHost),
                     cudaErrorInvalidMemcpyDirection);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, error_strings);
    tcase_add_test(tc, last_error_semantics);
    tcase_add_test(tc, unknown_backend);
    tcase_add_test(tc, unsupported_call);
    tcase_add_test(tc, properties_match_attributes);
    tcase_add_test(tc, cuda12_properties);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, memory_round_trip);
    tcase_add_test(tc, pointer_attributes);
    tcase_add_test(tc, managed_memory);
    tcase_add_test(tc, streams_and_events);
    tcase_add_test(tc, launch_configuration_errors);
    tcase_add_test(tc, occupancy);
    tcase_add_test(tc, malformed_fatbin);
    tcase_add_test(tc, symbol_copies);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(api_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
