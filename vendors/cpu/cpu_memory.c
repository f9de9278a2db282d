/* cpu_memory.c: device memory of the CPU fallback: one reserved virtual range in which
 * allocations are committed on demand, each followed by an unmapped guard gap, so every
 * device address maps back to its allocation and stray accesses fault. */
#include "config.h"

#include "vendors/cpu/cpu.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "shim/log.h"

/* The guard is wide enough that an index a little past the end (a missing bounds check
 * in a kernel) lands in it rather than in the next allocation. */
#define GUARD_BYTES (64u * 1024u)
#define MIN_RESERVE (64ull << 30)

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status;
static char init_message[256];

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static cpu_arena range_arena;
static uint64_t range_start, range_len;
static uint64_t page_bytes;
static uint64_t bytes_in_use, bytes_limit;

/* ---- extent allocator ---------------------------------------------------------- */

void cpu_arena_init(cpu_arena *a, uint64_t start, uint64_t len, uint64_t granule)
{
    memset(a, 0, sizeof *a);
    a->granule = granule;
    len -= len % granule;
    if (len == 0)
        return;
    a->free_list = malloc(sizeof *a->free_list * 16);
    if (!a->free_list)
        return;
    a->cap_free = 16;
    a->free_list[0] = (cpu_extent){.start = start, .len = len, .size = 0};
    a->nfree = 1;
}

void cpu_arena_destroy(cpu_arena *a)
{
    free(a->free_list);
    free(a->live);
    memset(a, 0, sizeof *a);
}

static bool reserve_slots(cpu_extent **v, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t new_cap = *cap ? *cap * 2 : 16;
    while (new_cap < need)
        new_cap *= 2;
    cpu_extent *grown = realloc(*v, new_cap * sizeof *grown);
    if (!grown)
        return false;
    *v = grown;
    *cap = new_cap;
    return true;
}

/* Index of the first extent whose start is > addr. */
static size_t upper_bound(const cpu_extent *v, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool cpu_arena_alloc(cpu_arena *a, uint64_t slot_len, uint64_t size, uint64_t *out)
{
    if (slot_len == 0 || slot_len % a->granule)
        return false;
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < a->nfree; i++) {
        if (a->free_list[i].len >= slot_len &&
            (best == SIZE_MAX || a->free_list[i].len < a->free_list[best].len)) {
            best = i;
            if (a->free_list[i].len == slot_len)
                break;
        }
    }
    if (best == SIZE_MAX)
        return false;
    if (!reserve_slots(&a->live, &a->cap_live, a->nlive + 1))
        return false;
    uint64_t start = a->free_list[best].start;
    if (a->free_list[best].len == slot_len) {
        memmove(&a->free_list[best], &a->free_list[best + 1],
                (a->nfree - best - 1) * sizeof *a->free_list);
        a->nfree--;
    } else {
        a->free_list[best].start += slot_len;
        a->free_list[best].len -= slot_len;
    }
    size_t at = upper_bound(a->live, a->nlive, start);
    memmove(&a->live[at + 1], &a->live[at], (a->nlive - at) * sizeof *a->live);
    a->live[at] = (cpu_extent){.start = start, .len = slot_len, .size = size};
    a->nlive++;
    *out = start;
    return true;
}

bool cpu_arena_free(cpu_arena *a, uint64_t start, cpu_extent *released)
{
    size_t at = upper_bound(a->live, a->nlive, start);
    if (at == 0 || a->live[at - 1].start != start)
        return false;
    /* Make room in the free list first, so a failure leaves everything unchanged. */
    if (!reserve_slots(&a->free_list, &a->cap_free, a->nfree + 1))
        return false;
    cpu_extent gone = a->live[at - 1];
    memmove(&a->live[at - 1], &a->live[at], (a->nlive - at) * sizeof *a->live);
    a->nlive--;
    if (released)
        *released = gone;

    size_t pos = upper_bound(a->free_list, a->nfree, gone.start);
    bool joins_prev = pos > 0 &&
                      a->free_list[pos - 1].start + a->free_list[pos - 1].len == gone.start;
    bool joins_next = pos < a->nfree && gone.start + gone.len == a->free_list[pos].start;
    if (joins_prev && joins_next) {
        a->free_list[pos - 1].len += gone.len + a->free_list[pos].len;
        memmove(&a->free_list[pos], &a->free_list[pos + 1],
                (a->nfree - pos - 1) * sizeof *a->free_list);
        a->nfree--;
    } else if (joins_prev) {
        a->free_list[pos - 1].len += gone.len;
    } else if (joins_next) {
        a->free_list[pos].start = gone.start;
        a->free_list[pos].len += gone.len;
    } else {
        memmove(&a->free_list[pos + 1], &a->free_list[pos],
                (a->nfree - pos) * sizeof *a->free_list);
        a->free_list[pos] = (cpu_extent){.start = gone.start, .len = gone.len, .size = 0};
        a->nfree++;
    }
    return true;
}

