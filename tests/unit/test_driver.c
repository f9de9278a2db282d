/* test_driver.c: the driver library as a program (or NVIDIA's static runtime) sees it,
 * through the built libcuda.so.1 dlopen'ed in each test's own process: cuGetProcAddress
 * picking ABI variants by version and per-thread flag, the unsupported path, export
 * tables and the integrity check, contexts, memory, and the driver and runtime sharing
 * one state. MD2 and HMAC-MD2 are checked against RFC 1319's digests and an
 * independent computation. */
#include <check.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/driver_md2.h"
#include "shim/driver_types.h"

#ifndef DRIVER_LIBRARY
#define DRIVER_LIBRARY "shim/libcuda.so.1"
#endif

static void *lib;

typedef CUresult (*get_proc_fn)(const char *, void **, int, cuuint64_t,
                                CUdriverProcAddressQueryResult *);

static void *sym(const char *name)
{
    void *p = dlsym(lib, name);
    ck_assert_msg(p != NULL, "%s is not exported: %s", name, dlerror());
    return p;
}

static void setup(void)
{
    lib = dlopen(DRIVER_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(lib != NULL, "dlopen(%s): %s", DRIVER_LIBRARY, dlerror());
}

static void teardown(void) {}

static void *proc(const char *name, int version, cuuint64_t flags, CUresult *r,
                  CUdriverProcAddressQueryResult *status)
{
    get_proc_fn get = (get_proc_fn)sym("cuGetProcAddress_v2");
    void *fn = (void *)1;
    *r = get(name, &fn, version, flags, status);
    return fn;
}

START_TEST(proc_address_selects_variant_by_version)
{
    CUresult r;
    CUdriverProcAddressQueryResult st = 99;
    ck_assert_ptr_eq(proc("cuMemAlloc", 3020, 0, &r, &st), sym("cuMemAlloc_v2"));
    ck_assert_int_eq(r, CUDA_SUCCESS);
    ck_assert_int_eq(st, CU_GET_PROC_ADDRESS_SUCCESS);
    ck_assert_ptr_eq(proc("cuMemAlloc", 13000, 0, &r, &st), sym("cuMemAlloc_v2"));
    ck_assert_ptr_eq(proc("cuMemAlloc", 2000, 0, &r, &st), sym("cuMemAlloc"));
    ck_assert_ptr_eq(proc("cuCtxSynchronize", 12080, 0, &r, &st), sym("cuCtxSynchronize"));
    ck_assert_ptr_eq(proc("cuCtxSynchronize", 13000, 0, &r, &st), sym("cuCtxSynchronize_v2"));
    ck_assert_ptr_eq(proc("cuCtxCreate", 12050, 0, &r, &st), sym("cuCtxCreate_v4"));
    ck_assert_ptr_eq(proc("cuGetProcAddress", 12000, 0, &r, &st), sym("cuGetProcAddress_v2"));
}
END_TEST

START_TEST(proc_address_per_thread_flag)
{
    CUresult r;
    CUdriverProcAddressQueryResult st;
    ck_assert_ptr_eq(proc("cuMemcpyHtoD", 13000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM,
                          &r, &st), sym("cuMemcpyHtoD_v2_ptds"));
    ck_assert_ptr_eq(proc("cuLaunchKernel", 13000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM,
                          &r, &st), sym("cuLaunchKernel_ptsz"));
    ck_assert_ptr_eq(proc("cuLaunchKernel", 13000, CU_GET_PROC_ADDRESS_LEGACY_STREAM, &r, &st),
                     sym("cuLaunchKernel"));
    /* No per-thread twin: the default variant. */
    ck_assert_ptr_eq(proc("cuInit", 13000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &r, &st),
                     sym("cuInit"));
}
END_TEST

START_TEST(proc_address_misses)
{
    CUresult r;
    CUdriverProcAddressQueryResult st;
    ck_assert_ptr_null(proc("", 13000, 0, &r, &st));
    ck_assert_int_eq(r, CUDA_ERROR_NOT_FOUND);
    ck_assert_int_eq(st, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
    ck_assert_ptr_null(proc("cuNoSuchFunction", 13000, 0, &r, &st));
    ck_assert_int_eq(st, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
    ck_assert_ptr_null(proc("cuLibraryLoadData", 11080, 0, &r, &st));
    ck_assert_int_eq(r, CUDA_ERROR_NOT_FOUND);
    ck_assert_int_eq(st, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
    get_proc_fn get = (get_proc_fn)sym("cuGetProcAddress_v2");
    ck_assert_int_eq(get("cuInit", NULL, 13000, 0, NULL), CUDA_ERROR_INVALID_VALUE);
    void *fn;
    ck_assert_int_eq(get("cuInit", &fn, 13000, 8, NULL), CUDA_ERROR_INVALID_VALUE);
}
END_TEST

/* Every export resolves through cuGetProcAddress: an unsupported one returns 801 and
 * says so once, naming itself. */
START_TEST(unsupported_is_801_and_logged_once)
{
    char path[] = "/tmp/cushim-drv-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    CUresult r;
    CUdriverProcAddressQueryResult st;
    CUresult (*fn)(void) = (CUresult (*)(void))proc("cuArrayCreate", 13000, 0, &r, &st);
    ck_assert_int_eq(r, CUDA_SUCCESS);
    ck_assert_ptr_eq((void *)fn, sym("cuArrayCreate_v2"));
    CUresult first = fn(), second = fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char log[4096] = "";
    ssize_t n = pread(fd, log, sizeof log - 1, 0);
    close(fd);
    unlink(path);
    log[n > 0 ? n : 0] = '\0';
    ck_assert_int_eq(first, CUDA_ERROR_NOT_SUPPORTED);
    ck_assert_int_eq(second, CUDA_ERROR_NOT_SUPPORTED);
    const char *msg = "cuArrayCreate_v2 is not supported by cushim; it returns "
                      "CUDA_ERROR_NOT_SUPPORTED";
    char *at = strstr(log, msg);
    ck_assert_msg(at != NULL, "no message naming the function in: %s", log);
    ck_assert_msg(strstr(at + 1, msg) == NULL, "message repeated: %s", log);
}
END_TEST

typedef CUresult (*export_fn)(const void **, const CUuuid *);

static const void *export_table(const uint8_t uuid[16], CUresult *r)
{
    CUuuid id;
    memcpy(&id, uuid, 16);
    const void *t = (const void *)1;
    *r = ((export_fn)sym("cuGetExportTable"))(&t, &id);
    return t;
}

START_TEST(export_tables_and_integrity)
{
    static const uint8_t integrity[16] = {0xd4, 0x08, 0x20, 0x55, 0xbd, 0xe6, 0x70, 0x4b,
                                          0x8d, 0x34, 0xba, 0x12, 0x3c, 0x66, 0xe1, 0xf2};
    static const uint8_t unknown[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    CUresult r;
    void *const *t = export_table(integrity, &r);
    ck_assert_int_eq(r, CUDA_SUCCESS);
    ck_assert_uint_ge((uintptr_t)t[0], 2 * sizeof(void *));   /* size word */
    typedef CUresult (*check_fn)(uint32_t, uint64_t, uint64_t *);
    uint64_t out[2] = {0, 0};
    ck_assert_int_eq(((check_fn)t[1])(13000, 1700000000, out), CUDA_SUCCESS);
    ck_assert_uint_eq(out[0], 0x3341181C03CB675CULL);
    ck_assert_uint_eq(out[1], 0x8ED383AA1F4CD1E8ULL);
    ck_assert_int_eq(((check_fn)t[1])(13001, 1700000000, out), CUDA_SUCCESS);
    ck_assert_uint_eq(out[0], 0x1841181C03CB675CULL);
    /* The hashed variant needs cuInit, and a version the runtime could send. */
    ck_assert_int_eq(((CUresult (*)(unsigned))sym("cuInit"))(0), CUDA_SUCCESS);
    uint64_t a[2], b[2];
    ck_assert_int_eq(((check_fn)t[1])(13002, 1700000000, a), CUDA_SUCCESS);
    ck_assert_int_eq(((check_fn)t[1])(13002, 1700000001, b), CUDA_SUCCESS);
    ck_assert_msg(a[0] != b[0] || a[1] != b[1], "the digest ignores the time");
    ck_assert_int_eq(((check_fn)t[1])(99002, 1700000000, a), CUDA_ERROR_NOT_SUPPORTED);
    ck_assert_ptr_null(export_table(unknown, &r));
    ck_assert_int_eq(r, CUDA_ERROR_INVALID_VALUE);
}
END_TEST

START_TEST(context_local_storage)
{
    static const uint8_t cls_id[16] = {0xc6, 0x93, 0x33, 0x6e, 0x11, 0x21, 0xdf, 0x11,
                                       0xa8, 0xc3, 0x68, 0xf3, 0x55, 0xd8, 0x95, 0x93};
    ck_assert_int_eq(((CUresult (*)(unsigned))sym("cuInit"))(0), CUDA_SUCCESS);
    CUcontext ctx;
    ck_assert_int_eq(((CUresult (*)(CUcontext *, CUdevice))sym("cuDevicePrimaryCtxRetain"))(&ctx, 0),
                     CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUcontext))sym("cuCtxSetCurrent"))(ctx), CUDA_SUCCESS);
    CUresult r;
    void *const *t = export_table(cls_id, &r);
    ck_assert_int_eq(r, CUDA_SUCCESS);
    CUresult (*put)(CUcontext, void *, void *, void *) = (CUresult (*)(CUcontext, void *, void *, void *))t[0];
    CUresult (*del)(CUcontext, void *) = (CUresult (*)(CUcontext, void *))t[1];
    CUresult (*get)(void **, CUcontext, void *) = (CUresult (*)(void **, CUcontext, void *))t[2];
    int key, value;
    void *got = NULL;
    ck_assert_int_eq(get(&got, NULL, &key), CUDA_ERROR_INVALID_HANDLE);
    ck_assert_int_eq(put(NULL, &key, &value, NULL), CUDA_SUCCESS);
    ck_assert_int_eq(get(&got, ctx, &key), CUDA_SUCCESS);
    ck_assert_ptr_eq(got, &value);
    ck_assert_int_eq(del(ctx, &key), CUDA_SUCCESS);
    ck_assert_int_eq(get(&got, NULL, &key), CUDA_ERROR_INVALID_HANDLE);
}
END_TEST

/* Before cuInit every call but a few says so; without a context, calls that need one
 * say that. */
START_TEST(init_and_context_required)
{
    CUresult (*mem_alloc)(CUdeviceptr *, size_t) = (CUresult (*)(CUdeviceptr *, size_t))sym("cuMemAlloc_v2");
    CUresult (*count)(int *) = (CUresult (*)(int *))sym("cuDeviceGetCount");
    int n = -1, version = 0;
    ck_assert_int_eq(count(&n), CUDA_ERROR_NOT_INITIALIZED);
    ck_assert_int_eq(((CUresult (*)(int *))sym("cuDriverGetVersion"))(&version), CUDA_SUCCESS);
    ck_assert_int_eq(version, 13000);
    ck_assert_int_eq(((CUresult (*)(unsigned))sym("cuInit"))(1), CUDA_ERROR_INVALID_VALUE);
    ck_assert_int_eq(((CUresult (*)(unsigned))sym("cuInit"))(0), CUDA_SUCCESS);
    ck_assert_int_eq(count(&n), CUDA_SUCCESS);
    ck_assert_int_ge(n, 1);
    CUdeviceptr p;
    ck_assert_int_eq(mem_alloc(&p, 64), CUDA_ERROR_INVALID_CONTEXT);
    CUcontext ctx, cur = NULL;
    ck_assert_int_eq(((CUresult (*)(CUcontext *, unsigned, CUdevice))sym("cuCtxCreate_v2"))(&ctx, 0, 0),
                     CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUcontext *))sym("cuCtxGetCurrent"))(&cur), CUDA_SUCCESS);
    ck_assert_ptr_eq(cur, ctx);
    ck_assert_int_eq(mem_alloc(&p, 64), CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUdeviceptr))sym("cuMemFree_v2"))(p), CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUdeviceptr))sym("cuMemFree_v2"))(p), CUDA_ERROR_INVALID_VALUE);
    ck_assert_int_eq(((CUresult (*)(CUcontext))sym("cuCtxDestroy_v2"))(ctx), CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUcontext))sym("cuCtxDestroy_v2"))(ctx), CUDA_ERROR_INVALID_CONTEXT);
    ck_assert_int_eq(mem_alloc(&p, 64), CUDA_ERROR_INVALID_CONTEXT);
}
END_TEST

