/* test_report.c: unit tests of `cushim report` and `cushim compare`: the bounded JSON
 * reader (values, escapes, every error a truncated or hand-edited report can hold),
 * loading reports field by field, porting friction, the number formats, and what the
 * terminal tables, the comparison and the HTML page show for known reports. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/report.h"

/* ------------------------------------------------------------------ fixtures */

/* A run on "cpu": 3 cudaMalloc, one unsupported API called twice, one kernel that ran
 * 4 times for 8 ms, one kernel refused once for an unsupported instruction. */
static const char run_a[] =
    "{\n"
    "\"schema\":\"cushim-run/1\",\n"
    "\"generator\":\"cushim 0.1.0\",\n"
    "\"complete\":true,\n"
    "\"program\":{\"argv0\":\"./app\",\"executable\":\"/tmp/app\",\"pid\":42},\n"
    "\"exit\":{\"status\":0,\"signal\":null},\n"
    "\"wall_ns\":100000000,\n"
    "\"backend\":{\"name\":\"cpu\",\"initialised\":true,\"api_column\":\"cpu\"},\n"
    "\"devices\":[\n"
    "{\"index\":0,\"name\":\"cushim CPU\",\"total_memory\":1073741824,\"memory_high_water\":12582912}\n"
    "],\n"
    "\"memory\":{\"high_water_bytes\":12582912},\n"
    "\"api\":[\n"
    "{\"name\":\"cudaMalloc\",\"nodes\":\"13,12\",\"status\":\"implemented\",\"calls\":3,\"errors\":0,\"total_ns\":300000},\n"
    "{\"name\":\"cudaMemcpy\",\"nodes\":\"13,12\",\"status\":\"implemented\",\"calls\":5,\"errors\":1,\"total_ns\":2000000},\n"
    "{\"name\":\"cudaGraphAddMemAllocNode\",\"nodes\":\"13,12\",\"status\":\"unsupported\",\"calls\":2,\"errors\":2,\"total_ns\":500}\n"
    "],\n"
    "\"modules\":[\n"
    "{\"id\":1,\"load_ns\":1500,\"error\":null}\n"
    "],\n"
    "\"kernels\":[\n"
    "{\"name\":\"_Z5scalePfi\",\"module\":1,\"status\":\"translated\",\"error\":null,\"message\":null,"
    "\"compile_ns\":45000000,\"launches\":4,\"refused\":0,\"faults\":0,\"first_fault\":null,\"total_ns\":8000000},\n"
    "{\"name\":\"_Z3mmaPi\",\"module\":1,\"status\":\"unsupported\",\"error\":null,"
    "\"message\":\"kernel _Z3mmaPi: PTX instruction `mma.sync.aligned.m16n8k8 {%r1}` (a.cu:3) is not supported\","
    "\"compile_ns\":2000000,\"launches\":0,\"refused\":1,\"faults\":0,\"first_fault\":null,\"total_ns\":0}\n"
    "],\n"
    "\"unsupported\":[\n"
    "{\"kind\":\"api\",\"name\":\"cudaGraphAddMemAllocNode\",\"detail\":\"not supported by cushim: returns cudaErrorNotSupported\","
    "\"first_where\":\"main+0x1f (app)\",\"first_ns\":5000000,\"count\":2},\n"
    "{\"kind\":\"ptx-instruction\",\"name\":\"mma.sync.aligned.m16n8k8\",\"detail\":\"kernel _Z3mmaPi: ...\","
    "\"first_where\":\"kernel _Z3mmaPi\",\"first_ns\":6000000,\"count\":1}\n"
    "],\n"
    "\"dropped\":{\"kernels\":0,\"modules\":0,\"features\":0}\n"
    "}\n";

/* The same program on another backend: the kernel takes twice as long, cudaMemcpy is
 * called once more, the mma kernel runs, the unsupported API is still unsupported. */