const cpu_extent *cpu_arena_lookup(const cpu_arena *a, uint64_t addr)
{
    size_t at = upper_bound(a->live, a->nlive, addr);
    if (at == 0)
        return NULL;
    const cpu_extent *e = &a->live[at - 1];
    return addr - e->start < e->len ? e : NULL;
}

/* ---- the reserved range ------------------------------------------------------- */

static uint64_t physical_memory(void)
{
    struct sysinfo si;
    if (sysinfo(&si) == 0 && si.totalram > 0)
        return (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1);
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && size > 0)
        return (uint64_t)pages * (uint64_t)size;
    return 4ull << 30;
}

static void reserve_range(void)
{
    page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
    bytes_limit = physical_memory();
    /* Address space is cheap: twice the memory we may commit, so that fragmentation
     * and guard gaps never run out of addresses before memory runs out. */
    uint64_t want = 2 * bytes_limit;
    if (want < MIN_RESERVE)
        want = MIN_RESERVE;
    want -= want % page_bytes;
    void *p = MAP_FAILED;
    /* A ulimit -v may refuse the full size: halve until it fits. */
    while (want >= (64ull << 20)) {
        p = mmap(NULL, want, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p != MAP_FAILED)
            break;
        want /= 2;
        want -= want % page_bytes;
    }
    if (p == MAP_FAILED) {
        init_status = CPU_cudaErrorMemoryAllocation;
        snprintf(init_message, sizeof init_message,
                 "cpu backend: cannot reserve address space for device memory: %s",
                 strerror(errno));
        return;
    }
    range_start = (uint64_t)(uintptr_t)p;
    range_len = want;
    if (bytes_limit > range_len / 2)
        bytes_limit = range_len / 2;
    cpu_arena_init(&range_arena, range_start, range_len, page_bytes);
    if (range_arena.nfree == 0) {
        init_status = CPU_cudaErrorMemoryAllocation;
        snprintf(init_message, sizeof init_message, "cpu backend: out of host memory");
        return;
    }
    CUSHIM_DEBUG(CPU, "device memory range 0x%" PRIx64 "..0x%" PRIx64 ", limit %" PRIu64
                 " bytes", range_start, range_start + range_len, bytes_limit);
}

int cpu_mem_init(char *err, size_t errlen)
{
    pthread_once(&init_once, reserve_range);
    if (init_status && err && errlen)
        snprintf(err, errlen, "%s", init_message);
    return init_status;
}

int cpu_mem_alloc(size_t bytes, uint64_t *out, char *err, size_t errlen)
{
    int rc = cpu_mem_init(err, errlen);
    if (rc)
        return rc;
    uint64_t committed = bytes == 0 ? page_bytes : ((uint64_t)bytes + page_bytes - 1) / page_bytes * page_bytes;
    if (bytes == 0 || committed < bytes || committed > bytes_limit) {
        if (bytes == 0) {
            snprintf(err, errlen, "cpu backend: allocation of 0 bytes");
            return CPU_cudaErrorInvalidValue;
        }
        snprintf(err, errlen,
                 "cannot allocate %zu bytes of device memory: larger than the device "
                 "(%" PRIu64 " bytes)", bytes, bytes_limit);
        return CPU_cudaErrorMemoryAllocation;
    }
    pthread_rwlock_wrlock(&table_lock);
    uint64_t addr = 0;
    if (bytes_in_use + committed > bytes_limit ||
        !cpu_arena_alloc(&range_arena, committed + GUARD_BYTES, bytes, &addr)) {
        uint64_t used = bytes_in_use;
        pthread_rwlock_unlock(&table_lock);
        snprintf(err, errlen,
                 "cannot allocate %zu bytes of device memory: %" PRIu64 " of %" PRIu64
                 " bytes in use", bytes, used, bytes_limit);
        return CPU_cudaErrorMemoryAllocation;
    }
    /* Replacing the reserved pages with ordinary ones makes the kernel account for them
     * (so strict overcommit refuses here rather than killing the process later). */
    void *p = mmap((void *)(uintptr_t)addr, committed, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) {
        int saved = errno;
        cpu_arena_free(&range_arena, addr, NULL);
        pthread_rwlock_unlock(&table_lock);
        snprintf(err, errlen, "cannot allocate %zu bytes of device memory: %s", bytes,
                 strerror(saved));
        return CPU_cudaErrorMemoryAllocation;
    }
    bytes_in_use += committed;
    pthread_rwlock_unlock(&table_lock);
    *out = addr;
    return 0;
}

