/* test_fatbin.c: unit tests of translate/fatbin.c on real fatbins nvcc produced
 * (tests/data/fatbin/, rebuilt by regenerate.sh there) and on malformed variants. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translate/fatbin.h"

#define MAX_ENTRIES 16
#define MAX_CONTAINERS 8

/* ------------------------------------------------------------------ helpers */

typedef struct blob {
    unsigned char *data;
    size_t size;
} blob;

static blob load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/fatbin/%s", TEST_DATA_DIR, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open test blob %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    ck_assert_int_gt(n, 0);
    blob b = { malloc((size_t)n), (size_t)n };
    ck_assert_ptr_nonnull(b.data);
    ck_assert_uint_eq(fread(b.data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return b;
}

static blob copy_of(const void *data, size_t size)
{
    blob b = { malloc(size ? size : 1), size };
    ck_assert_ptr_nonnull(b.data);
    memcpy(b.data, data, size);
    return b;
}

typedef struct entries {
    fatbin_entry e[MAX_ENTRIES];
    int n;
} entries;

static bool collect(const fatbin_entry *e, void *user)
{
    entries *es = user;
    ck_assert_int_lt(es->n, MAX_ENTRIES);
    es->e[es->n++] = *e;
    return true;
}

/* Split a section blob into its containers (they follow each other). */
typedef struct containers {
    const unsigned char *at[MAX_CONTAINERS];
    size_t size[MAX_CONTAINERS];
    int n;
} containers;

static containers split(const blob *b)
{
    containers cs = { .n = 0 };
    size_t pos = 0;
    while (pos < b->size) {
        size_t consumed = 0;
        char err[256] = "";
        fatbin_status st = fatbin_container_walk_msg(b->data + pos, b->size - pos, NULL, NULL,
                                                     &consumed, err, sizeof err);
        ck_assert_msg(st == FATBIN_OK, "container at %zu: %s", pos, err);
        ck_assert_int_lt(cs.n, MAX_CONTAINERS);
        cs.at[cs.n] = b->data + pos;
        cs.size[cs.n] = consumed;
        cs.n++;
        pos += consumed;
    }
    return cs;
}

static entries walk(const void *data, size_t size)
{
    entries es = { .n = 0 };
    size_t consumed = 0;
    ck_assert_int_eq(fatbin_container_walk(data, size, collect, &es, &consumed), FATBIN_OK);
    ck_assert_uint_eq(consumed, size);
    return es;
}

static char *payload(const fatbin_entry *e, size_t *len)
{
    char *text = NULL;
    char err[256] = "";
    fatbin_status st = fatbin_entry_payload_msg(e, &text, len, err, sizeof err);
    ck_assert_msg(st == FATBIN_OK, "payload: %s (%s)", fatbin_status_name(st), err);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* The first line of PTX text that is not blank (comments are blanked in fatbins). */
static void assert_version_line(const char *text, const char *expected)
{
    while (*text == '\n' || *text == ' ' || *text == '\t' || *text == '\r')
        text++;
    size_t n = strcspn(text, "\n");
    ck_assert_msg(n == strlen(expected) && strncmp(text, expected, n) == 0,
                  "PTX starts with '%.*s', expected '%s'", (int)n, text, expected);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The PTX text of the default (zstd) build, the reference the other encodings of the
 * same kernel must reproduce. */
static char *reference_ptx(size_t *len)
{
    blob b = load("none.nv_fatbin");
    containers cs = split(&b);
    entries es = walk(cs.at[1], cs.size[1]);
    char *text = payload(&es.e[1], len);
    free(b.data);
    return text;
}

/* ------------------------------------------------------------------ real blobs */

START_TEST(zstd_default_build)
{
    blob b = load("zstd.nv_fatbin");
    containers cs = split(&b);
    /* nvcc 13 emits an unregistered device-link container, then the file's own. */
    ck_assert_int_eq(cs.n, 2);
    ck_assert_uint_eq(cs.size[0], 0x5f8);
    ck_assert_uint_eq(cs.size[1], 0xeb8);

    entries linked = walk(cs.at[0], cs.size[0]);
    ck_assert_int_eq(linked.n, 1);
    ck_assert_int_eq(linked.e[0].kind, FATBIN_ENTRY_ELF);
    ck_assert_uint_eq(linked.e[0].arch, 75);

    entries es = walk(cs.at[1], cs.size[1]);
    ck_assert_int_eq(es.n, 2);
    ck_assert_int_eq(es.e[0].kind, FATBIN_ENTRY_ELF);
    ck_assert_uint_eq(es.e[0].arch, 75);
    ck_assert_int_eq(es.e[0].compression, FATBIN_COMP_NONE);
    ck_assert_uint_eq(es.e[0].payload_size, 0xca8);

    const fatbin_entry *ptx = &es.e[1];
    ck_assert_int_eq(ptx->kind, FATBIN_ENTRY_PTX);
    ck_assert_uint_eq(ptx->arch, 75);
    ck_assert_uint_eq(ptx->ptx_major, 9);
    ck_assert_uint_eq(ptx->ptx_minor, 0);
    ck_assert_int_eq(ptx->compression, FATBIN_COMP_ZSTD);
    ck_assert_uint_eq(ptx->payload_size, 0x16f);
    ck_assert_uint_eq(ptx->uncompressed_size, 0x305);
    ck_assert_ptr_null(ptx->name);
    ck_assert_ptr_null(ptx->options);
    ck_assert_uint_eq(ptx->flags & 1, 1); /* 64-bit */

    size_t len = 0;
    char *text = payload(ptx, &len);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_uint_eq(len, 0x304); /* the declared size counts the terminating NUL */
    assert_version_line(text, ".version 9.0");
    ck_assert_ptr_nonnull(strstr(text, ".target sm_75"));
    ck_assert_ptr_nonnull(strstr(text, ".visible .entry _Z12scale_kernelPffi("));

    size_t ref_len = 0;
    char *ref = reference_ptx(&ref_len);
    ck_assert_uint_eq(len, ref_len);
    ck_assert_str_eq(text, ref);
    free(ref);
    free(text);
    free(b.data);
}
END_TEST

START_TEST(lz4_build)
{
    blob b = load("lz4.nv_fatbin");
    containers cs = split(&b);
    ck_assert_int_eq(cs.n, 2);
    entries es = walk(cs.at[1], cs.size[1]);
    ck_assert_int_eq(es.n, 2);
    const fatbin_entry *ptx = &es.e[1];
    ck_assert_int_eq(ptx->kind, FATBIN_ENTRY_PTX);
    ck_assert_int_eq(ptx->compression, FATBIN_COMP_LZ4);
    ck_assert_uint_eq(ptx->payload_size, 0x1d2);
    ck_assert_uint_eq(ptx->uncompressed_size, 0x305);

    size_t len = 0, ref_len = 0;
    char *text = payload(ptx, &len);
    char *ref = reference_ptx(&ref_len);
    ck_assert_uint_eq(len, ref_len);
    ck_assert_str_eq(text, ref);
    free(ref);
    free(text);
    free(b.data);
}
END_TEST

START_TEST(uncompressed_build)
{
    blob b = load("none.nv_fatbin");
    containers cs = split(&b);
    ck_assert_int_eq(cs.n, 2);
    entries es = walk(cs.at[1], cs.size[1]);
    ck_assert_int_eq(es.n, 2);
    const fatbin_entry *ptx = &es.e[1];
    ck_assert_int_eq(ptx->compression, FATBIN_COMP_NONE);
    ck_assert_uint_eq(ptx->payload_size, 0x308);
    ck_assert_uint_eq(ptx->uncompressed_size, 0x308);
    size_t len = 0;
    char *text = payload(ptx, &len);
    /* NUL padding after the text is not part of it. */
    ck_assert_uint_eq(len, 0x304);
    ck_assert_uint_eq(strlen(text), 0x304);
    assert_version_line(text, ".version 9.0");
    ck_assert_ptr_nonnull(strstr(text, "mul.f32 %f3, %f2, %f1;"));
    free(text);
    free(b.data);
}
END_TEST

START_TEST(sass_only_build)
{
    blob b = load("sass.nv_fatbin");
    containers cs = split(&b);
    ck_assert_int_eq(cs.n, 2);
    entries es = walk(cs.at[1], cs.size[1]);
    ck_assert_int_eq(es.n, 1);
    ck_assert_int_eq(es.e[0].kind, FATBIN_ENTRY_ELF);
    ck_assert_uint_eq(es.e[0].arch, 75);
    size_t len = 0;
    char *elf = payload(&es.e[0], &len);
    ck_assert_uint_eq(len, 0xca8);
    ck_assert_int_eq(memcmp(elf, "\177ELF", 4), 0);
    free(elf);

    fatbin_wrapper w = { FATBIN_WRAPPER_MAGIC, 1, cs.at[1], NULL };
    fatbin_ptx_set set;
    char err[512] = "";
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_NO_PTX);
    ck_assert(set.has_sass_only);
    ck_assert_uint_eq(set.count, 0);
    ck_assert_ptr_null(set.ptx);
    ck_assert_msg(strstr(err, "only SASS for sm_75") != NULL, "message: %s", err);
    fatbin_ptx_set_free(&set);
    free(b.data);
}
END_TEST

START_TEST(multi_arch_build)
{
    blob b = load("multi.nv_fatbin");
    containers cs = split(&b);
    ck_assert_int_eq(cs.n, 2);
    entries es = walk(cs.at[1], cs.size[1]);
    ck_assert_int_eq(es.n, 3);
    ck_assert_int_eq(es.e[0].kind, FATBIN_ENTRY_ELF);
    ck_assert_uint_eq(es.e[0].arch, 75);
    ck_assert_int_eq(es.e[1].kind, FATBIN_ENTRY_PTX);
    ck_assert_int_eq(es.e[2].kind, FATBIN_ENTRY_PTX);
    /* nvcc stores the PTX entries in its own order; both must be present. */
    uint32_t a1 = es.e[1].arch, a2 = es.e[2].arch;
    ck_assert((a1 == 80 && a2 == 90) || (a1 == 90 && a2 == 80));

    fatbin_wrapper w = { FATBIN_WRAPPER_MAGIC, 1, cs.at[1], NULL };
    fatbin_ptx_set set;
    char err[256] = "";
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_OK);
    ck_assert_uint_eq(set.count, 1);
    ck_assert_uint_eq(set.arch[0], 80);
    ck_assert(!set.has_sass_only);
    ck_assert_uint_eq(set.len[0], strlen(set.ptx[0]));
    assert_version_line(set.ptx[0], ".version 9.0");
    ck_assert_ptr_nonnull(strstr(set.ptx[0], ".target sm_80"));
    ck_assert_ptr_nonnull(strstr(set.ptx[0], "_Z12scale_kernelPffi"));
    fatbin_ptx_set_free(&set);
    ck_assert_uint_eq(set.count, 0);
    free(b.data);
}
END_TEST

START_TEST(debug_build)
{
    blob b = load("debug.nv_fatbin");
    containers cs = split(&b);
    ck_assert_int_eq(cs.n, 2);
    entries es = walk(cs.at[1], cs.size[1]);
    ck_assert_int_eq(es.n, 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_uint_eq(es.e[i].flags & 2, 2); /* debug */
        ck_assert_int_eq(es.e[i].compression, FATBIN_COMP_ZSTD);
        ck_assert_ptr_nonnull(es.e[i].name);
        ck_assert_uint_eq(es.e[i].name_len, strlen("scale.cu"));
        ck_assert_int_eq(memcmp(es.e[i].name, "scale.cu", 8), 0);
    }
    /* With -G even the cubin is compressed. */
    size_t len = 0;
    char *elf = payload(&es.e[0], &len);
    ck_assert_uint_eq(len, es.e[0].uncompressed_size);
    ck_assert_int_eq(memcmp(elf, "\177ELF", 4), 0);
    free(elf);

    const fatbin_entry *ptx = &es.e[1];
    ck_assert_int_eq(ptx->kind, FATBIN_ENTRY_PTX);
    ck_assert_ptr_nonnull(ptx->options);
    const char *opts = " -g --dont-merge-basicblocks --return-at-end ";
    ck_assert_uint_eq(ptx->options_len, strlen(opts));
    ck_assert_int_eq(memcmp(ptx->options, opts, strlen(opts)), 0);
    char *text = payload(ptx, &len);
    assert_version_line(text, ".version 9.0");
    ck_assert_ptr_nonnull(strstr(text, ".loc"));
    ck_assert_ptr_nonnull(strstr(text, "_Z12scale_kernelPffi"));
    free(text);
    free(b.data);
}
END_TEST

START_TEST(rdc_build)
{
    blob linked = load("rdc.nv_fatbin");
    containers lc = split(&linked);
    ck_assert_int_eq(lc.n, 1);
    entries le = walk(lc.at[0], lc.size[0]);
    ck_assert_int_eq(le.n, 1);
    ck_assert_int_eq(le.e[0].kind, FATBIN_ENTRY_ELF);

    blob rel = load("rdc.nv_relfatbin");
    containers rc = split(&rel);
    ck_assert_int_eq(rc.n, 2);
    ck_assert_uint_eq(rc.size[0], 0x680);
    ck_assert_uint_eq(rc.size[1], 0x5e0);
    for (int i = 0; i < 2; i++) {
        entries es = walk(rc.at[i], rc.size[i]);
        ck_assert_int_eq(es.n, 2);
        ck_assert_int_eq(es.e[1].kind, FATBIN_ENTRY_PTX);
        ck_assert_ptr_nonnull(es.e[1].options);
        ck_assert_int_eq(memcmp(es.e[1].options, "--compile-only", 14), 0);
    }

    const void *prelinked[] = { rc.at[0], rc.at[1], NULL };
    fatbin_wrapper w = { FATBIN_WRAPPER_MAGIC, 2, lc.at[0], prelinked };
    fatbin_ptx_set set;
    char err[256] = "";
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_OK);
    ck_assert_uint_eq(set.count, 2);
    ck_assert(!set.has_sass_only);
    bool saw_main = false, saw_side = false;
    for (uint32_t i = 0; i < 2; i++) {
        ck_assert_uint_eq(set.arch[i], 75);
        ck_assert_uint_eq(set.len[i], strlen(set.ptx[i]));
        assert_version_line(set.ptx[i], ".version 9.0");
        if (strstr(set.ptx[i], ".entry _Z15rdc_main_kernelPfi(")) {
            saw_main = true;
            /* the helper lives in the other file: linking is the caller's job */
            ck_assert_ptr_nonnull(strstr(set.ptx[i], ".extern .func"));
            ck_assert_ptr_nonnull(strstr(set.ptx[i], "_Z12helper_scalef"));
        }
        if (strstr(set.ptx[i], ".entry _Z15rdc_side_kernelPf(")) {
            saw_side = true;
            ck_assert_ptr_nonnull(strstr(set.ptx[i], ".visible .func"));
        }
    }
    ck_assert(saw_main && saw_side);
    fatbin_ptx_set_free(&set);
    free(linked.data);
    free(rel.data);
}
END_TEST

