/* report_json.c: a small, bounded JSON reader for the reports `cushim report` and
 * `cushim compare` read back. Reports may be hand-edited or cut short by a crash, so
 * every error names where the document stops making sense (line, column, byte) and
 * what was expected there; nothing is read past the given length. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/report.h"

typedef struct parser {
    const char *text;
    size_t len, pos;
    int depth;
    char *err;
    size_t errlen;
    bool failed;
    uint32_t line;         /* of pos; newlines appear only between tokens */
    size_t line_start;
} parser;

static void fail_at(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail_at(parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < p->len; i++) {
        if (p->text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    int n = snprintf(p->err, p->errlen, "line %zu, column %zu (byte %zu): ", line, col, at);
    if (n < 0 || (size_t)n >= p->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* What stands at the position, for messages: "'x'" or "the end of the file". */
static const char *found(parser *p, char *buf, size_t len)
{
    if (p->pos >= p->len)
        return "the end of the file (is the report truncated?)";
    unsigned char c = (unsigned char)p->text[p->pos];
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, len, "'%c'", c);
    else
        snprintf(buf, len, "byte 0x%02x", c);
    return buf;
}

static void skip_space(parser *p)
{
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        if (c == '\n') {
            p->line++;
            p->line_start = p->pos + 1;
        }
        p->pos++;
    }
}

static bool literal(parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
        return false;
    p->pos += n;
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits after "\u"; -1 on error (reported). */
static long read_hex4(parser *p)
{
    if (p->len - p->pos < 4) {
        p->pos = p->len;
        fail_at(p, p->pos, "the file ends inside a \\u escape (is the report truncated?)");
        return -1;
    }
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(p->text[p->pos + (size_t)i]);
        if (h < 0) {
            fail_at(p, p->pos + (size_t)i, "a \\u escape needs four hexadecimal digits");
            return -1;
        }
        v = v * 16 + h;
    }
    p->pos += 4;
    return v;
}

static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A string starting at the opening quote; the result is malloc'ed. */
static char *read_string(parser *p, size_t *length)
{
    size_t start = p->pos++;
    /* The decoded text is never longer than the source text. */
    size_t end = p->pos;
    while (end < p->len && p->text[end] != '"') {
        if (p->text[end] == '\\')
            end++;
        end++;
    }
    size_t cap = (end < p->len ? end : p->len) - p->pos + 1;
    char *out = malloc(cap);
    if (!out) {
        fail_at(p, start, "out of memory");
        return NULL;
    }
    size_t n = 0;
    for (;;) {
        if (p->pos >= p->len) {
            fail_at(p, start, "the file ends inside this string (is the report truncated?)");
            free(out);
            return NULL;
        }
        unsigned char c = (unsigned char)p->text[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            fail_at(p, p->pos, "control character 0x%02x inside a string (write it as an escape)", c);
            free(out);
            return NULL;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            p->pos++;
            continue;
        }
        size_t esc = p->pos++;
        if (p->pos >= p->len) {
            fail_at(p, esc, "the file ends inside an escape (is the report truncated?)");
            free(out);
            return NULL;
        }
        char e = p->text[p->pos++];
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            long hi = read_hex4(p);
            if (hi < 0) {
                free(out);
                return NULL;
            }
            unsigned long cp = (unsigned long)hi;
            if (hi >= 0xd800 && hi <= 0xdbff) {
                long lo = -1;
                if (p->len - p->pos >= 2 && p->text[p->pos] == '\\' && p->text[p->pos + 1] == 'u') {
                    p->pos += 2;
                    lo = read_hex4(p);
                    if (lo < 0 && p->failed) {
                        free(out);
                        return NULL;
                    }
                }
                cp = lo >= 0xdc00 && lo <= 0xdfff
                         ? 0x10000 + (((unsigned long)hi - 0xd800) << 10) + ((unsigned long)lo - 0xdc00)
                         : 0xfffd;
            } else if (hi >= 0xdc00 && hi <= 0xdfff) {
                cp = 0xfffd;   /* a lone low surrogate */
            }
            /* \uXXXX takes 6 source bytes and at most 4 decoded ones (a pair: 12 and 4). */
            n += put_utf8(out + n, cp);
            break;
        }
        default:
            fail_at(p, esc, "unknown escape '\\%c' in a string", e >= 0x20 && e < 0x7f ? e : '?');
            free(out);
            return NULL;
        }
    }
    out[n] = '\0';
    *length = n;
    return out;
}

