/* arena.c: bump allocator and string map for the PTX IR (see arena.h). */
#include "translate/arena.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN 16
/* One allocation larger than this is refused: nothing in a PTX module needs it and
 * it keeps size arithmetic far from overflow. */
#define ARENA_MAX_ALLOC ((size_t)1 << 36)

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t size, used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
} arena_chunk;

struct ptx_arena {
    arena_chunk *head;
    size_t total;
};

ptx_arena *ptx_arena_new(void)
{
    return calloc(1, sizeof(ptx_arena));
}

void ptx_arena_free(ptx_arena *a)
{
    if (!a)
        return;
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *ptx_arena_alloc(ptx_arena *a, size_t n)
{
    if (!a || n > ARENA_MAX_ALLOC)
        return NULL;
    if (n == 0)
        n = 1;
    size_t rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    arena_chunk *c = a->head;
    if (!c || c->size - c->used < rounded) {
        /* Big requests get their own chunk, placed behind the current one so the
         * current chunk's free space is not wasted. */
        size_t size = rounded > ARENA_CHUNK / 4 ? rounded : ARENA_CHUNK;
        arena_chunk *nc = malloc(sizeof(arena_chunk) + size);
        if (!nc)
            return NULL;
        nc->size = size;
        nc->used = 0;
        if (size != ARENA_CHUNK && c) {
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->head = nc;
        }
        a->total += size;
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    memset(p, 0, n);
    return p;
}

void *ptx_arena_calloc(ptx_arena *a, size_t n, size_t size)
{
    if (size && n > ARENA_MAX_ALLOC / size)
        return NULL;
    return ptx_arena_alloc(a, n * size);
}

char *ptx_arena_strndup(ptx_arena *a, const char *s, size_t n)
{
    char *p = ptx_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *ptx_arena_strdup(ptx_arena *a, const char *s)
{
    return ptx_arena_strndup(a, s, strlen(s));
}

size_t ptx_arena_used(const ptx_arena *a)
{
    return a ? a->total : 0;
}

/* ---- string map --------------------------------------------------------------- */

static uint64_t strmap_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

void ptx_strmap_init(ptx_strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void ptx_strmap_clear(ptx_strmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

static size_t strmap_slot(const ptx_strmap *m, const char *key, size_t n)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)strmap_hash(key, n) & mask;
    while (m->keys[i] && !(strncmp(m->keys[i], key, n) == 0 && m->keys[i][n] == '\0'))
        i = (i + 1) & mask;
    return i;
}

static int strmap_grow(ptx_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    ptx_strmap bigger = { calloc(cap, sizeof(char *)), calloc(cap, sizeof(int64_t)), cap, 0 };
    if (!bigger.keys || !bigger.vals) {
        free(bigger.keys);
        free(bigger.vals);
        return 0;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i]) {
            size_t s = strmap_slot(&bigger, m->keys[i], strlen(m->keys[i]));
            bigger.keys[s] = m->keys[i];
            bigger.vals[s] = m->vals[i];
            bigger.count++;
        }
    }
    free(m->keys);
    free(m->vals);
    *m = bigger;
    return 1;
}

int ptx_strmap_put(ptx_strmap *m, const char *key, int64_t val)
{
    if ((m->count + 1) * 2 > m->cap && !strmap_grow(m))
        return 0;
    size_t s = strmap_slot(m, key, strlen(key));
    if (!m->keys[s]) {
        m->keys[s] = key;
        m->count++;
    }
    m->vals[s] = val;
    return 1;
}

int ptx_strmap_getn(const ptx_strmap *m, const char *key, size_t keylen, int64_t *val)
{
    if (!m->cap)
        return 0;
    size_t s = strmap_slot(m, key, keylen);
    if (!m->keys[s])
        return 0;
    if (val)
        *val = m->vals[s];
    return 1;
}

int ptx_strmap_get(const ptx_strmap *m, const char *key, int64_t *val)
{
    return ptx_strmap_getn(m, key, strlen(key), val);
}
