/* report.h: `cushim report` and `cushim compare`: reading run reports (schema
 * "cushim-run/1", written by shim/report.c) and triage reports ("cushim-triage/1",
 * cli/triage_json.c) back, porting friction, and rendering them in the terminal and as
 * one self-contained HTML file (docs/reports.md). */
#ifndef CUSHIM_CLI_REPORT_H
#define CUSHIM_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The commands; argv[0] is "report" / "compare". Exit status 0, 1 when a report cannot
 * be read or the HTML cannot be written, 2 on a usage error. */
int cushim_cmd_report(int argc, char **argv);
int cushim_cmd_compare(int argc, char **argv);

/* ---- JSON reader (report_json.c) -------------------------------------------------
 * A bounded reader for the reports: documents up to RJSON_MAX_BYTES, nesting up to
 * RJSON_MAX_DEPTH, strings with every JSON escape (surrogate pairs included). Errors
 * name the line, column and byte offset where the document stops making sense. */
#define RJSON_MAX_BYTES ((size_t)256 << 20)
#define RJSON_MAX_DEPTH 64

typedef enum rjson_type {
    RJSON_NULL = 0,
    RJSON_BOOL,
    RJSON_NUMBER,
    RJSON_STRING,
    RJSON_ARRAY,
    RJSON_OBJECT,
} rjson_type;

typedef struct rjson rjson;
struct rjson {
    rjson_type type;
    bool boolean;
    double number;
    bool integer;          /* written without fraction or exponent */
    uint64_t u64;          /* exact value of a non-negative integer (when integer) */
    char *string;          /* NUL-terminated; may hold NULs written as \u0000 */
    size_t length;
    rjson *items;          /* array elements, object member values */
    char **keys;           /* object member names, parallel to items */
    size_t count;
    size_t offset;         /* where the value starts in the document: byte, */
    uint32_t line, column; /* line and column (from 1) */
};

/* Parse `len` bytes. Returns the root (free with rjson_free) or NULL with a message
 * "line L, column C (byte B): ..." in err. */
rjson *rjson_parse(const char *text, size_t len, char *err, size_t errlen);
void rjson_free(rjson *v);
/* Object member by name (the first one), NULL when absent or `obj` is no object. */
const rjson *rjson_get(const rjson *obj, const char *key);
const char *rjson_type_name(rjson_type t);
/* Read a whole file (at most RJSON_MAX_BYTES) and parse it; on failure err holds
 * "FILE: why". */
rjson *rjson_load_file(const char *path, char *err, size_t errlen);

/* ---- report models (report_model.c) ---------------------------------------------- */

typedef struct run_api {
    const char *name, *nodes, *status;
    uint64_t calls, errors, total_ns;
} run_api;

typedef struct run_kernel {
    const char *name, *status, *error, *message, *first_fault;
    uint64_t module;
    bool has_compile;
    uint64_t compile_ns, launches, refused, faults, total_ns;
} run_kernel;

typedef struct run_feature {
    const char *kind, *name, *detail, *first_where;
    uint64_t first_ns, count;
} run_feature;

typedef struct run_device {
    int64_t index;
    const char *name;
    uint64_t total_memory, high_water;
} run_device;

/* A run report; its strings live in `doc`. */
typedef struct run_report {
    const char *path;
    rjson *doc;
    const char *generator;
    bool complete;
    const char *argv0, *executable;
    int64_t pid;
    bool exited;              /* exit.status is set (else exit.signal) */
    int64_t exit_status;
    const char *exit_signal;
    uint64_t wall_ns;
    const char *backend, *api_column;
    bool initialised;
    run_device *devices;
    size_t ndevices;
    uint64_t high_water;
    run_api *apis;
    size_t napis;
    run_kernel *kernels;
    size_t nkernels;
    run_feature *features;
    size_t nfeatures;
    uint64_t dropped_kernels, dropped_modules, dropped_features;
} run_report;

#define TRIAGE_REPORT_MAX_BACKENDS 8

typedef struct triage_report_file {
    const char *path;
    bool cuda;
    const char *verdict[TRIAGE_REPORT_MAX_BACKENDS];    /* per backend of the report */
    const rjson *imports;     /* array or NULL; checked: name, status.<backend> */
    const rjson *opcodes;     /* object: opcode form -> count */
    const rjson *features;    /* object: feature category -> count */
    const rjson *verdicts;    /* object: backend -> {verdict, blockers[]} */
    uint64_t kernels;
} triage_report_file;

