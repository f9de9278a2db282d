/* report.c: the run report recorder and its JSON writer (schema "cushim-run/1",
 * docs/reports.md). Hooks in the exported API, the core and the stream workers feed
 * counters; the report is written once, at exit or from a fatal-signal handler.
 *
 * The writer may run inside a signal handler while other threads keep going, so
 * everything it reads is either atomic or published before an atomic count, and it
 * formats into a fixed buffer with write(2): no stdio, no malloc, no locks. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim/api_gen.h"
#include "shim/api_table.h"
#include "shim/core.h"
#include "shim/log.h"
#include "shim/report.h"

bool cushim__report_active;

/* Fixed capacities: the writer walks them without locks. What does not fit is counted
 * and reported as dropped, never silently lost. */
#define REPORT_MAX_KERNELS 4096
#define REPORT_KERNEL_SLOTS 8192      /* open-addressing index, power of two */
#define REPORT_MAX_MODULES 1024
#define REPORT_MAX_FEATURES 512
#define REPORT_MAX_DEVICES 64
#define REPORT_WHERE_LEN 192

typedef struct report_kernel {
    const void *key;
    char *name;
    unsigned module;
    int error;
    char *unsupported;        /* the backend's reason, or NULL */
    uint64_t compile_ns;      /* 0: not known */
    int feature;              /* index into features, -1 when none */
    _Atomic uint64_t launches, refused, faults, ns;
    _Atomic(char *) first_fault;
} report_kernel;

typedef struct report_module {
    unsigned id;
    uint64_t ns;
    int error;
} report_module;

typedef enum report_feature_kind {
    FEATURE_API = 0,          /* an unsupported runtime API function was called */
    FEATURE_PTX,              /* a kernel holds an instruction the backend cannot run */
    FEATURE_DEVICE_CODE,      /* a kernel without usable device code (SASS only, bad PTX) */
} report_feature_kind;

static const char *const feature_kind_names[] = {"api", "ptx-instruction", "device-code"};

typedef struct report_feature {
    report_feature_kind kind;
    char *name;
    char *detail;
    char where[REPORT_WHERE_LEN];
    uint64_t first_ns;        /* since the recording started */
    _Atomic uint64_t count;
} report_feature;

static struct {
    char path[PATH_MAX];
    char argv0[512];
    char exe[PATH_MAX];
    char backend_wanted[64];
    pid_t pid;
    uint64_t start_ns;
    _Atomic int written;

    _Atomic uint64_t api_ns[CUSHIM_API_COUNT];
    _Atomic uint64_t api_errors[CUSHIM_API_COUNT];
    _Atomic int api_feature[CUSHIM_API_COUNT];   /* feature index + 1, 0 none */

    pthread_mutex_t lock;     /* serialises additions to the tables below */
    report_kernel *kernels;
    _Atomic uint32_t nkernels;
    _Atomic uint32_t kernel_slots[REPORT_KERNEL_SLOTS];   /* kernel index + 1 */
    report_module modules[REPORT_MAX_MODULES];
    _Atomic uint32_t nmodules;
    report_feature features[REPORT_MAX_FEATURES];
    _Atomic uint32_t nfeatures;
    _Atomic uint64_t dropped_kernels, dropped_modules, dropped_features;

    _Atomic uint64_t dev_now[REPORT_MAX_DEVICES], dev_peak[REPORT_MAX_DEVICES];
    _Atomic uint64_t total_peak;
} R = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGINT, SIGTERM};
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])
static struct sigaction previous_actions[NFATAL];

uint64_t cushim__report_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *error_name(int e)
{
    switch (e) {
#define X(name, value, message) case value: return #name;
#include "shim/cuda_errors.def"
#undef X
    }
    return NULL;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    }
    return "signal";
}

/* ---- recording ---------------------------------------------------------------------- */

/* A "symbol+0xoff (object)" description of a code address. Not for signal context. */
static void describe_address(const void *addr, char *out, size_t len)
{
    Dl_info info;
    if (!addr || !dladdr(addr, &info)) {
        snprintf(out, len, "%p", addr);
        return;
    }
    const char *object = info.dli_fname ? strrchr(info.dli_fname, '/') : NULL;
    object = object ? object + 1 : info.dli_fname ? info.dli_fname : "?";
    if (info.dli_sname && info.dli_saddr)
        snprintf(out, len, "%s+0x%lx (%s)", info.dli_sname,
                 (unsigned long)((const char *)addr - (const char *)info.dli_saddr), object);
    else
        snprintf(out, len, "%s+0x%lx", object,
                 (unsigned long)((const char *)addr - (const char *)info.dli_fbase));
}

