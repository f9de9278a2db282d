/* ocl_cache.h: the opencl backend's on-disk cache of built program binaries
 * (vendors/opencl/ocl_cache.c). */
#ifndef CUSHIM_OCL_CACHE_H
#define CUSHIM_OCL_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#define OCL_CACHE_PATH_MAX 4096
#define OCL_CACHE_KEY_LEN 65 /* hex SHA-256 + NUL */

/* The private cache directory (created if needed); false when there is none to use. */
bool ocl_cache_dir(char *dir, size_t len);
/* Key over the given strings (source, options, device and driver identity). */
void ocl_cache_key(const char *const *parts, size_t nparts, char key[OCL_CACHE_KEY_LEN]);
/* The cached binary (malloc'ed) when present and intact; NULL otherwise. */
unsigned char *ocl_cache_read(const char *dir, const char *key, size_t *len);
/* Store a binary, atomically; failures only cost the next run a rebuild. */
void ocl_cache_write(const char *dir, const char *key, const unsigned char *data, size_t len);

#endif