/* A pointer from the driver is memory the runtime knows, and the other way round. */
START_TEST(driver_and_runtime_share_state)
{
    ck_assert_int_eq(((CUresult (*)(unsigned))sym("cuInit"))(0), CUDA_SUCCESS);
    CUcontext ctx;
    ck_assert_int_eq(((CUresult (*)(CUcontext *, CUdevice))sym("cuDevicePrimaryCtxRetain"))(&ctx, 0),
                     CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUcontext))sym("cuCtxSetCurrent"))(ctx), CUDA_SUCCESS);
    CUdeviceptr p;
    ck_assert_int_eq(((CUresult (*)(CUdeviceptr *, size_t))sym("cuMemAlloc_v2"))(&p, 256), CUDA_SUCCESS);
    int (*rt_memcpy)(void *, const void *, size_t, int) =
        (int (*)(void *, const void *, size_t, int))sym("cudaMemcpy");
    int (*rt_free)(void *) = (int (*)(void *))sym("cudaFree");
    uint32_t in[64], out[64];
    for (int i = 0; i < 64; i++)
        in[i] = 0x1000u + (uint32_t)i;
    ck_assert_int_eq(rt_memcpy((void *)(uintptr_t)p, in, sizeof in, 1), 0);
    ck_assert_int_eq(((CUresult (*)(void *, CUdeviceptr, size_t))sym("cuMemcpyDtoH_v2"))(out, p, sizeof out),
                     CUDA_SUCCESS);
    ck_assert_int_eq(memcmp(in, out, sizeof in), 0);
    ck_assert_int_eq(((CUresult (*)(CUdeviceptr, unsigned, size_t))sym("cuMemsetD32_v2"))(p, 0xA1B2C3D4u, 64),
                     CUDA_SUCCESS);
    ck_assert_int_eq(rt_memcpy(out, (void *)(uintptr_t)p, sizeof out, 2), 0);
    for (int i = 0; i < 64; i++)
        ck_assert_uint_eq(out[i], 0xA1B2C3D4u);
    unsigned type = 0;
    ck_assert_int_eq(((CUresult (*)(void *, CUpointer_attribute, CUdeviceptr))sym("cuPointerGetAttribute"))(
                         &type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, p + 8), CUDA_SUCCESS);
    ck_assert_uint_eq(type, CU_MEMORYTYPE_DEVICE);
    ck_assert_int_eq(rt_free((void *)(uintptr_t)p), 0);
    /* An overrun is refused, as the runtime refuses it. */
    ck_assert_int_eq(((CUresult (*)(void *, CUdeviceptr, size_t))sym("cuMemcpyDtoH_v2"))(out, p, sizeof out),
                     CUDA_ERROR_INVALID_VALUE);
}
END_TEST