typedef struct triage_report {
    const char *path;
    rjson *doc;
    const char *generator;
    double seconds;
    const char *backend[TRIAGE_REPORT_MAX_BACKENDS];
    bool selected[TRIAGE_REPORT_MAX_BACKENDS];
    bool translator[TRIAGE_REPORT_MAX_BACKENDS];  /* has a kernel translator */
    size_t nbackends;
    triage_report_file *files;
    size_t nfiles;
} triage_report;

typedef enum report_kind { REPORT_RUN = 1, REPORT_TRIAGE } report_kind;

typedef struct any_report {
    report_kind kind;
    run_report run;
    triage_report triage;
} any_report;

/* Load FILE and check it field by field against its schema. On failure returns false
 * with "FILE: ..." in err (a syntax error's position, or the field that is missing or
 * has the wrong type, as a path like kernels[2].launches). */
bool report_load(const char *path, any_report *out, char *err, size_t errlen);
void report_free(any_report *r);

/* ---- porting friction (report_model.c; defined in docs/reports.md) ----------------- */
typedef struct report_friction {
    uint64_t distinct_used, distinct_supported;   /* APIs and device-code units */
    uint64_t weighted_used, weighted_supported;   /* the same weighted by use */
} report_friction;

void report_friction_run(const run_report *r, report_friction *out);
/* One file on backend column b (index into report backends), or every CUDA file of the
 * report when file is NULL. */
void report_friction_triage(const triage_report *t, const triage_report_file *file, size_t b,
                            report_friction *out);
/* Share in percent; -1 when nothing was used. */
double report_share(uint64_t part, uint64_t whole);

/* Feature categories summed over a triage report's files, by descending count; the
 * array belongs to the caller (names point into the report). */
typedef struct report_usage_item {
    const char *name;
    uint64_t count;
} report_usage_item;
size_t report_triage_feature_usage(const triage_report *t, report_usage_item **out);

/* ---- formatting shared by the terminal and HTML renderers (report_model.c) -------- */
/* "812 ns", "12.3 us", "4.56 ms", "1.23 s". */
void report_fmt_duration(uint64_t ns, char *buf, size_t len);
/* "512 B", "12.0 MiB", "1.5 GiB". */
void report_fmt_bytes(uint64_t bytes, char *buf, size_t len);
/* "2.31x" for b/a; "n/a" when a is 0 (and b is not). */
void report_fmt_ratio(uint64_t a, uint64_t b, char *buf, size_t len);
/* "93.3%" or "n/a". */
void report_fmt_share(uint64_t part, uint64_t whole, char *buf, size_t len);
/* The readable part of a mangled C++ name: "_Z10vector_addPKfS0_Pfi" -> "vector_add",
 * "_ZN2ns6kernelEv" -> "ns::kernel"; anything else is returned as it is. */
void report_kernel_short_name(const char *name, char *buf, size_t len);

/* ---- terminal tables (report.c) ----------------------------------------------------
 * Rows of cells printed in aligned columns; `align` has one 'l' or 'r' per column. Cells
 * are copied; long cells of the first column are shortened in the middle. */
typedef struct report_table {
    size_t ncols;
    const char *align;
    char **cells;          /* nrows * ncols */
    size_t nrows, cap;
} report_table;

void report_table_init(report_table *t, size_t ncols, const char *align);
void report_table_row(report_table *t, const char *const *cells);
void report_table_print(FILE *out, const report_table *t, const char *indent);
void report_table_free(report_table *t);

/* Sums over a run report (compare.c): kernel time, and time spent in API calls. */
uint64_t report_kernel_time(const run_report *r);
uint64_t report_api_time(const run_report *r);

/* ---- rendering ------------------------------------------------------------------- */
void report_render_run(FILE *out, const run_report *r);
void report_render_triage(FILE *out, const triage_report *t);
void report_render_compare(FILE *out, const run_report *a, const run_report *b);

/* HTML (html.c): one self-contained page, written atomically. 0, or -1 with err. */
int report_html_run(const char *path, const run_report *r, char *err, size_t errlen);
int report_html_triage(const char *path, const triage_report *t, char *err, size_t errlen);
int report_html_compare(const char *path, const run_report *a, const run_report *b, char *err,
                        size_t errlen);

#endif
