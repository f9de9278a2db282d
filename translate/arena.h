/* arena.h: the bump allocator that owns all memory of a parsed PTX module, and a
 * string-keyed hash map over it (symbol tables of the parser and the linker).
 * Freeing the arena releases every allocation made from it at once. */
#ifndef CUSHIM_ARENA_H
#define CUSHIM_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct ptx_arena ptx_arena;

ptx_arena *ptx_arena_new(void);
void ptx_arena_free(ptx_arena *a);
/* Zero-filled, aligned to 16 bytes; NULL when out of memory or n is absurd. */
void *ptx_arena_alloc(ptx_arena *a, size_t n);
/* n elements of size each, checking the multiplication for overflow. */
void *ptx_arena_calloc(ptx_arena *a, size_t n, size_t size);
char *ptx_arena_strndup(ptx_arena *a, const char *s, size_t n);
char *ptx_arena_strdup(ptx_arena *a, const char *s);
/* Bytes currently held, for tests and limits. */
size_t ptx_arena_used(const ptx_arena *a);

/* Open-addressing map from NUL-terminated strings to int64 values. Keys are not
 * copied: they must outlive the map (arena strings do). Storage comes from malloc so
 * that growing does not leave dead tables in the arena. */
typedef struct ptx_strmap {
    const char **keys;
    int64_t *vals;
    size_t cap;   /* power of two, or 0 */
    size_t count;
} ptx_strmap;

void ptx_strmap_init(ptx_strmap *m);
void ptx_strmap_clear(ptx_strmap *m); /* frees the storage */
/* false when out of memory. Replaces the value of an existing key. */
int ptx_strmap_put(ptx_strmap *m, const char *key, int64_t val);
/* 1 and *val when present, else 0. */
int ptx_strmap_get(const ptx_strmap *m, const char *key, int64_t *val);
int ptx_strmap_getn(const ptx_strmap *m, const char *key, size_t keylen, int64_t *val);

#endif
