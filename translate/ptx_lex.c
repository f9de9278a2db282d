/* ptx_lex.c: tokenizer for PTX text (see ptx_lex.h). */
#include "translate/ptx_lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_ident_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$';
}

static bool is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
           c == '%';
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void ptx_lex_init(ptx_lexer *lx, const char *src, size_t len)
{
    memset(lx, 0, sizeof(*lx));
    const char *nul = src ? memchr(src, '\0', len) : NULL;
    lx->src = src ? src : "";
    lx->len = src ? (nul ? (size_t)(nul - src) : len) : 0;
    lx->line = 1;
}

static bool lex_fail(ptx_lexer *lx, uint32_t line, const char *what)
{
    snprintf(lx->err, sizeof(lx->err), "%s", what);
    lx->err_line = line;
    return false;
}

/* Skips blanks and comments; false on an unterminated block comment. */
static bool skip_blank(ptx_lexer *lx, bool *skipped)
{
    const char *s = lx->src;
    while (lx->pos < lx->len) {
        char c = s[lx->pos];
        if (c == '\n') {
            lx->line++;
            lx->pos++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '/') {
            while (lx->pos < lx->len && s[lx->pos] != '\n')
                lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '*') {
            uint32_t start_line = lx->line;
            lx->pos += 2;
            for (;;) {
                if (lx->pos + 1 >= lx->len) {
                    lx->pos = lx->len;
                    return lex_fail(lx, start_line, "unterminated /* comment");
                }
                if (s[lx->pos] == '*' && s[lx->pos + 1] == '/') {
                    lx->pos += 2;
                    break;
                }
                if (s[lx->pos] == '\n')
                    lx->line++;
                lx->pos++;
            }
        } else {
            return true;
        }
        *skipped = true;
    }
    return true;
}

static bool lex_number(ptx_lexer *lx, ptx_token *t)
{
    const char *s = lx->src;
    size_t p = lx->pos, end = lx->len;
    /* 0f / 0d: raw IEEE bits */
    if (s[p] == '0' && p + 1 < end && (s[p + 1] == 'f' || s[p + 1] == 'F' || s[p + 1] == 'd' ||
                                        s[p + 1] == 'D')) {
        bool f64 = s[p + 1] == 'd' || s[p + 1] == 'D';
        size_t want = f64 ? 16 : 8, q = p + 2;
        uint64_t bits = 0;
        while (q < end && hex_value((unsigned char)s[q]) >= 0 && q - (p + 2) < want)
            bits = bits << 4 | (uint64_t)hex_value((unsigned char)s[q++]);
        if (q - (p + 2) != want || (q < end && is_ident_char((unsigned char)s[q])))
            return lex_fail(lx, lx->line, f64 ? "malformed 0d floating-point literal"
                                              : "malformed 0f floating-point literal");
        t->kind = PTX_TK_FLOAT;
        t->flt_hex = true;
        t->flt_f64 = f64;
        t->fbits = bits;
        lx->pos = q;
        return true;
    }
    /* decimal float: digits '.' digits, or digits with an exponent */
    size_t q = p;
    while (q < end && s[q] >= '0' && s[q] <= '9')
        q++;
    bool is_float = false;
    if (q < end && s[q] == '.' && q + 1 < end && s[q + 1] >= '0' && s[q + 1] <= '9') {
        is_float = true;
        q++;
        while (q < end && s[q] >= '0' && s[q] <= '9')
            q++;
    }
    if (q < end && (s[q] == 'e' || s[q] == 'E')) {
        size_t r = q + 1;
        if (r < end && (s[r] == '+' || s[r] == '-'))
            r++;
        if (r < end && s[r] >= '0' && s[r] <= '9') {
            is_float = true;
            q = r;
            while (q < end && s[q] >= '0' && s[q] <= '9')
                q++;
        }
    }
    if (is_float) {
        char buf[128];
        if (q - p >= sizeof(buf))
            return lex_fail(lx, lx->line, "floating-point literal too long");
        memcpy(buf, s + p, q - p);
        buf[q - p] = '\0';
        t->kind = PTX_TK_FLOAT;
        t->flt_hex = false;
        t->flt_f64 = true;
        t->fval = strtod(buf, NULL);
        lx->pos = q;
        return true;
    }
    /* integers: 0x hex, 0b binary, 0 octal, decimal; optional U suffix */
    unsigned base = 10;
    q = p;
    if (s[q] == '0' && q + 1 < end && (s[q + 1] == 'x' || s[q + 1] == 'X')) {
        base = 16;
        q += 2;
    } else if (s[q] == '0' && q + 1 < end && (s[q + 1] == 'b' || s[q + 1] == 'B')) {
        base = 2;
        q += 2;
    } else if (s[q] == '0') {
        base = 8;
    }
    size_t digits_start = q;
    uint64_t v = 0;
    bool overflow = false;
    while (q < end) {
        int d = hex_value((unsigned char)s[q]);
        if (d < 0 || (unsigned)d >= base)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            overflow = true;
        v = v * base + (uint64_t)d;
        q++;
    }
    if (q == digits_start)
        return lex_fail(lx, lx->line, "malformed integer literal");
    if (overflow)
        return lex_fail(lx, lx->line, "integer literal out of range");
    t->int_unsigned = false;
    if (q < end && (s[q] == 'U' || s[q] == 'u')) {
        t->int_unsigned = true;
        q++;
    }
    if (q < end && is_ident_char((unsigned char)s[q]))
        return lex_fail(lx, lx->line, "malformed integer literal");
    t->kind = PTX_TK_INT;
    t->ival = v;
    lx->pos = q;
    return true;
}

