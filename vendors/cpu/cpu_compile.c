/* cpu_compile.c: turns generated C into a loaded shared object: runs the system C
 * compiler (no shell, with a timeout) and keeps the results in a private on-disk cache
 * keyed by SHA-256 of everything that determines the output. */
#include "config.h"

#include "vendors/cpu/cpu.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include "shim/log.h"
#include "translate/gen_c.h"
#include "vendors/cpu/sha256.h"

/* Loaded kernel code. A struct rather than the bare handle so that code loaded by other
 * means (an in-memory compiler) can join later without changing the callers. */
struct cpu_object {
    void *dl;
};

extern char **environ;

#define COMPILE_TIMEOUT_MS (120 * 1000)
#define VERSION_TIMEOUT_MS (20 * 1000)
#define CAPTURE_LIMIT (64u * 1024u)
#define MAX_OBJECT_BYTES (1024u * 1024u * 1024u)
#define ENTRY_MAGIC "CUSHIM-KCACHE 1\n"

/* Flags are part of the cache key (compile_flags() builds the list): an instruction-set
 * flag chosen from this CPU therefore keeps entries apart between machines. */
#define MAX_FLAGS 8
/* Above this much C, -O1: gcc's -O2 time grows faster than linearly with function size,
 * and for code this large (library kernels of thousands of PTX lines) -O1 takes about
 * 60% of the -O2 time while running nearly as fast. */
#define LARGE_SOURCE_BYTES (2u * 1024u * 1024u)

/* The compiler flags for a source of len bytes; returns how many. FMA and AVX2 when the
 * CPU has them: PTX fma.rn becomes one instruction instead of a libm call (fmaf), and
 * thread loops vectorise 8 floats wide. Not for tcc, which takes no such options. */
static size_t compile_flags(size_t len, bool tcc, const char *flags[MAX_FLAGS])
{
    size_t n = 0;
    flags[n++] = len > LARGE_SOURCE_BYTES ? "-O1" : "-O2";
    flags[n++] = "-shared";
    flags[n++] = "-fPIC";
    flags[n++] = "-fno-strict-aliasing";
#if defined(__x86_64__) && defined(__GNUC__)
    if (!tcc && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        flags[n++] = "-mavx2";
        flags[n++] = "-mfma";
    }
#endif
    return n;
}

static atomic_ulong compiler_runs;

unsigned long cpu_compile_count(void)
{
    return atomic_load(&compiler_runs);
}

static const char *compiler_name(void)
{
    const char *configured = cushim_getenv("CUSHIM_CC");
    return configured && *configured ? configured : CUSHIM_KERNEL_CC;
}

static bool find_program(const char *name, char *path, size_t len);

/* The kernel compiler of last resort: cushim-kcc (vendors/cpu/kcc.c, libtcc inside),
 * installed next to this library (and built next to it in the build tree). */
static bool embedded_compiler(char *path, size_t len)
{
    Dl_info info;
    if (!dladdr((void *)&cpu_compile_count, &info) || !info.dli_fname)
        return false;
    const char *slash = strrchr(info.dli_fname, '/');
    if (!slash)
        return false;
    int w = snprintf(path, len, "%.*s/cushim-kcc", (int)(slash - info.dli_fname), info.dli_fname);
    return w > 0 && (size_t)w < len && access(path, X_OK) == 0;
}

/* The compiler to run: the configured one, else cushim-kcc. *embedded tells which. */
static bool resolve_compiler(char *path, size_t len, bool *embedded)
{
    *embedded = false;
    if (find_program(compiler_name(), path, len))
        return true;
    *embedded = embedded_compiler(path, len);
    return *embedded;
}

bool cpu_compiler_is_tcc(void)
{
    char path[PATH_MAX];
    bool embedded;
    const char *name = compiler_name();
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    return strncmp(base, "tcc", 3) == 0 || (resolve_compiler(path, sizeof path, &embedded) && embedded);
}

