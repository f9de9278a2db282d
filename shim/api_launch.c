/* api_launch.c: the registration interface nvcc's generated code calls
 * (__cudaRegister*, __cudaInitModule), kernel launch (<<<...>>> through push/pop and
 * __cudaLaunchKernel for CUDA 13 stubs, cudaLaunchKernel for CUDA 12 stubs), function
 * attributes and occupancy. */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "shim/api_gen.h"
#include "shim/core.h"
#include "shim/log.h"

void **cushim_impl___cudaRegisterFatBinary(void *fatCubin)
{
    return cushim__fatbin_register(fatCubin);
}

void cushim_impl___cudaRegisterFatBinaryEnd(void **fatCubinHandle)
{
    cushim__fatbin_register_end(fatCubinHandle);
}

void cushim_impl___cudaUnregisterFatBinary(void **fatCubinHandle)
{
    cushim__fatbin_unregister(fatCubinHandle);
}

void cushim_impl___cudaRegisterFunction(void **fatCubinHandle, const char *hostFun, char *deviceFun,
                                        const char *deviceName, int thread_limit, uint3 *tid,
                                        uint3 *bid, dim3 *bDim, dim3 *gDim, int *wSize)
{
    (void)deviceFun; (void)thread_limit; (void)tid; (void)bid; (void)bDim; (void)gDim; (void)wSize;
    cushim__function_register(fatCubinHandle, hostFun, deviceName);
}

void cushim_impl___cudaRegisterVar(void **fatCubinHandle, char *hostVar, char *deviceAddress,
                                   const char *deviceName, int ext, size_t size, int constant,
                                   int global)
{
    (void)deviceAddress; (void)ext; (void)global;
    cushim__var_register(fatCubinHandle, hostVar, deviceName, size, constant != 0, NULL);
}

void cushim_impl___cudaRegisterManagedVar(void **fatCubinHandle, void **hostVarPtrAddress,
                                          char *deviceAddress, const char *deviceName, int ext,
                                          size_t size, int constant, int global)
{
    (void)deviceAddress; (void)ext; (void)global;
    /* The symbol key of a managed variable is the address of its pointer slot. */
    cushim__var_register(fatCubinHandle, hostVarPtrAddress, deviceName, size, constant != 0,
                         hostVarPtrAddress);
}

char cushim_impl___cudaInitModule(void **fatCubinHandle)
{
    return cushim__fatbin_init_module(fatCubinHandle) ? 1 : 0;
}

unsigned int cushim_impl___cudaPushCallConfiguration(dim3 gridDim, dim3 blockDim, size_t sharedMem,
                                                     cudaStream_t stream)
{
    cushim__config_push(gridDim, blockDim, sharedMem, stream);
    return 0;
}

cudaError_t cushim_impl___cudaPopCallConfiguration(dim3 *gridDim, dim3 *blockDim, size_t *sharedMem,
                                                   void *stream)
{
    dim3 g, b;
    size_t shm;
    cudaStream_t s;
    if (!cushim__config_pop(&g, &b, &shm, &s))
        return cudaErrorMissingConfiguration;
    if (gridDim) *gridDim = g;
    if (blockDim) *blockDim = b;
    if (sharedMem) *sharedMem = shm;
    if (stream) *(cudaStream_t *)stream = s;
    return cudaSuccess;
}

cudaError_t cushim_impl___cudaGetKernel(cudaKernel_t *kernelPtr, const void *entryFuncAddr)
{
    if (!kernelPtr)
        return cudaErrorInvalidValue;
    cushim__kernel *k = cushim__kernel_by_host_fun(entryFuncAddr);
    if (!k) {
        CUSHIM_ERROR(LAUNCH, "__cudaGetKernel: %p is not a registered kernel", entryFuncAddr);
        return cudaErrorInvalidDeviceFunction;
    }
    *kernelPtr = (cudaKernel_t)k;
    return cudaSuccess;
}

cudaError_t cushim_impl___cudaLaunchKernel(cudaKernel_t kernel, dim3 gridDim, dim3 blockDim,
                                           void **args, size_t sharedMem, cudaStream_t stream)
{
    cushim__kernel *k = (cushim__kernel *)kernel;
    if (!k || !cushim__kernel_valid(k))
        return cudaErrorInvalidDeviceFunction;
    return cushim__launch(k, gridDim, blockDim, args, sharedMem, stream, false);
}