START_TEST(lto_ir_object)
{
    blob b = load("lto.nv_relfatbin");
    containers cs = split(&b);
    ck_assert_int_eq(cs.n, 1);
    entries es = walk(cs.at[0], cs.size[0]);
    ck_assert_int_eq(es.n, 1);
    ck_assert_int_eq(es.e[0].kind, FATBIN_ENTRY_LTOIR);
    ck_assert_uint_eq(es.e[0].arch, 75);
    ck_assert_int_eq(es.e[0].compression, FATBIN_COMP_ZSTD);
    ck_assert_ptr_nonnull(es.e[0].options);
    ck_assert_int_eq(memcmp(es.e[0].options, "-ftz=0 ", 7), 0);
    /* Its payload is not a plain zstd frame: refused by name, not misread. */
    char *out = (char *)1;
    size_t len = 7;
    char err[512] = "";
    ck_assert_int_eq(fatbin_entry_payload_msg(&es.e[0], &out, &len, err, sizeof err),
                     FATBIN_ERR_DECOMPRESS);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(len, 0);
    ck_assert_msg(strstr(err, "ltoir entry for sm_75 is stored in an undocumented encoding"),
                  "message: %s", err);

    fatbin_wrapper w = { FATBIN_WRAPPER_MAGIC, 1, cs.at[0], NULL };
    fatbin_ptx_set set;
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_NO_PTX);
    ck_assert(!set.has_sass_only);
    ck_assert_msg(strstr(err, "only LTO IR") != NULL, "message: %s", err);

    const void *prelinked[] = { cs.at[0], NULL };
    w = (fatbin_wrapper){ FATBIN_WRAPPER_MAGIC, 2, cs.at[0], prelinked };
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_NO_PTX);
    ck_assert_msg(strstr(err, "LTO IR only") != NULL, "message: %s", err);
    free(b.data);
}
END_TEST