/* ---- running a program --------------------------------------------------------------- */

typedef struct run_result {
    bool started, timed_out, status_known;
    int status;        /* waitpid status */
    char *output;      /* stdout + stderr, at most CAPTURE_LIMIT bytes, NUL-terminated */
    size_t output_len;
} run_result;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run argv (argv[0] a path) with stdin from /dev/null and stdout+stderr captured. */
static void run_program(char *const argv[], int timeout_ms, run_result *r)
{
    memset(r, 0, sizeof *r);
    r->output = calloc(1, CAPTURE_LIMIT + 1);
    if (!r->output)
        return;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    /* Its own process group, so a timeout kills the compiler driver AND the passes it
     * started (cc1, as, ld), not just the driver. */
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        snprintf(r->output, CAPTURE_LIMIT, "cannot run %s: %s", argv[0], strerror(rc));
        r->output_len = strlen(r->output);
        return;
    }
    r->started = true;
    long long deadline = now_ms() + timeout_ms;
    bool open_pipe = true;
    while (open_pipe) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            r->timed_out = true;
            break;
        }
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        char chunk[4096];
        ssize_t got = read(fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            open_pipe = false;
            break;
        }
        size_t keep = (size_t)got;
        if (keep > CAPTURE_LIMIT - r->output_len)
            keep = CAPTURE_LIMIT - r->output_len;
        memcpy(r->output + r->output_len, chunk, keep);
        r->output_len += keep;
    }
    close(fds[0]);
    /* Output closed: the process is ending; still bounded by the deadline. */
    for (;;) {
        if (r->timed_out) {
            kill(-pid, SIGKILL);
            waitpid(pid, NULL, 0);
            break;
        }
        pid_t done = waitpid(pid, &r->status, WNOHANG);
        if (done == pid) {
            r->status_known = true;
            break;
        }
        if (done < 0 && errno != EINTR)
            break; /* ECHILD: the program ignores SIGCHLD, so the status is gone */
        if (now_ms() >= deadline) {
            r->timed_out = true;
            continue;
        }
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    r->output[r->output_len] = '\0';
}

/* "line1; line2; line3" from the first lines of captured output. */
static void first_lines(const char *text, unsigned max_lines, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned n = 0; n < max_lines && *text && used + 1 < len; n++) {
        const char *end = strchr(text, '\n');
        size_t line_len = end ? (size_t)(end - text) : strlen(text);
        int w = snprintf(buf + used, len - used, "%s%.*s", n ? "; " : "", (int)line_len, text);
        if (w < 0)
            break;
        used += (size_t)w;
        if (used >= len)
            break;
        text = end ? end + 1 : text + line_len;
    }
}

/* ---- the compiler ------------------------------------------------------------------ */

typedef struct compiler_id {
    char path[PATH_MAX];
    char identity[512]; /* version line, file size and mtime */
    UT_hash_handle hh;
} compiler_id;

static pthread_mutex_t compiler_lock = PTHREAD_MUTEX_INITIALIZER;
static compiler_id *known_compilers;

static bool find_program(const char *name, char *path, size_t len)
{
    if (strchr(name, '/')) {
        snprintf(path, len, "%s", name);
        return access(path, X_OK) == 0;
    }
    const char *search = getenv("PATH");
    if (!search || !*search)
        search = "/usr/local/bin:/usr/bin:/bin";
    while (*search) {
        const char *colon = strchr(search, ':');
        size_t dir_len = colon ? (size_t)(colon - search) : strlen(search);
        int w = snprintf(path, len, "%.*s/%s", (int)dir_len, dir_len ? search : ".", name);
        struct stat st;
        if (w > 0 && (size_t)w < len && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            access(path, X_OK) == 0)
            return true;
        search += dir_len + (colon ? 1 : 0);
    }
    return false;
}

#define COMPILER_NOTE_MAGIC "cushim compiler 1\n"

static bool write_all_fd(int fd, const void *data, size_t len);