/* Add a feature record (under R.lock); returns its index or -1 when the table is full
 * or out of memory (counted as dropped). */
static int feature_add_locked(report_feature_kind kind, const char *name, const char *detail,
                              const char *where)
{
    uint32_t n = atomic_load(&R.nfeatures);
    for (uint32_t i = 0; i < n; i++)
        if (R.features[i].kind == kind && strcmp(R.features[i].name, name) == 0)
            return (int)i;
    char *name_copy = strdup(name), *detail_copy = detail ? strdup(detail) : NULL;
    if (n == REPORT_MAX_FEATURES || !name_copy || (detail && !detail_copy)) {
        free(name_copy);
        free(detail_copy);
        atomic_fetch_add(&R.dropped_features, 1);
        return -1;
    }
    report_feature *f = &R.features[n];
    f->kind = kind;
    f->name = name_copy;
    f->detail = detail_copy;
    snprintf(f->where, sizeof f->where, "%s", where ? where : "");
    f->first_ns = cushim__report_clock() - R.start_ns;
    atomic_store(&f->count, 0);
    atomic_store_explicit(&R.nfeatures, n + 1, memory_order_release);
    return (int)n;
}

void cushim__report_api(unsigned row, uint64_t t0, int error, const void *caller)
{
    if (row >= CUSHIM_API_COUNT)
        return;
    uint64_t t1 = cushim__report_clock();
    atomic_fetch_add_explicit(&R.api_ns[row], t1 - t0, memory_order_relaxed);
    /* cudaErrorNotReady answers a query; it is not a failure (as for cudaGetLastError). */
    if (error != 0 && error != cudaErrorNotReady)
        atomic_fetch_add_explicit(&R.api_errors[row], 1, memory_order_relaxed);
    if (cushim_api_table[row].status[cushim__backend_col()] != CUSHIM_API_UNSUPPORTED)
        return;
    int idx = atomic_load_explicit(&R.api_feature[row], memory_order_acquire) - 1;
    if (idx < 0) {
        const cushim_api_entry *e = &cushim_api_table[row];
        char detail[160], where[REPORT_WHERE_LEN];
        const char *err = error_name(e->unsupported_error);
        if (e->unsupported_error && err)
            snprintf(detail, sizeof detail, "not supported by cushim: returns %s", err);
        else
            snprintf(detail, sizeof detail, "not supported by cushim: does nothing");
        describe_address(caller, where, sizeof where);
        pthread_mutex_lock(&R.lock);
        idx = atomic_load(&R.api_feature[row]) - 1;
        if (idx < 0) {
            idx = feature_add_locked(FEATURE_API, e->name, detail, where);
            if (idx >= 0)
                atomic_store_explicit(&R.api_feature[row], idx + 1, memory_order_release);
        }
        pthread_mutex_unlock(&R.lock);
    }
    if (idx >= 0)
        atomic_fetch_add_explicit(&R.features[idx].count, 1, memory_order_relaxed);
}

