/* driver_context.c: contexts for the driver API: one primary context per device,
 * contexts made by cuCtxCreate, each thread's stack of current contexts, and
 * context-local storage (used by NVIDIA's runtime through an export table). All
 * contexts of a device share its memory and modules (the core has one state per
 * device); a context decides which device a call works on, and making one current
 * makes the core's current device follow, so runtime calls after it agree. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "shim/driver_gen.h"
#include "shim/driver_internal.h"

typedef struct cls_entry {
    void *key, *value, *dtor;
    struct cls_entry *next;
} cls_entry;

struct cushim__drv_ctx {
    struct cushim__drv_ctx *next;  /* live contexts */
    int device;
    bool primary;
    unsigned flags;
    int retained;                  /* primary: retain count */
    unsigned long long id;
    cls_entry *cls;
};

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static cushim__drv_ctx *live;          /* every valid context, primary ones included */
static cushim__drv_ctx **primaries;    /* per device, made on first request */
static unsigned long long next_ctx_id = 1;

#define CTX_STACK_MAX 64
static _Thread_local CUcontext ctx_stack[CTX_STACK_MAX];
static _Thread_local unsigned ctx_depth;
static _Thread_local bool ptds_active;

static bool valid_locked(const cushim__drv_ctx *c)
{
    for (cushim__drv_ctx *p = live; p; p = p->next)
        if (p == c)
            return true;
    return false;
}

bool cushim__drv_ctx_valid(CUcontext ctx)
{
    if (!ctx)
        return false;
    pthread_mutex_lock(&ctx_lock);
    bool ok = valid_locked((const cushim__drv_ctx *)ctx);
    pthread_mutex_unlock(&ctx_lock);
    return ok;
}

int cushim__drv_ctx_device(CUcontext ctx) { return ((cushim__drv_ctx *)ctx)->device; }

static cushim__drv_ctx *ctx_new_locked(int dev, bool primary, unsigned flags)
{
    cushim__drv_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->device = dev;
    c->primary = primary;
    c->flags = flags;
    c->id = next_ctx_id++;
    c->next = live;
    live = c;
    return c;
}

CUcontext cushim__drv_primary_ctx(int dev)
{
    int n = cushim__drv_core->device_count();
    if (dev < 0 || dev >= n)
        return NULL;
    pthread_mutex_lock(&ctx_lock);
    if (!primaries)
        primaries = calloc((size_t)n, sizeof *primaries);
    cushim__drv_ctx *c = NULL;
    if (primaries) {
        if (!primaries[dev])
            primaries[dev] = ctx_new_locked(dev, true, 0);
        c = primaries[dev];
    }
    pthread_mutex_unlock(&ctx_lock);
    return (CUcontext)c;
}

CUcontext cushim__drv_ctx_current(void)
{
    return ctx_depth ? ctx_stack[ctx_depth - 1] : NULL;
}

CUresult cushim__drv_current_device(int *dev)
{
    CUcontext c = cushim__drv_ctx_current();
    if (!c)
        return CUDA_ERROR_INVALID_CONTEXT;
    if (!cushim__drv_ctx_valid(c))
        return CUDA_ERROR_CONTEXT_IS_DESTROYED;
    *dev = cushim__drv_ctx_device(c);
    cushim__drv_core->set_current_device(*dev);
    return CUDA_SUCCESS;
}

CUresult cushim__drv_sticky(void)
{
    cudaError_t e = cushim__drv_core->sticky_error();
    return e == cudaSuccess ? CUDA_SUCCESS : cushim__drv_result(e);
}

/* A context made current: the core (and so the runtime) now works on its device. */
static void follow(CUcontext c)
{
    if (c)
        cushim__drv_core->set_current_device(cushim__drv_ctx_device(c));
}

/* ---- per-thread default stream ------------------------------------------------------ */

bool cushim__drv_ptds_enter(void)
{
    bool prev = ptds_active;
    ptds_active = true;
    return prev;
}

void cushim__drv_ptds_leave(bool previous) { ptds_active = previous; }

cudaStream_t cushim__drv_stream(CUstream s)
{
    if (!s && ptds_active)
        return cudaStreamPerThread;
    return (cudaStream_t)s;
}

/* ---- context API -------------------------------------------------------------------- */

