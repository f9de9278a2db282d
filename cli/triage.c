/* triage.c: the `cushim triage` command: walks the paths given, scans each ELF file
 * (triage_scan.c), decides a verdict per backend from the runtime's own tables, prints
 * a table and the blockers, and writes the JSON report (triage_json.c). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/triage.h"
#include "shim/api_table.h"
#include "translate/gen_c.h"
#ifdef HAVE_OPENCL
#include "translate/gen_ocl.h"
#endif
#include "vendors/vendor.h"

#define EXIT_USAGE 2
/* Directories nested deeper than this are not entered (a loop of bind mounts, or a
 * hostile tree, must not exhaust the stack). */
#define MAX_DEPTH 64
/* Blockers printed per file on the terminal; the JSON report has them all. */
#define MAX_PRINTED_ISSUES 20
/* Upper bound on scanning threads; the default is the number of online CPUs. */
#define MAX_JOBS 16

static const char usage_text[] =
    "Usage: cushim triage [--json FILE] [--backend NAME]... [--jobs N] PATH...\n"
    "\n"
    "Read CUDA executables and shared libraries (directories recursively) without\n"
    "running them: CUDA linkage, runtime API imports, fatbins, kernels, PTX features,\n"
    "and per backend whether cushim runs them (RUNS, RUNS-DEGRADED, CANNOT-RUN).\n"
    "\n"
    "Options:\n"
    "  --json FILE      also write the full report as JSON (schema cushim-triage/1)\n"
    "  --backend NAME   judge for this backend only (repeatable, or NAME,NAME);\n"
    "                   default: every backend built into cushim\n"
    "  -j, --jobs N     scan N files at a time (default: the number of CPUs)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 when every CUDA binary runs (possibly degraded) on the selected\n"
    "backends, 1 when something cannot run, 2 on a usage error.\n";

/* ---- small containers -------------------------------------------------------- */

bool triage_strlist_add(triage_strlist *l, const char *s)
{
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        char **n = realloc(l->items, ncap * sizeof *n);
        if (!n)
            return false;
        l->items = n;
        l->cap = ncap;
    }
    char *copy = strdup(s ? s : "");
    if (!copy)
        return false;
    l->items[l->count++] = copy;
    return true;
}

bool triage_strlist_has(const triage_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

bool triage_strlist_add_unique(triage_strlist *l, const char *s)
{
    return triage_strlist_has(l, s) || triage_strlist_add(l, s);
}

void triage_strlist_free(triage_strlist *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static uint64_t counter_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static size_t *counter_slot(const triage_counter *c, const char *key)
{
    size_t s = counter_hash(key) & (c->nslots - 1);
    while (c->slots[s] && strcmp(c->items[c->slots[s] - 1].key, key) != 0)
        s = (s + 1) & (c->nslots - 1);
    return &c->slots[s];
}

static bool counter_rehash(triage_counter *c, size_t nslots)
{
    size_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return false;
    free(c->slots);
    c->slots = slots;
    c->nslots = nslots;
    for (size_t i = 0; i < c->count; i++)
        *counter_slot(c, c->items[i].key) = i + 1;
    return true;
}

bool triage_counter_add(triage_counter *c, const char *key, uint64_t n)
{
    if (!c->nslots && !counter_rehash(c, 64))
        return false;
    size_t *slot = counter_slot(c, key);
    if (*slot) {
        c->items[*slot - 1].count += n;
        return true;
    }
    if (c->count == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        triage_count_item *items = realloc(c->items, ncap * sizeof *items);
        if (!items)
            return false;
        c->items = items;
        c->cap = ncap;
    }
    char *copy = strdup(key);
    if (!copy)
        return false;
    c->items[c->count].key = copy;
    c->items[c->count].count = n;
    c->count++;
    *slot = c->count;
    /* keep the load factor under one half */
    if (c->count * 2 > c->nslots)
        counter_rehash(c, c->nslots * 2);
    return true;
}

uint64_t triage_counter_get(const triage_counter *c, const char *key)
{
    if (!c->nslots)
        return 0;
    size_t *slot = counter_slot(c, key);
    return *slot ? c->items[*slot - 1].count : 0;
}

void triage_counter_free(triage_counter *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->items[i].key);
    free(c->items);
    free(c->slots);
    memset(c, 0, sizeof *c);
}

static int compare_count_items(const void *a, const void *b)
{
    const triage_count_item *x = *(triage_count_item *const *)a;
    const triage_count_item *y = *(triage_count_item *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

triage_count_item **triage_counter_sorted(const triage_counter *c)
{
    triage_count_item **out = calloc(c->count ? c->count : 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < c->count; i++)
        out[i] = &c->items[i];
    qsort(out, c->count, sizeof *out, compare_count_items);
    return out;
}

bool triage_issue_add(triage_issue_list *l, const char *category, const char *fmt, ...)
{
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].message, buf) == 0)
            return true;
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        triage_issue *n = realloc(l->items, ncap * sizeof *n);
        if (!n)
            return false;
        l->items = n;
        l->cap = ncap;
    }
    l->items[l->count].category = strdup(category);
    l->items[l->count].message = strdup(buf);
    if (!l->items[l->count].category || !l->items[l->count].message) {
        free(l->items[l->count].category);
        free(l->items[l->count].message);
        return false;
    }
    l->count++;
    return true;
}

