/* triage_json.c: the machine-readable triage report (schema "cushim-triage/1",
 * documented field by field in docs/triage.md), written to a temporary file beside the
 * target and renamed over it, so a reader never sees half a report. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/triage.h"
#include "shim/api_table.h"
#include "translate/fatbin.h"

/* A JSON string. Control characters are escaped; bytes that are not valid UTF-8 (file
 * names may hold anything) become U+FFFD so the document stays valid. */
static void put_string(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': fputs("\\n", out); break;
            case '\r': fputs("\\r", out); break;
            case '\t': fputs("\\t", out); break;
            case '\b': fputs("\\b", out); break;
            case '\f': fputs("\\f", out); break;
            default: fprintf(out, "\\u%04x", c); break;
            }
            p++;
        } else if (c < 0x80) {
            fputc(c, out);
            p++;
        } else {
            /* validate one UTF-8 sequence: length, continuation bytes, no overlong
             * forms, no surrogates, nothing above U+10FFFF */
            size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
            bool ok = n != 0 && c <= 0xf4 && c >= 0xc2;
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
                fwrite(p, 1, n, out);
                p += n;
            } else {
                fputs("\\ufffd", out);
                p++;
            }
        }
    }
    fputc('"', out);
}

static void put_key(FILE *out, const char *key)
{
    put_string(out, key);
    fputc(':', out);
}

static void put_bool(FILE *out, bool v) { fputs(v ? "true" : "false", out); }

static void put_strlist(FILE *out, const triage_strlist *l)
{
    fputc('[', out);
    for (size_t i = 0; i < l->count; i++) {
        if (i)
            fputc(',', out);
        put_string(out, l->items[i]);
    }
    fputc(']', out);
}

/* {"key": count, ...} in descending count order. */
static void put_counter(FILE *out, const triage_counter *c)
{
    triage_count_item **sorted = triage_counter_sorted(c);
    fputc('{', out);
    for (size_t i = 0; sorted && i < c->count; i++) {
        if (i)
            fputc(',', out);
        put_key(out, sorted[i]->key);
        fprintf(out, "%" PRIu64, sorted[i]->count);
    }
    fputc('}', out);
    free(sorted);
}

static const char *state_name(triage_file_state s)
{
    switch (s) {
    case TRIAGE_FILE_SCANNED: return "scanned";
    case TRIAGE_FILE_UNREADABLE: return "unreadable";
    case TRIAGE_FILE_MALFORMED: return "malformed";
    }
    return "?";
}

static const char *api_column_name(int col)
{
    return col == CUSHIM_API_COL_OPENCL ? "opencl" : "cpu";
}

static void put_issues(FILE *out, const triage_issue_list *l)
{
    fputc('[', out);
    for (size_t i = 0; i < l->count; i++) {
        if (i)
            fputc(',', out);
        fputc('{', out);
        put_key(out, "category");
        put_string(out, l->items[i].category);
        fputc(',', out);
        put_key(out, "message");
        put_string(out, l->items[i].message);
        fputc('}', out);
    }
    fputc(']', out);
}

static void put_linkage(FILE *out, const triage_file *f)
{
    fputc('{', out);
    put_key(out, "cudart_shared");
    if (f->cudart_shared_major) {
        fputc('{', out);
        put_key(out, "needed");
        put_string(out, f->cudart_needed);
        fprintf(out, ",\"major\":%d,", f->cudart_shared_major);
        put_key(out, "versions");
        put_strlist(out, &f->cudart_versions);
        fputc('}', out);
    } else {
        fputs("null", out);
    }
    fputc(',', out);
    put_key(out, "cudart_static");
    if (f->cudart_static) {
        fputc('{', out);
        put_key(out, "evidence");
        put_strlist(out, &f->static_evidence);
        fputc(',', out);
        put_key(out, "toolkit");
        put_string(out, f->toolkit);
        fputc('}', out);
    } else {
        fputs("null", out);
    }
    fputc(',', out);
    put_key(out, "is_cuda_runtime");
    put_bool(out, f->is_cudart_itself);
    fputc(',', out);
    put_key(out, "driver_api");
    if (f->driver_api) {
        fputc('{', out);
        put_key(out, "imports");
        put_strlist(out, &f->driver_imports);
        fputc(',', out);
        put_key(out, "loaded_at_run_time");
        put_bool(out, f->driver_dlopen);
        fputc('}', out);
    } else {
        fputs("null", out);
    }
    fputc(',', out);
    put_key(out, "libraries");
    put_strlist(out, &f->libraries);
    fputc('}', out);
}

