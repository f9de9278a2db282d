/* report.c: `cushim report FILE.json [--html OUT]`: reads a run report or a triage
 * report (by its schema field) and renders it as compact terminal tables, and
 * optionally as one self-contained HTML page (html.c). Also the aligned-table printer
 * the comparison shares. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"

#define EXIT_USAGE 2
/* Widest first column before long names are shortened in the middle. */
#define TABLE_NAME_MAX 48

/* ---- tables ------------------------------------------------------------------------- */

void report_table_init(report_table *t, size_t ncols, const char *align)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->align = align;
}

void report_table_row(report_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
        if (!c)
            return;   /* out of memory: the row is left out of a table on screen */
        t->cells = c;
        t->cap = cap;
    }
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = strdup(cells[i] ? cells[i] : "");
    t->nrows++;
}

/* Display width: bytes that do not continue a UTF-8 sequence. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; s && *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void print_cell(FILE *out, const char *s, size_t width, char align, bool last)
{
    size_t w = text_width(s);
    if (align == 'l' && w > width) {
        /* Shorten in the middle: mangled names differ at both ends. */
        size_t keep = width > 3 ? width - 3 : 0, head = keep / 2, tail = keep - head;
        fprintf(out, "%.*s...%s", (int)head, s, s + strlen(s) - tail);
        return;
    }
    if (align == 'r')
        fprintf(out, "%*s%s", (int)(width - (w < width ? w : width)), "", s);
    else if (last)
        fputs(s, out);
    else
        fprintf(out, "%s%*s", s, (int)(width - (w < width ? w : width)), "");
}

void report_table_print(FILE *out, const report_table *t, const char *indent)
{
    size_t width[16] = {0};
    size_t ncols = t->ncols < 16 ? t->ncols : 16;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            size_t w = text_width(s ? s : "");
            if (w > width[c])
                width[c] = w;
        }
    if (width[0] > TABLE_NAME_MAX)
        width[0] = TABLE_NAME_MAX;
    for (size_t r = 0; r < t->nrows; r++) {
        fputs(indent, out);
        for (size_t c = 0; c < ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            if (c + 1 == ncols && (!s || !s[0]))
                break;   /* no trailing blanks */
            if (c)
                fputs("  ", out);
            print_cell(out, s ? s : "", width[c], t->align[c], c + 1 == ncols);
        }
        fputc('\n', out);
    }
}

