/* cpu_backend.c: the CPU fallback's ops struct: device description, memory operations on
 * the reserved range, modules and kernels (IR -> C -> shared object, one kernel at a time
 * when it is first asked for), launch. */
#include "config.h"

#include "vendors/cpu/cpu.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include "shim/log.h"
#include "translate/gen_c.h"
#include "vendors/cpu/sha256.h"

typedef struct cpu_kernel {
    const struct cushim_kernel_desc *desc;
    uint32_t param_bytes;
    cpu_object *code;      /* translated on demand: its own code (owned, as is the entry) */
    char *name;
    UT_hash_handle hh;
} cpu_kernel;

/* A module is either compiled whole from C (cpu_module_load_c: kernels[] filled at
 * load), or kept as IR (module_load) whose kernels are translated and compiled one by
 * one on their first kernel_get: a program compiles only the kernels it uses, and each
 * kernel has its own cache entry. */
typedef struct cpu_module {
    cpu_object *code;
    const struct cushim_module_desc *desc;
    cpu_kernel *kernels;   /* one per desc->kernels */
    cpu_kernel *by_name;   /* hash over kernels (and the on-demand ones) */
    const ptx_module *ir;  /* on demand: owned by the core, outlives the module */
    uint64_t *var_addr;
    cgen_options opt;
    char label[200];
} cpu_module;

/* ---- device description --------------------------------------------------------------- */

static pthread_once_t info_once = PTHREAD_ONCE_INIT;
static cushim_device_info device;

/* The value of the first "key : value" line of /proc/cpuinfo whose key is `key`. */
static bool cpuinfo_value(const char *key, char *out, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "re");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    size_t key_len = strlen(key);
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, key_len) != 0)
            continue;
        const char *p = line + key_len;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ':')
            continue;
        p++;
        while (*p == ' ')
            p++;
        snprintf(out, len, "%s", p);
        out[strcspn(out, "\n")] = '\0';
        found = true;
    }
    fclose(f);
    return found;
}