static void put_imports(FILE *out, const triage_run *run, const triage_file *f)
{
    fputc('[', out);
    for (size_t i = 0; i < f->nimports; i++) {
        const triage_import *imp = &f->imports[i];
        if (i)
            fputc(',', out);
        fputc('{', out);
        put_key(out, "name");
        put_string(out, imp->name);
        fputc(',', out);
        put_key(out, "version");
        put_string(out, imp->version);
        fputc(',', out);
        put_key(out, "in_table");
        put_bool(out, imp->row >= 0);
        fputc(',', out);
        put_key(out, "status");
        fputc('{', out);
        for (size_t b = 0; b < run->nbackends; b++) {
            if (b)
                fputc(',', out);
            put_key(out, run->backends[b].name);
            put_string(out, imp->row < 0 ? "unknown"
                            : cushim_api_status_name((cushim_api_status)cushim_api_table[imp->row]
                                                         .status[run->backends[b].api_col]));
        }
        fputs("}}", out);
    }
    fputc(']', out);
}

static void put_fatbin(FILE *out, const triage_file *f)
{
    fputc('{', out);
    fprintf(out, "\"wrappers_v1\":%" PRIu32 ",\"wrappers_v2\":%" PRIu32 ",", f->wrappers_v1,
            f->wrappers_v2);
    put_key(out, "error");
    put_string(out, f->fatbin_error);
    fputc(',', out);
    put_key(out, "containers");
    fputc('[', out);
    for (size_t i = 0; i < f->ncontainers; i++) {
        const triage_container *c = &f->containers[i];
        if (i)
            fputc(',', out);
        fprintf(out, "{\"index\":%" PRIu32 ",", c->index);
        put_key(out, "section");
        put_string(out, c->section);
        fputc(',', out);
        put_key(out, "role");
        put_string(out, c->role);
        fprintf(out, ",\"file_offset\":%" PRIu64 ",\"size\":%" PRIu64 ",\"kernels\":%" PRIu32
                ",\"entries\":[", c->file_offset, c->size, c->kernels);
        for (size_t j = 0; j < c->nentries; j++) {
            const triage_fatbin_entry *e = &c->entries[j];
            if (j)
                fputc(',', out);
            fputc('{', out);
            put_key(out, "kind");
            put_string(out, fatbin_entry_kind_name((enum fatbin_entry_kind)e->kind));
            fprintf(out, ",\"arch\":%" PRIu32 ",", e->arch);
            put_key(out, "ptx_version");
            if (e->kind == FATBIN_ENTRY_PTX)
                fprintf(out, "\"%u.%u\"", e->ptx_major, e->ptx_minor);
            else
                fputs("null", out);
            fputc(',', out);
            put_key(out, "compression");
            put_string(out, fatbin_compression_name((enum fatbin_compression)e->compression));
            fprintf(out, ",\"payload_size\":%" PRIu64 ",\"uncompressed_size\":%" PRIu64
                    ",\"flags\":%" PRIu64 "}", e->payload_size, e->uncompressed_size, e->flags);
        }
        fputs("]}", out);
    }
    fputs("],", out);
    put_key(out, "sass_only");
    put_strlist(out, &f->sass_only_notes);
    fputc('}', out);
}