/* The version line noted in the cache directory for this compiler file, when the file
 * is still the one noted (same size, mtime, ctime and inode): spawning `cc --version`
 * costs several milliseconds on every start, more than loading cached kernels. */
static bool noted_version(const char *note, const char *file_id, char *version, size_t len)
{
    int fd = open(note, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    char text[1024];
    ssize_t n = read(fd, text, sizeof text - 1);
    struct stat st;
    bool mine = fstat(fd, &st) == 0 && st.st_uid == geteuid() && S_ISREG(st.st_mode);
    close(fd);
    if (!mine || n <= 0)
        return false;
    text[n] = '\0';
    size_t magic_len = strlen(COMPILER_NOTE_MAGIC), id_len = strlen(file_id);
    const char *line = text + magic_len;
    if ((size_t)n < magic_len + id_len + 2 || memcmp(text, COMPILER_NOTE_MAGIC, magic_len) != 0 ||
        memcmp(line, file_id, id_len) != 0 || line[id_len] != '\n')
        return false;
    line += id_len + 1;
    size_t vlen = strcspn(line, "\n");
    if (!line[vlen] || vlen + 1 > len)
        return false; /* a note without its final newline is incomplete */
    memcpy(version, line, vlen);
    version[vlen] = '\0';
    return true;
}

static void note_version(const char *dir, const char *note, const char *file_id,
                         const char *version)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", dir) >= (int)sizeof tmp)
        return;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return;
    char text[1024];
    int n = snprintf(text, sizeof text, "%s%s\n%s\n", COMPILER_NOTE_MAGIC, file_id, version);
    bool ok = n > 0 && (size_t)n < sizeof text && write_all_fd(fd, text, (size_t)n);
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, note) != 0)
        unlink(tmp);
}

/* What identifies the compiler's output: its version text and the file itself (an
 * upgrade in place changes size or mtime even if the version line does not). With a
 * cache directory, the version line is remembered there for the unchanged file. */
static const char *compiler_identity(const char *path, const char *cache_dir)
{
    pthread_mutex_lock(&compiler_lock);
    compiler_id *c;
    HASH_FIND_STR(known_compilers, path, c);
    if (!c && (c = calloc(1, sizeof *c)) != NULL) {
        snprintf(c->path, sizeof c->path, "%s", path);
        struct stat st;
        if (stat(path, &st) != 0)
            memset(&st, 0, sizeof st);
        char file_id[160];
        snprintf(file_id, sizeof file_id, "%lld|%lld.%09ld|%lld.%09ld|%llu",
                 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec,
                 (unsigned long long)st.st_ino);
        char note[PATH_MAX] = "";
        if (cache_dir) {
            uint8_t digest[CPU_SHA256_BYTES];
            char hex[CPU_SHA256_HEX];
            cpu_sha256(path, strlen(path), digest);
            cpu_sha256_hex(digest, hex);
            if (snprintf(note, sizeof note, "%s/compiler-%s.id", cache_dir, hex) >= (int)sizeof note)
                note[0] = '\0';
        }
        char version[256] = "unknown version";
        if (!note[0] || !noted_version(note, file_id, version, sizeof version)) {
            char *argv[] = {c->path, (char *)"--version", NULL};
            run_result r;
            run_program(argv, VERSION_TIMEOUT_MS, &r);
            bool known = r.started && r.status_known && WIFEXITED(r.status) &&
                         WEXITSTATUS(r.status) == 0;
            if (known)
                first_lines(r.output, 1, version, sizeof version);
            free(r.output);
            if (known && note[0])
                note_version(cache_dir, note, file_id, version);
        }
        snprintf(c->identity, sizeof c->identity, "%s|%lld|%lld.%09ld", version,
                 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        HASH_ADD_STR(known_compilers, path, c);
    }
    pthread_mutex_unlock(&compiler_lock);
    return c ? c->identity : "unknown";
}

/* ---- the cache directory ---------------------------------------------------------- */

static bool make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return false;
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

/* The directory to cache in, or false (with a warning naming why) when there is none
 * that is private to this user. */
static bool cache_directory(char *dir, size_t len)
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
    if (w <= 0 || (size_t)w >= len)
        return false;
    if (!make_dirs(dir)) {
        cushim_log_once("cpu-cache-create", "cannot create kernel cache directory %s: %s; "
                        "kernels will not be cached", dir, strerror(errno));
        return false;
    }
    struct stat st;
    const char *problem = NULL;
    if (stat(dir, &st) != 0)
        problem = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        problem = "not a directory";
    else if (st.st_uid != geteuid())
        problem = "owned by another user";
    else if (st.st_mode & (S_IWGRP | S_IWOTH))
        problem = "writable by group or others";
    if (problem) {
        cushim_log_once("cpu-cache-insecure",
                        "kernel cache directory %s is not private (%s): not using it; "
                        "kernels are compiled in a private temporary directory and not "
                        "cached", dir, problem);
        return false;
    }
    return true;
}

