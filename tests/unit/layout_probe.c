/* layout_probe.c: prints sizeof and offsetof of every struct field cushim declares in
 * shim/cuda_types.h. Built twice by tests/e2e/cuda_layout.sh, once against our header
 * and once against the toolkit's (-DUSE_TOOLKIT), and the outputs compared. With
 * -DCUDA12 the CUDA 12 layouts are probed (our *12 structs vs the CUDA 12 headers). */
#include <stddef.h>
#include <stdio.h>
#ifdef USE_TOOLKIT
#include <cuda_runtime_api.h>
#define PROP12 cudaDeviceProp
#define PTRATTR12 cudaPointerAttributes
#else
#include "shim/cuda_types.h"
#define PROP12 cudaDeviceProp12
#define PTRATTR12 cudaPointerAttributes12
#endif

#define SIZE(t) printf("sizeof %s %zu\n", #t, sizeof(t))
#define OFF(t, f) printf("offsetof .%s %zu\n", #f, offsetof(t, f));

#define PROP_FIELDS_COMMON(T, X) \
    X(T, name) X(T, uuid) X(T, luid) X(T, luidDeviceNodeMask) X(T, totalGlobalMem) \
    X(T, sharedMemPerBlock) X(T, regsPerBlock) X(T, warpSize) X(T, memPitch) \
    X(T, maxThreadsPerBlock) X(T, maxThreadsDim) X(T, maxGridSize) X(T, totalConstMem) \
    X(T, major) X(T, minor) X(T, textureAlignment) X(T, texturePitchAlignment) \
    X(T, multiProcessorCount) X(T, integrated) X(T, canMapHostMemory) X(T, maxTexture1D) \
    X(T, maxTexture2D) X(T, maxTexture3D) X(T, maxSurfaceCubemapLayered) \
    X(T, surfaceAlignment) X(T, concurrentKernels) X(T, pciBusID) X(T, pciDomainID) \
    X(T, unifiedAddressing) X(T, memoryBusWidth) X(T, l2CacheSize) \
    X(T, maxThreadsPerMultiProcessor) X(T, sharedMemPerMultiprocessor) \
    X(T, regsPerMultiprocessor) X(T, managedMemory) X(T, cooperativeLaunch) \
    X(T, sharedMemPerBlockOptin) X(T, maxBlocksPerMultiProcessor) \
    X(T, reservedSharedMemPerBlock) X(T, gpuDirectRDMAFlushWritesOptions) \
    X(T, memoryPoolSupportedHandleTypes) X(T, unifiedFunctionPointers) X(T, reserved)

int main(void)
{
#ifdef CUDA12
    SIZE(struct PROP12);
    PROP_FIELDS_COMMON(struct PROP12, OFF)
    OFF(struct PROP12, clockRate); OFF(struct PROP12, deviceOverlap);
    OFF(struct PROP12, computeMode); OFF(struct PROP12, maxTexture1DLinear);
    OFF(struct PROP12, memoryClockRate); OFF(struct PROP12, singleToDoublePrecisionPerfRatio);
    OFF(struct PROP12, cooperativeMultiDeviceLaunch);
    SIZE(struct PTRATTR12);
    OFF(struct PTRATTR12, device); OFF(struct PTRATTR12, devicePointer);
    OFF(struct PTRATTR12, hostPointer);
#else
    SIZE(struct cudaDeviceProp);
    PROP_FIELDS_COMMON(struct cudaDeviceProp, OFF)
    OFF(struct cudaDeviceProp, deviceNumaConfig); OFF(struct cudaDeviceProp, hostNumaId);
    OFF(struct cudaDeviceProp, hostNumaMultinodeIpcSupported);
    SIZE(struct cudaPointerAttributes);
    OFF(struct cudaPointerAttributes, device); OFF(struct cudaPointerAttributes, devicePointer);
    OFF(struct cudaPointerAttributes, hostPointer); OFF(struct cudaPointerAttributes, reserved);
    SIZE(struct cudaLaunchConfig_st);
    OFF(struct cudaLaunchConfig_st, dynamicSmemBytes); OFF(struct cudaLaunchConfig_st, stream);
    OFF(struct cudaLaunchConfig_st, attrs); OFF(struct cudaLaunchConfig_st, numAttrs);
    SIZE(cudaLaunchAttribute);
    OFF(cudaLaunchAttribute, val);
#endif
    SIZE(struct cudaFuncAttributes);
    OFF(struct cudaFuncAttributes, maxThreadsPerBlock); OFF(struct cudaFuncAttributes, numRegs);
    OFF(struct cudaFuncAttributes, maxDynamicSharedSizeBytes);
    OFF(struct cudaFuncAttributes, nonPortableClusterSizeAllowed);
    OFF(struct cudaFuncAttributes, reserved);
    SIZE(struct cudaChannelFormatDesc); OFF(struct cudaChannelFormatDesc, f);
    SIZE(struct cudaPitchedPtr); OFF(struct cudaPitchedPtr, ysize);
    SIZE(struct cudaExtent); SIZE(struct cudaPos);
    SIZE(struct cudaMemLocation); OFF(struct cudaMemLocation, id);
    SIZE(struct cudaMemcpy3DParms);
    OFF(struct cudaMemcpy3DParms, srcPtr); OFF(struct cudaMemcpy3DParms, dstArray);
    OFF(struct cudaMemcpy3DParms, extent); OFF(struct cudaMemcpy3DParms, kind);
    SIZE(struct cudaMemcpy3DPeerParms);
    OFF(struct cudaMemcpy3DPeerParms, dstDevice); OFF(struct cudaMemcpy3DPeerParms, extent);
    SIZE(struct cudaKernelNodeParams); OFF(struct cudaKernelNodeParams, sharedMemBytes);
    OFF(struct cudaKernelNodeParams, kernelParams); OFF(struct cudaKernelNodeParams, extra);
    SIZE(struct cudaHostNodeParams); OFF(struct cudaHostNodeParams, userData);
    SIZE(struct cudaMemsetParams); OFF(struct cudaMemsetParams, value);
    OFF(struct cudaMemsetParams, elementSize); OFF(struct cudaMemsetParams, height);
    SIZE(cudaGraphEdgeData); OFF(cudaGraphEdgeData, type);
    SIZE(cudaGraphInstantiateParams); OFF(cudaGraphInstantiateParams, result_out);
    SIZE(cudaGraphExecUpdateResultInfo); OFF(cudaGraphExecUpdateResultInfo, errorFromNode);
    SIZE(struct cudaMemPoolProps); OFF(struct cudaMemPoolProps, location);
    OFF(struct cudaMemPoolProps, maxSize); OFF(struct cudaMemPoolProps, usage);
    SIZE(cudaLaunchConfig_t); OFF(cudaLaunchConfig_t, attrs); OFF(cudaLaunchConfig_t, numAttrs);
    SIZE(cudaLaunchAttribute); OFF(cudaLaunchAttribute, val);
    SIZE(cudaIpcMemHandle_t); SIZE(cudaIpcEventHandle_t); SIZE(cudaUUID_t);
    SIZE(dim3); SIZE(uint3);
    SIZE(enum cudaDeviceAttr); SIZE(cudaError_t);
    printf("cudaDevAttrMaxBlocksPerMultiprocessor %d\n", (int)cudaDevAttrMaxBlocksPerMultiprocessor);
    printf("cudaErrorNotSupported %d\n", (int)cudaErrorNotSupported);
    return 0;
}