void cushim__report_module_loaded(unsigned module, uint64_t t0, int error)
{
    uint64_t ns = cushim__report_clock() - t0;
    pthread_mutex_lock(&R.lock);
    uint32_t n = atomic_load(&R.nmodules);
    if (n == REPORT_MAX_MODULES) {
        atomic_fetch_add(&R.dropped_modules, 1);
    } else {
        R.modules[n] = (report_module){.id = module, .ns = ns, .error = error};
        atomic_store_explicit(&R.nmodules, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&R.lock);
}

static uint32_t key_hash(const void *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key * 0x9e3779b97f4a7c15u;
    return (uint32_t)(h >> 40) & (REPORT_KERNEL_SLOTS - 1);
}

/* The record of a kernel handle, NULL when it was never resolved. Lock-free. */
static report_kernel *kernel_find(const void *key)
{
    if (!R.kernels)
        return NULL;
    for (uint32_t i = 0, s = key_hash(key); i < REPORT_KERNEL_SLOTS;
         i++, s = (s + 1) & (REPORT_KERNEL_SLOTS - 1)) {
        uint32_t v = atomic_load_explicit(&R.kernel_slots[s], memory_order_acquire);
        if (!v)
            return NULL;
        if (R.kernels[v - 1].key == key)
            return &R.kernels[v - 1];
    }
    return NULL;
}

/* The instruction a backend's message quotes (`mma.sync.aligned... {%r1}, ...`) without
 * its operands, so that every use of one instruction form is one feature; else the
 * whole message. */
static void instruction_of(const char *message, char *out, size_t len)
{
    const char *open = strchr(message, '`');
    const char *close = open ? strchr(open + 1, '`') : NULL;
    if (open && close && close > open + 1) {
        size_t n = strcspn(open + 1, " \t`");
        snprintf(out, len, "%.*s", (int)n, open + 1);
    } else {
        snprintf(out, len, "%s", message);
    }
}

void cushim__report_kernel_resolved(const void *key, const char *name, unsigned module,
                                    int error, const char *unsupported, uint64_t translate_ns)
{
    if (!name)
        name = "?";
    pthread_mutex_lock(&R.lock);
    report_kernel *found = kernel_find(key);
    /* Resolved again for another device, or a handle reused after its module went. */
    if (found && strcmp(found->name, name) == 0) {
        pthread_mutex_unlock(&R.lock);
        return;
    }
    uint32_t n = atomic_load(&R.nkernels);
    char *name_copy = strdup(name);
    char *why = unsupported ? strdup(unsupported) : NULL;
    if (!R.kernels || n == REPORT_MAX_KERNELS || !name_copy || (unsupported && !why)) {
        free(name_copy);
        free(why);
        atomic_fetch_add(&R.dropped_kernels, 1);
        pthread_mutex_unlock(&R.lock);
        return;
    }
    report_kernel *k = &R.kernels[n];
    k->key = key;
    k->name = name_copy;
    k->module = module;
    k->error = error;
    k->unsupported = why;
    k->compile_ns = translate_ns;
    k->feature = -1;
    char where[REPORT_WHERE_LEN];
    snprintf(where, sizeof where, "kernel %s", name);
    if (why) {
        char instr[256];
        instruction_of(why, instr, sizeof instr);
        k->feature = feature_add_locked(FEATURE_PTX, instr, why, where);
    } else if (error != 0) {
        const char *en = error_name(error);
        char detail[200];
        snprintf(detail, sizeof detail, "%s: the kernel's device code cannot be loaded",
                 en ? en : "error");
        k->feature = feature_add_locked(FEATURE_DEVICE_CODE, name, detail, where);
    }
    atomic_store_explicit(&R.nkernels, n + 1, memory_order_release);
    uint32_t s = key_hash(key);
    for (uint32_t i = 0; i < REPORT_KERNEL_SLOTS; i++, s = (s + 1) & (REPORT_KERNEL_SLOTS - 1)) {
        uint32_t v = atomic_load(&R.kernel_slots[s]);
        if (!v || R.kernels[v - 1].key == key) {
            atomic_store_explicit(&R.kernel_slots[s], n + 1, memory_order_release);
            break;
        }
    }
    pthread_mutex_unlock(&R.lock);
}

void cushim__report_launch_refused(const void *key)
{
    report_kernel *k = kernel_find(key);
    if (!k)
        return;
    atomic_fetch_add_explicit(&k->refused, 1, memory_order_relaxed);
    if (k->feature >= 0)
        atomic_fetch_add_explicit(&R.features[k->feature].count, 1, memory_order_relaxed);
}

void cushim__report_kernel_ran(const void *key, uint64_t ns, int error, const char *message)
{
    report_kernel *k = kernel_find(key);
    if (!k)
        return;
    atomic_fetch_add_explicit(&k->launches, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&k->ns, ns, memory_order_relaxed);
    if (error == 0)
        return;
    atomic_fetch_add_explicit(&k->faults, 1, memory_order_relaxed);
    if (!atomic_load(&k->first_fault)) {
        const char *en = error_name(error);
        char text[600];
        snprintf(text, sizeof text, "%s%s%s", en ? en : "error", message && *message ? ": " : "",
                 message ? message : "");
        char *copy = strdup(text), *none = NULL;
        if (copy && !atomic_compare_exchange_strong(&k->first_fault, &none, copy))
            free(copy);
    }
}

void cushim__report_device_bytes(int dev, uint64_t bytes)
{
    if (dev < 0 || dev >= REPORT_MAX_DEVICES)
        return;
    atomic_store_explicit(&R.dev_now[dev], bytes, memory_order_relaxed);
    if (bytes > atomic_load_explicit(&R.dev_peak[dev], memory_order_relaxed))
        atomic_store_explicit(&R.dev_peak[dev], bytes, memory_order_relaxed);
    uint64_t total = 0;
    for (int d = 0; d < REPORT_MAX_DEVICES; d++)
        total += atomic_load_explicit(&R.dev_now[d], memory_order_relaxed);
    if (total > atomic_load_explicit(&R.total_peak, memory_order_relaxed))
        atomic_store_explicit(&R.total_peak, total, memory_order_relaxed);
}

/* ---- the JSON writer: fixed buffer, write(2), async-signal-safe ---------------------- */

typedef struct jw {
    int fd;
    bool failed;
    int error;                /* errno of the first failed write */
    size_t len;
    bool need_comma;
    /* Open containers: one line per top-level member and per element of a top-level
     * array, so the file reads (and greps) line by line. */
    char open[16];
    int depth;
    char buf[8192];
} jw;

static void jw_flush(jw *w)
{
    size_t off = 0;
    while (off < w->len && !w->failed) {
        ssize_t n = write(w->fd, w->buf + off, w->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            w->failed = true;
            w->error = n < 0 ? errno : EIO;
            break;
        }
        off += (size_t)n;
    }
    w->len = 0;
}

static void jw_bytes(jw *w, const char *s, size_t n)
{
    while (n) {
        if (w->len == sizeof w->buf)
            jw_flush(w);
        size_t room = sizeof w->buf - w->len, take = n < room ? n : room;
        memcpy(w->buf + w->len, s, take);
        w->len += take;
        s += take;
        n -= take;
    }
}

static void jw_raw(jw *w, const char *s) { jw_bytes(w, s, strlen(s)); }

static void jw_u64_raw(jw *w, uint64_t v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    jw_bytes(w, digits + sizeof digits - n, n);
}

/* Whether members of the open container at `level` (0: the document) go on lines. */
static bool jw_breaks_lines(const jw *w, int level)
{
    return level == 0 || (level == 1 && w->open[1] == '[');
}

/* Before a value or a key: the separating comma when one is due. */
static void jw_sep(jw *w)
{
    if (w->need_comma)
        jw_raw(w, ",");
    if (w->depth > 0 && jw_breaks_lines(w, w->depth - 1))
        jw_raw(w, "\n");
    w->need_comma = true;
}

/* A JSON string: quotes, backslashes and control characters escaped; bytes that are
 * not valid UTF-8 become U+FFFD so the document stays valid. */
static void jw_string_raw(jw *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        jw_raw(w, "null");
        return;
    }
    jw_raw(w, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            jw_bytes(w, esc, 2);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            if (c == '\n')
                jw_raw(w, "\\n");
            else if (c == '\t')
                jw_raw(w, "\\t");
            else
                jw_bytes(w, esc, 6);
            p++;
        } else if (c < 0x80) {
            jw_bytes(w, (const char *)p, 1);
            p++;
        } else {
            size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
            bool ok = n != 0 && c >= 0xc2 && c <= 0xf4;
            uint32_t cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
            for (size_t i = 1; ok && i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                    ok = false;
                else
                    cp = cp << 6 | (p[i] & 0x3f);
            }
            if (ok && ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
                       (n == 4 && (cp < 0x10000 || cp > 0x10ffff))))
                ok = false;
            if (ok) {
                jw_bytes(w, (const char *)p, n);
                p += n;
            } else {
                jw_raw(w, "\\ufffd");
                p++;
            }
        }
    }
    jw_raw(w, "\"");
}