/* The primary context of device 0, current on this thread. */
static void primary_current(void)
{
    ck_assert_int_eq(((CUresult (*)(unsigned))sym("cuInit"))(0), CUDA_SUCCESS);
    CUcontext ctx;
    ck_assert_int_eq(((CUresult (*)(CUcontext *, CUdevice))sym("cuDevicePrimaryCtxRetain"))(&ctx, 0),
                     CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUcontext))sym("cuCtxSetCurrent"))(ctx), CUDA_SUCCESS);
}

/* cuCtxGetLimit/SetLimit need a context, and read and change the runtime's own values. */
START_TEST(context_limits)
{
    CUresult (*get)(size_t *, CUlimit) = (CUresult (*)(size_t *, CUlimit))sym("cuCtxGetLimit");
    CUresult (*set)(CUlimit, size_t) = (CUresult (*)(CUlimit, size_t))sym("cuCtxSetLimit");
    int (*rt_get)(size_t *, int) = (int (*)(size_t *, int))sym("cudaDeviceGetLimit");
    size_t v = 7;
    ck_assert_int_eq(((CUresult (*)(unsigned))sym("cuInit"))(0), CUDA_SUCCESS);
    ck_assert_int_eq(get(&v, 0 /* CU_LIMIT_STACK_SIZE */), CUDA_ERROR_INVALID_CONTEXT);
    primary_current();
    ck_assert_int_eq(get(&v, 0), CUDA_SUCCESS);
    ck_assert_uint_eq(v, 1024);
    ck_assert_int_eq(set(0, 4096), CUDA_SUCCESS);
    ck_assert_int_eq(get(&v, 0), CUDA_SUCCESS);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(rt_get(&v, 0 /* cudaLimitStackSize */), 0);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(set(1 /* CU_LIMIT_PRINTF_FIFO_SIZE */, 4u << 20), CUDA_SUCCESS);
    ck_assert_int_eq(rt_get(&v, 1), 0);
    ck_assert_uint_eq(v, 4u << 20);
    /* Device-side launches do not exist here, nor does an unknown limit. */
    v = 7;
    ck_assert_int_eq(get(&v, 3 /* CU_LIMIT_DEV_RUNTIME_SYNC_DEPTH */), CUDA_ERROR_UNSUPPORTED_LIMIT);
    ck_assert_uint_eq(v, 7);
    ck_assert_int_eq(set(0x7f, 1), CUDA_ERROR_UNSUPPORTED_LIMIT);
    ck_assert_int_eq(get(NULL, 0), CUDA_ERROR_INVALID_VALUE);
}
END_TEST