static CUresult ctx_create(CUcontext *pctx, unsigned int flags, CUdevice dev)
{
    if (!pctx)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    if (ctx_depth == CTX_STACK_MAX)
        return CUDA_ERROR_OUT_OF_MEMORY;
    pthread_mutex_lock(&ctx_lock);
    cushim__drv_ctx *c = ctx_new_locked(dev, false, flags & CU_CTX_FLAGS_MASK);
    pthread_mutex_unlock(&ctx_lock);
    if (!c)
        return CUDA_ERROR_OUT_OF_MEMORY;
    ctx_stack[ctx_depth++] = (CUcontext)c;
    follow((CUcontext)c);
    *pctx = (CUcontext)c;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev)
{
    return ctx_create(pctx, flags, dev);
}

CUresult cushim_drv_cuCtxCreate_v3(CUcontext *pctx, CUexecAffinityParam *paramsArray,
                                   int numParams, unsigned int flags, CUdevice dev)
{
    if (numParams < 0 || (numParams > 0 && !paramsArray))
        return CUDA_ERROR_INVALID_VALUE;
    if (numParams > 0) {
        cushim__drv_log_once("drv:exec-affinity", "cuCtxCreate: execution affinity "
                             "parameters are not supported by cushim; it returns "
                             "CUDA_ERROR_NOT_SUPPORTED");
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    return ctx_create(pctx, flags, dev);
}

CUresult cushim_drv_cuCtxCreate_v4(CUcontext *pctx, CUctxCreateParams *ctxCreateParams,
                                   unsigned int flags, CUdevice dev)
{
    if (ctxCreateParams) {
        cushim__drv_log_once("drv:ctx-params", "cuCtxCreate: CUctxCreateParams (execution "
                             "affinity, CIG) are not supported by cushim; it returns "
                             "CUDA_ERROR_NOT_SUPPORTED");
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    return ctx_create(pctx, flags, dev);
}

CUresult cushim_drv_cuCtxDestroy_v2(CUcontext ctx)
{
    DRV_REQUIRE_INIT();
    pthread_mutex_lock(&ctx_lock);
    cushim__drv_ctx *c = (cushim__drv_ctx *)ctx;
    if (!c || !valid_locked(c) || c->primary) {
        pthread_mutex_unlock(&ctx_lock);
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    for (cushim__drv_ctx **pp = &live; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&ctx_lock);
    /* Its work completes first, as CUDA's does. */
    cushim__drv_core->set_current_device(c->device);
    cushim__drv_core->device_synchronize();
    for (cls_entry *e = c->cls, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    /* Off this thread's stack; other threads find it invalid on their next call. */
    unsigned w = 0;
    for (unsigned r = 0; r < ctx_depth; r++)
        if (ctx_stack[r] != ctx)
            ctx_stack[w++] = ctx_stack[r];
    ctx_depth = w;
    follow(cushim__drv_ctx_current());
    free(c);
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxPushCurrent_v2(CUcontext ctx)
{
    DRV_REQUIRE_INIT();
    if (!cushim__drv_ctx_valid(ctx))
        return CUDA_ERROR_INVALID_CONTEXT;
    if (ctx_depth == CTX_STACK_MAX)
        return CUDA_ERROR_OUT_OF_MEMORY;
    ctx_stack[ctx_depth++] = ctx;
    follow(ctx);
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxPopCurrent_v2(CUcontext *pctx)
{
    DRV_REQUIRE_INIT();
    if (!ctx_depth)
        return CUDA_ERROR_INVALID_CONTEXT;
    CUcontext c = ctx_stack[--ctx_depth];
    if (pctx)
        *pctx = c;
    follow(cushim__drv_ctx_current());
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxSetCurrent(CUcontext ctx)
{
    DRV_REQUIRE_INIT();
    if (!ctx) {
        /* Unbind: the context below (if any) becomes current. */
        if (ctx_depth)
            ctx_depth--;
        follow(cushim__drv_ctx_current());
        return CUDA_SUCCESS;
    }
    if (!cushim__drv_ctx_valid(ctx))
        return CUDA_ERROR_INVALID_CONTEXT;
    if (ctx_depth)
        ctx_stack[ctx_depth - 1] = ctx;
    else
        ctx_stack[ctx_depth++] = ctx;
    follow(ctx);
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxGetCurrent(CUcontext *pctx)
{
    if (!pctx)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    *pctx = cushim__drv_ctx_current();
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxGetDevice(CUdevice *device)
{
    if (!device)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX_ANY(dev);
    *device = dev;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxGetDevice_v2(CUdevice *device, CUcontext ctx)
{
    if (!ctx)
        return cushim_drv_cuCtxGetDevice(device);
    if (!device)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_ctx_valid(ctx))
        return CUDA_ERROR_INVALID_CONTEXT;
    *device = cushim__drv_ctx_device(ctx);
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxSynchronize(void)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return cushim__drv_result(cushim__drv_core->device_synchronize());
}

CUresult cushim_drv_cuCtxSynchronize_v2(CUcontext ctx)
{
    if (!ctx)
        return cushim_drv_cuCtxSynchronize();
    DRV_REQUIRE_INIT();
    if (!cushim__drv_ctx_valid(ctx))
        return CUDA_ERROR_INVALID_CONTEXT;
    cushim__drv_core->set_current_device(cushim__drv_ctx_device(ctx));
    CUresult r = cushim__drv_result(cushim__drv_core->device_synchronize());
    follow(cushim__drv_ctx_current());
    return r;
}

CUresult cushim_drv_cuCtxGetApiVersion(CUcontext ctx, unsigned int *version)
{
    if (!version)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!ctx)
        ctx = cushim__drv_ctx_current();
    if (!cushim__drv_ctx_valid(ctx))
        return CUDA_ERROR_INVALID_CONTEXT;
    *version = 3020; /* every context has the _v2 (64-bit pointer) API since CUDA 3.2 */
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxGetFlags(unsigned int *flags)
{
    if (!flags)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX_ANY(dev);
    *flags = ((cushim__drv_ctx *)cushim__drv_ctx_current())->flags;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxSetFlags(unsigned int flags)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    if (flags & ~(unsigned)CU_CTX_FLAGS_MASK)
        return CUDA_ERROR_INVALID_VALUE;
    ((cushim__drv_ctx *)cushim__drv_ctx_current())->flags = flags;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxGetId(CUcontext ctx, unsigned long long *ctxId)
{
    if (!ctxId)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!ctx)
        ctx = cushim__drv_ctx_current();
    if (!cushim__drv_ctx_valid(ctx))
        return CUDA_ERROR_INVALID_CONTEXT;
    *ctxId = ((cushim__drv_ctx *)ctx)->id;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxGetStreamPriorityRange(int *leastPriority, int *greatestPriority)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    /* The runtime's range (cudaDeviceGetStreamPriorityRange). */
    if (leastPriority)
        *leastPriority = 0;
    if (greatestPriority)
        *greatestPriority = -5;
    return CUDA_SUCCESS;
}

/* Cache and shared-memory preferences are hints CUDA may ignore; so does cushim. */
CUresult cushim_drv_cuCtxGetCacheConfig(CUfunc_cache *pconfig)
{
    if (!pconfig)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    *pconfig = 0; /* CU_FUNC_CACHE_PREFER_NONE */
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuCtxSetCacheConfig(CUfunc_cache config)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return config >= 0 && config <= 3 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* Limits belong to the device of the current context and are the runtime's own values:
 * cudaDeviceSetLimit and cuCtxSetLimit change the same number, with the same checks
 * (CUlimit numbers are cudaLimit's; an unknown or absent limit is
 * CUDA_ERROR_UNSUPPORTED_LIMIT, which has cudaErrorUnsupportedLimit's number). */
CUresult cushim_drv_cuCtxGetLimit(size_t *pvalue, CUlimit limit)
{
    if (!pvalue)
        return CUDA_ERROR_INVALID_VALUE;
    int dev;
    DRV_REQUIRE_CTX(dev);
    return cushim__drv_result(cushim__drv_core->device_get_limit(pvalue, (enum cudaLimit)limit));
}

CUresult cushim_drv_cuCtxSetLimit(CUlimit limit, size_t value)
{
    int dev;
    DRV_REQUIRE_CTX(dev);
    return cushim__drv_result(cushim__drv_core->device_set_limit((enum cudaLimit)limit, value));
}

/* ---- primary contexts --------------------------------------------------------------- */

CUresult cushim_drv_cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
{
    if (!pctx)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    cushim__drv_ctx *c = (cushim__drv_ctx *)cushim__drv_primary_ctx(dev);
    if (!c)
        return CUDA_ERROR_OUT_OF_MEMORY;
    pthread_mutex_lock(&ctx_lock);
    c->retained++;
    pthread_mutex_unlock(&ctx_lock);
    *pctx = (CUcontext)c;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuDevicePrimaryCtxRelease_v2(CUdevice dev)
{
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    cushim__drv_ctx *c = (cushim__drv_ctx *)cushim__drv_primary_ctx(dev);
    CUresult r = CUDA_SUCCESS;
    pthread_mutex_lock(&ctx_lock);
    if (!c || c->retained <= 0)
        r = CUDA_ERROR_INVALID_CONTEXT;
    else
        c->retained--;
    pthread_mutex_unlock(&ctx_lock);
    /* The handle stays valid at zero: CUDA hands the same one out on the next retain,
     * and device memory lives as long as the process here. */
    return r;
}

CUresult cushim_drv_cuDevicePrimaryCtxReset_v2(CUdevice dev)
{
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    cushim__drv_ctx *c = (cushim__drv_ctx *)cushim__drv_primary_ctx(dev);
    if (!c)
        return CUDA_ERROR_OUT_OF_MEMORY;
    cushim__drv_core->set_current_device(dev);
    CUresult r = cushim__drv_result(cushim__drv_core->device_reset());
    pthread_mutex_lock(&ctx_lock);
    /* Context-local storage goes with the context. The destructors registered with it
     * are not called: their signature is not documented (DRIVER_ABI.md), and the
     * runtime that stored the values re-creates its state on the next lookup miss. */
    cls_entry *list = c->cls;
    c->cls = NULL;
    c->retained = 0;
    c->flags = 0;
    pthread_mutex_unlock(&ctx_lock);
    while (list) {
        cls_entry *next = list->next;
        free(list);
        list = next;
    }
    follow(cushim__drv_ctx_current());
    return r;
}

CUresult cushim_drv_cuDevicePrimaryCtxGetState(CUdevice dev, unsigned int *flags, int *active)
{
    if (!flags || !active)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    cushim__drv_ctx *c = (cushim__drv_ctx *)cushim__drv_primary_ctx(dev);
    if (!c)
        return CUDA_ERROR_OUT_OF_MEMORY;
    pthread_mutex_lock(&ctx_lock);
    *flags = c->flags;
    *active = c->retained > 0;
    pthread_mutex_unlock(&ctx_lock);
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned int flags)
{
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    if (flags & ~(unsigned)CU_CTX_FLAGS_MASK)
        return CUDA_ERROR_INVALID_VALUE;
    cushim__drv_ctx *c = (cushim__drv_ctx *)cushim__drv_primary_ctx(dev);
    if (!c)
        return CUDA_ERROR_OUT_OF_MEMORY;
    pthread_mutex_lock(&ctx_lock);
    c->flags = flags;
    pthread_mutex_unlock(&ctx_lock);
    return CUDA_SUCCESS;
}

/* ---- context-local storage ---------------------------------------------------------- */

static cushim__drv_ctx *cls_ctx(CUcontext ctx)
{
    if (!ctx)
        ctx = cushim__drv_ctx_current();
    return ctx && valid_locked((cushim__drv_ctx *)ctx) ? (cushim__drv_ctx *)ctx : NULL;
}

CUresult cushim__drv_cls_put(CUcontext ctx, void *key, void *value, void *dtor)
{
    pthread_mutex_lock(&ctx_lock);
    cushim__drv_ctx *c = cls_ctx(ctx);
    CUresult r = CUDA_SUCCESS;
    if (!c) {
        r = CUDA_ERROR_INVALID_CONTEXT;
    } else {
        cls_entry *e = c->cls;
        while (e && e->key != key)
            e = e->next;
        if (!e && (e = calloc(1, sizeof *e)) != NULL) {
            e->key = key;
            e->next = c->cls;
            c->cls = e;
        }
        if (e) {
            e->value = value;
            e->dtor = dtor;
        } else {
            r = CUDA_ERROR_OUT_OF_MEMORY;
        }
    }
    pthread_mutex_unlock(&ctx_lock);
    return r;
}

CUresult cushim__drv_cls_delete(CUcontext ctx, void *key)
{
    pthread_mutex_lock(&ctx_lock);
    cushim__drv_ctx *c = cls_ctx(ctx);
    CUresult r = c ? CUDA_ERROR_INVALID_HANDLE : CUDA_ERROR_INVALID_CONTEXT;
    if (c) {
        for (cls_entry **pp = &c->cls; *pp; pp = &(*pp)->next) {
            if ((*pp)->key == key) {
                cls_entry *e = *pp;
                *pp = e->next;
                free(e);
                r = CUDA_SUCCESS;
                break;
            }
        }
    }
    pthread_mutex_unlock(&ctx_lock);
    return r;
}

CUresult cushim__drv_cls_get(void **value, CUcontext ctx, void *key)
{
    if (!value)
        return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&ctx_lock);
    cushim__drv_ctx *c = cls_ctx(ctx);
    CUresult r = c ? CUDA_ERROR_INVALID_HANDLE : CUDA_ERROR_INVALID_CONTEXT;
    if (c) {
        for (cls_entry *e = c->cls; e; e = e->next) {
            if (e->key == key) {
                *value = e->value;
                r = CUDA_SUCCESS;
                break;
            }
        }
    }
    pthread_mutex_unlock(&ctx_lock);
    return r;
}