static void jw_key(jw *w, const char *key)
{
    jw_sep(w);
    jw_string_raw(w, key);
    jw_raw(w, ":");
    w->need_comma = false;
}

static void jw_open(jw *w, const char *key, const char *bracket)
{
    if (key)
        jw_key(w, key);
    else
        jw_sep(w);
    jw_raw(w, bracket);
    if (w->depth < (int)sizeof w->open)
        w->open[w->depth] = bracket[0];
    w->depth++;
    w->need_comma = false;
}

static void jw_close(jw *w, const char *bracket)
{
    w->depth--;
    if (jw_breaks_lines(w, w->depth) && w->need_comma)
        jw_raw(w, "\n");
    jw_raw(w, bracket);
    w->need_comma = true;
}

static void jw_u64(jw *w, const char *key, uint64_t v)
{
    jw_key(w, key);
    jw_u64_raw(w, v);
    w->need_comma = true;
}

static void jw_i64(jw *w, const char *key, int64_t v)
{
    jw_key(w, key);
    if (v < 0) {
        jw_raw(w, "-");
        jw_u64_raw(w, (uint64_t)0 - (uint64_t)v);
    } else {
        jw_u64_raw(w, (uint64_t)v);
    }
    w->need_comma = true;
}

static void jw_str(jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_string_raw(w, s);
    w->need_comma = true;
}

