/* core.c: backend selection and lazy initialisation, devices, the per-thread current
 * device and last error, and sticky / pending kernel faults. Program constructors
 * register fatbins before main; nothing here runs until the first call needs it. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shim/api_table.h"
#include "shim/core.h"
#include "shim/log.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static cudaError_t init_result = cudaErrorInitializationError;
/* Read without init by calls that only peek (cushim__api_precheck) while another thread
 * initialises: published with release after everything else init sets. */
static const struct cushim_vendor_ops *_Atomic active_ops;
static int device_count;
static int default_device;
static cushim_device_info *device_infos;
static cushim__device_state *device_states;
static int backend_col = CUSHIM_API_COL_CPU;

static _Thread_local int thread_device = -1;
static _Thread_local cudaError_t thread_last_error = cudaSuccess;

static _Atomic int sticky_error;
static _Atomic int pending_fault;
static _Atomic int pending_async;

static void list_backends(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; cushim_builtin_vendors[i]; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                         cushim_builtin_vendors[i]->name);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
}

static void init_backend(void)
{
    const char *want = cushim_getenv("CUSHIM_BACKEND");
    if (!want || !*want)
        want = "cpu";
    const struct cushim_vendor_ops *ops = NULL;
    for (size_t i = 0; cushim_builtin_vendors[i]; i++)
        if (strcmp(cushim_builtin_vendors[i]->name, want) == 0)
            ops = cushim_builtin_vendors[i];
    if (!ops) {
        char names[256];
        list_backends(names, sizeof names);
        CUSHIM_ERROR(GENERAL, "unknown backend '%s' (CUSHIM_BACKEND); known backends: %s; "
                     "every CUDA call will fail with cudaErrorNoDevice", want, names);
        init_result = cudaErrorNoDevice;
        return;
    }
    const char *why = cushim_vendor_validate(ops);
    if (why) {
        CUSHIM_ERROR(GENERAL, "backend '%s' is unusable: %s", want, why);
        init_result = cudaErrorNoDevice;
        return;
    }
    char err[512] = "";
    int count = 0;
    int rc = ops->init(&count, err, sizeof err);
    if (rc != 0) {
        CUSHIM_ERROR(GENERAL, "backend '%s' failed to initialise: %s", want,
                     err[0] ? err : "(no reason given)");
        init_result = cudaErrorNoDevice;
        return;
    }
    if (count <= 0) {
        CUSHIM_ERROR(GENERAL, "backend '%s' has no device", want);
        init_result = cudaErrorNoDevice;
        return;
    }
    device_infos = calloc((size_t)count, sizeof *device_infos);
    device_states = calloc((size_t)count, sizeof *device_states);
    if (!device_infos || !device_states) {
        init_result = cudaErrorMemoryAllocation;
        return;
    }
    for (int d = 0; d < count; d++) {
        if (ops->device_info(d, &device_infos[d]) != 0) {
            CUSHIM_ERROR(GENERAL, "backend '%s': cannot read the properties of device %d", want, d);
            init_result = cudaErrorNoDevice;
            return;
        }
        cushim__limits_default(device_states[d].limits);
    }
    /* CUSHIM_DEVICE: a device index, or a piece of the device's name (case-insensitive),
     * so a user can say "gfx" or "Xeon" without knowing the backend's numbering. */
    const char *devenv = cushim_getenv("CUSHIM_DEVICE");
    if (devenv && *devenv) {
        char *end;
        long v = strtol(devenv, &end, 10);
        int chosen = -1;
        if (*end == '\0') {
            if (v >= 0 && v < count)
                chosen = (int)v;
        } else {
            for (int d = 0; d < count && chosen < 0; d++)
                if (strcasestr(device_infos[d].name, devenv))
                    chosen = d;
        }
        if (chosen < 0) {
            char names[1024] = "";
            size_t used = 0;
            for (int d = 0; d < count && used < sizeof names; d++)
                used += (size_t)snprintf(names + used, sizeof names - used, "%s%d: %s",
                                         d ? "; " : "", d, device_infos[d].name);
            CUSHIM_ERROR(GENERAL, "CUSHIM_DEVICE=%s names no device of backend '%s' "
                         "(an index or part of a name: %s)", devenv, want, names);
            init_result = cudaErrorInvalidDevice;
            return;
        }
        default_device = chosen;
    }
    if (strcmp(ops->name, "opencl") == 0)
        backend_col = CUSHIM_API_COL_OPENCL;
    device_count = count;
    atomic_store_explicit(&active_ops, ops, memory_order_release);
    CUSHIM_INFO(API, "backend '%s': %d device(s), default device %d (%s)", ops->name, count,
                default_device, device_infos[default_device].name);
    init_result = cudaSuccess;
}

