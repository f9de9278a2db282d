/* core_mem.c: the table of every allocation the program holds (device, managed, pinned
 * host, registered host, module variables), so that pointers can be classified
 * (cudaMemcpyDefault, cudaPointerGetAttributes), frees validated and copies
 * bounds-checked; and device memory operations through the backend. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "shim/core.h"
#include "shim/log.h"
#include "shim/report.h"

/* Sorted by base; lookups are binary searches. Programs hold few allocations at once,
 * so insertion by memmove is cheap enough. */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static cushim__alloc *table;
static size_t table_len, table_cap;
static uint64_t device_bytes[64];

/* Index of the first record with base > p. */
static size_t upper_bound(uintptr_t p)
{
    size_t lo = 0, hi = table_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (table[mid].base <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

cudaError_t cushim__alloc_add(const cushim__alloc *a)
{
    pthread_mutex_lock(&table_lock);
    if (table_len == table_cap) {
        size_t cap = table_cap ? table_cap * 2 : 64;
        cushim__alloc *t = realloc(table, cap * sizeof *t);
        if (!t) {
            pthread_mutex_unlock(&table_lock);
            return cudaErrorMemoryAllocation;
        }
        table = t;
        table_cap = cap;
    }
    size_t at = upper_bound(a->base);
    memmove(&table[at + 1], &table[at], (table_len - at) * sizeof *table);
    table[at] = *a;
    table_len++;
    if (a->kind != CUSHIM_MEM_HOST && a->kind != CUSHIM_MEM_REGISTERED && a->device >= 0 &&
        a->device < 64) {
        device_bytes[a->device] += a->size;
        if (cushim__report_active)
            cushim__report_device_bytes(a->device, device_bytes[a->device]);
    }
    pthread_mutex_unlock(&table_lock);
    return cudaSuccess;
}

static bool find_locked(uintptr_t p, size_t *index)
{
    size_t at = upper_bound(p);
    if (at == 0)
        return false;
    const cushim__alloc *a = &table[at - 1];
    /* A zero-sized record (registered symbol of size 0) still owns its base address. */
    if (p >= a->base && (p - a->base < a->size || p == a->base)) {
        *index = at - 1;
        return true;
    }
    return false;
}

bool cushim__alloc_find(uintptr_t p, cushim__alloc *out)
{
    size_t i;
    pthread_mutex_lock(&table_lock);
    bool found = find_locked(p, &i);
    if (found && out)
        *out = table[i];
    pthread_mutex_unlock(&table_lock);
    return found;
}

bool cushim__alloc_remove(uintptr_t base, cushim__mem_kind kind_mask_bits, cushim__alloc *out)
{
    size_t i;
    bool ok = false;
    pthread_mutex_lock(&table_lock);
    if (find_locked(base, &i) && table[i].base == base &&
        (CUSHIM_MEM_BIT(table[i].kind) & (unsigned)kind_mask_bits)) {
        if (out)
            *out = table[i];
        if (table[i].kind != CUSHIM_MEM_HOST && table[i].kind != CUSHIM_MEM_REGISTERED &&
            table[i].device >= 0 && table[i].device < 64) {
            device_bytes[table[i].device] -= table[i].size;
            if (cushim__report_active)
                cushim__report_device_bytes(table[i].device, device_bytes[table[i].device]);
        }
        memmove(&table[i], &table[i + 1], (table_len - i - 1) * sizeof *table);
        table_len--;
        ok = true;
    }
    pthread_mutex_unlock(&table_lock);
    return ok;
}

uint64_t cushim__bytes_allocated(int dev)
{
    if (dev < 0 || dev >= 64)
        return 0;
    pthread_mutex_lock(&table_lock);
    uint64_t n = device_bytes[dev];
    pthread_mutex_unlock(&table_lock);
    return n;
}

cudaError_t cushim__dev_alloc(int dev, size_t bytes, cushim__mem_kind kind, cushim_dptr *out)
{
    const struct cushim_vendor_ops *ops = cushim__ops();
    char err[256] = "";
    cushim_dptr p = 0;
    int rc = ops->mem_alloc(dev, bytes ? bytes : 1, &p, err, sizeof err);
    if (rc != 0 || p == 0) {
        CUSHIM_DEBUG(MEM, "allocation of %zu bytes on device %d failed: %s", bytes, dev,
                     err[0] ? err : "out of memory");
        return cudaErrorMemoryAllocation;
    }
    cushim__alloc a = {.base = (uintptr_t)p, .size = bytes, .kind = kind, .device = dev};
    if (ops->host_ptr)
        a.host = ops->host_ptr(dev, p);
    if (cushim__alloc_add(&a) != cudaSuccess) {
        ops->mem_free(dev, p);
        return cudaErrorMemoryAllocation;
    }
    *out = p;
    return cudaSuccess;
}

cudaError_t cushim__dev_free(int dev, cushim_dptr p)
{
    int rc = cushim__ops()->mem_free(dev, p);
    return rc ? (cudaError_t)rc : cudaSuccess;
}

void cushim__alloc_release_device(int dev)
{
    for (;;) {
        cushim__alloc victim;
        bool found = false;
        pthread_mutex_lock(&table_lock);
        for (size_t i = 0; i < table_len; i++) {
            if (table[i].device == dev &&
                (table[i].kind == CUSHIM_MEM_DEVICE || table[i].kind == CUSHIM_MEM_MANAGED)) {
                victim = table[i];
                found = true;
                break;
            }
        }
        pthread_mutex_unlock(&table_lock);
        if (!found)
            return;
        if (cushim__alloc_remove(victim.base, CUSHIM_MEM_BIT(victim.kind), NULL))
            cushim__dev_free(victim.device, (cushim_dptr)victim.base);
    }
}

/* One side of a copy: device memory (dev, addr) or host memory (host). */
typedef struct side {
    bool device;
    int dev;
    cushim_dptr addr;
    void *host;
} side;

static cudaError_t resolve(const void *p, size_t n, bool must_be_device, side *s)
{
    cushim__alloc a;
    uintptr_t u = (uintptr_t)p;
    memset(s, 0, sizeof *s);
    if (cushim__alloc_find(u, &a)) {
        /* The copy must stay inside the allocation it starts in. */
        if (n > a.size - (u - a.base))
            return cudaErrorInvalidValue;
        if (a.kind == CUSHIM_MEM_DEVICE || a.kind == CUSHIM_MEM_MANAGED ||
            a.kind == CUSHIM_MEM_SYMBOL) {
            s->device = true;
            s->dev = a.device;
            s->addr = (cushim_dptr)u;
            return cudaSuccess;
        }
    }
    if (must_be_device)
        return cudaErrorInvalidValue;
    s->host = (void *)p;
    return cudaSuccess;
}

cudaError_t cushim__copy(void *dst, const void *src, size_t n, int kind)
{
    if (n == 0)
        return cudaSuccess;
    if (!dst || !src)
        return cudaErrorInvalidValue;
    side d, s;
    cudaError_t e = resolve(dst, n, kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice, &d);
    if (e == cudaSuccess)
        e = resolve(src, n, kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice, &s);
    if (e != cudaSuccess)
        return e;
    const struct cushim_vendor_ops *ops = cushim__ops();
    int rc = 0;
    if (!d.device && !s.device) {
        memmove(dst, src, n);
    } else if (d.device && !s.device) {
        cushim__dev_lock(d.dev);
        rc = ops->memcpy_htod(d.dev, d.addr, s.host, n);
        cushim__dev_unlock(d.dev);
    } else if (!d.device && s.device) {
        cushim__dev_lock(s.dev);
        rc = ops->memcpy_dtoh(s.dev, d.host, s.addr, n);
        cushim__dev_unlock(s.dev);
    } else if (d.dev == s.dev) {
        cushim__dev_lock(d.dev);
        rc = ops->memcpy_dtod(d.dev, d.addr, s.addr, n);
        cushim__dev_unlock(d.dev);
    } else {
        /* One device lock at a time, so opposite copies cannot deadlock. */
        void *bounce = malloc(n);
        if (!bounce)
            return cudaErrorMemoryAllocation;
        cushim__dev_lock(s.dev);
        rc = ops->memcpy_dtoh(s.dev, bounce, s.addr, n);
        cushim__dev_unlock(s.dev);
        if (rc == 0) {
            cushim__dev_lock(d.dev);
            rc = ops->memcpy_htod(d.dev, d.addr, bounce, n);
            cushim__dev_unlock(d.dev);
        }
        free(bounce);
    }
    return rc ? (cudaError_t)rc : cudaSuccess;
}

cudaError_t cushim__fill(void *dst, int value, size_t n)
{
    if (n == 0)
        return cudaSuccess;
    side d;
    cudaError_t e = resolve(dst, n, true, &d);
    if (e != cudaSuccess)
        return e;
    cushim__dev_lock(d.dev);
    int rc = cushim__ops()->memset_d8(d.dev, d.addr, (uint8_t)value, n);
    cushim__dev_unlock(d.dev);
    return rc ? (cudaError_t)rc : cudaSuccess;
}

cudaError_t cushim__copy_check(const void *dst, size_t dspan, const void *src, size_t sspan,
                               int kind, bool *pageable, bool *device)
{
    side d, s;
    cudaError_t e = resolve(dst, dspan, kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice, &d);
    if (e == cudaSuccess)
        e = resolve(src, sspan, kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice, &s);
    if (e != cudaSuccess)
        return e;
    cushim__alloc a;
    *pageable = (!d.device && !cushim__alloc_find((uintptr_t)dst, &a)) ||
                (!s.device && !cushim__alloc_find((uintptr_t)src, &a));
    *device = d.device || s.device;
    return cudaSuccess;
}

cudaError_t cushim__fill_check(const void *dst, size_t span)
{
    side d;
    return resolve(dst, span, true, &d);
}
