/* compare.c: `cushim compare A.json B.json [--html OUT]`: two run reports of one
 * program (typically on two backends) side by side: per-kernel time ratio, API call
 * differences, features that failed on one side only, and the porting friction of
 * each side with the time ratio B/A (docs/reports.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"

#define EXIT_USAGE 2

static const run_kernel *find_kernel(const run_report *r, const char *name)
{
    for (size_t i = 0; i < r->nkernels; i++)
        if (strcmp(r->kernels[i].name, name) == 0)
            return &r->kernels[i];
    return NULL;
}

static const run_api *find_api(const run_report *r, const char *name, const char *nodes)
{
    for (size_t i = 0; i < r->napis; i++)
        if (strcmp(r->apis[i].name, name) == 0 && strcmp(r->apis[i].nodes, nodes) == 0)
            return &r->apis[i];
    return NULL;
}

static const run_feature *find_feature(const run_report *r, const char *kind, const char *name)
{
    for (size_t i = 0; i < r->nfeatures; i++)
        if (strcmp(r->features[i].kind, kind) == 0 && strcmp(r->features[i].name, name) == 0)
            return &r->features[i];
    return NULL;
}

uint64_t report_kernel_time(const run_report *r)
{
    uint64_t ns = 0;
    for (size_t i = 0; i < r->nkernels; i++)
        ns += r->kernels[i].total_ns;
    return ns;
}

uint64_t report_api_time(const run_report *r)
{
    uint64_t ns = 0;
    for (size_t i = 0; i < r->napis; i++)
        ns += r->apis[i].total_ns;
    return ns;
}

static void count_cell(uint64_t v, bool present, char *buf, size_t len)
{
    if (present)
        snprintf(buf, len, "%llu", (unsigned long long)v);
    else
        snprintf(buf, len, "-");
}

/* What failed on `has` but not on `lacks`: the unsupported features (APIs, PTX
 * instructions, kernels without usable device code) `lacks` did not meet. Returns how
 * many it printed. */
static size_t print_one_sided(FILE *out, const run_report *has, const run_report *lacks,
                              const char *side)
{
    size_t n = 0;
    for (size_t i = 0; i < has->nfeatures; i++) {
        const run_feature *f = &has->features[i];
        if (find_feature(lacks, f->kind, f->name))
            continue;
        if (!n++)
            fprintf(out, "  failed on %s (%s) only:\n", side, has->backend);
        fprintf(out, "    %s %s: %s (%llu %s)\n", f->kind, f->name,
                f->detail ? f->detail : "not supported", (unsigned long long)f->count,
                f->count == 1 ? "time" : "times");
    }
    return n;
}