cudaError_t cushim__init(void)
{
    pthread_once(&init_once, init_backend);
    return init_result;
}

const struct cushim_vendor_ops *cushim__ops(void)
{
    return atomic_load_explicit(&active_ops, memory_order_acquire);
}
int cushim__device_count(void) { return device_count; }
int cushim__backend_col(void) { return backend_col; }

const cushim_device_info *cushim__device_info(int dev)
{
    if (dev < 0 || dev >= device_count)
        return NULL;
    return &device_infos[dev];
}

cushim__device_state *cushim__device_state_of(int dev)
{
    if (dev < 0 || dev >= device_count)
        return NULL;
    return &device_states[dev];
}

cudaError_t cushim__current_device(int *dev)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (thread_device < 0)
        thread_device = default_device;
    *dev = thread_device;
    return cudaSuccess;
}

cudaError_t cushim__set_current_device(int dev)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    if (dev < 0 || dev >= device_count)
        return cudaErrorInvalidDevice;
    thread_device = dev;
    return cudaSuccess;
}

cudaError_t cushim__last_error(bool reset)
{
    cudaError_t e = thread_last_error;
    if (reset)
        thread_last_error = cudaSuccess;
    return e;
}

void cushim__set_last_error(cudaError_t e) { thread_last_error = e; }

cudaError_t cushim__sticky_error(void)
{
    return (cudaError_t)atomic_load_explicit(&sticky_error, memory_order_acquire);
}

void cushim__kernel_fault(cudaError_t e, const char *msg)
{
    CUSHIM_ERROR(LAUNCH, "%s", msg && *msg ? msg : "kernel fault");
    int none = 0;
    atomic_compare_exchange_strong(&pending_fault, &none, (int)e);
}

cudaError_t cushim__pending_fault(void)
{
    return (cudaError_t)atomic_load_explicit(&pending_fault, memory_order_acquire);
}

void cushim__async_error(cudaError_t e)
{
    int none = 0;
    atomic_compare_exchange_strong(&pending_async, &none, (int)e);
}

bool cushim__is_kernel_fault(int rc)
{
    switch (rc) {
    case cudaErrorIllegalAddress: case cudaErrorLaunchTimeout: case cudaErrorAssert:
    case cudaErrorHardwareStackError: case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress: case cudaErrorInvalidAddressSpace: case cudaErrorInvalidPc:
    case cudaErrorLaunchFailure:
        return true;
    default:
        return false;
    }
}

cudaError_t cushim__sync_point(void)
{
    fflush(stdout);
    int pending = atomic_exchange(&pending_fault, 0);
    if (pending) {
        int none = 0;
        atomic_compare_exchange_strong(&sticky_error, &none, pending);
    }
    cudaError_t sticky = cushim__sticky_error();
    if (sticky != cudaSuccess)
        return sticky;
    /* A non-sticky asynchronous error is reported once. */
    return (cudaError_t)atomic_exchange(&pending_async, 0);
}

void cushim__reset_errors(void)
{
    atomic_store(&pending_fault, 0);
    atomic_store(&pending_async, 0);
    atomic_store(&sticky_error, 0);
    thread_last_error = cudaSuccess;
}

uint64_t cushim__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