static uint32_t last_level_cache_bytes(void)
{
    uint32_t best = 0;
    for (int i = 0; i < 8; i++) {
        char path[96], text[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        if (fgets(text, sizeof text, f)) {
            char unit = 0;
            unsigned long v = 0;
            if (sscanf(text, "%lu%c", &v, &unit) >= 1) {
                uint64_t bytes = unit == 'K' ? v << 10 : unit == 'M' ? v << 20 : v;
                if (bytes > best && bytes < UINT32_MAX)
                    best = (uint32_t)bytes;
            }
        }
        fclose(f);
    }
    return best ? best : 4u << 20;
}

static void fill_device_info(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    char model[200] = "unknown processor";
    if (!cpuinfo_value("model name", model, sizeof model))
        cpuinfo_value("Processor", model, sizeof model);
    snprintf(device.name, sizeof device.name, "cushim CPU: %s, %ld cores", model, cores);
    device.total_mem = cpu_mem_total();
    device.multiprocessor_count = (uint32_t)cores;
    device.max_threads_per_block = CPU_MAX_THREADS_PER_BLOCK;
    device.warp_size = 32;
    device.max_block_dim[0] = 1024;
    device.max_block_dim[1] = 1024;
    device.max_block_dim[2] = 64;
    device.max_grid_dim[0] = 0x7fffffff;
    device.max_grid_dim[1] = 65535;
    device.max_grid_dim[2] = 65535;
    device.shared_mem_per_block = CPU_SMEM_DEFAULT;
    device.shared_mem_per_block_optin = CPU_SMEM_OPTIN;
    device.shared_mem_per_multiprocessor = CPU_SMEM_OPTIN + 1024;
    device.max_threads_per_multiprocessor = 2048;
    device.max_blocks_per_multiprocessor = 32;
    device.regs_per_block = 65536;
    device.total_const_mem = 65536;
    char mhz[64];
    double clock_mhz = 0;
    if (cpuinfo_value("cpu MHz", mhz, sizeof mhz))
        clock_mhz = strtod(mhz, NULL);
    device.clock_khz = clock_mhz > 0 ? (uint32_t)(clock_mhz * 1000.0) : 1000000;
    /* Host memory has no fixed figure here; nominal values keep programs that compute
     * peak bandwidth from them away from zero. */
    device.memory_clock_khz = 1600000;
    device.memory_bus_width = 128;
    device.l2_cache_bytes = last_level_cache_bytes();
    device.cc_major = CPU_CC_MAJOR;
    device.cc_minor = CPU_CC_MINOR;
    device.unified_addressing = true;
    device.managed_memory = true;
    device.concurrent_kernels = false;
    device.integrated = true;
    device.pci_bus = device.pci_device = device.pci_domain = 0;

    /* UUID: stable for the machine, from machine-id (or the host name). */
    char id[256] = "";
    FILE *f = fopen("/etc/machine-id", "re");
    if (f) {
        if (!fgets(id, sizeof id, f))
            id[0] = '\0';
        fclose(f);
    }
    if (!id[0] && gethostname(id, sizeof id - 1) != 0)
        snprintf(id, sizeof id, "cushim");
    char seed[300];
    snprintf(seed, sizeof seed, "cushim cpu device\n%s", id);
    uint8_t digest[CPU_SHA256_BYTES];
    cpu_sha256(seed, strlen(seed), digest);
    memcpy(device.uuid, digest, sizeof device.uuid);
    device.uuid[6] = (uint8_t)((device.uuid[6] & 0x0f) | 0x50); /* name-based UUID */
    device.uuid[8] = (uint8_t)((device.uuid[8] & 0x3f) | 0x80);
}

/* ---- ops -------------------------------------------------------------------------------- */

static int cpu_init(int *device_count, char *err, size_t errlen)
{
    int rc = cpu_mem_init(err, errlen);
    *device_count = rc ? 0 : 1;
    return rc;
}

static void cpu_shutdown(void)
{
    cpu_pool_shutdown();
}

static int cpu_device_info(int dev, cushim_device_info *out)
{
    if (dev != 0)
        return CPU_cudaErrorInvalidDevice;
    pthread_once(&info_once, fill_device_info);
    *out = device;
    return 0;
}

static int cpu_mem_alloc_op(int dev, size_t bytes, cushim_dptr *out, char *err, size_t errlen)
{
    if (dev != 0)
        return CPU_cudaErrorInvalidDevice;
    return cpu_mem_alloc(bytes, out, err, errlen);
}

static int cpu_mem_free_op(int dev, cushim_dptr p)
{
    if (dev != 0)
        return CPU_cudaErrorInvalidDevice;
    return cpu_mem_free(p);
}

/* A device-side range must lie in one live allocation; an address outside the device
 * range is host memory the core has vouched for (unified addressing). */
static bool device_range_ok(cushim_dptr p, size_t n)
{
    return !cpu_mem_in_range(p) || cpu_mem_range_ok(p, n);
}

static int cpu_memcpy_htod(int dev, cushim_dptr dst, const void *src, size_t n)
{
    if (dev != 0)
        return CPU_cudaErrorInvalidDevice;
    if (n == 0)
        return 0;
    if (!src || !device_range_ok(dst, n))
        return CPU_cudaErrorInvalidValue;
    memmove((void *)(uintptr_t)dst, src, n);
    return 0;
}

static int cpu_memcpy_dtoh(int dev, void *dst, cushim_dptr src, size_t n)
{
    if (dev != 0)
        return CPU_cudaErrorInvalidDevice;
    if (n == 0)
        return 0;
    if (!dst || !device_range_ok(src, n))
        return CPU_cudaErrorInvalidValue;
    memmove(dst, (const void *)(uintptr_t)src, n);
    return 0;
}

static int cpu_memcpy_dtod(int dev, cushim_dptr dst, cushim_dptr src, size_t n)
{
    if (dev != 0)
        return CPU_cudaErrorInvalidDevice;
    if (n == 0)
        return 0;
    if (!device_range_ok(dst, n) || !device_range_ok(src, n))
        return CPU_cudaErrorInvalidValue;
    memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n);
    return 0;
}

static int cpu_memset_d8(int dev, cushim_dptr dst, uint8_t value, size_t n)
{
    if (dev != 0)
        return CPU_cudaErrorInvalidDevice;
    if (n == 0)
        return 0;
    if (!device_range_ok(dst, n))
        return CPU_cudaErrorInvalidValue;
    memset((void *)(uintptr_t)dst, value, n);
    return 0;
}

static void *cpu_host_ptr(int dev, cushim_dptr p)
{
    if (dev != 0 || !cpu_mem_in_range(p))
        return NULL;
    return (void *)(uintptr_t)p;
}

static void free_module(cpu_module *m)
{
    if (!m)
        return;
    cpu_kernel *k, *tmp;
    HASH_ITER(hh, m->by_name, k, tmp) {
        HASH_DEL(m->by_name, k);
        if (k->code) {
            cpu_object_close(k->code);
            free(k->name);
            free(k);
        }
    }
    free(m->kernels);
    free(m->var_addr);
    cpu_object_close(m->code);
    free(m);
}