bool ptx_lex_next(ptx_lexer *lx, ptx_token *t)
{
    bool skipped = false;
    memset(t, 0, sizeof(*t));
    if (!skip_blank(lx, &skipped))
        return false;
    t->ws_before = skipped;
    t->pos = lx->pos;
    t->line = lx->line;
    if (lx->pos >= lx->len) {
        t->kind = PTX_TK_EOF;
        return true;
    }
    const char *s = lx->src;
    size_t end = lx->len;
    int c = (unsigned char)s[lx->pos];
    if (is_ident_start(c) && (c != '%' || (lx->pos + 1 < end &&
                                           is_ident_char((unsigned char)s[lx->pos + 1])))) {
        size_t q = lx->pos + 1;
        while (q < end && is_ident_char((unsigned char)s[q]))
            q++;
        if (q - lx->pos > PTX_MAX_NAME)
            return lex_fail(lx, lx->line, "identifier too long");
        t->kind = PTX_TK_IDENT;
        lx->pos = q;
    } else if (c == '.' && lx->pos + 1 < end && is_ident_char((unsigned char)s[lx->pos + 1])) {
        size_t q = lx->pos + 1;
        for (;;) {
            while (q < end && is_ident_char((unsigned char)s[q]))
                q++;
            /* scoped modifiers: .shared::cta, .L2::cache_hint */
            if (q + 2 < end && s[q] == ':' && s[q + 1] == ':' &&
                is_ident_char((unsigned char)s[q + 2]))
                q += 2;
            else
                break;
        }
        if (q - lx->pos > PTX_MAX_NAME)
            return lex_fail(lx, lx->line, "directive too long");
        t->kind = PTX_TK_DIR;
        lx->pos = q;
    } else if (c >= '0' && c <= '9') {
        if (!lex_number(lx, t))
            return false;
    } else if (c == '"') {
        size_t q = lx->pos + 1;
        while (q < end && s[q] != '"' && s[q] != '\n') {
            if (s[q] == '\\' && q + 1 < end && s[q + 1] != '\n')
                q++;
            q++;
        }
        if (q >= end || s[q] != '"')
            return lex_fail(lx, lx->line, "unterminated string");
        t->kind = PTX_TK_STRING;
        lx->pos = q + 1;
    } else if (c == '<' && lx->pos + 1 < end && s[lx->pos + 1] == '<') {
        t->kind = PTX_TK_PUNCT;
        t->punct = PTX_P_SHL;
        lx->pos += 2;
    } else if (c == '>' && lx->pos + 1 < end && s[lx->pos + 1] == '>') {
        t->kind = PTX_TK_PUNCT;
        t->punct = PTX_P_SHR;
        lx->pos += 2;
    } else if (strchr(";,:{}()[]<>@!+-*/%|&^~=?", c)) {
        t->kind = PTX_TK_PUNCT;
        t->punct = c;
        lx->pos++;
    } else {
        char msg[64];
        if (c >= 0x20 && c < 0x7f)
            snprintf(msg, sizeof(msg), "unexpected character '%c'", c);
        else
            snprintf(msg, sizeof(msg), "unexpected byte 0x%02x", (unsigned)c);
        return lex_fail(lx, lx->line, msg);
    }
    t->len = lx->pos - t->pos;
    return true;
}