int cpu_mem_free(uint64_t addr)
{
    if (cpu_mem_init(NULL, 0))
        return CPU_cudaErrorInvalidValue;
    pthread_rwlock_wrlock(&table_lock);
    cpu_extent gone;
    if (!cpu_arena_free(&range_arena, addr, &gone)) {
        pthread_rwlock_unlock(&table_lock);
        return CPU_cudaErrorInvalidValue;
    }
    uint64_t committed = gone.len - GUARD_BYTES;
    /* Back to reserved: the pages go back to the system and later accesses fault. */
    if (mmap((void *)(uintptr_t)addr, committed, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED) {
        /* Still unreachable for kernels' bookkeeping; protect it at least. */
        mprotect((void *)(uintptr_t)addr, committed, PROT_NONE);
        CUSHIM_WARN(CPU, "device free at 0x%" PRIx64 ": cannot release pages: %s", addr,
                    strerror(errno));
    }
    bytes_in_use -= committed;
    pthread_rwlock_unlock(&table_lock);
    return 0;
}

bool cpu_mem_find(uint64_t addr, uint64_t *base, size_t *size)
{
    if (cpu_mem_init(NULL, 0))
        return false;
    bool found = false;
    pthread_rwlock_rdlock(&table_lock);
    const cpu_extent *e = cpu_arena_lookup(&range_arena, addr);
    if (e && addr - e->start < e->size) {
        if (base)
            *base = e->start;
        if (size)
            *size = (size_t)e->size;
        found = true;
    }
    pthread_rwlock_unlock(&table_lock);
    return found;
}

bool cpu_mem_range_ok(uint64_t addr, size_t n)
{
    uint64_t base;
    size_t size;
    if (!cpu_mem_find(addr, &base, &size))
        return false;
    return n <= size - (addr - base);
}

bool cpu_mem_in_range(uint64_t addr)
{
    if (cpu_mem_init(NULL, 0))
        return false;
    return addr - range_start < range_len;
}

uint64_t cpu_mem_total(void)
{
    cpu_mem_init(NULL, 0);
    return bytes_limit;
}

uint64_t cpu_mem_used(void)
{
    pthread_rwlock_rdlock(&table_lock);
    uint64_t used = bytes_in_use;
    pthread_rwlock_unlock(&table_lock);
    return used;
}

size_t cpu_mem_guard_bytes(void)
{
    return GUARD_BYTES;
}

void cpu_mem_describe(uint64_t addr, char *buf, size_t len)
{
    if (!cpu_mem_in_range(addr)) {
        snprintf(buf, len, "outside device memory");
        return;
    }
    pthread_rwlock_rdlock(&table_lock);
    const cpu_extent *e = cpu_arena_lookup(&range_arena, addr);
    if (e && addr - e->start < e->size)
        snprintf(buf, len, "inside allocation 0x%" PRIx64 " (%" PRIu64 " bytes)", e->start,
                 e->size);
    else if (e)
        snprintf(buf, len, "%" PRIu64 " bytes past the end of allocation 0x%" PRIx64
                 " (%" PRIu64 " bytes)", addr - e->start - e->size, e->start, e->size);
    else
        snprintf(buf, len, "in freed or never allocated device memory");
    pthread_rwlock_unlock(&table_lock);
}