static const char run_b[] =
    "{\"schema\":\"cushim-run/1\",\"generator\":\"cushim 0.1.0\",\"complete\":true,"
    "\"program\":{\"argv0\":\"./app\",\"executable\":\"/tmp/app\",\"pid\":43},"
    "\"exit\":{\"status\":0,\"signal\":null},\"wall_ns\":150000000,"
    "\"backend\":{\"name\":\"opencl\",\"initialised\":true,\"api_column\":\"opencl\"},"
    "\"devices\":[],\"memory\":{\"high_water_bytes\":0},"
    "\"api\":[{\"name\":\"cudaMalloc\",\"nodes\":\"13,12\",\"status\":\"implemented\",\"calls\":3,\"errors\":0,\"total_ns\":600000},"
    "{\"name\":\"cudaMemcpy\",\"nodes\":\"13,12\",\"status\":\"implemented\",\"calls\":6,\"errors\":0,\"total_ns\":2000000},"
    "{\"name\":\"cudaGraphAddMemAllocNode\",\"nodes\":\"13,12\",\"status\":\"unsupported\",\"calls\":2,\"errors\":2,\"total_ns\":500}],"
    "\"modules\":[],"
    "\"kernels\":[{\"name\":\"_Z5scalePfi\",\"module\":1,\"status\":\"translated\",\"error\":null,\"message\":null,"
    "\"compile_ns\":null,\"launches\":4,\"refused\":0,\"faults\":0,\"first_fault\":null,\"total_ns\":16000000},"
    "{\"name\":\"_Z3mmaPi\",\"module\":1,\"status\":\"translated\",\"error\":null,\"message\":null,"
    "\"compile_ns\":null,\"launches\":1,\"refused\":0,\"faults\":0,\"first_fault\":null,\"total_ns\":1000000}],"
    "\"unsupported\":[{\"kind\":\"api\",\"name\":\"cudaGraphAddMemAllocNode\",\"detail\":null,"
    "\"first_where\":null,\"first_ns\":1,\"count\":2}],"
    "\"dropped\":{\"kernels\":0,\"modules\":0,\"features\":0}}";

/* Two files; on cpu one runs, one is blocked by one instruction form (2 of its 10 PTX
 * instructions) and imports an unsupported API. */
static const char triage_doc[] =
    "{\"schema\":\"cushim-triage/1\",\"generator\":\"cushim 0.1.0\",\"seconds\":0.5,"
    "\"backends\":[{\"name\":\"cpu\",\"built_in\":true,\"selected\":true,\"api_column\":\"cpu\",\"kernel_translator\":true},"
    "{\"name\":\"opencl\",\"built_in\":false,\"selected\":false,\"api_column\":\"opencl\",\"kernel_translator\":false}],"
    "\"summary\":{},"
    "\"files\":["
    "{\"path\":\"good\",\"cuda\":true,\"kernels\":[{}],"
    "\"imports\":[{\"name\":\"cudaMalloc\",\"status\":{\"cpu\":\"implemented\",\"opencl\":\"implemented\"}}],"
    "\"ptx\":{\"opcodes\":{\"add.s32\":4},\"features\":{\"atomics\":3}},"
    "\"verdicts\":{\"cpu\":{\"verdict\":\"RUNS\",\"blockers\":[],\"degraded\":[]},"
    "\"opencl\":{\"verdict\":\"CANNOT-RUN\",\"blockers\":[],\"degraded\":[]}}},"
    "{\"path\":\"bad\",\"cuda\":true,\"kernels\":[{},{}],"
    "\"imports\":[{\"name\":\"cudaMalloc\",\"status\":{\"cpu\":\"implemented\",\"opencl\":\"implemented\"}},"
    "{\"name\":\"cudaFoo\",\"status\":{\"cpu\":\"unsupported\",\"opencl\":\"unsupported\"}}],"
    "\"ptx\":{\"opcodes\":{\"mov.u32\":8,\"mma.sync.aligned\":2},\"features\":{\"tensor-core\":1,\"atomics\":1}},"
    "\"verdicts\":{\"cpu\":{\"verdict\":\"CANNOT-RUN\",\"blockers\":["
    "{\"category\":\"ptx-instruction\",\"message\":\"PTX instruction `mma.sync.aligned` in kernel k (a.cu:1): no\"},"
    "{\"category\":\"api\",\"message\":\"unsupported API cudaFoo\"}],\"degraded\":[]},"
    "\"opencl\":{\"verdict\":\"CANNOT-RUN\",\"blockers\":[],\"degraded\":[]}}},"
    "{\"path\":\"/bin/ls\",\"cuda\":false,\"kernels\":[],\"imports\":null,"
    "\"ptx\":{\"opcodes\":{},\"features\":{}},"
    "\"verdicts\":{\"cpu\":{\"verdict\":\"NOT-CUDA\",\"blockers\":[],\"degraded\":[]},"
    "\"opencl\":{\"verdict\":\"NOT-CUDA\",\"blockers\":[],\"degraded\":[]}}}"
    "]}";

