/* driver_module.c: modules and libraries (cuModuleLoad*, cuLibraryLoad*), their
 * functions, kernels and globals, kernel launch (kernelParams or a packed `extra`
 * buffer), function attributes and occupancy. A module is a fatbin registered with
 * the core, exactly as __cudaRegisterFatBinary registers one: PTX text and bare fatbin
 * containers are wrapped into an in-memory fatbin first, so one loader (translate/)
 * serves both APIs. CUfunction and CUkernel are both the core's kernel handle. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/driver_gen.h"
#include "shim/driver_internal.h"
#include "translate/fatbin.h"

typedef struct drv_module {
    struct drv_module *next;   /* live modules and libraries */
    void **fatbin;             /* the core's registration handle */
    void *owned;               /* the wrapper and data made for PTX / container input */
    bool library;
} drv_module;

static pthread_mutex_t mod_lock = PTHREAD_MUTEX_INITIALIZER;
static drv_module *modules;
/* Kernels handed out by cuLibraryGetKernel: the handles NVIDIA's runtime launches. */
static const void **library_kernels;
static size_t nlibrary_kernels, library_kernels_cap;

static void remember_library_kernel(const void *k)
{
    pthread_mutex_lock(&mod_lock);
    bool known = false;
    for (size_t i = 0; i < nlibrary_kernels && !known; i++)
        known = library_kernels[i] == k;
    if (!known && nlibrary_kernels == library_kernels_cap) {
        size_t cap = library_kernels_cap ? library_kernels_cap * 2 : 64;
        const void **grown = realloc(library_kernels, cap * sizeof *grown);
        if (grown) {
            library_kernels = grown;
            library_kernels_cap = cap;
        }
    }
    if (!known && nlibrary_kernels < library_kernels_cap)
        library_kernels[nlibrary_kernels++] = k;
    pthread_mutex_unlock(&mod_lock);
}

static bool is_library_kernel(const void *k)
{
    pthread_mutex_lock(&mod_lock);
    bool known = false;
    for (size_t i = 0; i < nlibrary_kernels && !known; i++)
        known = library_kernels[i] == k;
    pthread_mutex_unlock(&mod_lock);
    return known;
}

static drv_module *module_of(const void *handle)
{
    drv_module *m = NULL;
    pthread_mutex_lock(&mod_lock);
    for (drv_module *p = modules; p && !m; p = p->next)
        if (p == handle)
            m = p;
    pthread_mutex_unlock(&mod_lock);
    return m;
}

static uint32_t rd32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* An in-memory fatbin: wrapper (v1) -> container -> one uncompressed PTX entry. */
typedef struct ptx_image {
    fatbin_wrapper wrapper;
    unsigned char container[];   /* 16-byte container header, 0x50-byte entry header, text */
} ptx_image;

static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, sizeof v); }
static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, sizeof v); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, sizeof v); }

static ptx_image *wrap_ptx(const char *ptx)
{
    size_t len = strlen(ptx) + 1;                 /* PTX payloads keep their NUL */
    size_t payload = (len + 7) & ~(size_t)7;
    const size_t entry_header = 0x50;
    ptx_image *img = calloc(1, sizeof *img + 16 + entry_header + payload);
    if (!img)
        return NULL;
    unsigned major = 0, minor = 0, arch = 0;
    const char *v = strstr(ptx, ".version");
    if (v)
        sscanf(v, ".version %u.%u", &major, &minor);
    const char *t = strstr(ptx, ".target");
    if (t)
        sscanf(t, ".target sm_%u", &arch);
    unsigned char *c = img->container;
    put32(c, FATBIN_CONTAINER_MAGIC);
    put16(c + 4, 1);
    put16(c + 6, 16);
    put64(c + 8, entry_header + payload);
    unsigned char *e = c + 16;
    put16(e + 0x00, FATBIN_ENTRY_PTX);
    put16(e + 0x02, 0x0101);
    put32(e + 0x04, (uint32_t)entry_header);
    put64(e + 0x08, payload);
    put16(e + 0x18, (uint16_t)minor);
    put16(e + 0x1a, (uint16_t)major);
    put32(e + 0x1c, arch ? arch : 52);
    put64(e + 0x28, 0x11);                        /* 64-bit, Linux */
    put64(e + 0x38, payload);
    memcpy(e + entry_header, ptx, len);
    img->wrapper = (fatbin_wrapper){FATBIN_WRAPPER_MAGIC, 1, c, NULL};
    return img;
}

