/* driver_core.c: part of libcudart.so.13: the table of core entry points libcuda.so.1
 * calls (shim/driver_core.h), so that a process using both libraries has one core
 * state. Exported as a data symbol under the private version node CUSHIM_PRIVATE_1
 * (shim/libcudart-private.map). */
#include "shim/driver_core.h"

#include "shim/api_gen.h"

__attribute__((visibility("default"))) const cushim__driver_core cushim__driver_core_v1 = {
    .version = CUSHIM_DRIVER_CORE_VERSION,
    .size = sizeof(cushim__driver_core),

    .log_enabled = cushim_log_enabled,
    .vlog = cushim_vlog,
    .log_once = cushim_log_once,
    .getenv = cushim_getenv,

    .init = cushim__init,
    .device_count = cushim__device_count,
    .device_info = cushim__device_info,
    .set_current_device = cushim__set_current_device,
    .device_attribute = cushim_impl_cudaDeviceGetAttribute,
    .device_synchronize = cushim_impl_cudaDeviceSynchronize,
    .device_reset = cushim_impl_cudaDeviceReset,
    .error_name = cushim_impl_cudaGetErrorName,
    .error_string = cushim_impl_cudaGetErrorString,

    .malloc = cushim_impl_cudaMalloc,
    .malloc_managed = cushim_impl_cudaMallocManaged,
    .free = cushim_impl_cudaFree,
    .host_alloc = cushim_impl_cudaHostAlloc,
    .free_host = cushim_impl_cudaFreeHost,
    .host_register = cushim_impl_cudaHostRegister,
    .host_unregister = cushim_impl_cudaHostUnregister,
    .host_get_device_pointer = cushim_impl_cudaHostGetDevicePointer,
    .mem_get_info = cushim_impl_cudaMemGetInfo,
    .memcpy = cushim_impl_cudaMemcpy,
    .memcpy_async = cushim_impl_cudaMemcpyAsync,
    .memset = cushim_impl_cudaMemset,
    .memset_async = cushim_impl_cudaMemsetAsync,
    .alloc_find = cushim__alloc_find,

    .fatbin_register = cushim__fatbin_register,
    .fatbin_unregister = cushim__fatbin_unregister,
    .fatbin_load = cushim__fatbin_load,
    .fatbin_kernel = cushim__fatbin_kernel,
    .fatbin_global = cushim__fatbin_global,
    .kernel_valid = cushim__kernel_valid,
    .kernel_name = cushim__kernel_name,
    .kernel_resolve = cushim__kernel_resolve,
    .kernel_attrs = cushim__kernel_attrs_of,
    .launch = cushim__launch,

    .stream_create = cushim_impl_cudaStreamCreateWithPriority,
    .stream_destroy = cushim_impl_cudaStreamDestroy,
    .stream_synchronize = cushim_impl_cudaStreamSynchronize,
    .stream_query = cushim_impl_cudaStreamQuery,
    .stream_wait_event = cushim_impl_cudaStreamWaitEvent,
    .stream_get_flags = cushim_impl_cudaStreamGetFlags,
    .stream_get_priority = cushim_impl_cudaStreamGetPriority,
    .stream_add_callback = cushim_impl_cudaStreamAddCallback,
    .launch_host_func = cushim_impl_cudaLaunchHostFunc,
    .event_create = cushim_impl_cudaEventCreateWithFlags,
    .event_destroy = cushim_impl_cudaEventDestroy,
    .event_record = cushim_impl_cudaEventRecord,
    .event_record_with_flags = cushim_impl_cudaEventRecordWithFlags,
    .event_synchronize = cushim_impl_cudaEventSynchronize,
    .event_query = cushim_impl_cudaEventQuery,
    .event_elapsed_time = cushim_impl_cudaEventElapsedTime,

    .device_get_limit = cushim_impl_cudaDeviceGetLimit,
    .device_set_limit = cushim_impl_cudaDeviceSetLimit,
    .sticky_error = cushim__sticky_error,

    .stream_begin_capture = cushim_impl_cudaStreamBeginCapture,
    .stream_end_capture = cushim_impl_cudaStreamEndCapture,
    .stream_capture_info = cushim_impl_cudaStreamGetCaptureInfo,
    .graph_instantiate = cushim_impl_cudaGraphInstantiate,
    .graph_launch = cushim_impl_cudaGraphLaunch,
    .graph_exec_destroy = cushim_impl_cudaGraphExecDestroy,
    .graph_destroy = cushim_impl_cudaGraphDestroy,
};