static bool read_number(parser *p, rjson *v)
{
    size_t start = p->pos;
    bool integer = true;
    if (p->pos < p->len && p->text[p->pos] == '-')
        p->pos++;
    size_t digits = p->pos;
    while (p->pos < p->len && p->text[p->pos] >= '0' && p->text[p->pos] <= '9')
        p->pos++;
    if (p->pos == digits) {
        fail_at(p, start, "expected a digit in a number");
        return false;
    }
    if (p->text[digits] == '0' && p->pos - digits > 1) {
        fail_at(p, start, "a number may not start with 0");
        return false;
    }
    if (p->pos < p->len && p->text[p->pos] == '.') {
        integer = false;
        size_t frac = ++p->pos;
        while (p->pos < p->len && p->text[p->pos] >= '0' && p->text[p->pos] <= '9')
            p->pos++;
        if (p->pos == frac) {
            fail_at(p, p->pos, "expected a digit after the decimal point");
            return false;
        }
    }
    if (p->pos < p->len && (p->text[p->pos] == 'e' || p->text[p->pos] == 'E')) {
        integer = false;
        p->pos++;
        if (p->pos < p->len && (p->text[p->pos] == '+' || p->text[p->pos] == '-'))
            p->pos++;
        size_t exp = p->pos;
        while (p->pos < p->len && p->text[p->pos] >= '0' && p->text[p->pos] <= '9')
            p->pos++;
        if (p->pos == exp) {
            fail_at(p, p->pos, "expected a digit in the exponent");
            return false;
        }
    }
    char buf[64];
    size_t n = p->pos - start;
    if (n >= sizeof buf) {
        /* Longer than any number a report holds: still a number, read approximately. */
        n = sizeof buf - 1;
        integer = false;
    }
    memcpy(buf, p->text + start, n);
    buf[n] = '\0';
    v->type = RJSON_NUMBER;
    v->number = strtod(buf, NULL);
    v->integer = integer && buf[0] != '-';
    if (v->integer) {
        errno = 0;
        unsigned long long u = strtoull(buf, NULL, 10);
        if (errno == ERANGE) {
            v->integer = false;   /* beyond 64 bits: a count no report can hold */
        } else {
            v->u64 = u;
        }
    }
    return true;
}

static bool parse_value(parser *p, rjson *v);

