/* driver_init.c: libcuda.so.1's link to libcudart's core (checked at load time),
 * diagnostics, CUresult conversion and names, cuInit, versions and device queries.
 * Device values come from the same core the runtime answers from, so the runtime's
 * cudaDeviceProp and the driver's attributes always agree. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/driver_gen.h"
#include "shim/driver_internal.h"

const cushim__driver_core *cushim__drv_core;
static atomic_bool initialised;
static CUresult init_result = CUDA_ERROR_NOT_INITIALIZED;

__attribute__((constructor)) static void driver_link_core(void)
{
    const cushim__driver_core *core = &cushim__driver_core_v1;
    if (core->version != CUSHIM_DRIVER_CORE_VERSION || core->size < sizeof *core) {
        fprintf(stderr, "cushim: error: libcuda.so.1 and libcudart.so.13 come from different "
                "cushim builds (core table version %u size %u, expected %u size %zu); every "
                "driver call will fail with CUDA_ERROR_NOT_INITIALIZED\n", core->version,
                core->size, CUSHIM_DRIVER_CORE_VERSION, sizeof *core);
        return;
    }
    cushim__drv_core = core;
}

void cushim__drv_log(cushim_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cushim__drv_core) {
        if (level < CUSHIM_LOG_INFO || cushim__drv_core->log_enabled(level, CUSHIM_LOGC_API))
            cushim__drv_core->vlog(level, CUSHIM_LOGC_API, fmt, ap);
    } else if (level <= CUSHIM_LOG_WARN) {
        fputs("cushim: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
}

void cushim__drv_log_once(const char *key, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cushim__drv_core)
        cushim__drv_core->log_once(key, "%s", msg);
    else
        fprintf(stderr, "cushim: %s\n", msg);
}

/* Runtime errors below 100 are the runtime's own; from 100 on both APIs share the
 * numbers (cudaErrorNoDevice = CUDA_ERROR_NO_DEVICE = 100 ... cudaErrorNotSupported =
 * CUDA_ERROR_NOT_SUPPORTED = 801), with the exceptions handled here. */
CUresult cushim__drv_result(cudaError_t e)
{
    switch ((int)e) {
    case cudaSuccess: return CUDA_SUCCESS;
    case cudaErrorInvalidValue: return CUDA_ERROR_INVALID_VALUE;
    case cudaErrorMemoryAllocation: return CUDA_ERROR_OUT_OF_MEMORY;
    case cudaErrorInitializationError: return CUDA_ERROR_NOT_INITIALIZED;
    case cudaErrorCudartUnloading: return CUDA_ERROR_DEINITIALIZED;
    case cudaErrorInvalidConfiguration: return CUDA_ERROR_INVALID_VALUE;
    case cudaErrorInvalidDeviceFunction: return CUDA_ERROR_INVALID_HANDLE;
    case cudaErrorInvalidSymbol: return CUDA_ERROR_NOT_FOUND;
    case cudaErrorInvalidMemcpyDirection: return CUDA_ERROR_INVALID_VALUE;
    case cudaErrorInvalidDevicePointer: return CUDA_ERROR_INVALID_VALUE;
    case cudaErrorInvalidPitchValue: return CUDA_ERROR_INVALID_VALUE;
    case cudaErrorMissingConfiguration: return CUDA_ERROR_INVALID_VALUE;
    case cudaErrorInvalidResourceHandle: return CUDA_ERROR_INVALID_HANDLE;
    default:
        if ((int)e >= 100)
            return (CUresult)e;
        return CUDA_ERROR_UNKNOWN;
    }
}

CUresult cushim__drv_check_init(void)
{
    if (!cushim__drv_core)
        return CUDA_ERROR_NOT_INITIALIZED;
    if (!atomic_load_explicit(&initialised, memory_order_acquire))
        return CUDA_ERROR_NOT_INITIALIZED;
    return init_result;
}

bool cushim__drv_device_ok(CUdevice dev)
{
    return dev >= 0 && dev < cushim__drv_core->device_count();
}

/* ---- init, versions, errors ------------------------------------------------------- */

CUresult cushim_drv_cuInit(unsigned int Flags)
{
    if (!cushim__drv_core)
        return CUDA_ERROR_NOT_INITIALIZED;
    if (Flags != 0)
        return CUDA_ERROR_INVALID_VALUE;
    cudaError_t e = cushim__drv_core->init();
    init_result = e == cudaSuccess ? CUDA_SUCCESS
                : e == cudaErrorNoDevice ? CUDA_ERROR_NO_DEVICE : cushim__drv_result(e);
    atomic_store_explicit(&initialised, true, memory_order_release);
    return init_result;
}

CUresult cushim_drv_cuDriverGetVersion(int *driverVersion)
{
    if (!driverVersion)
        return CUDA_ERROR_INVALID_VALUE;
    *driverVersion = CUSHIM_DRV_VERSION;
    return CUDA_SUCCESS;
}

static const struct { int code; const char *name; } result_names[] = {
#define X(name, value) {value, #name},
#include "shim/driver_errors.def"
#undef X
};