typedef CUresult (*launch_fn)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                              unsigned, unsigned, CUstream, void **, void **);

/* NVIDIA's runtime passes a host function it has no kernel for as the handle: that is
 * cudaErrorInvalidDeviceFunction's number (98), which the runtime hands the program;
 * any other bad handle is CUDA_ERROR_INVALID_HANDLE. */
START_TEST(launch_of_a_host_function)
{
    primary_current();
    launch_fn launch = (launch_fn)sym("cuLaunchKernel");
    ck_assert_int_eq(launch((CUfunction)(void *)primary_current, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL),
                     98);
    void *heap = malloc(64);
    ck_assert_ptr_nonnull(heap);
    ck_assert_int_eq(launch((CUfunction)heap, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL),
                     CUDA_ERROR_INVALID_HANDLE);
    free(heap);
    ck_assert_int_eq(launch(NULL, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL), CUDA_ERROR_INVALID_HANDLE);
}
END_TEST

/* A kernel that traps leaves the context unusable: every call on it returns
 * CUDA_ERROR_LAUNCH_FAILED until cuDevicePrimaryCtxReset; queries of the context itself
 * still answer. */
START_TEST(kernel_fault_is_sticky_until_reset)
{
    static const char ptx[] =
        ".version 7.0\n.target sm_50\n.address_size 64\n"
        ".visible .entry boom()\n{\n\ttrap;\n\tret;\n}\n";
    primary_current();
    CUmodule mod;
    CUfunction f;
    ck_assert_int_eq(((CUresult (*)(CUmodule *, const void *))sym("cuModuleLoadData"))(&mod, ptx),
                     CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUfunction *, CUmodule, const char *))sym("cuModuleGetFunction"))(
                         &f, mod, "boom"), CUDA_SUCCESS);
    launch_fn launch = (launch_fn)sym("cuLaunchKernel");
    CUresult (*sync)(void) = (CUresult (*)(void))sym("cuCtxSynchronize");
    CUresult (*mem_alloc)(CUdeviceptr *, size_t) = (CUresult (*)(CUdeviceptr *, size_t))sym("cuMemAlloc_v2");
    ck_assert_int_eq(launch(f, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL), CUDA_SUCCESS);
    ck_assert_int_eq(sync(), CUDA_ERROR_LAUNCH_FAILED);
    CUdeviceptr p = 0;
    ck_assert_int_eq(mem_alloc(&p, 64), CUDA_ERROR_LAUNCH_FAILED);
    ck_assert_int_eq(sync(), CUDA_ERROR_LAUNCH_FAILED);
    void *q = NULL;   /* the runtime says the same (cudaErrorLaunchFailure) */
    ck_assert_int_eq(((int (*)(void **, size_t))sym("cudaMalloc"))(&q, 64), 719);
    CUdevice dev = -1;
    ck_assert_int_eq(((CUresult (*)(CUdevice *))sym("cuCtxGetDevice"))(&dev), CUDA_SUCCESS);
    ck_assert_int_eq(dev, 0);
    ck_assert_int_eq(((CUresult (*)(CUdevice))sym("cuDevicePrimaryCtxReset_v2"))(0), CUDA_SUCCESS);
    primary_current();
    ck_assert_int_eq(mem_alloc(&p, 64), CUDA_SUCCESS);
    ck_assert_int_eq(sync(), CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUdeviceptr))sym("cuMemFree_v2"))(p), CUDA_SUCCESS);
}
END_TEST