static void issue_list_free(triage_issue_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].category);
        free(l->items[i].message);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

void triage_file_free(triage_file *f)
{
    free(f->path);
    free(f->error);
    free(f->soname);
    triage_strlist_free(&f->needed);
    triage_strlist_free(&f->warnings);
    free(f->cudart_needed);
    triage_strlist_free(&f->cudart_versions);
    triage_strlist_free(&f->static_evidence);
    free(f->toolkit);
    triage_strlist_free(&f->driver_imports);
    triage_strlist_free(&f->libraries);
    for (size_t i = 0; i < f->nimports; i++) {
        free(f->imports[i].name);
        free(f->imports[i].version);
    }
    free(f->imports);
    for (size_t i = 0; i < f->ncontainers; i++)
        free(f->containers[i].entries);
    free(f->containers);
    free(f->fatbin_error);
    for (size_t i = 0; i < f->nkernels; i++) {
        free(f->kernels[i].name);
        free(f->kernels[i].sass_archs);
        free(f->kernels[i].source);
        triage_strlist_free(&f->kernels[i].features);
    }
    free(f->kernels);
    free(f->kernel_slots);
    triage_strlist_free(&f->sass_only_notes);
    triage_counter_free(&f->opcodes);
    triage_counter_free(&f->sregs);
    triage_counter_free(&f->spaces);
    triage_counter_free(&f->calls);
    triage_counter_free(&f->features);
    for (size_t b = 0; b < TRIAGE_MAX_BACKENDS; b++) {
        issue_list_free(&f->blockers[b]);
        issue_list_free(&f->degraded[b]);
    }
    memset(f, 0, sizeof *f);
}

const char *triage_verdict_name(triage_verdict v)
{
    switch (v) {
    case TRIAGE_NOT_CUDA: return "NOT-CUDA";
    case TRIAGE_RUNS: return "RUNS";
    case TRIAGE_RUNS_DEGRADED: return "RUNS-DEGRADED";
    case TRIAGE_CANNOT_RUN: return "CANNOT-RUN";
    case TRIAGE_REPLACED: return "REPLACED";
    }
    return "?";
}

/* ---- backends ------------------------------------------------------------------ */

/* The API table's columns by name; a built-in backend not named here follows the cpu
 * column (api_table.h). */
static const struct {
    const char *name;
    int col;
} api_columns[] = {
    { "cpu", CUSHIM_API_COL_CPU },
    { "opencl", CUSHIM_API_COL_OPENCL },
};

static triage_backend *add_backend(triage_run *run, const char *name)
{
    for (size_t i = 0; i < run->nbackends; i++)
        if (strcmp(run->backends[i].name, name) == 0)
            return &run->backends[i];
    if (run->nbackends == TRIAGE_MAX_BACKENDS)
        return NULL;
    triage_backend *b = &run->backends[run->nbackends++];
    memset(b, 0, sizeof *b);
    b->name = name;
    b->api_col = CUSHIM_API_COL_CPU;
    for (size_t i = 0; i < sizeof api_columns / sizeof api_columns[0]; i++)
        if (strcmp(api_columns[i].name, name) == 0)
            b->api_col = api_columns[i].col;
    return b;
}