static char tmpdir[256];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cushim-test-report.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[8][512];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    return p;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* Run a renderer into memory and return what it printed. */
#define CAPTURE(buf, call) do { size_t capture_len_; FILE *out = open_memstream(&(buf), &capture_len_); \
        ck_assert_ptr_nonnull(out); call; fclose(out); } while (0)

static void assert_has(const char *text, const char *needle)
{
    ck_assert_msg(strstr(text, needle) != NULL, "expected \"%s\" in:\n%s", needle, text);
}

/* ------------------------------------------------------------------ JSON reader */

START_TEST(json_values_and_escapes)
{
    static const char doc[] =
        " {\"a\": [1, -2.5, 1e3, true, false, null], \"s\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"
        "\\ud83d\\ude00\\u0041\", \"big\": 18446744073709551615, \"o\": {}, \"e\": []}\n";
    char err[256];
    rjson *v = rjson_parse(doc, strlen(doc), err, sizeof err);
    ck_assert_msg(v != NULL, "%s", err);
    ck_assert_int_eq(v->type, RJSON_OBJECT);
    const rjson *a = rjson_get(v, "a");
    ck_assert_uint_eq(a->count, 6);
    ck_assert(a->items[0].integer && a->items[0].u64 == 1);
    ck_assert(!a->items[1].integer && a->items[1].number == -2.5);
    ck_assert(!a->items[2].integer && a->items[2].number == 1000.0);
    ck_assert(a->items[3].type == RJSON_BOOL && a->items[3].boolean);
    ck_assert(a->items[4].type == RJSON_BOOL && !a->items[4].boolean);
    ck_assert_int_eq(a->items[5].type, RJSON_NULL);
    const rjson *s = rjson_get(v, "s");
    ck_assert_str_eq(s->string, "x\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80" "A");
    ck_assert_uint_eq(rjson_get(v, "big")->u64, UINT64_MAX);
    ck_assert_uint_eq(rjson_get(v, "o")->count, 0);
    ck_assert_int_eq(rjson_get(v, "e")->type, RJSON_ARRAY);
    ck_assert_ptr_null(rjson_get(v, "missing"));
    ck_assert_uint_eq(a->line, 1);
    ck_assert_uint_eq(a->column, 8);
    rjson_free(v);
}
END_TEST