/* Occupancy of a module function; the cluster queries check their arguments, then say
 * clusters are not supported (as cudaOccupancyMaxActiveClusters does) and leave the
 * output alone. */
START_TEST(occupancy_and_cluster_queries)
{
    static const char ptx[] =
        ".version 7.0\n.target sm_50\n.address_size 64\n"
        ".visible .entry noop()\n{\n\tret;\n}\n";
    primary_current();
    CUmodule mod;
    CUfunction f;
    ck_assert_int_eq(((CUresult (*)(CUmodule *, const void *))sym("cuModuleLoadData"))(&mod, ptx),
                     CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUfunction *, CUmodule, const char *))sym("cuModuleGetFunction"))(
                         &f, mod, "noop"), CUDA_SUCCESS);
    int blocks = -1;
    CUresult (*active)(int *, CUfunction, int, size_t) =
        (CUresult (*)(int *, CUfunction, int, size_t))sym("cuOccupancyMaxActiveBlocksPerMultiprocessor");
    ck_assert_int_eq(active(&blocks, f, 128, 0), CUDA_SUCCESS);
    ck_assert_int_ge(blocks, 1);
    ck_assert_int_eq(active(NULL, f, 128, 0), CUDA_ERROR_INVALID_VALUE);
    int min_grid = -1, block = -1;
    ck_assert_int_eq(((CUresult (*)(int *, int *, CUfunction, void *, size_t, int))sym(
                         "cuOccupancyMaxPotentialBlockSize"))(&min_grid, &block, f, NULL, 0, 0),
                     CUDA_SUCCESS);
    ck_assert_int_ge(block, 32);
    ck_assert_int_ge(min_grid, 1);

    typedef CUresult (*cluster_fn)(int *, CUfunction, const CUlaunchConfig *);
    static const char *const names[] = {"cuOccupancyMaxPotentialClusterSize",
                                        "cuOccupancyMaxActiveClusters"};
    CUlaunchConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.gridDimX = cfg.gridDimY = cfg.gridDimZ = 4;
    cfg.blockDimX = 64;
    cfg.blockDimY = cfg.blockDimZ = 1;
    void *heap = malloc(64);
    ck_assert_ptr_nonnull(heap);
    for (int i = 0; i < 2; i++) {
        cluster_fn q = (cluster_fn)sym(names[i]);
        int n = -1;
        ck_assert_int_eq(q(&n, f, NULL), CUDA_ERROR_INVALID_VALUE);
        ck_assert_int_eq(q(NULL, f, &cfg), CUDA_ERROR_INVALID_VALUE);
        ck_assert_int_eq(q(&n, (CUfunction)heap, &cfg), CUDA_ERROR_INVALID_HANDLE);
        ck_assert_int_eq(q(&n, f, &cfg), CUDA_ERROR_NOT_SUPPORTED);
        ck_assert_int_eq(n, -1);
    }
    free(heap);
}
END_TEST