/* A bare container (cuModuleLoadFatBinary, or a fatbin file): copied, then wrapped. */
static ptx_image *wrap_container(const void *data)
{
    uint16_t header = (uint16_t)(rd32((const char *)data + 4) >> 16);
    uint64_t fat_size;
    memcpy(&fat_size, (const char *)data + 8, sizeof fat_size);
    if (header < 16 || fat_size > FATBIN_MAX_PAYLOAD)
        return NULL;
    size_t total = header + (size_t)fat_size;
    ptx_image *img = calloc(1, sizeof *img + total);
    if (!img)
        return NULL;
    memcpy(img->container, data, total);
    img->wrapper = (fatbin_wrapper){FATBIN_WRAPPER_MAGIC, 1, img->container, NULL};
    return img;
}

/* Register an image (fatbin wrapper, fatbin container or PTX text) with the core.
 * `what` names the API for messages. */
static CUresult module_create(const void *image, bool library, const char *what,
                              drv_module **out)
{
    if (!image)
        return CUDA_ERROR_INVALID_VALUE;
    drv_module *m = calloc(1, sizeof *m);
    if (!m)
        return CUDA_ERROR_OUT_OF_MEMORY;
    const void *wrapper = NULL;
    uint32_t magic = rd32(image);
    if (magic == FATBIN_WRAPPER_MAGIC) {
        wrapper = image;     /* the runtime's own registration data: lives with the program */
    } else if (magic == FATBIN_CONTAINER_MAGIC) {
        ptx_image *img = wrap_container(image);
        if (!img) {
            free(m);
            DRV_ERROR("%s: the fatbin's header is malformed", what);
            return CUDA_ERROR_INVALID_IMAGE;
        }
        m->owned = img;
        wrapper = &img->wrapper;
    } else if (memcmp(image, "\177ELF", 4) == 0) {
        free(m);
        cushim__drv_log_once("drv:cubin", "%s: the image is a cubin (machine code for NVIDIA "
                             "GPUs); cushim runs kernels from PTX only: load PTX or a fatbin "
                             "that contains PTX", what);
        return CUDA_ERROR_NO_BINARY_FOR_GPU;
    } else {
        ptx_image *img = wrap_ptx(image);
        if (!img) {
            free(m);
            return CUDA_ERROR_OUT_OF_MEMORY;
        }
        m->owned = img;
        wrapper = &img->wrapper;
    }
    m->fatbin = cushim__drv_core->fatbin_register(wrapper);
    if (!m->fatbin) {
        free(m->owned);
        free(m);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    m->library = library;
    pthread_mutex_lock(&mod_lock);
    m->next = modules;
    modules = m;
    pthread_mutex_unlock(&mod_lock);
    *out = m;
    return CUDA_SUCCESS;
}

static CUresult module_destroy(drv_module *m)
{
    pthread_mutex_lock(&mod_lock);
    bool found = false;
    for (drv_module **pp = &modules; *pp; pp = &(*pp)->next) {
        if (*pp == m) {
            *pp = m->next;
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&mod_lock);
    if (!found)
        return CUDA_ERROR_INVALID_HANDLE;
    cushim__drv_core->fatbin_unregister(m->fatbin);
    free(m->owned);
    free(m);
    return CUDA_SUCCESS;
}

/* The device a library (context-independent) resolves on: the current context's, else 0. */
static int library_device(void)
{
    int dev;
    if (cushim__drv_current_device(&dev) != CUDA_SUCCESS)
        dev = 0;
    return dev;
}

/* A module load's result as CUDA reports it. */
static CUresult load_result(cudaError_t e)
{
    switch ((int)e) {
    case cudaErrorNoKernelImageForDevice: return CUDA_ERROR_NO_BINARY_FOR_GPU;
    case cudaErrorInvalidKernelImage: return CUDA_ERROR_INVALID_IMAGE;
    case cudaErrorInvalidPtx: return CUDA_ERROR_INVALID_PTX;
    case cudaErrorSymbolNotFound: return CUDA_ERROR_NOT_FOUND;
    default: return cushim__drv_result(e);
    }
}

/* ---- modules ------------------------------------------------------------------------ */

CUresult cushim_drv_cuModuleLoadData(CUmodule *module, const void *image)
{
    if (!module || !image)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    drv_module *m;
    CUresult r = module_create(image, false, "cuModuleLoadData", &m);
    if (r != CUDA_SUCCESS)
        return r;
    /* Loading is eager here: a module that cannot load fails the call, as in CUDA. */
    r = load_result(cushim__drv_core->fatbin_load(m->fatbin, dev));
    if (r != CUDA_SUCCESS) {
        module_destroy(m);
        return r;
    }
    *module = (CUmodule)m;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned int numOptions,
                                       CUjit_option *options, void **optionValues)
{
    if (numOptions && (!options || !optionValues))
        return CUDA_ERROR_INVALID_VALUE;
    /* JIT options tune NVIDIA's PTX compiler (optimisation level, log buffers): no
     * meaning for cushim's translators. */
    return cushim_drv_cuModuleLoadData(module, image);
}

CUresult cushim_drv_cuModuleLoadFatBinary(CUmodule *module, const void *fatCubin)
{
    return cushim_drv_cuModuleLoadData(module, fatCubin);
}

/* Read a whole file, NUL-terminated (PTX text is a C string). */
static CUresult read_file(const char *fname, char **out)
{
    FILE *f = fopen(fname, "rb");
    if (!f)
        return CUDA_ERROR_FILE_NOT_FOUND;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (cap - len < 65536) {
            char *nb = realloc(buf, cap = cap * 2 + 65536);
            if (!nb) {
                free(buf);
                fclose(f);
                return CUDA_ERROR_OUT_OF_MEMORY;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
    } while (n > 0);
    fclose(f);
    buf[len] = '\0';
    if (len < 4) {
        free(buf);
        return CUDA_ERROR_INVALID_IMAGE;
    }
    *out = buf;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuModuleLoad(CUmodule *module, const char *fname)
{
    if (!module || !fname)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    char *data;
    CUresult r = read_file(fname, &data);
    if (r != CUDA_SUCCESS)
        return r;
    r = cushim_drv_cuModuleLoadData(module, data);
    free(data);   /* module_create copied what it keeps */
    return r;
}

CUresult cushim_drv_cuModuleUnload(CUmodule hmod)
{
    DRV_REQUIRE_INIT();
    drv_module *m = module_of(hmod);
    if (!m || m->library)
        return CUDA_ERROR_INVALID_HANDLE;
    return module_destroy(m);
}

CUresult cushim_drv_cuModuleGetLoadingMode(CUmoduleLoadingMode *mode)
{
    if (!mode)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    *mode = CU_MODULE_EAGER_LOADING;
    return CUDA_SUCCESS;
}

static CUresult get_kernel(drv_module *m, const char *name, int dev, cushim__kernel **k)
{
    if (!m)
        return CUDA_ERROR_INVALID_HANDLE;
    if (!name)
        return CUDA_ERROR_INVALID_VALUE;
    return load_result(cushim__drv_core->fatbin_kernel(m->fatbin, name, dev, k));
}

CUresult cushim_drv_cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)
{
    if (!hfunc || !name)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    cushim__kernel *k;
    CUresult r = get_kernel(module_of(hmod), name, dev, &k);
    if (r == CUDA_SUCCESS)
        *hfunc = (CUfunction)k;
    return r;
}

static CUresult get_global(drv_module *m, const char *name, int dev, CUdeviceptr *dptr,
                           size_t *bytes)
{
    if (!m)
        return CUDA_ERROR_INVALID_HANDLE;
    if (!name)
        return CUDA_ERROR_INVALID_VALUE;
    cushim_dptr addr = 0;
    size_t size = 0;
    CUresult r = load_result(cushim__drv_core->fatbin_global(m->fatbin, name, dev, &addr, &size));
    if (r != CUDA_SUCCESS)
        return r;
    if (dptr)
        *dptr = (CUdeviceptr)addr;
    if (bytes)
        *bytes = size;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuModuleGetGlobal_v2(CUdeviceptr *dptr, size_t *bytes, CUmodule hmod,
                                         const char *name)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return get_global(module_of(hmod), name, dev, dptr, bytes);
}

/* ---- libraries ---------------------------------------------------------------------- */

CUresult cushim_drv_cuLibraryLoadData(CUlibrary *library, const void *code, CUjit_option *jitOptions,
                                      void **jitOptionsValues, unsigned int numJitOptions,
                                      CUlibraryOption *libraryOptions, void **libraryOptionValues,
                                      unsigned int numLibraryOptions)
{
    if (!library || !code || (numJitOptions && (!jitOptions || !jitOptionsValues)) ||
        (numLibraryOptions && (!libraryOptions || !libraryOptionValues)))
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    /* Options: JIT tuning, and BINARY_IS_PRESERVED (the image outlives the library),
     * which the runtime passes for its registered fatbins and cushim relies on anyway
     * for wrappers; other images are copied. Loading is lazy (first kernel/global). */
    drv_module *m;
    CUresult r = module_create(code, true, "cuLibraryLoadData", &m);
    if (r == CUDA_SUCCESS)
        *library = (CUlibrary)m;
    return r;
}

CUresult cushim_drv_cuLibraryLoadFromFile(CUlibrary *library, const char *fileName,
                                          CUjit_option *jitOptions, void **jitOptionsValues,
                                          unsigned int numJitOptions,
                                          CUlibraryOption *libraryOptions,
                                          void **libraryOptionValues,
                                          unsigned int numLibraryOptions)
{
    if (!library || !fileName)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    char *data;
    CUresult r = read_file(fileName, &data);
    if (r != CUDA_SUCCESS)
        return r;
    if (rd32(data) == FATBIN_WRAPPER_MAGIC) {
        free(data);   /* a wrapper holds pointers into a process: meaningless in a file */
        return CUDA_ERROR_INVALID_IMAGE;
    }
    r = cushim_drv_cuLibraryLoadData(library, data, jitOptions, jitOptionsValues, numJitOptions,
                                     libraryOptions, libraryOptionValues, numLibraryOptions);
    free(data);
    return r;
}

CUresult cushim_drv_cuLibraryUnload(CUlibrary library)
{
    DRV_REQUIRE_INIT();
    drv_module *m = module_of(library);
    if (!m || !m->library)
        return CUDA_ERROR_INVALID_HANDLE;
    return module_destroy(m);
}

CUresult cushim_drv_cuLibraryGetKernel(CUkernel *pKernel, CUlibrary library, const char *name)
{
    if (!pKernel || !name)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    drv_module *m = module_of(library);
    if (!m || !m->library)
        return CUDA_ERROR_INVALID_HANDLE;
    cushim__kernel *k;
    CUresult r = get_kernel(m, name, library_device(), &k);
    if (r == CUDA_SUCCESS) {
        remember_library_kernel(k);
        *pKernel = (CUkernel)k;
    }
    return r;
}

CUresult cushim_drv_cuLibraryGetGlobal(CUdeviceptr *dptr, size_t *bytes, CUlibrary library,
                                       const char *name)
{
    DRV_REQUIRE_INIT();
    drv_module *m = module_of(library);
    if (!m || !m->library)
        return CUDA_ERROR_INVALID_HANDLE;
    return get_global(m, name, library_device(), dptr, bytes);
}

/* Managed variables are module globals in host-visible device memory (the core places
 * them; a backend without such memory fails the load with a message). */
CUresult cushim_drv_cuLibraryGetManaged(CUdeviceptr *dptr, size_t *bytes, CUlibrary library,
                                        const char *name)
{
    return cushim_drv_cuLibraryGetGlobal(dptr, bytes, library, name);
}

CUresult cushim_drv_cuLibraryGetModule(CUmodule *pMod, CUlibrary library)
{
    if (!pMod)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    drv_module *m = module_of(library);
    if (!m || !m->library)
        return CUDA_ERROR_INVALID_HANDLE;
    *pMod = (CUmodule)m;   /* one object: the library's module on every context */
    return CUDA_SUCCESS;
}

/* ---- functions and kernels ---------------------------------------------------------- */

static cushim__kernel *kernel_of(const void *h)
{
    return h && cushim__drv_core->kernel_valid((const cushim__kernel *)h) ? (cushim__kernel *)h
                                                                          : NULL;
}

CUresult cushim_drv_cuKernelGetFunction(CUfunction *pFunc, CUkernel kernel)
{
    if (!pFunc)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!kernel_of(kernel))
        return CUDA_ERROR_INVALID_HANDLE;
    *pFunc = (CUfunction)kernel;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuFuncGetName(const char **name, CUfunction hfunc)
{
    if (!name)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    cushim__kernel *k = kernel_of(hfunc);
    if (!k)
        return CUDA_ERROR_INVALID_HANDLE;
    *name = cushim__drv_core->kernel_name(k);
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuKernelGetName(const char **name, CUkernel hfunc)
{
    return cushim_drv_cuFuncGetName(name, (CUfunction)hfunc);
}

static CUresult func_attribute(int *pi, CUfunction_attribute attrib, cushim__kernel *k, int dev)
{
    cushim_kernel_info info;
    uint32_t ptx_version = 0;
    CUresult r = load_result(cushim__drv_core->kernel_resolve(k, dev, NULL, &info, NULL,
                                                              &ptx_version));
    if (r != CUDA_SUCCESS)
        return r;
    const cushim_device_info *di = cushim__drv_core->device_info(dev);
    cushim__kernel_attrs *ka = cushim__drv_core->kernel_attrs(k);
    unsigned max_threads = info.max_threads_per_block &&
                           info.max_threads_per_block < di->max_threads_per_block
                               ? info.max_threads_per_block : di->max_threads_per_block;
    switch (attrib) {
    case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *pi = (int)max_threads; break;
    case CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: *pi = (int)info.static_shared_bytes; break;
    case CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES: *pi = (int)info.const_bytes; break;
    case CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES: *pi = (int)info.local_bytes_per_thread; break;
    case CU_FUNC_ATTRIBUTE_NUM_REGS: *pi = (int)info.num_regs; break;
    case CU_FUNC_ATTRIBUTE_PTX_VERSION: *pi = (int)ptx_version; break;
    case CU_FUNC_ATTRIBUTE_BINARY_VERSION: *pi = (int)(di->cc_major * 10 + di->cc_minor); break;
    case CU_FUNC_ATTRIBUTE_CACHE_MODE_CA: *pi = 0; break;
    case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
        *pi = ka->max_dynamic_shared >= 0
                  ? ka->max_dynamic_shared
                  : (int)(di->shared_mem_per_block > info.static_shared_bytes
                              ? di->shared_mem_per_block - info.static_shared_bytes : 0);
        break;
    case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT: *pi = ka->preferred_carveout; break;
    case CU_FUNC_ATTRIBUTE_CLUSTER_SIZE_MUST_BE_SET:
    case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_WIDTH:
    case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_HEIGHT:
    case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_DEPTH:
    case CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED:
    case CU_FUNC_ATTRIBUTE_CLUSTER_SCHEDULING_POLICY_PREFERENCE:
        *pi = 0;   /* no clusters */
        break;
    default:
        return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuFuncGetAttribute(int *pi, CUfunction_attribute attrib, CUfunction hfunc)
{
    if (!pi)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    cushim__kernel *k = kernel_of(hfunc);
    if (!k)
        return CUDA_ERROR_INVALID_HANDLE;
    return func_attribute(pi, attrib, k, dev);
}

CUresult cushim_drv_cuKernelGetAttribute(int *pi, CUfunction_attribute attrib, CUkernel kernel,
                                         CUdevice dev)
{
    if (!pi)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    cushim__kernel *k = kernel_of(kernel);
    if (!k)
        return CUDA_ERROR_INVALID_HANDLE;
    return func_attribute(pi, attrib, k, dev);
}

static CUresult func_set_attribute(cushim__kernel *k, int dev, CUfunction_attribute attrib,
                                   int value)
{
    cushim_kernel_info info;
    CUresult r = load_result(cushim__drv_core->kernel_resolve(k, dev, NULL, &info, NULL, NULL));
    if (r != CUDA_SUCCESS)
        return r;
    const cushim_device_info *di = cushim__drv_core->device_info(dev);
    cushim__kernel_attrs *ka = cushim__drv_core->kernel_attrs(k);
    switch (attrib) {
    case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
        if (value < 0 || (uint64_t)value + info.static_shared_bytes > di->shared_mem_per_block_optin)
            return CUDA_ERROR_INVALID_VALUE;
        ka->max_dynamic_shared = value;
        return CUDA_SUCCESS;
    case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT:
        if (value < -1 || value > 100)
            return CUDA_ERROR_INVALID_VALUE;
        ka->preferred_carveout = value;
        return CUDA_SUCCESS;
    default:
        return CUDA_ERROR_INVALID_VALUE;
    }
}

CUresult cushim_drv_cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    cushim__kernel *k = kernel_of(hfunc);
    if (!k)
        return CUDA_ERROR_INVALID_HANDLE;
    return func_set_attribute(k, dev, attrib, value);
}

CUresult cushim_drv_cuKernelSetAttribute(CUfunction_attribute attrib, int val, CUkernel kernel,
                                         CUdevice dev)
{
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    cushim__kernel *k = kernel_of(kernel);
    if (!k)
        return CUDA_ERROR_INVALID_HANDLE;
    return func_set_attribute(k, dev, attrib, val);
}

CUresult cushim_drv_cuFuncSetCacheConfig(CUfunction hfunc, CUfunc_cache config)
{
    DRV_REQUIRE_INIT();
    if (!kernel_of(hfunc))
        return CUDA_ERROR_INVALID_HANDLE;
    return config >= 0 && config <= 3 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* ---- launch ------------------------------------------------------------------------- */

/* Launch with kernelParams (one pointer per parameter) or `extra` (a packed buffer in
 * the .entry parameter layout), exactly one of them. */
static CUresult launch(CUfunction f, dim3 grid, dim3 block, unsigned shmem, CUstream hStream,
                       void **kernelParams, void **extra, bool cooperative)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    cushim__kernel *k = kernel_of(f);
    if (!k) {
        /* NVIDIA's runtime launches a host function it has no kernel for (not a
         * __global__ function) by passing its address as the handle: an address inside
         * a loaded program or library, never one of our handles (those are heap
         * memory). cudaLaunchKernel answers cudaErrorInvalidDeviceFunction there, which
         * no documented CUresult translates to; the runtime passes untranslated numbers
         * through (measured, as for the configuration error below), so the handle of a
         * host function answers that number and any other bad handle the documented
         * CUDA_ERROR_INVALID_HANDLE. */
        Dl_info where;
        if (f && dladdr((const void *)f, &where) && where.dli_fbase) {
            DRV_DEBUG("launch: %p is a host address (in %s), not a kernel", (void *)f,
                      where.dli_fname ? where.dli_fname : "?");
            return (CUresult)cudaErrorInvalidDeviceFunction;
        }
        DRV_DEBUG("launch: %p is not a function or kernel handle", (void *)f);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    if (kernelParams && extra)
        return CUDA_ERROR_INVALID_VALUE;
    void **args = kernelParams;
    void *small[32];
    void **unpacked = NULL;
    if (extra) {
        const unsigned char *buf = NULL;
        const size_t *buf_size = NULL;
        for (unsigned i = 0; extra[i] != CU_LAUNCH_PARAM_END; i += 2) {
            if (i >= 64)
                return CUDA_ERROR_INVALID_VALUE;   /* no END marker in sight */
            if (extra[i] == CU_LAUNCH_PARAM_BUFFER_POINTER)
                buf = extra[i + 1];
            else if (extra[i] == CU_LAUNCH_PARAM_BUFFER_SIZE)
                buf_size = extra[i + 1];
            else
                return CUDA_ERROR_INVALID_VALUE;
        }
        const ptx_function *fn;
        CUresult r = load_result(cushim__drv_core->kernel_resolve(k, dev, NULL, NULL, &fn, NULL));
        if (r != CUDA_SUCCESS)
            return r;
        if (fn->nparams && (!buf || !buf_size || *buf_size < fn->param_bytes))
            return CUDA_ERROR_INVALID_VALUE;
        unpacked = fn->nparams <= 32 ? small : calloc(fn->nparams, sizeof *unpacked);
        if (!unpacked)
            return CUDA_ERROR_OUT_OF_MEMORY;
        for (uint32_t i = 0; i < fn->nparams; i++)
            unpacked[i] = (void *)(buf + fn->params[i].offset);
        args = unpacked;
    }
    cudaError_t e = cushim__drv_core->launch(k, grid, block, args, shmem,
                                             cushim__drv_stream(hStream), cooperative);
    if (unpacked && unpacked != small)
        free(unpacked);
    /* NVIDIA's runtime passes driver results it has no translation for through
     * unchanged, and reports a bad launch configuration as cudaErrorInvalidConfiguration
     * (9), which no documented CUresult translates to: launches of library kernels (the
     * runtime's path) return that number; module functions get the documented
     * CUDA_ERROR_INVALID_VALUE. Measured: docs/static-binaries.md. */
    if (e == cudaErrorInvalidConfiguration && is_library_kernel(k))
        return (CUresult)cudaErrorInvalidConfiguration;
    return cushim__drv_result(e);
}

CUresult cushim_drv_cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                                   unsigned int gridDimZ, unsigned int blockDimX,
                                   unsigned int blockDimY, unsigned int blockDimZ,
                                   unsigned int sharedMemBytes, CUstream hStream,
                                   void **kernelParams, void **extra)
{
    return launch(f, (dim3){gridDimX, gridDimY, gridDimZ}, (dim3){blockDimX, blockDimY, blockDimZ},
                  sharedMemBytes, hStream, kernelParams, extra, false);
}

CUresult cushim_drv_cuLaunchCooperativeKernel(CUfunction f, unsigned int gridDimX,
                                              unsigned int gridDimY, unsigned int gridDimZ,
                                              unsigned int blockDimX, unsigned int blockDimY,
                                              unsigned int blockDimZ, unsigned int sharedMemBytes,
                                              CUstream hStream, void **kernelParams)
{
    return launch(f, (dim3){gridDimX, gridDimY, gridDimZ}, (dim3){blockDimX, blockDimY, blockDimZ},
                  sharedMemBytes, hStream, kernelParams, NULL, true);
}

CUresult cushim_drv_cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f,
                                     void **kernelParams, void **extra)
{
    if (!config || (config->numAttrs && !config->attrs))
        return CUDA_ERROR_INVALID_VALUE;
    bool cooperative = false;
    for (unsigned i = 0; i < config->numAttrs; i++) {
        const CUlaunchAttribute *a = &config->attrs[i];
        if (a->id == 0)
            continue;   /* CU_LAUNCH_ATTRIBUTE_IGNORE */
        if (a->id == CU_LAUNCH_ATTRIBUTE_COOPERATIVE) {
            cooperative = a->value.value_int != 0;
            continue;
        }
        char key[64];
        snprintf(key, sizeof key, "drv:launch-attr:%d", a->id);
        cushim__drv_log_once(key, "cuLaunchKernelEx: launch attribute %d is not supported by "
                             "cushim; it returns CUDA_ERROR_NOT_SUPPORTED", a->id);
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    return launch(f, (dim3){config->gridDimX, config->gridDimY, config->gridDimZ},
                  (dim3){config->blockDimX, config->blockDimY, config->blockDimZ},
                  config->sharedMemBytes, config->hStream, kernelParams, extra, cooperative);
}

/* ---- occupancy ---------------------------------------------------------------------- */

/* Resident blocks per multiprocessor: the runtime's formula (threads, blocks, shared
 * memory and registers per SM). */
static int blocks_per_sm(const cushim_device_info *di, const cushim_kernel_info *info,
                         int block_size, size_t dynamic_smem)
{
    int blocks = (int)(di->max_threads_per_multiprocessor / (unsigned)block_size);
    if (blocks > (int)di->max_blocks_per_multiprocessor)
        blocks = (int)di->max_blocks_per_multiprocessor;
    uint64_t smem = info->static_shared_bytes + dynamic_smem;
    if (smem && (uint64_t)blocks > di->shared_mem_per_multiprocessor / smem)
        blocks = (int)(di->shared_mem_per_multiprocessor / smem);
    uint64_t regs = (uint64_t)info->num_regs * (unsigned)block_size;
    if (regs && di->regs_per_block && (uint64_t)blocks > di->regs_per_block / regs)
        blocks = (int)(di->regs_per_block / regs);
    return blocks;
}

static CUresult occupancy_kernel(CUfunction func, int *dev, cushim__kernel **k,
                                 cushim_kernel_info *info, const cushim_device_info **di)
{
    DRV_REQUIRE_CTX(*dev);
    *k = kernel_of(func);
    if (!*k)
        return CUDA_ERROR_INVALID_HANDLE;
    CUresult r = load_result(cushim__drv_core->kernel_resolve(*k, *dev, NULL, info, NULL, NULL));
    *di = cushim__drv_core->device_info(*dev);
    return r;
}

static unsigned max_block(const cushim_device_info *di, const cushim_kernel_info *info)
{
    return info->max_threads_per_block && info->max_threads_per_block < di->max_threads_per_block
               ? info->max_threads_per_block : di->max_threads_per_block;
}

CUresult cushim_drv_cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
    int *numBlocks, CUfunction func, int blockSize, size_t dynamicSMemSize, unsigned int flags)
{
    if (!numBlocks || flags > 1)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    cushim__kernel *k;
    cushim_kernel_info info;
    const cushim_device_info *di;
    CUresult r = occupancy_kernel(func, &dev, &k, &info, &di);
    if (r != CUDA_SUCCESS)
        return r;
    *numBlocks = blockSize <= 0 || (unsigned)blockSize > max_block(di, &info)
                     ? 0 : blocks_per_sm(di, &info, blockSize, dynamicSMemSize);
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuOccupancyMaxActiveBlocksPerMultiprocessor(int *numBlocks, CUfunction func,
                                                                int blockSize,
                                                                size_t dynamicSMemSize)
{
    return cushim_drv_cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
        numBlocks, func, blockSize, dynamicSMemSize, 0);
}

CUresult cushim_drv_cuOccupancyMaxPotentialBlockSizeWithFlags(
    int *minGridSize, int *blockSize, CUfunction func, CUoccupancyB2DSize blockSizeToDynamicSMemSize,
    size_t dynamicSMemSize, int blockSizeLimit, unsigned int flags)
{
    if (!minGridSize || !blockSize || blockSizeLimit < 0 || flags > 1)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    cushim__kernel *k;
    cushim_kernel_info info;
    const cushim_device_info *di;
    CUresult r = occupancy_kernel(func, &dev, &k, &info, &di);
    if (r != CUDA_SUCCESS)
        return r;
    unsigned limit = max_block(di, &info);
    if (blockSizeLimit > 0 && (unsigned)blockSizeLimit < limit)
        limit = (unsigned)blockSizeLimit;
    unsigned warp = di->warp_size ? di->warp_size : 32;
    int best_threads = 0, best_size = 0;
    /* The largest block size (multiple of the warp) with the most resident threads. */
    for (unsigned size = limit - limit % warp ? limit - limit % warp : limit; size > 0;
         size = size > warp ? size - warp : 0) {
        size_t smem = blockSizeToDynamicSMemSize ? blockSizeToDynamicSMemSize((int)size)
                                                 : dynamicSMemSize;
        int blocks = blocks_per_sm(di, &info, (int)size, smem);
        if (blocks * (int)size > best_threads) {
            best_threads = blocks * (int)size;
            best_size = (int)size;
        }
    }
    *blockSize = best_size;
    *minGridSize = best_size ? (best_threads / best_size) * (int)di->multiprocessor_count : 0;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuOccupancyMaxPotentialBlockSize(int *minGridSize, int *blockSize,
                                                     CUfunction func,
                                                     CUoccupancyB2DSize blockSizeToDynamicSMemSize,
                                                     size_t dynamicSMemSize, int blockSizeLimit)
{
    return cushim_drv_cuOccupancyMaxPotentialBlockSizeWithFlags(
        minGridSize, blockSize, func, blockSizeToDynamicSMemSize, dynamicSMemSize, blockSizeLimit, 0);
}

CUresult cushim_drv_cuOccupancyAvailableDynamicSMemPerBlock(size_t *dynamicSmemSize,
                                                            CUfunction func, int numBlocks,
                                                            int blockSize)
{
    if (!dynamicSmemSize || numBlocks <= 0 || blockSize <= 0)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    cushim__kernel *k;
    cushim_kernel_info info;
    const cushim_device_info *di;
    CUresult r = occupancy_kernel(func, &dev, &k, &info, &di);
    if (r != CUDA_SUCCESS)
        return r;
    uint64_t per_block = di->shared_mem_per_multiprocessor / (unsigned)numBlocks;
    if (per_block > di->shared_mem_per_block_optin)
        per_block = di->shared_mem_per_block_optin;
    *dynamicSmemSize = per_block > info.static_shared_bytes
                           ? (size_t)(per_block - info.static_shared_bytes) : 0;
    return CUDA_SUCCESS;
}

/* Thread block clusters need cluster launch, which these devices do not have
 * (CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH is 0): after the argument checks, the cluster
 * occupancy queries answer CUDA_ERROR_NOT_SUPPORTED with a message, as the runtime's
 * cudaOccupancyMaxPotentialClusterSize / MaxActiveClusters do (cudaErrorNotSupported),
 * and leave the output alone. */
static CUresult cluster_query(const char *api, int *out, CUfunction func,
                              const CUlaunchConfig *config)
{
    if (!out || !config)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    cushim__kernel *k;
    cushim_kernel_info info;
    const cushim_device_info *di;
    CUresult r = occupancy_kernel(func, &dev, &k, &info, &di);
    if (r != CUDA_SUCCESS)
        return r;
    char key[96];
    snprintf(key, sizeof key, "drv:cluster:%s", api);   /* once: programs may ask in a loop */
    cushim__drv_log_once(key, "%s: thread block clusters are not supported (device '%s' has "
                         "no cluster launch); it returns CUDA_ERROR_NOT_SUPPORTED", api, di->name);
    return CUDA_ERROR_NOT_SUPPORTED;
}

CUresult cushim_drv_cuOccupancyMaxPotentialClusterSize(int *clusterSize, CUfunction func,
                                                       const CUlaunchConfig *config)
{
    return cluster_query("cuOccupancyMaxPotentialClusterSize", clusterSize, func, config);
}

CUresult cushim_drv_cuOccupancyMaxActiveClusters(int *numClusters, CUfunction func,
                                                 const CUlaunchConfig *config)
{
    return cluster_query("cuOccupancyMaxActiveClusters", numClusters, func, config);
}
