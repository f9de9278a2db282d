/* report_model.c: run and triage reports read back into plain structures, checked
 * field by field against their schemas (docs/reports.md, docs/triage.md), porting
 * friction, and the number formats every renderer shares. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "cli/triage.h"
#include "shim/report.h"

/* ---- field-by-field checking --------------------------------------------------------- */

typedef struct loader {
    const char *path;
    char *err;
    size_t errlen;
    bool failed;
} loader;

static void load_fail(loader *L, const rjson *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void load_fail(loader *L, const rjson *at, const char *fmt, ...)
{
    if (L->failed)
        return;
    L->failed = true;
    int n = at ? snprintf(L->err, L->errlen, "%s: line %u, column %u: ", L->path, at->line, at->column)
               : snprintf(L->err, L->errlen, "%s: ", L->path);
    if (n < 0 || (size_t)n >= L->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Member `key` of the object `obj` (named `where` in messages) of type `type`; NULL
 * with an error when it is missing or has another type. nullable: null is accepted
 * (and NULL returned without an error). */
static const rjson *field(loader *L, const rjson *obj, const char *where, const char *key,
                          rjson_type type, bool nullable)
{
    if (L->failed)
        return NULL;
    const rjson *v = rjson_get(obj, key);
    if (!v) {
        load_fail(L, obj, "%s%s\"%s\" is missing", where, where[0] ? ": field " : "field ", key);
        return NULL;
    }
    if (v->type == RJSON_NULL && nullable)
        return NULL;
    if (v->type != type) {
        load_fail(L, v, "field %s%s%s: expected %s%s, found %s", where, where[0] ? "." : "", key,
                  rjson_type_name(type), nullable ? " or null" : "", rjson_type_name(v->type));
        return NULL;
    }
    return v;
}

static const char *field_str(loader *L, const rjson *obj, const char *where, const char *key,
                             bool nullable)
{
    const rjson *v = field(L, obj, where, key, RJSON_STRING, nullable);
    return v ? v->string : NULL;
}

static bool field_bool(loader *L, const rjson *obj, const char *where, const char *key)
{
    const rjson *v = field(L, obj, where, key, RJSON_BOOL, false);
    return v ? v->boolean : false;
}

/* A count or a duration: a non-negative integer. */
static uint64_t field_u64(loader *L, const rjson *obj, const char *where, const char *key)
{
    const rjson *v = field(L, obj, where, key, RJSON_NUMBER, false);
    if (!v)
        return 0;
    if (!v->integer) {
        load_fail(L, v, "field %s%s%s: expected a whole number of at most 64 bits, found %g",
                  where, where[0] ? "." : "", key, v->number);
        return 0;
    }
    return v->u64;
}

static bool field_u64_or_null(loader *L, const rjson *obj, const char *where, const char *key,
                              uint64_t *out)
{
    const rjson *v = rjson_get(obj, key);
    if (v && v->type == RJSON_NULL)
        return false;
    *out = field_u64(L, obj, where, key);
    return !L->failed;
}

static int64_t to_i64(loader *L, const rjson *v, const char *where, const char *key)
{
    if (v->number != floor(v->number) || fabs(v->number) > 9.0e15) {
        load_fail(L, v, "field %s%s%s: expected a whole number, found %g", where,
                  where[0] ? "." : "", key, v->number);
        return 0;
    }
    return (int64_t)v->number;
}

static const rjson *field_array(loader *L, const rjson *obj, const char *where, const char *key)
{
    return field(L, obj, where, key, RJSON_ARRAY, false);
}

static void element_name(char *buf, size_t len, const char *array, size_t i)
{
    snprintf(buf, len, "%s[%zu]", array, i);
}

/* The element of an array that must hold objects. */
static const rjson *element_object(loader *L, const rjson *arr, const char *name, size_t i)
{
    const rjson *e = &arr->items[i];
    if (e->type != RJSON_OBJECT) {
        load_fail(L, e, "%s[%zu]: expected an object, found %s", name, i, rjson_type_name(e->type));
        return NULL;
    }
    return e;
}

/* ---- run reports ------------------------------------------------------------------------ */

static bool load_run(loader *L, const rjson *root, run_report *r)
{
    char where[64];
    r->generator = field_str(L, root, "", "generator", false);
    r->complete = field_bool(L, root, "", "complete");
    const rjson *prog = field(L, root, "", "program", RJSON_OBJECT, false);
    r->argv0 = field_str(L, prog, "program", "argv0", false);
    r->executable = field_str(L, prog, "program", "executable", true);
    const rjson *pid = field(L, prog, "program", "pid", RJSON_NUMBER, false);
    if (pid)
        r->pid = to_i64(L, pid, "program", "pid");
    const rjson *ex = field(L, root, "", "exit", RJSON_OBJECT, false);
    const rjson *status = field(L, ex, "exit", "status", RJSON_NUMBER, true);
    r->exit_signal = field_str(L, ex, "exit", "signal", true);
    if (status) {
        r->exited = true;
        r->exit_status = to_i64(L, status, "exit", "status");
    } else if (!L->failed && !r->exit_signal) {
        load_fail(L, ex, "exit: either status or signal must be set");
    }
    r->wall_ns = field_u64(L, root, "", "wall_ns");
    const rjson *be = field(L, root, "", "backend", RJSON_OBJECT, false);
    r->backend = field_str(L, be, "backend", "name", false);
    r->initialised = field_bool(L, be, "backend", "initialised");
    r->api_column = field_str(L, be, "backend", "api_column", false);

    const rjson *devs = field_array(L, root, "", "devices");
    if (devs && devs->count) {
        r->devices = calloc(devs->count, sizeof *r->devices);
        if (!r->devices)
            load_fail(L, NULL, "out of memory");
    }
    for (size_t i = 0; devs && !L->failed && i < devs->count; i++) {
        const rjson *d = element_object(L, devs, "devices", i);
        element_name(where, sizeof where, "devices", i);
        run_device *o = &r->devices[r->ndevices++];
        const rjson *index = field(L, d, where, "index", RJSON_NUMBER, false);
        if (index)
            o->index = to_i64(L, index, where, "index");
        o->name = field_str(L, d, where, "name", false);
        o->total_memory = field_u64(L, d, where, "total_memory");
        o->high_water = field_u64(L, d, where, "memory_high_water");
    }
    const rjson *mem = field(L, root, "", "memory", RJSON_OBJECT, false);
    r->high_water = field_u64(L, mem, "memory", "high_water_bytes");

    const rjson *api = field_array(L, root, "", "api");
    if (api && api->count) {
        r->apis = calloc(api->count, sizeof *r->apis);
        if (!r->apis)
            load_fail(L, NULL, "out of memory");
    }
    for (size_t i = 0; api && !L->failed && i < api->count; i++) {
        const rjson *a = element_object(L, api, "api", i);
        element_name(where, sizeof where, "api", i);
        run_api *o = &r->apis[r->napis++];
        o->name = field_str(L, a, where, "name", false);
        o->nodes = field_str(L, a, where, "nodes", false);
        o->status = field_str(L, a, where, "status", false);
        o->calls = field_u64(L, a, where, "calls");
        o->errors = field_u64(L, a, where, "errors");
        o->total_ns = field_u64(L, a, where, "total_ns");
    }

    const rjson *mods = field_array(L, root, "", "modules");
    for (size_t i = 0; mods && !L->failed && i < mods->count; i++) {
        const rjson *m = element_object(L, mods, "modules", i);
        element_name(where, sizeof where, "modules", i);
        field_u64(L, m, where, "id");
        field_u64(L, m, where, "load_ns");
        field_str(L, m, where, "error", true);
    }

    const rjson *ks = field_array(L, root, "", "kernels");
    if (ks && ks->count) {
        r->kernels = calloc(ks->count, sizeof *r->kernels);
        if (!r->kernels)
            load_fail(L, NULL, "out of memory");
    }
    for (size_t i = 0; ks && !L->failed && i < ks->count; i++) {
        const rjson *k = element_object(L, ks, "kernels", i);
        element_name(where, sizeof where, "kernels", i);
        run_kernel *o = &r->kernels[r->nkernels++];
        o->name = field_str(L, k, where, "name", false);
        o->module = field_u64(L, k, where, "module");
        o->status = field_str(L, k, where, "status", false);
        o->error = field_str(L, k, where, "error", true);
        o->message = field_str(L, k, where, "message", true);
        o->has_compile = field_u64_or_null(L, k, where, "compile_ns", &o->compile_ns);
        o->launches = field_u64(L, k, where, "launches");
        o->refused = field_u64(L, k, where, "refused");
        o->faults = field_u64(L, k, where, "faults");
        o->first_fault = field_str(L, k, where, "first_fault", true);
        o->total_ns = field_u64(L, k, where, "total_ns");
    }

    const rjson *fs = field_array(L, root, "", "unsupported");
    if (fs && fs->count) {
        r->features = calloc(fs->count, sizeof *r->features);
        if (!r->features)
            load_fail(L, NULL, "out of memory");
    }
    for (size_t i = 0; fs && !L->failed && i < fs->count; i++) {
        const rjson *f = element_object(L, fs, "unsupported", i);
        element_name(where, sizeof where, "unsupported", i);
        run_feature *o = &r->features[r->nfeatures++];
        o->kind = field_str(L, f, where, "kind", false);
        o->name = field_str(L, f, where, "name", false);
        o->detail = field_str(L, f, where, "detail", true);
        o->first_where = field_str(L, f, where, "first_where", true);
        o->first_ns = field_u64(L, f, where, "first_ns");
        o->count = field_u64(L, f, where, "count");
    }
    const rjson *dropped = field(L, root, "", "dropped", RJSON_OBJECT, false);
    r->dropped_kernels = field_u64(L, dropped, "dropped", "kernels");
    r->dropped_modules = field_u64(L, dropped, "dropped", "modules");
    r->dropped_features = field_u64(L, dropped, "dropped", "features");
    return !L->failed;
}

/* ---- triage reports --------------------------------------------------------------------- */

static bool load_triage(loader *L, const rjson *root, triage_report *t)
{
    char where[64], sub[160];
    t->generator = field_str(L, root, "", "generator", false);
    const rjson *secs = field(L, root, "", "seconds", RJSON_NUMBER, false);
    t->seconds = secs ? secs->number : 0;
    const rjson *bes = field_array(L, root, "", "backends");
    for (size_t i = 0; bes && !L->failed && i < bes->count; i++) {
        if (i == TRIAGE_REPORT_MAX_BACKENDS) {
            load_fail(L, &bes->items[i], "backends: more than %d backends",
                      TRIAGE_REPORT_MAX_BACKENDS);
            break;
        }
        const rjson *b = element_object(L, bes, "backends", i);
        element_name(where, sizeof where, "backends", i);
        t->backend[i] = field_str(L, b, where, "name", false);
        t->selected[i] = field_bool(L, b, where, "selected");
        t->translator[i] = field_bool(L, b, where, "kernel_translator");
        t->nbackends = i + 1;
    }
    const rjson *files = field_array(L, root, "", "files");
    if (files && files->count) {
        t->files = calloc(files->count, sizeof *t->files);
        if (!t->files)
            load_fail(L, NULL, "out of memory");
    }
    for (size_t i = 0; files && !L->failed && i < files->count; i++) {
        const rjson *f = element_object(L, files, "files", i);
        element_name(where, sizeof where, "files", i);
        triage_report_file *o = &t->files[t->nfiles++];
        o->path = field_str(L, f, where, "path", false);
        o->cuda = field_bool(L, f, where, "cuda");
        const rjson *ks = field_array(L, f, where, "kernels");
        o->kernels = ks ? ks->count : 0;
        o->imports = field(L, f, where, "imports", RJSON_ARRAY, true);
        for (size_t j = 0; o->imports && !L->failed && j < o->imports->count; j++) {
            const rjson *imp = element_object(L, o->imports, "imports", j);
            snprintf(sub, sizeof sub, "%s.imports[%zu]", where, j);
            field_str(L, imp, sub, "name", false);
            const rjson *st = field(L, imp, sub, "status", RJSON_OBJECT, false);
            for (size_t b = 0; st && !L->failed && b < t->nbackends; b++) {
                char sub2[200];
                snprintf(sub2, sizeof sub2, "%s.status", sub);
                field_str(L, st, sub2, t->backend[b], false);
            }
        }
        const rjson *ptx = field(L, f, where, "ptx", RJSON_OBJECT, false);
        snprintf(sub, sizeof sub, "%s.ptx", where);
        o->opcodes = field(L, ptx, sub, "opcodes", RJSON_OBJECT, false);
        o->features = field(L, ptx, sub, "features", RJSON_OBJECT, false);
        const rjson *counted[2] = {o->opcodes, o->features};
        const char *names[2] = {"opcodes", "features"};
        for (int c = 0; c < 2; c++)
            for (size_t j = 0; counted[c] && !L->failed && j < counted[c]->count; j++) {
                const rjson *n = &counted[c]->items[j];
                if (n->type != RJSON_NUMBER || !n->integer)
                    load_fail(L, n, "field %s.%s.\"%s\": expected a count, found %s", sub,
                              names[c], counted[c]->keys[j], rjson_type_name(n->type));
            }
        o->verdicts = field(L, f, where, "verdicts", RJSON_OBJECT, false);
        for (size_t b = 0; o->verdicts && !L->failed && b < t->nbackends; b++) {
            snprintf(sub, sizeof sub, "%s.verdicts", where);
            const rjson *v = field(L, o->verdicts, sub, t->backend[b], RJSON_OBJECT, false);
            snprintf(sub, sizeof sub, "%s.verdicts.%s", where, t->backend[b]);
            o->verdict[b] = field_str(L, v, sub, "verdict", false);
            const rjson *bl = field(L, v, sub, "blockers", RJSON_ARRAY, false);
            for (size_t j = 0; bl && !L->failed && j < bl->count; j++) {
                const rjson *issue = element_object(L, bl, "blockers", j);
                char sub2[200];
                snprintf(sub2, sizeof sub2, "%s.blockers[%zu]", sub, j);
                field_str(L, issue, sub2, "category", false);
                field_str(L, issue, sub2, "message", false);
            }
        }
    }
    return !L->failed;
}

/* Reports are shown on terminals: a control character in a string (a hand-edited
 * escape sequence, a newline in a message) becomes a space, so no string can move the
 * cursor or break a table row. */
static void blank_controls(rjson *v)
{
    for (char *c = v->string; c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    for (size_t i = 0; i < v->count; i++) {
        blank_controls(&v->items[i]);
        if (v->keys)
            for (char *c = v->keys[i]; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                    *c = ' ';
    }
}

bool report_load(const char *path, any_report *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    rjson *doc = rjson_load_file(path, err, errlen);
    if (!doc)
        return false;
    loader L = {.path = path, .err = err, .errlen = errlen};
    blank_controls(doc);
    if (doc->type != RJSON_OBJECT) {
        load_fail(&L, doc, "expected a report object, found %s", rjson_type_name(doc->type));
        rjson_free(doc);
        return false;
    }
    const rjson *schema = rjson_get(doc, "schema");
    if (!schema || schema->type != RJSON_STRING) {
        load_fail(&L, schema ? schema : doc, "no \"schema\" string: not a cushim report "
                  "(expected %s or %s)", CUSHIM_RUN_SCHEMA, TRIAGE_SCHEMA);
        rjson_free(doc);
        return false;
    }
    bool ok;
    if (strcmp(schema->string, CUSHIM_RUN_SCHEMA) == 0) {
        out->kind = REPORT_RUN;
        out->run.path = path;
        out->run.doc = doc;
        ok = load_run(&L, doc, &out->run);
    } else if (strcmp(schema->string, TRIAGE_SCHEMA) == 0) {
        out->kind = REPORT_TRIAGE;
        out->triage.path = path;
        out->triage.doc = doc;
        ok = load_triage(&L, doc, &out->triage);
    } else {
        load_fail(&L, schema, "schema \"%s\" is not one this cushim reads (%s, %s)%s",
                  schema->string, CUSHIM_RUN_SCHEMA, TRIAGE_SCHEMA,
                  strncmp(schema->string, "cushim-", 7) == 0 ? ": written by another version?" : "");
        rjson_free(doc);
        return false;
    }
    if (!ok)
        report_free(out);
    return ok;
}

void report_free(any_report *r)
{
    if (r->kind == REPORT_RUN) {
        free(r->run.devices);
        free(r->run.apis);
        free(r->run.kernels);
        free(r->run.features);
        rjson_free(r->run.doc);
    } else if (r->kind == REPORT_TRIAGE) {
        free(r->triage.files);
        rjson_free(r->triage.doc);
    }
    memset(r, 0, sizeof *r);
}

/* ---- porting friction ------------------------------------------------------------------ */

double report_share(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : -1.0;
}

void report_friction_run(const run_report *r, report_friction *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < r->napis; i++) {
        const run_api *a = &r->apis[i];
        if (!a->calls)
            continue;
        bool ok = strcmp(a->status, "unsupported") != 0;
        out->distinct_used++;
        out->distinct_supported += ok;
        out->weighted_used += a->calls;
        out->weighted_supported += ok ? a->calls : 0;
    }
    for (size_t i = 0; i < r->nkernels; i++) {
        const run_kernel *k = &r->kernels[i];
        bool ok = strcmp(k->status, "translated") == 0;
        uint64_t attempts = k->launches + k->refused;
        out->distinct_used++;
        out->distinct_supported += ok;
        out->weighted_used += attempts;
        out->weighted_supported += ok ? k->launches : 0;
    }
}

/* Is the opcode form quoted by one of the file's ptx-instruction blockers on b? */
static bool opcode_blocked(const triage_report_file *f, const char *backend, const char *opcode)
{
    const rjson *v = rjson_get(f->verdicts, backend);
    const rjson *bl = rjson_get(v, "blockers");
    size_t n = strlen(opcode);
    for (size_t i = 0; bl && i < bl->count; i++) {
        const rjson *cat = rjson_get(&bl->items[i], "category");
        const rjson *msg = rjson_get(&bl->items[i], "message");
        if (!cat || !msg || strcmp(cat->string, "ptx-instruction") != 0)
            continue;
        const char *open = strchr(msg->string, '`');
        if (open && strncmp(open + 1, opcode, n) == 0 && open[1 + n] == '`')
            return true;
    }
    return false;
}

static void friction_of_file(const triage_report *t, const triage_report_file *f, size_t b,
                             report_friction *out)
{
    const char *backend = t->backend[b];
    for (size_t i = 0; f->imports && i < f->imports->count; i++) {
        const rjson *st = rjson_get(rjson_get(&f->imports->items[i], "status"), backend);
        bool ok = st && (strcmp(st->string, "implemented") == 0 || strcmp(st->string, "emulated") == 0);
        out->distinct_used++;
        out->distinct_supported += ok;
        out->weighted_used++;
        out->weighted_supported += ok;
    }
    for (size_t i = 0; f->opcodes && i < f->opcodes->count; i++) {
        /* Without a kernel translator no instruction runs on that backend. */
        bool ok = t->translator[b] && !opcode_blocked(f, backend, f->opcodes->keys[i]);
        uint64_t uses = f->opcodes->items[i].u64;
        out->distinct_used++;
        out->distinct_supported += ok;
        out->weighted_used += uses;
        out->weighted_supported += ok ? uses : 0;
    }
}

void report_friction_triage(const triage_report *t, const triage_report_file *file, size_t b,
                            report_friction *out)
{
    memset(out, 0, sizeof *out);
    if (b >= t->nbackends)
        return;
    if (file) {
        friction_of_file(t, file, b, out);
        return;
    }
    for (size_t i = 0; i < t->nfiles; i++)
        if (t->files[i].cuda)
            friction_of_file(t, &t->files[i], b, out);
}

static int by_count(const void *x, const void *y)
{
    const report_usage_item *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->name, b->name);
}

size_t report_triage_feature_usage(const triage_report *t, report_usage_item **out)
{
    size_t n = 0, cap = 0;
    report_usage_item *items = NULL;
    for (size_t i = 0; i < t->nfiles; i++) {
        const rjson *fs = t->files[i].features;
        for (size_t j = 0; fs && j < fs->count; j++) {
            size_t k = 0;
            while (k < n && strcmp(items[k].name, fs->keys[j]) != 0)
                k++;
            if (k == n) {
                if (n == cap) {
                    size_t c = cap ? cap * 2 : 32;
                    report_usage_item *grown = realloc(items, c * sizeof *grown);
                    if (!grown)
                        break;
                    items = grown;
                    cap = c;
                }
                items[n++] = (report_usage_item){fs->keys[j], 0};
            }
            items[k].count += fs->items[j].u64;
        }
    }
    if (n)
        qsort(items, n, sizeof *items, by_count);
    *out = items;
    return n;
}

/* ---- formats ------------------------------------------------------------------------- */

void report_fmt_duration(uint64_t ns, char *buf, size_t len)
{
    if (ns < 1000)
        snprintf(buf, len, "%llu ns", (unsigned long long)ns);
    else if (ns < 1000000)
        snprintf(buf, len, "%.1f us", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.2f s", (double)ns / 1e9);
}

void report_fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
    const double kib = 1024.0, mib = kib * 1024.0, gib = mib * 1024.0;
    if (bytes < 1024)
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
    else if ((double)bytes < mib)
        snprintf(buf, len, "%.1f KiB", (double)bytes / kib);
    else if ((double)bytes < gib)
        snprintf(buf, len, "%.1f MiB", (double)bytes / mib);
    else
        snprintf(buf, len, "%.1f GiB", (double)bytes / gib);
}

void report_fmt_ratio(uint64_t a, uint64_t b, char *buf, size_t len)
{
    if (!a && !b)
        snprintf(buf, len, "-");
    else if (!a)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.2fx", (double)b / (double)a);
}

void report_fmt_share(uint64_t part, uint64_t whole, char *buf, size_t len)
{
    double s = report_share(part, whole);
    if (s < 0)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.1f%%", s);
}

/* A <length><identifier> component of a mangled name; advances *p. */
static bool mangled_component(const char **p, char *buf, size_t len, size_t *n)
{
    const char *s = *p;
    if (*s < '1' || *s > '9')
        return false;
    unsigned long count = 0;
    while (*s >= '0' && *s <= '9' && count < 4096)
        count = count * 10 + (unsigned long)(*s++ - '0');
    if (strnlen(s, count) < count)
        return false;
    if (*n && *n + 2 < len) {
        buf[(*n)++] = ':';
        buf[(*n)++] = ':';
    }
    for (unsigned long i = 0; i < count && *n + 1 < len; i++)
        buf[(*n)++] = s[i];
    buf[*n] = '\0';
    *p = s + count;
    return true;
}

void report_kernel_short_name(const char *name, char *buf, size_t len)
{
    if (!len)
        return;
    buf[0] = '\0';
    size_t n = 0;
    const char *p = name;
    if (strncmp(p, "_Z", 2) == 0) {
        p += 2;
        if (*p == 'N') {
            p++;
            while (*p == 'K' || *p == 'V' || *p == 'r')
                p++;
            bool any = false;
            while (mangled_component(&p, buf, len, &n))
                any = true;
            if (any)
                return;
        } else if (mangled_component(&p, buf, len, &n)) {
            return;
        }
    }
    snprintf(buf, len, "%s", name);
}