void report_table_free(report_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

/* ---- run reports ---------------------------------------------------------------------- */

static int by_api_time(const void *x, const void *y)
{
    const run_api *a = *(const run_api *const *)x, *b = *(const run_api *const *)y;
    if (a->total_ns != b->total_ns)
        return a->total_ns > b->total_ns ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int by_kernel_time(const void *x, const void *y)
{
    const run_kernel *a = *(const run_kernel *const *)x, *b = *(const run_kernel *const *)y;
    if (a->total_ns != b->total_ns)
        return a->total_ns > b->total_ns ? -1 : 1;
    return strcmp(a->name, b->name);
}

static void print_friction_line(FILE *out, const char *label, const report_friction *f)
{
    char d[16], w[16];
    report_fmt_share(f->distinct_supported, f->distinct_used, d, sizeof d);
    report_fmt_share(f->weighted_supported, f->weighted_used, w, sizeof w);
    fprintf(out, "Porting friction%s: %s of distinct APIs and kernels supported (%llu of %llu); "
            "%s of calls and launches (%llu of %llu)\n", label, d,
            (unsigned long long)f->distinct_supported, (unsigned long long)f->distinct_used, w,
            (unsigned long long)f->weighted_supported, (unsigned long long)f->weighted_used);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void report_render_run(FILE *out, const run_report *r)
{
    char a[32], b[32], c[32], d[32], e[32], f[32], g[32];
    report_fmt_duration(r->wall_ns, a, sizeof a);
    fprintf(out, "Run report: %s (pid %lld), ", r->argv0, (long long)r->pid);
    if (r->exited)
        fprintf(out, "exit status %lld, ", (long long)r->exit_status);
    else
        fprintf(out, "killed by %s, ", r->exit_signal ? r->exit_signal : "a signal");
    fprintf(out, "%s wall\n", a);
    fprintf(out, "  %s, backend %s%s\n", r->generator, r->backend,
            r->initialised ? "" : " (never initialised: the program used no device)");
    for (size_t i = 0; i < r->ndevices; i++) {
        report_fmt_bytes(r->devices[i].total_memory, a, sizeof a);
        report_fmt_bytes(r->devices[i].high_water, b, sizeof b);
        fprintf(out, "  device %lld: %s, %s, memory high-water %s\n", (long long)r->devices[i].index,
                r->devices[i].name, a, b);
    }
    if (!r->complete)
        fprintf(out, "  incomplete: written while the process died%s%s; counts are what was "
                "known then\n", r->exit_signal ? " of " : "", r->exit_signal ? r->exit_signal : "");
    if (r->dropped_kernels || r->dropped_modules || r->dropped_features)
        fprintf(out, "  warning: the recorder's tables were full: %llu kernels, %llu modules and "
                "%llu unsupported features are not in this report\n",
                (unsigned long long)r->dropped_kernels, (unsigned long long)r->dropped_modules,
                (unsigned long long)r->dropped_features);
    fputc('\n', out);

    report_friction fr;
    report_friction_run(r, &fr);
    char label[96];
    snprintf(label, sizeof label, " on %s", r->backend);
    print_friction_line(out, label, &fr);
    fputc('\n', out);

    uint64_t calls = 0, errors = 0, ns = 0;
    for (size_t i = 0; i < r->napis; i++) {
        calls += r->apis[i].calls;
        errors += r->apis[i].errors;
        ns += r->apis[i].total_ns;
    }
    report_fmt_duration(ns, a, sizeof a);
    fprintf(out, "API calls: %zu %s, %llu %s, %llu %s, %s\n", r->napis,
            plural(r->napis, "function", "functions"), (unsigned long long)calls,
            plural(calls, "call", "calls"), (unsigned long long)errors,
            plural(errors, "error", "errors"), a);
    if (r->napis) {
        const run_api **order = malloc(r->napis * sizeof *order);
        report_table t;
        report_table_init(&t, 6, "lrrrrl");
        const char *head[6] = {"FUNCTION", "CALLS", "ERRORS", "TIME", "MEAN", "STATUS"};
        report_table_row(&t, head);
        for (size_t i = 0; order && i < r->napis; i++)
            order[i] = &r->apis[i];
        if (order)
            qsort(order, r->napis, sizeof *order, by_api_time);
        for (size_t i = 0; order && i < r->napis; i++) {
            const run_api *x = order[i];
            snprintf(a, sizeof a, "%llu", (unsigned long long)x->calls);
            snprintf(b, sizeof b, "%llu", (unsigned long long)x->errors);
            report_fmt_duration(x->total_ns, c, sizeof c);
            report_fmt_duration(x->calls ? x->total_ns / x->calls : 0, d, sizeof d);
            const char *row[6] = {x->name, a, b, c, d, x->status};
            report_table_row(&t, row);
        }
        report_table_print(out, &t, "  ");
        report_table_free(&t);
        free(order);
    }
    fputc('\n', out);

    uint64_t launches = 0;
    ns = 0;
    for (size_t i = 0; i < r->nkernels; i++) {
        launches += r->kernels[i].launches;
        ns += r->kernels[i].total_ns;
    }
    report_fmt_duration(ns, a, sizeof a);
    fprintf(out, "Kernels: %zu, %llu %s, %s\n", r->nkernels, (unsigned long long)launches,
            plural(launches, "launch", "launches"), a);
    if (r->nkernels) {
        const run_kernel **order = malloc(r->nkernels * sizeof *order);
        report_table t;
        report_table_init(&t, 8, "llrrrrrr");
        const char *head[8] = {"KERNEL", "STATUS", "LAUNCHES", "REFUSED", "FAULTS", "TIME", "MEAN",
                               "COMPILE"};
        report_table_row(&t, head);
        for (size_t i = 0; order && i < r->nkernels; i++)
            order[i] = &r->kernels[i];
        if (order)
            qsort(order, r->nkernels, sizeof *order, by_kernel_time);
        for (size_t i = 0; order && i < r->nkernels; i++) {
            const run_kernel *k = order[i];
            char name[256];
            report_kernel_short_name(k->name, name, sizeof name);
            snprintf(a, sizeof a, "%llu", (unsigned long long)k->launches);
            snprintf(b, sizeof b, "%llu", (unsigned long long)k->refused);
            snprintf(c, sizeof c, "%llu", (unsigned long long)k->faults);
            report_fmt_duration(k->total_ns, d, sizeof d);
            report_fmt_duration(k->launches ? k->total_ns / k->launches : 0, e, sizeof e);
            if (k->has_compile)
                report_fmt_duration(k->compile_ns, f, sizeof f);
            else
                snprintf(f, sizeof f, "-");
            const char *row[8] = {name, k->status, a, b, c, d, e, f};
            report_table_row(&t, row);
        }
        report_table_print(out, &t, "  ");
        report_table_free(&t);
        for (size_t i = 0; order && i < r->nkernels; i++) {
            const run_kernel *k = order[i];
            if (k->message || k->error || k->first_fault)
                fprintf(out, "  %s: %s\n", k->name,
                        k->message ? k->message : k->first_fault ? k->first_fault : k->error);
        }
        free(order);
    }
    fputc('\n', out);

    fprintf(out, "Unsupported features met:%s\n", r->nfeatures ? "" : " none");
    if (r->nfeatures) {
        report_table t;
        report_table_init(&t, 5, "llrrl");
        const char *head[5] = {"NAME", "KIND", "COUNT", "FIRST AT", "FIRST WHERE"};
        report_table_row(&t, head);
        for (size_t i = 0; i < r->nfeatures; i++) {
            const run_feature *x = &r->features[i];
            snprintf(a, sizeof a, "%llu", (unsigned long long)x->count);
            report_fmt_duration(x->first_ns, g, sizeof g);
            const char *row[5] = {x->name, x->kind, a, g, x->first_where ? x->first_where : "-"};
            report_table_row(&t, row);
        }
        report_table_print(out, &t, "  ");
        report_table_free(&t);
    }
}

/* ---- triage reports --------------------------------------------------------------------- */

void report_render_triage(FILE *out, const triage_report *t)
{
    size_t cuda = 0;
    for (size_t i = 0; i < t->nfiles; i++)
        cuda += t->files[i].cuda;
    fprintf(out, "Triage report: %zu %s (%zu with CUDA), scanned in %.1f s by %s\n\n", t->nfiles,
            plural(t->nfiles, "file", "files"), cuda, t->seconds, t->generator);
    size_t cols = 2;
    size_t col_backend[TRIAGE_REPORT_MAX_BACKENDS];
    for (size_t b = 0; b < t->nbackends; b++)
        if (t->selected[b])
            col_backend[cols++ - 2] = b;
    report_table tab;
    char align[16] = "lr";
    for (size_t c = 2; c < cols; c++)
        align[c] = 'l';
    align[cols] = '\0';
    report_table_init(&tab, cols, align);
    const char *head[16] = {"FILE", "KERNELS"};
    for (size_t c = 2; c < cols; c++)
        head[c] = t->backend[col_backend[c - 2]];
    report_table_row(&tab, head);
    char cells[TRIAGE_REPORT_MAX_BACKENDS][48], kernels[24];
    for (size_t i = 0; i < t->nfiles; i++) {
        const triage_report_file *f = &t->files[i];
        if (!f->cuda)
            continue;
        snprintf(kernels, sizeof kernels, "%llu", (unsigned long long)f->kernels);
        const char *row[16] = {f->path, kernels};
        for (size_t c = 2; c < cols; c++) {
            size_t b = col_backend[c - 2];
            report_friction fr;
            report_friction_triage(t, f, b, &fr);
            char share[16];
            report_fmt_share(fr.distinct_supported, fr.distinct_used, share, sizeof share);
            snprintf(cells[c - 2], sizeof cells[c - 2], "%s (%s)", f->verdict[b], share);
            row[c] = cells[c - 2];
        }
        report_table_row(&tab, row);
    }
    if (cuda)
        report_table_print(out, &tab, "  ");
    else
        fprintf(out, "  no CUDA files\n");
    report_table_free(&tab);
    fputc('\n', out);

    report_usage_item *items = NULL;
    size_t n = report_triage_feature_usage(t, &items);
    fprintf(out, "PTX feature usage (instructions and variables, all files):%s\n", n ? "" : " none");
    uint64_t top = n ? items[0].count : 0;
    for (size_t i = 0; i < n; i++) {
        int bar = top ? (int)((items[i].count * 30 + top - 1) / top) : 0;
        fprintf(out, "  %-24s %8llu  %.*s\n", items[i].name, (unsigned long long)items[i].count,
                bar, "##############################");
    }
    free(items);
    fputc('\n', out);
    for (size_t c = 2; c < cols; c++) {
        size_t b = col_backend[c - 2];
        report_friction fr;
        report_friction_triage(t, NULL, b, &fr);
        char d[16], w[16];
        report_fmt_share(fr.distinct_supported, fr.distinct_used, d, sizeof d);
        report_fmt_share(fr.weighted_supported, fr.weighted_used, w, sizeof w);
        fprintf(out, "Porting friction on %s: %s of distinct APIs and PTX instruction forms "
                "supported (%llu of %llu); %s of imports and PTX instructions (%llu of %llu)\n",
                t->backend[b], d, (unsigned long long)fr.distinct_supported,
                (unsigned long long)fr.distinct_used, w, (unsigned long long)fr.weighted_supported,
                (unsigned long long)fr.weighted_used);
    }
}

/* ---- the command -------------------------------------------------------------------------- */

static const char report_usage[] =
    "Usage: cushim report FILE.json [--html OUT.html]\n"
    "Render a run report (cushim run --report) or a triage report (cushim triage --json)\n"
    "as tables, and with --html as one self-contained HTML page.\n";

int cushim_cmd_report(int argc, char **argv)
{
    const char *file = NULL, *html = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(report_usage, stdout);
            return 0;
        }
        if (strcmp(arg, "--html") == 0 || strncmp(arg, "--html=", 7) == 0) {
            html = arg[6] == '=' ? arg + 7 : (i + 1 < argc ? argv[++i] : NULL);
            if (!html || !html[0]) {
                fprintf(stderr, "cushim: report: --html needs a file name\n\n%s", report_usage);
                return EXIT_USAGE;
            }
            continue;
        }
        if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "cushim: report: unknown option '%s'\n\n%s", arg, report_usage);
            return EXIT_USAGE;
        }
        if (file) {
            fprintf(stderr, "cushim: report: one report at a time ('%s' and '%s'); "
                    "use cushim compare for two runs\n\n%s", file, arg, report_usage);
            return EXIT_USAGE;
        }
        file = arg;
    }
    if (!file) {
        fprintf(stderr, "cushim: report: no report given\n\n%s", report_usage);
        return EXIT_USAGE;
    }
    any_report rep;
    char err[1024];
    if (!report_load(file, &rep, err, sizeof err)) {
        fprintf(stderr, "cushim: %s\n", err);
        return 1;
    }
    int status = 0;
    if (rep.kind == REPORT_RUN)
        report_render_run(stdout, &rep.run);
    else
        report_render_triage(stdout, &rep.triage);
    if (html) {
        int rc = rep.kind == REPORT_RUN ? report_html_run(html, &rep.run, err, sizeof err)
                                        : report_html_triage(html, &rep.triage, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "cushim: %s\n", err);
            status = 1;
        }
    }
    report_free(&rep);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "cushim: report: cannot write the output\n");
        status = 1;
    }
    return status;
}
