/* html.c: run, triage and comparison reports as one self-contained HTML page: inline
 * CSS, inline SVG charts, a small inline script (sortable tables), no external URL, so
 * the file opens offline and can be mailed or archived as it is. Numbers are formatted
 * by the same functions as the terminal tables, so both say the same thing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/report.h"

/* Bars shown per chart: the rest is in the tables below it. */
#define CHART_MAX_BARS 30

static void esc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out); break;
        }
    }
}

static const char page_style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}"
    ".meta{color:#5a6275}.warn{color:#9a4b00}"
    "table{border-collapse:collapse;margin:6px 0}"
    "th,td{padding:3px 10px;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}"
    "th{background:#f3f5f8;cursor:pointer;user-select:none}td.n,th.n{text-align:right}"
    "td.mono{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}"
    ".cards{display:flex;gap:12px;flex-wrap:wrap}"
    ".card{border:1px solid #e3e6ec;border-radius:6px;padding:8px 14px;min-width:170px}"
    ".card b{display:block;font-size:20px}"
    "svg text{font:12px system-ui,sans-serif;fill:#1d2330}"
    ".bar-a{fill:#3b6fd8}.bar-b{fill:#e08a2c}.bar{fill:#3b6fd8}"
    ".heat td.cell{text-align:center;font-weight:600;min-width:120px}"
    "#js-errors:empty{display:none}#js-errors{color:#b00020;white-space:pre-wrap}";

/* Runs first of all: any script error on the page is written into the page itself. */
static const char error_capture_script[] =
    "window.addEventListener('error',function(e){var p=document.getElementById('js-errors');"
    "if(p)p.textContent+='script error: '+e.message+'\\n';});";

/* Click a column heading to sort by it (numbers by their data-v value). */
static const char sort_script[] =
    "(function(){document.querySelectorAll('table.sortable').forEach(function(t){"
    "t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){"
    "var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),"
    "up=th.getAttribute('data-up')!=='1';th.setAttribute('data-up',up?'1':'0');"
    "rows.sort(function(a,b){var x=a.cells[i],y=b.cells[i],"
    "u=x.getAttribute('data-v'),v=y.getAttribute('data-v'),r;"
    "if(u!==null&&v!==null)r=parseFloat(u)-parseFloat(v);"
    "else r=x.textContent.localeCompare(y.textContent);return up?r:-r;});"
    "rows.forEach(function(r){body.appendChild(r);});});});});"
    "document.body.setAttribute('data-script','ok');})();";

typedef struct page {
    FILE *out;
    char tmp[4096];
    const char *path;
} page;

static bool page_open(page *p, const char *path, const char *title, char *err, size_t errlen)
{
    p->path = path;
    if (snprintf(p->tmp, sizeof p->tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof p->tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return false;
    }
    int fd = mkstemp(p->tmp);
    if (fd < 0 || !(p->out = fdopen(fd, "w"))) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(p->tmp);
        }
        return false;
    }
    FILE *o = p->out;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n<title>", o);
    esc(o, title);
    fprintf(o, "</title>\n<style>%s</style>\n<script>%s</script>\n</head><body>\n"
            "<pre id=\"js-errors\"></pre>\n", page_style, error_capture_script);
    return true;
}

