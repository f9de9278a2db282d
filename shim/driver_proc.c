/* driver_proc.c: cuGetProcAddress (how NVIDIA's runtime, static or shared, reaches every
 * driver function) over the generated table of exports, and the paths every export
 * shares: call counting, the unsupported path and the tracer. A name resolves, for a
 * requested CUDA version, to the newest ABI variant introduced at or before it
 * (cuMemAlloc@3020 is cuMemAlloc_v2); the per-thread flag picks the _ptds/_ptsz twin. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/driver_gen.h"
#include "shim/driver_internal.h"

static _Atomic uint64_t call_counts[CUSHIM_DRV_COUNT];
bool cushim__drv_trace_enabled;
static bool strict_mode;
static atomic_int runtime_version;

__attribute__((constructor)) static void driver_proc_setup(void)
{
    const char *t = secure_getenv("CUSHIM_TRACE");
    cushim__drv_trace_enabled = t && *t && strcmp(t, "0") != 0;
    const char *s = secure_getenv("CUSHIM_STRICT");
    strict_mode = s && *s && strcmp(s, "0") != 0;
}

void cushim__drv_count(unsigned row)
{
    if (row < CUSHIM_DRV_COUNT)
        atomic_fetch_add_explicit(&call_counts[row], 1, memory_order_relaxed);
}

CUresult cushim__drv_unsupported(unsigned row)
{
    cushim__drv_count(row);
    const char *name = row < cushim__drv_entry_count ? cushim__drv_entries[row].name : "?";
    if (strict_mode) {
        fprintf(stderr, "cushim: error: %s is not supported by cushim (CUSHIM_STRICT=1: "
                "aborting)\n", name);
        abort();
    }
    char key[128];
    snprintf(key, sizeof key, "drv:unsupported:%s", name);
    cushim__drv_log_once(key, "%s is not supported by cushim; it returns "
                         "CUDA_ERROR_NOT_SUPPORTED", name);
    if (cushim__drv_trace_enabled)
        cushim__drv_trace(row, CUDA_ERROR_NOT_SUPPORTED);
    return CUDA_ERROR_NOT_SUPPORTED;
}

void cushim__drv_trace(unsigned row, CUresult r)
{
    const char *name = row < cushim__drv_entry_count ? cushim__drv_entries[row].name : "?";
    const char *rname = NULL;
    cushim_drv_cuGetErrorName(r, &rname);
    fprintf(stderr, "cushim: trace: %s = %s\n", name, rname ? rname : "?");
}

int cushim__drv_runtime_version(void) { return atomic_load(&runtime_version); }

/* ---- the lookup table --------------------------------------------------------------- */

typedef struct lookup {
    char base[96];
    int version;
    unsigned row;
} lookup;

static lookup *lookups;
static size_t nlookups;
static pthread_once_t lookups_once = PTHREAD_ONCE_INIT;

static int lookup_cmp(const void *a, const void *b)
{
    const lookup *x = a, *y = b;
    int c = strcmp(x->base, y->base);
    return c ? c : (x->version > y->version) - (x->version < y->version);
}

/* Parse the generated rows' "BASE@VERSION,..." into one sorted array. */
static void build_lookups(void)
{
    size_t cap = 0;
    for (unsigned i = 0; i < cushim__drv_entry_count; i++)
        for (const char *p = cushim__drv_entries[i].lookups; *p; p++)
            cap += *p == '@';
    lookups = calloc(cap ? cap : 1, sizeof *lookups);
    if (!lookups)
        return;
    for (unsigned i = 0; i < cushim__drv_entry_count; i++) {
        const char *p = cushim__drv_entries[i].lookups;
        while (*p) {
            const char *at = strchr(p, '@');
            if (!at || nlookups == cap)
                break;
            lookup *l = &lookups[nlookups];
            size_t n = (size_t)(at - p);
            if (n >= sizeof l->base)
                break;
            memcpy(l->base, p, n);
            l->base[n] = '\0';
            l->version = atoi(at + 1);
            l->row = i;
            nlookups++;
            p = strchr(at, ',');
            if (!p)
                break;
            p++;
        }
    }
    qsort(lookups, nlookups, sizeof *lookups, lookup_cmp);
}

static CUresult get_proc(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags,
                         CUdriverProcAddressQueryResult *status)
{
    if (!symbol || !pfn || flags > (CU_GET_PROC_ADDRESS_LEGACY_STREAM |
                                    CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM))
        return CUDA_ERROR_INVALID_VALUE;
    pthread_once(&lookups_once, build_lookups);
    int seen = atomic_load(&runtime_version);
    while (cudaVersion > seen && !atomic_compare_exchange_weak(&runtime_version, &seen, cudaVersion))
        ;
    *pfn = NULL;
    const lookup *best = NULL;
    bool name_known = false;
    /* The entries of one name are adjacent and in version order. */
    lookup key;
    snprintf(key.base, sizeof key.base, "%s", symbol);
    key.version = -1;
    size_t lo = 0, hi = nlookups;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (lookup_cmp(&lookups[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < nlookups && strcmp(lookups[i].base, symbol) == 0; i++) {
        name_known = true;
        if (lookups[i].version <= cudaVersion)
            best = &lookups[i];
    }
    if (!best) {
        if (status)
            *status = name_known ? CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT
                                 : CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
        if (symbol[0])
            DRV_DEBUG("cuGetProcAddress(%s, %d): %s", symbol, cudaVersion,
                      name_known ? "version not sufficient" : "no such driver function");
        return CUDA_ERROR_NOT_FOUND;
    }
    const cushim__drv_entry *e = &cushim__drv_entries[best->row];
    if ((flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) && e->per_thread >= 0)
        e = &cushim__drv_entries[e->per_thread];
    *pfn = e->fn;
    if (status)
        *status = CU_GET_PROC_ADDRESS_SUCCESS;
    return CUDA_SUCCESS;
}

CUresult cushim_drv_cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion,
                                        cuuint64_t flags, CUdriverProcAddressQueryResult *symbolStatus)
{
    return get_proc(symbol, pfn, cudaVersion, flags, symbolStatus);
}

CUresult cushim_drv_cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion,
                                     cuuint64_t flags)
{
    return get_proc(symbol, pfn, cudaVersion, flags, NULL);
}