/* Work submitted to a capturing stream is recorded, not run; the graph runs it when
 * launched. */
START_TEST(stream_capture_and_graph_launch)
{
    primary_current();
    CUstream s;
    ck_assert_int_eq(((CUresult (*)(CUstream *, unsigned))sym("cuStreamCreate"))(&s, 1), CUDA_SUCCESS);
    CUdeviceptr p;
    ck_assert_int_eq(((CUresult (*)(CUdeviceptr *, size_t))sym("cuMemAlloc_v2"))(&p, 64), CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUdeviceptr, unsigned char, size_t))sym("cuMemsetD8_v2"))(p, 0, 64),
                     CUDA_SUCCESS);
    CUresult (*is_capturing)(CUstream, CUstreamCaptureStatus *) =
        (CUresult (*)(CUstream, CUstreamCaptureStatus *))sym("cuStreamIsCapturing");
    CUresult (*dtoh)(void *, CUdeviceptr, size_t) = (CUresult (*)(void *, CUdeviceptr, size_t))sym("cuMemcpyDtoH_v2");
    CUstreamCaptureStatus st = -1;
    ck_assert_int_eq(is_capturing(s, &st), CUDA_SUCCESS);
    ck_assert_int_eq(st, 0 /* NONE */);
    ck_assert_int_eq(((CUresult (*)(CUstream, CUstreamCaptureMode))sym("cuStreamBeginCapture_v2"))(s, 2),
                     CUDA_SUCCESS);
    ck_assert_int_eq(is_capturing(s, &st), CUDA_SUCCESS);
    ck_assert_int_eq(st, 1 /* ACTIVE */);
    cuuint64_t id = 0;
    ck_assert_int_eq(((CUresult (*)(CUstream, CUstreamCaptureStatus *, cuuint64_t *))sym(
                         "cuStreamGetCaptureInfo"))(s, &st, &id), CUDA_SUCCESS);
    ck_assert_int_eq(st, 1);
    ck_assert_uint_ne(id, 0);
    ck_assert_int_eq(((CUresult (*)(CUdeviceptr, unsigned char, size_t, CUstream))sym("cuMemsetD8Async"))(
                         p, 0x5a, 64, s), CUDA_SUCCESS);
    CUgraph g = NULL;
    ck_assert_int_eq(((CUresult (*)(CUstream, CUgraph *))sym("cuStreamEndCapture"))(s, &g), CUDA_SUCCESS);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(is_capturing(s, &st), CUDA_SUCCESS);
    ck_assert_int_eq(st, 0);
    unsigned char out[64];
    ck_assert_int_eq(dtoh(out, p, sizeof out), CUDA_SUCCESS);
    ck_assert_uint_eq(out[0], 0);   /* captured, not run */
    CUgraphExec x = NULL;
    ck_assert_int_eq(((CUresult (*)(CUgraphExec *, CUgraph, unsigned long long))sym(
                         "cuGraphInstantiateWithFlags"))(&x, g, 0), CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUgraphExec, CUstream))sym("cuGraphLaunch"))(x, s), CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUstream))sym("cuStreamSynchronize"))(s), CUDA_SUCCESS);
    ck_assert_int_eq(dtoh(out, p, sizeof out), CUDA_SUCCESS);
    ck_assert_uint_eq(out[0], 0x5a);
    ck_assert_uint_eq(out[63], 0x5a);
    ck_assert_int_eq(((CUresult (*)(CUgraphExec))sym("cuGraphExecDestroy"))(x), CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUgraph))sym("cuGraphDestroy"))(g), CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUgraphExec *, CUgraph, unsigned long long))sym(
                         "cuGraphInstantiateWithFlags"))(NULL, g, 0), CUDA_ERROR_INVALID_VALUE);
    ck_assert_int_eq(((CUresult (*)(CUstream))sym("cuStreamDestroy_v2"))(s), CUDA_SUCCESS);
    ck_assert_int_eq(((CUresult (*)(CUdeviceptr))sym("cuMemFree_v2"))(p), CUDA_SUCCESS);
}
END_TEST

