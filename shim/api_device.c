/* api_device.c: devices (count, selection, flags, limits, properties in the CUDA 13 and
 * CUDA 12 layouts, attributes consistent with the properties), synchronisation and
 * reset, versions, and the error functions. */
#include <stdio.h>
#include <string.h>

#include "shim/api_gen.h"
#include "shim/core.h"
#include "shim/log.h"
#include "vendors/cpu/cpu.h"

#define CUSHIM_RUNTIME_VERSION 13000
#define CUSHIM_DRIVER_VERSION 13000

/* ---- errors -------------------------------------------------------------------------- */

cudaError_t cushim_impl_cudaGetLastError(void) { return cushim__last_error(true); }
cudaError_t cushim_impl_cudaPeekAtLastError(void) { return cushim__last_error(false); }

const char *cushim_impl_cudaGetErrorString(cudaError_t error)
{
    switch ((int)error) {
#define X(name, value, message) case value: return message;
#include "shim/cuda_errors.def"
#undef X
    }
    return "unrecognized error code";
}

const char *cushim_impl_cudaGetErrorName(cudaError_t error)
{
    switch ((int)error) {
#define X(name, value, message) case value: return #name;
#include "shim/cuda_errors.def"
#undef X
    }
    return "unrecognized error code";
}

/* ---- versions ------------------------------------------------------------------------ */

cudaError_t cushim_impl_cudaRuntimeGetVersion(int *runtimeVersion)
{
    if (!runtimeVersion)
        return cudaErrorInvalidValue;
    *runtimeVersion = CUSHIM_RUNTIME_VERSION;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDriverGetVersion(int *driverVersion)
{
    if (!driverVersion)
        return cudaErrorInvalidValue;
    *driverVersion = CUSHIM_DRIVER_VERSION;
    return cudaSuccess;
}

/* ---- device selection ---------------------------------------------------------------- */

cudaError_t cushim_impl_cudaGetDeviceCount(int *count)
{
    if (!count)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    *count = e == cudaSuccess ? cushim__device_count() : 0;
    return e;
}

cudaError_t cushim_impl_cudaSetDevice(int device)
{
    return cushim__set_current_device(device);
}

cudaError_t cushim_impl_cudaGetDevice(int *device)
{
    if (!device)
        return cudaErrorInvalidValue;
    return cushim__current_device(device);
}

cudaError_t cushim_impl_cudaInitDevice(int device, unsigned int deviceFlags, unsigned int flags)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (device < 0 || device >= cushim__device_count())
        return cudaErrorInvalidDevice;
    if ((deviceFlags & ~cudaDeviceMask) || flags > 1)
        return cudaErrorInvalidValue;
    cushim__device_state_of(device)->flags = deviceFlags;
    return flags ? cushim__set_current_device(device) : cudaSuccess;
}

cudaError_t cushim_impl_cudaSetValidDevices(int *device_arr, int len)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (len < 0 || (len > 0 && !device_arr))
        return cudaErrorInvalidValue;
    for (int i = 0; i < len; i++)
        if (device_arr[i] < 0 || device_arr[i] >= cushim__device_count())
            return cudaErrorInvalidDevice;
    return len > 0 ? cushim__set_current_device(device_arr[0]) : cudaSuccess;
}