cudaError_t cushim_impl_cudaLaunchKernel(const void *func, dim3 gridDim, dim3 blockDim, void **args,
                                         size_t sharedMem, cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    cushim__kernel *k = cushim__kernel_by_host_fun(func);
    if (!k)
        return cudaErrorInvalidDeviceFunction;
    return cushim__launch(k, gridDim, blockDim, args, sharedMem, stream, false);
}

/* ---- function attributes ------------------------------------------------------------ */

/* The kernel behind a host function pointer, resolved on the current device. */
static cudaError_t kernel_for(const void *func, cushim__kernel **k, int *dev,
                              cushim_kernel_info *info, uint32_t *ptx_version)
{
    cudaError_t e = cushim__current_device(dev);
    if (e != cudaSuccess)
        return e;
    if (!func)
        return cudaErrorInvalidDeviceFunction;
    *k = cushim__kernel_by_host_fun(func);
    if (!*k)
        return cudaErrorInvalidDeviceFunction;
    return cushim__kernel_resolve(*k, *dev, NULL, info, NULL, ptx_version);
}

/* The dynamic shared memory a launch of the kernel may ask for: the bytes set by
 * cudaFuncAttributeMaxDynamicSharedMemorySize, else the default per-block limit minus
 * the kernel's static shared memory. Launch checks and occupancy use the same bound. */
static uint64_t max_dynamic_shared(const cushim_device_info *di, const cushim_kernel_info *info,
                                   const cushim__kernel_attrs *ka)
{
    if (ka->max_dynamic_shared >= 0)
        return (uint64_t)ka->max_dynamic_shared;
    return di->shared_mem_per_block > info->static_shared_bytes
               ? di->shared_mem_per_block - info->static_shared_bytes : 0;
}

/* The largest block the kernel can be launched with: its .maxntid/.reqntid, within the
 * device's threads per block. */
static unsigned kernel_max_threads(const cushim_device_info *di, const cushim_kernel_info *info)
{
    return info->max_threads_per_block && info->max_threads_per_block < di->max_threads_per_block
               ? info->max_threads_per_block : di->max_threads_per_block;
}