static int page_close(page *p, char *err, size_t errlen)
{
    fprintf(p->out, "<script>%s</script>\n</body></html>\n", sort_script);
    bool bad = ferror(p->out) != 0;
    if (fclose(p->out) != 0)
        bad = true;
    if (!bad && chmod(p->tmp, 0644) != 0)
        bad = true;
    if (bad || rename(p->tmp, p->path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", p->path, strerror(errno ? errno : EIO));
        unlink(p->tmp);
        return -1;
    }
    return 0;
}

static void card(FILE *o, const char *label, const char *value, const char *sub)
{
    fputs("<div class=\"card\">", o);
    esc(o, label);
    fputs("<b>", o);
    esc(o, value);
    fputs("</b>", o);
    if (sub) {
        fputs("<span class=\"meta\">", o);
        esc(o, sub);
        fputs("</span>", o);
    }
    fputs("</div>\n", o);
}

static void td_text(FILE *o, const char *s, const char *cls)
{
    fprintf(o, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    esc(o, s);
    fputs("</td>", o);
}

static void td_count(FILE *o, uint64_t v)
{
    fprintf(o, "<td class=\"n\" data-v=\"%llu\">%llu</td>", (unsigned long long)v,
            (unsigned long long)v);
}

static void td_duration(FILE *o, uint64_t ns)
{
    char buf[32];
    report_fmt_duration(ns, buf, sizeof buf);
    fprintf(o, "<td class=\"n\" data-v=\"%llu\">%s</td>", (unsigned long long)ns, buf);
}

static void th_row(FILE *o, const char *const *names, const char *numeric)
{
    fputs("<thead><tr>", o);
    for (size_t i = 0; names[i]; i++) {
        fprintf(o, "<th%s>", numeric[i] == 'n' ? " class=\"n\"" : "");
        esc(o, names[i]);
        fputs("</th>", o);
    }
    fputs("</tr></thead>\n<tbody>\n", o);
}

/* A horizontal bar chart: one bar per label, or two (A and B) when `second` is given. */
static void svg_bars(FILE *o, const char *title, const char *const *labels,
                     const uint64_t *first, const uint64_t *second, size_t n)
{
    if (n > CHART_MAX_BARS)
        n = CHART_MAX_BARS;
    uint64_t top = 1;
    for (size_t i = 0; i < n; i++) {
        if (first[i] > top)
            top = first[i];
        if (second && second[i] > top)
            top = second[i];
    }
    const int label_w = 260, bar_w = 420, value_w = 90, bar_h = 14;
    const int row_h = second ? 2 * bar_h + 10 : bar_h + 8;
    int height = (int)n * row_h + (second ? 28 : 8);
    fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"", label_w + bar_w + value_w, height);
    esc(o, title);
    fputs("\">\n", o);
    int y = 4;
    if (second) {
        fprintf(o, "<rect class=\"bar-a\" x=\"%d\" y=\"4\" width=\"12\" height=\"12\"/>"
                "<text x=\"%d\" y=\"14\">A</text><rect class=\"bar-b\" x=\"%d\" y=\"4\" "
                "width=\"12\" height=\"12\"/><text x=\"%d\" y=\"14\">B</text>\n",
                label_w, label_w + 16, label_w + 40, label_w + 56);
        y = 24;
    }
    for (size_t i = 0; i < n; i++, y += row_h) {
        char value[32];
        fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8, y + bar_h - 3);
        /* Long names keep their head and their tail. */
        size_t len = strlen(labels[i]);
        if (len > 40) {
            char shortened[48];
            snprintf(shortened, sizeof shortened, "%.18s...%s", labels[i], labels[i] + len - 18);
            esc(o, shortened);
        } else {
            esc(o, labels[i]);
        }
        fputs("</text>\n", o);
        for (int s = 0; s < (second ? 2 : 1); s++) {
            uint64_t v = s ? second[i] : first[i];
            int w = (int)((double)v / (double)top * bar_w);
            int by = y + s * (bar_h + 2);
            report_fmt_duration(v, value, sizeof value);
            fprintf(o, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\">"
                    "<title>%s</title></rect><text x=\"%d\" y=\"%d\">%s</text>\n",
                    second ? (s ? "bar-b" : "bar-a") : "bar", label_w, by, w > 0 ? w : 1, bar_h,
                    value, label_w + w + 6, by + bar_h - 3, value);
        }
    }
    fputs("</svg>\n", o);
}

static void friction_cards(FILE *o, const char *who, const report_friction *f, const char *what,
                           const char *weighted_what)
{
    char v[32], sub[96], label[96];
    report_fmt_share(f->distinct_supported, f->distinct_used, v, sizeof v);
    snprintf(sub, sizeof sub, "%llu of %llu", (unsigned long long)f->distinct_supported,
             (unsigned long long)f->distinct_used);
    snprintf(label, sizeof label, "%s%s", who, what);
    card(o, label, v, sub);
    report_fmt_share(f->weighted_supported, f->weighted_used, v, sizeof v);
    snprintf(sub, sizeof sub, "%llu of %llu", (unsigned long long)f->weighted_supported,
             (unsigned long long)f->weighted_used);
    snprintf(label, sizeof label, "%s%s", who, weighted_what);
    card(o, label, v, sub);
}

static int by_kernel_time(const void *x, const void *y)
{
    const run_kernel *a = *(const run_kernel *const *)x, *b = *(const run_kernel *const *)y;
    return a->total_ns != b->total_ns ? (a->total_ns > b->total_ns ? -1 : 1) : strcmp(a->name, b->name);
}