/* ------------------------------------------------------------------ wrappers */

START_TEST(wrapper_errors)
{
    blob b = load("zstd.nv_fatbin");
    containers cs = split(&b);
    blob sass = load("sass.nv_fatbin");
    containers ss = split(&sass);
    fatbin_ptx_set set;
    char err[512];

    ck_assert_int_eq(fatbin_extract_ptx(NULL, &set, err, sizeof err), FATBIN_ERR_BAD_WRAPPER);

    fatbin_wrapper w = { FATBIN_WRAPPER_MAGIC ^ 1, 1, cs.at[1], NULL };
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_BAD_WRAPPER);
    ck_assert_msg(strstr(err, "magic") != NULL, "message: %s", err);

    w = (fatbin_wrapper){ FATBIN_WRAPPER_MAGIC, 3, cs.at[1], NULL };
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_BAD_WRAPPER);
    ck_assert_msg(strstr(err, "version 3") != NULL, "message: %s", err);

    w = (fatbin_wrapper){ FATBIN_WRAPPER_MAGIC, 1, NULL, NULL };
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_BAD_WRAPPER);

    /* v2 without a prelinked list: the linked cubin has no PTX, and data is never
     * scanned for it. */
    w = (fatbin_wrapper){ FATBIN_WRAPPER_MAGIC, 2, cs.at[1], NULL };
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_NO_PTX);
    ck_assert_uint_eq(set.count, 0);

    const void *empty[] = { NULL };
    w = (fatbin_wrapper){ FATBIN_WRAPPER_MAGIC, 2, cs.at[0], empty };
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_NO_PTX);

    /* v1 whose container is only the device-link cubin */
    w = (fatbin_wrapper){ FATBIN_WRAPPER_MAGIC, 1, cs.at[0], NULL };
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_NO_PTX);
    ck_assert(set.has_sass_only);

    /* v2 mixing a SASS-only file with one that has PTX: the PTX comes back, flagged. */
    const void *mixed[] = { ss.at[1], cs.at[1], NULL };
    w = (fatbin_wrapper){ FATBIN_WRAPPER_MAGIC, 2, cs.at[0], mixed };
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_OK);
    ck_assert_uint_eq(set.count, 1);
    ck_assert(set.has_sass_only);
    ck_assert_ptr_nonnull(strstr(set.ptx[0], "_Z12scale_kernelPffi"));
    fatbin_ptx_set_free(&set);

    /* v2 where every file is SASS only */
    const void *all_sass[] = { ss.at[1], ss.at[1], NULL };
    w = (fatbin_wrapper){ FATBIN_WRAPPER_MAGIC, 2, cs.at[0], all_sass };
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_NO_PTX);
    ck_assert(set.has_sass_only);
    ck_assert_msg(strstr(err, "2 per-file containers") != NULL, "message: %s", err);

    /* a malformed container in a v2 list names its position and leaves out empty */
    blob bad = copy_of(cs.at[1], cs.size[1]);
    bad.data[0] ^= 0xff;
    const void *with_bad[] = { cs.at[1], bad.data, NULL };
    w = (fatbin_wrapper){ FATBIN_WRAPPER_MAGIC, 2, cs.at[0], with_bad };
    ck_assert_int_eq(fatbin_extract_ptx(&w, &set, err, sizeof err), FATBIN_ERR_BAD_CONTAINER);
    ck_assert_msg(strstr(err, "prelinked container 1") != NULL, "message: %s", err);
    ck_assert_uint_eq(set.count, 0);
    ck_assert_ptr_null(set.ptx);

    free(bad.data);
    free(b.data);
    free(sass.data);
}
END_TEST

/* ------------------------------------------------------------------ malformed input */

/* The file's own container of zstd.nv_fatbin, copied so it can be damaged. Entry 1
 * (the PTX) starts at CONT_PTX_ENTRY. */
#define CONT_ELF_ENTRY 0x10u
#define CONT_PTX_ENTRY (0x10u + 0x40u + 0xca8u)

static blob own_container(const char *name)
{
    blob b = load(name);
    containers cs = split(&b);
    blob c = copy_of(cs.at[1], cs.size[1]);
    free(b.data);
    return c;
}