/* Built-in vendors first (in preference order), then the table's other columns. The
 * cpu vendor's kernels are translated by the C generator, so its instruction support
 * is cgen_supports(); the opencl vendor's is gocl_supports(). */
static void setup_backends(triage_run *run)
{
    for (size_t i = 0; cushim_builtin_vendors[i]; i++) {
        const struct cushim_vendor_ops *ops = cushim_builtin_vendors[i];
        if (!ops->name || cushim_vendor_validate(ops))
            continue;
        triage_backend *b = add_backend(run, ops->name);
        if (!b)
            continue;
        b->built_in = true;
        if (strcmp(ops->name, "cpu") == 0)
            b->instr_supported = cgen_supports;
#ifdef HAVE_OPENCL
        if (strcmp(ops->name, "opencl") == 0)
            b->instr_supported = gocl_supports;
#endif
    }
    for (size_t i = 0; i < sizeof api_columns / sizeof api_columns[0]; i++)
        add_backend(run, api_columns[i].name);
}

void triage_run_init(triage_run *run)
{
    memset(run, 0, sizeof *run);
    setup_backends(run);
    for (size_t b = 0; b < run->nbackends; b++)
        run->backends[b].selected = run->backends[b].built_in;
    run->jobs = 1;
}

void triage_run_free(triage_run *run)
{
    for (size_t i = 0; i < run->nfiles; i++)
        triage_file_free(&run->files[i]);
    free(run->files);
    run->files = NULL;
    run->nfiles = run->cap = 0;
}

/* ---- verdicts ------------------------------------------------------------------- */

static const char *cuda_error_name(int value)
{
    switch (value) {
#define X(name, val, msg) case val: return #name;
#include "shim/cuda_errors.def"
#undef X
    }
    return "an error";
}

static void move_issues(triage_issue_list *dst, triage_issue_list *src)
{
    for (size_t i = 0; i < src->count; i++)
        triage_issue_add(dst, src->items[i].category, "%s", src->items[i].message);
    issue_list_free(src);
}