static int by_api_time(const void *x, const void *y)
{
    const run_api *a = *(const run_api *const *)x, *b = *(const run_api *const *)y;
    return a->total_ns != b->total_ns ? (a->total_ns > b->total_ns ? -1 : 1) : strcmp(a->name, b->name);
}

/* ---- run ----------------------------------------------------------------------------- */

int report_html_run(const char *path, const run_report *r, char *err, size_t errlen)
{
    page p;
    char title[600], a[32], b[32];
    snprintf(title, sizeof title, "cushim run report: %s on %s", r->argv0, r->backend);
    if (!page_open(&p, path, title, err, errlen))
        return -1;
    FILE *o = p.out;
    fputs("<h1>", o);
    esc(o, title);
    fputs("</h1>\n<p class=\"meta\">", o);
    esc(o, r->generator);
    fprintf(o, ", pid %lld, ", (long long)r->pid);
    if (r->exited)
        fprintf(o, "exit status %lld", (long long)r->exit_status);
    else {
        fputs("killed by ", o);
        esc(o, r->exit_signal ? r->exit_signal : "a signal");
    }
    for (size_t i = 0; i < r->ndevices; i++) {
        report_fmt_bytes(r->devices[i].total_memory, a, sizeof a);
        fprintf(o, "<br>device %lld: ", (long long)r->devices[i].index);
        esc(o, r->devices[i].name);
        fprintf(o, ", %s", a);
    }
    fputs("</p>\n", o);
    if (!r->complete)
        fputs("<p class=\"warn\">Incomplete: written while the process died; counts are what was "
              "known then.</p>\n", o);

    report_friction fr;
    report_friction_run(r, &fr);
    fputs("<h2>Porting friction</h2>\n<div class=\"cards\">\n", o);
    friction_cards(o, "", &fr, "distinct APIs and kernels supported", "calls and launches supported");
    report_fmt_duration(r->wall_ns, a, sizeof a);
    card(o, "wall time", a, NULL);
    report_fmt_duration(report_kernel_time(r), a, sizeof a);
    card(o, "kernel time", a, NULL);
    report_fmt_bytes(r->high_water, b, sizeof b);
    card(o, "device memory high-water", b, NULL);
    fputs("</div>\n", o);

    const run_kernel **ks = calloc(r->nkernels ? r->nkernels : 1, sizeof *ks);
    const char **labels = calloc(r->nkernels + r->napis + 1, sizeof *labels);
    uint64_t *values = calloc(r->nkernels + r->napis + 1, sizeof *values);
    char (*names)[128] = calloc(r->nkernels + 1, sizeof *names);
    const run_api **as = calloc(r->napis ? r->napis : 1, sizeof *as);
    if (!ks || !labels || !values || !names || !as) {
        free(ks), free(labels), free(values), free(names), free(as);
        fclose(o);
        unlink(p.tmp);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (size_t i = 0; i < r->nkernels; i++)
        ks[i] = &r->kernels[i];
    qsort(ks, r->nkernels, sizeof *ks, by_kernel_time);
    for (size_t i = 0; i < r->napis; i++)
        as[i] = &r->apis[i];
    qsort(as, r->napis, sizeof *as, by_api_time);

    fprintf(o, "<h2>Kernel time (%zu kernels)</h2>\n", r->nkernels);
    for (size_t i = 0; i < r->nkernels; i++) {
        report_kernel_short_name(ks[i]->name, names[i], sizeof names[i]);
        labels[i] = names[i];
        values[i] = ks[i]->total_ns;
    }
    if (r->nkernels)
        svg_bars(o, "kernel time", labels, values, NULL, r->nkernels);
    fputs("<table class=\"sortable\" id=\"kernels\">", o);
    const char *kh[] = {"kernel", "status", "launches", "refused", "faults", "time", "mean",
                        "compile", "mangled name", NULL};
    th_row(o, kh, "llnnnnnnl");
    for (size_t i = 0; i < r->nkernels; i++) {
        const run_kernel *k = ks[i];
        /* The reason a kernel cannot run stays in its own row, so sorting keeps it. */
        fputs("<tr><td>", o);
        esc(o, names[i]);
        if (k->message || k->first_fault || k->error) {
            fputs("<br><span class=\"meta\">", o);
            esc(o, k->message ? k->message : k->first_fault ? k->first_fault : k->error);
            fputs("</span>", o);
        }
        fputs("</td>", o);
        td_text(o, k->status, NULL);
        td_count(o, k->launches);
        td_count(o, k->refused);
        td_count(o, k->faults);
        td_duration(o, k->total_ns);
        td_duration(o, k->launches ? k->total_ns / k->launches : 0);
        if (k->has_compile)
            td_duration(o, k->compile_ns);
        else
            fputs("<td class=\"n\" data-v=\"0\">-</td>", o);
        td_text(o, k->name, "mono");
        fputs("</tr>\n", o);
    }
    fputs("</tbody></table>\n", o);

    uint64_t calls = 0;
    for (size_t i = 0; i < r->napis; i++)
        calls += r->apis[i].calls;
    fprintf(o, "<h2>API calls (%zu functions, %llu calls)</h2>\n", r->napis, (unsigned long long)calls);
    for (size_t i = 0; i < r->napis; i++) {
        labels[i] = as[i]->name;
        values[i] = as[i]->total_ns;
    }
    if (r->napis)
        svg_bars(o, "API time", labels, values, NULL, r->napis);
    fputs("<table class=\"sortable\" id=\"api\">", o);
    const char *ah[] = {"function", "calls", "errors", "time", "mean", "status", NULL};
    th_row(o, ah, "lnnnnl");
    for (size_t i = 0; i < r->napis; i++) {
        const run_api *x = as[i];
        fputs("<tr>", o);
        td_text(o, x->name, NULL);
        td_count(o, x->calls);
        td_count(o, x->errors);
        td_duration(o, x->total_ns);
        td_duration(o, x->calls ? x->total_ns / x->calls : 0);
        td_text(o, x->status, NULL);
        fputs("</tr>\n", o);
    }
    fputs("</tbody></table>\n", o);

    fprintf(o, "<h2>Unsupported features met (%zu)</h2>\n", r->nfeatures);
    if (r->nfeatures) {
        fputs("<table class=\"sortable\" id=\"unsupported\">", o);
        const char *fh[] = {"name", "kind", "count", "first at", "first where", "detail", NULL};
        th_row(o, fh, "llnnll");
        for (size_t i = 0; i < r->nfeatures; i++) {
            const run_feature *f = &r->features[i];
            fputs("<tr>", o);
            td_text(o, f->name, "mono");
            td_text(o, f->kind, NULL);
            td_count(o, f->count);
            td_duration(o, f->first_ns);
            td_text(o, f->first_where ? f->first_where : "-", "mono");
            td_text(o, f->detail ? f->detail : "", "mono");
            fputs("</tr>\n", o);
        }
        fputs("</tbody></table>\n", o);
    } else {
        fputs("<p>None.</p>\n", o);
    }
    free(ks), free(labels), free(values), free(names), free(as);
    return page_close(&p, err, errlen);
}

/* ---- triage -------------------------------------------------------------------------- */

/* Red (0%) through amber to green (100%); grey when nothing was judged. */
static void heat_colour(double share, char *buf, size_t len)
{
    if (share < 0)
        snprintf(buf, len, "#eceff3");
    else
        snprintf(buf, len, "hsl(%d,65%%,78%%)", (int)(share * 1.2));
}

int report_html_triage(const char *path, const triage_report *t, char *err, size_t errlen)
{
    page p;
    if (!page_open(&p, path, "cushim triage report", err, errlen))
        return -1;
    FILE *o = p.out;
    size_t cuda = 0;
    for (size_t i = 0; i < t->nfiles; i++)
        cuda += t->files[i].cuda;
    fputs("<h1>cushim triage report</h1>\n<p class=\"meta\">", o);
    fprintf(o, "%zu files (%zu with CUDA), scanned in %.1f s by ", t->nfiles, cuda, t->seconds);
    esc(o, t->generator);
    fputs("</p>\n<h2>Porting friction</h2>\n<div class=\"cards\">\n", o);
    for (size_t b = 0; b < t->nbackends; b++) {
        if (!t->selected[b])
            continue;
        report_friction fr;
        report_friction_triage(t, NULL, b, &fr);
        char who[96];
        snprintf(who, sizeof who, "%s: ", t->backend[b]);
        friction_cards(o, who, &fr, "distinct APIs and PTX forms supported",
                       "imports and PTX instructions supported");
    }
    fputs("</div>\n<h2>Support matrix</h2>\n<p class=\"meta\">Verdict per binary and backend; "
          "the colour is the share of distinct APIs and PTX instruction forms the backend "
          "supports.</p>\n<table class=\"heat sortable\" id=\"matrix\">", o);
    fputs("<thead><tr><th>binary</th><th class=\"n\">kernels</th>", o);
    for (size_t b = 0; b < t->nbackends; b++)
        if (t->selected[b]) {
            fputs("<th>", o);
            esc(o, t->backend[b]);
            fputs("</th>", o);
        }
    fputs("</tr></thead>\n<tbody>\n", o);
    for (size_t i = 0; i < t->nfiles; i++) {
        const triage_report_file *f = &t->files[i];
        if (!f->cuda)
            continue;
        fputs("<tr>", o);
        td_text(o, f->path, "mono");
        td_count(o, f->kernels);
        for (size_t b = 0; b < t->nbackends; b++) {
            if (!t->selected[b])
                continue;
            report_friction fr;
            report_friction_triage(t, f, b, &fr);
            double share = report_share(fr.distinct_supported, fr.distinct_used);
            char colour[48], pct[16];
            heat_colour(share, colour, sizeof colour);
            report_fmt_share(fr.distinct_supported, fr.distinct_used, pct, sizeof pct);
            fprintf(o, "<td class=\"cell\" style=\"background:%s\" data-v=\"%.3f\">", colour, share);
            esc(o, f->verdict[b]);
            fprintf(o, "<br>%s</td>", pct);
        }
        fputs("</tr>\n", o);
    }
    fputs("</tbody></table>\n", o);
    if (!cuda)
        fputs("<p>No CUDA files.</p>\n", o);

    report_usage_item *items = NULL;
    size_t n = report_triage_feature_usage(t, &items);
    fprintf(o, "<h2>Feature usage (%zu categories)</h2>\n", n);
    if (n) {
        size_t shown = n < CHART_MAX_BARS ? n : CHART_MAX_BARS;
        uint64_t top = items[0].count ? items[0].count : 1;
        int height = (int)shown * 22 + 8;
        fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"%d\" "
                "role=\"img\" aria-label=\"feature usage\">\n", height);
        for (size_t i = 0; i < shown; i++) {
            int y = 4 + (int)i * 22, w = (int)((double)items[i].count / (double)top * 420);
            fprintf(o, "<text x=\"252\" y=\"%d\" text-anchor=\"end\">", y + 12);
            esc(o, items[i].name);
            fprintf(o, "</text><rect class=\"bar\" x=\"260\" y=\"%d\" width=\"%d\" height=\"14\"/>"
                    "<text x=\"%d\" y=\"%d\">%llu</text>\n", y, w > 0 ? w : 1, 266 + w, y + 12,
                    (unsigned long long)items[i].count);
        }
        fputs("</svg>\n", o);
    }
    free(items);

    fputs("<h2>Blockers</h2>\n", o);
    size_t blockers = 0;
    for (size_t i = 0; i < t->nfiles; i++) {
        const triage_report_file *f = &t->files[i];
        for (size_t b = 0; b < t->nbackends; b++) {
            if (!t->selected[b])
                continue;
            const rjson *bl = rjson_get(rjson_get(f->verdicts, t->backend[b]), "blockers");
            for (size_t j = 0; bl && j < bl->count; j++) {
                if (!blockers++) {
                    fputs("<table class=\"sortable\" id=\"blockers\">", o);
                    const char *bh[] = {"binary", "backend", "category", "message", NULL};
                    th_row(o, bh, "llll");
                }
                fputs("<tr>", o);
                td_text(o, f->path, "mono");
                td_text(o, t->backend[b], NULL);
                td_text(o, rjson_get(&bl->items[j], "category")->string, NULL);
                td_text(o, rjson_get(&bl->items[j], "message")->string, "mono");
                fputs("</tr>\n", o);
            }
        }
    }
    fputs(blockers ? "</tbody></table>\n" : "<p>None.</p>\n", o);
    return page_close(&p, err, errlen);
}