/* Walk and, when that succeeds, decompress every entry: the first failure. */
static fatbin_status walk_and_extract(const blob *c, char *err, size_t errlen)
{
    entries es = { .n = 0 };
    fatbin_status st = fatbin_container_walk_msg(c->data, c->size, collect, &es, NULL,
                                                 err, errlen);
    for (int i = 0; st == FATBIN_OK && i < es.n; i++) {
        char *out = NULL;
        size_t len;
        st = fatbin_entry_payload_msg(&es.e[i], &out, &len, err, errlen);
        ck_assert(st == FATBIN_OK ? out != NULL : out == NULL);
        free(out);
    }
    return st;
}

START_TEST(truncated_everywhere)
{
    blob c = own_container("zstd.nv_fatbin");
    for (size_t cut = 0; cut < c.size; cut++) {
        blob t = copy_of(c.data, cut);
        char err[256] = "";
        fatbin_status st = walk_and_extract(&t, err, sizeof err);
        ck_assert_msg(st == FATBIN_ERR_TRUNCATED, "cut at %zu: %s (%s)", cut,
                      fatbin_status_name(st), err);
        free(t.data);
    }
    char err[256] = "";
    ck_assert_int_eq(walk_and_extract(&c, err, sizeof err), FATBIN_OK);
    free(c.data);
}
END_TEST

START_TEST(fat_size_lies)
{
    blob c = own_container("zstd.nv_fatbin");
    const uint64_t real = c.size - 16;
    const uint64_t first_entry = 0x40 + 0xca8;
    for (uint64_t fs = 0; fs < real; fs++) {
        put64(c.data + 8, fs);
        entries es = { .n = 0 };
        size_t consumed = 0;
        fatbin_status st = fatbin_container_walk(c.data, c.size, collect, &es, &consumed);
        if (fs == 0 || fs == first_entry) {
            /* an entry boundary: a shorter but well-formed container */
            ck_assert_int_eq(st, FATBIN_OK);
            ck_assert_int_eq(es.n, fs == 0 ? 0 : 1);
            ck_assert_uint_eq(consumed, 16 + fs);
        } else {
            ck_assert_msg(st == FATBIN_ERR_TRUNCATED, "fat_size %llu: %s",
                          (unsigned long long)fs, fatbin_status_name(st));
            ck_assert_uint_eq(consumed, 0);
        }
    }
    put64(c.data + 8, real + 8);
    ck_assert_int_eq(fatbin_container_walk(c.data, c.size, NULL, NULL, NULL),
                     FATBIN_ERR_TRUNCATED);
    put64(c.data + 8, (uint64_t)FATBIN_MAX_PAYLOAD + 1);
    ck_assert_int_eq(fatbin_container_walk(c.data, SIZE_MAX, NULL, NULL, NULL),
                     FATBIN_ERR_TOO_LARGE);
    put64(c.data + 8, UINT64_MAX);
    ck_assert_int_eq(fatbin_container_walk(c.data, SIZE_MAX, NULL, NULL, NULL),
                     FATBIN_ERR_TOO_LARGE);
    free(c.data);
}
END_TEST

/* One damaged field, the status it must produce, and a word the message must hold. */
typedef struct damage {
    const char *what;
    const char *blob;
    size_t offset;   /* into the container */
    int width;       /* 1, 2, 4, 8 bytes; 0 = fill the PTX payload with `value` */
    uint64_t value;
    fatbin_status expect;
    const char *message;
    /* The damage claims bytes beyond the buffer: only a bounded walk can tell, so
     * it is not fed to fatbin_extract_ptx (which trusts a program's own image). */
    bool claims_outside;
} damage;

#define PTX_HDR(off) (CONT_PTX_ENTRY + (off))

static const damage damages[] = {
    { "flipped container magic", "zstd.nv_fatbin", 0, 4, 0x50ED55BBu, FATBIN_ERR_BAD_CONTAINER, "magic", false },
    { "zeroed container magic", "zstd.nv_fatbin", 0, 4, 0, FATBIN_ERR_BAD_CONTAINER, "magic", false },
    { "container version 2", "zstd.nv_fatbin", 4, 2, 2, FATBIN_ERR_BAD_CONTAINER, "version", false },
    { "container header size 8", "zstd.nv_fatbin", 6, 2, 8, FATBIN_ERR_BAD_CONTAINER, "header size", false },
    { "container header size huge", "zstd.nv_fatbin", 6, 2, 0xffff, FATBIN_ERR_TRUNCATED, "past", true },
    { "entry header size 0", "zstd.nv_fatbin", CONT_ELF_ENTRY + 4, 4, 0, FATBIN_ERR_BAD_CONTAINER, "header size", false },
    { "entry header size huge", "zstd.nv_fatbin", PTX_HDR(4), 4, 0xfffffff0u, FATBIN_ERR_TRUNCATED, "header size", false },
    { "entry payload size huge", "zstd.nv_fatbin", PTX_HDR(8), 8, UINT64_MAX, FATBIN_ERR_TRUNCATED, "payload size", false },
    { "entry payload size past end", "zstd.nv_fatbin", PTX_HDR(8), 8, 0x178, FATBIN_ERR_TRUNCATED, "payload size", false },
    { "ELF payload size small", "zstd.nv_fatbin", CONT_ELF_ENTRY + 8, 8, 0xca0, FATBIN_ERR_BAD_CONTAINER, "entry 1", false },
    { "PTX payload below compressed size", "zstd.nv_fatbin", PTX_HDR(8), 8, 0x168, FATBIN_ERR_TRUNCATED, "compressed size", false },
    { "PTX payload size small", "zstd.nv_fatbin", PTX_HDR(8), 8, 0x16f, FATBIN_ERR_TRUNCATED, "entry 2", false },
    { "compressed size past payload", "zstd.nv_fatbin", PTX_HDR(0x10), 4, 0x171, FATBIN_ERR_TRUNCATED, "compressed size", false },
    { "compressed size huge", "zstd.nv_fatbin", PTX_HDR(0x10), 4, 0xffffffffu, FATBIN_ERR_TRUNCATED, "compressed size", false },
    { "zstd frame cut short", "zstd.nv_fatbin", PTX_HDR(0x10), 4, 0x100, FATBIN_ERR_DECOMPRESS, "zstd", false },
    { "both compressions", "zstd.nv_fatbin", PTX_HDR(0x28), 8, 0xa011, FATBIN_ERR_BAD_CONTAINER, "both", false },
    { "name past header", "zstd.nv_fatbin", PTX_HDR(0x20), 8, 0x0000001000000048ull, FATBIN_ERR_BAD_CONTAINER, "name", false },
    { "options descriptor past header", "zstd.nv_fatbin", PTX_HDR(0x14), 4, 0x4c, FATBIN_ERR_BAD_CONTAINER, "options", false },
    { "options text past header", "zstd.nv_fatbin", PTX_HDR(0x44), 4, 0x20, FATBIN_ERR_BAD_CONTAINER, "options", false },
    { "zstd size declared small", "zstd.nv_fatbin", PTX_HDR(0x38), 8, 0x300, FATBIN_ERR_DECOMPRESS, "zstd", false },
    { "zstd size declared large", "zstd.nv_fatbin", PTX_HDR(0x38), 8, 0x306, FATBIN_ERR_DECOMPRESS, "zstd", false },
    { "zstd size declared 0", "zstd.nv_fatbin", PTX_HDR(0x38), 8, 0, FATBIN_ERR_DECOMPRESS, "size of 0", false },
    { "zstd size above limit", "zstd.nv_fatbin", PTX_HDR(0x38), 8, (uint64_t)FATBIN_MAX_PAYLOAD + 1, FATBIN_ERR_TOO_LARGE, "limit", false },
    { "zstd size huge", "zstd.nv_fatbin", PTX_HDR(0x38), 8, UINT64_MAX, FATBIN_ERR_TOO_LARGE, "limit", false },
    { "zstd garbage", "zstd.nv_fatbin", 0, 0, 0xab, FATBIN_ERR_DECOMPRESS, "zstd", false },
    { "zstd zeros", "zstd.nv_fatbin", 0, 0, 0x00, FATBIN_ERR_DECOMPRESS, "zstd", false },
    { "lz4 size declared small", "lz4.nv_fatbin", PTX_HDR(0x38), 8, 0x300, FATBIN_ERR_DECOMPRESS, "LZ4", false },
    { "lz4 size declared large", "lz4.nv_fatbin", PTX_HDR(0x38), 8, 0x306, FATBIN_ERR_DECOMPRESS, "LZ4", false },
    { "lz4 size declared 0", "lz4.nv_fatbin", PTX_HDR(0x38), 8, 0, FATBIN_ERR_DECOMPRESS, "size of 0", false },
    { "lz4 size above limit", "lz4.nv_fatbin", PTX_HDR(0x38), 8, (uint64_t)FATBIN_MAX_PAYLOAD + 1, FATBIN_ERR_TOO_LARGE, "limit", false },
    { "lz4 garbage", "lz4.nv_fatbin", 0, 0, 0xff, FATBIN_ERR_DECOMPRESS, "LZ4", false },
    { "lz4 block cut short", "lz4.nv_fatbin", PTX_HDR(0x10), 4, 0x100, FATBIN_ERR_DECOMPRESS, "LZ4", false },
};

