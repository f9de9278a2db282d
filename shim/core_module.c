/* core_module.c: registered fatbins, their kernels and variables; lazy module loading
 * (fatbin -> PTX -> IR -> link -> variables in device memory -> backend module);
 * kernel launch (configuration checks, argument packing); symbol resolution; and the
 * per-thread launch configuration stack of <<<...>>>. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "shim/core.h"
#include "shim/log.h"
#include "shim/report.h"
#include "translate/fatbin.h"
#include "translate/ptx_ir.h"

typedef struct var_reg {
    void *host_var;           /* the program's host shadow: the symbol key */
    char *name;               /* mangled device name */
    size_t size;
    bool constant;
    void **managed_slot;      /* __cudaRegisterManagedVar: where the host pointer goes */
    cushim__fatbin *fb;
    UT_hash_handle hh;        /* symbols by host_var */
} var_reg;

typedef struct kernel_dev {
    bool resolved;
    cudaError_t error;
    void *backend_kernel;
    cushim_kernel_info info;
    const ptx_function *fn;
} kernel_dev;

struct cushim__kernel {
    cushim__kernel *self;     /* key of the validity set */
    const void *host_fun;
    char *name;
    cushim__fatbin *fb;
    cushim__kernel_attrs attrs;
    kernel_dev *per_dev;      /* device_count entries, allocated at first resolve */
    UT_hash_handle hh;        /* by host_fun */
    UT_hash_handle hh_self;   /* by self */
};

typedef struct module_dev {
    bool tried;
    cudaError_t error;
    void *module;
    cushim_dptr *var_addr;    /* parallel to ir->vars */
} module_dev;