CUresult cushim_drv_cuGetErrorName(CUresult error, const char **pStr)
{
    if (!pStr)
        return CUDA_ERROR_INVALID_VALUE;
    for (size_t i = 0; i < sizeof result_names / sizeof result_names[0]; i++) {
        if (result_names[i].code == error) {
            *pStr = result_names[i].name;
            return CUDA_SUCCESS;
        }
    }
    *pStr = NULL;
    return CUDA_ERROR_INVALID_VALUE;
}

/* The runtime's message for the same number where both APIs share it (from 100 on,
 * and the first few); the error's name otherwise. */
CUresult cushim_drv_cuGetErrorString(CUresult error, const char **pStr)
{
    const char *name;
    CUresult r = cushim_drv_cuGetErrorName(error, &name);
    if (r != CUDA_SUCCESS)
        return r;
    if (cushim__drv_core && (error >= 100 || error <= 3) && error != CUDA_ERROR_NOT_INITIALIZED)
        *pStr = cushim__drv_core->error_string((cudaError_t)error);
    else if (error == CUDA_ERROR_NOT_INITIALIZED)
        *pStr = "initialization error";
    else if (error == CUDA_ERROR_DEINITIALIZED)
        *pStr = "driver shutting down";
    else
        *pStr = name;
    return CUDA_SUCCESS;
}

/* ---- devices ------------------------------------------------------------------------ */

CUresult cushim_drv_cuDeviceGetCount(int *count)
{
    if (!count)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    *count = cushim__drv_core->device_count();
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuDeviceGet(CUdevice *device, int ordinal)
{
    if (!device)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(ordinal))
        return CUDA_ERROR_INVALID_DEVICE;
    *device = ordinal;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuDeviceGetName(char *name, int len, CUdevice dev)
{
    if (!name || len <= 0)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    snprintf(name, (size_t)len, "%s", cushim__drv_core->device_info(dev)->name);
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
{
    if (!bytes)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    *bytes = (size_t)cushim__drv_core->device_info(dev)->total_mem;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuDeviceGetUuid(CUuuid *uuid, CUdevice dev)
{
    if (!uuid)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    memcpy(uuid->bytes, cushim__drv_core->device_info(dev)->uuid, sizeof uuid->bytes);
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)
{
    if (!pi)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    /* CUdevice_attribute and cudaDeviceAttr share their numbering. */
    cudaError_t e = cushim__drv_core->device_attribute(pi, (enum cudaDeviceAttr)attrib, dev);
    if (e == cudaErrorInvalidValue && attrib > 0 && attrib < 148) {
        /* An attribute of this driver version the runtime does not describe: all of
         * them are capabilities cushim does not have (0 = absent). */
        DRV_DEBUG("cuDeviceGetAttribute: attribute %d answered 0 (not a capability of "
                  "cushim)", attrib);
        *pi = 0;
        return CUDA_SUCCESS;
    }
    return cushim__drv_result(e);
}

CUresult cushim_drv_cuDeviceComputeCapability(int *major, int *minor, CUdevice dev)
{
    if (!major || !minor)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    const cushim_device_info *di = cushim__drv_core->device_info(dev);
    *major = (int)di->cc_major;
    *minor = (int)di->cc_minor;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuDeviceGetPCIBusId(char *pciBusId, int len, CUdevice dev)
{
    if (!pciBusId || len <= 0)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    const cushim_device_info *di = cushim__drv_core->device_info(dev);
    snprintf(pciBusId, (size_t)len, "%08x:%02x:%02x.0", (unsigned)di->pci_domain,
             (unsigned)di->pci_bus, (unsigned)di->pci_device);
    return CUDA_SUCCESS;
}

/* The deprecated CUdevprop (ten ints, cuda.h's layout). */
struct CUdevprop_st {
    int maxThreadsPerBlock, maxThreadsDim[3], maxGridSize[3], sharedMemPerBlock;
    int totalConstantMemory, SIMDWidth, memPitch, regsPerBlock, clockRate, textureAlign;
};

CUresult cushim_drv_cuDeviceGetProperties(CUdevprop *prop, CUdevice dev)
{
    if (!prop)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    const cushim_device_info *di = cushim__drv_core->device_info(dev);
    *prop = (CUdevprop){
        .maxThreadsPerBlock = (int)di->max_threads_per_block,
        .maxThreadsDim = {(int)di->max_block_dim[0], (int)di->max_block_dim[1],
                          (int)di->max_block_dim[2]},
        .maxGridSize = {(int)di->max_grid_dim[0], (int)di->max_grid_dim[1],
                        (int)di->max_grid_dim[2]},
        .sharedMemPerBlock = (int)di->shared_mem_per_block,
        .totalConstantMemory = (int)di->total_const_mem,
        .SIMDWidth = di->warp_size ? (int)di->warp_size : 32,
        .memPitch = 2147483647,
        .regsPerBlock = (int)di->regs_per_block,
        .clockRate = (int)di->clock_khz,
        .textureAlign = 512,
    };
    return CUDA_SUCCESS;
}
