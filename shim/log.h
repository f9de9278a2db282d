/* log.h: cushim's own diagnostics, on stderr, prefixed "cushim: ".
 *
 * CUSHIM_LOG selects what is printed: a level (error, warn, info, debug; default warn)
 * and/or categories (api, ptx, mem, launch, module, cpu, opencl, all), comma-separated,
 * e.g. CUSHIM_LOG=debug,mem,launch. Errors and warnings always print; info and debug
 * print for the selected categories (all when none is named). Program errors (an
 * unsupported call, a kernel fault) are warnings or errors; library internals are
 * debug. */
#ifndef CUSHIM_LOG_H
#define CUSHIM_LOG_H

#include <stdarg.h>
#include <stdbool.h>

typedef enum cushim_log_level {
    CUSHIM_LOG_ERROR = 0,
    CUSHIM_LOG_WARN,
    CUSHIM_LOG_INFO,
    CUSHIM_LOG_DEBUG,
} cushim_log_level;

#define CUSHIM_LOG_CATEGORIES(X) \
    X(API, "api") X(PTX, "ptx") X(MEM, "mem") X(LAUNCH, "launch") \
    X(MODULE, "module") X(CPU, "cpu") X(OPENCL, "opencl") X(GENERAL, "general")

typedef enum cushim_log_cat {
#define X(e, s) CUSHIM_LOGC_##e,
    CUSHIM_LOG_CATEGORIES(X)
#undef X
    CUSHIM_LOGC_COUNT
} cushim_log_cat;

bool cushim_log_enabled(cushim_log_level level, cushim_log_cat cat);
void cushim_log(cushim_log_level level, cushim_log_cat cat, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cushim_vlog(cushim_log_level level, cushim_log_cat cat, const char *fmt, va_list ap);

/* Print once per distinct `key` for the life of the process (unsupported-call notices). */
void cushim_log_once(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read a cushim environment variable: secure_getenv, so setuid programs ignore them. */
const char *cushim_getenv(const char *name);

#define CUSHIM_ERROR(cat, ...) cushim_log(CUSHIM_LOG_ERROR, CUSHIM_LOGC_##cat, __VA_ARGS__)
#define CUSHIM_WARN(cat, ...) cushim_log(CUSHIM_LOG_WARN, CUSHIM_LOGC_##cat, __VA_ARGS__)
#define CUSHIM_INFO(cat, ...) \
    do { if (cushim_log_enabled(CUSHIM_LOG_INFO, CUSHIM_LOGC_##cat)) \
        cushim_log(CUSHIM_LOG_INFO, CUSHIM_LOGC_##cat, __VA_ARGS__); } while (0)
#define CUSHIM_DEBUG(cat, ...) \
    do { if (cushim_log_enabled(CUSHIM_LOG_DEBUG, CUSHIM_LOGC_##cat)) \
        cushim_log(CUSHIM_LOG_DEBUG, CUSHIM_LOGC_##cat, __VA_ARGS__); } while (0)

#endif