void report_render_compare(FILE *out, const run_report *a, const run_report *b)
{
    char s1[32], s2[32], s3[32], s4[32], s5[32], s6[32], s7[32], s8[32], s9[32];
    fprintf(out, "Comparing A: %s (%s on %s) with B: %s (%s on %s)\n", a->path, a->argv0,
            a->backend, b->path, b->argv0, b->backend);
    const char *ea = a->executable ? a->executable : a->argv0;
    const char *eb = b->executable ? b->executable : b->argv0;
    if (strcmp(ea, eb) != 0)
        fprintf(out, "  note: the runs are of different programs (%s, %s): ratios compare "
                "unlike work\n", ea, eb);
    if (!a->complete || !b->complete)
        fprintf(out, "  note: %s is incomplete (the process died): its counts stop there\n",
                !a->complete && !b->complete ? "each report" : !a->complete ? "A" : "B");
    fputc('\n', out);

    report_table t;
    report_table_init(&t, 4, "lrrr");
    const char *head[4] = {"", "A", "B", "B/A"};
    report_table_row(&t, head);
    uint64_t ka = report_kernel_time(a), kb = report_kernel_time(b);
    uint64_t aa = report_api_time(a), ab = report_api_time(b);
    const uint64_t values[3][2] = {{a->wall_ns, b->wall_ns}, {ka, kb}, {aa, ab}};
    const char *labels[3] = {"wall time", "kernel time", "API time"};
    for (int i = 0; i < 3; i++) {
        report_fmt_duration(values[i][0], s1, sizeof s1);
        report_fmt_duration(values[i][1], s2, sizeof s2);
        report_fmt_ratio(values[i][0], values[i][1], s3, sizeof s3);
        const char *row[4] = {labels[i], s1, s2, s3};
        report_table_row(&t, row);
    }
    report_table_print(out, &t, "  ");
    report_table_free(&t);
    fputc('\n', out);

    /* Kernels: A's order, then those only B ran. */
    fprintf(out, "Kernels:\n");
    report_table_init(&t, 8, "lllrrrrr");
    const char *khead[8] = {"KERNEL", "A STATUS", "B STATUS", "A LAUNCHES", "B LAUNCHES", "A TIME",
                            "B TIME", "B/A"};
    report_table_row(&t, khead);
    for (int side = 0; side < 2; side++) {
        const run_report *r = side ? b : a;
        for (size_t i = 0; i < r->nkernels; i++) {
            const char *name = r->kernels[i].name;
            if (side && find_kernel(a, name))
                continue;
            const run_kernel *x = find_kernel(a, name), *y = find_kernel(b, name);
            char shortname[256];
            report_kernel_short_name(name, shortname, sizeof shortname);
            count_cell(x ? x->launches : 0, x, s1, sizeof s1);
            count_cell(y ? y->launches : 0, y, s2, sizeof s2);
            if (x)
                report_fmt_duration(x->total_ns, s3, sizeof s3);
            else
                snprintf(s3, sizeof s3, "-");
            if (y)
                report_fmt_duration(y->total_ns, s4, sizeof s4);
            else
                snprintf(s4, sizeof s4, "-");
            if (x && y)
                report_fmt_ratio(x->total_ns, y->total_ns, s5, sizeof s5);
            else
                snprintf(s5, sizeof s5, "-");
            const char *row[8] = {shortname, x ? x->status : "-", y ? y->status : "-", s1, s2, s3,
                                  s4, s5};
            report_table_row(&t, row);
        }
    }
    if (t.nrows > 1)
        report_table_print(out, &t, "  ");
    else
        fprintf(out, "  none on either side\n");
    report_table_free(&t);
    fputc('\n', out);

    /* API calls: every function either side called; '*' marks a difference in calls or
     * errors, which says the program took another path on one backend. */
    fprintf(out, "API calls (* marks different call or error counts):\n");
    report_table_init(&t, 9, "lrrrrrrrl");
    const char *ahead[9] = {"FUNCTION", "A CALLS", "B CALLS", "A ERRORS", "B ERRORS", "A TIME",
                            "B TIME", "B/A", ""};
    report_table_row(&t, ahead);
    size_t differing = 0;
    for (int side = 0; side < 2; side++) {
        const run_report *r = side ? b : a;
        for (size_t i = 0; i < r->napis; i++) {
            const run_api *p = &r->apis[i];
            if (side && find_api(a, p->name, p->nodes))
                continue;
            const run_api *x = find_api(a, p->name, p->nodes), *y = find_api(b, p->name, p->nodes);
            bool differs = !x || !y || x->calls != y->calls || x->errors != y->errors;
            differing += differs;
            count_cell(x ? x->calls : 0, x, s1, sizeof s1);
            count_cell(y ? y->calls : 0, y, s2, sizeof s2);
            count_cell(x ? x->errors : 0, x, s3, sizeof s3);
            count_cell(y ? y->errors : 0, y, s4, sizeof s4);
            report_fmt_duration(x ? x->total_ns : 0, s5, sizeof s5);
            report_fmt_duration(y ? y->total_ns : 0, s6, sizeof s6);
            if (x && y)
                report_fmt_ratio(x->total_ns, y->total_ns, s7, sizeof s7);
            else
                snprintf(s7, sizeof s7, "-");
            const char *row[9] = {p->name, s1, s2, s3, s4, x ? s5 : "-", y ? s6 : "-", s7,
                                  differs ? "*" : ""};
            report_table_row(&t, row);
        }
    }
    size_t functions = t.nrows - 1;
    if (functions)
        report_table_print(out, &t, "  ");
    else
        fprintf(out, "  none on either side\n");
    report_table_free(&t);
    fprintf(out, "  %zu of %zu functions differ\n\n", differing, functions);

    fprintf(out, "Failed on one side only:\n");
    size_t lines = print_one_sided(out, a, b, "A");
    lines += print_one_sided(out, b, a, "B");
    if (!lines)
        fprintf(out, "  nothing: what failed, failed on both sides\n");
    fputc('\n', out);

    report_friction fa, fb;
    report_friction_run(a, &fa);
    report_friction_run(b, &fb);
    report_fmt_share(fa.distinct_supported, fa.distinct_used, s1, sizeof s1);
    report_fmt_share(fb.distinct_supported, fb.distinct_used, s2, sizeof s2);
    report_fmt_share(fa.weighted_supported, fa.weighted_used, s3, sizeof s3);
    report_fmt_share(fb.weighted_supported, fb.weighted_used, s4, sizeof s4);
    report_fmt_ratio(ka, kb, s8, sizeof s8);
    report_fmt_ratio(a->wall_ns, b->wall_ns, s9, sizeof s9);
    fprintf(out, "Porting friction:\n");
    fprintf(out, "  distinct APIs and kernels supported: A (%s) %s, B (%s) %s\n", a->backend, s1,
            b->backend, s2);
    fprintf(out, "  calls and launches supported:        A (%s) %s, B (%s) %s\n", a->backend, s3,
            b->backend, s4);
    fprintf(out, "  time ratio B/A: kernels %s, wall %s\n", s8, s9);
}