/* Each malformed document fails with the position and the reason a user can act on. */
START_TEST(json_errors_name_the_position)
{
    static const struct {
        const char *doc, *message;
    } cases[] = {
        {"{\"a\": \"abc", "line 1, column 7 (byte 6): the file ends inside this string (is the report truncated?)"},
        {"{\"a\": 1", "line 1, column 8 (byte 7): expected ',' or '}' after an object member, found the end of the file"},
        {"{\"a\": 1\n \"b\": 2}", "line 2, column 2 (byte 9): expected ',' or '}' after an object member, found '\"'"},
        {"[1, 2,]", "line 1, column 7 (byte 6): expected a value (object, array, string, number, true, false or null), found ']'"},
        {"{\"a\" 1}", "line 1, column 6 (byte 5): expected ':' after member name \"a\", found '1'"},
        {"{1: 2}", "line 1, column 2 (byte 1): expected a member name in quotes, found '1'"},
        {"[01]", "a number may not start with 0"},
        {"[1.]", "expected a digit after the decimal point"},
        {"[\"\\q\"]", "unknown escape '\\q' in a string"},
        {"[\"\\u12\"]", "a \\u escape needs four hexadecimal digits"},
        {"[\"a\tb\"]", "control character 0x09 inside a string"},
        {"{} x", "line 1, column 4 (byte 3): unexpected 'x' after the end of the document"},
        {"", "expected a value, found the end of the file (is the report truncated?)"},
        {"[tru]", "expected a value (object, array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        rjson *v = rjson_parse(cases[i].doc, strlen(cases[i].doc), err, sizeof err);
        ck_assert_msg(v == NULL, "case %zu parsed", i);
        ck_assert_msg(strstr(err, cases[i].message) != NULL, "case %zu: \"%s\" lacks \"%s\"", i,
                      err, cases[i].message);
    }
}
END_TEST

START_TEST(json_depth_is_bounded)
{
    char doc[2 * (RJSON_MAX_DEPTH + 2) + 1];
    size_t n = 0;
    for (int i = 0; i < RJSON_MAX_DEPTH + 1; i++)
        doc[n++] = '[';
    for (int i = 0; i < RJSON_MAX_DEPTH + 1; i++)
        doc[n++] = ']';
    char err[256];
    rjson *v = rjson_parse(doc, n, err, sizeof err);
    ck_assert_ptr_null(v);
    assert_has(err, "nesting deeper than 64 levels");
    /* exactly the limit is fine */
    v = rjson_parse(doc + 1, n - 2, err, sizeof err);
    ck_assert_msg(v != NULL, "%s", err);
    rjson_free(v);
}
END_TEST

/* A report cut anywhere (a crash while another tool copied it, a full disk) gives an
 * error, never a crash or a half-read report. */
START_TEST(every_prefix_of_a_report_is_an_error)
{
    size_t len = strlen(run_a);
    /* The document ends at the closing brace; what follows is whitespace. */
    size_t end = (size_t)(strrchr(run_a, '}') - run_a) + 1;
    for (size_t n = 0; n < end; n++) {
        char err[256] = "";
        rjson *v = rjson_parse(run_a, n, err, sizeof err);
        ck_assert_msg(v == NULL, "prefix of %zu bytes parsed", n);
        ck_assert_msg(strncmp(err, "line ", 5) == 0, "prefix %zu: %s", n, err);
    }
    char err[256];
    rjson *v = rjson_parse(run_a, len, err, sizeof err);
    ck_assert_msg(v != NULL, "%s", err);
    rjson_free(v);
}
END_TEST

/* ------------------------------------------------------------------ loading */

START_TEST(run_report_loads_every_field)
{
    any_report r;
    char err[512];
    const char *path = write_file("a.json", run_a, strlen(run_a));
    ck_assert_msg(report_load(path, &r, err, sizeof err), "%s", err);
    ck_assert_int_eq(r.kind, REPORT_RUN);
    const run_report *a = &r.run;
    ck_assert_str_eq(a->argv0, "./app");
    ck_assert_int_eq(a->pid, 42);
    ck_assert(a->exited && a->exit_status == 0);
    ck_assert_uint_eq(a->wall_ns, 100000000);
    ck_assert_str_eq(a->backend, "cpu");
    ck_assert_uint_eq(a->ndevices, 1);
    ck_assert_uint_eq(a->devices[0].high_water, 12582912);
    ck_assert_uint_eq(a->napis, 3);
    ck_assert_str_eq(a->apis[0].name, "cudaMalloc");
    ck_assert_uint_eq(a->apis[0].calls, 3);
    ck_assert_uint_eq(a->apis[1].errors, 1);
    ck_assert_uint_eq(a->nkernels, 2);
    ck_assert(a->kernels[0].has_compile && a->kernels[0].compile_ns == 45000000);
    ck_assert_uint_eq(a->kernels[0].launches, 4);
    ck_assert_uint_eq(a->kernels[1].refused, 1);
    ck_assert_uint_eq(a->nfeatures, 2);
    ck_assert_str_eq(a->features[0].first_where, "main+0x1f (app)");
    report_free(&r);
}
END_TEST

/* Hand edits that break the schema name the field, its path and its line. */
START_TEST(schema_errors_name_the_field)
{
    static const struct {
        const char *from, *to, *message;
    } edits[] = {
        {"\"launches\":4", "\"launches\":\"4\"",
         "line 22, column 117: field kernels[0].launches: expected a number, found a string"},
        {"\"launches\":4", "\"launches\":4.5", "field kernels[0].launches: expected a whole number"},
        {"\"calls\":3,", "", "line 14, column 1: api[0]: field \"calls\" is missing"},
        {"\"wall_ns\":100000000,", "", "field \"wall_ns\" is missing"},
        {"cushim-run/1", "cushim-run/9", "schema \"cushim-run/9\" is not one this cushim reads"},
        {"\"schema\":\"cushim-run/1\",", "", "no \"schema\" string: not a cushim report"},
        {"\"status\":0,\"signal\":null", "\"status\":null,\"signal\":null", "exit: either status or signal must be set"},
        {"\"devices\":[", "\"devices\":[7,", "devices[0]: expected an object, found a number"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char doc[sizeof run_a + 64];
        const char *at = strstr(run_a, edits[i].from);
        ck_assert_msg(at != NULL, "edit %zu: fixture lacks %s", i, edits[i].from);
        snprintf(doc, sizeof doc, "%.*s%s%s", (int)(at - run_a), run_a, edits[i].to,
                 at + strlen(edits[i].from));
        const char *path = write_file("edited.json", doc, strlen(doc));
        any_report r;
        char err[512];
        ck_assert_msg(!report_load(path, &r, err, sizeof err), "edit %zu loaded", i);
        ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "edit %zu: %s", i, err);
        ck_assert_msg(strstr(err, edits[i].message) != NULL, "edit %zu: \"%s\" lacks \"%s\"", i,
                      err, edits[i].message);
    }
    any_report r;
    char err[512];
    const char *path = write_file("cut.json", run_a, 200);
    ck_assert(!report_load(path, &r, err, sizeof err));
    assert_has(err, "cut.json: not valid JSON: line 8, column 11 (byte 200): expected a value, found the end of the file");
    assert_has(err, "(is the report truncated?)");
    path = write_file("empty.json", "", 0);
    ck_assert(!report_load(path, &r, err, sizeof err));
    assert_has(err, "empty.json: the file is empty");
}
END_TEST

START_TEST(triage_report_loads)
{
    any_report r;
    char err[512];
    const char *path = write_file("t.json", triage_doc, strlen(triage_doc));
    ck_assert_msg(report_load(path, &r, err, sizeof err), "%s", err);
    ck_assert_int_eq(r.kind, REPORT_TRIAGE);
    ck_assert_uint_eq(r.triage.nbackends, 2);
    ck_assert_uint_eq(r.triage.nfiles, 3);
    ck_assert_str_eq(r.triage.files[1].verdict[0], "CANNOT-RUN");
    ck_assert_uint_eq(r.triage.files[1].kernels, 2);
    report_free(&r);

    char doc[sizeof triage_doc + 8];
    const char *at = strstr(triage_doc, "\"mov.u32\":8");
    snprintf(doc, sizeof doc, "%.*s\"mov.u32\":\"8\"%s", (int)(at - triage_doc), triage_doc,
             at + strlen("\"mov.u32\":8"));
    path = write_file("t2.json", doc, strlen(doc));
    ck_assert(!report_load(path, &r, err, sizeof err));
    assert_has(err, "field files[1].ptx.opcodes.\"mov.u32\": expected a count, found a string");
}
END_TEST

/* ------------------------------------------------------------------ friction and formats */

START_TEST(friction_of_a_run)
{
    any_report r;
    char err[512];
    ck_assert(report_load(write_file("a.json", run_a, strlen(run_a)), &r, err, sizeof err));
    report_friction f;
    report_friction_run(&r.run, &f);
    /* 3 APIs (1 unsupported) + 2 kernels (1 unsupported) */
    ck_assert_uint_eq(f.distinct_used, 5);
    ck_assert_uint_eq(f.distinct_supported, 3);
    /* 3 + 5 + 2 calls, 4 + 1 launch attempts; supported: 8 calls, 4 launches */
    ck_assert_uint_eq(f.weighted_used, 15);
    ck_assert_uint_eq(f.weighted_supported, 12);
    report_free(&r);
}
END_TEST

START_TEST(friction_of_a_triage)
{
    any_report r;
    char err[512];
    ck_assert(report_load(write_file("t.json", triage_doc, strlen(triage_doc)), &r, err, sizeof err));
    report_friction f;
    report_friction_triage(&r.triage, &r.triage.files[1], 0, &f);
    /* imports cudaMalloc, cudaFoo (unsupported); opcode forms mov.u32, mma (blocked) */
    ck_assert_uint_eq(f.distinct_used, 4);
    ck_assert_uint_eq(f.distinct_supported, 2);
    ck_assert_uint_eq(f.weighted_used, 12);
    ck_assert_uint_eq(f.weighted_supported, 9);
    report_friction_triage(&r.triage, NULL, 0, &f);   /* both CUDA files */
    ck_assert_uint_eq(f.distinct_used, 6);
    ck_assert_uint_eq(f.distinct_supported, 4);
    /* opencl has no kernel translator: no instruction is supported there */
    report_friction_triage(&r.triage, &r.triage.files[0], 1, &f);
    ck_assert_uint_eq(f.distinct_supported, 1);
    ck_assert_uint_eq(f.weighted_supported, 1);
    report_free(&r);
}
END_TEST

START_TEST(formats)
{
    char b[64];
    static const struct { uint64_t ns; const char *text; } durations[] = {
        {0, "0 ns"}, {999, "999 ns"}, {1000, "1.0 us"}, {12345, "12.3 us"},
        {4560000, "4.56 ms"}, {1234000000, "1.23 s"},
    };
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        report_fmt_duration(durations[i].ns, b, sizeof b);
        ck_assert_str_eq(b, durations[i].text);
    }
    report_fmt_bytes(512, b, sizeof b);
    ck_assert_str_eq(b, "512 B");
    report_fmt_bytes(12582912, b, sizeof b);
    ck_assert_str_eq(b, "12.0 MiB");
    report_fmt_bytes(3ull << 29, b, sizeof b);
    ck_assert_str_eq(b, "1.5 GiB");
    report_fmt_ratio(8000000, 16000000, b, sizeof b);
    ck_assert_str_eq(b, "2.00x");
    report_fmt_ratio(0, 5, b, sizeof b);
    ck_assert_str_eq(b, "n/a");
    report_fmt_ratio(0, 0, b, sizeof b);
    ck_assert_str_eq(b, "-");
    report_fmt_share(2, 3, b, sizeof b);
    ck_assert_str_eq(b, "66.7%");
    report_fmt_share(0, 0, b, sizeof b);
    ck_assert_str_eq(b, "n/a");
    report_kernel_short_name("_Z10vector_addPKfS0_Pfi", b, sizeof b);
    ck_assert_str_eq(b, "vector_add");
    report_kernel_short_name("_ZN2ns6kernelEv", b, sizeof b);
    ck_assert_str_eq(b, "ns::kernel");
    report_kernel_short_name("plain_c_kernel", b, sizeof b);
    ck_assert_str_eq(b, "plain_c_kernel");
    report_kernel_short_name("_Z999x", b, sizeof b);   /* a length past the end */
    ck_assert_str_eq(b, "_Z999x");
}
END_TEST

