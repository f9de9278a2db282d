/* ptx_lex.h: tokenizer for PTX text, used by the parser (ptx_parse.c).
 *
 * Bounded and linear: reads at most len bytes, stops at an early NUL (embedded PTX is
 * NUL-terminated), treats CR as blank, and skips // and block comments. */
#ifndef CUSHIM_PTX_LEX_H
#define CUSHIM_PTX_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ptx_tok_kind {
    PTX_TK_EOF = 0,
    PTX_TK_IDENT,  /* name, %name, $name, _ (no dots) */
    PTX_TK_DIR,    /* .word, .word::word (a directive or a modifier) */
    PTX_TK_INT,    /* integer literal: ival (two's complement bits) */
    PTX_TK_FLOAT,  /* 0fXXXXXXXX / 0dXXXXXXXXXXXXXXXX (fbits) or decimal (fval) */
    PTX_TK_STRING, /* "..." (pos/len include the quotes) */
    PTX_TK_PUNCT,  /* punct: the character, or PTX_P_SHL / PTX_P_SHR */
} ptx_tok_kind;

#define PTX_P_SHL 256 /* << */
#define PTX_P_SHR 257 /* >> */

/* Longest identifier accepted (mangled template names can be long). */
#define PTX_MAX_NAME 8192

typedef struct ptx_token {
    ptx_tok_kind kind;
    int punct;
    size_t pos, len;    /* byte range in the source */
    uint32_t line;
    bool ws_before;     /* blank or comment between this token and the previous one */
    uint64_t ival;
    bool int_unsigned;  /* U suffix */
    bool flt_hex;       /* 0f/0d form: fbits valid; else fval */
    bool flt_f64;       /* 0d form, or a decimal literal */
    uint64_t fbits;
    double fval;
} ptx_token;

typedef struct ptx_lexer {
    const char *src;
    size_t len;         /* up to the first NUL */
    size_t pos;
    uint32_t line;
    char err[200];      /* set when ptx_lex_next fails */
    uint32_t err_line;
} ptx_lexer;

void ptx_lex_init(ptx_lexer *lx, const char *src, size_t len);
/* Next token; false (with lx->err) on a lexical error. At the end: PTX_TK_EOF. */
bool ptx_lex_next(ptx_lexer *lx, ptx_token *t);
/* True when the token is the punctuation character c. */
static inline bool ptx_tok_is(const ptx_token *t, int c)
{
    return t->kind == PTX_TK_PUNCT && t->punct == c;
}

#endif