static void hex(const uint8_t *d, char *out)
{
    for (int i = 0; i < 16; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

START_TEST(md2_rfc1319_and_hmac)
{
    static const struct { const char *msg, *digest; } rfc[] = {
        {"", "8350e5a3e24c153df2275c9f80692773"},
        {"a", "32ec01ec4a6dac72c0ab96fb34c0b5d1"},
        {"abc", "da853b0d3f88d99b30283a69e6ded6bb"},
        {"message digest", "ab4f496bfb2a530b219ff33031fe06b0"},
        {"abcdefghijklmnopqrstuvwxyz", "4e8ddff3650292ab5a4108c3aa47940b"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "d5976f79d83d3a0dc9806c3c66f3efd8"},
    };
    char got[33];
    for (size_t i = 0; i < sizeof rfc / sizeof rfc[0]; i++) {
        uint8_t d[16];
        cushim__md2(rfc[i].msg, strlen(rfc[i].msg), d);
        hex(d, got);
        ck_assert_str_eq(got, rfc[i].digest);
    }
    /* HMAC-MD2 with the integrity key over "hello", computed independently. */
    static const uint8_t key[16] = {0x14, 0x6A, 0xDD, 0xAE, 0x53, 0xA9, 0xA7, 0x52,
                                    0xAA, 0x08, 0x41, 0x36, 0x0B, 0xF5, 0x5A, 0x9F};
    uint8_t d[16];
    cushim__hmac_md2(key, sizeof key, "hello", 5, d);
    hex(d, got);
    ck_assert_str_eq(got, "af71231949b9e27b608cd3b41922a171");
}
END_TEST

static Suite *driver_suite(void)
{
    Suite *s = suite_create("driver");
    TCase *tc = tcase_create("driver");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, proc_address_selects_variant_by_version);
    tcase_add_test(tc, proc_address_per_thread_flag);
    tcase_add_test(tc, proc_address_misses);
    tcase_add_test(tc, unsupported_is_801_and_logged_once);
    tcase_add_test(tc, export_tables_and_integrity);
    tcase_add_test(tc, context_local_storage);
    tcase_add_test(tc, init_and_context_required);
    tcase_add_test(tc, driver_and_runtime_share_state);
    tcase_add_test(tc, context_limits);
    tcase_add_test(tc, launch_of_a_host_function);
    tcase_add_test(tc, kernel_fault_is_sticky_until_reset);
    tcase_add_test(tc, occupancy_and_cluster_queries);
    tcase_add_test(tc, stream_capture_and_graph_launch);
    suite_add_tcase(s, tc);
    TCase *md2 = tcase_create("md2");
    tcase_add_test(md2, md2_rfc1319_and_hmac);
    suite_add_tcase(s, md2);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(driver_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
