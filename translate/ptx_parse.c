/* ptx_parse.c: hand-written recursive-descent parser from PTX text (nvcc 12/13, PTX
 * ISA up to 9.x) to the IR of ptx_ir.h. One pass, linear time, every input bounded;
 * errors leave through one longjmp with "line N: what (near `text`)". */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translate/arena.h"
#include "translate/ptx_ir.h"
#include "translate/ptx_lex.h"

/* Limits against hostile input. */
#define MAX_SCOPE_DEPTH 64
#define MAX_EXPR_DEPTH 32
#define MAX_INIT_DEPTH 16
#define MAX_OPERANDS 64
#define MAX_VEC_ELEMS 32
#define MAX_LIST_ELEMS 4096
#define MAX_REG_RANGE (1u << 20)
#define MAX_FUNC_REGS (1u << 22)
#define MAX_ARRAY_DIMS 8
#define MAX_VAR_BYTES ((uint64_t)1 << 36)
#define MAX_INIT_BYTES ((uint64_t)1 << 28)
#define MAX_PARAMS 65536

/* What a name declared inside a function is bound to (value of parser.names):
 * kind in bits 56..63, scope depth in bits 40..55, index in bits 0..39. */
enum bind_kind { BIND_NONE = 0, BIND_REG, BIND_VAR, BIND_PARAM, BIND_RET };
#define BIND(kind, depth, idx) \
    (((int64_t)(kind) << 56) | ((int64_t)(depth) << 40) | (int64_t)(idx))
#define BIND_KIND(v) ((int)((uint64_t)(v) >> 56))
#define BIND_DEPTH(v) ((int)(((uint64_t)(v) >> 40) & 0xffff))
#define BIND_INDEX(v) ((uint32_t)((uint64_t)(v) & 0xffffffffffull))

/* module symbol table values */
enum { MSYM_VAR = 1, MSYM_FUNC = 2 };
#define MSYM(kind, idx) (((int64_t)(kind) << 32) | (int64_t)(idx))

typedef struct undo_entry {
    const char *key;
    int64_t prev; /* 0: unbound before */
} undo_entry;

typedef struct symbol_use {
    const char *name;
    uint32_t line;
    bool want_func; /* call target: must name a function */
} symbol_use;

typedef struct branch_table {
    const char *name;
    int32_t *labels;
    uint32_t nlabels;
} branch_table;

/* One initializer element before it is laid out in bytes. */
typedef enum { IE_INT, IE_FLOAT, IE_SYM, IE_MASKED_SYM } init_elem_kind;
typedef struct init_elem {
    init_elem_kind kind;
    bool flt_hex, flt_f64, generic;
    uint64_t bits;  /* IE_INT value, IE_FLOAT hex bits */
    double fval;    /* IE_FLOAT decimal */
    const char *sym;
    int64_t addend;
    uint64_t mask;  /* IE_MASKED_SYM */
    uint32_t line;
} init_elem;

typedef struct expr_value {
    bool is_float;
    bool flt_hex, flt_f64;
    uint64_t bits; /* integer value, or hex float bits */
    double fval;
} expr_value;

typedef struct parser {
    ptx_lexer lx;
    ptx_token tok;
    const char *src;
    ptx_arena *ar;
    ptx_module *m;
    char *err;
    size_t errlen;
    jmp_buf fail_jump;

    uint32_t vars_cap, funcs_cap, files_cap;
    ptx_strmap modsyms; /* module-scope name -> MSYM */
    symbol_use *uses;
    uint32_t nuses, uses_cap;

    /* the function being parsed */
    ptx_function fn;
    uint32_t regs_cap, fvars_cap, instrs_cap, labels_cap, protos_cap;
    ptx_strmap names;     /* scoped bindings of registers, variables, parameters */
    ptx_strmap declared;  /* every name given to something in this function */
    ptx_strmap label_map; /* label name -> index */
    ptx_strmap proto_map; /* prototype name -> index */
    undo_entry *undo;
    uint32_t nundo, undo_cap;
    uint32_t scope_undo[MAX_SCOPE_DEPTH + 1];
    int depth;
    bool *label_defined;
    uint32_t *label_first_use;
    uint32_t label_aux_cap;
    branch_table *tables;
    uint32_t ntables, tables_cap;
    uint32_t loc_file, loc_line;
    uint32_t rename_counter;

    init_elem *ielems;
    uint32_t nielems, ielems_cap;
} parser;

/* ---- errors -------------------------------------------------------------------- */

static void near_text(parser *p, size_t pos, char *buf, size_t len)
{
    const char *s = p->lx.src;
    size_t end = p->lx.len;
    if (pos >= end) {
        /* at the end: show the tail of the last non-blank line */
        size_t q = end;
        while (q > 0 && (s[q - 1] == '\n' || s[q - 1] == '\r' || s[q - 1] == ' ' ||
                         s[q - 1] == '\t'))
            q--;
        size_t b = q;
        while (b > 0 && s[b - 1] != '\n' && q - b < 40)
            b--;
        while (b < q && (s[b] == ' ' || s[b] == '\t'))
            b++;
        if (b == q) {
            snprintf(buf, len, "end of input");
            return;
        }
        snprintf(buf, len, "%.*s", (int)(q - b), s + b);
        return;
    }
    size_t q = pos;
    while (q < end && s[q] != '\n' && s[q] != '\r' && q - pos < 40)
        q++;
    snprintf(buf, len, "%.*s", (int)(q - pos), s + pos);
}

static _Noreturn void fail_msg(parser *p, uint32_t line, const char *near, const char *what)
{
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "line %u: %s (near `%s`)", line, what, near);
    longjmp(p->fail_jump, 1);
}