cudaError_t cushim_impl_cudaSetDeviceFlags(unsigned int flags)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    unsigned sched = flags & cudaDeviceScheduleMask;
    if ((flags & ~cudaDeviceMask) || (sched != cudaDeviceScheduleAuto &&
        sched != cudaDeviceScheduleSpin && sched != cudaDeviceScheduleYield &&
        sched != cudaDeviceScheduleBlockingSync))
        return cudaErrorInvalidValue;
    cushim__device_state_of(dev)->flags = flags;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGetDeviceFlags(unsigned int *flags)
{
    if (!flags)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    /* CUDA always reports cudaDeviceMapHost: mapping host memory is always enabled. */
    *flags = cushim__device_state_of(dev)->flags | cudaDeviceMapHost;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDeviceCanAccessPeer(int *canAccessPeer, int device, int peerDevice)
{
    if (!canAccessPeer)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    int n = cushim__device_count();
    if (device < 0 || device >= n || peerDevice < 0 || peerDevice >= n)
        return cudaErrorInvalidDevice;
    /* Copies between devices go through the host; kernels cannot reach a peer. */
    *canAccessPeer = 0;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDeviceGetPCIBusId(char *pciBusId, int len, int device)
{
    if (!pciBusId || len <= 0)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    const cushim_device_info *di = cushim__device_info(device);
    if (!di)
        return cudaErrorInvalidDevice;
    snprintf(pciBusId, (size_t)len, "%08x:%02x:%02x.0", (unsigned)di->pci_domain,
             (unsigned)di->pci_bus, (unsigned)di->pci_device);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDeviceGetByPCIBusId(int *device, const char *pciBusId)
{
    if (!device || !pciBusId)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    unsigned dom = 0, bus = 0, slot = 0;
    if (sscanf(pciBusId, "%x:%x:%x", &dom, &bus, &slot) != 3) {
        dom = 0;
        if (sscanf(pciBusId, "%x:%x", &bus, &slot) != 2)
            return cudaErrorInvalidValue;
    }
    for (int d = 0; d < cushim__device_count(); d++) {
        const cushim_device_info *di = cushim__device_info(d);
        if ((unsigned)di->pci_domain == dom && (unsigned)di->pci_bus == bus &&
            (unsigned)di->pci_device == slot) {
            *device = d;
            return cudaSuccess;
        }
    }
    return cudaErrorInvalidDevice;
}

/* ---- limits and cache configuration --------------------------------------------------- */

/* cudaLimitMaxL2FetchGranularity ranges over 0..128 bytes (CUDA's documentation). */
#define L2_FETCH_MAX 128u

void cushim__limits_default(size_t limits[8])
{
    /* CUDA's defaults, as a program reads them back before setting anything. */
    limits[cudaLimitStackSize] = 1024;
    limits[cudaLimitPrintfFifoSize] = 1u << 20;
    limits[cudaLimitMallocHeapSize] = 8u << 20;
    limits[cudaLimitDevRuntimeSyncDepth] = 2;
    limits[cudaLimitDevRuntimePendingLaunchCount] = 2048;
    limits[cudaLimitMaxL2FetchGranularity] = 64;
    limits[cudaLimitPersistingL2CacheSize] = 0;
    limits[7] = 0;   /* spare slot: no such cudaLimit */
}

/* The built-in CPU backend owns the device heap its kernels' malloc() draws from, so
 * the heap limit lives there; other backends only keep the value for reporting. */
static bool heap_in_cpu_backend(void) { return cushim__ops() == &cushim_cpu_vendor; }

/* Limits this device does not have. Dynamic parallelism (device-side launches) is not
 * supported, so its two limits are absent, as CUDA reports them on devices without
 * the feature: cudaErrorUnsupportedLimit for both reading and setting. */
static bool limit_supported(enum cudaLimit limit)
{
    switch (limit) {
    case cudaLimitStackSize:
    case cudaLimitPrintfFifoSize:
    case cudaLimitMallocHeapSize:
    case cudaLimitMaxL2FetchGranularity:
    case cudaLimitPersistingL2CacheSize:
        return true;
    default:
        return false;
    }
}

cudaError_t cushim_impl_cudaDeviceSetLimit(enum cudaLimit limit, size_t value)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (!limit_supported(limit))
        return cudaErrorUnsupportedLimit;
    cushim__device_state *ds = cushim__device_state_of(dev);
    switch (limit) {
    case cudaLimitStackSize:
    case cudaLimitPrintfFifoSize:
        /* Kept and reported as set: threads here run on host stacks and device printf
         * writes straight to the output, so no size is too large (CUDA itself accepts
         * stacks of tens of MiB, failing only when its reservation does not fit). */
        break;
    case cudaLimitMallocHeapSize:
        if (heap_in_cpu_backend()) {
            /* The backend refuses once its heap exists (a kernel has called malloc),
             * which is when CUDA refuses too: the heap cannot move under live blocks. */
            if (cpu_set_malloc_heap_limit(value) != 0)
                return cudaErrorInvalidValue;
            value = cpu_get_malloc_heap_limit();
        }
        break;
    case cudaLimitMaxL2FetchGranularity:
        /* A hint CUDA documents as "ignored or clamped": clamped into 0..128, then down
         * to a power of two, as fetch sizes are. */
        if (value > L2_FETCH_MAX)
            value = L2_FETCH_MAX;
        while (value & (value - 1))
            value &= value - 1;
        break;
    case cudaLimitPersistingL2CacheSize: {
        /* A hint clamped to what the device can set aside (its
         * cudaDevAttrMaxPersistingL2CacheSize, 0 here): accepted, never exceeded. */
        struct cudaDeviceProp p;
        if (cushim_impl_cudaGetDeviceProperties(&p, dev) != cudaSuccess)
            return cudaErrorInvalidDevice;
        if (value > (size_t)p.persistingL2CacheMaxSize)
            value = (size_t)p.persistingL2CacheMaxSize;
        break;
    }
    default:
        break;
    }
    ds->limits[limit] = value;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDeviceGetLimit(size_t *pValue, enum cudaLimit limit)
{
    if (!pValue)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (!limit_supported(limit))
        return cudaErrorUnsupportedLimit;
    if (limit == cudaLimitMallocHeapSize && heap_in_cpu_backend())
        *pValue = cpu_get_malloc_heap_limit();
    else
        *pValue = cushim__device_state_of(dev)->limits[limit];
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDeviceSetCacheConfig(enum cudaFuncCache cacheConfig)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if ((unsigned)cacheConfig > cudaFuncCachePreferEqual)
        return cudaErrorInvalidValue;
    cushim__device_state_of(dev)->cache_config = cacheConfig;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDeviceGetCacheConfig(enum cudaFuncCache *pCacheConfig)
{
    if (!pCacheConfig)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    *pCacheConfig = (enum cudaFuncCache)cushim__device_state_of(dev)->cache_config;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDeviceSetSharedMemConfig(enum cudaSharedMemConfig config)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if ((unsigned)config > cudaSharedMemBankSizeEightByte)
        return cudaErrorInvalidValue;
    cushim__device_state_of(dev)->shmem_config = config;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDeviceGetSharedMemConfig(enum cudaSharedMemConfig *pConfig)
{
    if (!pConfig)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    *pConfig = (enum cudaSharedMemConfig)cushim__device_state_of(dev)->shmem_config;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDeviceGetStreamPriorityRange(int *leastPriority, int *greatestPriority)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    /* CUDA's range; streams run in order of submission whatever their priority. */
    if (leastPriority)
        *leastPriority = 0;
    if (greatestPriority)
        *greatestPriority = -5;
    return cudaSuccess;
}

/* ---- synchronisation and reset -------------------------------------------------------- */

cudaError_t cushim_impl_cudaDeviceSynchronize(void)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    return cushim__device_wait(dev);
}

cudaError_t cushim_impl_cudaDeviceReset(void)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (cushim__in_stream_worker())
        return cudaErrorNotPermitted;
    /* Outstanding work completes before the device's memory goes. */
    cushim__drain_all();
    cushim__alloc_release_device(dev);
    cushim__reset_errors();
    cushim__device_state *ds = cushim__device_state_of(dev);
    ds->flags = 0;
    ds->cache_config = 0;
    ds->shmem_config = 0;
    /* A new context starts with CUDA's default limits. The CPU backend's heap stays
     * as it is once created (it reports its own size through cudaDeviceGetLimit). */
    cushim__limits_default(ds->limits);
    return cudaSuccess;
}

/* ---- properties ---------------------------------------------------------------------- */

/* Fields both cudaDeviceProp layouts have, with the same type. */
#define COMMON_PROP_FIELDS(X) \
    X(name) X(uuid) X(luid) X(luidDeviceNodeMask) X(totalGlobalMem) X(sharedMemPerBlock) \
    X(regsPerBlock) X(warpSize) X(memPitch) X(maxThreadsPerBlock) X(maxThreadsDim) \
    X(maxGridSize) X(totalConstMem) X(major) X(minor) X(textureAlignment) \
    X(texturePitchAlignment) X(multiProcessorCount) X(integrated) X(canMapHostMemory) \
    X(maxTexture1D) X(maxTexture1DMipmap) X(maxTexture2D) X(maxTexture2DMipmap) \
    X(maxTexture2DLinear) X(maxTexture2DGather) X(maxTexture3D) X(maxTexture3DAlt) \
    X(maxTextureCubemap) X(maxTexture1DLayered) X(maxTexture2DLayered) \
    X(maxTextureCubemapLayered) X(maxSurface1D) X(maxSurface2D) X(maxSurface3D) \
    X(maxSurface1DLayered) X(maxSurface2DLayered) X(maxSurfaceCubemap) \
    X(maxSurfaceCubemapLayered) X(surfaceAlignment) X(concurrentKernels) X(ECCEnabled) \
    X(pciBusID) X(pciDeviceID) X(pciDomainID) X(tccDriver) X(asyncEngineCount) \
    X(unifiedAddressing) X(memoryBusWidth) X(l2CacheSize) X(persistingL2CacheMaxSize) \
    X(maxThreadsPerMultiProcessor) X(streamPrioritiesSupported) X(globalL1CacheSupported) \
    X(localL1CacheSupported) X(sharedMemPerMultiprocessor) X(regsPerMultiprocessor) \
    X(managedMemory) X(isMultiGpuBoard) X(multiGpuBoardGroupID) X(hostNativeAtomicSupported) \
    X(pageableMemoryAccess) X(concurrentManagedAccess) X(computePreemptionSupported) \
    X(canUseHostPointerForRegisteredMem) X(cooperativeLaunch) X(sharedMemPerBlockOptin) \
    X(pageableMemoryAccessUsesHostPageTables) X(directManagedMemAccessFromHost) \
    X(maxBlocksPerMultiProcessor) X(accessPolicyMaxWindowSize) X(reservedSharedMemPerBlock) \
    X(hostRegisterSupported) X(sparseCudaArraySupported) X(hostRegisterReadOnlySupported) \
    X(timelineSemaphoreInteropSupported) X(memoryPoolsSupported) X(gpuDirectRDMASupported) \
    X(gpuDirectRDMAFlushWritesOptions) X(gpuDirectRDMAWritesOrdering) \
    X(memoryPoolSupportedHandleTypes) X(deferredMappingCudaArraySupported) \
    X(ipcEventSupported) X(clusterLaunch) X(unifiedFunctionPointers)

static void set2(int *a, int x, int y) { a[0] = x; a[1] = y; }
static void set3(int *a, int x, int y, int z) { a[0] = x; a[1] = y; a[2] = z; }

static int clamp_int(uint64_t v) { return v > 0x7fffffff ? 0x7fffffff : (int)v; }

static void fill_props(struct cudaDeviceProp *p, int dev)
{
    const cushim_device_info *di = cushim__device_info(dev);
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", di->name);
    memcpy(p->uuid.bytes, di->uuid, sizeof p->uuid.bytes);
    p->totalGlobalMem = di->total_mem;
    p->sharedMemPerBlock = di->shared_mem_per_block;
    p->regsPerBlock = clamp_int(di->regs_per_block);
    p->warpSize = 32;
    p->memPitch = 2147483647;
    p->maxThreadsPerBlock = clamp_int(di->max_threads_per_block);
    set3(p->maxThreadsDim, clamp_int(di->max_block_dim[0]), clamp_int(di->max_block_dim[1]),
         clamp_int(di->max_block_dim[2]));
    set3(p->maxGridSize, clamp_int(di->max_grid_dim[0]), clamp_int(di->max_grid_dim[1]),
         clamp_int(di->max_grid_dim[2]));
    p->totalConstMem = di->total_const_mem;
    p->major = (int)di->cc_major;
    p->minor = (int)di->cc_minor;
    p->textureAlignment = 512;
    p->texturePitchAlignment = 32;
    p->multiProcessorCount = clamp_int(di->multiprocessor_count);
    p->integrated = di->integrated;
    p->canMapHostMemory = di->unified_addressing;
    /* Texture and surface limits of an sm_75 device: programs print or size by them. */
    p->maxTexture1D = 131072;
    p->maxTexture1DMipmap = 32768;
    set2(p->maxTexture2D, 131072, 65536);
    set2(p->maxTexture2DMipmap, 32768, 32768);
    set3(p->maxTexture2DLinear, 131072, 65000, 2097120);
    set2(p->maxTexture2DGather, 32768, 32768);
    set3(p->maxTexture3D, 16384, 16384, 16384);
    set3(p->maxTexture3DAlt, 8192, 8192, 32768);
    p->maxTextureCubemap = 32768;
    set2(p->maxTexture1DLayered, 32768, 2048);
    set3(p->maxTexture2DLayered, 32768, 32768, 2048);
    set2(p->maxTextureCubemapLayered, 32768, 2046);
    p->maxSurface1D = 32768;
    set2(p->maxSurface2D, 131072, 65536);
    set3(p->maxSurface3D, 16384, 16384, 16384);
    set2(p->maxSurface1DLayered, 32768, 2048);
    set3(p->maxSurface2DLayered, 32768, 32768, 2048);
    p->maxSurfaceCubemap = 32768;
    set2(p->maxSurfaceCubemapLayered, 32768, 2046);
    p->surfaceAlignment = 512;
    p->concurrentKernels = di->concurrent_kernels;
    p->pciBusID = di->pci_bus;
    p->pciDeviceID = di->pci_device;
    p->pciDomainID = di->pci_domain;
    p->asyncEngineCount = 0;   /* copies are synchronous with kernels */
    p->unifiedAddressing = di->unified_addressing;
    p->memoryBusWidth = clamp_int(di->memory_bus_width);
    p->l2CacheSize = clamp_int(di->l2_cache_bytes);
    p->maxThreadsPerMultiProcessor = clamp_int(di->max_threads_per_multiprocessor);
    p->streamPrioritiesSupported = 1;
    p->globalL1CacheSupported = 1;
    p->localL1CacheSupported = 1;
    p->sharedMemPerMultiprocessor = di->shared_mem_per_multiprocessor;
    p->regsPerMultiprocessor = clamp_int(di->regs_per_block);
    p->managedMemory = di->managed_memory;
    p->hostNativeAtomicSupported = di->integrated;
    p->pageableMemoryAccess = 0;
    p->concurrentManagedAccess = di->managed_memory && di->integrated;
    p->canUseHostPointerForRegisteredMem = di->unified_addressing;
    p->sharedMemPerBlockOptin = di->shared_mem_per_block_optin;
    p->directManagedMemAccessFromHost = di->managed_memory && di->integrated;
    p->maxBlocksPerMultiProcessor = clamp_int(di->max_blocks_per_multiprocessor);
    p->hostRegisterSupported = 1;
    p->deviceNumaId = -1;
    p->hostNumaId = -1;
}

cudaError_t cushim_impl_cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device)
{
    if (!prop)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (device < 0 || device >= cushim__device_count())
        return cudaErrorInvalidDevice;
    fill_props(prop, device);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGetDeviceProperties12(struct cudaDeviceProp12 *prop, int device)
{
    if (!prop)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (device < 0 || device >= cushim__device_count())
        return cudaErrorInvalidDevice;
    struct cudaDeviceProp p;
    fill_props(&p, device);
    memset(prop, 0, sizeof *prop);
#define X(f) memcpy(&prop->f, &p.f, sizeof prop->f);
    COMMON_PROP_FIELDS(X)
#undef X
    const cushim_device_info *di = cushim__device_info(device);
    prop->clockRate = clamp_int(di->clock_khz);
    prop->memoryClockRate = clamp_int(di->memory_clock_khz);
    prop->maxTexture1DLinear = 268435456;
    prop->singleToDoublePrecisionPerfRatio = 2;
    return cudaSuccess;
}

static bool props_match(const struct cudaDeviceProp *want, const struct cudaDeviceProp *have)
{
    if (want->major > have->major || (want->major == have->major && want->minor > have->minor))
        return false;
    if (want->totalGlobalMem > have->totalGlobalMem)
        return false;
    if (want->multiProcessorCount > have->multiProcessorCount)
        return false;
    return true;
}

cudaError_t cushim_impl_cudaChooseDevice(int *device, const struct cudaDeviceProp *prop)
{
    if (!device || !prop)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    *device = 0;
    for (int d = 0; d < cushim__device_count(); d++) {
        struct cudaDeviceProp have;
        fill_props(&have, d);
        if (props_match(prop, &have)) {
            *device = d;
            break;
        }
    }
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaChooseDevice12(int *device, const struct cudaDeviceProp12 *prop)
{
    if (!device || !prop)
        return cudaErrorInvalidValue;
    struct cudaDeviceProp p;
    memset(&p, 0, sizeof p);
    p.major = prop->major;
    p.minor = prop->minor;
    p.totalGlobalMem = prop->totalGlobalMem;
    p.multiProcessorCount = prop->multiProcessorCount;
    return cushim_impl_cudaChooseDevice(device, &p);
}

/* Every attribute, from the same values cudaGetDeviceProperties reports. */
cudaError_t cushim_impl_cudaDeviceGetAttribute(int *value, enum cudaDeviceAttr attr, int device)
{
    if (!value)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (device < 0 || device >= cushim__device_count())
        return cudaErrorInvalidDevice;
    struct cudaDeviceProp p;
    fill_props(&p, device);
    const cushim_device_info *di = cushim__device_info(device);
    int v;
    switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: v = p.maxThreadsPerBlock; break;
    case cudaDevAttrMaxBlockDimX: v = p.maxThreadsDim[0]; break;
    case cudaDevAttrMaxBlockDimY: v = p.maxThreadsDim[1]; break;
    case cudaDevAttrMaxBlockDimZ: v = p.maxThreadsDim[2]; break;
    case cudaDevAttrMaxGridDimX: v = p.maxGridSize[0]; break;
    case cudaDevAttrMaxGridDimY: v = p.maxGridSize[1]; break;
    case cudaDevAttrMaxGridDimZ: v = p.maxGridSize[2]; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: v = clamp_int(p.sharedMemPerBlock); break;
    case cudaDevAttrTotalConstantMemory: v = clamp_int(p.totalConstMem); break;
    case cudaDevAttrWarpSize: v = p.warpSize; break;
    case cudaDevAttrMaxPitch: v = clamp_int(p.memPitch); break;
    case cudaDevAttrMaxRegistersPerBlock: v = p.regsPerBlock; break;
    case cudaDevAttrClockRate: v = clamp_int(di->clock_khz); break;
    case cudaDevAttrTextureAlignment: v = clamp_int(p.textureAlignment); break;
    case cudaDevAttrGpuOverlap: v = p.asyncEngineCount > 0; break;
    case cudaDevAttrMultiProcessorCount: v = p.multiProcessorCount; break;
    case cudaDevAttrKernelExecTimeout: v = 0; break;
    case cudaDevAttrIntegrated: v = p.integrated; break;
    case cudaDevAttrCanMapHostMemory: v = p.canMapHostMemory; break;
    case cudaDevAttrComputeMode: v = cudaComputeModeDefault; break;
    case cudaDevAttrMaxTexture1DWidth: v = p.maxTexture1D; break;
    case cudaDevAttrMaxTexture2DWidth: v = p.maxTexture2D[0]; break;
    case cudaDevAttrMaxTexture2DHeight: v = p.maxTexture2D[1]; break;
    case cudaDevAttrMaxTexture3DWidth: v = p.maxTexture3D[0]; break;
    case cudaDevAttrMaxTexture3DHeight: v = p.maxTexture3D[1]; break;
    case cudaDevAttrMaxTexture3DDepth: v = p.maxTexture3D[2]; break;
    case cudaDevAttrMaxTexture2DLayeredWidth: v = p.maxTexture2DLayered[0]; break;
    case cudaDevAttrMaxTexture2DLayeredHeight: v = p.maxTexture2DLayered[1]; break;
    case cudaDevAttrMaxTexture2DLayeredLayers: v = p.maxTexture2DLayered[2]; break;
    case cudaDevAttrSurfaceAlignment: v = clamp_int(p.surfaceAlignment); break;
    case cudaDevAttrConcurrentKernels: v = p.concurrentKernels; break;
    case cudaDevAttrEccEnabled: v = p.ECCEnabled; break;
    case cudaDevAttrPciBusId: v = p.pciBusID; break;
    case cudaDevAttrPciDeviceId: v = p.pciDeviceID; break;
    case cudaDevAttrTccDriver: v = p.tccDriver; break;
    case cudaDevAttrMemoryClockRate: v = clamp_int(di->memory_clock_khz); break;
    case cudaDevAttrGlobalMemoryBusWidth: v = p.memoryBusWidth; break;
    case cudaDevAttrL2CacheSize: v = p.l2CacheSize; break;
    case cudaDevAttrMaxThreadsPerMultiProcessor: v = p.maxThreadsPerMultiProcessor; break;
    case cudaDevAttrAsyncEngineCount: v = p.asyncEngineCount; break;
    case cudaDevAttrUnifiedAddressing: v = p.unifiedAddressing; break;
    case cudaDevAttrMaxTexture1DLayeredWidth: v = p.maxTexture1DLayered[0]; break;
    case cudaDevAttrMaxTexture1DLayeredLayers: v = p.maxTexture1DLayered[1]; break;
    case cudaDevAttrMaxTexture2DGatherWidth: v = p.maxTexture2DGather[0]; break;
    case cudaDevAttrMaxTexture2DGatherHeight: v = p.maxTexture2DGather[1]; break;
    case cudaDevAttrMaxTexture3DWidthAlt: v = p.maxTexture3DAlt[0]; break;
    case cudaDevAttrMaxTexture3DHeightAlt: v = p.maxTexture3DAlt[1]; break;
    case cudaDevAttrMaxTexture3DDepthAlt: v = p.maxTexture3DAlt[2]; break;
    case cudaDevAttrPciDomainId: v = p.pciDomainID; break;
    case cudaDevAttrTexturePitchAlignment: v = clamp_int(p.texturePitchAlignment); break;
    case cudaDevAttrMaxTextureCubemapWidth: v = p.maxTextureCubemap; break;
    case cudaDevAttrMaxTextureCubemapLayeredWidth: v = p.maxTextureCubemapLayered[0]; break;
    case cudaDevAttrMaxTextureCubemapLayeredLayers: v = p.maxTextureCubemapLayered[1]; break;
    case cudaDevAttrMaxSurface1DWidth: v = p.maxSurface1D; break;
    case cudaDevAttrMaxSurface2DWidth: v = p.maxSurface2D[0]; break;
    case cudaDevAttrMaxSurface2DHeight: v = p.maxSurface2D[1]; break;
    case cudaDevAttrMaxSurface3DWidth: v = p.maxSurface3D[0]; break;
    case cudaDevAttrMaxSurface3DHeight: v = p.maxSurface3D[1]; break;
    case cudaDevAttrMaxSurface3DDepth: v = p.maxSurface3D[2]; break;
    case cudaDevAttrMaxSurface1DLayeredWidth: v = p.maxSurface1DLayered[0]; break;
    case cudaDevAttrMaxSurface1DLayeredLayers: v = p.maxSurface1DLayered[1]; break;
    case cudaDevAttrMaxSurface2DLayeredWidth: v = p.maxSurface2DLayered[0]; break;
    case cudaDevAttrMaxSurface2DLayeredHeight: v = p.maxSurface2DLayered[1]; break;
    case cudaDevAttrMaxSurface2DLayeredLayers: v = p.maxSurface2DLayered[2]; break;
    case cudaDevAttrMaxSurfaceCubemapWidth: v = p.maxSurfaceCubemap; break;
    case cudaDevAttrMaxSurfaceCubemapLayeredWidth: v = p.maxSurfaceCubemapLayered[0]; break;
    case cudaDevAttrMaxSurfaceCubemapLayeredLayers: v = p.maxSurfaceCubemapLayered[1]; break;
    case cudaDevAttrMaxTexture1DLinearWidth: v = 268435456; break;
    case cudaDevAttrMaxTexture2DLinearWidth: v = p.maxTexture2DLinear[0]; break;
    case cudaDevAttrMaxTexture2DLinearHeight: v = p.maxTexture2DLinear[1]; break;
    case cudaDevAttrMaxTexture2DLinearPitch: v = p.maxTexture2DLinear[2]; break;
    case cudaDevAttrMaxTexture2DMipmappedWidth: v = p.maxTexture2DMipmap[0]; break;
    case cudaDevAttrMaxTexture2DMipmappedHeight: v = p.maxTexture2DMipmap[1]; break;
    case cudaDevAttrComputeCapabilityMajor: v = p.major; break;
    case cudaDevAttrComputeCapabilityMinor: v = p.minor; break;
    case cudaDevAttrMaxTexture1DMipmappedWidth: v = p.maxTexture1DMipmap; break;
    case cudaDevAttrStreamPrioritiesSupported: v = p.streamPrioritiesSupported; break;
    case cudaDevAttrGlobalL1CacheSupported: v = p.globalL1CacheSupported; break;
    case cudaDevAttrLocalL1CacheSupported: v = p.localL1CacheSupported; break;
    case cudaDevAttrMaxSharedMemoryPerMultiprocessor: v = clamp_int(p.sharedMemPerMultiprocessor); break;
    case cudaDevAttrMaxRegistersPerMultiprocessor: v = p.regsPerMultiprocessor; break;
    case cudaDevAttrManagedMemory: v = p.managedMemory; break;
    case cudaDevAttrIsMultiGpuBoard: v = p.isMultiGpuBoard; break;
    case cudaDevAttrMultiGpuBoardGroupID: v = p.multiGpuBoardGroupID; break;
    case cudaDevAttrHostNativeAtomicSupported: v = p.hostNativeAtomicSupported; break;
    case cudaDevAttrSingleToDoublePrecisionPerfRatio: v = 2; break;
    case cudaDevAttrPageableMemoryAccess: v = p.pageableMemoryAccess; break;
    case cudaDevAttrConcurrentManagedAccess: v = p.concurrentManagedAccess; break;
    case cudaDevAttrComputePreemptionSupported: v = p.computePreemptionSupported; break;
    case cudaDevAttrCanUseHostPointerForRegisteredMem: v = p.canUseHostPointerForRegisteredMem; break;
    case cudaDevAttrCooperativeLaunch: v = p.cooperativeLaunch; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: v = clamp_int(p.sharedMemPerBlockOptin); break;
    case cudaDevAttrCanFlushRemoteWrites: v = 0; break;
    case cudaDevAttrHostRegisterSupported: v = p.hostRegisterSupported; break;
    case cudaDevAttrPageableMemoryAccessUsesHostPageTables: v = p.pageableMemoryAccessUsesHostPageTables; break;
    case cudaDevAttrDirectManagedMemAccessFromHost: v = p.directManagedMemAccessFromHost; break;
    case cudaDevAttrMaxBlocksPerMultiprocessor: v = p.maxBlocksPerMultiProcessor; break;
    case cudaDevAttrMaxPersistingL2CacheSize: v = p.persistingL2CacheMaxSize; break;
    case cudaDevAttrMaxAccessPolicyWindowSize: v = p.accessPolicyMaxWindowSize; break;
    case cudaDevAttrReservedSharedMemoryPerBlock: v = clamp_int(p.reservedSharedMemPerBlock); break;
    case cudaDevAttrSparseCudaArraySupported: v = p.sparseCudaArraySupported; break;
    case cudaDevAttrHostRegisterReadOnlySupported: v = p.hostRegisterReadOnlySupported; break;
    case cudaDevAttrTimelineSemaphoreInteropSupported: v = p.timelineSemaphoreInteropSupported; break;
    case cudaDevAttrMemoryPoolsSupported: v = p.memoryPoolsSupported; break;
    case cudaDevAttrGPUDirectRDMASupported: v = p.gpuDirectRDMASupported; break;
    case cudaDevAttrGPUDirectRDMAFlushWritesOptions: v = (int)p.gpuDirectRDMAFlushWritesOptions; break;
    case cudaDevAttrGPUDirectRDMAWritesOrdering: v = p.gpuDirectRDMAWritesOrdering; break;
    case cudaDevAttrMemoryPoolSupportedHandleTypes: v = (int)p.memoryPoolSupportedHandleTypes; break;
    case cudaDevAttrClusterLaunch: v = p.clusterLaunch; break;
    case cudaDevAttrDeferredMappingCudaArraySupported: v = p.deferredMappingCudaArraySupported; break;
    case cudaDevAttrIpcEventSupport: v = p.ipcEventSupported; break;
    case cudaDevAttrMemSyncDomainCount: v = 1; break;
    case cudaDevAttrNumaConfig: v = p.deviceNumaConfig; break;
    case cudaDevAttrNumaId: v = p.deviceNumaId; break;
    case cudaDevAttrMpsEnabled: v = p.mpsEnabled; break;
    case cudaDevAttrHostNumaId: v = p.hostNumaId; break;
    case cudaDevAttrD3D12CigSupported: v = 0; break;
    case cudaDevAttrVulkanCigSupported: v = 0; break;
    case cudaDevAttrGpuPciDeviceId: v = (int)p.gpuPciDeviceID; break;
    case cudaDevAttrGpuPciSubsystemId: v = (int)p.gpuPciSubsystemID; break;
    case cudaDevAttrHostNumaMemoryPoolsSupported: v = 0; break;
    case cudaDevAttrHostNumaMultinodeIpcSupported: v = p.hostNumaMultinodeIpcSupported; break;
    case cudaDevAttrHostMemoryPoolsSupported: v = 0; break;
    case cudaDevAttrOnlyPartialHostNativeAtomicSupported: v = 0; break;
    default:
        return cudaErrorInvalidValue;
    }
    *value = v;
    return cudaSuccess;
}
