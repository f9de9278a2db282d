/* log.c: implementation of log.h: CUSHIM_LOG parsing, stderr output, once-only notices. */
#include "config.h"

#include "shim/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

static const char *const category_names[] = {
#define X(e, s) s,
    CUSHIM_LOG_CATEGORIES(X)
#undef X
};

static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static cushim_log_level max_level = CUSHIM_LOG_WARN;
static unsigned category_mask = ~0u; /* all, unless CUSHIM_LOG names some */

const char *cushim_getenv(const char *name)
{
    return secure_getenv(name);
}

static void parse_log_setting(void)
{
    const char *spec = cushim_getenv("CUSHIM_LOG");
    if (!spec || !*spec)
        return;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    unsigned named = 0;
    bool level_given = false;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        static const char *const levels[] = {"error", "warn", "info", "debug"};
        bool matched = false;
        for (unsigned i = 0; i < 4; i++) {
            if (strcmp(tok, levels[i]) == 0) {
                max_level = (cushim_log_level)i;
                level_given = matched = true;
            }
        }
        if (strcmp(tok, "all") == 0) {
            named = ~0u;
            matched = true;
        }
        for (unsigned c = 0; c < CUSHIM_LOGC_COUNT; c++) {
            if (strcmp(tok, category_names[c]) == 0) {
                named |= 1u << c;
                matched = true;
            }
        }
        if (!matched)
            fprintf(stderr, "cushim: CUSHIM_LOG: unknown level or category '%s' (ignored)\n", tok);
    }
    if (named) {
        category_mask = named;
        if (!level_given) /* naming categories alone means: show their debug output */
            max_level = CUSHIM_LOG_DEBUG;
    }
}

bool cushim_log_enabled(cushim_log_level level, cushim_log_cat cat)
{
    pthread_once(&config_once, parse_log_setting);
    if (level <= CUSHIM_LOG_WARN)
        return true;
    return level <= max_level && (category_mask & (1u << cat));
}

void cushim_vlog(cushim_log_level level, cushim_log_cat cat, const char *fmt, va_list ap)
{
    if (!cushim_log_enabled(level, cat))
        return;
    /* One fprintf per message so lines from concurrent threads do not interleave. */
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    static const char *const level_tags[] = {"error: ", "warning: ", "", ""};
    fprintf(stderr, "cushim: %s%s\n", level_tags[level], msg);
}

void cushim_log(cushim_log_level level, cushim_log_cat cat, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cushim_vlog(level, cat, fmt, ap);
    va_end(ap);
}

struct once_key {
    UT_hash_handle hh;
    char key[];
};

static pthread_mutex_t once_lock = PTHREAD_MUTEX_INITIALIZER;
static struct once_key *once_seen;

void cushim_log_once(const char *key, const char *fmt, ...)
{
    bool first = false;
    pthread_mutex_lock(&once_lock);
    struct once_key *k = NULL;
    HASH_FIND_STR(once_seen, key, k);
    if (!k) {
        size_t n = strlen(key) + 1;
        k = malloc(sizeof *k + n);
        if (k) {
            memcpy(k->key, key, n);
            HASH_ADD_STR(once_seen, key, k);
        }
        first = true; /* print even when out of memory; only the memory of it is lost */
    }
    pthread_mutex_unlock(&once_lock);
    if (!first)
        return;
    va_list ap;
    va_start(ap, fmt);
    cushim_vlog(CUSHIM_LOG_WARN, CUSHIM_LOGC_API, fmt, ap);
    va_end(ap);
}