static void put_kernels(FILE *out, const triage_file *f)
{
    fputc('[', out);
    for (size_t i = 0; i < f->nkernels; i++) {
        const triage_kernel *k = &f->kernels[i];
        if (i)
            fputc(',', out);
        fputc('{', out);
        put_key(out, "name");
        put_string(out, k->name);
        fputc(',', out);
        put_key(out, "has_ptx");
        put_bool(out, k->has_ptx);
        fprintf(out, ",\"ptx_arch\":%" PRIu32 ",\"sass_archs\":[", k->ptx_arch);
        /* stored as "sm_75,sm_80" */
        const char *s = k->sass_archs ? k->sass_archs : "";
        bool first = true;
        while (*s) {
            size_t n = strcspn(s, ",");
            char arch[32];
            snprintf(arch, sizeof arch, "%.*s", (int)(n < 31 ? n : 31), s);
            if (!first)
                fputc(',', out);
            put_string(out, arch);
            first = false;
            s += n;
            if (*s == ',')
                s++;
        }
        fprintf(out, "],\"container\":%" PRIu32 ",\"param_bytes\":%" PRIu32
                ",\"shared_bytes\":%" PRIu64 ",", k->container, k->param_bytes, k->shared_bytes);
        put_key(out, "dynamic_shared");
        put_bool(out, k->dynamic_shared);
        fprintf(out, ",\"local_bytes\":%" PRIu64 ",\"instructions\":%" PRIu32 ",",
                k->local_bytes, k->instructions);
        put_key(out, "source");
        put_string(out, k->source);
        fputc(',', out);
        put_key(out, "features");
        put_strlist(out, &k->features);
        fputc('}', out);
    }
    fputc(']', out);
}

static void put_file(FILE *out, const triage_run *run, const triage_file *f)
{
    fputc('{', out);
    put_key(out, "path");
    put_string(out, f->path);
    fputc(',', out);
    put_key(out, "state");
    put_string(out, state_name(f->state));
    fputc(',', out);
    put_key(out, "error");
    put_string(out, f->error);
    fprintf(out, ",\"size\":%" PRIu64 ",", f->size);
    put_key(out, "elf_type");
    put_string(out, f->elf_type);
    fputc(',', out);
    put_key(out, "soname");
    put_string(out, f->soname);
    fputc(',', out);
    put_key(out, "needed");
    put_strlist(out, &f->needed);
    fputc(',', out);
    put_key(out, "cuda");
    put_bool(out, f->is_cuda);
    fputc(',', out);
    put_key(out, "linkage");
    put_linkage(out, f);
    fputc(',', out);
    put_key(out, "toolkit");
    put_string(out, f->toolkit);
    fputc(',', out);
    put_key(out, "imports");
    put_imports(out, run, f);
    fputc(',', out);
    put_key(out, "fatbin");
    put_fatbin(out, f);
    fputc(',', out);
    put_key(out, "kernels");
    put_kernels(out, f);
    fputc(',', out);
    put_key(out, "ptx");
    fprintf(out, "{\"modules\":%" PRIu32 ",\"instructions\":%" PRIu64 ",", f->ptx_modules,
            f->instructions);
    put_key(out, "opcodes");
    put_counter(out, &f->opcodes);
    fputc(',', out);
    put_key(out, "special_registers");
    put_counter(out, &f->sregs);
    fputc(',', out);
    put_key(out, "state_spaces");
    put_counter(out, &f->spaces);
    fputc(',', out);
    put_key(out, "calls");
    put_counter(out, &f->calls);
    fputc(',', out);
    put_key(out, "features");
    put_counter(out, &f->features);
    fputs("},", out);
    put_key(out, "verdicts");
    fputc('{', out);
    for (size_t b = 0; b < run->nbackends; b++) {
        if (b)
            fputc(',', out);
        put_key(out, run->backends[b].name);
        fputc('{', out);
        put_key(out, "verdict");
        put_string(out, triage_verdict_name(f->verdict[b]));
        fputc(',', out);
        put_key(out, "blockers");
        put_issues(out, &f->blockers[b]);
        fputc(',', out);
        put_key(out, "degraded");
        put_issues(out, &f->degraded[b]);
        fputc('}', out);
    }
    fputs("},", out);
    put_key(out, "warnings");
    put_strlist(out, &f->warnings);
    fputc('}', out);
}