/* ---- cache entries ------------------------------------------------------------------ */

static bool read_file(int fd, unsigned char **data, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (uint64_t)st.st_size > MAX_OBJECT_BYTES + 4096)
        return false;
    size_t size = (size_t)st.st_size;
    unsigned char *buf = malloc(size);
    if (!buf)
        return false;
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got != size) {
        free(buf);
        return false;
    }
    *data = buf;
    *len = size;
    return true;
}

/* The object stored in an entry, after checking the entry's key and the object's
 * digest. NULL (with *why) when the entry is absent or does not verify. */
static unsigned char *read_entry(const char *path, const char *key_hex, size_t *object_len,
                                 const char **why)
{
    *why = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        *why = errno == ENOENT ? NULL : "cannot be opened";
        return NULL;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && st.st_uid == geteuid() && read_file(fd, &data, &len);
    close(fd);
    if (!ok) {
        *why = "unreadable, or not a regular file of this user";
        return NULL;
    }
    char expected_key[128], digest_hex[CPU_SHA256_HEX];
    unsigned long long size = 0;
    size_t magic_len = strlen(ENTRY_MAGIC);
    /* The header is text ending in an empty line, at most a few hundred bytes. */
    const unsigned char *end = NULL;
    if (len > magic_len && memcmp(data, ENTRY_MAGIC, magic_len) == 0)
        end = memmem(data + magic_len, (len - magic_len) < 256 ? len - magic_len : 256,
                     "\n\n", 2);
    size_t header_len = end ? (size_t)(end + 2 - (data + magic_len)) : 0;
    char header[260];
    if (end) {
        memcpy(header, data + magic_len, header_len);
        header[header_len] = '\0';
    }
    if (!end || sscanf(header, "key %127s sha256 %64s size %llu", expected_key, digest_hex,
                       &size) != 3) {
        *why = "malformed header";
    } else if (strcmp(expected_key, key_hex) != 0) {
        *why = "stored key differs";
    } else if (size != len - magic_len - header_len) {
        *why = "truncated";
    } else {
        const unsigned char *object = data + magic_len + header_len;
        uint8_t digest[CPU_SHA256_BYTES];
        char actual_hex[CPU_SHA256_HEX];
        cpu_sha256(object, (size_t)size, digest);
        cpu_sha256_hex(digest, actual_hex);
        if (strcmp(actual_hex, digest_hex) != 0) {
            *why = "object digest mismatch (corrupted)";
        } else {
            memmove(data, object, (size_t)size);
            *object_len = (size_t)size;
            return data;
        }
    }
    free(data);
    return NULL;
}