START_TEST(damaged_fields)
{
    const damage *d = &damages[_i];
    blob c = own_container(d->blob);
    if (d->width == 0) {
        uint32_t stored = 0;
        memcpy(&stored, c.data + PTX_HDR(0x10), 4);
        memset(c.data + PTX_HDR(0x50), (int)d->value, stored);
    } else if (d->width == 2) {
        c.data[d->offset] = (unsigned char)d->value;
        c.data[d->offset + 1] = (unsigned char)(d->value >> 8);
    } else if (d->width == 4) {
        put32(c.data + d->offset, (uint32_t)d->value);
    } else {
        put64(c.data + d->offset, d->value);
    }
    char err[512] = "";
    fatbin_status st = walk_and_extract(&c, err, sizeof err);
    ck_assert_msg(st == d->expect, "%s: got %s, expected %s (%s)", d->what,
                  fatbin_status_name(st), fatbin_status_name(d->expect), err);
    ck_assert_msg(strstr(err, d->message) != NULL, "%s: message '%s' lacks '%s'", d->what,
                  err, d->message);

    /* The same container through a wrapper fails the same way and leaves nothing. */
    fatbin_wrapper w = { FATBIN_WRAPPER_MAGIC, 1, c.data, NULL };
    fatbin_ptx_set set;
    if (!d->claims_outside) {
        fatbin_status ws = fatbin_extract_ptx(&w, &set, err, sizeof err);
        ck_assert_msg(ws == d->expect, "%s: extraction gave %s", d->what, fatbin_status_name(ws));
        ck_assert_uint_eq(set.count, 0);
        ck_assert_ptr_null(set.ptx);
        fatbin_ptx_set_free(&set);
    }
    free(c.data);
}
END_TEST

/* Every single-byte corruption of the headers of a container: no crash, no read out
 * of bounds (run under ASan), and a success only with a complete result. */
START_TEST(every_header_byte)
{
    blob c = own_container("lz4.nv_fatbin");
    const size_t header_bytes[][2] = { { 0, 0x50 }, { CONT_PTX_ENTRY, CONT_PTX_ENTRY + 0x50 } };
    const unsigned char values[] = { 0x00, 0xff, 0x80, 0x7f, 0x01 };
    for (size_t r = 0; r < 2; r++) {
        for (size_t off = header_bytes[r][0]; off < header_bytes[r][1]; off++) {
            for (size_t v = 0; v < sizeof values; v++) {
                blob t = copy_of(c.data, c.size);
                t.data[off] = values[v];
                char err[256] = "";
                fatbin_status st = walk_and_extract(&t, err, sizeof err);
                ck_assert_msg(st >= FATBIN_OK && st <= FATBIN_ERR_NOT_ELF, "offset %zu", off);
                if (st != FATBIN_OK)
                    ck_assert_msg(err[0] != '\0', "offset %zu: %s without a message", off,
                                  fatbin_status_name(st));
                /* Only a container consistent with its bytes may go through the
                 * trusting path; it must then agree with the bounded one. */
                if (st == FATBIN_OK) {
                    fatbin_wrapper w = { FATBIN_WRAPPER_MAGIC, 1, t.data, NULL };
                    fatbin_ptx_set set;
                    fatbin_status ws = fatbin_extract_ptx(&w, &set, err, sizeof err);
                    ck_assert_msg(ws == FATBIN_OK || ws == FATBIN_ERR_NO_PTX, "offset %zu: %s",
                                  off, fatbin_status_name(ws));
                    if (ws == FATBIN_OK) {
                        ck_assert_uint_eq(set.count, 1);
                        ck_assert_uint_eq(set.len[0], strlen(set.ptx[0]));
                    }
                    fatbin_ptx_set_free(&set);
                }
                free(t.data);
            }
        }
    }
    free(c.data);
}
END_TEST

START_TEST(status_names)
{
    for (int a = FATBIN_OK; a <= FATBIN_ERR_NOT_ELF; a++) {
        ck_assert_ptr_nonnull(fatbin_status_name(a));
        for (int b = a + 1; b <= FATBIN_ERR_NOT_ELF; b++)
            ck_assert_str_ne(fatbin_status_name(a), fatbin_status_name(b));
    }
    ck_assert_str_eq(fatbin_status_name(FATBIN_ERR_NO_PTX), "no PTX in fatbin (SASS only)");
    ck_assert_str_eq(fatbin_entry_kind_name(FATBIN_ENTRY_PTX), "ptx");
    ck_assert_str_eq(fatbin_entry_kind_name(FATBIN_ENTRY_ELF), "elf");
    ck_assert_str_eq(fatbin_entry_kind_name(FATBIN_ENTRY_LTOIR), "ltoir");
    ck_assert_str_eq(fatbin_compression_name(FATBIN_COMP_ZSTD), "zstd");
    ck_assert_str_eq(fatbin_compression_name(FATBIN_COMP_LZ4), "lz4");
    ck_assert_str_eq(fatbin_compression_name(FATBIN_COMP_NONE), "none");
}
END_TEST

