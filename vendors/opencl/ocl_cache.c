/* ocl_cache.c: the opencl backend's cache of built program binaries, in the CPU
 * backend's private cache directory (CUSHIM_CACHE_DIR, else $XDG_CACHE_HOME/cushim, else
 * ~/.cache/cushim), one file "ocl-<key>.bin" per kernel and device. The key hashes the
 * generated source, the build options and the device and driver identity; each file
 * carries the SHA-256 of its payload, checked before the binary is handed to OpenCL. */
#include "config.h"

#include "vendors/opencl/ocl_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim/log.h"
#include "vendors/cpu/sha256.h"

static const char magic[] = "cushim-opencl-binary 1\n";

static bool make_private_dir(const char *dir)
{
    char path[OCL_CACHE_PATH_MAX];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

bool ocl_cache_dir(char *dir, size_t len)
{
    const char *configured = cushim_getenv("CUSHIM_CACHE_DIR");
    const char *xdg = cushim_getenv("XDG_CACHE_HOME");
    const char *home = cushim_getenv("HOME");
    int w;
    if (configured && *configured)
        w = snprintf(dir, len, "%s", configured);
    else if (xdg && *xdg == '/')
        w = snprintf(dir, len, "%s/cushim", xdg);
    else if (home && *home == '/')
        w = snprintf(dir, len, "%s/.cache/cushim", home);
    else
        return false;
    if (w <= 0 || (size_t)w >= len || !make_private_dir(dir))
        return false;
    /* Only a directory private to this user: another user could plant binaries. */
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & (S_IWGRP | S_IWOTH))) {
        cushim_log_once("ocl-cache-insecure", "kernel cache directory %s is missing or not "
                        "private: OpenCL programs are not cached", dir);
        return false;
    }
    return true;
}

void ocl_cache_key(const char *const *parts, size_t nparts, char key[OCL_CACHE_KEY_LEN])
{
    cpu_sha256_ctx h;
    cpu_sha256_init(&h);
    for (size_t i = 0; i < nparts; i++) {
        const char *p = parts[i] ? parts[i] : "";
        cpu_sha256_update(&h, p, strlen(p) + 1); /* the NUL separates the parts */
    }
    uint8_t digest[CPU_SHA256_BYTES];
    cpu_sha256_final(&h, digest);
    for (int i = 0; i < CPU_SHA256_BYTES; i++)
        snprintf(key + 2 * i, 3, "%02x", digest[i]);
}

static void entry_path(const char *dir, const char *key, char *path, size_t len)
{
    snprintf(path, len, "%s/ocl-%s.bin", dir, key);
}

unsigned char *ocl_cache_read(const char *dir, const char *key, size_t *len)
{
    char path[OCL_CACHE_PATH_MAX + 80];
    entry_path(dir, key, path, sizeof path);
    FILE *f = fopen(path, "rbe");
    if (!f)
        return NULL;
    unsigned char *data = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    size_t head = sizeof magic - 1 + CPU_SHA256_BYTES;
    if (size > (long)head && size < (1L << 30) && fseek(f, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)size)) && fread(data, 1, (size_t)size, f) == (size_t)size &&
        memcmp(data, magic, sizeof magic - 1) == 0) {
        uint8_t digest[CPU_SHA256_BYTES];
        cpu_sha256(data + head, (size_t)size - head, digest);
        if (memcmp(digest, data + sizeof magic - 1, CPU_SHA256_BYTES) == 0) {
            fclose(f);
            *len = (size_t)size - head;
            memmove(data, data + head, *len);
            return data;
        }
    }
    fclose(f);
    free(data);
    CUSHIM_DEBUG(OPENCL, "cache entry %s is damaged: rebuilding it", path);
    return NULL;
}

void ocl_cache_write(const char *dir, const char *key, const unsigned char *data, size_t len)
{
    char path[OCL_CACHE_PATH_MAX + 80], tmp[OCL_CACHE_PATH_MAX + 100];
    entry_path(dir, key, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return;
    }
    uint8_t digest[CPU_SHA256_BYTES];
    cpu_sha256(data, len, digest);
    bool ok = fwrite(magic, 1, sizeof magic - 1, f) == sizeof magic - 1 &&
              fwrite(digest, 1, sizeof digest, f) == sizeof digest &&
              fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    /* rename is atomic: a reader sees the old entry, none, or the whole new one. */
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}