cudaError_t cushim_impl_cudaFuncGetAttributes(struct cudaFuncAttributes *attr, const void *func)
{
    if (!attr)
        return cudaErrorInvalidValue;
    cushim__kernel *k;
    int dev;
    cushim_kernel_info info;
    uint32_t ptx_version = 0;
    cudaError_t e = kernel_for(func, &k, &dev, &info, &ptx_version);
    if (e != cudaSuccess)
        return e;
    const cushim_device_info *di = cushim__device_info(dev);
    cushim__kernel_attrs *ka = cushim__kernel_attrs_of(k);
    memset(attr, 0, sizeof *attr);
    attr->sharedSizeBytes = info.static_shared_bytes;
    attr->constSizeBytes = info.const_bytes;
    attr->localSizeBytes = info.local_bytes_per_thread;
    attr->maxThreadsPerBlock = (int)kernel_max_threads(di, &info);
    attr->numRegs = (int)info.num_regs;
    attr->ptxVersion = (int)ptx_version;
    attr->binaryVersion = (int)(di->cc_major * 10 + di->cc_minor);
    attr->maxDynamicSharedSizeBytes = (int)max_dynamic_shared(di, &info, ka);
    attr->preferredShmemCarveout = ka->preferred_carveout;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaFuncSetAttribute(const void *func, enum cudaFuncAttribute attr, int value)
{
    cushim__kernel *k;
    int dev;
    cushim_kernel_info info;
    cudaError_t e = kernel_for(func, &k, &dev, &info, NULL);
    if (e != cudaSuccess)
        return e;
    const cushim_device_info *di = cushim__device_info(dev);
    cushim__kernel_attrs *ka = cushim__kernel_attrs_of(k);
    switch (attr) {
    case cudaFuncAttributeMaxDynamicSharedMemorySize:
        if (value < 0 || (uint64_t)value + info.static_shared_bytes > di->shared_mem_per_block_optin)
            return cudaErrorInvalidValue;
        ka->max_dynamic_shared = value;
        return cudaSuccess;
    case cudaFuncAttributePreferredSharedMemoryCarveout:
        if (value < -1 || value > 100)
            return cudaErrorInvalidValue;
        ka->preferred_carveout = value;
        return cudaSuccess;
    case cudaFuncAttributeClusterDimMustBeSet:
    case cudaFuncAttributeRequiredClusterWidth:
    case cudaFuncAttributeRequiredClusterHeight:
    case cudaFuncAttributeRequiredClusterDepth:
        return cudaErrorNotPermitted;  /* read-only, as in CUDA */
    case cudaFuncAttributeNonPortableClusterSizeAllowed:
    case cudaFuncAttributeClusterSchedulingPolicyPreference:
        return cudaSuccess;            /* scheduling hints without effect here */
    default:
        return cudaErrorInvalidValue;
    }
}

cudaError_t cushim_impl_cudaFuncSetCacheConfig(const void *func, enum cudaFuncCache cacheConfig)
{
    cushim__kernel *k;
    int dev;
    cushim_kernel_info info;
    if ((unsigned)cacheConfig > cudaFuncCachePreferEqual)
        return cudaErrorInvalidValue;
    cudaError_t e = kernel_for(func, &k, &dev, &info, NULL);
    if (e != cudaSuccess)
        return e;
    cushim__kernel_attrs_of(k)->cache_config = cacheConfig;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaFuncSetSharedMemConfig(const void *func, enum cudaSharedMemConfig config)
{
    cushim__kernel *k;
    int dev;
    cushim_kernel_info info;
    if ((unsigned)config > cudaSharedMemBankSizeEightByte)
        return cudaErrorInvalidValue;
    return kernel_for(func, &k, &dev, &info, NULL);
}

cudaError_t cushim_impl_cudaFuncGetName(const char **name, const void *func)
{
    if (!name)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    cushim__kernel *k = func ? cushim__kernel_by_host_fun(func) : NULL;
    if (!k)
        return cudaErrorInvalidDeviceFunction;
    *name = cushim__kernel_name(k);
    return cudaSuccess;
}

/* ---- occupancy -------------------------------------------------------------------- */

/* Blocks of `block_size` threads that can be resident on one multiprocessor, by the
 * rules of CUDA's occupancy calculator (cuda_occupancy.h) applied to what the device
 * and cudaFuncGetAttributes report: warps (block size rounded up to whole warps)
 * within the threads per SM, the blocks per SM, and shared memory (static + dynamic)
 * within the shared memory per SM. A block the kernel cannot be launched with (more
 * threads than its maxThreadsPerBlock, more dynamic shared memory than its
 * maxDynamicSharedSizeBytes) gets 0, as in CUDA.
 * Registers do not count: these backends have no register file, and numRegs is the
 * PTX virtual register count, which overstates what a GPU allocates (ptxas reuses
 * registers), so counting it would report blocks as not fitting that run. */
static int blocks_per_sm(const cushim_device_info *di, const cushim_kernel_info *info,
                         const cushim__kernel_attrs *ka, int block_size, size_t dynamic_smem)
{
    if (block_size <= 0 || (unsigned)block_size > kernel_max_threads(di, info))
        return 0;
    if (dynamic_smem > max_dynamic_shared(di, info, ka))
        return 0;
    unsigned warp = di->warp_size ? di->warp_size : 32;
    unsigned warps_per_block = ((unsigned)block_size + warp - 1) / warp;
    unsigned blocks = di->max_threads_per_multiprocessor / warp / warps_per_block;
    if (blocks > di->max_blocks_per_multiprocessor)
        blocks = di->max_blocks_per_multiprocessor;
    uint64_t smem = (uint64_t)info->static_shared_bytes + dynamic_smem;
    if (smem && di->shared_mem_per_multiprocessor / smem < blocks)
        blocks = (unsigned)(di->shared_mem_per_multiprocessor / smem);
    return (int)blocks;
}

/* The kernel behind `func` on the current device, with everything occupancy needs. */
static cudaError_t occupancy_inputs(const void *func, const cushim_device_info **di,
                                    cushim_kernel_info *info, cushim__kernel_attrs **ka)
{
    cushim__kernel *k;
    int dev;
    cudaError_t e = kernel_for(func, &k, &dev, info, NULL);
    if (e != cudaSuccess)
        return e;
    *di = cushim__device_info(dev);
    *ka = cushim__kernel_attrs_of(k);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
    int *numBlocks, const void *func, int blockSize, size_t dynamicSMemSize, unsigned int flags)
{
    /* cudaOccupancyDisableCachingOverride only concerns global caching on GPUs that
     * partition it; it does not change the count here. */
    if (!numBlocks || (flags & ~(unsigned)cudaOccupancyDisableCachingOverride) || blockSize <= 0)
        return cudaErrorInvalidValue;
    const cushim_device_info *di;
    cushim_kernel_info info;
    cushim__kernel_attrs *ka;
    cudaError_t e = occupancy_inputs(func, &di, &info, &ka);
    if (e != cudaSuccess)
        return e;
    *numBlocks = blocks_per_sm(di, &info, ka, blockSize, dynamicSMemSize);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaOccupancyMaxActiveBlocksPerMultiprocessor(int *numBlocks, const void *func,
                                                                      int blockSize,
                                                                      size_t dynamicSMemSize)
{
    return cushim_impl_cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
        numBlocks, func, blockSize, dynamicSMemSize, cudaOccupancyDefault);
}

/* The dynamic shared memory each of `numBlocks` blocks can have with all of them
 * resident on one SM (cudaOccAvailableDynamicSMemPerBlock's rules): the SM's shared
 * memory split evenly, within the per-block opt-in limit, less the static part, within
 * the kernel's maxDynamicSharedSizeBytes. numBlocks that cannot be resident for other
 * reasons (threads, blocks per SM) -> cudaErrorInvalidValue. */
cudaError_t cushim_impl_cudaOccupancyAvailableDynamicSMemPerBlock(size_t *dynamicSmemSize,
                                                                  const void *func, int numBlocks,
                                                                  int blockSize)
{
    if (!dynamicSmemSize || numBlocks <= 0 || blockSize <= 0)
        return cudaErrorInvalidValue;
    const cushim_device_info *di;
    cushim_kernel_info info;
    cushim__kernel_attrs *ka;
    cudaError_t e = occupancy_inputs(func, &di, &info, &ka);
    if (e != cudaSuccess)
        return e;
    if (blocks_per_sm(di, &info, ka, blockSize, 0) < numBlocks)
        return cudaErrorInvalidValue;
    uint64_t per_block = di->shared_mem_per_multiprocessor / (unsigned)numBlocks;
    if (per_block > di->shared_mem_per_block_optin)
        per_block = di->shared_mem_per_block_optin;
    uint64_t avail = per_block > info.static_shared_bytes ? per_block - info.static_shared_bytes : 0;
    uint64_t cap = max_dynamic_shared(di, &info, ka);
    *dynamicSmemSize = (size_t)(avail < cap ? avail : cap);
    return cudaSuccess;
}

/* Thread block clusters need compute capability 9.0 and cluster launch, which these
 * devices do not have (cudaDevAttrClusterLaunch is 0, and launches with a cluster
 * dimension above 1 fail with cudaErrorNotSupported): after the argument checks CUDA
 * makes, the cluster occupancy queries answer cudaErrorNotSupported, with a message. */
static cudaError_t cluster_query(const char *api, atomic_flag *said, int *out, const void *func,
                                 const cudaLaunchConfig_t *config)
{
    if (!out || !config)
        return cudaErrorInvalidValue;
    const cushim_device_info *di;
    cushim_kernel_info info;
    cushim__kernel_attrs *ka;
    cudaError_t e = occupancy_inputs(func, &di, &info, &ka);
    if (e != cudaSuccess)
        return e;
    if (!atomic_flag_test_and_set(said))   /* once: programs may ask in a loop */
        CUSHIM_ERROR(LAUNCH, "%s: thread block clusters are not supported (device '%s' has "
                     "no cluster launch)", api, di->name);
    return cudaErrorNotSupported;
}

cudaError_t cushim_impl_cudaOccupancyMaxPotentialClusterSize(int *clusterSize, const void *func,
                                                             const cudaLaunchConfig_t *launchConfig)
{
    static atomic_flag said = ATOMIC_FLAG_INIT;
    return cluster_query("cudaOccupancyMaxPotentialClusterSize", &said, clusterSize, func,
                         launchConfig);
}

cudaError_t cushim_impl_cudaOccupancyMaxActiveClusters(int *numClusters, const void *func,
                                                       const cudaLaunchConfig_t *launchConfig)
{
    static atomic_flag said = ATOMIC_FLAG_INIT;
    return cluster_query("cudaOccupancyMaxActiveClusters", &said, numClusters, func, launchConfig);
}