/* Compile C that follows kernel_abi.h, check what it exports and bind its variables. */
static int load_compiled(const char *c_source, size_t len, const uint64_t *var_addr,
                         uint32_t nvars, const char *label, cpu_object **code,
                         const struct cushim_module_desc **desc, char *err, size_t errlen)
{
    *desc = NULL;
    int rc = cpu_compile_load(c_source, len, label, code, err, errlen);
    if (rc)
        return rc;
    union {
        void *object;
        cushim_module_entry_fn fn;
    } entry;
    entry.object = cpu_object_symbol(*code, CUSHIM_KABI_ENTRY);
    const char *problem = NULL;
    char detail[160];
    const struct cushim_module_desc *d = NULL;
    if (!entry.object) {
        problem = "it does not export " CUSHIM_KABI_ENTRY;
    } else if (!(d = entry.fn())) {
        problem = "its module descriptor is NULL";
    } else if (d->kabi_version != CUSHIM_KABI_VERSION) {
        snprintf(detail, sizeof detail, "it was generated for kernel ABI %u, this runtime "
                 "has %d", d->kabi_version, CUSHIM_KABI_VERSION);
        problem = detail;
    } else if (d->nvars != nvars) {
        snprintf(detail, sizeof detail, "it expects %u module variables, the image has %u",
                 d->nvars, nvars);
        problem = detail;
    } else if (d->nkernels && !d->kernels) {
        problem = "its kernel table is NULL";
    } else if (nvars && !d->bind) {
        problem = "it has variables but no bind function";
    }
    for (uint32_t i = 0; !problem && i < d->nkernels; i++)
        if (!d->kernels[i].name)
            problem = "a kernel has no name";
    if (problem) {
        snprintf(err, errlen, "cannot use the compiled kernels of %s: %s", label, problem);
        cpu_object_close(*code);
        *code = NULL;
        return CPU_cudaErrorInvalidPtx;
    }
    static const uint64_t no_vars[1] = {0};
    if (d->bind)
        d->bind(var_addr ? var_addr : no_vars);
    *desc = d;
    return 0;
}

int cpu_module_load_c(const char *c_source, size_t len, const uint64_t *var_addr,
                      uint32_t nvars, const char *label, void **module, char *err,
                      size_t errlen)
{
    *module = NULL;
    cpu_module *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "loading %s: out of memory", label ? label : "module");
        return CPU_cudaErrorMemoryAllocation;
    }
    snprintf(m->label, sizeof m->label, "%s", label ? label : "module");
    int rc = load_compiled(c_source, len, var_addr, nvars, m->label, &m->code, &m->desc, err,
                           errlen);
    if (rc) {
        free_module(m);
        return rc;
    }
    const char *problem = NULL;
    char detail[160];
    if (m->desc->nkernels) {
        m->kernels = calloc(m->desc->nkernels, sizeof *m->kernels);
        if (!m->kernels)
            problem = "out of memory";
    }
    for (uint32_t i = 0; !problem && i < m->desc->nkernels; i++) {
        const struct cushim_kernel_desc *k = &m->desc->kernels[i];
        cpu_kernel *dup;
        HASH_FIND_STR(m->by_name, k->name, dup);
        if (dup) {
            snprintf(detail, sizeof detail, "kernel %.100s is defined twice", k->name);
            problem = detail;
            break;
        }
        m->kernels[i].desc = k;
        HASH_ADD_KEYPTR(hh, m->by_name, k->name, strlen(k->name), &m->kernels[i]);
    }
    if (problem) {
        snprintf(err, errlen, "cannot use the compiled kernels of %s: %s", m->label, problem);
        free_module(m);
        return CPU_cudaErrorInvalidPtx;
    }
    *module = m;
    return 0;
}

/* Size of a kernel's packed parameters, from the IR (the generated code does not
 * carry it). */
static uint32_t param_bytes_of(const ptx_function *f)
{
    uint32_t bytes = 0;
    for (uint32_t p = 0; f && p < f->nparams; p++)
        if (f->params[p].offset + f->params[p].size > bytes)
            bytes = f->params[p].offset + f->params[p].size;
    return bytes;
}