void triage_judge(triage_run *run, triage_file *f)
{
    for (size_t b = 0; b < run->nbackends; b++) {
        const triage_backend *be = &run->backends[b];
        if (f->state != TRIAGE_FILE_SCANNED || !f->is_cuda) {
            f->verdict[b] = TRIAGE_NOT_CUDA;
            continue;
        }
        if (f->is_cudart_itself) {
            f->verdict[b] = TRIAGE_REPLACED;
            continue;
        }
        /* linkage blockers first, then what the device-code scan found */
        triage_issue_list l = { 0 };
        if (!be->built_in)
            triage_issue_add(&l, "backend", "backend %s is not built into this cushim",
                             be->name);
        /* A static runtime and the driver API both run through cushim's libcuda.so.1
         * (docs/static-binaries.md). Neither shows which functions it will call, so
         * they degrade the verdict rather than block it. */
        if (f->cudart_static)
            triage_issue_add(&f->degraded[b], "static-cudart", "statically linked CUDA "
                             "runtime: runs through cushim's libcuda.so.1; the runtime "
                             "functions it calls are not visible in the binary");
        if (f->driver_api) {
            char names[300] = "";
            size_t used = 0;
            for (size_t i = 0; i < f->driver_imports.count && i < 4 && used < sizeof names; i++)
                used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                                         i ? ", " : "", f->driver_imports.items[i]);
            if (f->driver_imports.count > 4 && used < sizeof names)
                snprintf(names + used, sizeof names - used, " and %zu more",
                         f->driver_imports.count - 4);
            if (f->driver_imports.count || !f->driver_dlopen)
                triage_issue_add(&f->degraded[b], "driver-api", "driver API libcuda.so.1%s%s%s: "
                                 "served by cushim's libcuda.so.1, which implements part of "
                                 "the driver API", names[0] ? " (" : "", names,
                                 names[0] ? ")" : "");
            else
                triage_issue_add(&f->degraded[b], "driver-api", "driver API loaded at run time "
                                 "(dlopen libcuda.so.1): served by cushim's libcuda.so.1, which "
                                 "implements part of the driver API");
        }
        for (size_t i = 0; i < f->libraries.count; i++)
            triage_issue_add(&l, "library", "library %s: not provided by cushim",
                             f->libraries.items[i]);
        for (size_t i = 0; i < f->nimports; i++) {
            const triage_import *imp = &f->imports[i];
            if (imp->row < 0) {
                triage_issue_add(&l, "api", "missing API %s%s%s: not exported by cushim "
                                 "(the program does not load)", imp->name,
                                 imp->version ? "@" : "", imp->version ? imp->version : "");
                continue;
            }
            const cushim_api_entry *row = &cushim_api_table[imp->row];
            switch ((cushim_api_status)row->status[be->api_col]) {
            case CUSHIM_API_IMPLEMENTED:
                break;
            case CUSHIM_API_EMULATED:
                triage_issue_add(&f->degraded[b], "api", "emulated API %s", imp->name);
                break;
            case CUSHIM_API_UNSUPPORTED:
                triage_issue_add(&l, "api", "unsupported API %s: returns %s", imp->name,
                                 cuda_error_name(row->unsupported_error));
                break;
            }
        }
        for (size_t k = 0; k < f->nkernels; k++) {
            const triage_kernel *kern = &f->kernels[k];
            if (!kern->has_ptx)
                triage_issue_add(&l, "sass-only", "kernel %s is SASS-only (%s)", kern->name,
                                 kern->sass_archs && kern->sass_archs[0] ? kern->sass_archs
                                                                         : "no PTX");
        }
        for (size_t i = 0; i < f->sass_only_notes.count; i++)
            if (strstr(f->sass_only_notes.items[i], "kernel names unavailable"))
                triage_issue_add(&l, "sass-only", "%s", f->sass_only_notes.items[i]);
        if (be->built_in && !be->instr_supported && f->nkernels)
            triage_issue_add(&l, "backend", "backend %s has no kernel translator in this "
                             "build", be->name);
        move_issues(&l, &f->blockers[b]);
        f->blockers[b] = l;
        f->verdict[b] = f->blockers[b].count ? TRIAGE_CANNOT_RUN
                        : f->degraded[b].count ? TRIAGE_RUNS_DEGRADED : TRIAGE_RUNS;
    }
}

/* ---- walking the paths ------------------------------------------------------------ */

/* Paths are collected first and scanned afterwards by a pool of threads, largest file
 * first so one huge library does not finish last alone. */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static triage_file *new_file(triage_run *run, const char *path)
{
    if (run->nfiles == run->cap) {
        size_t ncap = run->cap ? run->cap * 2 : 64;
        triage_file *n = realloc(run->files, ncap * sizeof *n);
        if (!n) {
            fprintf(stderr, "cushim: triage: out of memory at %s\n", path);
            return NULL;
        }
        run->files = n;
        run->cap = ncap;
    }
    triage_file *f = &run->files[run->nfiles];
    memset(f, 0, sizeof *f);
    if (!(f->path = strdup(path)))
        return NULL;
    run->nfiles++;
    return f;
}