static bool write_all_fd(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Write to a temporary name and rename, so readers see a whole entry or none. */
static void write_entry(const char *dir, const char *path, const char *key_hex,
                        const unsigned char *object, size_t len)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", dir) >= (int)sizeof tmp)
        return;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return;
    uint8_t digest[CPU_SHA256_BYTES];
    char digest_hex[CPU_SHA256_HEX];
    cpu_sha256(object, len, digest);
    cpu_sha256_hex(digest, digest_hex);
    char header[256];
    int header_len = snprintf(header, sizeof header, "%skey %s\nsha256 %s\nsize %zu\n\n",
                              ENTRY_MAGIC, key_hex, digest_hex, len);
    bool ok = header_len > 0 && (size_t)header_len < sizeof header &&
              write_all_fd(fd, header, (size_t)header_len) && write_all_fd(fd, object, len);
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        CUSHIM_DEBUG(CPU, "cannot write cache entry %s: %s", path, strerror(errno));
        unlink(tmp);
    }
}

/* ---- loading ------------------------------------------------------------------------- */

/* Load an object from memory: through a memfd, so the bytes that were verified are the
 * bytes loaded, and each load is a distinct instance with its own variables. */
static void *load_object(const unsigned char *object, size_t len, const char *scratch_dir,
                         char *err, size_t errlen)
{
    char path[PATH_MAX];
    int fd = memfd_create("cushim-kernels", MFD_CLOEXEC);
    bool is_memfd = fd >= 0;
    if (is_memfd) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    } else {
        snprintf(path, sizeof path, "%s/loaded.so", scratch_dir);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    }
    if (fd < 0 || !write_all_fd(fd, object, len)) {
        snprintf(err, errlen, "cannot stage the compiled kernels for loading: %s",
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!is_memfd)
        close(fd);
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        snprintf(err, errlen, "cannot load the compiled kernels: %s", dlerror());
    /* The dynamic loader recognises an object already loaded by its path name, and
     * "/proc/self/fd/N" names a different object once N is reused: so the descriptor of
     * a loaded object stays open (one per loaded object) and its number is never
     * reused while the object is loaded. */
    if (is_memfd && !handle)
        close(fd);
    else if (!is_memfd)
        unlink(path);
    return handle;
}

