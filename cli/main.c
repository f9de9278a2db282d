/* main.c: the `cushim` command: `run` a CUDA program on cushim's libcudart (by
 * setting up the dynamic loader and exec'ing it), list `backends` and their devices,
 * and dispatch `triage`, `report` and `compare`. Exit status 2 means a usage error;
 * `run` exits with the program's own status. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/report.h"
#include "cli/triage.h"
#include "shim/log.h"
#include "vendors/vendor.h"

#ifndef CUSHIM_PKGLIBDIR
#error "CUSHIM_PKGLIBDIR must be defined by the build (Makefile.am)"
#endif

#define LIB_NAME "libcudart.so.13"
#define EXIT_USAGE 2
/* `run` could not prepare the environment (no library found, no memory). */
#define EXIT_SETUP 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

static const char usage_text[] =
    "Usage: cushim COMMAND [OPTIONS] [ARGS...]\n"
    "\n"
    "Run unmodified CUDA programs without NVIDIA's runtime.\n"
    "\n"
    "Commands:\n"
    "  run [--backend NAME] [--report FILE] [--] PROGRAM [ARGS...]\n"
    "                 run PROGRAM with cushim's libcudart; its kernels run on the\n"
    "                 chosen backend (default: $CUSHIM_BACKEND, else cpu)\n"
    "  backends       list the built-in backends and their devices\n"
    "  triage [--json FILE] [--backend NAME]... [--jobs N] PATH...\n"
    "                 read executables and libraries without running them and say,\n"
    "                 per backend, whether they run and what blocks them\n"
    "  report FILE.json [--html OUT]\n"
    "                 show a run report or a triage report as tables (and HTML)\n"
    "  compare A.json B.json [--html OUT]\n"
    "                 two run reports side by side: kernel time ratios, API call\n"
    "                 differences, what failed on one side, porting friction\n"
    "  help           show this help\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help\n"
    "  --version      show the version\n"
    "\n"
    "Environment: CUSHIM_BACKEND, CUSHIM_DEVICE, CUSHIM_REPORT, CUSHIM_LOG,\n"
    "CUSHIM_TRACE, CUSHIM_CACHE_DIR, CUSHIM_STRICT, CUSHIM_MEMCHECK, CUSHIM_CC,\n"
    "CUSHIM_LIBDIR. See cushim(1).\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("cushim: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    fputs(usage_text, stderr);
}

/* ------------------------------------------------------------------ backends */

static const struct cushim_vendor_ops *find_backend(const char *name)
{
    for (size_t i = 0; cushim_builtin_vendors[i]; i++)
        if (cushim_builtin_vendors[i]->name && strcmp(cushim_builtin_vendors[i]->name, name) == 0)
            return cushim_builtin_vendors[i];
    return NULL;
}

static void list_backend_names(FILE *out)
{
    for (size_t i = 0; cushim_builtin_vendors[i]; i++)
        fprintf(out, "%s%s", i ? ", " : "",
                cushim_builtin_vendors[i]->name ? cushim_builtin_vendors[i]->name : "(unnamed)");
}

static void format_bytes(uint64_t bytes, char *buf, size_t len)
{
    const double gib = 1024.0 * 1024.0 * 1024.0, mib = 1024.0 * 1024.0;
    if (bytes >= (uint64_t)gib)
        snprintf(buf, len, "%.1f GiB", (double)bytes / gib);
    else
        snprintf(buf, len, "%.1f MiB", (double)bytes / mib);
}