static double elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1e3 + (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

/* Translate and compile one kernel of an IR module (kernel_get's first call for it). */
static int translate_kernel(cpu_module *m, const char *name, cpu_kernel **out)
{
    const ptx_function *f = ptx_find_function(m->ir, name);
    if (!f || !f->is_entry || !f->has_body)
        return CPU_cudaErrorInvalidDeviceFunction;
    char label[400], err[1024] = "", gen_err[512] = "";
    snprintf(label, sizeof label, "%s, kernel %s", m->label, name);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char *src = cgen_kernel(m->ir, name, &m->opt, gen_err, sizeof gen_err);
    if (!src) {
        CUSHIM_ERROR(CPU, "%s: cannot generate C for the cpu backend: %s", label, gen_err);
        return CPU_cudaErrorInvalidPtx;
    }
    size_t len = strlen(src);
    double gen_ms = elapsed_ms(&start);
    cpu_kernel *k = calloc(1, sizeof *k);
    char *kname = strdup(name);
    const struct cushim_module_desc *desc = NULL;
    int rc = !k || !kname ? CPU_cudaErrorMemoryAllocation
                          : load_compiled(src, len, m->var_addr, m->ir->nvars, label, &k->code,
                                          &desc, err, sizeof err);
    free(src);
    if (!rc && (desc->nkernels != 1 || strcmp(desc->kernels[0].name, name) != 0)) {
        snprintf(err, sizeof err, "cannot use the compiled kernels of %s: it does not hold "
                 "that kernel alone", label);
        rc = CPU_cudaErrorInvalidPtx;
    }
    if (rc) {
        CUSHIM_ERROR(CPU, "%s", err[0] ? err : "out of memory");
        if (k)
            cpu_object_close(k->code);
        free(k);
        free(kname);
        return rc;
    }
    CUSHIM_DEBUG(CPU, "%s: %zu bytes of C generated in %.1f ms, ready after %.1f ms", label,
                 len, gen_ms, elapsed_ms(&start));
    k->desc = &desc->kernels[0];
    k->name = kname;
    k->param_bytes = param_bytes_of(f);
    HASH_ADD_KEYPTR(hh, m->by_name, k->name, strlen(k->name), k);
    *out = k;
    return 0;
}

static int cpu_module_load(int dev, const cushim_module_image *img, void **module, char *err,
                           size_t errlen)
{
    if (dev != 0)
        return CPU_cudaErrorInvalidDevice;
    *module = NULL;
    const char *memcheck = cushim_getenv("CUSHIM_MEMCHECK");
    cpu_module *m = calloc(1, sizeof *m);
    uint32_t nvars = img->ir->nvars;
    if (m)
        m->var_addr = calloc(nvars ? nvars : 1, sizeof *m->var_addr);
    if (!m || !m->var_addr) {
        free(m);
        snprintf(err, errlen, "loading %s: out of memory", img->label ? img->label : "module");
        return CPU_cudaErrorMemoryAllocation;
    }
    if (img->var_addr && nvars)
        memcpy(m->var_addr, img->var_addr, nvars * sizeof *m->var_addr);
    m->ir = img->ir;
    m->opt.memcheck = memcheck && *memcheck && strcmp(memcheck, "0") != 0;
    m->opt.for_tcc = cpu_compiler_is_tcc();
    snprintf(m->label, sizeof m->label, "%s", img->label ? img->label : "module");
    *module = m;
    return 0;
}

static void cpu_module_unload(int dev, void *module)
{
    (void)dev;
    free_module(module);
}

static int cpu_kernel_get(void *module, const char *name, void **kernel, cushim_kernel_info *info)
{
    cpu_module *m = module;
    cpu_kernel *k = NULL;
    if (m && name)
        HASH_FIND_STR(m->by_name, name, k);
    if (!k && m && name && m->ir) {
        int rc = translate_kernel(m, name, &k);
        if (rc)
            return rc;
    }
    if (!k)
        return CPU_cudaErrorInvalidDeviceFunction;
    *kernel = k;
    if (info) {
        const struct cushim_kernel_desc *d = k->desc;
        memset(info, 0, sizeof *info);
        info->static_shared_bytes = d->static_shared_bytes;
        info->local_bytes_per_thread = d->local_bytes_per_thread;
        info->const_bytes = 0;
        info->num_regs = d->num_regs;
        info->max_threads_per_block = d->max_threads && d->max_threads < CPU_MAX_THREADS_PER_BLOCK
                                          ? d->max_threads : CPU_MAX_THREADS_PER_BLOCK;
        info->param_bytes = k->param_bytes;
        info->unsupported = d->run_block ? NULL
                            : d->unsupported ? d->unsupported : "no code was generated for it";
    }
    return 0;
}

static int cpu_launch(int dev, const cushim_launch *l, char *err, size_t errlen)
{
    if (dev != 0)
        return CPU_cudaErrorInvalidDevice;
    const cpu_kernel *k = l ? l->kernel : NULL;
    return cpu_pool_launch(k ? k->desc : NULL, l, err, errlen);
}

const struct cushim_vendor_ops cushim_cpu_vendor = {
    .abi_version = CUSHIM_VENDOR_ABI,
    .name = "cpu",
    .description = "CPU fallback: kernels translated from PTX to C, compiled, run on all cores",
    .init = cpu_init,
    .shutdown = cpu_shutdown,
    .device_info = cpu_device_info,
    .mem_alloc = cpu_mem_alloc_op,
    .mem_free = cpu_mem_free_op,
    .memcpy_htod = cpu_memcpy_htod,
    .memcpy_dtoh = cpu_memcpy_dtoh,
    .memcpy_dtod = cpu_memcpy_dtod,
    .memset_d8 = cpu_memset_d8,
    .host_ptr = cpu_host_ptr,
    .module_load = cpu_module_load,
    .module_unload = cpu_module_unload,
    .kernel_get = cpu_kernel_get,
    .launch = cpu_launch,
};