static void remove_scratch(const char *dir)
{
    static const char *const names[] = {"kernels.c", "kernels.so", "loaded.so"};
    char path[PATH_MAX + 32];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static bool make_scratch(char *dir, size_t len)
{
    const char *tmp = cushim_getenv("TMPDIR");
    if (!tmp || *tmp != '/')
        tmp = "/tmp";
    /* Leaves room for the file names put in it. */
    if (snprintf(dir, len, "%s/cushim-XXXXXX", tmp) >= (int)len - 32)
        return false;
    return mkdtemp(dir) != NULL; /* mkdtemp creates it 0700 */
}

static void compute_key(const char *src, size_t len, const char *compiler, const char *identity,
                        const char *const *flags, size_t nflags, char key_hex[CPU_SHA256_HEX])
{
    cpu_sha256_ctx h;
    cpu_sha256_init(&h);
    char meta[PATH_MAX + 700];
    int n = snprintf(meta, sizeof meta,
                     "cushim kernel cache\ncgen %d\nkabi %d\ncompiler %s\nidentity %s\nflags",
                     CGEN_VERSION, CUSHIM_KABI_VERSION, compiler, identity);
    cpu_sha256_update(&h, meta, n > 0 ? ((size_t)n < sizeof meta ? (size_t)n : sizeof meta - 1) : 0);
    for (size_t i = 0; i < nflags; i++) {
        cpu_sha256_update(&h, " ", 1);
        cpu_sha256_update(&h, flags[i], strlen(flags[i]));
    }
    /* Length first: source and metadata cannot be shifted into each other. */
    char length_text[32];
    n = snprintf(length_text, sizeof length_text, "\nsource %zu\n", len);
    cpu_sha256_update(&h, length_text, (size_t)n);
    cpu_sha256_update(&h, src, len);
    uint8_t digest[CPU_SHA256_BYTES];
    cpu_sha256_final(&h, digest);
    cpu_sha256_hex(digest, key_hex);
}

static int compile_to(const char *compiler, const char *const *flags, size_t nflags,
                      const char *scratch, const char *src, size_t len, const char *label,
                      char *err, size_t errlen)
{
    char c_path[PATH_MAX], so_path[PATH_MAX];
    snprintf(c_path, sizeof c_path, "%s/kernels.c", scratch);
    snprintf(so_path, sizeof so_path, "%s/kernels.so", scratch);
    int fd = open(c_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || !write_all_fd(fd, src, len)) {
        snprintf(err, errlen, "cannot write generated C for %s: %s", label, strerror(errno));
        if (fd >= 0)
            close(fd);
        return CPU_cudaErrorInvalidPtx;
    }
    close(fd);
    char *argv[MAX_FLAGS + 7];
    size_t argc = 0;
    argv[argc++] = (char *)compiler;
    for (size_t i = 0; i < nflags; i++)
        argv[argc++] = (char *)flags[i];
    argv[argc++] = (char *)"-o";
    argv[argc++] = so_path;
    argv[argc++] = c_path;
    argv[argc++] = (char *)"-lm";
    argv[argc] = NULL;
    atomic_fetch_add(&compiler_runs, 1);
    CUSHIM_DEBUG(CPU, "compiling %s: %s ... %s", label, compiler, c_path);
    run_result r;
    run_program(argv, COMPILE_TIMEOUT_MS, &r);
    int rc = 0;
    if (!r.output) {
        snprintf(err, errlen, "compiling %s: out of memory", label);
        rc = CPU_cudaErrorMemoryAllocation;
    } else if (!r.started) {
        snprintf(err, errlen, "compiling %s: %s", label, r.output);
        rc = CPU_cudaErrorJitCompilerNotFound;
    } else if (r.timed_out) {
        snprintf(err, errlen, "compiling %s with %s: no result after %d s (killed)", label,
                 compiler, COMPILE_TIMEOUT_MS / 1000);
        rc = CPU_cudaErrorInvalidPtx;
    } else if (r.status_known && !(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0)) {
        char lines[600];
        first_lines(r.output, 4, lines, sizeof lines);
        if (WIFEXITED(r.status))
            snprintf(err, errlen, "compiling %s with %s failed (exit status %d): %s", label,
                     compiler, WEXITSTATUS(r.status), lines);
        else
            snprintf(err, errlen, "compiling %s with %s failed (signal %d): %s", label,
                     compiler, WTERMSIG(r.status), lines);
        CUSHIM_DEBUG(CPU, "compiler output for %s:\n%s", label, r.output);
        rc = CPU_cudaErrorInvalidPtx;
    } else if (access(so_path, R_OK) != 0) {
        snprintf(err, errlen, "compiling %s with %s produced no output", label, compiler);
        rc = CPU_cudaErrorInvalidPtx;
    }
    free(r.output);
    return rc;
}

void *cpu_object_symbol(cpu_object *obj, const char *name)
{
    return obj && obj->dl ? dlsym(obj->dl, name) : NULL;
}

void cpu_object_close(cpu_object *obj)
{
    if (!obj)
        return;
    if (obj->dl)
        dlclose(obj->dl);
    free(obj);
}


static int wrap_shared_object(void *dl, cpu_object **out, const char *label, char *err,
                              size_t errlen)
{
    cpu_object *obj = calloc(1, sizeof *obj);
    if (!obj) {
        dlclose(dl);
        snprintf(err, errlen, "loading %s: out of memory", label);
        return CPU_cudaErrorMemoryAllocation;
    }
    obj->dl = dl;
    *out = obj;
    return 0;
}

int cpu_compile_load(const char *c_source, size_t len, const char *label, cpu_object **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    void *handle = NULL;
    void **dl_handle = &handle;
    if (!label)
        label = "module";
    const char *configured = cushim_getenv("CUSHIM_CC");
    const char *name = compiler_name();
    char compiler[PATH_MAX];
    bool embedded;
    if (!resolve_compiler(compiler, sizeof compiler, &embedded)) {
        snprintf(err, errlen,
                 "cannot run kernels of %s on the cpu backend: no C compiler '%s' found "
                 "(%s); install one (e.g. gcc) or set CUSHIM_CC", label, name,
                 configured && *configured ? "from CUSHIM_CC" : "the configured default");
        return CPU_cudaErrorJitCompilerNotFound;
    }
    if (embedded)
        cushim_log_once("cpu-embedded-cc", "no C compiler '%s' found (%s): kernels are "
                        "compiled by the embedded tcc (%s), whose code runs slower; install "
                        "gcc or set CUSHIM_CC for full speed", name,
                        configured && *configured ? "from CUSHIM_CC" : "the configured default",
                        compiler);
    const char *flags[MAX_FLAGS];
    size_t nflags = compile_flags(len, embedded || cpu_compiler_is_tcc(), flags);
    char key_hex[CPU_SHA256_HEX];
    char cache_dir[PATH_MAX], entry_path[PATH_MAX];
    bool have_dir = cache_directory(cache_dir, sizeof cache_dir);
    compute_key(c_source, len, compiler, compiler_identity(compiler, have_dir ? cache_dir : NULL),
                flags, nflags, key_hex);
    bool cached = have_dir &&
                  snprintf(entry_path, sizeof entry_path, "%s/%s.kso", cache_dir, key_hex) <
                      (int)sizeof entry_path;
    char scratch[PATH_MAX];
    bool have_scratch = false;
    if (cached) {
        size_t object_len = 0;
        const char *why;
        unsigned char *object = read_entry(entry_path, key_hex, &object_len, &why);
        if (object) {
            if (!make_scratch(scratch, sizeof scratch))
                scratch[0] = '\0';
            else
                have_scratch = true;
            *dl_handle = load_object(object, object_len, scratch, err, errlen);
            free(object);
            if (have_scratch)
                remove_scratch(scratch);
            if (*dl_handle) {
                CUSHIM_DEBUG(CPU, "%s: loaded from cache %s", label, entry_path);
                return wrap_shared_object(handle, out, label, err, errlen);
            }
            CUSHIM_DEBUG(CPU, "%s: cached object does not load (%s): rebuilding", label, err);
        } else if (why) {
            CUSHIM_WARN(CPU, "kernel cache entry %s rejected (%s): rebuilding it", entry_path,
                        why);
        }
    }

    if (!make_scratch(scratch, sizeof scratch)) {
        snprintf(err, errlen, "cannot create a temporary directory to compile %s: %s", label,
                 strerror(errno));
        return CPU_cudaErrorInvalidPtx;
    }
    int rc = compile_to(compiler, flags, nflags, scratch, c_source, len, label, err, errlen);
    if (rc == 0) {
        char so_path[PATH_MAX];
        snprintf(so_path, sizeof so_path, "%s/kernels.so", scratch);
        int fd = open(so_path, O_RDONLY | O_CLOEXEC);
        unsigned char *object = NULL;
        size_t object_len = 0;
        if (fd < 0 || !read_file(fd, &object, &object_len)) {
            snprintf(err, errlen, "compiling %s: cannot read the compiler's output", label);
            rc = CPU_cudaErrorInvalidPtx;
        } else {
            if (cached)
                write_entry(cache_dir, entry_path, key_hex, object, object_len);
            *dl_handle = load_object(object, object_len, scratch, err, errlen);
            if (!*dl_handle)
                rc = CPU_cudaErrorInvalidPtx;
        }
        if (fd >= 0)
            close(fd);
        free(object);
    }
    if (rc != 0 && cushim_log_enabled(CUSHIM_LOG_DEBUG, CUSHIM_LOGC_CPU))
        CUSHIM_DEBUG(CPU, "generated C for %s kept in %s/kernels.c", label, scratch);
    else
        remove_scratch(scratch);
    return rc ? rc : wrap_shared_object(handle, out, label, err, errlen);
}