/* ------------------------------------------------------------------ rendering */

START_TEST(terminal_run_report)
{
    any_report r;
    char err[512], *text = NULL;
    ck_assert(report_load(write_file("a.json", run_a, strlen(run_a)), &r, err, sizeof err));
    CAPTURE(text, report_render_run(out, &r.run));
    assert_has(text, "Run report: ./app (pid 42), exit status 0, 100.00 ms wall");
    assert_has(text, "device 0: cushim CPU, 1.0 GiB, memory high-water 12.0 MiB");
    assert_has(text, "Porting friction on cpu: 60.0% of distinct APIs and kernels supported (3 of 5); "
                     "80.0% of calls and launches (12 of 15)");
    assert_has(text, "API calls: 3 functions, 10 calls, 3 errors, 2.30 ms");
    /* sorted by time: cudaMemcpy first */
    ck_assert_msg(strstr(text, "cudaMemcpy ") < strstr(text, "cudaMalloc "), "not sorted by time");
    assert_has(text, "cudaMalloc                    3       0  300.0 us  100.0 us  implemented");
    assert_has(text, "Kernels: 2, 4 launches, 8.00 ms");
    assert_has(text, "  scale   translated          4        0       0  8.00 ms  2.00 ms  45.00 ms\n");
    assert_has(text, "  mma     unsupported         0        1       0     0 ns     0 ns   2.00 ms\n");
    assert_has(text, "_Z3mmaPi: kernel _Z3mmaPi: PTX instruction `mma.sync.aligned.m16n8k8 {%r1}`");
    assert_has(text, "cudaGraphAddMemAllocNode  api                  2   5.00 ms  main+0x1f (app)");
    free(text);
    report_free(&r);
}
END_TEST