static void put_report(FILE *out, const triage_run *run)
{
    fputc('{', out);
    put_key(out, "schema");
    put_string(out, TRIAGE_SCHEMA);
    fputc(',', out);
    put_key(out, "generator");
    put_string(out, PACKAGE_STRING);
    fprintf(out, ",\"seconds\":%.3f,", run->seconds);
    put_key(out, "backends");
    fputc('[', out);
    for (size_t b = 0; b < run->nbackends; b++) {
        const triage_backend *be = &run->backends[b];
        if (b)
            fputc(',', out);
        fputc('{', out);
        put_key(out, "name");
        put_string(out, be->name);
        fputc(',', out);
        put_key(out, "built_in");
        put_bool(out, be->built_in);
        fputc(',', out);
        put_key(out, "selected");
        put_bool(out, be->selected);
        fputc(',', out);
        put_key(out, "api_column");
        put_string(out, api_column_name(be->api_col));
        fputc(',', out);
        put_key(out, "kernel_translator");
        put_bool(out, be->instr_supported != NULL);
        fputc('}', out);
    }
    fputs("],", out);
    size_t cuda = 0, other = 0;
    for (size_t i = 0; i < run->nfiles; i++)
        if (run->files[i].state == TRIAGE_FILE_SCANNED) {
            if (run->files[i].is_cuda)
                cuda++;
            else
                other++;
        }
    put_key(out, "summary");
    fprintf(out, "{\"files\":%zu,\"cuda_files\":%zu,\"other_elf_files\":%zu,"
            "\"not_elf\":%" PRIu64 ",\"unreadable\":%" PRIu64 ",\"links_not_followed\":%"
            PRIu64 ",\"not_regular\":%" PRIu64 ",\"verdicts\":{", run->nfiles, cuda, other,
            run->skipped_not_elf, run->unreadable, run->skipped_links, run->skipped_other);
    static const triage_verdict all[] = { TRIAGE_RUNS, TRIAGE_RUNS_DEGRADED, TRIAGE_CANNOT_RUN,
                                          TRIAGE_REPLACED };
    for (size_t b = 0; b < run->nbackends; b++) {
        if (b)
            fputc(',', out);
        put_key(out, run->backends[b].name);
        fputc('{', out);
        for (size_t v = 0; v < sizeof all / sizeof all[0]; v++) {
            size_t n = 0;
            for (size_t i = 0; i < run->nfiles; i++)
                n += run->files[i].verdict[b] == all[v];
            fprintf(out, "%s\"%s\":%zu", v ? "," : "", triage_verdict_name(all[v]), n);
        }
        fputc('}', out);
    }
    fputs("}},", out);
    put_key(out, "files");
    fputc('[', out);
    for (size_t i = 0; i < run->nfiles; i++) {
        if (i)
            fputs(",\n", out);
        put_file(out, run, &run->files[i]);
    }
    fputs("]}\n", out);
}

int triage_write_json(const triage_run *run, const char *path, char *err, size_t errlen)
{
    size_t n = strlen(path) + sizeof ".tmp.XXXXXX";
    char *tmp = malloc(n);
    if (!tmp) {
        snprintf(err, errlen, "out of memory writing %s", path);
        return -1;
    }
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    /* mkstemp makes the file private; a report is as readable as any new file */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    FILE *out = fdopen(fd, "w");
    if (!out) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    put_report(out, run);
    int failed = ferror(out) || fflush(out) != 0 || fsync(fd) != 0;
    int saved = errno;
    if (fclose(out) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed && rename(tmp, path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(saved));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}