/* ------------------------------------------------------------------ ELF files */

typedef struct found {
    fatbin_elf_container c[MAX_CONTAINERS];
    int n;
    int stop_after;
} found;

static bool on_container(const fatbin_elf_container *c, void *user)
{
    found *f = user;
    ck_assert_int_lt(f->n, MAX_CONTAINERS);
    f->c[f->n++] = *c;
    return f->stop_after == 0 || f->n < f->stop_after;
}

START_TEST(elf_scan_default_build)
{
    blob b = load("zstd.elf");
    found f = { .n = 0 };
    fatbin_elf_info info;
    char err[256] = "";
    ck_assert_int_eq(fatbin_elf_scan(b.data, b.size, on_container, &f, &info, err, sizeof err),
                     FATBIN_OK);
    ck_assert(info.has_nv_fatbin);
    ck_assert(!info.has_relfatbin);
    ck_assert(info.has_segment);
    ck_assert_uint_eq(info.wrappers_v1, 1);
    ck_assert_uint_eq(info.wrappers_v2, 1);
    ck_assert_uint_eq(info.containers, 2);
    ck_assert_int_eq(f.n, 2);
    ck_assert_str_eq(f.c[0].section, ".nv_fatbin");
    ck_assert_uint_eq(f.c[0].index, 0);
    ck_assert_int_eq(f.c[0].role, FATBIN_ROLE_LINKED);
    ck_assert_uint_eq(f.c[0].size, 0x5f8);
    ck_assert_uint_eq(f.c[0].file_offset, 0x2020);
    ck_assert_uint_eq(f.c[0].vaddr, 0x2020);
    ck_assert_int_eq(f.c[1].role, FATBIN_ROLE_MODULE);
    ck_assert_uint_eq(f.c[1].index, 1);
    ck_assert_uint_eq(f.c[1].size, 0xeb8);
    ck_assert_uint_eq(f.c[1].file_offset, 0x2020 + 0x5f8);
    ck_assert_ptr_eq(f.c[1].data, b.data + 0x2020 + 0x5f8);

    entries es = walk(f.c[1].data, f.c[1].size);
    ck_assert_int_eq(es.n, 2);
    size_t len;
    char *text = payload(&es.e[1], &len);
    ck_assert_ptr_nonnull(strstr(text, "_Z12scale_kernelPffi"));
    free(text);

    /* early stop */
    found one = { .n = 0, .stop_after = 1 };
    ck_assert_int_eq(fatbin_elf_scan(b.data, b.size, on_container, &one, &info, NULL, 0),
                     FATBIN_OK);
    ck_assert_int_eq(one.n, 1);
    free(b.data);
}
END_TEST

START_TEST(elf_scan_rdc_build)
{
    blob b = load("rdc.elf");
    found f = { .n = 0 };
    fatbin_elf_info info;
    char err[256] = "";
    ck_assert_int_eq(fatbin_elf_scan(b.data, b.size, on_container, &f, &info, err, sizeof err),
                     FATBIN_OK);
    ck_assert(info.has_nv_fatbin);
    ck_assert(info.has_relfatbin);
    ck_assert_uint_eq(info.wrappers_v2, 1);
    ck_assert_uint_eq(info.wrappers_v1, 2);
    ck_assert_int_eq(f.n, 3);
    ck_assert_str_eq(f.c[0].section, ".nv_fatbin");
    ck_assert_int_eq(f.c[0].role, FATBIN_ROLE_LINKED);
    ck_assert_uint_eq(f.c[0].size, 0x17f8);
    for (int i = 1; i < 3; i++) {
        ck_assert_str_eq(f.c[i].section, "__nv_relfatbin");
        ck_assert_int_eq(f.c[i].role, FATBIN_ROLE_MODULE);
    }
    ck_assert_uint_eq(f.c[1].size, 0x680);
    ck_assert_uint_eq(f.c[2].size, 0x5e0);
    ck_assert_uint_eq(f.c[2].file_offset, f.c[1].file_offset + 0x680);

    /* The relfatbin section of the file is the committed blob. */
    blob rel = load("rdc.nv_relfatbin");
    ck_assert_int_eq(memcmp(f.c[1].data, rel.data, rel.size), 0);
    free(rel.data);
    free(b.data);
}
END_TEST