/* A hand-edited report cannot send escape sequences to the terminal. */
START_TEST(terminal_control_characters)
{
    char doc[sizeof run_a + 64];
    const char *at = strstr(run_a, "./app");
    snprintf(doc, sizeof doc, "%.*s\\u001b[2J./app\\nx%s", (int)(at - run_a), run_a, at + 5);
    any_report r;
    char err[512], *text = NULL;
    ck_assert_msg(report_load(write_file("esc.json", doc, strlen(doc)), &r, err, sizeof err), "%s", err);
    CAPTURE(text, report_render_run(out, &r.run));
    ck_assert_ptr_null(strchr(text, 0x1b));
    assert_has(text, "Run report:  [2J./app x (pid 42)");
    free(text);
    report_free(&r);
}
END_TEST

START_TEST(terminal_triage_report)
{
    any_report r;
    char err[512], *text = NULL;
    ck_assert(report_load(write_file("t.json", triage_doc, strlen(triage_doc)), &r, err, sizeof err));
    CAPTURE(text, report_render_triage(out, &r.triage));
    assert_has(text, "Triage report: 3 files (2 with CUDA)");
    assert_has(text, "good        1  RUNS (100.0%)");
    assert_has(text, "bad         2  CANNOT-RUN (50.0%)");
    ck_assert_ptr_null(strstr(text, "/bin/ls"));
    assert_has(text, "  atomics                         4  ##############################\n");
    assert_has(text, "  tensor-core                     1  ########\n");
    assert_has(text, "Porting friction on cpu: 66.7% of distinct APIs and PTX instruction forms "
                     "supported (4 of 6); 82.4% of imports and PTX instructions (14 of 17)");
    ck_assert_ptr_null(strstr(text, "friction on opencl"));   /* not selected */
    free(text);
    report_free(&r);
}
END_TEST