static void add_unreadable(triage_run *run, const char *path, const char *what, int err)
{
    triage_file *f = new_file(run, path);
    if (!f)
        return;
    char msg[300];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
    f->error = strdup(msg);
    f->state = TRIAGE_FILE_UNREADABLE;
    f->scanned = true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(triage_run *run, const char *path, bool top, unsigned depth);

static void walk_dir(triage_run *run, const char *path, unsigned depth)
{
    if (depth > MAX_DEPTH) {
        add_unreadable(run, path, "directory nested too deep, not entered", ELOOP);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        add_unreadable(run, path, "cannot open directory", errno);
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = strdup(de->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, compare_names); /* stable report order */
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *child = malloc(len);
        if (child) {
            bool slash = path[0] && path[strlen(path) - 1] == '/';
            snprintf(child, len, "%s%s%s", path, slash ? "" : "/", names[i]);
            walk(run, child, false, depth + 1);
            free(child);
        }
        free(names[i]);
    }
    free(names);
}

static void walk(triage_run *run, const char *path, bool top, unsigned depth)
{
    struct stat st;
    /* links met inside a directory are not followed: the file they name is scanned
     * under its own name, and a link cannot make the walk loop */
    if ((top ? stat(path, &st) : lstat(path, &st)) != 0) {
        add_unreadable(run, path, "cannot read", errno);
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        run->skipped_links++;
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        walk_dir(run, path, depth);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        run->skipped_other++;
        return;
    }
    triage_file *f = new_file(run, path);
    if (f)
        f->size = (uint64_t)st.st_size;
}

typedef struct scan_pool {
    triage_run *run;
    size_t *order;           /* file indices, largest first */
    atomic_size_t next;      /* next position in order */
    atomic_size_t done;
    bool worker_reports;     /* no helper threads: the scanning thread shows progress */
    double started;
} scan_pool;

static void show_progress(const scan_pool *pool);

static void *scan_worker(void *arg)
{
    scan_pool *pool = arg;
    triage_run *run = pool->run;
    for (;;) {
        size_t i = atomic_fetch_add(&pool->next, 1);
        if (i >= run->nfiles)
            break;
        triage_file *f = &run->files[pool->order[i]];
        if (pool->worker_reports)
            show_progress(pool);
        if (!f->scanned) {
            f->not_elf = !triage_scan_file(run, f);
            f->scanned = true;
        }
        atomic_fetch_add(&pool->done, 1);
    }
    return NULL;
}

static int compare_sizes(const void *a, const void *b, void *files)
{
    uint64_t x = ((const triage_file *)files)[*(const size_t *)a].size;
    uint64_t y = ((const triage_file *)files)[*(const size_t *)b].size;
    return x > y ? -1 : x < y ? 1 : 0;
}

static void show_progress(const scan_pool *pool)
{
    size_t done = atomic_load(&pool->done);
    fprintf(stderr, "\r\033[Ktriage: %zu of %zu files, %.0f s", done, pool->run->nfiles,
            now_seconds() - pool->started);
    fflush(stderr);
}

static void scan_all(triage_run *run, bool progress)
{
    scan_pool pool = { .run = run, .started = now_seconds() };
    atomic_init(&pool.next, 0);
    atomic_init(&pool.done, 0);
    pool.order = malloc((run->nfiles ? run->nfiles : 1) * sizeof *pool.order);
    if (!pool.order) {
        fprintf(stderr, "cushim: triage: out of memory\n");
        return;
    }
    for (size_t i = 0; i < run->nfiles; i++)
        pool.order[i] = i;
    qsort_r(pool.order, run->nfiles, sizeof *pool.order, compare_sizes, run->files);

    unsigned jobs = run->jobs ? run->jobs : 1;
    if (jobs > run->nfiles)
        jobs = run->nfiles ? (unsigned)run->nfiles : 1;
    pthread_t threads[MAX_JOBS];
    unsigned started = 0;
    for (unsigned t = 1; t < jobs; t++)
        if (pthread_create(&threads[started], NULL, scan_worker, &pool) == 0)
            started++;
    pool.worker_reports = progress && started == 0;
    if (progress) {
        /* this thread reports progress while the others scan, then joins in */
        while (atomic_load(&pool.next) < run->nfiles && started > 0) {
            show_progress(&pool);
            struct timespec pause = { 0, 200 * 1000 * 1000 };
            nanosleep(&pause, NULL);
        }
    }
    scan_worker(&pool);
    for (unsigned t = 0; t < started; t++) {
        if (progress) {
            /* keep the line moving while the last large files finish */
            void *ret;
            while (pthread_tryjoin_np(threads[t], &ret) != 0) {
                show_progress(&pool);
                struct timespec pause = { 0, 200 * 1000 * 1000 };
                nanosleep(&pause, NULL);
            }
        } else {
            pthread_join(threads[t], NULL);
        }
    }
    if (progress && run->nfiles) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    free(pool.order);

    /* drop what is not ELF, keep the rest in walk order, judge it */
    size_t kept = 0;
    for (size_t i = 0; i < run->nfiles; i++) {
        triage_file *f = &run->files[i];
        if (f->not_elf) {
            run->skipped_not_elf++;
            triage_file_free(f);
            continue;
        }
        if (f->state == TRIAGE_FILE_UNREADABLE)
            run->unreadable++;
        if (kept != i)
            run->files[kept] = *f;
        triage_judge(run, &run->files[kept]);
        kept++;
    }
    run->nfiles = kept;
}

/* ---- terminal output --------------------------------------------------------------- */

typedef struct palette {
    const char *green, *yellow, *red, *bold, *dim, *reset;
} palette;

static const char *verdict_colour(const palette *p, triage_verdict v)
{
    switch (v) {
    case TRIAGE_RUNS: return p->green;
    case TRIAGE_RUNS_DEGRADED: return p->yellow;
    case TRIAGE_CANNOT_RUN: return p->red;
    default: return p->dim;
    }
}

static void linkage_text(const triage_file *f, char *buf, size_t len)
{
    if (f->state == TRIAGE_FILE_UNREADABLE) {
        snprintf(buf, len, "unreadable");
        return;
    }
    if (f->state == TRIAGE_FILE_MALFORMED) {
        snprintf(buf, len, "malformed ELF");
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
#define ADD(...)                                                             \
    do {                                                                     \
        if (used < len)                                                      \
            used += (size_t)snprintf(buf + used, len - used, __VA_ARGS__);   \
    } while (0)
    if (f->is_cudart_itself)
        ADD("the CUDA runtime");
    if (f->cudart_shared_major)
        ADD("%scudart.so.%d", used ? "+" : "", f->cudart_shared_major);
    if (f->cudart_static)
        ADD("%sstatic cudart%s%s", used ? "+" : "", f->toolkit ? " " : "",
            f->toolkit ? f->toolkit : "");
    if (f->driver_api)
        ADD("%sdriver", used ? "+" : "");
    if (f->libraries.count)
        ADD("%s%zu lib%s", used ? "+" : "", f->libraries.count,
            f->libraries.count == 1 ? "" : "s");
    if (!used)
        ADD("%s", f->ncontainers ? "device code only" : "-");
#undef ADD
}

static void kernels_text(const triage_file *f, char *buf, size_t len)
{
    if (f->state != TRIAGE_FILE_SCANNED) {
        snprintf(buf, len, "-");
        return;
    }
    if (f->sass_only_kernels)
        snprintf(buf, len, "%zu (%u SASS)", f->nkernels, f->sass_only_kernels);
    else
        snprintf(buf, len, "%zu", f->nkernels);
}

static const char *display_path(const char *path, size_t width, char *buf, size_t len)
{
    size_t n = strlen(path);
    if (n <= width)
        return path;
    snprintf(buf, len, "...%s", path + n - (width - 3));
    return buf;
}

/* Blockers of one file, each once with the backends it applies to. */
static void print_issues(const triage_run *run, const triage_file *f, const palette *p,
                         bool blockers)
{
    size_t printed = 0, total = 0;
    for (size_t b = 0; b < run->nbackends; b++) {
        if (!run->backends[b].selected)
            continue;
        const triage_issue_list *l = blockers ? &f->blockers[b] : &f->degraded[b];
        for (size_t i = 0; i < l->count; i++) {
            const char *msg = l->items[i].message;
            bool earlier = false; /* printed under an earlier backend */
            for (size_t e = 0; e < b && !earlier; e++) {
                if (!run->backends[e].selected)
                    continue;
                const triage_issue_list *el = blockers ? &f->blockers[e] : &f->degraded[e];
                for (size_t j = 0; j < el->count && !earlier; j++)
                    earlier = strcmp(el->items[j].message, msg) == 0;
            }
            if (earlier)
                continue;
            total++;
            if (printed >= MAX_PRINTED_ISSUES)
                continue;
            char backends[128] = "";
            size_t used = 0;
            for (size_t o = b; o < run->nbackends && used < sizeof backends; o++) {
                if (!run->backends[o].selected)
                    continue;
                const triage_issue_list *ol = blockers ? &f->blockers[o] : &f->degraded[o];
                for (size_t j = 0; j < ol->count; j++)
                    if (strcmp(ol->items[j].message, msg) == 0) {
                        used += (size_t)snprintf(backends + used, sizeof backends - used,
                                                 "%s%s", used ? "," : "", run->backends[o].name);
                        break;
                    }
            }
            printf("  %s%s%s [%s] %s\n", blockers ? p->red : p->yellow,
                   blockers ? "blocker" : "degraded", p->reset, backends, msg);
            printed++;
        }
    }
    if (total > printed)
        printf("  ... and %zu more %s (all in the --json report)\n", total - printed,
               blockers ? "blockers" : "degradations");
}

static void print_report(const triage_run *run, bool colour)
{
    palette p = { "", "", "", "", "", "" };
    if (colour)
        p = (palette){ "\033[32m", "\033[33m", "\033[31m", "\033[1m", "\033[2m", "\033[0m" };
    size_t shown = 0, width = 4;
    for (size_t i = 0; i < run->nfiles; i++) {
        const triage_file *f = &run->files[i];
        if (!f->is_cuda && f->state == TRIAGE_FILE_SCANNED)
            continue;
        shown++;
        size_t n = strlen(f->path);
        if (n > width)
            width = n;
    }
    if (width > 56)
        width = 56;
    if (shown) {
        printf("%s%-*s  %-26s %-12s", p.bold, (int)width, "FILE", "LINKAGE", "KERNELS");
        for (size_t b = 0; b < run->nbackends; b++)
            if (run->backends[b].selected)
                printf(" %-14s", run->backends[b].name);
        printf("%s\n", p.reset);
    }
    for (size_t i = 0; i < run->nfiles; i++) {
        const triage_file *f = &run->files[i];
        if (!f->is_cuda && f->state == TRIAGE_FILE_SCANNED)
            continue;
        char pbuf[80], link[64], kern[32];
        linkage_text(f, link, sizeof link);
        kernels_text(f, kern, sizeof kern);
        printf("%-*s  %-26s %-12s", (int)width, display_path(f->path, width, pbuf, sizeof pbuf),
               link, kern);
        for (size_t b = 0; b < run->nbackends; b++) {
            if (!run->backends[b].selected)
                continue;
            const char *v = f->state != TRIAGE_FILE_SCANNED ? "-"
                            : triage_verdict_name(f->verdict[b]);
            printf(" %s%-14s%s", verdict_colour(&p, f->verdict[b]), v, p.reset);
        }
        printf("\n");
    }
    /* details: blockers and degradations per file */
    for (size_t i = 0; i < run->nfiles; i++) {
        const triage_file *f = &run->files[i];
        if (f->state != TRIAGE_FILE_SCANNED) {
            printf("\n%s%s%s\n  %s%s%s\n", p.bold, f->path, p.reset, p.red,
                   f->error ? f->error : "cannot be read", p.reset);
            continue;
        }
        if (!f->is_cuda)
            continue;
        bool any = false;
        for (size_t b = 0; b < run->nbackends; b++)
            any |= run->backends[b].selected && (f->blockers[b].count || f->degraded[b].count);
        if (!any && !f->sass_only_notes.count)
            continue;
        printf("\n%s%s%s\n", p.bold, f->path, p.reset);
        for (size_t n = 0; n < f->sass_only_notes.count; n++)
            printf("  %snote%s %s\n", p.dim, p.reset, f->sass_only_notes.items[n]);
        print_issues(run, f, &p, true);
        print_issues(run, f, &p, false);
    }
    size_t cuda = 0, other = 0;
    for (size_t i = 0; i < run->nfiles; i++) {
        if (run->files[i].state != TRIAGE_FILE_SCANNED)
            continue;
        if (run->files[i].is_cuda)
            cuda++;
        else
            other++;
    }
    printf("\n%zu CUDA file%s, %zu other ELF file%s, %" PRIu64 " not ELF, %" PRIu64
           " unreadable", cuda, cuda == 1 ? "" : "s", other, other == 1 ? "" : "s",
           run->skipped_not_elf, run->unreadable);
    if (run->skipped_links)
        printf(", %" PRIu64 " symbolic link%s not followed", run->skipped_links,
               run->skipped_links == 1 ? "" : "s");
    printf("; %.1f s\n", run->seconds);
}

/* ---- the command ------------------------------------------------------------------- */

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("cushim: triage: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    fputs(usage_text, stderr);
}

static bool select_backends(triage_run *run, const char *list)
{
    char *copy = strdup(list);
    if (!copy)
        return false;
    bool ok = true;
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        bool found = false;
        for (size_t b = 0; b < run->nbackends; b++)
            if (strcmp(run->backends[b].name, name) == 0) {
                run->backends[b].selected = true;
                found = true;
            }
        if (!found) {
            fprintf(stderr, "cushim: triage: unknown backend '%s'; known backends:", name);
            for (size_t b = 0; b < run->nbackends; b++)
                fprintf(stderr, " %s", run->backends[b].name);
            fputc('\n', stderr);
            ok = false;
        }
    }
    free(copy);
    return ok;
}

int cushim_cmd_triage(int argc, char **argv)
{
    triage_run run;
    triage_run_init(&run);
    run.jobs = 0;
    const char *json = NULL;
    bool chosen = false;
    int first_path = argc;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            first_path = i + 1;
            break;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage_text, stdout);
            return EXIT_SUCCESS;
        }
        const char *value = NULL;
        const char *opt = NULL;
        if (strcmp(arg, "--json") == 0 || strcmp(arg, "--backend") == 0 ||
            strcmp(arg, "--jobs") == 0 || strcmp(arg, "-j") == 0) {
            opt = arg;
            if (i + 1 >= argc) {
                usage_error("%s needs a value", arg);
                return EXIT_USAGE;
            }
            value = argv[++i];
        } else if (strncmp(arg, "--json=", 7) == 0) {
            opt = "--json";
            value = arg + 7;
        } else if (strncmp(arg, "--backend=", 10) == 0) {
            opt = "--backend";
            value = arg + 10;
        } else if (strncmp(arg, "--jobs=", 7) == 0) {
            opt = "--jobs";
            value = arg + 7;
        } else if (strncmp(arg, "-j", 2) == 0 && arg[2]) {
            opt = "-j";
            value = arg + 2;
        } else if (arg[0] == '-' && arg[1]) {
            usage_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        } else {
            first_path = i;
            break;
        }
        if (!value[0]) {
            usage_error("%s needs a value", opt);
            return EXIT_USAGE;
        }
        if (strcmp(opt, "--json") == 0) {
            json = value;
        } else if (strcmp(opt, "--jobs") == 0 || strcmp(opt, "-j") == 0) {
            char *end;
            long n = strtol(value, &end, 10);
            if (*end || n < 1 || n > MAX_JOBS) {
                usage_error("%s takes a number from 1 to %d, not '%s'", opt, MAX_JOBS, value);
                return EXIT_USAGE;
            }
            run.jobs = (unsigned)n;
        } else {
            if (!chosen) /* an explicit choice replaces the default selection */
                for (size_t b = 0; b < run.nbackends; b++)
                    run.backends[b].selected = false;
            chosen = true;
            if (!select_backends(&run, value))
                return EXIT_USAGE;
        }
    }
    if (first_path >= argc) {
        usage_error("no file or directory given");
        return EXIT_USAGE;
    }
    for (int i = first_path; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0 && errno == ENOENT) {
            usage_error("%s: no such file or directory", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (!run.jobs) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        run.jobs = cpus < 1 ? 1 : cpus > MAX_JOBS ? MAX_JOBS : (unsigned)cpus;
    }
    /* Parsed PTX modules come and go in large blocks; a fixed mmap threshold returns
     * them to the system instead of letting the heap grow with each large library. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);

    double start = now_seconds();
    for (int i = first_path; i < argc; i++)
        walk(&run, argv[i], true, 0);
    scan_all(&run, isatty(STDERR_FILENO));
    run.seconds = now_seconds() - start;

    const char *no_colour = getenv("NO_COLOR");
    bool colour = isatty(STDOUT_FILENO) && !(no_colour && no_colour[0]);
    print_report(&run, colour);

    int status = EXIT_SUCCESS;
    for (size_t i = 0; i < run.nfiles; i++)
        for (size_t b = 0; b < run.nbackends; b++)
            if (run.backends[b].selected && run.files[i].verdict[b] == TRIAGE_CANNOT_RUN)
                status = EXIT_FAILURE;
    if (json) {
        char err[512];
        if (triage_write_json(&run, json, err, sizeof err) != 0) {
            fprintf(stderr, "cushim: triage: %s\n", err);
            status = EXIT_FAILURE;
        }
    }
    fflush(stdout);
    triage_run_free(&run);
    return status;
}