static _Noreturn __attribute__((format(printf, 4, 5))) void
fail_at(parser *p, uint32_t line, size_t pos, const char *fmt, ...)
{
    char what[512], near[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    near_text(p, pos, near, sizeof(near));
    fail_msg(p, line, near, what);
}

/* For checks made after the text was read: `near` names the offending item. */
static _Noreturn __attribute__((format(printf, 4, 5))) void
fail_near(parser *p, uint32_t line, const char *near, const char *fmt, ...)
{
    char what[512], shown[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(shown, sizeof(shown), "%s", near);
    fail_msg(p, line, shown, what);
}

#define fail(p, ...) fail_at((p), (p)->tok.line, (p)->tok.pos, __VA_ARGS__)

static _Noreturn void fail_oom(parser *p)
{
    fail(p, "out of memory");
}

/* ---- memory ------------------------------------------------------------------ */

static void *grow(parser *p, void *arr, uint32_t *cap, uint32_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    if (*cap >= (1u << 30))
        fail(p, "too many items");
    uint32_t nc = *cap ? *cap * 2 : 8;
    void *na = ptx_arena_calloc(p->ar, nc, elem);
    if (!na)
        fail_oom(p);
    if (n)
        memcpy(na, arr, (size_t)n * elem);
    *cap = nc;
    return na;
}

#define PUSH(p, arr, n, cap) ((arr) = grow((p), (arr), &(cap), (n), sizeof(*(arr))), &(arr)[(n)++])

static char *dup_range(parser *p, size_t pos, size_t len)
{
    char *s = ptx_arena_strndup(p->ar, p->lx.src + pos, len);
    if (!s)
        fail_oom(p);
    return s;
}

static char *dup_printf(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *dup_printf(parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        fail_oom(p);
    char *s = ptx_arena_alloc(p->ar, (size_t)n + 1);
    if (!s)
        fail_oom(p);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static void map_put(parser *p, ptx_strmap *m, const char *key, int64_t val)
{
    if (!ptx_strmap_put(m, key, val))
        fail_oom(p);
}

/* ---- tokens ------------------------------------------------------------------ */

static void advance(parser *p)
{
    if (!ptx_lex_next(&p->lx, &p->tok))
        fail_at(p, p->lx.err_line, p->lx.pos, "%s", p->lx.err);
}

static ptx_token peek(parser *p)
{
    ptx_lexer copy = p->lx;
    ptx_token t;
    if (!ptx_lex_next(&copy, &t))
        memset(&t, 0, sizeof(t)); /* the error surfaces when the parser gets there */
    return t;
}

static bool is_punct(const parser *p, int c)
{
    return ptx_tok_is(&p->tok, c);
}

static bool tok_text_is(const parser *p, const ptx_token *t, const char *word)
{
    size_t n = strlen(word);
    return t->len == n && memcmp(p->lx.src + t->pos, word, n) == 0;
}

/* Directive token equal to "." + word. */
static bool is_dir(const parser *p, const char *word)
{
    const ptx_token *t = &p->tok;
    size_t n = strlen(word);
    return t->kind == PTX_TK_DIR && t->len == n + 1 && memcmp(p->lx.src + t->pos + 1, word, n) == 0;
}

static void expect_punct(parser *p, int c, const char *what)
{
    if (!is_punct(p, c))
        fail(p, "expected %s", what);
    advance(p);
}

static char *take_ident(parser *p, const char *what)
{
    if (p->tok.kind != PTX_TK_IDENT)
        fail(p, "expected %s", what);
    char *s = dup_range(p, p->tok.pos, p->tok.len);
    advance(p);
    return s;
}

static uint64_t take_uint(parser *p, const char *what, uint64_t max)
{
    if (p->tok.kind != PTX_TK_INT)
        fail(p, "expected %s", what);
    if (p->tok.ival > max)
        fail(p, "%s out of range", what);
    uint64_t v = p->tok.ival;
    advance(p);
    return v;
}

/* The directive's word without the dot, copied into buf. */
static const char *dir_word(const parser *p, char *buf, size_t len)
{
    size_t n = p->tok.len ? p->tok.len - 1 : 0;
    if (n >= len)
        n = len - 1;
    memcpy(buf, p->lx.src + p->tok.pos + 1, n);
    buf[n] = '\0';
    return buf;
}

/* ---- constant expressions ---------------------------------------------------- */

static expr_value parse_expr(parser *p, int depth);

static int64_t want_int(parser *p, expr_value v)
{
    if (v.is_float)
        fail(p, "floating-point value in an integer constant expression");
    return (int64_t)v.bits;
}

static expr_value int_value(uint64_t v)
{
    expr_value r = { 0 };
    r.bits = v;
    return r;
}

static expr_value parse_unary(parser *p, int depth)
{
    if (depth > MAX_EXPR_DEPTH)
        fail(p, "constant expression nested too deeply");
    if (is_punct(p, '-') || is_punct(p, '~') || is_punct(p, '!') || is_punct(p, '+')) {
        int op = p->tok.punct;
        advance(p);
        expr_value v = parse_unary(p, depth + 1);
        if (v.is_float) {
            if (op == '+')
                return v;
            if (op != '-')
                fail(p, "operator '%c' applied to a floating-point value", op);
            if (v.flt_hex)
                v.bits ^= v.flt_f64 ? (uint64_t)1 << 63 : (uint64_t)1 << 31;
            else
                v.fval = -v.fval;
            return v;
        }
        if (op == '-')
            v.bits = (uint64_t)0 - v.bits;
        else if (op == '~')
            v.bits = ~v.bits;
        else if (op == '!')
            v.bits = !v.bits;
        return v;
    }
    if (is_punct(p, '(')) {
        advance(p);
        expr_value v = parse_expr(p, depth + 1);
        expect_punct(p, ')', "')' closing the expression");
        return v;
    }
    if (p->tok.kind == PTX_TK_INT) {
        expr_value v = int_value(p->tok.ival);
        advance(p);
        return v;
    }
    if (p->tok.kind == PTX_TK_FLOAT) {
        expr_value v = { 0 };
        v.is_float = true;
        v.flt_hex = p->tok.flt_hex;
        v.flt_f64 = p->tok.flt_f64;
        v.bits = p->tok.fbits;
        v.fval = p->tok.fval;
        advance(p);
        return v;
    }
    if (p->tok.kind == PTX_TK_IDENT && tok_text_is(p, &p->tok, "WARP_SZ")) {
        advance(p);
        return int_value(32);
    }
    fail(p, "expected a constant");
}

static int binop_prec(const parser *p)
{
    if (p->tok.kind != PTX_TK_PUNCT)
        return -1;
    switch (p->tok.punct) {
    case '*': case '/': case '%': return 5;
    case '+': case '-': return 4;
    case PTX_P_SHL: case PTX_P_SHR: return 3;
    case '&': return 2;
    case '^': return 1;
    case '|': return 0;
    default: return -1;
    }
}

static expr_value parse_binary(parser *p, int min_prec, int depth)
{
    expr_value lhs = parse_unary(p, depth + 1);
    for (;;) {
        int prec = binop_prec(p);
        if (prec < min_prec)
            return lhs;
        int op = p->tok.punct;
        ptx_token optok = p->tok;
        advance(p);
        expr_value rhs = parse_binary(p, prec + 1, depth + 1);
        if (lhs.is_float || rhs.is_float)
            fail_at(p, optok.line, optok.pos,
                    "arithmetic on floating-point constants is not supported");
        uint64_t a = lhs.bits, b = rhs.bits;
        switch (op) {
        case '*': a = a * b; break;
        case '/':
        case '%':
            if (b == 0)
                fail_at(p, optok.line, optok.pos, "division by zero in a constant expression");
            if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
                a = op == '/' ? a : 0;
            else
                a = op == '/' ? (uint64_t)((int64_t)a / (int64_t)b)
                              : (uint64_t)((int64_t)a % (int64_t)b);
            break;
        case '+': a = a + b; break;
        case '-': a = a - b; break;
        case PTX_P_SHL: a = b >= 64 ? 0 : a << b; break;
        case PTX_P_SHR: a = b >= 64 ? ((int64_t)a < 0 ? UINT64_MAX : 0)
                                     : (uint64_t)((int64_t)a >> b); break;
        case '&': a &= b; break;
        case '^': a ^= b; break;
        case '|': a |= b; break;
        }
        lhs = int_value(a);
    }
}

static expr_value parse_expr(parser *p, int depth)
{
    if (depth > MAX_EXPR_DEPTH)
        fail(p, "constant expression nested too deeply");
    return parse_binary(p, 0, depth);
}

/* ---- scopes and names inside a function ----------------------------------------- */

static int64_t lookup_name(parser *p, size_t pos, size_t len)
{
    int64_t v;
    if (ptx_strmap_getn(&p->names, p->lx.src + pos, len, &v) && BIND_KIND(v) != BIND_NONE)
        return v;
    return 0;
}

/* Binds `name` in the current scope; returns the unique name it gets (a name already
 * used in this function, or by a module symbol, gets a "$N" suffix). */
static const char *declare_local(parser *p, const char *name, int kind, uint32_t idx,
                                 uint32_t line, size_t pos)
{
    int64_t prev = 0;
    if (ptx_strmap_get(&p->names, name, &prev) && BIND_KIND(prev) != BIND_NONE &&
        BIND_DEPTH(prev) == p->depth)
        fail_at(p, line, pos, "`%s` is declared twice in the same scope", name);
    const char *unique = name;
    if (ptx_strmap_get(&p->declared, name, NULL) || ptx_strmap_get(&p->modsyms, name, NULL)) {
        do {
            unique = dup_printf(p, "%s$%u", name, ++p->rename_counter);
        } while (ptx_strmap_get(&p->declared, unique, NULL) ||
                 ptx_strmap_get(&p->modsyms, unique, NULL));
    }
    map_put(p, &p->declared, unique, 1);
    undo_entry *u = PUSH(p, p->undo, p->nundo, p->undo_cap);
    u->key = name;
    u->prev = prev;
    map_put(p, &p->names, name, BIND(kind, p->depth, idx));
    return unique;
}

static void push_scope(parser *p)
{
    if (p->depth >= MAX_SCOPE_DEPTH)
        fail(p, "blocks nested too deeply (limit %d)", MAX_SCOPE_DEPTH);
    p->scope_undo[++p->depth] = p->nundo;
}

static void pop_scope(parser *p)
{
    uint32_t mark = p->scope_undo[p->depth];
    while (p->nundo > mark) {
        undo_entry *u = &p->undo[--p->nundo];
        map_put(p, &p->names, u->key, u->prev);
    }
    p->depth--;
}

/* ---- labels -------------------------------------------------------------------- */

static int32_t label_index(parser *p, const char *name, size_t len, uint32_t line)
{
    int64_t v;
    if (ptx_strmap_getn(&p->label_map, name, len, &v))
        return (int32_t)v;
    ptx_function *f = &p->fn;
    uint32_t idx = f->nlabels;
    ptx_label *l = PUSH(p, f->labels, f->nlabels, p->labels_cap);
    l->name = ptx_arena_strndup(p->ar, name, len);
    if (!l->name)
        fail_oom(p);
    l->instr = UINT32_MAX;
    if (p->label_aux_cap < p->labels_cap) {
        bool *d = ptx_arena_calloc(p->ar, p->labels_cap, sizeof(bool));
        uint32_t *u = ptx_arena_calloc(p->ar, p->labels_cap, sizeof(uint32_t));
        if (!d || !u)
            fail_oom(p);
        if (idx) {
            memcpy(d, p->label_defined, idx * sizeof(bool));
            memcpy(u, p->label_first_use, idx * sizeof(uint32_t));
        }
        p->label_defined = d;
        p->label_first_use = u;
        p->label_aux_cap = p->labels_cap;
    }
    p->label_defined[idx] = false;
    p->label_first_use[idx] = line;
    map_put(p, &p->label_map, l->name, idx);
    return (int32_t)idx;
}

static void note_symbol_use(parser *p, const char *name, uint32_t line, bool want_func)
{
    symbol_use *u = PUSH(p, p->uses, p->nuses, p->uses_cap);
    u->name = name;
    u->line = line;
    u->want_func = want_func;
}

/* ---- operands ------------------------------------------------------------------ */

static ptx_operand *new_operands(parser *p, uint32_t n)
{
    ptx_operand *o = ptx_arena_calloc(p->ar, n ? n : 1, sizeof(ptx_operand));
    if (!o)
        fail_oom(p);
    for (uint32_t i = 0; i < n; i++) {
        o[i].reg = -1;
        o[i].reg_comp = 0xff;
        o[i].label = -1;
    }
    return o;
}

static void init_operand(ptx_operand *o)
{
    memset(o, 0, sizeof(*o));
    o->reg = -1;
    o->reg_comp = 0xff;
    o->label = -1;
}

static int component_index(const char *w)
{
    static const char *const comps[] = { "x", "y", "z", "w", "r", "g", "b", "a" };
    for (int i = 0; i < 8; i++)
        if (strcmp(w, comps[i]) == 0)
            return i & 3;
    return -1;
}

/* A special register such as %tid.x, %clock64, %envreg3 (name without the '%'). */
static bool parse_sreg(parser *p, const char *name, ptx_operand *o)
{
    static const char *const vector_sregs[] = { "tid", "ntid", "ctaid", "nctaid", "clusterid",
                                                "nclusterid", "cluster_ctaid",
                                                "cluster_nctaid" };
    ptx_sreg found = PTX_SREG_NONE;
    uint32_t comp = 0;
    for (int s = 1; s < PTX_SREG_COUNT; s++) {
        if (strcmp(ptx_sreg_name((ptx_sreg)s), name) == 0) {
            found = (ptx_sreg)s;
            break;
        }
    }
    if (!found) {
        const char *digits = NULL;
        if (strncmp(name, "envreg", 6) == 0) {
            found = PTX_SREG_ENVREG;
            digits = name + 6;
        } else if (strncmp(name, "pm", 2) == 0) {
            found = PTX_SREG_PM;
            digits = name + 2;
        } else {
            return false;
        }
        char *end;
        if (!(*digits >= '0' && *digits <= '9'))
            return false;
        unsigned long v = strtoul(digits, &end, 10);
        if (found == PTX_SREG_PM && strcmp(end, "_64") == 0)
            v |= 0x100; /* %pmN_64: the 64-bit counter */
        else if (*end)
            return false;
        if ((found == PTX_SREG_ENVREG && v > 31) || (found == PTX_SREG_PM && (v & 0xff) > 7))
            return false;
        comp = (uint32_t)v;
    }
    bool is_vector = false;
    for (size_t i = 0; i < sizeof(vector_sregs) / sizeof(vector_sregs[0]); i++)
        is_vector |= strcmp(vector_sregs[i], name) == 0;
    if (is_vector) {
        char w[16];
        if (p->tok.kind != PTX_TK_DIR || p->tok.ws_before || p->tok.len > 8)
            fail(p, "special register %%%s needs a component (.x, .y or .z)", name);
        int c = component_index(dir_word(p, w, sizeof(w)));
        if (c < 0 || c > 3)
            fail(p, "bad component of special register %%%s", name);
        comp = (uint32_t)c;
        advance(p);
    }
    o->kind = PTX_OPND_SREG;
    o->sreg = found;
    o->sreg_comp = comp;
    return true;
}

typedef enum { CTX_PLAIN, CTX_LABEL, CTX_BRANCH_TABLE, CTX_CALL_TARGET } ident_ctx;

/* `sym+8` as a value (mov.u64 %rd1, arr+8): the offset goes to o->offset. Inside an
 * address the caller handles the offset, and this sees no '+'. */
static void parse_symbol_offset(parser *p, ptx_operand *o)
{
    while (is_punct(p, '+') || is_punct(p, '-')) {
        bool minus = is_punct(p, '-');
        advance(p);
        expr_value v = parse_binary(p, 5, 1);
        if (v.is_float)
            fail(p, "floating-point offset added to `%s`", o->symbol);
        o->offset = minus ? (int64_t)((uint64_t)o->offset - v.bits)
                          : (int64_t)((uint64_t)o->offset + v.bits);
    }
}

/* A register (with optional .x component), special register, variable, parameter,
 * label or module symbol. */
static void parse_ident_operand(parser *p, ptx_operand *o, ident_ctx ctx)
{
    ptx_token t = p->tok;
    const char *s = p->lx.src + t.pos;
    if (t.len == 1 && s[0] == '_') {
        advance(p);
        o->kind = PTX_OPND_SINK;
        return;
    }
    if (tok_text_is(p, &t, "WARP_SZ")) {
        advance(p);
        o->kind = PTX_OPND_IMM_INT;
        o->imm_int = 32;
        return;
    }
    int64_t b = lookup_name(p, t.pos, t.len);
    advance(p);
    if (BIND_KIND(b) == BIND_REG) {
        uint32_t idx = BIND_INDEX(b);
        o->kind = PTX_OPND_REG;
        o->reg = (int32_t)idx;
        if (p->tok.kind == PTX_TK_DIR && !p->tok.ws_before) {
            char w[16];
            int c = p->tok.len <= 2 ? component_index(dir_word(p, w, sizeof(w))) : -1;
            if (c < 0 || p->fn.regs[idx].vec < 2 || (uint32_t)c >= p->fn.regs[idx].vec)
                fail(p, "bad component of register %s", p->fn.regs[idx].name);
            o->reg_comp = (uint8_t)c;
            advance(p);
        }
        return;
    }
    if (BIND_KIND(b) == BIND_VAR) {
        o->kind = PTX_OPND_SYMBOL;
        o->symbol = p->fn.vars[BIND_INDEX(b)].name;
        return;
    }
    if (BIND_KIND(b) == BIND_PARAM || BIND_KIND(b) == BIND_RET) {
        o->kind = PTX_OPND_SYMBOL;
        o->symbol = BIND_KIND(b) == BIND_PARAM ? p->fn.params[BIND_INDEX(b)].name
                                                : p->fn.rets[BIND_INDEX(b)].name;
        return;
    }
    if (s[0] == '%') {
        char name[64];
        if (t.len - 1 < sizeof(name)) {
            memcpy(name, s + 1, t.len - 1);
            name[t.len - 1] = '\0';
            if (parse_sreg(p, name, o))
                return;
        }
        fail_at(p, t.line, t.pos, "undeclared register %.*s", (int)(t.len > 64 ? 64 : t.len), s);
    }
    if (ctx == CTX_LABEL) {
        o->kind = PTX_OPND_LABEL;
        o->label = label_index(p, s, t.len, t.line);
        return;
    }
    o->kind = PTX_OPND_SYMBOL;
    o->symbol = dup_range(p, t.pos, t.len);
    /* branch tables and prototypes are checked at the end of the function */
    if (ctx == CTX_PLAIN || ctx == CTX_CALL_TARGET)
        note_symbol_use(p, o->symbol, t.line, ctx == CTX_CALL_TARGET);
    if (ctx == CTX_PLAIN)
        parse_symbol_offset(p, o);
}

static void parse_operand(parser *p, ptx_operand *o, ident_ctx ctx, int depth);

static void parse_imm_operand(parser *p, ptx_operand *o)
{
    expr_value v = parse_expr(p, 0);
    if (v.is_float) {
        o->kind = PTX_OPND_IMM_FLT;
        if (v.flt_hex) {
            o->imm_bits = v.bits;
            o->imm_is_f64 = v.flt_f64;
        } else {
            memcpy(&o->imm_bits, &v.fval, sizeof(double));
            o->imm_is_f64 = true;
        }
    } else {
        o->kind = PTX_OPND_IMM_INT;
        o->imm_int = (int64_t)v.bits;
    }
}

/* Elements up to the closing punctuation, separated by commas. */
static void parse_operand_seq(parser *p, ptx_operand *o, int close, uint32_t max,
                              const char *what, ident_ctx ctx, int depth)
{
    ptx_operand tmp[MAX_VEC_ELEMS];
    ptx_operand *elems = max <= MAX_VEC_ELEMS ? tmp : NULL;
    uint32_t n = 0, cap = 0;
    if (!is_punct(p, close)) {
        for (;;) {
            if (n >= max)
                fail(p, "too many elements in %s (limit %u)", what, max);
            ptx_operand *e;
            if (max <= MAX_VEC_ELEMS) {
                e = &elems[n++];
            } else {
                e = PUSH(p, elems, n, cap);
            }
            init_operand(e);
            if (is_punct(p, close) || is_punct(p, ','))
                fail(p, "bad %s: missing element", what);
            parse_operand(p, e, ctx, depth + 1);
            if (is_punct(p, ','))
                advance(p);
            else if (is_punct(p, close))
                break;
            else
                fail(p, "bad %s: expected ',' or '%c'", what, close);
        }
    }
    advance(p);
    o->nelems = n;
    o->elems = new_operands(p, n);
    if (n)
        memcpy(o->elems, elems, n * sizeof(ptx_operand));
}

static void parse_address(parser *p, ptx_operand *o, int depth)
{
    ptx_token open = p->tok;
    advance(p); /* [ */
    ptx_operand first;
    init_operand(&first);
    bool have_base = false;
    if (p->tok.kind == PTX_TK_IDENT) {
        parse_ident_operand(p, &first, CTX_PLAIN);
        have_base = true;
        if (first.kind == PTX_OPND_REG && first.reg_comp != 0xff && !is_punct(p, ','))
            fail(p, "vector register component as an address");
    } else if (is_punct(p, '{')) {
        parse_operand(p, &first, CTX_PLAIN, depth + 1);
        have_base = true;
    }
    if (have_base && is_punct(p, ',')) {
        /* [texref, {coords}] and friends */
        ptx_operand list[8];
        uint32_t n = 0;
        list[n++] = first;
        while (is_punct(p, ',')) {
            advance(p);
            if (n >= 8)
                fail(p, "too many elements in a bracketed operand");
            init_operand(&list[n]);
            parse_operand(p, &list[n], CTX_PLAIN, depth + 1);
            n++;
        }
        expect_punct(p, ']', "']'");
        o->kind = PTX_OPND_BRACKET;
        o->nelems = n;
        o->elems = new_operands(p, n);
        memcpy(o->elems, list, n * sizeof(ptx_operand));
        return;
    }
    o->kind = PTX_OPND_ADDR;
    int64_t offset = 0;
    if (have_base) {
        if (first.kind == PTX_OPND_REG)
            o->reg = first.reg;
        else if (first.kind == PTX_OPND_SYMBOL)
            o->symbol = first.symbol, offset = first.offset; /* [sym+4]: already read */
        else
            fail_at(p, open.line, open.pos, "bad address operand");
        while (is_punct(p, '+') || is_punct(p, '-')) {
            bool minus = is_punct(p, '-');
            advance(p);
            if (p->tok.kind == PTX_TK_IDENT && p->lx.src[p->tok.pos] == '%')
                fail(p, "a register offset is not allowed in an address");
            int64_t v = want_int(p, parse_binary(p, 5, depth + 1));
            offset = minus ? (int64_t)((uint64_t)offset - (uint64_t)v)
                           : (int64_t)((uint64_t)offset + (uint64_t)v);
        }
    } else {
        if (is_punct(p, ']'))
            fail(p, "empty address operand");
        offset = want_int(p, parse_expr(p, depth + 1));
    }
    o->offset = offset;
    expect_punct(p, ']', "']' closing the address");
}

static void parse_operand(parser *p, ptx_operand *o, ident_ctx ctx, int depth)
{
    if (depth > 8)
        fail(p, "operand nested too deeply");
    if (is_punct(p, '{')) {
        advance(p);
        o->kind = PTX_OPND_VEC;
        parse_operand_seq(p, o, '}', MAX_VEC_ELEMS, "vector operand", ctx, depth);
        if (o->nelems == 0)
            fail(p, "bad vector operand: empty");
        for (uint32_t i = 0; i < o->nelems; i++) {
            ptx_operand_kind k = o->elems[i].kind;
            if (k == PTX_OPND_VEC || k == PTX_OPND_ADDR || k == PTX_OPND_LIST ||
                k == PTX_OPND_BRACKET || k == PTX_OPND_LABEL)
                fail(p, "bad vector operand: element %u is not a register or value", i + 1);
        }
    } else if (is_punct(p, '[')) {
        parse_address(p, o, depth);
    } else if (is_punct(p, '!')) {
        advance(p);
        if (p->tok.kind != PTX_TK_IDENT)
            fail(p, "expected a predicate register after '!'");
        parse_ident_operand(p, o, CTX_PLAIN);
        if (o->kind != PTX_OPND_REG)
            fail(p, "'!' applies only to a predicate register");
        o->negated = true;
    } else if (p->tok.kind == PTX_TK_IDENT) {
        parse_ident_operand(p, o, ctx);
    } else if (p->tok.kind == PTX_TK_INT || p->tok.kind == PTX_TK_FLOAT || is_punct(p, '-') ||
               is_punct(p, '(') || is_punct(p, '~') || is_punct(p, '+')) {
        parse_imm_operand(p, o);
    } else {
        fail(p, "expected an operand");
    }
    if (is_punct(p, '|')) {
        /* setp's two destinations: %p|%q */
        if (o->kind != PTX_OPND_REG && o->kind != PTX_OPND_SINK)
            fail(p, "'|' joins two predicate registers");
        advance(p);
        ptx_operand second;
        init_operand(&second);
        if (p->tok.kind != PTX_TK_IDENT)
            fail(p, "expected a predicate register after '|'");
        parse_ident_operand(p, &second, CTX_PLAIN);
        if (second.kind != PTX_OPND_REG && second.kind != PTX_OPND_SINK)
            fail(p, "'|' joins two predicate registers");
        ptx_operand *pair = new_operands(p, 2);
        pair[0] = *o;
        pair[1] = second;
        init_operand(o);
        o->kind = PTX_OPND_VEC;
        o->elems = pair;
        o->nelems = 2;
    }
}

/* ---- instructions -------------------------------------------------------------- */

/* The statement's text with comments dropped and blank runs collapsed. */
static const char *statement_text(parser *p, size_t start, size_t end)
{
    const char *s = p->lx.src;
    char *out = ptx_arena_alloc(p->ar, end - start + 1);
    if (!out)
        fail_oom(p);
    size_t n = 0;
    bool blank = false;
    for (size_t i = start; i < end; i++) {
        char c = s[i];
        if (c == '/' && i + 1 < end && s[i + 1] == '/') {
            while (i < end && s[i] != '\n')
                i++;
            blank = true;
            continue;
        }
        if (c == '/' && i + 1 < end && s[i + 1] == '*') {
            i += 2;
            while (i + 1 < end && !(s[i] == '*' && s[i + 1] == '/'))
                i++;
            i++;
            blank = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            blank = true;
            continue;
        }
        /* no blank inside brackets: "(a, b)" however the call was laid out */
        if (blank && n > 0 && !strchr("([{", out[n - 1]) && !strchr(")]},;", c))
            out[n++] = ' ';
        blank = false;
        out[n++] = c;
    }
    out[n] = '\0';
    return out;
}

static const char *const instr_spaces[] = { "global", "shared", "shared::cta",
                                            "shared::cluster", "local", "const", "param",
                                            "param::entry", "param::func" };

static ptx_space instr_space(const char *w)
{
    if (strcmp(w, "global") == 0) return PTX_SPACE_GLOBAL;
    if (strcmp(w, "shared") == 0) return PTX_SPACE_SHARED;
    if (strcmp(w, "shared::cta") == 0) return PTX_SPACE_SHARED_CTA;
    if (strcmp(w, "shared::cluster") == 0) return PTX_SPACE_SHARED_CLUSTER;
    if (strcmp(w, "local") == 0) return PTX_SPACE_LOCAL;
    if (strcmp(w, "const") == 0) return PTX_SPACE_CONST;
    if (strncmp(w, "param", 5) == 0) return PTX_SPACE_PARAM;
    return PTX_SPACE_GENERIC;
}

static bool is_instr_space(const char *w)
{
    for (size_t i = 0; i < sizeof(instr_spaces) / sizeof(instr_spaces[0]); i++)
        if (strcmp(w, instr_spaces[i]) == 0)
            return true;
    return false;
}

static void add_mod(parser *p, ptx_instr *ins, const char *word)
{
    if (ins->nmods >= PTX_MAX_MODS)
        fail(p, "too many modifiers on `%s` (limit %d)", ins->opcode, PTX_MAX_MODS);
    ins->mods[ins->nmods++] = word;
}

static void parse_call(parser *p, ptx_instr *ins)
{
    ptx_operand ops[4];
    for (int i = 0; i < 4; i++)
        init_operand(&ops[i]);
    uint32_t nops = 3;
    ops[0].kind = PTX_OPND_LIST;
    ops[2].kind = PTX_OPND_LIST;
    if (is_punct(p, '(')) {
        advance(p);
        parse_operand_seq(p, &ops[0], ')', MAX_LIST_ELEMS, "return list", CTX_PLAIN, 0);
        expect_punct(p, ',', "',' after the call's return list");
    }
    if (p->tok.kind != PTX_TK_IDENT)
        fail(p, "expected the called function");
    parse_ident_operand(p, &ops[1], CTX_CALL_TARGET);
    if (ops[1].kind != PTX_OPND_SYMBOL && ops[1].kind != PTX_OPND_REG)
        fail(p, "bad call target");
    if (is_punct(p, ',')) {
        advance(p);
        if (is_punct(p, '(')) {
            advance(p);
            parse_operand_seq(p, &ops[2], ')', MAX_LIST_ELEMS, "argument list", CTX_PLAIN, 0);
            if (is_punct(p, ',')) {
                advance(p);
                goto target_info;
            }
        } else {
            goto target_info;
        }
    }
    goto done;
target_info:
    if (ops[1].kind != PTX_OPND_REG)
        fail(p, "a prototype or target list is only allowed on an indirect call");
    nops = 4;
    if (is_punct(p, '{')) {
        advance(p);
        ops[3].kind = PTX_OPND_LIST;
        parse_operand_seq(p, &ops[3], '}', MAX_LIST_ELEMS, "call target list",
                          CTX_CALL_TARGET, 0);
        for (uint32_t i = 0; i < ops[3].nelems; i++)
            if (ops[3].elems[i].kind != PTX_OPND_SYMBOL)
                fail(p, "call target list must name functions");
    } else if (p->tok.kind == PTX_TK_IDENT) {
        ops[3].kind = PTX_OPND_SYMBOL;
        ops[3].symbol = take_ident(p, "a call prototype");
    } else {
        fail(p, "expected a call prototype or target list");
    }
done:
    if (ops[1].kind == PTX_OPND_REG && nops != 4)
        fail(p, "indirect call through a register needs a prototype or target list");
    ins->nops = nops;
    ins->ops = new_operands(p, nops);
    memcpy(ins->ops, ops, nops * sizeof(ptx_operand));
}

static void parse_instruction(parser *p)
{
    ptx_instr ins;
    memset(&ins, 0, sizeof(ins));
    ins.guard_reg = -1;
    ins.vec = 1;
    size_t start = p->tok.pos;
    ins.line = p->tok.line;
    ins.loc_file = p->loc_file;
    ins.loc_line = p->loc_line;
    if (is_punct(p, '@')) {
        advance(p);
        if (is_punct(p, '!')) {
            ins.guard_negated = true;
            advance(p);
        }
        if (p->tok.kind != PTX_TK_IDENT)
            fail(p, "expected a predicate register after '@'");
        int64_t b = lookup_name(p, p->tok.pos, p->tok.len);
        if (BIND_KIND(b) != BIND_REG)
            fail(p, "undeclared guard predicate %.*s", (int)(p->tok.len > 64 ? 64 : p->tok.len),
                 p->lx.src + p->tok.pos);
        if (p->fn.regs[BIND_INDEX(b)].type != PTX_PRED)
            fail(p, "guard %s is not a predicate register", p->fn.regs[BIND_INDEX(b)].name);
        ins.guard_reg = (int32_t)BIND_INDEX(b);
        advance(p);
    }
    if (p->tok.kind != PTX_TK_IDENT || p->lx.src[p->tok.pos] == '%' ||
        p->lx.src[p->tok.pos] == '$')
        fail(p, "expected an instruction");
    ins.opcode = dup_range(p, p->tok.pos, p->tok.len);
    advance(p);
    while (p->tok.kind == PTX_TK_DIR && !p->tok.ws_before) {
        const char *w = dup_range(p, p->tok.pos + 1, p->tok.len - 1);
        ptx_type t = ptx_type_from_name(w);
        if (t != PTX_TYPE_NONE && t != PTX_TEXREF && t != PTX_SAMPLERREF && t != PTX_SURFREF) {
            if (ins.ntypes < 3)
                ins.types[ins.ntypes++] = t;
            else
                add_mod(p, &ins, w);
        } else if (is_instr_space(w)) {
            if (ins.space == PTX_SPACE_GENERIC)
                ins.space = instr_space(w);
            else
                add_mod(p, &ins, w);
        } else if (strcmp(w, "v2") == 0 || strcmp(w, "v4") == 0 || strcmp(w, "v8") == 0) {
            ins.vec = (uint8_t)(w[1] - '0');
        } else {
            add_mod(p, &ins, w);
        }
        advance(p);
    }
    if (p->tok.kind == PTX_TK_DIR)
        fail(p, "unexpected modifier after `%s` (blank before the dot?)", ins.opcode);
    bool is_bra = strcmp(ins.opcode, "bra") == 0;
    bool is_brx = strcmp(ins.opcode, "brx") == 0;
    if (strcmp(ins.opcode, "call") == 0) {
        parse_call(p, &ins);
    } else if (!is_punct(p, ';')) {
        ptx_operand ops[MAX_OPERANDS];
        uint32_t n = 0;
        for (;;) {
            if (n >= MAX_OPERANDS)
                fail(p, "too many operands");
            init_operand(&ops[n]);
            ident_ctx ctx = is_bra ? CTX_LABEL
                                   : (is_brx && n == 1 ? CTX_BRANCH_TABLE : CTX_PLAIN);
            parse_operand(p, &ops[n], ctx, 0);
            n++;
            if (!is_punct(p, ','))
                break;
            advance(p);
        }
        ins.nops = n;
        ins.ops = new_operands(p, n);
        memcpy(ins.ops, ops, n * sizeof(ptx_operand));
    }
    if (is_bra && (ins.nops != 1 || ins.ops[0].kind != PTX_OPND_LABEL))
        fail_at(p, ins.line, start, "bra needs one label operand");
    if (is_brx && (ins.nops != 2 || ins.ops[1].kind != PTX_OPND_SYMBOL))
        fail_at(p, ins.line, start, "brx.idx needs an index and a .branchtargets label");
    if (!is_punct(p, ';'))
        fail(p, "expected ';' after the instruction");
    ins.text = statement_text(p, start, p->tok.pos);
    advance(p);
    ptx_function *f = &p->fn;
    *PUSH(p, f->instrs, f->ninstrs, p->instrs_cap) = ins;
}

/* ---- declarations ----------------------------------------------------------------- */

typedef struct decl_attrs {
    ptx_space space;
    ptx_type type;
    uint32_t align;
    uint32_t vec;
    ptx_space ptr_space;
    bool managed;
} decl_attrs;

static ptx_space decl_space(const char *w)
{
    if (strcmp(w, "reg") == 0) return PTX_SPACE_REG;
    if (strcmp(w, "tex") == 0) return PTX_SPACE_TEX;
    return instr_space(w);
}

static bool is_decl_space(const char *w)
{
    return strcmp(w, "reg") == 0 || strcmp(w, "tex") == 0 || is_instr_space(w);
}

/* `.attribute(.managed)` and the like: balanced parentheses, bounded. */
static void parse_attribute(parser *p, decl_attrs *a)
{
    advance(p); /* .attribute */
    expect_punct(p, '(', "'(' after .attribute");
    int depth = 1;
    while (depth > 0) {
        if (p->tok.kind == PTX_TK_EOF)
            fail(p, "unterminated .attribute");
        if (is_punct(p, '(') && ++depth > MAX_EXPR_DEPTH)
            fail(p, ".attribute nested too deeply");
        if (is_punct(p, ')'))
            depth--;
        if (a && is_dir(p, "managed"))
            a->managed = true;
        advance(p);
    }
}

/* State space, .align, .vN, type, .ptr and attributes, in any order. The current token
 * is the first directive. */
static void parse_decl_attrs(parser *p, decl_attrs *a, bool space_given)
{
    char w[32];
    for (;;) {
        if (p->tok.kind != PTX_TK_DIR)
            break;
        if (p->tok.len > sizeof(w) - 1)
            fail(p, "unknown directive in a declaration");
        dir_word(p, w, sizeof(w));
        ptx_type t = ptx_type_from_name(w);
        if (strcmp(w, "align") == 0) {
            advance(p);
            uint64_t al = take_uint(p, "an alignment", 1u << 20);
            if (al == 0 || (al & (al - 1)))
                fail(p, "alignment %llu is not a power of two", (unsigned long long)al);
            a->align = (uint32_t)al;
            continue;
        } else if (strcmp(w, "attribute") == 0) {
            parse_attribute(p, a);
            continue;
        } else if (strcmp(w, "ptr") == 0) {
            a->ptr_space = PTX_SPACE_GENERIC;
        } else if (strcmp(w, "v2") == 0 || strcmp(w, "v4") == 0 || strcmp(w, "v8") == 0) {
            a->vec = (uint32_t)(w[1] - '0');
        } else if (t != PTX_TYPE_NONE) {
            if (a->type != PTX_TYPE_NONE)
                fail(p, "two types in one declaration");
            a->type = t;
        } else if (is_decl_space(w)) {
            if (space_given)
                a->ptr_space = decl_space(w); /* .ptr.global in a parameter */
            else
                a->space = decl_space(w);
            space_given = true;
        } else {
            fail(p, "unknown directive `.%s` in a declaration", w);
        }
        advance(p);
    }
    if (a->type == PTX_TYPE_NONE)
        fail(p, "declaration without a type");
}

/* [N][M]... ; an empty first dimension is allowed when unsized_ok. Returns the product
 * (0 when the first dimension is empty); *inner gets the product after the first. */
static uint64_t parse_dims(parser *p, bool unsized_ok, bool *unsized, uint64_t *inner,
                           uint64_t elem_bytes)
{
    uint64_t total = 1, first = 1;
    *unsized = false;
    *inner = 1;
    int ndims = 0;
    while (is_punct(p, '[')) {
        ptx_token open = p->tok;
        if (++ndims > MAX_ARRAY_DIMS)
            fail(p, "too many array dimensions");
        advance(p);
        if (is_punct(p, ']')) {
            if (ndims != 1 || !unsized_ok)
                fail_at(p, open.line, open.pos, "array dimension missing");
            *unsized = true;
            advance(p);
            continue;
        }
        int64_t n = want_int(p, parse_expr(p, 0));
        if (n <= 0)
            fail_at(p, open.line, open.pos, "array size must be positive");
        if ((uint64_t)n > MAX_VAR_BYTES || total > MAX_VAR_BYTES / (uint64_t)n ||
            total * (uint64_t)n > MAX_VAR_BYTES / (elem_bytes ? elem_bytes : 1))
            fail_at(p, open.line, open.pos, "array size too large (limit %llu bytes)",
                    (unsigned long long)MAX_VAR_BYTES);
        if (ndims == 1)
            first = (uint64_t)n;
        else
            *inner *= (uint64_t)n;
        total *= (uint64_t)n;
        expect_punct(p, ']', "']'");
    }
    (void)first;
    return *unsized ? 0 : total;
}

/* ---- initializers ------------------------------------------------------------------ */

static uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 0xff);
    uint32_t mant = x & 0x7fffff;
    if (exp == 0xff)
        return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    int32_t e = exp - 127 + 15;
    if (e >= 0x1f)
        return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10)
            return (uint16_t)sign;
        mant |= 0x800000;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t h = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++; /* may carry into the exponent, which is the right rounding */
    return (uint16_t)(sign | h);
}

static uint16_t f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000)
        return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