START_TEST(terminal_comparison)
{
    any_report a, b;
    char err[512], *text = NULL;
    ck_assert(report_load(write_file("a.json", run_a, strlen(run_a)), &a, err, sizeof err));
    ck_assert(report_load(write_file("b.json", run_b, strlen(run_b)), &b, err, sizeof err));
    CAPTURE(text, report_render_compare(out, &a.run, &b.run));
    assert_has(text, "  wall time    100.00 ms  150.00 ms  1.50x");
    assert_has(text, "  kernel time    8.00 ms   17.00 ms  2.12x");
    assert_has(text, "  scale   translated   translated           4           4  8.00 ms  16.00 ms  2.00x\n");
    assert_has(text, "  mma     unsupported  translated           0           1     0 ns   1.00 ms    n/a\n");
    assert_has(text, "  cudaMemcpy                      5        6         1         0   2.00 ms   2.00 ms  1.00x  *\n");
    assert_has(text, "  cudaMalloc                      3        3         0         0  300.0 us  600.0 us  2.00x\n");
    assert_has(text, "1 of 3 functions differ");
    assert_has(text, "failed on A (cpu) only:\n    ptx-instruction mma.sync.aligned.m16n8k8: kernel _Z3mmaPi: ... (1 time)\n");
    ck_assert_ptr_null(strstr(text, "failed on B"));
    assert_has(text, "distinct APIs and kernels supported: A (cpu) 60.0%, B (opencl) 80.0%");
    assert_has(text, "time ratio B/A: kernels 2.12x, wall 1.50x");
    free(text);
    report_free(&a);
    report_free(&b);
}
END_TEST