static const char compare_usage[] =
    "Usage: cushim compare A.json B.json [--html OUT.html]\n"
    "Compare two run reports of one program (e.g. on two backends) side by side:\n"
    "kernel times and their ratio B/A, API call differences, features that failed on\n"
    "one side only, and the porting friction of each.\n";

int cushim_cmd_compare(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL}, *html = NULL;
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(compare_usage, stdout);
            return 0;
        }
        if (strcmp(arg, "--html") == 0 || strncmp(arg, "--html=", 7) == 0) {
            html = arg[6] == '=' ? arg + 7 : (i + 1 < argc ? argv[++i] : NULL);
            if (!html || !html[0]) {
                fprintf(stderr, "cushim: compare: --html needs a file name\n\n%s", compare_usage);
                return EXIT_USAGE;
            }
            continue;
        }
        if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "cushim: compare: unknown option '%s'\n\n%s", arg, compare_usage);
            return EXIT_USAGE;
        }
        if (nfiles == 2) {
            fprintf(stderr, "cushim: compare: takes two reports, not more ('%s')\n\n%s", arg,
                    compare_usage);
            return EXIT_USAGE;
        }
        files[nfiles++] = arg;
    }
    if (nfiles != 2) {
        fprintf(stderr, "cushim: compare: needs two run reports\n\n%s", compare_usage);
        return EXIT_USAGE;
    }
    any_report rep[2];
    char err[1024];
    for (int i = 0; i < 2; i++) {
        if (!report_load(files[i], &rep[i], err, sizeof err)) {
            fprintf(stderr, "cushim: %s\n", err);
            if (i)
                report_free(&rep[0]);
            return 1;
        }
        if (rep[i].kind != REPORT_RUN) {
            fprintf(stderr, "cushim: %s: a triage report; compare takes two run reports "
                    "(cushim run --report FILE)\n", files[i]);
            report_free(&rep[i]);
            if (i)
                report_free(&rep[0]);
            return 1;
        }
    }
    int status = 0;
    report_render_compare(stdout, &rep[0].run, &rep[1].run);
    if (html && report_html_compare(html, &rep[0].run, &rep[1].run, err, sizeof err) != 0) {
        fprintf(stderr, "cushim: %s\n", err);
        status = 1;
    }
    report_free(&rep[0]);
    report_free(&rep[1]);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "cushim: compare: cannot write the output\n");
        status = 1;
    }
    return status;
}