static void jw_bool(jw *w, const char *key, bool v)
{
    jw_key(w, key);
    jw_raw(w, v ? "true" : "false");
    w->need_comma = true;
}

static void jw_null(jw *w, const char *key)
{
    jw_key(w, key);
    jw_raw(w, "null");
    w->need_comma = true;
}

/* stderr through write(2): usable from the signal handler. */
static void say(const char *a, const char *b, const char *c, const char *d)
{
    const char *parts[] = {"cushim: ", a, b, c, d, "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (parts[i] && write(2, parts[i], strlen(parts[i])) < 0)
            return;
}

static const char *kernel_status(const report_kernel *k)
{
    if (k->unsupported)
        return "unsupported";
    if (k->error == cudaErrorNoKernelImageForDevice)
        return "no-ptx";
    if (k->error != 0)
        return "failed";
    return "translated";
}

static void write_body(jw *w, int exit_status, int sig)
{
    uint64_t now = cushim__report_clock();
    jw_open(w, NULL, "{");
    jw_str(w, "schema", CUSHIM_RUN_SCHEMA);
    jw_str(w, "generator", "cushim " PACKAGE_VERSION);
    jw_bool(w, "complete", sig == 0);

    jw_open(w, "program", "{");
    jw_str(w, "argv0", R.argv0);
    jw_str(w, "executable", R.exe[0] ? R.exe : NULL);
    jw_i64(w, "pid", (int64_t)R.pid);
    jw_close(w, "}");

    jw_open(w, "exit", "{");
    if (sig) {
        jw_null(w, "status");
        jw_str(w, "signal", signal_name(sig));
    } else {
        jw_i64(w, "status", exit_status);
        jw_null(w, "signal");
    }
    jw_close(w, "}");
    jw_u64(w, "wall_ns", now - R.start_ns);

    const struct cushim_vendor_ops *ops = cushim__ops();
    int col = cushim__backend_col();
    jw_open(w, "backend", "{");
    jw_str(w, "name", ops ? ops->name : R.backend_wanted);
    jw_bool(w, "initialised", ops != NULL);
    jw_str(w, "api_column", col == CUSHIM_API_COL_OPENCL ? "opencl" : "cpu");
    jw_close(w, "}");

    jw_open(w, "devices", "[");
    int ndev = ops ? cushim__device_count() : 0;
    for (int d = 0; d < ndev; d++) {
        const cushim_device_info *di = cushim__device_info(d);
        if (!di)
            continue;
        char name[sizeof di->name + 1];
        memcpy(name, di->name, sizeof di->name);
        name[sizeof di->name] = '\0';
        jw_open(w, NULL, "{");
        jw_i64(w, "index", d);
        jw_str(w, "name", name);
        jw_u64(w, "total_memory", di->total_mem);
        jw_u64(w, "memory_high_water",
               d < REPORT_MAX_DEVICES ? atomic_load(&R.dev_peak[d]) : 0);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_open(w, "memory", "{");
    jw_u64(w, "high_water_bytes", atomic_load(&R.total_peak));
    jw_close(w, "}");

    jw_open(w, "api", "[");
    for (unsigned row = 0; row < CUSHIM_API_COUNT; row++) {
        uint64_t calls = cushim_api_calls(row);
        if (!calls)
            continue;
        const cushim_api_entry *e = &cushim_api_table[row];
        jw_open(w, NULL, "{");
        jw_str(w, "name", e->name);
        jw_str(w, "nodes", e->nodes);
        jw_str(w, "status", cushim_api_status_name((cushim_api_status)e->status[col]));
        jw_u64(w, "calls", calls);
        jw_u64(w, "errors", atomic_load(&R.api_errors[row]));
        jw_u64(w, "total_ns", atomic_load(&R.api_ns[row]));
        jw_close(w, "}");
    }
    jw_close(w, "]");

    uint32_t nmod = atomic_load_explicit(&R.nmodules, memory_order_acquire);
    jw_open(w, "modules", "[");
    for (uint32_t i = 0; i < nmod; i++) {
        const report_module *m = &R.modules[i];
        jw_open(w, NULL, "{");
        jw_u64(w, "id", m->id);
        jw_u64(w, "load_ns", m->ns);
        jw_str(w, "error", m->error ? error_name(m->error) : NULL);
        jw_close(w, "}");
    }
    jw_close(w, "]");

    uint32_t nk = atomic_load_explicit(&R.nkernels, memory_order_acquire);
    jw_open(w, "kernels", "[");
    for (uint32_t i = 0; i < nk; i++) {
        const report_kernel *k = &R.kernels[i];
        jw_open(w, NULL, "{");
        jw_str(w, "name", k->name);
        jw_u64(w, "module", k->module);
        jw_str(w, "status", kernel_status(k));
        jw_str(w, "error", k->error ? error_name(k->error) : NULL);
        jw_str(w, "message", k->unsupported);
        if (k->compile_ns)
            jw_u64(w, "compile_ns", k->compile_ns);
        else
            jw_null(w, "compile_ns");
        jw_u64(w, "launches", atomic_load(&k->launches));
        jw_u64(w, "refused", atomic_load(&k->refused));
        jw_u64(w, "faults", atomic_load(&k->faults));
        jw_str(w, "first_fault", atomic_load(&k->first_fault));
        jw_u64(w, "total_ns", atomic_load(&k->ns));
        jw_close(w, "}");
    }
    jw_close(w, "]");

    uint32_t nf = atomic_load_explicit(&R.nfeatures, memory_order_acquire);
    jw_open(w, "unsupported", "[");
    for (uint32_t i = 0; i < nf; i++) {
        const report_feature *f = &R.features[i];
        jw_open(w, NULL, "{");
        jw_str(w, "kind", feature_kind_names[f->kind]);
        jw_str(w, "name", f->name);
        jw_str(w, "detail", f->detail);
        jw_str(w, "first_where", f->where[0] ? f->where : NULL);
        jw_u64(w, "first_ns", f->first_ns);
        jw_u64(w, "count", atomic_load(&f->count));
        jw_close(w, "}");
    }
    jw_close(w, "]");

    jw_open(w, "dropped", "{");
    jw_u64(w, "kernels", atomic_load(&R.dropped_kernels));
    jw_u64(w, "modules", atomic_load(&R.dropped_modules));
    jw_u64(w, "features", atomic_load(&R.dropped_features));
    jw_close(w, "}");
    jw_close(w, "}");
    jw_raw(w, "\n");
}

/* Has this process used CUDA at all: a runtime API call, or a device (a statically
 * linked runtime reaches the core through libcuda.so.1, not through our exports)?
 * Processes that did not (a shell, a helper started under `cushim run`, which preloads
 * the library into every process) leave the report alone. */
static bool used_cuda(void)
{
    if (cushim__ops())
        return true;
    for (unsigned row = 0; row < CUSHIM_API_COUNT; row++)
        if (cushim_api_calls(row))
            return true;
    return false;
}

static void append(char *dst, size_t len, const char *s)
{
    size_t n = strlen(dst);
    while (*s && n + 1 < len)
        dst[n++] = *s++;
    dst[n] = '\0';
}

static void append_u64(char *dst, size_t len, uint64_t v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[sizeof digits - 2 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    digits[sizeof digits - 1] = '\0';
    append(dst, len, digits + sizeof digits - 1 - n);
}

int cushim__report_write(int exit_status, int signal_number)
{
    if (!cushim__report_active || atomic_exchange(&R.written, 1))
        return 0;
    /* A child forked by the program inherits the hooks but not the run's identity. */
    if (getpid() != R.pid || !used_cuda())
        return 0;
    char tmp[PATH_MAX + 32] = "";
    append(tmp, sizeof tmp, R.path);
    append(tmp, sizeof tmp, ".tmp.");
    append_u64(tmp, sizeof tmp, (uint64_t)R.pid);
    jw w = {.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (w.fd < 0) {
        say("cannot write the run report ", tmp, ": ", strerror(errno));
        return -1;
    }
    write_body(&w, exit_status, signal_number);
    jw_flush(&w);
    if (close(w.fd) != 0 && !w.failed) {
        w.failed = true;
        w.error = errno;
    }
    if (w.failed) {
        unlink(tmp);
        say("cannot write the run report ", tmp, ": ", strerror(w.error));
        return -1;
    }
    if (rename(tmp, R.path) != 0) {
        int e = errno;
        unlink(tmp);
        say("cannot write the run report ", R.path, ": ", strerror(e));
        return -1;
    }
    return 0;
}

/* ---- process exit and fatal signals ------------------------------------------------- */

static void report_on_exit(int status, void *unused)
{
    (void)unused;
    cushim__report_write(status, 0);
}

static void report_on_signal(int sig, siginfo_t *info, void *context)
{
    size_t i = 0;
    while (i < NFATAL && fatal_signals[i] != sig)
        i++;
    cushim__report_write(-1, sig);
    if (i == NFATAL)
        return;
    /* Hand the signal on: to a handler that was there before us, else to the default
     * action. A fault re-executes its instruction when we return and now kills; a
     * signal that was sent (kill, raise, abort) must be sent again. */
    const struct sigaction *prev = &previous_actions[i];
    sigaction(sig, prev, NULL);
    if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction) {
        prev->sa_sigaction(sig, info, context);
        return;
    }
    if (prev->sa_handler == SIG_IGN)
        return;
    if (prev->sa_handler != SIG_DFL) {
        prev->sa_handler(sig);
        return;
    }
    if (!info || info->si_code <= 0 || sig == SIGABRT || sig == SIGINT || sig == SIGTERM)
        raise(sig);
}

static void read_cmdline_argv0(char *out, size_t len)
{
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, out, len - 1);
    close(fd);
    out[n > 0 ? n : 0] = '\0';   /* the first NUL ends argv[0] */
}

bool cushim__report_start(const char *path, const char *argv0)
{
    if (cushim__report_active)
        return true;
    if (strlen(path) >= sizeof R.path - 32) {
        CUSHIM_ERROR(GENERAL, "CUSHIM_REPORT is too long; no run report will be written");
        return false;
    }
    R.pid = getpid();
    R.path[0] = '\0';
    /* "%p" becomes the process id, so several CUDA processes of one run keep theirs. */
    for (const char *p = path; *p; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            append_u64(R.path, sizeof R.path, (uint64_t)R.pid);
            p++;
        } else {
            char c[2] = {*p, '\0'};
            append(R.path, sizeof R.path, c);
        }
    }
    R.kernels = calloc(REPORT_MAX_KERNELS, sizeof *R.kernels);
    if (!R.kernels) {
        CUSHIM_ERROR(GENERAL, "out of memory: no run report will be written to %s", R.path);
        return false;
    }
    if (argv0 && *argv0)
        snprintf(R.argv0, sizeof R.argv0, "%s", argv0);
    else
        read_cmdline_argv0(R.argv0, sizeof R.argv0);
    ssize_t n = readlink("/proc/self/exe", R.exe, sizeof R.exe - 1);
    R.exe[n > 0 ? n : 0] = '\0';
    const char *backend = cushim_getenv("CUSHIM_BACKEND");
    snprintf(R.backend_wanted, sizeof R.backend_wanted, "%s", backend && *backend ? backend : "cpu");
    R.start_ns = cushim__report_clock();
    if (on_exit(report_on_exit, NULL) != 0) {
        CUSHIM_ERROR(GENERAL, "cannot register the exit hook: no run report will be written to %s",
                     R.path);
        return false;
    }
    for (size_t i = 0; i < NFATAL; i++) {
        struct sigaction now;
        /* A signal the program was started with ignored (nohup) stays ignored. */
        if (sigaction(fatal_signals[i], NULL, &now) != 0 ||
            (!(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_IGN))
            continue;
        struct sigaction ours;
        memset(&ours, 0, sizeof ours);
        ours.sa_sigaction = report_on_signal;
        ours.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&ours.sa_mask);
        if (sigaction(fatal_signals[i], &ours, &previous_actions[i]) != 0)
            CUSHIM_WARN(GENERAL, "cannot watch %s: the run report will miss a death by it",
                        signal_name(fatal_signals[i]));
    }
    cushim__report_active = true;
    CUSHIM_INFO(GENERAL, "recording a run report into %s", R.path);
    return true;
}