struct cushim__fatbin {
    void *handle_slot;        /* what the returned void ** points to */
    cushim__fatbin *self;
    const void *wrapper;
    cushim__kernel **kernels;
    uint32_t nkernels, kernels_cap;
    var_reg **vars;
    uint32_t nvars, vars_cap;
    bool has_managed;
    unsigned serial;
    /* device-independent part of the load */
    bool ir_tried;
    cudaError_t ir_error;
    char ir_msg[512];
    ptx_module *ir;           /* the (linked) module */
    ptx_module **parts;       /* per-file modules when linked */
    uint32_t nparts;
    bool sass_only_parts;
    module_dev *per_dev;
    UT_hash_handle hh;        /* by self */
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
/* Module loading can compile code: a separate lock, taken before reg_lock when both. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static cushim__fatbin *fatbins;
static cushim__kernel *kernels_by_fun;
static cushim__kernel *kernels_by_self;
static var_reg *symbols;
static unsigned fatbin_serial;

static cushim__fatbin *fatbin_of(void **handle)
{
    if (!handle)
        return NULL;
    cushim__fatbin *fb = NULL;
    cushim__fatbin *key = (cushim__fatbin *)handle;
    HASH_FIND_PTR(fatbins, &key, fb);
    return fb;
}

void **cushim__fatbin_register(const void *wrapper)
{
    cushim__fatbin *fb = calloc(1, sizeof *fb);
    if (!fb) {
        CUSHIM_ERROR(MODULE, "out of memory registering a fatbin");
        return NULL;
    }
    fb->self = fb;
    fb->wrapper = wrapper;
    pthread_mutex_lock(&reg_lock);
    fb->serial = ++fatbin_serial;
    HASH_ADD_PTR(fatbins, self, fb);
    pthread_mutex_unlock(&reg_lock);
    CUSHIM_DEBUG(MODULE, "fatbin %u registered (wrapper %p)", fb->serial, wrapper);
    return (void **)fb;
}

void cushim__fatbin_register_end(void **handle)
{
    if (!fatbin_of(handle))
        CUSHIM_WARN(MODULE, "__cudaRegisterFatBinaryEnd: unknown handle %p", (void *)handle);
}

/* Room for one more entry in a registration array of `used` pointers (doubling).
 * `array` is the address of the array's pointer member (any pointer-to-pointer type;
 * copied with memcpy, so no type punning). */
static bool grow_slots(void *array, uint32_t *cap, uint32_t used)
{
    if (used < *cap)
        return true;
    void *old;
    memcpy(&old, array, sizeof old);
    uint32_t ncap = *cap ? *cap * 2 : 8;
    void *n = realloc(old, ncap * sizeof(void *));
    if (!n)
        return false;
    memcpy(array, &n, sizeof n);
    *cap = ncap;
    return true;
}

void cushim__function_register(void **handle, const void *host_fun, const char *device_name)
{
    pthread_mutex_lock(&reg_lock);
    cushim__fatbin *fb = fatbin_of(handle);
    if (!fb || !host_fun || !device_name) {
        pthread_mutex_unlock(&reg_lock);
        CUSHIM_ERROR(MODULE, "__cudaRegisterFunction: bad arguments (handle %p, hostFun %p, "
                     "name %s)", (void *)handle, host_fun, device_name ? device_name : "NULL");
        return;
    }
    cushim__kernel *k = calloc(1, sizeof *k);
    char *name = strdup(device_name);
    if (!k || !name || !grow_slots(&fb->kernels, &fb->kernels_cap, fb->nkernels)) {
        pthread_mutex_unlock(&reg_lock);
        free(k);
        free(name);
        CUSHIM_ERROR(MODULE, "out of memory registering kernel %s", device_name);
        return;
    }
    k->self = k;
    k->host_fun = host_fun;
    k->name = name;
    k->fb = fb;
    k->attrs.max_dynamic_shared = -1;
    k->attrs.preferred_carveout = -1;
    fb->kernels[fb->nkernels++] = k;
    /* A host stub registered again (a library loaded twice) now means the new one. */
    cushim__kernel *old = NULL;
    HASH_FIND_PTR(kernels_by_fun, &host_fun, old);
    if (old)
        HASH_DEL(kernels_by_fun, old);
    HASH_ADD_PTR(kernels_by_fun, host_fun, k);
    HASH_ADD(hh_self, kernels_by_self, self, sizeof(void *), k);
    pthread_mutex_unlock(&reg_lock);
}

void cushim__var_register(void **handle, void *host_var, const char *device_name, size_t size,
                          bool constant, void **managed_slot)
{
    pthread_mutex_lock(&reg_lock);
    cushim__fatbin *fb = fatbin_of(handle);
    if (!fb || !host_var || !device_name) {
        pthread_mutex_unlock(&reg_lock);
        CUSHIM_ERROR(MODULE, "__cudaRegisterVar: bad arguments (handle %p, hostVar %p, name %s)",
                     (void *)handle, host_var, device_name ? device_name : "NULL");
        return;
    }
    var_reg *v = calloc(1, sizeof *v);
    char *name = strdup(device_name);
    if (!v || !name || !grow_slots(&fb->vars, &fb->vars_cap, fb->nvars)) {
        pthread_mutex_unlock(&reg_lock);
        free(v);
        free(name);
        CUSHIM_ERROR(MODULE, "out of memory registering variable %s", device_name);
        return;
    }
    v->host_var = host_var;
    v->name = name;
    v->size = size;
    v->constant = constant;
    v->managed_slot = managed_slot;
    v->fb = fb;
    if (managed_slot)
        fb->has_managed = true;
    fb->vars[fb->nvars++] = v;
    var_reg *old = NULL;
    HASH_FIND_PTR(symbols, &host_var, old);
    if (old)
        HASH_DEL(symbols, old);
    HASH_ADD_PTR(symbols, host_var, v);
    pthread_mutex_unlock(&reg_lock);
}

/* ---- loading --------------------------------------------------------------------- */

static cudaError_t load_ir(cushim__fatbin *fb)
{
    if (fb->ir_tried)
        return fb->ir_error;
    fb->ir_tried = true;
    fatbin_ptx_set set;
    memset(&set, 0, sizeof set);
    char err[512] = "";
    fatbin_status st = fatbin_extract_ptx(fb->wrapper, &set, err, sizeof err);
    if (st == FATBIN_ERR_NO_PTX) {
        snprintf(fb->ir_msg, sizeof fb->ir_msg, "the binary holds no PTX for it, only "
                 "machine code (SASS) for NVIDIA GPUs, which cushim cannot run%s%s: rebuild "
                 "with PTX (e.g. -gencode arch=compute_75,code=compute_75)",
                 err[0] ? ": " : "", err);
        fb->ir_error = cudaErrorNoKernelImageForDevice;
        return fb->ir_error;
    }
    if (st != FATBIN_OK) {
        snprintf(fb->ir_msg, sizeof fb->ir_msg, "its fatbin cannot be read (%s%s%s)",
                 fatbin_status_name(st), err[0] ? ": " : "", err);
        fb->ir_error = st == FATBIN_ERR_NOMEM ? cudaErrorMemoryAllocation : cudaErrorInvalidKernelImage;
        return fb->ir_error;
    }
    fb->sass_only_parts = set.has_sass_only;
    fb->parts = calloc(set.count ? set.count : 1, sizeof *fb->parts);
    if (!fb->parts) {
        fatbin_ptx_set_free(&set);
        fb->ir_error = cudaErrorMemoryAllocation;
        return fb->ir_error;
    }
    for (uint32_t i = 0; i < set.count; i++) {
        ptx_module *m = ptx_parse(set.ptx[i], set.len[i], err, sizeof err);
        if (!m) {
            snprintf(fb->ir_msg, sizeof fb->ir_msg, "its PTX (module %u of %u, sm_%u) does not "
                     "parse: %s", i + 1, set.count, set.arch[i], err);
            fb->ir_error = cudaErrorInvalidPtx;
            fatbin_ptx_set_free(&set);
            return fb->ir_error;
        }
        fb->parts[fb->nparts++] = m;
    }
    fatbin_ptx_set_free(&set);
    if (fb->nparts == 1) {
        fb->ir = fb->parts[0];
    } else {
        fb->ir = ptx_link(fb->parts, fb->nparts, err, sizeof err);
        if (!fb->ir) {
            snprintf(fb->ir_msg, sizeof fb->ir_msg, "its %u PTX modules do not link: %s",
                     fb->nparts, err);
            fb->ir_error = cudaErrorInvalidPtx;
            return fb->ir_error;
        }
    }
    fb->ir_error = cudaSuccess;
    return cudaSuccess;
}

static bool var_in_device_memory(const ptx_var *v)
{
    return (v->space == PTX_SPACE_GLOBAL || v->space == PTX_SPACE_CONST) &&
           v->linkage != PTX_LINK_EXTERN;
}

static int var_index(const ptx_module *m, const char *name)
{
    for (uint32_t i = 0; i < m->nvars; i++)
        if (strcmp(m->vars[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Allocate the module's variables on a device and write their initial bytes. */
static cudaError_t place_vars(cushim__fatbin *fb, int dev, module_dev *md, char *msg, size_t msglen)
{
    const ptx_module *m = fb->ir;
    const struct cushim_vendor_ops *ops = cushim__ops();
    md->var_addr = calloc(m->nvars ? m->nvars : 1, sizeof *md->var_addr);
    if (!md->var_addr)
        return cudaErrorMemoryAllocation;
    for (uint32_t i = 0; i < m->nvars; i++) {
        const ptx_var *v = &m->vars[i];
        if (!var_in_device_memory(v))
            continue;
        cushim_dptr p;
        cudaError_t e = cushim__dev_alloc(dev, v->size, CUSHIM_MEM_SYMBOL, &p);
        if (e != cudaSuccess) {
            snprintf(msg, msglen, "no device memory for variable %s (%llu bytes)", v->name,
                     (unsigned long long)v->size);
            return e;
        }
        md->var_addr[i] = p;
        int rc = v->init && v->size ? ops->memcpy_htod(dev, p, v->init, v->size)
                                    : (v->size ? ops->memset_d8(dev, p, 0, v->size) : 0);
        if (rc) {
            snprintf(msg, msglen, "cannot initialise variable %s", v->name);
            return (cudaError_t)rc;
        }
    }
    for (uint32_t i = 0; i < m->nvars; i++) {
        const ptx_var *v = &m->vars[i];
        if (!md->var_addr[i])
            continue;
        for (uint32_t r = 0; r < v->nrelocs; r++) {
            const ptx_init_reloc *rel = &v->relocs[r];
            int target = rel->symbol ? var_index(m, rel->symbol) : -1;
            if (target < 0 || !md->var_addr[target]) {
                snprintf(msg, msglen, "initialiser of %s (ptx line %u) takes the address of "
                         "'%s', which has no device address (function addresses in data "
                         "are not supported)", v->name, v->line, rel->symbol ? rel->symbol : "?");
                return cudaErrorNotSupported;
            }
            uint64_t value = md->var_addr[target] + (uint64_t)rel->addend;
            if (rel->offset > v->size || v->size - rel->offset < rel->size ||
                (rel->size != 4 && rel->size != 8)) {
                snprintf(msg, msglen, "bad relocation in the initialiser of %s", v->name);
                return cudaErrorInvalidPtx;
            }
            uint32_t v32 = (uint32_t)value;
            int rc = ops->memcpy_htod(dev, md->var_addr[i] + rel->offset,
                                      rel->size == 8 ? (const void *)&value : (const void *)&v32,
                                      rel->size);
            if (rc)
                return (cudaError_t)rc;
        }
    }
    return cudaSuccess;
}

/* `what` names the kernel or variable whose use triggered the load. */
static void log_load_failure(cushim__fatbin *fb, const char *what, const char *msg)
{
    char key[96];
    snprintf(key, sizeof key, "module-load:%u", fb->serial);
    cushim_log_once(key, "cannot load the device code of %s: %s", what ? what : "?", msg);
}

static cudaError_t load_module_locked(cushim__fatbin *fb, int dev, module_dev *md,
                                      const char *for_what);

/* Load fb on dev (load_lock held). */
static cudaError_t load_module(cushim__fatbin *fb, int dev, const char *for_what)
{
    int ndev = cushim__device_count();
    if (!fb->per_dev) {
        fb->per_dev = calloc((size_t)ndev, sizeof *fb->per_dev);
        if (!fb->per_dev)
            return cudaErrorMemoryAllocation;
    }
    module_dev *md = &fb->per_dev[dev];
    if (md->tried) {
        if (md->error != cudaSuccess)
            log_load_failure(fb, for_what, fb->ir_msg);
        return md->error;
    }
    md->tried = true;
    cushim__dev_lock(dev);
    cudaError_t e = load_module_locked(fb, dev, md, for_what);
    cushim__dev_unlock(dev);
    return e;
}

/* load_module's work with the device's backend lock held: variables are written and
 * the backend loads code while stream workers may be running kernels. */
static cudaError_t load_module_locked(cushim__fatbin *fb, int dev, module_dev *md,
                                      const char *for_what)
{
    cudaError_t e = load_ir(fb);
    if (e != cudaSuccess) {
        md->error = e;
        log_load_failure(fb, for_what, fb->ir_msg);
        return e;
    }
    e = place_vars(fb, dev, md, fb->ir_msg, sizeof fb->ir_msg);
    if (e != cudaSuccess) {
        md->error = e;
        log_load_failure(fb, for_what, fb->ir_msg);
        return e;
    }
    char label[64];
    snprintf(label, sizeof label, "module %u", fb->serial);
    cushim_module_image img = {.ir = fb->ir, .var_addr = md->var_addr, .label = label};
    char err[512] = "";
    uint64_t report_t0 = cushim__report_active ? cushim__report_clock() : 0;
    int rc = cushim__ops()->module_load(dev, &img, &md->module, err, sizeof err);
    if (cushim__report_active)
        cushim__report_module_loaded(fb->serial, report_t0, rc);
    if (rc != 0) {
        snprintf(fb->ir_msg, sizeof fb->ir_msg, "backend '%s' cannot load it: %s",
                 cushim__ops()->name, err[0] ? err : "(no reason given)");
        md->error = rc > 0 && rc < 10000 ? (cudaError_t)rc : cudaErrorInvalidKernelImage;
        log_load_failure(fb, for_what, fb->ir_msg);
        return md->error;
    }
    /* Managed variables: the host reaches them through the pointer stored in its slot. */
    const struct cushim_vendor_ops *ops = cushim__ops();
    for (uint32_t i = 0; i < fb->nvars; i++) {
        var_reg *v = fb->vars[i];
        if (!v->managed_slot)
            continue;
        int idx = var_index(fb->ir, v->name);
        void *host = NULL;
        if (idx >= 0 && md->var_addr[idx] && ops->host_ptr)
            host = ops->host_ptr(dev, md->var_addr[idx]);
        if (!host || (uintptr_t)host != (uintptr_t)md->var_addr[idx]) {
            snprintf(fb->ir_msg, sizeof fb->ir_msg, "__managed__ variable %s needs host-visible "
                     "device memory, which backend '%s' does not provide", v->name, ops->name);
            md->error = cudaErrorNotSupported;
            log_load_failure(fb, for_what, fb->ir_msg);
            return md->error;
        }
        *v->managed_slot = host;
    }
    md->error = cudaSuccess;
    CUSHIM_DEBUG(MODULE, "module %u loaded on device %d (%u functions, %u variables)",
                 fb->serial, dev, fb->ir->nfuncs, fb->ir->nvars);
    return cudaSuccess;
}

bool cushim__fatbin_init_module(void **handle)
{
    cushim__fatbin *fb;
    pthread_mutex_lock(&reg_lock);
    fb = fatbin_of(handle);
    pthread_mutex_unlock(&reg_lock);
    if (!fb)
        return false;
    if (!fb->has_managed)
        return true;
    /* Host code dereferences managed variables directly: they must exist now. */
    int dev;
    if (cushim__current_device(&dev) != cudaSuccess)
        return false;
    pthread_mutex_lock(&load_lock);
    char what[64];
    snprintf(what, sizeof what, "module %u (managed variables)", fb->serial);
    cudaError_t e = load_module(fb, dev, what);
    pthread_mutex_unlock(&load_lock);
    return e == cudaSuccess;
}

void cushim__fatbin_unregister(void **handle)
{
    /* Queued launches refer to this module's kernels: let them finish first (CUDA also
     * completes outstanding work at exit). */
    cushim__drain_all();
    pthread_mutex_lock(&load_lock);
    pthread_mutex_lock(&reg_lock);
    cushim__fatbin *fb = fatbin_of(handle);
    if (!fb) {
        pthread_mutex_unlock(&reg_lock);
        pthread_mutex_unlock(&load_lock);
        return;
    }
    HASH_DEL(fatbins, fb);
    for (uint32_t i = 0; i < fb->nkernels; i++) {
        cushim__kernel *k = fb->kernels[i], *cur = NULL;
        HASH_FIND_PTR(kernels_by_fun, &k->host_fun, cur);
        if (cur == k)
            HASH_DEL(kernels_by_fun, k);
        HASH_DELETE(hh_self, kernels_by_self, k);
        free(k->per_dev);
        free(k->name);
        free(k);
    }
    for (uint32_t i = 0; i < fb->nvars; i++) {
        var_reg *v = fb->vars[i], *cur = NULL;
        HASH_FIND_PTR(symbols, &v->host_var, cur);
        if (cur == v)
            HASH_DEL(symbols, v);
        free(v->name);
        free(v);
    }
    pthread_mutex_unlock(&reg_lock);
    /* Device modules are left to the backend's shutdown: at exit other threads may
     * still run kernels of this module, and the memory goes with the process. */
    fb->nkernels = fb->nvars = 0;
    pthread_mutex_unlock(&load_lock);
}

/* ---- kernels --------------------------------------------------------------------- */

cushim__kernel *cushim__kernel_by_host_fun(const void *host_fun)
{
    cushim__kernel *k = NULL;
    pthread_mutex_lock(&reg_lock);
    HASH_FIND_PTR(kernels_by_fun, &host_fun, k);
    pthread_mutex_unlock(&reg_lock);
    return k;
}

bool cushim__kernel_valid(const cushim__kernel *k)
{
    cushim__kernel *found = NULL;
    pthread_mutex_lock(&reg_lock);
    HASH_FIND(hh_self, kernels_by_self, &k, sizeof(void *), found);
    pthread_mutex_unlock(&reg_lock);
    return found != NULL;
}

const char *cushim__kernel_name(const cushim__kernel *k) { return k->name; }
cushim__kernel_attrs *cushim__kernel_attrs_of(cushim__kernel *k) { return &k->attrs; }

cudaError_t cushim__kernel_resolve(cushim__kernel *k, int dev, void **backend_kernel,
                                   cushim_kernel_info *info, const ptx_function **fn,
                                   uint32_t *ptx_version)
{
    pthread_mutex_lock(&load_lock);
    if (!k->per_dev) {
        k->per_dev = calloc((size_t)cushim__device_count(), sizeof *k->per_dev);
        if (!k->per_dev) {
            pthread_mutex_unlock(&load_lock);
            return cudaErrorMemoryAllocation;
        }
    }
    kernel_dev *kd = &k->per_dev[dev];
    if (!kd->resolved) {
        char what[300];
        snprintf(what, sizeof what, "kernel %s", k->name);
        cudaError_t e = load_module(k->fb, dev, what);
        uint64_t translate_ns = 0;   /* for the run report: 0 when not translated */
        if (e == cudaSuccess) {
            const ptx_function *f = ptx_find_function(k->fb->ir, k->name);
            if (!f || !f->is_entry || !f->has_body) {
                if (k->fb->sass_only_parts) {
                    CUSHIM_ERROR(LAUNCH, "kernel %s: its translation unit holds only machine code "
                                 "(SASS) for NVIDIA GPUs, no PTX", k->name);
                    e = cudaErrorNoKernelImageForDevice;
                } else {
                    CUSHIM_ERROR(LAUNCH, "kernel %s is registered but its PTX has no such .entry",
                                 k->name);
                    e = cudaErrorInvalidDeviceFunction;
                }
            } else {
                uint64_t t0 = cushim__report_active ? cushim__report_clock() : 0;
                int rc = cushim__ops()->kernel_get(k->fb->per_dev[dev].module, k->name,
                                                   &kd->backend_kernel, &kd->info);
                if (cushim__report_active)
                    translate_ns = cushim__report_clock() - t0 + 1;
                if (rc != 0) {
                    CUSHIM_ERROR(LAUNCH, "kernel %s: backend '%s' does not provide it", k->name,
                                 cushim__ops()->name);
                    e = (cudaError_t)rc;
                }
                kd->fn = f;
            }
        }
        kd->error = e;
        kd->resolved = true;
        if (cushim__report_active)
            cushim__report_kernel_resolved(k, k->name, k->fb->serial, e,
                                           e == cudaSuccess ? kd->info.unsupported : NULL,
                                           translate_ns);
    }
    cudaError_t e = kd->error;
    if (e == cudaSuccess) {
        if (backend_kernel)
            *backend_kernel = kd->backend_kernel;
        if (info)
            *info = kd->info;
        if (fn)
            *fn = kd->fn;
        if (ptx_version)
            /* cudaFuncAttributes::ptxVersion is the virtual architecture the PTX was
             * compiled for (.target sm_75 -> 75), not the PTX ISA version: CUB picks its
             * tuning policy from it and refuses architectures it was not built for. */
            *ptx_version = k->fb->ir->target_sm;
    }
    pthread_mutex_unlock(&load_lock);
    return e;
}

cudaError_t cushim__launch_prepare(cushim__kernel *k, int dev, dim3 grid, dim3 block,
                                   void **args, size_t shmem, bool cooperative,
                                   cushim__work *out)
{
    cudaError_t e;
    const cushim_device_info *di = cushim__device_info(dev);
    if (!grid.x || !grid.y || !grid.z || !block.x || !block.y || !block.z ||
        block.x > di->max_block_dim[0] || block.y > di->max_block_dim[1] ||
        block.z > di->max_block_dim[2] || grid.x > di->max_grid_dim[0] ||
        grid.y > di->max_grid_dim[1] || grid.z > di->max_grid_dim[2] ||
        (uint64_t)block.x * block.y * block.z > di->max_threads_per_block) {
        CUSHIM_DEBUG(LAUNCH, "kernel %s: invalid configuration grid (%u,%u,%u) block (%u,%u,%u)",
                     k->name, grid.x, grid.y, grid.z, block.x, block.y, block.z);
        return cudaErrorInvalidConfiguration;
    }
    void *bk;
    cushim_kernel_info info;
    const ptx_function *fn;
    e = cushim__kernel_resolve(k, dev, &bk, &info, &fn, NULL);
    if (cushim__report_active && (e != cudaSuccess || info.unsupported))
        cushim__report_launch_refused(k);
    if (e != cudaSuccess)
        return e;
    if (info.unsupported) {
        char key[300];
        snprintf(key, sizeof key, "unsupported-kernel:%s", k->name);
        cushim_log_once(key, "kernel %s cannot run on backend '%s': %s", k->name,
                        cushim__ops()->name, info.unsupported);
        return cudaErrorNotSupported;
    }
    uint64_t threads = (uint64_t)block.x * block.y * block.z;
    if (info.max_threads_per_block && threads > info.max_threads_per_block)
        return cudaErrorLaunchOutOfResources;
    uint64_t dyn_limit = k->attrs.max_dynamic_shared >= 0
        ? (uint64_t)k->attrs.max_dynamic_shared
        : (di->shared_mem_per_block > info.static_shared_bytes
               ? di->shared_mem_per_block - info.static_shared_bytes : 0);
    if (shmem > dyn_limit || shmem + info.static_shared_bytes > di->shared_mem_per_block_optin) {
        CUSHIM_DEBUG(LAUNCH, "kernel %s: %zu bytes of dynamic shared memory exceed the limit "
                     "of %llu", k->name, shmem, (unsigned long long)dyn_limit);
        return cudaErrorInvalidValue;
    }
    /* Pack the arguments in the .entry parameter layout: the copy is taken now, as
     * CUDA does, so the caller may reuse its argument storage once the call returns. */
    if (fn->nparams && !args)
        return cudaErrorInvalidValue;
    unsigned char *params = calloc(1, fn->param_bytes ? fn->param_bytes : 1);
    if (!params)
        return cudaErrorMemoryAllocation;
    for (uint32_t i = 0; i < fn->nparams; i++) {
        const ptx_param *p = &fn->params[i];
        if (!args[i] || p->offset > fn->param_bytes || fn->param_bytes - p->offset < p->size) {
            free(params);
            CUSHIM_ERROR(LAUNCH, "kernel %s: argument %u is missing or out of the parameter "
                         "buffer", k->name, i);
            return cudaErrorInvalidValue;
        }
        memcpy(params + p->offset, args[i], p->size);
    }
    memset(out, 0, sizeof *out);
    out->kind = CUSHIM_WORK_KERNEL;
    out->u.kernel.kernel = k;
    out->u.kernel.backend_kernel = bk;
    out->u.kernel.params = params;
    out->u.kernel.param_bytes = fn->param_bytes;
    out->u.kernel.grid = grid;
    out->u.kernel.block = block;
    out->u.kernel.shmem = (uint32_t)shmem;
    out->u.kernel.cooperative = cooperative;
    return cudaSuccess;
}

cudaError_t cushim__launch(cushim__kernel *k, dim3 grid, dim3 block, void **args,
                           size_t shmem, cudaStream_t stream, bool cooperative)
{
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    e = cushim__stream_check(stream);
    if (e != cudaSuccess)
        return e;
    cushim__work w;
    e = cushim__launch_prepare(k, dev, grid, block, args, shmem, cooperative, &w);
    if (e != cudaSuccess)
        return e;
    if (!cooperative)
        return cushim__submit(stream, &w, 0);
    /* A cooperative launch that cannot be co-resident must fail at the launch: run it
     * in stream order and wait for the backend's verdict. Faults stay asynchronous. */
    e = cushim__submit(stream, &w, CUSHIM_SUBMIT_WAIT);
    return cushim__is_kernel_fault(e) ? cudaSuccess : e;
}

/* ---- symbols --------------------------------------------------------------------- */

cudaError_t cushim__symbol_resolve(const void *symbol, int dev, cushim_dptr *addr, size_t *size)
{
    var_reg *v = NULL;
    pthread_mutex_lock(&reg_lock);
    HASH_FIND_PTR(symbols, &symbol, v);
    pthread_mutex_unlock(&reg_lock);
    if (!v)
        return cudaErrorInvalidSymbol;
    pthread_mutex_lock(&load_lock);
    char what[300];
    snprintf(what, sizeof what, "variable %s", v->name);
    cudaError_t e = load_module(v->fb, dev, what);
    if (e == cudaSuccess) {
        int idx = var_index(v->fb->ir, v->name);
        if (idx < 0 || !v->fb->per_dev[dev].var_addr[idx]) {
            CUSHIM_ERROR(MODULE, "variable %s is registered but its PTX does not define it",
                         v->name);
            e = cudaErrorInvalidSymbol;
        } else {
            *addr = v->fb->per_dev[dev].var_addr[idx];
            *size = v->size ? v->size : (size_t)v->fb->ir->vars[idx].size;
        }
    }
    pthread_mutex_unlock(&load_lock);
    return e;
}

/* ---- <<<...>>> configuration stack ------------------------------------------------ */

typedef struct launch_config {
    dim3 grid, block;
    size_t shmem;
    cudaStream_t stream;
} launch_config;

#define CONFIG_STACK_MAX 32
static _Thread_local launch_config config_stack[CONFIG_STACK_MAX];
static _Thread_local unsigned config_depth;

void cushim__config_push(dim3 grid, dim3 block, size_t shmem, cudaStream_t stream)
{
    if (config_depth == CONFIG_STACK_MAX) {
        /* Keep the newest: the oldest entries belong to launches that never popped. */
        memmove(&config_stack[0], &config_stack[1], (CONFIG_STACK_MAX - 1) * sizeof config_stack[0]);
        config_depth--;
    }
    config_stack[config_depth++] = (launch_config){grid, block, shmem, stream};
}

bool cushim__config_pop(dim3 *grid, dim3 *block, size_t *shmem, cudaStream_t *stream)
{
    if (!config_depth)
        return false;
    launch_config *c = &config_stack[--config_depth];
    *grid = c->grid;
    *block = c->block;
    *shmem = c->shmem;
    *stream = c->stream;
    return true;
}

/* ---- lookups by name, for the driver API (shim/driver_*.c) ------------------------- */

cudaError_t cushim__fatbin_load(void **handle, int dev)
{
    pthread_mutex_lock(&reg_lock);
    cushim__fatbin *fb = fatbin_of(handle);
    pthread_mutex_unlock(&reg_lock);
    if (!fb)
        return cudaErrorInvalidResourceHandle;
    pthread_mutex_lock(&load_lock);
    char what[64];
    snprintf(what, sizeof what, "module %u", fb->serial);
    cudaError_t e = load_module(fb, dev, what);
    pthread_mutex_unlock(&load_lock);
    return e;
}

cudaError_t cushim__fatbin_kernel(void **handle, const char *name, int dev, cushim__kernel **out)
{
    pthread_mutex_lock(&reg_lock);
    cushim__fatbin *fb = fatbin_of(handle);
    pthread_mutex_unlock(&reg_lock);
    if (!fb || !name || !out)
        return !fb ? cudaErrorInvalidResourceHandle : cudaErrorInvalidValue;
    pthread_mutex_lock(&load_lock);
    char what[300];
    snprintf(what, sizeof what, "kernel %s", name);
    cudaError_t e = load_module(fb, dev, what);
    if (e != cudaSuccess) {
        pthread_mutex_unlock(&load_lock);
        return e;
    }
    /* A miss is an answer (programs probe for optional kernels), not an error to log. */
    const ptx_function *f = ptx_find_function(fb->ir, name);
    if (!f || !f->is_entry || !f->has_body) {
        pthread_mutex_unlock(&load_lock);
        return cudaErrorSymbolNotFound;
    }
    pthread_mutex_lock(&reg_lock);
    cushim__kernel *k = NULL;
    for (uint32_t i = 0; i < fb->nkernels && !k; i++)
        if (strcmp(fb->kernels[i]->name, name) == 0)
            k = fb->kernels[i];
    if (!k) {
        /* No host stub: reachable through its handle only, never by host_fun. */
        k = calloc(1, sizeof *k);
        char *copy = strdup(name);
        if (!k || !copy || !grow_slots(&fb->kernels, &fb->kernels_cap, fb->nkernels)) {
            free(k);
            free(copy);
            pthread_mutex_unlock(&reg_lock);
            pthread_mutex_unlock(&load_lock);
            return cudaErrorMemoryAllocation;
        }
        k->self = k;
        k->name = copy;
        k->fb = fb;
        k->attrs.max_dynamic_shared = -1;
        k->attrs.preferred_carveout = -1;
        fb->kernels[fb->nkernels++] = k;
        HASH_ADD(hh_self, kernels_by_self, self, sizeof(void *), k);
    }
    pthread_mutex_unlock(&reg_lock);
    pthread_mutex_unlock(&load_lock);
    *out = k;
    return cudaSuccess;
}

cudaError_t cushim__fatbin_global(void **handle, const char *name, int dev, cushim_dptr *addr,
                                  size_t *size)
{
    pthread_mutex_lock(&reg_lock);
    cushim__fatbin *fb = fatbin_of(handle);
    pthread_mutex_unlock(&reg_lock);
    if (!fb || !name)
        return !fb ? cudaErrorInvalidResourceHandle : cudaErrorInvalidValue;
    pthread_mutex_lock(&load_lock);
    char what[300];
    snprintf(what, sizeof what, "variable %s", name);
    cudaError_t e = load_module(fb, dev, what);
    if (e == cudaSuccess) {
        int idx = var_index(fb->ir, name);
        if (idx < 0 || !fb->per_dev[dev].var_addr[idx]) {
            e = cudaErrorSymbolNotFound;
        } else {
            if (addr)
                *addr = fb->per_dev[dev].var_addr[idx];
            if (size)
                *size = (size_t)fb->ir->vars[idx].size;
        }
    }
    pthread_mutex_unlock(&load_lock);
    return e;
}