START_TEST(elf_scan_not_fatbin)
{
    char err[256] = "";
    fatbin_elf_info info;
    ck_assert_int_eq(fatbin_elf_scan("hello", 5, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_NOT_ELF);
    ck_assert_msg(strstr(err, "not an ELF") != NULL, "message: %s", err);
    ck_assert_int_eq(fatbin_elf_scan(NULL, 0, NULL, NULL, NULL, NULL, 0), FATBIN_ERR_NOT_ELF);

    /* This test program is an ELF file without device code. */
    FILE *f = fopen("/proc/self/exe", "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char *image = NULL;
    size_t size = 0, cap = 0, n;
    do {
        if (size == cap) {
            cap = cap ? 2 * cap : 65536;
            image = realloc(image, cap);
            ck_assert_ptr_nonnull(image);
        }
        n = fread(image + size, 1, cap - size, f);
        size += n;
    } while (n > 0);
    fclose(f);
    ck_assert_int_eq(fatbin_elf_scan(image, size, NULL, NULL, &info, err, sizeof err), FATBIN_OK);
    ck_assert_uint_eq(info.containers, 0);
    ck_assert(!info.has_nv_fatbin && !info.has_segment);

    image[4] = 1; /* ELFCLASS32 */
    ck_assert_int_eq(fatbin_elf_scan(image, size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_NOT_ELF);
    ck_assert_msg(strstr(err, "32-bit") != NULL, "message: %s", err);
    image[4] = 2;
    image[5] = 2; /* big endian */
    ck_assert_int_eq(fatbin_elf_scan(image, size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_NOT_ELF);
    free(image);
}
END_TEST

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* File offset of the section header of `name` in a committed ELF blob. */
static size_t shdr_of(const blob *b, const char *name)
{
    uint64_t shoff = get64(b->data + 0x28);
    unsigned shnum = b->data[0x3c] | (b->data[0x3d] << 8);
    unsigned shstrndx = b->data[0x3e] | (b->data[0x3f] << 8);
    uint64_t strtab = get64(b->data + shoff + shstrndx * 64 + 24);
    for (unsigned i = 0; i < shnum; i++) {
        const unsigned char *h = b->data + shoff + i * 64;
        unsigned at = h[0] | (h[1] << 8) | (h[2] << 16) | ((unsigned)h[3] << 24);
        if (strcmp((const char *)b->data + strtab + at, name) == 0)
            return shoff + i * 64;
    }
    ck_abort_msg("no section %s", name);
    return 0;
}

START_TEST(elf_scan_malformed)
{
    blob b = load("rdc.elf");
    char err[512];
    fatbin_elf_info info;

    /* Truncated anywhere: the section headers sit at the end of the file. */
    for (size_t cut = 0; cut < b.size; cut += 61) {
        blob t = copy_of(b.data, cut);
        fatbin_status st = fatbin_elf_scan(t.data, t.size, NULL, NULL, &info, err, sizeof err);
        ck_assert_msg(st == (cut < 64 ? FATBIN_ERR_NOT_ELF : FATBIN_ERR_TRUNCATED),
                      "cut at %zu: %s (%s)", cut, fatbin_status_name(st), err);
        free(t.data);
    }

    blob t = copy_of(b.data, b.size);
    put64(t.data + 0x28, b.size - 32); /* e_shoff */
    ck_assert_int_eq(fatbin_elf_scan(t.data, t.size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_TRUNCATED);
    put64(t.data + 0x28, UINT64_MAX - 8);
    ck_assert_int_eq(fatbin_elf_scan(t.data, t.size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_TRUNCATED);
    put64(t.data + 0x28, 0);
    ck_assert_int_eq(fatbin_elf_scan(t.data, t.size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_NOT_ELF);
    ck_assert_msg(strstr(err, "no section headers") != NULL, "message: %s", err);
    memcpy(t.data, b.data, b.size);
    t.data[0x3a] = 40; /* e_shentsize */
    ck_assert_int_eq(fatbin_elf_scan(t.data, t.size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_NOT_ELF);
    memcpy(t.data, b.data, b.size);
    t.data[0x3c] = 0xff; /* e_shnum */
    t.data[0x3d] = 0xfe;
    ck_assert_int_eq(fatbin_elf_scan(t.data, t.size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_TRUNCATED);
    memcpy(t.data, b.data, b.size);
    t.data[0x3e] = 0xf0; /* e_shstrndx */
    ck_assert_int_eq(fatbin_elf_scan(t.data, t.size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_NOT_ELF);

    /* the .nv_fatbin section extends past the end of the file */
    memcpy(t.data, b.data, b.size);
    size_t h = shdr_of(&t, ".nv_fatbin");
    put64(t.data + h + 32, b.size);
    ck_assert_int_eq(fatbin_elf_scan(t.data, t.size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_TRUNCATED);
    ck_assert_msg(strstr(err, ".nv_fatbin") != NULL, "message: %s", err);
    put64(t.data + h + 24, UINT64_MAX);
    ck_assert_int_eq(fatbin_elf_scan(t.data, t.size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_TRUNCATED);

    /* a damaged second relfatbin container: the first is reported, then the error
     * names the section and offset */
    memcpy(t.data, b.data, b.size);
    h = shdr_of(&t, "__nv_relfatbin");
    uint64_t rel_off = get64(t.data + h + 24);
    t.data[rel_off + 0x680] ^= 0x10;
    found f = { .n = 0 };
    ck_assert_int_eq(fatbin_elf_scan(t.data, t.size, on_container, &f, &info, err, sizeof err),
                     FATBIN_ERR_BAD_CONTAINER);
    ck_assert_int_eq(f.n, 2);
    ck_assert_msg(strstr(err, "__nv_relfatbin") && strstr(err, "0x680"), "message: %s", err);

    /* a lying entry size inside a container found in a file */
    memcpy(t.data, b.data, b.size);
    put64(t.data + rel_off + 0x10 + 8, 0x100000);
    ck_assert_int_eq(fatbin_elf_scan(t.data, t.size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_TRUNCATED);
    ck_assert_msg(strstr(err, "payload size") != NULL, "message: %s", err);

    free(t.data);
    free(b.data);
}
END_TEST

static bool check_inside(const fatbin_elf_container *c, void *user)
{
    const blob *b = user;
    ck_assert(c->data >= (const void *)b->data);
    ck_assert_uint_le(c->file_offset, b->size);
    ck_assert_uint_le(c->size, b->size - c->file_offset);
    ck_assert_ptr_eq(c->data, b->data + c->file_offset);
    return true;
}

/* Every single-byte corruption of the ELF header and section header table: no crash
 * and no read outside the image (run under ASan); what is reported lies inside it. */
START_TEST(elf_scan_every_header_byte)
{
    blob b = load("rdc.elf");
    uint64_t shoff = get64(b.data + 0x28);
    const unsigned char values[] = { 0x00, 0xff, 0x80 };
    char err[512];
    fatbin_elf_info info;
    for (size_t off = 0; off < b.size; off++) {
        if (off == 64)
            off = shoff; /* skip to the section headers */
        for (size_t v = 0; v < sizeof values; v++) {
            unsigned char saved = b.data[off];
            b.data[off] = values[v];
            err[0] = '\0';
            fatbin_status st = fatbin_elf_scan(b.data, b.size, check_inside, &b, &info, err,
                                               sizeof err);
            ck_assert_msg(st >= FATBIN_OK && st <= FATBIN_ERR_NOT_ELF, "offset %zu", off);
            ck_assert_msg(st == FATBIN_OK || err[0], "offset %zu: %s without a message", off,
                          fatbin_status_name(st));
            b.data[off] = saved;
        }
    }
    free(b.data);
}
END_TEST

/* A minimal ELF64 image holding the given sections, for layouts nvcc does not produce
 * on its own (padding, relocations, object files). */
typedef struct synth_section {
    const char *name;
    uint32_t type;      /* 1 PROGBITS, 4 RELA, 8 NOBITS */
    uint64_t addr;
    const void *data;
    size_t size;
} synth_section;

static blob make_elf(uint16_t e_type, const synth_section *secs, int n)
{
    size_t data_size = 0, names_size = 1;
    for (int i = 0; i < n; i++) {
        data_size += (secs[i].size + 7) & ~(size_t)7;
        names_size += strlen(secs[i].name) + 1;
    }
    names_size += strlen(".shstrtab") + 1;
    size_t names_off = 64 + data_size;
    size_t shoff = (names_off + names_size + 7) & ~(size_t)7;
    size_t total = shoff + (size_t)(n + 2) * 64;
    blob b = { calloc(1, total), total };
    ck_assert_ptr_nonnull(b.data);
    memcpy(b.data, "\177ELF\2\1\1", 7);
    b.data[16] = (unsigned char)e_type;
    b.data[18] = 62; /* x86-64 */
    put64(b.data + 0x28, shoff);
    b.data[0x3a] = 64;
    b.data[0x3c] = (unsigned char)(n + 2);
    b.data[0x3e] = (unsigned char)(n + 1);
    size_t at = 64, name_at = 1;
    for (int i = 0; i <= n; i++) {
        unsigned char *h = b.data + shoff + (size_t)(i + 1) * 64;
        const char *name = i < n ? secs[i].name : ".shstrtab";
        memcpy(b.data + names_off + name_at, name, strlen(name) + 1);
        put32(h, (uint32_t)name_at);
        name_at += strlen(name) + 1;
        if (i == n) {
            put32(h + 4, 3);
            put64(h + 24, names_off);
            put64(h + 32, names_size);
            break;
        }
        put32(h + 4, secs[i].type);
        put64(h + 16, secs[i].addr);
        put64(h + 24, at);
        put64(h + 32, secs[i].size);
        if (secs[i].type != 8 && secs[i].data)
            memcpy(b.data + at, secs[i].data, secs[i].size);
        at += (secs[i].size + 7) & ~(size_t)7;
    }
    return b;
}

static void put_wrapper(unsigned char *p, uint32_t version, uint64_t data)
{
    put32(p, FATBIN_WRAPPER_MAGIC);
    put32(p + 4, version);
    put64(p + 8, data);
    put64(p + 16, 0);
}

START_TEST(elf_scan_synthetic_layouts)
{
    blob src = load("zstd.nv_fatbin");
    containers cs = split(&src);
    const size_t gap = 8, s0 = cs.size[0], s1 = cs.size[1];
    const uint64_t base = 0x10000;
    blob sect = { calloc(1, s0 + gap + s1), s0 + gap + s1 };
    memcpy(sect.data, cs.at[0], s0);
    memcpy(sect.data + s0 + gap, cs.at[1], s1);
    unsigned char seg[48];
    put_wrapper(seg, 2, base);
    put_wrapper(seg + 24, 1, base + s0 + gap);
    synth_section secs[] = {
        { ".nv_fatbin", 1, base, sect.data, sect.size },
        { ".nvFatBinSegment", 1, 0x20000, seg, sizeof seg },
    };
    char err[512] = "";
    fatbin_elf_info info;

    /* zero padding between containers is skipped */
    blob elf = make_elf(3, secs, 2);
    found f = { .n = 0 };
    ck_assert_int_eq(fatbin_elf_scan(elf.data, elf.size, on_container, &f, &info, err, sizeof err),
                     FATBIN_OK);
    ck_assert_int_eq(f.n, 2);
    ck_assert_int_eq(f.c[0].role, FATBIN_ROLE_LINKED);
    ck_assert_int_eq(f.c[1].role, FATBIN_ROLE_MODULE);
    ck_assert_uint_eq(f.c[1].vaddr, base + s0 + gap);
    ck_assert_uint_eq(f.c[1].file_offset, 64 + s0 + gap);
    ck_assert_uint_eq(f.c[1].size, s1);
    free(elf.data);

    /* the same file as an object: addresses are not final, roles unknown */
    elf = make_elf(1, secs, 2);
    f.n = 0;
    ck_assert_int_eq(fatbin_elf_scan(elf.data, elf.size, on_container, &f, &info, err, sizeof err),
                     FATBIN_OK);
    ck_assert_int_eq(f.n, 2);
    ck_assert_int_eq(f.c[0].role, FATBIN_ROLE_UNKNOWN);
    ck_assert_int_eq(f.c[1].role, FATBIN_ROLE_UNKNOWN);
    ck_assert_uint_eq(f.c[1].vaddr, 0);
    free(elf.data);

    /* without wrappers, both are unknown too */
    elf = make_elf(3, secs, 1);
    f.n = 0;
    ck_assert_int_eq(fatbin_elf_scan(elf.data, elf.size, on_container, &f, &info, err, sizeof err),
                     FATBIN_OK);
    ck_assert(!info.has_segment);
    ck_assert_int_eq(f.c[1].role, FATBIN_ROLE_UNKNOWN);
    free(elf.data);

    /* a wrapper whose pointer the linker left zero, with the value in a RELATIVE
     * relocation (as some linkers write position-independent files) */
    put64(seg + 24 + 8, 0);
    unsigned char rela[24];
    put64(rela, 0x20000 + 24 + 8);
    put64(rela + 8, 8); /* R_X86_64_RELATIVE */
    put64(rela + 16, base + s0 + gap);
    synth_section with_rela[] = { secs[0], secs[1], { ".rela.dyn", 4, 0, rela, sizeof rela } };
    elf = make_elf(3, with_rela, 3);
    f.n = 0;
    ck_assert_int_eq(fatbin_elf_scan(elf.data, elf.size, on_container, &f, &info, err, sizeof err),
                     FATBIN_OK);
    ck_assert_int_eq(f.c[0].role, FATBIN_ROLE_LINKED);
    ck_assert_int_eq(f.c[1].role, FATBIN_ROLE_MODULE);
    free(elf.data);
    /* ... and without the relocation nothing points at the file's container */
    elf = make_elf(3, secs, 2);
    f.n = 0;
    ck_assert_int_eq(fatbin_elf_scan(elf.data, elf.size, on_container, &f, &info, err, sizeof err),
                     FATBIN_OK);
    ck_assert_int_eq(f.c[1].role, FATBIN_ROLE_UNREFERENCED);
    ck_assert_uint_eq(info.wrappers_v1, 1);
    free(elf.data);

    /* junk between containers is an error naming where */
    memset(sect.data + s0, 0xab, gap);
    elf = make_elf(3, secs, 2);
    f.n = 0;
    ck_assert_int_eq(fatbin_elf_scan(elf.data, elf.size, on_container, &f, &info, err, sizeof err),
                     FATBIN_ERR_BAD_CONTAINER);
    ck_assert_int_eq(f.n, 1);
    char where[64];
    snprintf(where, sizeof where, ".nv_fatbin, container at offset 0x%zx", s0);
    ck_assert_msg(strstr(err, where) != NULL, "message: %s", err);
    free(elf.data);

    /* a fatbin section without contents in the file */
    synth_section nobits[] = { { ".nv_fatbin", 8, base, NULL, 0x1000 } };
    elf = make_elf(3, nobits, 1);
    ck_assert_int_eq(fatbin_elf_scan(elf.data, elf.size, NULL, NULL, &info, err, sizeof err),
                     FATBIN_ERR_TRUNCATED);
    ck_assert_msg(strstr(err, "no contents") != NULL, "message: %s", err);
    free(elf.data);

    free(sect.data);
    free(src.data);
}
END_TEST

static Suite *fatbin_suite(void)
{
    Suite *s = suite_create("fatbin");
    TCase *blobs = tcase_create("blobs");
    tcase_add_test(blobs, zstd_default_build);
    tcase_add_test(blobs, lz4_build);
    tcase_add_test(blobs, uncompressed_build);
    tcase_add_test(blobs, sass_only_build);
    tcase_add_test(blobs, multi_arch_build);
    tcase_add_test(blobs, debug_build);
    tcase_add_test(blobs, rdc_build);
    tcase_add_test(blobs, lto_ir_object);
    tcase_add_test(blobs, wrapper_errors);
    tcase_add_test(blobs, status_names);
    suite_add_tcase(s, blobs);

    TCase *bad = tcase_create("malformed");
    tcase_set_timeout(bad, 60);
    tcase_add_test(bad, truncated_everywhere);
    tcase_add_test(bad, fat_size_lies);
    tcase_add_loop_test(bad, damaged_fields, 0, (int)(sizeof damages / sizeof damages[0]));
    tcase_add_test(bad, every_header_byte);
    suite_add_tcase(s, bad);

    TCase *elf = tcase_create("elf");
    tcase_add_test(elf, elf_scan_default_build);
    tcase_add_test(elf, elf_scan_rdc_build);
    tcase_add_test(elf, elf_scan_not_fatbin);
    tcase_add_test(elf, elf_scan_malformed);
    tcase_add_test(elf, elf_scan_synthetic_layouts);
    tcase_add_test(elf, elf_scan_every_header_byte);
    suite_add_tcase(s, elf);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fatbin_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