static bool grow(parser *p, rjson *v, size_t *cap, bool with_keys)
{
    if (v->count < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 8;
    rjson *items = realloc(v->items, c * sizeof *items);
    if (items)
        v->items = items;
    char **keys = NULL;
    if (items && with_keys) {
        keys = realloc(v->keys, c * sizeof *keys);
        if (keys)
            v->keys = keys;
    }
    if (!items || (with_keys && !keys)) {
        fail_at(p, p->pos, "out of memory");
        return false;
    }
    *cap = c;
    return true;
}

static bool parse_container(parser *p, rjson *v, bool object)
{
    char close = object ? '}' : ']';
    size_t open_at = p->pos++;
    v->type = object ? RJSON_OBJECT : RJSON_ARRAY;
    if (++p->depth > RJSON_MAX_DEPTH) {
        fail_at(p, open_at, "nesting deeper than %d levels", RJSON_MAX_DEPTH);
        return false;
    }
    size_t cap = 0;
    char fb[32];
    skip_space(p);
    if (p->pos < p->len && p->text[p->pos] == close) {
        p->pos++;
        p->depth--;
        return true;
    }
    for (;;) {
        skip_space(p);
        if (!grow(p, v, &cap, object))
            return false;
        rjson *item = &v->items[v->count];
        memset(item, 0, sizeof *item);
        if (object) {
            if (p->pos >= p->len || p->text[p->pos] != '"') {
                fail_at(p, p->pos, "expected a member name in quotes, found %s", found(p, fb, sizeof fb));
                return false;
            }
            size_t klen;
            char *key = read_string(p, &klen);
            if (!key)
                return false;
            v->keys[v->count] = key;
            skip_space(p);
            if (p->pos >= p->len || p->text[p->pos] != ':') {
                v->count++;   /* the key is owned now */
                fail_at(p, p->pos, "expected ':' after member name \"%s\", found %s", key,
                        found(p, fb, sizeof fb));
                return false;
            }
            p->pos++;
        }
        v->count++;
        if (!parse_value(p, item))
            return false;
        skip_space(p);
        if (p->pos < p->len && p->text[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->text[p->pos] == close) {
            p->pos++;
            p->depth--;
            return true;
        }
        fail_at(p, p->pos, "expected ',' or '%c' after %s, found %s", close,
                object ? "an object member" : "an array element", found(p, fb, sizeof fb));
        return false;
    }
}

static bool parse_value(parser *p, rjson *v)
{
    skip_space(p);
    v->offset = p->pos;
    v->line = p->line;
    v->column = (uint32_t)(p->pos - p->line_start + 1);
    char fb[32];
    if (p->pos >= p->len) {
        fail_at(p, p->pos, "expected a value, found %s", found(p, fb, sizeof fb));
        return false;
    }
    char c = p->text[p->pos];
    switch (c) {
    case '{':
        return parse_container(p, v, true);
    case '[':
        return parse_container(p, v, false);
    case '"':
        v->type = RJSON_STRING;
        v->string = read_string(p, &v->length);
        return v->string != NULL;
    case 't':
    case 'f':
    case 'n':
        if (literal(p, "true") || literal(p, "false")) {
            v->type = RJSON_BOOL;
            v->boolean = c == 't';
            return true;
        }
        if (literal(p, "null")) {
            v->type = RJSON_NULL;
            return true;
        }
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return read_number(p, v);
        break;
    }
    fail_at(p, p->pos, "expected a value (object, array, string, number, true, false or null), "
            "found %s", found(p, fb, sizeof fb));
    return false;
}

static void free_value(rjson *v)
{
    for (size_t i = 0; i < v->count; i++) {
        if (v->items)
            free_value(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
}

void rjson_free(rjson *v)
{
    if (!v)
        return;
    free_value(v);
    free(v);
}

rjson *rjson_parse(const char *text, size_t len, char *err, size_t errlen)
{
    parser p = {.text = text, .len = len, .err = err, .errlen = errlen, .line = 1};
    if (errlen)
        err[0] = '\0';
    rjson *root = calloc(1, sizeof *root);
    if (!root) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        p.pos = 3;   /* a byte-order mark some editors add */
    bool ok = parse_value(&p, root);
    if (ok) {
        skip_space(&p);
        if (p.pos < p.len) {
            char fb[32];
            fail_at(&p, p.pos, "unexpected %s after the end of the document", found(&p, fb, sizeof fb));
            ok = false;
        }
    }
    if (!ok) {
        rjson_free(root);
        return NULL;
    }
    return root;
}

const rjson *rjson_get(const rjson *obj, const char *key)
{
    if (!obj || obj->type != RJSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}

const char *rjson_type_name(rjson_type t)
{
    switch (t) {
    case RJSON_NULL: return "null";
    case RJSON_BOOL: return "a boolean";
    case RJSON_NUMBER: return "a number";
    case RJSON_STRING: return "a string";
    case RJSON_ARRAY: return "an array";
    case RJSON_OBJECT: return "an object";
    }
    return "?";
}

rjson *rjson_load_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return NULL;
    }
    if ((uint64_t)st.st_size > RJSON_MAX_BYTES) {
        snprintf(err, errlen, "%s: %lld bytes, more than the %zu MiB a report may have", path,
                 (long long)st.st_size, RJSON_MAX_BYTES >> 20);
        fclose(f);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    char *text = malloc(size ? size : 1);
    if (!text) {
        snprintf(err, errlen, "%s: out of memory", path);
        fclose(f);
        return NULL;
    }
    size_t got = fread(text, 1, size, f);
    bool read_error = ferror(f) != 0;
    fclose(f);
    if (read_error) {
        snprintf(err, errlen, "%s: read error", path);
        free(text);
        return NULL;
    }
    if (got == 0) {
        snprintf(err, errlen, "%s: the file is empty (was the report written?)", path);
        free(text);
        return NULL;
    }
    char why[400];
    rjson *root = rjson_parse(text, got, why, sizeof why);
    free(text);
    if (!root)
        snprintf(err, errlen, "%s: not valid JSON: %s", path, why);
    return root;
}