static int cmd_backends(int argc, char **argv)
{
    if (argc > 1) {
        usage_error("backends: unexpected argument '%s'", argv[1]);
        return EXIT_USAGE;
    }
    int usable = 0;
    for (size_t i = 0; cushim_builtin_vendors[i]; i++) {
        const struct cushim_vendor_ops *ops = cushim_builtin_vendors[i];
        const char *invalid = cushim_vendor_validate(ops);
        printf("%-10s %s\n", ops && ops->name ? ops->name : "(unnamed)",
               ops && ops->description ? ops->description : "");
        if (invalid) {
            printf("  unavailable: %s\n", invalid);
            continue;
        }
        char err[512] = "";
        int count = 0;
        int rc = ops->init(&count, err, sizeof err);
        if (rc != 0) {
            printf("  unavailable: %s\n", err[0] ? err : "initialisation failed");
            continue;
        }
        if (count <= 0)
            printf("  no devices\n");
        for (int dev = 0; dev < count; dev++) {
            cushim_device_info info;
            memset(&info, 0, sizeof info);
            if (ops->device_info(dev, &info) != 0) {
                printf("  device %d: cannot read its properties\n", dev);
                continue;
            }
            char mem[32];
            format_bytes(info.total_mem, mem, sizeof mem);
            printf("  device %d: %.*s, %s, %" PRIu32 " multiprocessor%s, "
                   "compute capability %" PRIu32 ".%" PRIu32 "\n",
                   dev, (int)sizeof info.name, info.name, mem, info.multiprocessor_count,
                   info.multiprocessor_count == 1 ? "" : "s", info.cc_major, info.cc_minor);
            usable++;
        }
        if (ops->shutdown)
            ops->shutdown();
    }
    return usable ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ------------------------------------------------------------------ run */

static bool has_library(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, LIB_NAME) >= (int)sizeof path)
        return false;
    return access(path, R_OK) == 0;
}

/* The directory holding our libcudart: $CUSHIM_LIBDIR, else the build tree this
 * program was built in (<builddir>/cli/cushim next to <builddir>/shim/), else the
 * installed one. Writes a reason into why when none holds the library. */
static bool find_libdir(char *dir, size_t len, char *why, size_t whylen)
{
    const char *env = cushim_getenv("CUSHIM_LIBDIR");
    if (env && env[0]) {
        if (snprintf(dir, len, "%s", env) >= (int)len) {
            snprintf(why, whylen, "CUSHIM_LIBDIR is too long");
            return false;
        }
        if (!has_library(dir)) {
            snprintf(why, whylen, "CUSHIM_LIBDIR=%s holds no readable %s", env, LIB_NAME);
            return false;
        }
        return true;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0'; /* <builddir>/cli */
            slash = strrchr(exe, '/');
            if (slash && strcmp(slash, "/cli") == 0) {
                *slash = '\0';
                if (snprintf(dir, len, "%s/shim", exe[0] ? exe : "") < (int)len && has_library(dir))
                    return true;
            }
        }
    }
    if (snprintf(dir, len, "%s", CUSHIM_PKGLIBDIR) < (int)len && has_library(dir))
        return true;
    snprintf(why, whylen, "%s not found in %s (installed location) nor beside this program; "
             "set CUSHIM_LIBDIR to the directory holding it", LIB_NAME, CUSHIM_PKGLIBDIR);
    return false;
}

/* Join `first` and an existing list with `sep`, or just `first` when the list is
 * empty. Returns NULL when out of memory. */
static char *join(const char *first, const char *sep, const char *rest, bool rest_first)
{
    if (!rest || !rest[0])
        return strdup(first);
    size_t n = strlen(first) + strlen(sep) + strlen(rest) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", rest_first ? rest : first, sep, rest_first ? first : rest);
    return s;
}

/* Is `path` already one of the entries of a LD_PRELOAD value (space/colon-separated)? */
static bool preload_has(const char *list, const char *path)
{
    size_t n = strlen(path);
    for (const char *p = list; p && *p;) {
        p += strspn(p, ": ");
        size_t len = strcspn(p, ": ");
        if (len == n && strncmp(p, path, n) == 0)
            return true;
        p += len;
    }
    return false;
}