START_TEST(html_pages)
{
    any_report a, b, t;
    char err[512], path[600];
    /* A program name that would break the page if it were not escaped. */
    char doc[sizeof run_a + 64];
    const char *at = strstr(run_a, "./app");
    snprintf(doc, sizeof doc, "%.*s<script>x</script>%s", (int)(at - run_a), run_a, at + 5);
    ck_assert(report_load(write_file("a.json", doc, strlen(doc)), &a, err, sizeof err));
    ck_assert(report_load(write_file("b.json", run_b, strlen(run_b)), &b, err, sizeof err));
    ck_assert(report_load(write_file("t.json", triage_doc, strlen(triage_doc)), &t, err, sizeof err));

    snprintf(path, sizeof path, "%s/run.html", tmpdir);
    ck_assert_msg(report_html_run(path, &a.run, err, sizeof err) == 0, "%s", err);
    char *html = read_all(path);
    assert_has(html, "&lt;script&gt;x&lt;/script&gt;");
    ck_assert_ptr_null(strstr(html, "<script>x</script>"));
    assert_has(html, "<svg");
    assert_has(html, ">8.00 ms</text>");
    assert_has(html, "<b>60.0%</b>");
    ck_assert_ptr_null(strstr(html, " src="));
    ck_assert_ptr_null(strstr(html, " href="));
    free(html);

    snprintf(path, sizeof path, "%s/triage.html", tmpdir);
    ck_assert_msg(report_html_triage(path, &t.triage, err, sizeof err) == 0, "%s", err);
    html = read_all(path);
    assert_has(html, "CANNOT-RUN<br>50.0%</td>");
    assert_has(html, "background:hsl(60,65%,78%)");
    assert_has(html, "RUNS<br>100.0%</td>");
    free(html);

    snprintf(path, sizeof path, "%s/compare.html", tmpdir);
    ck_assert_msg(report_html_compare(path, &a.run, &b.run, err, sizeof err) == 0, "%s", err);
    html = read_all(path);
    assert_has(html, "class=\"bar-b\"");
    assert_has(html, ">2.00x</td>");
    free(html);

    snprintf(path, sizeof path, "%s/no-such-dir/x.html", tmpdir);
    ck_assert_int_eq(report_html_run(path, &a.run, err, sizeof err), -1);
    assert_has(err, "no-such-dir/x.html: cannot write: No such file or directory");
    report_free(&a);
    report_free(&b);
    report_free(&t);
}
END_TEST

START_TEST(commands_and_exit_statuses)
{
    const char *good = write_file("a.json", run_a, strlen(run_a));
    const char *cut = write_file("cut.json", run_a, 300);
    const char *tri = write_file("t.json", triage_doc, strlen(triage_doc));
    char *argv_ok[] = {"report", (char *)good, NULL};
    char *argv_cut[] = {"report", (char *)cut, NULL};
    char *argv_none[] = {"report", NULL};
    char *argv_two[] = {"report", (char *)good, (char *)good, NULL};
    char *argv_cmp_triage[] = {"compare", (char *)good, (char *)tri, NULL};
    /* Output goes to the test log; what is asserted is the status. */
    ck_assert_int_eq(cushim_cmd_report(2, argv_ok), 0);
    ck_assert_int_eq(cushim_cmd_report(2, argv_cut), 1);
    ck_assert_int_eq(cushim_cmd_report(1, argv_none), 2);
    ck_assert_int_eq(cushim_cmd_report(3, argv_two), 2);
    ck_assert_int_eq(cushim_cmd_compare(3, argv_cmp_triage), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *json = tcase_create("json");
    tcase_add_test(json, json_values_and_escapes);
    tcase_add_test(json, json_errors_name_the_position);
    tcase_add_test(json, json_depth_is_bounded);
    tcase_add_test(json, every_prefix_of_a_report_is_an_error);
    suite_add_tcase(s, json);
    TCase *load = tcase_create("load");
    tcase_add_checked_fixture(load, setup, teardown);
    tcase_add_test(load, run_report_loads_every_field);
    tcase_add_test(load, schema_errors_name_the_field);
    tcase_add_test(load, triage_report_loads);
    tcase_add_test(load, friction_of_a_run);
    tcase_add_test(load, friction_of_a_triage);
    suite_add_tcase(s, load);
    TCase *render = tcase_create("render");
    tcase_add_checked_fixture(render, setup, teardown);
    tcase_add_test(render, formats);
    tcase_add_test(render, terminal_run_report);
    tcase_add_test(render, terminal_control_characters);
    tcase_add_test(render, terminal_triage_report);
    tcase_add_test(render, terminal_comparison);
    tcase_add_test(render, html_pages);
    tcase_add_test(render, commands_and_exit_statuses);
    suite_add_tcase(s, render);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
