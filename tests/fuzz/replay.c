/* replay.c: runs a fuzz target's entry function over files without libFuzzer, so
 * `make check` (built with the ordinary compiler, and under the sanitizers in CI)
 * replays the seed corpus and every input that once crashed a parser.
 * Usage: replay-TARGET FILE_OR_DIR...  Exit status 0 when every input returns.
 * Linked with --wrap for malloc, calloc and realloc: one allocation above
 * REPLAY_MALLOC_LIMIT aborts, as libFuzzer's -malloc_limit_mb does, so an input that
 * once made a parser trust a lying size keeps failing if that comes back. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MALLOC_LIMIT ((size_t)256 << 20)

void *__real_malloc(size_t n);
void *__real_calloc(size_t count, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t count, size_t n);
void *__wrap_realloc(void *p, size_t n);

static void too_large(const char *fn, size_t n)
{
    fprintf(stderr, "replay: %s(%zu) exceeds the %zu-byte limit for one allocation\n", fn, n,
            REPLAY_MALLOC_LIMIT);
    abort();
}

void *__wrap_malloc(size_t n)
{
    if (n > REPLAY_MALLOC_LIMIT)
        too_large("malloc", n);
    return __real_malloc(n);
}

void *__wrap_calloc(size_t count, size_t n)
{
    if (n && count > REPLAY_MALLOC_LIMIT / n)
        too_large("calloc", count * n);
    return __real_calloc(count, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    if (n > REPLAY_MALLOC_LIMIT)
        too_large("realloc", n);
    return __real_realloc(p, n);
}

static unsigned long replayed;

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return 1;
    }
    /* An exact-size copy, so sanitizers catch a read one byte past the input. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return 1;
    }
    memcpy(exact, buf, len);
    free(buf);
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    replayed++;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s does not exist\n", path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    DIR *d = opendir(path);
    if (!d)
        return 1;
    char **names = NULL;
    size_t count = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char **more = realloc(names, (count + 1) * sizeof *names);
        if (!more) {
            rc = 1;
            break;
        }
        names = more;
        size_t need = strlen(path) + strlen(de->d_name) + 2;
        names[count] = malloc(need);
        if (!names[count]) {
            rc = 1;
            break;
        }
        snprintf(names[count++], need, "%s/%s", path, de->d_name);
    }
    closedir(d);
    /* A stable order makes a failing input easy to spot in the log. */
    if (names)
        qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; i < count; i++) {
        rc |= replay_path(names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        rc |= replay_path(argv[i]);
    printf("replayed %lu inputs\n", replayed);
    return rc;
}