static int setup_environment(const char *dir, const char *backend, const char *report)
{
    char lib[PATH_MAX];
    if (snprintf(lib, sizeof lib, "%s/%s", dir, LIB_NAME) >= (int)sizeof lib) {
        fprintf(stderr, "cushim: library path too long: %s\n", dir);
        return EXIT_SETUP;
    }
    /* Our directory first: libcudart.so.12/.13 resolve to us. */
    char *ld_path = join(dir, ":", getenv("LD_LIBRARY_PATH"), false);
    /* Preloading also catches binaries with an RPATH to a real toolkit. Entries already
     * present stay first so that interposers the user preloads keep their place. */
    const char *old_preload = getenv("LD_PRELOAD");
    char *preload = preload_has(old_preload, lib) ? strdup(old_preload)
                                                  : join(lib, ":", old_preload, true);
    if (!ld_path || !preload) {
        free(ld_path);
        free(preload);
        fprintf(stderr, "cushim: out of memory\n");
        return EXIT_SETUP;
    }
    int rc = setenv("LD_LIBRARY_PATH", ld_path, 1) | setenv("LD_PRELOAD", preload, 1);
    free(ld_path);
    free(preload);
    if (backend)
        rc |= setenv("CUSHIM_BACKEND", backend, 1);
    if (report) {
        char abs[PATH_MAX];
        if (report[0] == '/') {
            snprintf(abs, sizeof abs, "%s", report);
        } else {
            char cwd[PATH_MAX];
            if (!getcwd(cwd, sizeof cwd) ||
                snprintf(abs, sizeof abs, "%s/%s", cwd, report) >= (int)sizeof abs) {
                fprintf(stderr, "cushim: cannot make the report path '%s' absolute: %s\n",
                        report, strerror(errno ? errno : ENAMETOOLONG));
                return EXIT_SETUP;
            }
        }
        rc |= setenv("CUSHIM_REPORT", abs, 1);
    }
    if (rc != 0) {
        fprintf(stderr, "cushim: cannot set the environment: %s\n", strerror(errno));
        return EXIT_SETUP;
    }
    return 0;
}

/* Value of an option given as `--name VALUE` or `--name=VALUE`; advances *i. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *matched)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];
    *matched = false;
    if (strncmp(arg, name, n) != 0)
        return NULL;
    if (arg[n] == '=') {
        *matched = true;
        return arg + n + 1;
    }
    if (arg[n] != '\0')
        return NULL;
    *matched = true;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static int cmd_run(int argc, char **argv)
{
    const char *backend = NULL, *report = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        bool matched;
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (arg[0] != '-')
            break;
        const char *v = option_value(argc, argv, &i, "--backend", &matched);
        if (matched) {
            if (!v || !v[0]) {
                usage_error("run: %s needs a backend name", "--backend");
                return EXIT_USAGE;
            }
            backend = v;
            continue;
        }
        v = option_value(argc, argv, &i, "--report", &matched);
        if (matched) {
            if (!v || !v[0]) {
                usage_error("run: %s needs a file name", "--report");
                return EXIT_USAGE;
            }
            report = v;
            continue;
        }
        usage_error("run: unknown option '%s'", arg);
        return EXIT_USAGE;
    }
    if (i >= argc) {
        usage_error("run: no program given");
        return EXIT_USAGE;
    }
    if (backend && !find_backend(backend)) {
        fprintf(stderr, "cushim: unknown backend '%s'; built-in backends: ", backend);
        list_backend_names(stderr);
        fputs("\n", stderr);
        return EXIT_USAGE;
    }

    char dir[PATH_MAX], why[PATH_MAX + 128];
    if (!find_libdir(dir, sizeof dir, why, sizeof why)) {
        fprintf(stderr, "cushim: %s\n", why);
        return EXIT_SETUP;
    }
    int rc = setup_environment(dir, backend, report);
    if (rc != 0)
        return rc;

    fflush(NULL);
    execvp(argv[i], argv + i);
    int e = errno;
    fprintf(stderr, "cushim: cannot run '%s': %s\n", argv[i], strerror(e));
    return e == ENOENT || e == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_SUCCESS;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("cushim %s\n", PACKAGE_VERSION);
        return EXIT_SUCCESS;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "backends") == 0)
        return cmd_backends(argc - 1, argv + 1);
    if (strcmp(cmd, "triage") == 0)
        return cushim_cmd_triage(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cushim_cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return cushim_cmd_compare(argc - 1, argv + 1);
    if (cmd[0] == '-')
        usage_error("unknown option '%s'", cmd);
    else
        usage_error("unknown command '%s'", cmd);
    return EXIT_USAGE;
}