static double elem_as_double(const init_elem *e)
{
    if (e->kind == IE_INT)
        return (double)(int64_t)e->bits;
    if (!e->flt_hex)
        return e->fval;
    if (e->flt_f64) {
        double d;
        memcpy(&d, &e->bits, 8);
        return d;
    }
    uint32_t b = (uint32_t)e->bits;
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static void parse_init_elem(parser *p, int depth);

static void push_init_elem(parser *p, const init_elem *e)
{
    if ((uint64_t)p->nielems >= MAX_INIT_BYTES)
        fail(p, "initializer too large");
    *PUSH(p, p->ielems, p->nielems, p->ielems_cap) = *e;
}

/* sym, sym+N, generic(sym), generic(sym)+N */
static void parse_init_address(parser *p, init_elem *e)
{
    uint32_t line = p->tok.line;
    if (tok_text_is(p, &p->tok, "generic")) {
        ptx_token nx = peek(p);
        if (ptx_tok_is(&nx, '(')) {
            advance(p);
            advance(p);
            e->generic = true;
            e->sym = take_ident(p, "a symbol in generic()");
            expect_punct(p, ')', "')' closing generic(");
            goto offset;
        }
    }
    e->sym = take_ident(p, "a symbol");
offset:
    note_symbol_use(p, e->sym, line, false);
    while (is_punct(p, '+') || is_punct(p, '-')) {
        bool minus = is_punct(p, '-');
        advance(p);
        int64_t v = want_int(p, parse_binary(p, 5, 1));
        e->addend = minus ? (int64_t)((uint64_t)e->addend - (uint64_t)v)
                          : (int64_t)((uint64_t)e->addend + (uint64_t)v);
    }
}

static void parse_init_elem(parser *p, int depth)
{
    if (depth > MAX_INIT_DEPTH)
        fail(p, "initializer nested too deeply");
    init_elem e;
    memset(&e, 0, sizeof(e));
    e.line = p->tok.line;
    if (is_punct(p, '{')) {
        advance(p);
        if (is_punct(p, '}'))
            fail(p, "empty initializer list");
        for (;;) {
            parse_init_elem(p, depth + 1);
            if (is_punct(p, ',')) {
                advance(p);
                continue;
            }
            expect_punct(p, '}', "',' or '}' in the initializer");
            return;
        }
    }
    if (p->tok.kind == PTX_TK_IDENT && p->lx.src[p->tok.pos] != '%' &&
        !tok_text_is(p, &p->tok, "WARP_SZ")) {
        e.kind = IE_SYM;
        parse_init_address(p, &e);
        push_init_elem(p, &e);
        return;
    }
    if (p->tok.kind == PTX_TK_INT) {
        ptx_token nx = peek(p);
        if (ptx_tok_is(&nx, '(') && !nx.ws_before) {
            /* 0xFF00(sym): one byte of a symbol's address in a .b8 array */
            e.kind = IE_MASKED_SYM;
            e.mask = p->tok.ival;
            advance(p);
            advance(p);
            parse_init_address(p, &e);
            expect_punct(p, ')', "')' closing the masked address");
            push_init_elem(p, &e);
            return;
        }
    }
    expr_value v = parse_expr(p, depth);
    if (v.is_float) {
        e.kind = IE_FLOAT;
        e.flt_hex = v.flt_hex;
        e.flt_f64 = v.flt_f64;
        e.bits = v.bits;
        e.fval = v.fval;
    } else {
        e.kind = IE_INT;
        e.bits = v.bits;
    }
    push_init_elem(p, &e);
}

static void store_le(uint8_t *dst, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        dst[i] = (uint8_t)(v >> (8 * i));
}

/* Lays the parsed elements out into var->init and var->relocs. */
static void layout_init(parser *p, ptx_var *v, uint32_t first_elem, uint32_t line, size_t pos)
{
    uint32_t n = p->nielems - first_elem;
    unsigned esz = ptx_type_size(v->type);
    if (v->size > MAX_INIT_BYTES)
        fail_at(p, line, pos, "initialized variable too large");
    if ((uint64_t)n * esz > v->size)
        fail_at(p, line, pos, "too many initializers for `%s` (%u for %llu elements)", v->name,
                n, (unsigned long long)(v->size / esz));
    uint8_t *bytes = ptx_arena_alloc(p->ar, v->size ? v->size : 1);
    if (!bytes)
        fail_oom(p);
    ptx_init_reloc *relocs = NULL;
    uint32_t nrelocs = 0, relocs_cap = 0;
    for (uint32_t i = 0; i < n; i++) {
        const init_elem *e = &p->ielems[first_elem + i];
        uint8_t *dst = bytes + (uint64_t)i * esz;
        uint64_t off = (uint64_t)i * esz;
        switch (e->kind) {
        case IE_INT:
        case IE_FLOAT:
            if (ptx_type_is_float(v->type) && v->type != PTX_F16X2 && v->type != PTX_BF16X2) {
                if (e->kind == IE_FLOAT && e->flt_hex &&
                    ((e->flt_f64 && esz == 8) || (!e->flt_f64 && esz == 4))) {
                    store_le(dst, e->bits, esz);
                    break;
                }
                double d = elem_as_double(e);
                if (esz == 8) {
                    uint64_t b;
                    memcpy(&b, &d, 8);
                    store_le(dst, b, 8);
                } else if (esz == 4) {
                    float f = (float)d;
                    uint32_t b;
                    memcpy(&b, &f, 4);
                    store_le(dst, b, 4);
                } else if (v->type == PTX_BF16) {
                    store_le(dst, f32_to_bf16((float)d), 2);
                } else {
                    store_le(dst, f32_to_f16((float)d), 2);
                }
            } else if (e->kind == IE_FLOAT) {
                if (!e->flt_hex || (e->flt_f64 ? 8u : 4u) != esz)
                    fail_at(p, e->line, pos,
                            "floating-point initializer for `%s` of type .%s", v->name,
                            ptx_type_name(v->type));
                store_le(dst, e->bits, esz);
            } else {
                store_le(dst, e->bits, esz);
            }
            break;
        case IE_SYM: {
            if (esz != 4 && esz != 8)
                fail_at(p, e->line, pos, "address of `%s` in a %u-byte element of `%s`", e->sym,
                        esz, v->name);
            ptx_init_reloc *r = PUSH(p, relocs, nrelocs, relocs_cap);
            r->offset = off;
            r->symbol = e->sym;
            r->addend = e->addend;
            r->size = (uint8_t)esz;
            r->generic = e->generic;
            break;
        }
        case IE_MASKED_SYM: {
            /* a run of 0xFF, 0xFF00, ... masks over consecutive bytes is one address */
            if (esz != 1 || e->mask != 0xff)
                fail_at(p, e->line, pos,
                        "unsupported partial address of `%s` in the initializer of `%s`",
                        e->sym, v->name);
            uint32_t k = 1;
            while (k < 8 && i + k < n) {
                const init_elem *f = &p->ielems[first_elem + i + k];
                if (f->kind != IE_MASKED_SYM || f->mask != (uint64_t)0xff << (8 * k) ||
                    strcmp(f->sym, e->sym) != 0 || f->addend != e->addend ||
                    f->generic != e->generic)
                    break;
                k++;
            }
            if (k != 8 && k != 4)
                fail_at(p, e->line, pos,
                        "unsupported partial address of `%s` in the initializer of `%s`",
                        e->sym, v->name);
            ptx_init_reloc *r = PUSH(p, relocs, nrelocs, relocs_cap);
            r->offset = off;
            r->symbol = e->sym;
            r->addend = e->addend;
            r->size = (uint8_t)k;
            r->generic = e->generic;
            i += k - 1;
            break;
        }
        }
    }
    v->init = bytes;
    v->relocs = relocs;
    v->nrelocs = nrelocs;
}

/* ---- variables ---------------------------------------------------------------------- */

static void add_module_var(parser *p, ptx_var *v, size_t pos)
{
    ptx_module *m = p->m;
    int64_t prev;
    if (ptx_strmap_get(&p->modsyms, v->name, &prev)) {
        if ((prev >> 32) != MSYM_VAR)
            fail_at(p, v->line, pos, "`%s` is already declared as a function", v->name);
        ptx_var *old = &m->vars[(uint32_t)prev];
        if (v->linkage == PTX_LINK_EXTERN)
            return; /* a declaration after the definition adds nothing */
        if (old->linkage != PTX_LINK_EXTERN)
            fail_at(p, v->line, pos, "duplicate definition of variable `%s`", v->name);
        *old = *v;
        return;
    }
    uint32_t idx = m->nvars;
    *PUSH(p, m->vars, m->nvars, p->vars_cap) = *v;
    map_put(p, &p->modsyms, m->vars[idx].name, MSYM(MSYM_VAR, idx));
}

/* `.global .align 4 .u32 a = 1, b[2];` at module scope or inside a function. The
 * current token is the state-space directive (or .texref and friends). */
static void parse_var_decl(parser *p, ptx_linkage linkage, bool in_func)
{
    decl_attrs a = { 0 };
    a.vec = 1;
    char w[32];
    dir_word(p, w, sizeof(w));
    if (strcmp(w, "texref") == 0 || strcmp(w, "samplerref") == 0 || strcmp(w, "surfref") == 0) {
        a.space = PTX_SPACE_GLOBAL;
        a.type = ptx_type_from_name(w);
        advance(p);
    } else {
        a.space = decl_space(w);
        advance(p);
        parse_decl_attrs(p, &a, true);
    }
    if (a.type == PTX_PRED)
        fail(p, ".pred is only allowed for registers");
    unsigned esz = ptx_type_size(a.type) * a.vec;
    for (;;) {
        size_t name_pos = p->tok.pos;
        uint32_t name_line = p->tok.line;
        char *name = take_ident(p, "a variable name");
        if (name[0] == '%')
            fail_at(p, name_line, name_pos, "variable name `%s` may not start with '%%'", name);
        ptx_var v;
        memset(&v, 0, sizeof(v));
        v.name = name;
        v.space = a.space;
        v.type = a.type;
        v.vec = a.vec;
        v.align = a.align ? a.align : esz;
        v.linkage = linkage;
        v.line = name_line;
        v.managed = a.managed;
        bool unsized;
        uint64_t inner;
        uint64_t count = parse_dims(p, true, &unsized, &inner, esz);
        v.unsized = unsized;
        v.size = unsized ? 0 : count * esz;
        if (is_punct(p, '=')) {
            if (a.space == PTX_SPACE_SHARED || a.space == PTX_SPACE_LOCAL ||
                a.space == PTX_SPACE_PARAM || a.space == PTX_SPACE_REG)
                fail(p, "variables in .%s may not have an initializer", ptx_space_name(a.space));
            advance(p);
            uint32_t first = p->nielems;
            if (a.type == PTX_SAMPLERREF || a.type == PTX_TEXREF || a.type == PTX_SURFREF) {
                /* { filter_mode = nearest, ... }: properties the backends do not use */
                expect_punct(p, '{', "'{' starting the sampler properties");
                int depth = 1;
                while (depth > 0) {
                    if (p->tok.kind == PTX_TK_EOF)
                        fail(p, "unterminated initializer");
                    if (is_punct(p, '{') && ++depth > MAX_INIT_DEPTH)
                        fail(p, "initializer nested too deeply");
                    if (is_punct(p, '}'))
                        depth--;
                    advance(p);
                }
            } else {
                parse_init_elem(p, 0);
                uint32_t n = p->nielems - first;
                if (unsized) {
                    uint64_t per = inner * a.vec;
                    uint64_t rows = (n + per - 1) / per;
                    if (rows == 0)
                        rows = 1;
                    v.size = rows * per * ptx_type_size(a.type);
                    v.unsized = false;
                }
                v.nrelocs = 0;
                layout_init(p, &v, first, name_line, name_pos);
                p->nielems = first;
            }
        }
        if (v.size > MAX_VAR_BYTES)
            fail_at(p, name_line, name_pos, "variable `%s` too large", name);
        if (in_func) {
            ptx_function *f = &p->fn;
            uint32_t idx = f->nvars;
            v.name = declare_local(p, name, BIND_VAR, idx, name_line, name_pos);
            *PUSH(p, f->vars, f->nvars, p->fvars_cap) = v;
        } else {
            add_module_var(p, &v, name_pos);
        }
        if (is_punct(p, ',')) {
            advance(p);
            continue;
        }
        break;
    }
    expect_punct(p, ';', "';' after the declaration");
}

/* `.reg .b32 %r<18>, %x;` */
static void parse_reg_decl(parser *p)
{
    advance(p); /* .reg */
    decl_attrs a = { 0 };
    a.vec = 1;
    parse_decl_attrs(p, &a, true);
    if (a.vec > 4)
        fail(p, "vector registers have at most 4 elements");
    ptx_function *f = &p->fn;
    for (;;) {
        ptx_token nt = p->tok;
        if (nt.kind != PTX_TK_IDENT)
            fail(p, "expected a register name");
        advance(p);
        uint64_t count = 0;
        bool range = false;
        if (is_punct(p, '<')) {
            advance(p);
            count = take_uint(p, "a register count", MAX_REG_RANGE);
            expect_punct(p, '>', "'>' closing the register range");
            range = true;
        }
        uint64_t total = range ? count : 1;
        if ((uint64_t)f->nregs + total > MAX_FUNC_REGS)
            fail_at(p, nt.line, nt.pos, "too many registers in one function (limit %u)",
                    MAX_FUNC_REGS);
        for (uint64_t i = 0; i < total; i++) {
            const char *name = range ? dup_printf(p, "%.*s%llu", (int)nt.len, p->lx.src + nt.pos,
                                                  (unsigned long long)i)
                                     : dup_range(p, nt.pos, nt.len);
            uint32_t idx = f->nregs;
            ptx_reg *r = PUSH(p, f->regs, f->nregs, p->regs_cap);
            r->type = a.type;
            r->vec = a.vec;
            r->name = declare_local(p, name, BIND_REG, idx, nt.line, nt.pos);
        }
        if (is_punct(p, ',')) {
            advance(p);
            continue;
        }
        break;
    }
    expect_punct(p, ';', "';' after the register declaration");
}

/* ---- functions ---------------------------------------------------------------------- */

/* `( .param .b32 a, .reg .u64 b, .param .align 8 .b8 s[24] )`. The current token is '('. */
static void parse_param_list(parser *p, ptx_param **out, uint32_t *nout, bool compute_layout)
{
    advance(p); /* ( */
    ptx_param *params = NULL;
    uint32_t n = 0, cap = 0;
    uint32_t offset = 0;
    if (!is_punct(p, ')')) {
        for (;;) {
            if (n >= MAX_PARAMS)
                fail(p, "too many parameters");
            bool is_reg;
            if (is_dir(p, "param"))
                is_reg = false;
            else if (is_dir(p, "reg"))
                is_reg = true;
            else
                fail(p, "expected .param or .reg in the parameter list");
            advance(p);
            decl_attrs a = { 0 };
            a.vec = 1;
            a.space = PTX_SPACE_PARAM;
            a.ptr_space = PTX_SPACE_GENERIC;
            parse_decl_attrs(p, &a, true);
            ptx_token nt = p->tok;
            char *name = take_ident(p, "a parameter name");
            unsigned esz = ptx_type_size(a.type) * a.vec;
            bool unsized;
            uint64_t inner;
            uint64_t count = parse_dims(p, true, &unsized, &inner, esz);
            uint64_t size = unsized ? 0 : count * esz;
            if (size > UINT32_MAX / 2)
                fail_at(p, nt.line, nt.pos, "parameter `%s` too large", name);
            ptx_param *pr = PUSH(p, params, n, cap);
            pr->name = name;
            pr->type = a.type;
            pr->align = a.align ? a.align : esz;
            pr->size = (uint32_t)size;
            pr->ptr_space = a.ptr_space;
            pr->is_reg = is_reg;
            if (compute_layout) {
                uint64_t al = pr->align ? pr->align : 1;
                uint64_t off = (offset + al - 1) / al * al;
                if (off + size > UINT32_MAX / 2)
                    fail_at(p, nt.line, nt.pos, "parameter list too large");
                pr->offset = (uint32_t)off;
                offset = (uint32_t)(off + size);
            }
            if (is_punct(p, ',')) {
                advance(p);
                continue;
            }
            break;
        }
    }
    expect_punct(p, ')', "')' closing the parameter list");
    *out = params;
    *nout = n;
}

static void reset_function_state(parser *p)
{
    memset(&p->fn, 0, sizeof(p->fn));
    p->regs_cap = p->fvars_cap = p->instrs_cap = p->labels_cap = p->protos_cap = 0;
    ptx_strmap_clear(&p->names);
    ptx_strmap_clear(&p->declared);
    ptx_strmap_clear(&p->label_map);
    ptx_strmap_clear(&p->proto_map);
    p->undo = NULL;
    p->nundo = p->undo_cap = 0;
    p->depth = 0;
    p->label_defined = NULL;
    p->label_first_use = NULL;
    p->label_aux_cap = 0;
    p->tables = NULL;
    p->ntables = p->tables_cap = 0;
    p->rename_counter = 0;
}

static void uint_list(parser *p, uint32_t *vals, int max)
{
    advance(p);
    for (int i = 0; i < max; i++) {
        vals[i] = (uint32_t)take_uint(p, "a number", UINT32_MAX);
        if (!is_punct(p, ','))
            return;
        advance(p);
    }
    fail(p, "too many values (at most %d)", max);
}

static void parse_loc(parser *p)
{
    uint32_t line = p->tok.line;
    advance(p);
    uint32_t file = (uint32_t)take_uint(p, "a file number", UINT32_MAX);
    uint32_t src_line = (uint32_t)take_uint(p, "a line number", UINT32_MAX);
    if (p->tok.kind == PTX_TK_INT && p->tok.line == line)
        advance(p); /* column */
    while (is_punct(p, ',') && p->tok.line == line) {
        advance(p);
        if (p->tok.kind == PTX_TK_IDENT && tok_text_is(p, &p->tok, "function_name")) {
            advance(p);
            take_ident(p, "a function name label");
            while (is_punct(p, '+') || is_punct(p, '-')) {
                advance(p);
                take_uint(p, "an offset", UINT64_MAX);
            }
        } else if (p->tok.kind == PTX_TK_IDENT && tok_text_is(p, &p->tok, "inlined_at")) {
            advance(p);
            for (int i = 0; i < 3 && p->tok.kind == PTX_TK_INT; i++)
                advance(p);
        } else {
            fail(p, "unknown .loc attribute");
        }
    }
    p->loc_file = file;
    p->loc_line = src_line;
}

static void parse_pragma(parser *p)
{
    advance(p);
    for (;;) {
        if (p->tok.kind != PTX_TK_STRING)
            fail(p, "expected a string after .pragma");
        advance(p);
        if (!is_punct(p, ','))
            break;
        advance(p);
    }
    expect_punct(p, ';', "';' after .pragma");
}

static void parse_label_statement(parser *p)
{
    ptx_token nt = p->tok;
    ptx_function *f = &p->fn;
    advance(p); /* name */
    advance(p); /* : */
    if (is_dir(p, "callprototype")) {
        advance(p);
        ptx_function proto;
        memset(&proto, 0, sizeof(proto));
        proto.name = dup_range(p, nt.pos, nt.len);
        proto.line = nt.line;
        if (is_punct(p, '('))
            parse_param_list(p, &proto.rets, &proto.nrets, false);
        if (!(p->tok.kind == PTX_TK_IDENT && tok_text_is(p, &p->tok, "_")))
            fail(p, "expected `_` in .callprototype");
        advance(p);
        if (is_punct(p, '('))
            parse_param_list(p, &proto.params, &proto.nparams, true);
        while (p->tok.kind == PTX_TK_DIR) {
            if (is_dir(p, "noreturn"))
                proto.noreturn = true;
            else
                fail(p, "unexpected directive in .callprototype");
            advance(p);
        }
        expect_punct(p, ';', "';' after .callprototype");
        if (ptx_strmap_get(&p->proto_map, proto.name, NULL))
            fail_at(p, nt.line, nt.pos, "prototype `%s` declared twice", proto.name);
        uint32_t idx = f->nprotos;
        *PUSH(p, f->protos, f->nprotos, p->protos_cap) = proto;
        map_put(p, &p->proto_map, f->protos[idx].name, idx);
        return;
    }
    if (is_dir(p, "branchtargets")) {
        advance(p);
        branch_table t;
        t.name = dup_range(p, nt.pos, nt.len);
        t.labels = NULL;
        t.nlabels = 0;
        uint32_t cap = 0;
        for (;;) {
            if (p->tok.kind != PTX_TK_IDENT)
                fail(p, "expected a label in .branchtargets");
            int32_t l = label_index(p, p->lx.src + p->tok.pos, p->tok.len, p->tok.line);
            *PUSH(p, t.labels, t.nlabels, cap) = l;
            advance(p);
            if (!is_punct(p, ','))
                break;
            advance(p);
        }
        expect_punct(p, ';', "';' after .branchtargets");
        for (uint32_t i = 0; i < p->ntables; i++)
            if (strcmp(p->tables[i].name, t.name) == 0)
                fail_at(p, nt.line, nt.pos, "branch table `%s` declared twice", t.name);
        *PUSH(p, p->tables, p->ntables, p->tables_cap) = t;
        return;
    }
    int32_t l = label_index(p, p->lx.src + nt.pos, nt.len, nt.line);
    if (p->label_defined[l])
        fail_at(p, nt.line, nt.pos, "label `%s` defined twice", f->labels[l].name);
    p->label_defined[l] = true;
    f->labels[l].instr = f->ninstrs;
}

static void finish_body(parser *p)
{
    ptx_function *f = &p->fn;
    for (uint32_t i = 0; i < f->nlabels; i++) {
        if (!p->label_defined[i]) {
            /* a .branchtargets name used as a branch label lands here too */
            fail_near(p, p->label_first_use[i], f->labels[i].name, "label `%s` never defined",
                      f->labels[i].name);
        }
    }
    for (uint32_t i = 0; i < f->ninstrs; i++) {
        ptx_instr *ins = &f->instrs[i];
        if (strcmp(ins->opcode, "brx") == 0) {
            const char *tname = ins->ops[1].symbol;
            const branch_table *t = NULL;
            for (uint32_t k = 0; k < p->ntables && !t; k++)
                if (strcmp(p->tables[k].name, tname) == 0)
                    t = &p->tables[k];
            if (!t)
                fail_near(p, ins->line, ins->text, "branch table `%s` never declared", tname);
            ptx_operand *list = &ins->ops[1];
            init_operand(list);
            list->kind = PTX_OPND_LIST;
            list->nelems = t->nlabels;
            list->elems = new_operands(p, t->nlabels);
            for (uint32_t k = 0; k < t->nlabels; k++) {
                list->elems[k].kind = PTX_OPND_LABEL;
                list->elems[k].label = t->labels[k];
            }
        } else if (strcmp(ins->opcode, "call") == 0 && ins->nops == 4 &&
                   ins->ops[3].kind == PTX_OPND_SYMBOL) {
            if (!ptx_strmap_get(&p->proto_map, ins->ops[3].symbol, NULL))
                fail_near(p, ins->line, ins->text, "call prototype `%s` never declared",
                          ins->ops[3].symbol);
        }
    }
}

static void parse_body(parser *p)
{
    ptx_function *f = &p->fn;
    advance(p); /* { */
    p->depth = 0;
    p->scope_undo[0] = p->nundo;
    for (;;) {
        if (p->tok.kind == PTX_TK_EOF)
            fail(p, "unterminated body of `%s` (missing '}')", f->name);
        if (is_punct(p, '{')) {
            push_scope(p);
            advance(p);
        } else if (is_punct(p, '}')) {
            if (p->depth == 0) {
                advance(p);
                break;
            }
            pop_scope(p);
            advance(p);
        } else if (is_punct(p, ';')) {
            advance(p); /* empty statement */
        } else if (p->tok.kind == PTX_TK_DIR) {
            char w[32];
            if (p->tok.len >= sizeof(w))
                fail(p, "unknown directive");
            dir_word(p, w, sizeof(w));
            if (strcmp(w, "reg") == 0)
                parse_reg_decl(p);
            else if (strcmp(w, "local") == 0 || strcmp(w, "shared") == 0 ||
                     strcmp(w, "param") == 0 || strcmp(w, "const") == 0 ||
                     strcmp(w, "global") == 0)
                parse_var_decl(p, PTX_LINK_STATIC, true);
            else if (strcmp(w, "loc") == 0)
                parse_loc(p);
            else if (strcmp(w, "pragma") == 0)
                parse_pragma(p);
            else
                fail(p, "unknown directive `.%s` in a function body", w);
        } else if (p->tok.kind == PTX_TK_IDENT) {
            ptx_token nx = peek(p);
            if (ptx_tok_is(&nx, ':'))
                parse_label_statement(p);
            else
                parse_instruction(p);
        } else if (is_punct(p, '@')) {
            parse_instruction(p);
        } else {
            fail(p, "expected an instruction or a directive");
        }
    }
    finish_body(p);
}

static void bind_params(parser *p)
{
    ptx_function *f = &p->fn;
    for (uint32_t i = 0; i < f->nparams; i++) {
        if (ptx_strmap_get(&p->names, f->params[i].name, NULL))
            fail(p, "parameter `%s` declared twice", f->params[i].name);
        map_put(p, &p->names, f->params[i].name, BIND(BIND_PARAM, 0, i));
        map_put(p, &p->declared, f->params[i].name, 1);
    }
    for (uint32_t i = 0; i < f->nrets; i++) {
        if (ptx_strmap_get(&p->names, f->rets[i].name, NULL))
            fail(p, "parameter `%s` declared twice", f->rets[i].name);
        map_put(p, &p->names, f->rets[i].name, BIND(BIND_RET, 0, i));
        map_put(p, &p->declared, f->rets[i].name, 1);
    }
}

static void parse_function(parser *p, ptx_linkage linkage)
{
    reset_function_state(p);
    ptx_function *f = &p->fn;
    f->is_entry = is_dir(p, "entry");
    f->linkage = linkage;
    f->line = p->tok.line;
    advance(p);
    while (is_dir(p, "attribute"))
        parse_attribute(p, NULL);
    if (is_punct(p, '(')) {
        if (f->is_entry)
            fail(p, "a kernel has no return values");
        parse_param_list(p, &f->rets, &f->nrets, false);
    }
    size_t name_pos = p->tok.pos;
    f->name = take_ident(p, "a function name");
    if (is_punct(p, '('))
        parse_param_list(p, &f->params, &f->nparams, true);
    if (f->nparams) {
        const ptx_param *last = &f->params[f->nparams - 1];
        f->param_bytes = last->offset + last->size;
    }
    for (;;) {
        if (is_dir(p, "maxntid")) {
            uint_list(p, f->maxntid, 3);
        } else if (is_dir(p, "reqntid")) {
            uint_list(p, f->reqntid, 3);
        } else if (is_dir(p, "reqnctapercluster")) {
            uint_list(p, f->reqnctapercluster, 3);
        } else if (is_dir(p, "minnctapersm")) {
            uint_list(p, &f->minnctapersm, 1);
        } else if (is_dir(p, "maxnctapersm") || is_dir(p, "abi_preserve") ||
                   is_dir(p, "abi_preserve_control")) {
            uint32_t ignored; /* hints with no meaning off NVIDIA hardware */
            uint_list(p, &ignored, 1);
        } else if (is_dir(p, "maxnreg")) {
            uint_list(p, &f->maxnreg, 1);
        } else if (is_dir(p, "maxclusterrank")) {
            uint_list(p, &f->maxclusterrank, 1);
        } else if (is_dir(p, "explicitcluster")) {
            f->explicitcluster = true;
            advance(p);
        } else if (is_dir(p, "blocksareclusters")) {
            advance(p);
        } else if (is_dir(p, "noreturn")) {
            f->noreturn = true;
            advance(p);
        } else if (is_dir(p, "attribute")) {
            parse_attribute(p, NULL);
        } else if (is_dir(p, "pragma")) {
            parse_pragma(p);
        } else {
            break;
        }
    }
    if (is_punct(p, '{')) {
        f->has_body = true;
        bind_params(p);
        parse_body(p);
    } else if (is_punct(p, ';')) {
        advance(p);
    } else {
        fail(p, "expected '{' or ';' after the declaration of `%s`", f->name);
    }
    /* place it: a definition replaces an earlier declaration of the same name */
    ptx_module *m = p->m;
    int64_t prev;
    if (ptx_strmap_get(&p->modsyms, f->name, &prev)) {
        if ((prev >> 32) != MSYM_FUNC)
            fail_at(p, f->line, name_pos, "`%s` is already declared as a variable", f->name);
        ptx_function *old = &m->funcs[(uint32_t)prev];
        if (!f->has_body)
            return;
        if (old->has_body)
            fail_at(p, f->line, name_pos, "duplicate definition of function `%s`", f->name);
        if (f->linkage == PTX_LINK_STATIC && old->linkage != PTX_LINK_EXTERN)
            f->linkage = old->linkage;
        *old = *f;
    } else {
        uint32_t idx = m->nfuncs;
        *PUSH(p, m->funcs, m->nfuncs, p->funcs_cap) = *f;
        map_put(p, &p->modsyms, m->funcs[idx].name, MSYM(MSYM_FUNC, idx));
    }
}

/* ---- module level ---------------------------------------------------------------------- */

static void skip_section(parser *p)
{
    advance(p); /* .section */
    if (p->tok.kind != PTX_TK_DIR && p->tok.kind != PTX_TK_IDENT)
        fail(p, "expected a section name");
    advance(p);
    if (!is_punct(p, '{'))
        fail(p, "expected '{' after the section name");
    uint32_t line = p->tok.line;
    size_t pos = p->tok.pos;
    advance(p);
    int depth = 1;
    while (depth > 0) {
        if (p->tok.kind == PTX_TK_EOF)
            fail_at(p, line, pos, "unterminated .section (missing '}')");
        if (is_punct(p, '{') && ++depth > MAX_SCOPE_DEPTH)
            fail(p, ".section nested too deeply");
        if (is_punct(p, '}'))
            depth--;
        advance(p);
    }
}

static void parse_version(parser *p)
{
    advance(p);
    ptx_token t = p->tok;
    const char *s = p->lx.src + t.pos;
    unsigned major = 0, minor = 0;
    if (t.kind == PTX_TK_FLOAT && !t.flt_hex) {
        size_t i = 0;
        while (i < t.len && s[i] >= '0' && s[i] <= '9' && major < 1000)
            major = major * 10 + (unsigned)(s[i++] - '0');
        if (i < t.len && s[i] == '.')
            i++;
        while (i < t.len && s[i] >= '0' && s[i] <= '9' && minor < 1000)
            minor = minor * 10 + (unsigned)(s[i++] - '0');
        if (i != t.len)
            fail(p, "malformed .version");
    } else if (t.kind == PTX_TK_INT && t.ival < 1000) {
        major = (unsigned)t.ival;
    } else {
        fail(p, "expected a version number after .version");
    }
    p->m->version_major = major;
    p->m->version_minor = minor;
    advance(p);
}

static void parse_target(parser *p)
{
    advance(p);
    size_t start = p->tok.pos, end = start;
    for (;;) {
        if (p->tok.kind != PTX_TK_IDENT)
            fail(p, "expected a target name");
        const char *s = p->lx.src + p->tok.pos;
        if (p->tok.len > 3 && memcmp(s, "sm_", 3) == 0 && !p->m->target_sm) {
            unsigned sm = 0;
            for (size_t i = 3; i < p->tok.len && s[i] >= '0' && s[i] <= '9' && sm < 100000; i++)
                sm = sm * 10 + (unsigned)(s[i] - '0');
            p->m->target_sm = sm;
        }
        end = p->tok.pos + p->tok.len;
        advance(p);
        if (!is_punct(p, ','))
            break;
        advance(p);
    }
    p->m->target_text = statement_text(p, start, end);
}

static void parse_file(parser *p)
{
    advance(p);
    uint32_t index = (uint32_t)take_uint(p, "a file number", UINT32_MAX);
    if (p->tok.kind != PTX_TK_STRING)
        fail(p, "expected a file name string");
    char *path = dup_range(p, p->tok.pos + 1, p->tok.len - 2);
    advance(p);
    while (is_punct(p, ',')) {
        advance(p);
        take_uint(p, "a timestamp or size", UINT64_MAX);
    }
    ptx_module *m = p->m;
    for (uint32_t i = 0; i < m->nfiles; i++) {
        if (m->files[i].index == index) {
            m->files[i].path = path;
            return;
        }
    }
    ptx_file *f = PUSH(p, m->files, m->nfiles, p->files_cap);
    f->index = index;
    f->path = path;
}

static void parse_toplevel(parser *p)
{
    if (p->tok.kind != PTX_TK_DIR) {
        if (is_punct(p, ';')) {
            advance(p);
            return;
        }
        fail(p, "expected a directive at module scope");
    }
    char w[32];
    if (p->tok.len >= sizeof(w))
        fail(p, "unknown directive");
    dir_word(p, w, sizeof(w));
    if (strcmp(w, "version") == 0) {
        parse_version(p);
    } else if (strcmp(w, "target") == 0) {
        parse_target(p);
    } else if (strcmp(w, "address_size") == 0) {
        advance(p);
        uint64_t sz = take_uint(p, "an address size", 64);
        if (sz != 32 && sz != 64)
            fail(p, "address size must be 32 or 64");
        p->m->address_size = (uint32_t)sz;
    } else if (strcmp(w, "file") == 0) {
        parse_file(p);
    } else if (strcmp(w, "section") == 0) {
        skip_section(p);
    } else if (strcmp(w, "pragma") == 0) {
        parse_pragma(p);
    } else if (strcmp(w, "loc") == 0) {
        parse_loc(p);
    } else {
        ptx_linkage linkage = PTX_LINK_STATIC;
        if (strcmp(w, "visible") == 0 || strcmp(w, "extern") == 0 || strcmp(w, "weak") == 0 ||
            strcmp(w, "common") == 0) {
            linkage = w[0] == 'v' ? PTX_LINK_VISIBLE
                      : w[0] == 'e' ? PTX_LINK_EXTERN
                      : w[0] == 'w' ? PTX_LINK_WEAK
                                    : PTX_LINK_COMMON;
            advance(p);
            if (p->tok.kind != PTX_TK_DIR || p->tok.len >= sizeof(w))
                fail(p, "expected a declaration after .%s",
                     linkage == PTX_LINK_VISIBLE ? "visible"
                     : linkage == PTX_LINK_EXTERN ? "extern"
                     : linkage == PTX_LINK_WEAK ? "weak" : "common");
            dir_word(p, w, sizeof(w));
        }
        if (strcmp(w, "entry") == 0 || strcmp(w, "func") == 0) {
            parse_function(p, linkage);
        } else if (strcmp(w, "global") == 0 || strcmp(w, "const") == 0 ||
                   strcmp(w, "shared") == 0 || strcmp(w, "local") == 0 ||
                   strcmp(w, "tex") == 0 || strcmp(w, "texref") == 0 ||
                   strcmp(w, "samplerref") == 0 || strcmp(w, "surfref") == 0 ||
                   strncmp(w, "shared::", 8) == 0) {
            parse_var_decl(p, linkage, false);
        } else {
            fail(p, "unknown directive `.%s`", w);
        }
    }
}

static void check_symbol_uses(parser *p)
{
    for (uint32_t i = 0; i < p->nuses; i++) {
        const symbol_use *u = &p->uses[i];
        int64_t v;
        if (!ptx_strmap_get(&p->modsyms, u->name, &v))
            fail_near(p, u->line, u->name, "undefined symbol `%s`", u->name);
        if (u->want_func && (v >> 32) != MSYM_FUNC)
            fail_near(p, u->line, u->name, "call of `%s`, which is not a function", u->name);
    }
}

ptx_module *ptx_parse(const char *text, size_t len, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    parser *p = calloc(1, sizeof(parser));
    ptx_arena *ar = ptx_arena_new();
    ptx_module *m = ar ? ptx_arena_alloc(ar, sizeof(ptx_module)) : NULL;
    if (!p || !m) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        free(p);
        ptx_arena_free(ar);
        return NULL;
    }
    m->arena = ar;
    m->address_size = 64;
    p->ar = ar;
    p->m = m;
    p->err = err;
    p->errlen = errlen;
    ptx_lex_init(&p->lx, text, text ? len : 0);
    ptx_module *volatile result = NULL;
    if (setjmp(p->fail_jump) == 0) {
        advance(p);
        if (p->tok.kind == PTX_TK_EOF)
            fail(p, "empty PTX text");
        while (p->tok.kind != PTX_TK_EOF)
            parse_toplevel(p);
        if (!m->version_major)
            fail_at(p, 1, 0, "missing .version directive");
        check_symbol_uses(p);
        for (uint32_t i = 0; i < m->nfuncs; i++) {
            char cfg_err[256];
            if (m->funcs[i].has_body && !ptx_build_cfg(m, &m->funcs[i], cfg_err, sizeof(cfg_err)))
                fail_near(p, m->funcs[i].line, m->funcs[i].name, "%s", cfg_err);
        }
        result = m;
    }
    ptx_strmap_clear(&p->modsyms);
    ptx_strmap_clear(&p->names);
    ptx_strmap_clear(&p->declared);
    ptx_strmap_clear(&p->label_map);
    ptx_strmap_clear(&p->proto_map);
    free(p);
    if (!result)
        ptx_arena_free(ar);
    return result;
}