/* ---- compare ------------------------------------------------------------------------- */

static const run_kernel *kernel_named(const run_report *r, const char *name)
{
    for (size_t i = 0; i < r->nkernels; i++)
        if (strcmp(r->kernels[i].name, name) == 0)
            return &r->kernels[i];
    return NULL;
}

static const run_api *api_named(const run_report *r, const char *name, const char *nodes)
{
    for (size_t i = 0; i < r->napis; i++)
        if (strcmp(r->apis[i].name, name) == 0 && strcmp(r->apis[i].nodes, nodes) == 0)
            return &r->apis[i];
    return NULL;
}

static bool feature_met(const run_report *r, const char *kind, const char *name)
{
    for (size_t i = 0; i < r->nfeatures; i++)
        if (strcmp(r->features[i].kind, kind) == 0 && strcmp(r->features[i].name, name) == 0)
            return true;
    return false;
}

static void td_ratio(FILE *o, uint64_t a, uint64_t b)
{
    char buf[32];
    report_fmt_ratio(a, b, buf, sizeof buf);
    fprintf(o, "<td class=\"n\" data-v=\"%.6f\">%s</td>", a ? (double)b / (double)a : 0.0, buf);
}

int report_html_compare(const char *path, const run_report *a, const run_report *b, char *err,
                        size_t errlen)
{
    page p;
    char title[700];
    snprintf(title, sizeof title, "cushim comparison: %s on %s vs %s", a->argv0, a->backend,
             b->backend);
    if (!page_open(&p, path, title, err, errlen))
        return -1;
    FILE *o = p.out;
    fputs("<h1>", o);
    esc(o, title);
    fputs("</h1>\n<p class=\"meta\">A: ", o);
    esc(o, a->path);
    fputs(" (", o);
    esc(o, a->backend);
    fputs(")<br>B: ", o);
    esc(o, b->path);
    fputs(" (", o);
    esc(o, b->backend);
    fputs(")</p>\n", o);

    report_friction fa, fb;
    report_friction_run(a, &fa);
    report_friction_run(b, &fb);
    uint64_t ka = report_kernel_time(a), kb = report_kernel_time(b);
    char v[32];
    fputs("<h2>Porting friction</h2>\n<div class=\"cards\">\n", o);
    friction_cards(o, "A: ", &fa, "distinct APIs and kernels supported", "calls and launches supported");
    friction_cards(o, "B: ", &fb, "distinct APIs and kernels supported", "calls and launches supported");
    report_fmt_ratio(ka, kb, v, sizeof v);
    card(o, "kernel time ratio B/A", v, NULL);
    report_fmt_ratio(a->wall_ns, b->wall_ns, v, sizeof v);
    card(o, "wall time ratio B/A", v, NULL);
    fputs("</div>\n", o);

    fputs("<h2>Time</h2>\n<table id=\"times\"><thead><tr><th></th><th class=\"n\">A</th>"
          "<th class=\"n\">B</th><th class=\"n\">B/A</th></tr></thead><tbody>\n", o);
    const uint64_t rows[3][2] = {{a->wall_ns, b->wall_ns}, {ka, kb},
                                 {report_api_time(a), report_api_time(b)}};
    const char *row_names[3] = {"wall time", "kernel time", "API time"};
    for (int i = 0; i < 3; i++) {
        fputs("<tr>", o);
        td_text(o, row_names[i], NULL);
        td_duration(o, rows[i][0]);
        td_duration(o, rows[i][1]);
        td_ratio(o, rows[i][0], rows[i][1]);
        fputs("</tr>\n", o);
    }
    fputs("</tbody></table>\n", o);

    /* Kernels present on either side, A's order first. */
    size_t nk = a->nkernels + b->nkernels, na = a->napis + b->napis, k = 0, m = 0;
    const char **labels = calloc(nk + na + 1, sizeof *labels);
    const char **full = calloc(nk + 1, sizeof *full);
    char (*names)[128] = calloc(nk + 1, sizeof *names);
    uint64_t *va = calloc(nk + na + 1, sizeof *va), *vb = calloc(nk + na + 1, sizeof *vb);
    const run_api **apis = calloc(na + 1, sizeof *apis);
    if (!labels || !full || !names || !va || !vb || !apis) {
        free(labels), free(full), free(names), free(va), free(vb), free(apis);
        fclose(o);
        unlink(p.tmp);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (int side = 0; side < 2; side++) {
        const run_report *r = side ? b : a;
        for (size_t i = 0; i < r->nkernels; i++) {
            if (side && kernel_named(a, r->kernels[i].name))
                continue;
            const run_kernel *x = kernel_named(a, r->kernels[i].name);
            const run_kernel *y = kernel_named(b, r->kernels[i].name);
            full[k] = r->kernels[i].name;
            report_kernel_short_name(full[k], names[k], sizeof names[k]);
            labels[k] = names[k];
            va[k] = x ? x->total_ns : 0;
            vb[k] = y ? y->total_ns : 0;
            k++;
        }
    }
    fprintf(o, "<h2>Kernels (%zu)</h2>\n", k);
    if (k)
        svg_bars(o, "kernel time, A and B", labels, va, vb, k);
    fputs("<table class=\"sortable\" id=\"kernels\">", o);
    const char *kh[] = {"kernel", "A status", "B status", "A launches", "B launches", "A time",
                        "B time", "B/A", NULL};
    th_row(o, kh, "lllnnnnn");
    for (size_t i = 0; i < k; i++) {
        const run_kernel *x = kernel_named(a, full[i]), *y = kernel_named(b, full[i]);
        fputs("<tr>", o);
        td_text(o, names[i], NULL);
        td_text(o, x ? x->status : "-", NULL);
        td_text(o, y ? y->status : "-", NULL);
        td_count(o, x ? x->launches : 0);
        td_count(o, y ? y->launches : 0);
        td_duration(o, va[i]);
        td_duration(o, vb[i]);
        if (x && y)
            td_ratio(o, va[i], vb[i]);
        else
            fputs("<td class=\"n\">-</td>", o);
        fputs("</tr>\n", o);
    }
    fputs("</tbody></table>\n", o);

    for (int side = 0; side < 2; side++) {
        const run_report *r = side ? b : a;
        for (size_t i = 0; i < r->napis; i++)
            if (!side || !api_named(a, r->apis[i].name, r->apis[i].nodes))
                apis[m++] = &r->apis[i];
    }
    fprintf(o, "<h2>API calls (%zu functions)</h2>\n", m);
    for (size_t i = 0; i < m; i++) {
        const run_api *x = api_named(a, apis[i]->name, apis[i]->nodes);
        const run_api *y = api_named(b, apis[i]->name, apis[i]->nodes);
        labels[i] = apis[i]->name;
        va[i] = x ? x->total_ns : 0;
        vb[i] = y ? y->total_ns : 0;
    }
    if (m)
        svg_bars(o, "API time, A and B", labels, va, vb, m);
    fputs("<table class=\"sortable\" id=\"api\">", o);
    const char *ah[] = {"function", "A calls", "B calls", "A errors", "B errors", "A time",
                        "B time", "B/A", "differs", NULL};
    th_row(o, ah, "lnnnnnnnl");
    for (size_t i = 0; i < m; i++) {
        const run_api *x = api_named(a, apis[i]->name, apis[i]->nodes);
        const run_api *y = api_named(b, apis[i]->name, apis[i]->nodes);
        bool differs = !x || !y || x->calls != y->calls || x->errors != y->errors;
        fputs("<tr>", o);
        td_text(o, apis[i]->name, NULL);
        td_count(o, x ? x->calls : 0);
        td_count(o, y ? y->calls : 0);
        td_count(o, x ? x->errors : 0);
        td_count(o, y ? y->errors : 0);
        td_duration(o, va[i]);
        td_duration(o, vb[i]);
        if (x && y)
            td_ratio(o, va[i], vb[i]);
        else
            fputs("<td class=\"n\">-</td>", o);
        td_text(o, differs ? "yes" : "", NULL);
        fputs("</tr>\n", o);
    }
    fputs("</tbody></table>\n", o);

    fputs("<h2>Failed on one side only</h2>\n", o);
    size_t shown = 0;
    for (int side = 0; side < 2; side++) {
        const run_report *r = side ? b : a, *other = side ? a : b;
        for (size_t i = 0; i < r->nfeatures; i++) {
            const run_feature *f = &r->features[i];
            if (feature_met(other, f->kind, f->name))
                continue;
            if (!shown++) {
                fputs("<table class=\"sortable\" id=\"one-sided\">", o);
                const char *fh[] = {"side", "kind", "name", "count", "detail", NULL};
                th_row(o, fh, "lllnl");
            }
            fputs("<tr>", o);
            td_text(o, side ? "B" : "A", NULL);
            td_text(o, f->kind, NULL);
            td_text(o, f->name, "mono");
            td_count(o, f->count);
            td_text(o, f->detail ? f->detail : "", "mono");
            fputs("</tr>\n", o);
        }
    }
    fputs(shown ? "</tbody></table>\n" : "<p>Nothing: what failed, failed on both sides.</p>\n", o);
    free(labels), free(full), free(names), free(va), free(vb), free(apis);
    return page_close(&p, err, errlen);
}
