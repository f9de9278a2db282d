/* gen_c.c: C code generation for the CPU fallback: lays out a module's memory
 * (shared, local, parameters), decides per kernel between the straight thread loop and
 * the resumable state machine, and emits functions, kernels and the module descriptor.
 * Instruction emitters live in gen_c_ops.c; the design is in docs/cpu-fallback.md. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translate/gen_c_internal.h"
#include "vendors/cpu/kernel_abi.h"

extern const char cushim_gen_c_prelude_text[];

/* Largest kernel parameter buffer a straight-loop kernel copies onto its stack. */
#define CGEN_MAX_PARAM_COPY 4096u
/* Largest .local frame of a device function placed on the host stack. */
#define CGEN_MAX_FRAME (1u << 20)

/* ---- output buffer ----------------------------------------------------------------- */

static bool buf_reserve(cgen_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void cgen_buf_puts(cgen_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (!buf_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

void cgen_buf_printf(cgen_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[512];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        cgen_buf_puts(b, small);
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void buf_append(cgen_buf *dst, const cgen_buf *src)
{
    if (src->len && buf_reserve(dst, src->len)) {
        memcpy(dst->p + dst->len, src->p, src->len + 1);
        dst->len += src->len;
    }
    if (src->oom)
        dst->oom = true;
}

/* A C string literal of arbitrary text. */
static void buf_cstring(cgen_buf *b, const char *s)
{
    cgen_buf_puts(b, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            cgen_buf_printf(b, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            cgen_buf_printf(b, "\\%03o", c);
        else if (c == '?')
            cgen_buf_puts(b, "\\?"); /* no trigraphs */
        else {
            char t[2] = { (char)c, 0 };
            cgen_buf_puts(b, t);
        }
    }
    cgen_buf_puts(b, "\"");
}

/* ---- name map ------------------------------------------------------------------------ */

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

bool cgen_map_put(cgen_map *m, const char *key, int32_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 64;
        const char **keys = calloc(cap, sizeof *keys);
        int32_t *vals = calloc(cap, sizeof *vals);
        if (!keys || !vals) {
            free(keys);
            free(vals);
            return false;
        }
        for (uint32_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            uint32_t h = hash_str(m->keys[i]) & (cap - 1);
            while (keys[h])
                h = (h + 1) & (cap - 1);
            keys[h] = m->keys[i];
            vals[h] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    uint32_t h = hash_str(key) & (m->cap - 1);
    while (m->keys[h]) {
        if (strcmp(m->keys[h], key) == 0)
            return true; /* first definition wins */
        h = (h + 1) & (m->cap - 1);
    }
    m->keys[h] = key;
    m->vals[h] = val;
    m->n++;
    return true;
}

int32_t cgen_map_get(const cgen_map *m, const char *key)
{
    if (!m->cap || !key)
        return -1;
    uint32_t h = hash_str(key) & (m->cap - 1);
    while (m->keys[h]) {
        if (strcmp(m->keys[h], key) == 0)
            return m->vals[h];
        h = (h + 1) & (m->cap - 1);
    }
    return -1;
}

void cgen_map_free(cgen_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- symbols ---------------------------------------------------------------------- */

typedef enum sym_kind {
    SYM_NONE, SYM_FVAR, SYM_PARAM, SYM_RET, SYM_MVAR, SYM_FUNC
} sym_kind;

static sym_kind resolve(cgen_fn *F, const char *name, int32_t *idx)
{
    int32_t i;
    if ((i = cgen_map_get(&F->fvars, name)) >= 0) { *idx = i; return SYM_FVAR; }
    if ((i = cgen_map_get(&F->fparams, name)) >= 0) { *idx = i; return SYM_PARAM; }
    for (uint32_t k = 0; k < F->f->nrets; k++)
        if (strcmp(F->f->rets[k].name, name) == 0) { *idx = (int32_t)k; return SYM_RET; }
    if ((i = cgen_map_get(&F->g->vars, name)) >= 0) { *idx = i; return SYM_MVAR; }
    if ((i = cgen_map_get(&F->g->funcs, name)) >= 0) { *idx = i; return SYM_FUNC; }
    return SYM_NONE;
}

/* Where a symbol's bytes are, as a `char *` expression (shared: ctx->shared + offset). */
static bool symbol_ptr(cgen_fn *F, const char *name, char *out, size_t n, bool *is_shared_off,
                       char *off, size_t offn)
{
    int32_t i;
    *is_shared_off = false;
    switch (resolve(F, name, &i)) {
    case SYM_FVAR: {
        const ptx_var *v = &F->f->vars[i];
        if (v->space == PTX_SPACE_SHARED || v->space == PTX_SPACE_SHARED_CTA) {
            if (!F->kernel)
                return cgen_fail(F, ".shared variable `%s` declared in a device function", name);
            *is_shared_off = true;
            cgen_fmt(off, offn, "%uu", F->var_off[i]);
            cgen_fmt(out, n, "(cg_shared + %u)", F->var_off[i]);
            return true;
        }
        if (v->space == PTX_SPACE_LOCAL && F->kernel) {
            cgen_fmt(out, n, "(cg_local + %u)", F->var_off[i]);
            return true;
        }
        if (v->space == PTX_SPACE_LOCAL || v->space == PTX_SPACE_PARAM) {
            cgen_fmt(out, n, "((char *)cg_pv%d)", i);
            return true;
        }
        return cgen_fail(F, "function-scope .%s variable `%s`", ptx_space_name(v->space), name);
    }
    case SYM_PARAM: {
        const ptx_param *p = &F->f->params[i];
        if (F->kernel)
            cgen_fmt(out, n, "((char *)cg_params + %u)", p->offset);
        else
            cgen_fmt(out, n, "((char *)cg_P + %u)", F->g->fi[F->fidx].param_off[i]);
        return true;
    }
    case SYM_RET:
        cgen_fmt(out, n, "(cg_Rv + %u)", F->g->fi[F->fidx].ret_off[i]);
        return true;
    case SYM_MVAR: {
        const ptx_var *v = &F->g->m->vars[i];
        switch (v->space) {
        case PTX_SPACE_GLOBAL: case PTX_SPACE_CONST:
            cgen_fmt(out, n, "cg_ptr(cg_var[%d])", i);
            return true;
        case PTX_SPACE_SHARED: case PTX_SPACE_SHARED_CTA:
            *is_shared_off = true;
            if (F->kernel) {
                cgen_fmt(off, offn, "%uu", F->mod_shoff[i]);
                cgen_fmt(out, n, "(cg_shared + %u)", F->mod_shoff[i]);
            } else {
                cgen_fmt(off, offn, "tc->shoff[%d]", i);
                cgen_fmt(out, n, "(cg_shared + tc->shoff[%d])", i);
            }
            return true;
        default:
            return cgen_fail(F, "module .%s variable `%s`", ptx_space_name(v->space), name);
        }
    }
    case SYM_FUNC:
        if (!F->g->m->funcs[i].has_body || F->g->m->funcs[i].is_entry)
            return cgen_fail(F, "address of function `%s` without a body here", name);
        cgen_fmt(out, n, "((char *)(uintptr_t)&cg_f%d)", i);
        return true;
    default:
        return cgen_fail(F, "unknown symbol `%s`", name);
    }
}

bool cgen_symbol_value(cgen_fn *F, const char *sym, char *out, size_t n)
{
    char p[256], off[64];
    bool sh;
    if (F->check_only) {
        cgen_fmt(out, n, "UINT64_C(0)");
        return true;
    }
    if (!symbol_ptr(F, sym, p, sizeof p, &sh, off, sizeof off))
        return false;
    if (sh)
        cgen_fmt(out, n, "((uint64_t)%s)", off);
    else
        cgen_fmt(out, n, "((uint64_t)(uintptr_t)%s)", p);
    return true;
}

bool cgen_addr(cgen_fn *F, const ptx_operand *op, ptx_space sp, char *out, size_t n)
{
    char base[512];
    bool shared_space = sp == PTX_SPACE_SHARED || sp == PTX_SPACE_SHARED_CTA;
    if (op->kind != PTX_OPND_ADDR)
        return cgen_fail(F, "expected an address");
    if (F->check_only) {
        cgen_fmt(out, n, "cg_ptr(0)");
        return true;
    }
    if (op->symbol) {
        char off[64];
        bool sh;
        if (!symbol_ptr(F, op->symbol, base, sizeof base, &sh, off, sizeof off))
            return false;
    } else if (op->reg >= 0) {
        char r[400];
        ptx_operand tmp = *op;
        tmp.kind = PTX_OPND_REG;
        tmp.negated = false;
        const ptx_reg *reg = (uint32_t)op->reg < F->f->nregs ? &F->f->regs[op->reg] : NULL;
        ptx_type t = reg && ptx_type_size(reg->type) == 4 ? PTX_U32 : PTX_U64;
        if (!cgen_read(F, &tmp, t, r, sizeof r))
            return false;
        if (shared_space)
            cgen_fmt(base, sizeof base, "(cg_shared + (size_t)%s)", r);
        else
            cgen_fmt(base, sizeof base, "cg_ptr(%s)", r);
    } else {
        if (shared_space)
            cgen_fmt(base, sizeof base, "cg_shared");
        else
            cgen_fmt(base, sizeof base, "cg_ptr(0)");
    }
    if (op->offset)
        cgen_fmt(out, n, "(%s + (%" PRId64 "))", base, op->offset);
    else
        cgen_fmt(out, n, "%s", base);
    return true;
}

/* ---- cgen_supports ------------------------------------------------------------------- */

bool cgen_supports(const ptx_instr *ins, char *why, size_t whylen)
{
    cgen_buf scratch = { 0 };
    cgen_fn F;
    memset(&F, 0, sizeof F);
    F.check_only = true;
    F.kernel = true;
    F.state_machine = true;
    F.b = &scratch;
    bool ok = true;
    if (ins->opcode && strcmp(ins->opcode, "call") == 0 && ins->nops >= 2 &&
        ins->ops[1].kind == PTX_OPND_SYMBOL && ins->ops[1].symbol) {
        const char *c = ins->ops[1].symbol;
        /* the device runtime (dynamic parallelism, graphs) has no CPU implementation */
        if (strncmp(c, "__cudaCDP", 9) == 0 || strncmp(c, "cuda", 4) == 0) {
            cgen_fail_external(&F, c);
            ok = false;
        }
    }
    if (ok)
        ok = cgen_emit_instr(&F, ins);
    if (!ok && why && whylen)
        cgen_fmt(why, whylen, "%s", F.why ? F.why : "not supported");
    free(scratch.p);
    return ok;
}

/* ---- module analysis ----------------------------------------------------------------- */

typedef struct gen_state {
    cgen_gen g;
    cgen_buf out;
    char *err;
    size_t errlen;
    uint32_t **mvars_used; /* per function: module var indices referenced, ~0u-terminated */
    bool *reach;           /* scratch: reachable functions */
} gen_state;

static void note_symbol(gen_state *S, uint32_t fi, const char *name, uint32_t **list, uint32_t *n,
                        uint32_t *cap, bool callee)
{
    int32_t v = cgen_map_get(&S->g.vars, name);
    const ptx_function *f = &S->g.m->funcs[fi];
    /* function-scope names shadow module ones (the parser renames clashes, but be safe) */
    for (uint32_t k = 0; k < f->nvars; k++)
        if (strcmp(f->vars[k].name, name) == 0)
            return;
    if (v >= 0) {
        if (*n + 1 >= *cap) {
            uint32_t nc = *cap ? *cap * 2 : 16;
            uint32_t *p = realloc(*list, nc * sizeof **list);
            if (!p)
                return;
            *list = p;
            *cap = nc;
        }
        (*list)[(*n)++] = (uint32_t)v;
        return;
    }
    int32_t fn = cgen_map_get(&S->g.funcs, name);
    if (fn >= 0 && !callee) {
        S->g.fi[fn].addr_taken = true;
        S->g.fi[fi].takes_fn_addr = true;
    }
}

static void scan_operand(gen_state *S, uint32_t fi, const ptx_operand *op, uint32_t **list,
                         uint32_t *n, uint32_t *cap)
{
    if ((op->kind == PTX_OPND_SYMBOL || op->kind == PTX_OPND_ADDR) && op->symbol)
        note_symbol(S, fi, op->symbol, list, n, cap, false);
    if (op->kind == PTX_OPND_VEC || op->kind == PTX_OPND_LIST || op->kind == PTX_OPND_BRACKET)
        for (uint32_t i = 0; i < op->nelems; i++)
            scan_operand(S, fi, &op->elems[i], list, n, cap);
}

static bool analyse(gen_state *S)
{
    const ptx_module *m = S->g.m;
    S->mvars_used = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *S->mvars_used);
    S->reach = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *S->reach);
    if (!S->mvars_used || !S->reach)
        return false;
    for (uint32_t fi = 0; fi < m->nfuncs; fi++) {
        const ptx_function *f = &m->funcs[fi];
        cgen_finfo *I = &S->g.fi[fi];
        uint32_t *list = NULL, n = 0, cap = 0, ccap = 0;
        /* our own .func parameter layout: natural alignment, in order */
        I->param_off = calloc(f->nparams ? f->nparams : 1, sizeof(uint32_t));
        I->ret_off = calloc(f->nrets ? f->nrets : 1, sizeof(uint32_t));
        if (!I->param_off || !I->ret_off)
            return false;
        uint32_t off = 0;
        for (uint32_t i = 0; i < f->nparams; i++) {
            uint32_t al = f->params[i].align ? f->params[i].align : 1;
            off = (off + al - 1) / al * al;
            I->param_off[i] = off;
            off += f->params[i].size;
        }
        I->param_bytes = off;
        off = 0;
        for (uint32_t i = 0; i < f->nrets; i++) {
            uint32_t al = f->rets[i].align ? f->rets[i].align : 1;
            off = (off + al - 1) / al * al;
            I->ret_off[i] = off;
            off += f->rets[i].size;
        }
        I->ret_bytes = off;
        for (uint32_t k = 0; k < f->ninstrs; k++) {
            const ptx_instr *ins = &f->instrs[k];
            if (!ins->opcode)
                continue;
            if (!I->collective && cgen_is_collective(ins))
                I->collective = ins;
            if (strcmp(ins->opcode, "call") == 0 && ins->nops >= 2) {
                I->has_call = true;
                if (ins->ops[1].kind == PTX_OPND_SYMBOL) {
                    int32_t c = cgen_map_get(&S->g.funcs, ins->ops[1].symbol);
                    if (c >= 0) {
                        if (I->ncallees + 1 >= ccap) {
                            ccap = ccap ? ccap * 2 : 8;
                            uint32_t *p = realloc(I->callees, ccap * sizeof *p);
                            if (!p)
                                return false;
                            I->callees = p;
                        }
                        I->callees[I->ncallees++] = (uint32_t)c;
                    }
                } else {
                    I->indirect = true;
                }
                for (uint32_t o = 0; o < ins->nops; o++)
                    if (o != 1 && o != 3)
                        scan_operand(S, fi, &ins->ops[o], &list, &n, &cap);
                continue;
            }
            for (uint32_t o = 0; o < ins->nops; o++)
                scan_operand(S, fi, &ins->ops[o], &list, &n, &cap);
        }
        uint32_t *p = realloc(list, (n + 1) * sizeof *p);
        if (!p) {
            free(list);
            return false;
        }
        p[n] = UINT32_MAX;
        S->mvars_used[fi] = p;
    }
    return true;
}

static void mark_reach(gen_state *S, uint32_t fi)
{
    if (S->reach[fi])
        return;
    S->reach[fi] = true;
    const cgen_finfo *I = &S->g.fi[fi];
    for (uint32_t i = 0; i < I->ncallees; i++)
        mark_reach(S, I->callees[i]);
    if (I->indirect)
        for (uint32_t k = 0; k < S->g.m->nfuncs; k++)
            if (S->g.fi[k].addr_taken && !S->g.m->funcs[k].is_entry)
                mark_reach(S, k);
}

/* ---- function emission ---------------------------------------------------------------- */

static bool setup_fn(cgen_fn *F, gen_state *S, uint32_t fi, cgen_buf *b)
{
    memset(F, 0, sizeof *F);
    F->g = &S->g;
    F->f = &S->g.m->funcs[fi];
    F->fidx = fi;
    F->b = b;
    F->kernel = F->f->is_entry;
    for (uint32_t i = 0; i < F->f->nvars; i++)
        if (!cgen_map_put(&F->fvars, F->f->vars[i].name, (int32_t)i))
            return false;
    for (uint32_t i = 0; i < F->f->nparams; i++)
        if (!cgen_map_put(&F->fparams, F->f->params[i].name, (int32_t)i))
            return false;
    F->var_off = calloc(F->f->nvars ? F->f->nvars : 1, sizeof(uint32_t));
    return F->var_off != NULL;
}

static void free_fn(cgen_fn *F)
{
    cgen_live_free(F->live, F->f ? F->f->ninstrs : 0);
    free(F->site_instr);
    cgen_map_free(&F->fvars);
    cgen_map_free(&F->fparams);
    free(F->var_off);
}

static void emit_reg_decls(cgen_fn *F, const char *indent, bool init)
{
    const ptx_function *f = F->f;
    for (uint32_t i = 0; i < f->nregs; i++) {
        cgen_ctype c = cgen_ctype_of(f->regs[i].type);
        if (c == CT_BAD)
            continue; /* any use fails with a message */
        if (f->regs[i].vec > 1)
            cgen_buf_printf(F->b, "%s%s R%u[%u]%s;\n", indent, cgen_ctype_name(c), i, f->regs[i].vec,
                            init ? " = {0}" : "");
        else
            cgen_buf_printf(F->b, "%s%s R%u%s;\n", indent, cgen_ctype_name(c), i, init ? " = 0" : "");
    }
}

void cgen_emit_live_copy(cgen_fn *F, uint32_t instr, bool save)
{
    const ptx_function *f = F->f;
    const uint64_t *set = F->live && instr < f->ninstrs ? F->live[instr] : NULL;
    for (uint32_t w = 0; w < (f->nregs + 63) / 64; w++) {
        uint64_t bits = set ? set[w] : ~UINT64_C(0);
        for (uint32_t i = w * 64; bits && i < f->nregs && i < w * 64 + 64; i++, bits >>= 1) {
            if (!(bits & 1) || cgen_ctype_of(f->regs[i].type) == CT_BAD)
                continue;
            if (f->regs[i].vec > 1)
                cgen_buf_printf(F->b, save ? "memcpy(cg_st->R%u, R%u, sizeof R%u); "
                                           : "memcpy(R%u, cg_st->R%u, sizeof R%u); ", i, i, i);
            else
                cgen_buf_printf(F->b, save ? "cg_st->R%u = R%u; " : "R%u = cg_st->R%u; ", i, i);
        }
    }
    cgen_buf_puts(F->b, save ? "cg_st->cg_cc = cg_cc; " : "cg_cc = cg_st->cg_cc; ");
}

/* The registers of a thread's state slice: only those live at some barrier or
 * collective, widest first. A small slice keeps the threads of a block in cache. */
static void emit_state_decls(cgen_fn *F)
{
    const ptx_function *f = F->f;
    uint64_t *any = calloc(F->live_words ? F->live_words : 1, sizeof *any);
    if (!any) {
        F->b->oom = true;
        return;
    }
    for (uint32_t i = 0; F->live && i < f->ninstrs; i++)
        if (F->live[i])
            for (uint32_t w = 0; w < F->live_words; w++)
                any[w] |= F->live[i][w];
    for (int pass = 0; pass < 3; pass++) {
        for (uint32_t i = 0; i < f->nregs; i++) {
            if (!((any[i >> 6] >> (i & 63)) & 1))
                continue;
            cgen_ctype c = cgen_ctype_of(f->regs[i].type);
            if (c == CT_BAD)
                continue;
            int size_class = c == CT_U64 || c == CT_F64 ? 0 : c == CT_U32 || c == CT_F32 ? 1 : 2;
            if (size_class != pass)
                continue;
            if (f->regs[i].vec > 1)
                cgen_buf_printf(F->b, "%s R%u[%u];\n", cgen_ctype_name(c), i, f->regs[i].vec);
            else
                cgen_buf_printf(F->b, "%s R%u;\n", cgen_ctype_name(c), i);
        }
    }
    free(any);
}

/* C arrays for function-scope .param (call sites) and, in device functions, .local. */
static bool emit_var_arrays(cgen_fn *F)
{
    for (uint32_t i = 0; i < F->f->nvars; i++) {
        const ptx_var *v = &F->f->vars[i];
        if (v->space == PTX_SPACE_PARAM || (v->space == PTX_SPACE_LOCAL && !F->kernel)) {
            if (v->size > CGEN_MAX_FRAME)
                return cgen_fail(F, ".%s variable `%s` of %" PRIu64 " bytes", ptx_space_name(v->space),
                                 v->name, v->size);
            cgen_buf_printf(F->b, "_Alignas(16) unsigned char cg_pv%u[%" PRIu64 "];\n", i,
                            v->size ? v->size : 1);
        }
    }
    return true;
}

/* Labels, guards and instructions. On failure `*bad` names the instruction. */
static bool emit_body(cgen_fn *F, const ptx_instr **bad)
{
    const ptx_function *f = F->f;
    uint32_t *first = calloc(f->ninstrs + 2, sizeof(uint32_t));
    uint32_t *order = calloc(f->nlabels ? f->nlabels : 1, sizeof(uint32_t));
    bool ok = true;
    if (!first || !order) {
        free(first);
        free(order);
        *bad = NULL;
        cgen_fail(F, "out of memory");
        return false;
    }
    /* counting sort of labels by position */
    for (uint32_t l = 0; l < f->nlabels; l++) {
        uint32_t at = f->labels[l].instr <= f->ninstrs ? f->labels[l].instr : f->ninstrs;
        first[at + 1]++;
    }
    for (uint32_t i = 1; i <= f->ninstrs + 1; i++)
        first[i] += first[i - 1];
    {
        uint32_t *fill = calloc(f->ninstrs + 1, sizeof(uint32_t));
        if (!fill) {
            free(first);
            free(order);
            return cgen_fail(F, "out of memory");
        }
        for (uint32_t l = 0; l < f->nlabels; l++) {
            uint32_t at = f->labels[l].instr <= f->ninstrs ? f->labels[l].instr : f->ninstrs;
            order[first[at] + fill[at]++] = l;
        }
        free(fill);
    }
    for (uint32_t i = 0; i <= f->ninstrs && ok; i++) {
        for (uint32_t k = first[i]; k < first[i + 1]; k++)
            cgen_buf_printf(F->b, "L%u:;\n", order[k]);
        if (i == f->ninstrs)
            break;
        const ptx_instr *ins = &f->instrs[i];
        bool guarded = ins->guard_reg >= 0;
        F->cur_instr = i;
        if (guarded) {
            if ((uint32_t)ins->guard_reg >= f->nregs) {
                *bad = ins;
                ok = cgen_fail(F, "bad guard register");
                break;
            }
            cgen_buf_printf(F->b, "if (%sR%d) {\n", ins->guard_negated ? "!" : "", ins->guard_reg);
        }
        if (!cgen_emit_instr(F, ins)) {
            *bad = ins;
            ok = false;
            break;
        }
        if (guarded)
            cgen_buf_puts(F->b, "}\n");
    }
    free(first);
    free(order);
    return ok;
}

/* why, when given, follows after a colon: the emitter's reason (e.g. which feature). */
static void unsupported_msg(gen_state *S, const ptx_function *k, const ptx_instr *ins,
                            const char *extra, const char *why, char *out, size_t n)
{
    char loc[256];
    ptx_instr_location(S->g.m, ins, loc, sizeof loc);
    cgen_fmt(out, n, "kernel %s: PTX instruction `%s` (%s) %sis not supported on the cpu backend%s%s",
             k->name, ins->text ? ins->text : ins->opcode, loc, extra ? extra : "",
             why && *why ? ": " : "", why && *why ? why : "");
}

/* A device function: `static void cg_fN(cg_tc *tc, const char *cg_P, char *cg_Rv)`. */
static void emit_func(gen_state *S, uint32_t fi)
{
    cgen_finfo *I = &S->g.fi[fi];
    cgen_buf b = { 0 };
    cgen_fn F;
    const ptx_instr *bad = NULL;
    if (!setup_fn(&F, S, fi, &b)) {
        I->bad_ins = NULL;
        cgen_fmt(I->bad_why, sizeof I->bad_why, "out of memory");
        return;
    }
    const ptx_function *f = F.f;
    bool ok = true;
    for (uint32_t i = 0; i < f->nparams && ok; i++)
        if (f->params[i].is_reg)
            ok = cgen_fail(&F, ".reg parameter `%s`", f->params[i].name);
    for (uint32_t i = 0; i < f->nrets && ok; i++)
        if (f->rets[i].is_reg)
            ok = cgen_fail(&F, ".reg return value `%s`", f->rets[i].name);
    if (!ok && f->ninstrs)
        bad = &f->instrs[0];
    if (ok) {
        cgen_buf_printf(&b, "static void cg_f%u(cg_tc *tc, const char *cg_P, char *cg_Rv) {\n", fi);
        cgen_buf_puts(&b, "struct cushim_block_ctx *ctx = tc->ctx; char *cg_shared = ctx->shared;\n"
                          CGEN_SREG_LOCALS
                          "const uint32_t cg_t = tc->t, cg_tid0 = tc->tid[0], cg_tid1 = tc->tid[1], cg_tid2 = tc->tid[2];\n"
                          "uint32_t cg_cc = 0;\n"
                          "(void)cg_P; (void)cg_Rv; (void)cg_shared; (void)cg_t; (void)cg_cc;\n");
        ok = emit_var_arrays(&F);
        if (ok) {
            emit_reg_decls(&F, "", true);
            ok = emit_body(&F, &bad);
        }
        cgen_buf_puts(&b, "cg_exit:;\n}\n");
    }
    if (ok) {
        buf_append(&S->out, &b);
    } else {
        I->bad_ins = bad ? bad : (f->ninstrs ? &f->instrs[0] : NULL);
        cgen_fmt(I->bad_why, sizeof I->bad_why, "%s", F.why ? F.why : "not supported");
        cgen_buf_printf(&S->out,
                        "static void cg_f%u(cg_tc *tc, const char *cg_P, char *cg_Rv) {\n"
                        "(void)cg_P; (void)cg_Rv; tc->exited = 1;\n"
                        "tc->ctx->rt->fault(tc->ctx, CG_ERR_LAUNCH_FAILURE, ", fi);
        char msg[600];
        char loc[256];
        ptx_instr_location(S->g.m, I->bad_ins, loc, sizeof loc);
        cgen_fmt(msg, sizeof msg, "device function %s: PTX instruction `%s` (%s) is not supported on the cpu backend",
                 f->name, I->bad_ins && I->bad_ins->text ? I->bad_ins->text : "?", loc);
        buf_cstring(&S->out, msg);
        cgen_buf_puts(&S->out, ");\n}\n");
    }
    free(b.p);
    free_fn(&F);
}

typedef struct kernel_out {
    char *unsupported;    /* malloc'ed, or NULL */
    bool ok;
    bool state_machine;
    uint32_t local_bytes, shared_bytes;
} kernel_out;

/* Shared-memory layout of one kernel: module variables it (and its callees) use, its
 * own .shared variables, then every .extern .shared array at one aligned offset. */
static uint32_t *layout_shared(gen_state *S, uint32_t ki, cgen_fn *F, uint32_t *static_bytes)
{
    const ptx_module *m = S->g.m;
    uint32_t *off = malloc((m->nvars ? m->nvars : 1) * sizeof *off);
    bool *used = calloc(m->nvars ? m->nvars : 1, sizeof *used);
    if (!off || !used) {
        free(off);
        free(used);
        return NULL;
    }
    for (uint32_t i = 0; i < m->nvars; i++)
        off[i] = UINT32_MAX;
    memset(S->reach, 0, m->nfuncs * sizeof *S->reach);
    mark_reach(S, ki);
    for (uint32_t fi = 0; fi < m->nfuncs; fi++)
        if (S->reach[fi])
            for (uint32_t *p = S->mvars_used[fi]; *p != UINT32_MAX; p++)
                used[*p] = true;
    uint64_t end = 0;
    for (uint32_t i = 0; i < m->nvars; i++) {
        const ptx_var *v = &m->vars[i];
        if (!used[i] || (v->space != PTX_SPACE_SHARED && v->space != PTX_SPACE_SHARED_CTA) || v->unsized)
            continue;
        uint64_t al = v->align ? v->align : 1;
        end = (end + al - 1) / al * al;
        off[i] = (uint32_t)end;
        end += v->size;
    }
    const ptx_function *k = &m->funcs[ki];
    for (uint32_t i = 0; i < k->nvars; i++) {
        const ptx_var *v = &k->vars[i];
        if (v->space != PTX_SPACE_SHARED && v->space != PTX_SPACE_SHARED_CTA)
            continue;
        if (v->unsized)
            continue;
        uint64_t al = v->align ? v->align : 1;
        end = (end + al - 1) / al * al;
        F->var_off[i] = (uint32_t)end;
        end += v->size;
    }
    end = (end + 15) / 16 * 16;
    for (uint32_t i = 0; i < m->nvars; i++)
        if (used[i] && m->vars[i].unsized &&
            (m->vars[i].space == PTX_SPACE_SHARED || m->vars[i].space == PTX_SPACE_SHARED_CTA))
            off[i] = (uint32_t)end;
    for (uint32_t i = 0; i < k->nvars; i++)
        if (k->vars[i].unsized &&
            (k->vars[i].space == PTX_SPACE_SHARED || k->vars[i].space == PTX_SPACE_SHARED_CTA))
            F->var_off[i] = (uint32_t)end;
    free(used);
    if (end > UINT32_MAX / 2) {
        free(off);
        return NULL;
    }
    *static_bytes = (uint32_t)end;
    return off;
}

static void emit_kernel(gen_state *S, uint32_t ki, kernel_out *K)
{
    const ptx_module *m = S->g.m;
    const ptx_function *k = &m->funcs[ki];
    cgen_buf b = { 0 };
    cgen_fn F;
    char msg[900];
    memset(K, 0, sizeof *K);
    if (!setup_fn(&F, S, ki, &b)) {
        K->unsupported = strdup("kernel: out of memory while generating code");
        return;
    }
    uint32_t *shoff = layout_shared(S, ki, &F, &K->shared_bytes);
    if (!shoff) {
        cgen_fmt(msg, sizeof msg, "kernel %s: shared memory layout too large", k->name);
        K->unsupported = strdup(msg);
        free_fn(&F);
        return;
    }
    F.mod_shoff = shoff;
    /* reachable device functions must be supported and free of collectives */
    for (uint32_t fi = 0; fi < m->nfuncs && !K->unsupported; fi++) {
        if (!S->reach[fi] || fi == ki)
            continue;
        const cgen_finfo *I = &S->g.fi[fi];
        if (m->funcs[fi].is_entry) {
            cgen_fmt(msg, sizeof msg, "kernel %s: calls kernel %s as a function", k->name, m->funcs[fi].name);
            K->unsupported = strdup(msg);
        } else if (!m->funcs[fi].has_body) {
            continue; /* runtime services; checked at the call */
        } else if (I->collective) {
            char extra[300];
            cgen_fmt(extra, sizeof extra, "in device function %s (a called function with barriers or warp collectives) ",
                     m->funcs[fi].name);
            unsupported_msg(S, k, I->collective, extra, NULL, msg, sizeof msg);
            K->unsupported = strdup(msg);
        } else if (I->bad_ins) {
            unsupported_msg(S, k, I->bad_ins, NULL, I->bad_why, msg, sizeof msg);
            K->unsupported = strdup(msg);
        }
    }
    /* kernel .local layout */
    uint64_t lend = 0;
    for (uint32_t i = 0; i < k->nvars; i++) {
        const ptx_var *v = &k->vars[i];
        if (v->space != PTX_SPACE_LOCAL)
            continue;
        uint64_t al = v->align ? (v->align > 16 ? 16 : v->align) : 1;
        lend = (lend + al - 1) / al * al;
        F.var_off[i] = (uint32_t)lend;
        lend += v->size;
    }
    lend = (lend + 15) / 16 * 16;
    if (lend > (1u << 24) && !K->unsupported) {
        cgen_fmt(msg, sizeof msg, "kernel %s: %" PRIu64 " bytes of local memory per thread", k->name, lend);
        K->unsupported = strdup(msg);
    }
    K->local_bytes = (uint32_t)lend;
    F.state_machine = S->g.fi[ki].collective != NULL;
    K->state_machine = F.state_machine;
    bool calls = S->g.fi[ki].has_call;
    const ptx_instr *bad = NULL;
    bool ok = !K->unsupported;
    const char *kn = "cg_k"; /* identifiers by index: PTX names never reach C syntax */

    if (ok && m->nvars) {
        cgen_buf_printf(&b, "static const uint32_t %s%u_shoff[%u] = {", kn, ki, m->nvars);
        for (uint32_t i = 0; i < m->nvars; i++)
            cgen_buf_printf(&b, "%s%u", i ? "," : "", shoff[i] == UINT32_MAX ? 0u : shoff[i]);
        cgen_buf_puts(&b, "};\n");
    }
    if (ok && F.state_machine) {
        F.live = cgen_live_at_collectives(k, &F.live_words);
        if (!F.live)
            b.oom = true;
        cgen_buf_printf(&b, "struct cg_k%u_st { cg_thr h;\n", ki);
        emit_state_decls(&F);
        cgen_buf_puts(&b, "uint32_t cg_cc; };\n");
        cgen_buf_printf(&b, "static void cg_k%u_body(struct cushim_block_ctx *ctx, cg_thr *cg_h, uint32_t cg_t) {\n"
                            "struct cg_k%u_st *cg_st = (struct cg_k%u_st *)cg_h;\n"
                            "const char *cg_params = (const char *)ctx->params; char *cg_shared = ctx->shared;\n"
                            CGEN_SREG_LOCALS
                            "const uint32_t cg_tid0 = cg_h->tid[0], cg_tid1 = cg_h->tid[1], cg_tid2 = cg_h->tid[2];\n"
                            "char *cg_local = ctx->local_mem + (size_t)cg_t * %u;\n"
                            "uint32_t cg_cc = 0;\n"
                            "(void)cg_params; (void)cg_shared; (void)cg_local; (void)cg_cc;\n",
                        ki, ki, ki, K->local_bytes);
    } else if (ok) {
        /* A private copy of the parameters: stores through device pointers cannot alias
         * it, so the compiler keeps parameter values in registers across the thread loop
         * (and can vectorise it) instead of reloading them for every thread. */
        uint32_t pbytes = k->param_bytes;
        if (pbytes && pbytes <= CGEN_MAX_PARAM_COPY)
            cgen_buf_printf(&b, "static void cg_k%u(struct cushim_block_ctx *ctx) {\n"
                                "_Alignas(16) char cg_pcopy[%u]; memcpy(cg_pcopy, ctx->params, %u);\n",
                            ki, pbytes, pbytes);
        else
            cgen_buf_printf(&b, "static void cg_k%u(struct cushim_block_ctx *ctx) {\n"
                                "const char *cg_pcopy = (const char *)ctx->params;\n", ki);
        cgen_buf_printf(&b, "const char *cg_params = cg_pcopy; char *cg_shared = ctx->shared;\n"
                            CGEN_SREG_LOCALS
                            "const uint32_t cg_ntx = ctx->ntid[0], cg_nty = ctx->ntid[1], cg_ntz = ctx->ntid[2];\n"
                            "uint32_t cg_tid0, cg_tid1, cg_tid2, cg_t;\n"
                            "(void)cg_params; (void)cg_shared;\n"
                            /* x innermost as a plain induction variable: the thread
                             * loop the compiler sees is a counted loop over tid.x */
                            "for (cg_tid2 = 0; cg_tid2 < cg_ntz; cg_tid2++)\n"
                            "for (cg_tid1 = 0; cg_tid1 < cg_nty; cg_tid1++)\n"
                            "for (cg_tid0 = 0; cg_tid0 < cg_ntx; cg_tid0++) {\n"
                            "cg_t = (cg_tid2 * cg_nty + cg_tid1) * cg_ntx + cg_tid0;\n"
                            "char *cg_local = ctx->local_mem + (size_t)cg_t * %u;\n"
                            "uint32_t cg_cc = 0;\n"
                            "(void)cg_local; (void)cg_cc;\n",
                        K->local_bytes);
    }
    if (ok) {
        if (calls) {
            if (m->nvars)
                cgen_buf_printf(&b, "cg_tc cg_tcs = { ctx, cg_t, { cg_tid0, cg_tid1, cg_tid2 }, cg_k%u_shoff, ", ki);
            else
                cgen_buf_puts(&b, "cg_tc cg_tcs = { ctx, cg_t, { cg_tid0, cg_tid1, cg_tid2 }, 0, ");
            buf_cstring(&b, k->name);
            cgen_buf_puts(&b, ", 0 }; cg_tc *tc = &cg_tcs;\n");
        }
        ok = emit_var_arrays(&F);
        if (ok) {
            emit_reg_decls(&F, "", true);
            if (F.state_machine) {
                /* the switch is emitted after the body, once the sites are known */
                cgen_buf_puts(&b, "if (cg_h->site) goto cg_resume;\n");
            }
            ok = emit_body(&F, &bad);
        }
    }
    if (ok) {
        if (F.state_machine) {
            cgen_buf_puts(&b, "cg_exit: cg_h->status = CG_S_EXIT; return;\ncg_resume:\nswitch (cg_h->site) {\n");
            for (uint32_t s = 1; s <= F.nsites; s++) {
                cgen_buf_printf(&b, "case %u: ", s);
                if (s < F.site_cap)
                    cgen_emit_live_copy(&F, F.site_instr[s], false);
                cgen_buf_printf(&b, "goto cg_s%u;\n", s);
            }
            cgen_buf_puts(&b, "default: cg_h->status = CG_S_EXIT; return;\n}\n}\n");
            cgen_buf_printf(&b, "static void cg_k%u(struct cushim_block_ctx *ctx) {\n"
                                "cg_run_block(ctx, sizeof(struct cg_k%u_st), cg_k%u_body, ", ki, ki, ki);
            cgen_fmt(msg, sizeof msg, "kernel %s: threads wait at barriers or warp collectives that can never complete "
                     "(deadlock: a barrier in divergent code, or a warp collective whose member mask names lanes "
                     "that do not arrive)", k->name);
            buf_cstring(&b, msg);
            cgen_buf_puts(&b, ");\n}\n");
        } else {
            cgen_buf_puts(&b, "cg_exit:;\n}\n}\n");
        }
    } else if (!K->unsupported) {
        if (bad) {
            unsupported_msg(S, k, bad, NULL, F.why, msg, sizeof msg);
        } else {
            cgen_fmt(msg, sizeof msg, "kernel %s: %s is not supported on the cpu backend", k->name,
                     F.why ? F.why : "its code");
        }
        K->unsupported = strdup(msg);
    }
    if (ok && !b.oom) {
        buf_append(&S->out, &b);
        K->ok = true;
    }
    free(shoff);
    free(b.p);
    free_fn(&F);
}

/* ---- module ------------------------------------------------------------------------ */

static void free_state(gen_state *S)
{
    const ptx_module *m = S->g.m;
    if (S->g.fi) {
        for (uint32_t i = 0; i < m->nfuncs; i++) {
            free(S->g.fi[i].callees);
            free(S->g.fi[i].param_off);
            free(S->g.fi[i].ret_off);
        }
    }
    if (S->mvars_used)
        for (uint32_t i = 0; i < m->nfuncs; i++)
            free(S->mvars_used[i]);
    free(S->mvars_used);
    free(S->reach);
    free(S->g.fi);
    cgen_map_free(&S->g.vars);
    cgen_map_free(&S->g.funcs);
}

/* Which functions the C file for kernel `only` needs: those it reaches by calls and,
 * once any of them takes a function's address or calls indirectly, every function whose
 * address is taken (and what those reach), since indirect calls compare against them. */
static bool *needed_functions(gen_state *S, uint32_t only)
{
    const ptx_module *m = S->g.m;
    bool *need = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *need);
    if (!need)
        return NULL;
    memset(S->reach, 0, m->nfuncs * sizeof *S->reach);
    mark_reach(S, only);
    bool addresses = false;
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (S->reach[i] && (S->g.fi[i].takes_fn_addr || S->g.fi[i].indirect))
            addresses = true;
    if (addresses)
        for (uint32_t i = 0; i < m->nfuncs; i++)
            if (S->g.fi[i].addr_taken && !m->funcs[i].is_entry)
                mark_reach(S, i);
    memcpy(need, S->reach, m->nfuncs * sizeof *need);
    return need;
}

/* The module's C: every kernel when `only` is negative, else kernel `only` alone. */
static char *generate(const ptx_module *m, const cgen_options *opt, int64_t only, char *err,
                      size_t errlen)
{
    static const cgen_options defaults = { false, false };
    gen_state S;
    memset(&S, 0, sizeof S);
    if (!m) {
        cgen_fmt(err, errlen, "no module");
        return NULL;
    }
    S.g.m = m;
    S.g.opt = opt ? opt : &defaults;
    S.err = err;
    S.errlen = errlen;
    S.g.fi = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *S.g.fi);
    if (!S.g.fi)
        goto oom;
    for (uint32_t i = 0; i < m->nvars; i++)
        if (!cgen_map_put(&S.g.vars, m->vars[i].name, (int32_t)i))
            goto oom;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        /* a body wins over a declaration of the same name */
        int32_t prev = cgen_map_get(&S.g.funcs, m->funcs[i].name);
        if (prev >= 0 && !m->funcs[prev].has_body && m->funcs[i].has_body) {
            for (uint32_t h = 0; h < S.g.funcs.cap; h++)
                if (S.g.funcs.keys[h] && strcmp(S.g.funcs.keys[h], m->funcs[i].name) == 0)
                    S.g.funcs.vals[h] = (int32_t)i;
        } else if (!cgen_map_put(&S.g.funcs, m->funcs[i].name, (int32_t)i)) {
            goto oom;
        }
    }
    if (!analyse(&S))
        goto oom;
    bool *need = NULL;
    if (only >= 0 && !(need = needed_functions(&S, (uint32_t)only)))
        goto oom;
#define WANTED(i) (!need || need[i])

    cgen_buf_puts(&S.out, cushim_kernel_abi_text);
    cgen_buf_puts(&S.out, cushim_gen_c_prelude_text);
    cgen_buf_printf(&S.out, "static uint64_t cg_var[%u];\n", m->nvars ? m->nvars : 1);
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (!m->funcs[i].is_entry && m->funcs[i].has_body && WANTED(i))
            cgen_buf_printf(&S.out, "static void cg_f%u(cg_tc *tc, const char *cg_P, char *cg_Rv);\n", i);
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (!m->funcs[i].is_entry && m->funcs[i].has_body && WANTED(i))
            emit_func(&S, i);

    uint32_t nk = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->funcs[i].is_entry && m->funcs[i].has_body && (only < 0 || i == only))
            nk++;
    kernel_out *ks = calloc(nk ? nk : 1, sizeof *ks);
    uint32_t *kidx = calloc(nk ? nk : 1, sizeof *kidx);
    if (!ks || !kidx) {
        free(ks);
        free(kidx);
        free(need);
        goto oom;
    }
    nk = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        if (!m->funcs[i].is_entry || !m->funcs[i].has_body || (only >= 0 && i != only))
            continue;
        kidx[nk] = i;
        emit_kernel(&S, i, &ks[nk]);
        nk++;
    }

    cgen_buf_printf(&S.out, "static const struct cushim_kernel_desc cg_kernels[%u] = {\n", nk ? nk : 1);
    for (uint32_t j = 0; j < nk; j++) {
        const ptx_function *k = &m->funcs[kidx[j]];
        uint32_t maxt = 0;
        const uint32_t *d = k->reqntid[0] ? k->reqntid : k->maxntid;
        if (d[0])
            maxt = d[0] * (d[1] ? d[1] : 1) * (d[2] ? d[2] : 1);
        cgen_buf_puts(&S.out, "{ ");
        buf_cstring(&S.out, k->name);
        if (ks[j].ok) {
            cgen_buf_printf(&S.out, ", cg_k%u, ", kidx[j]);
            if (ks[j].state_machine)
                cgen_buf_printf(&S.out, "sizeof(struct cg_k%u_st)", kidx[j]);
            else
                cgen_buf_puts(&S.out, "0");
            cgen_buf_printf(&S.out, ", %u, %u, %u, %u, 0 },\n", ks[j].local_bytes, ks[j].shared_bytes,
                            k->nregs, maxt);
        } else {
            cgen_buf_printf(&S.out, ", 0, 0, 0, 0, %u, %u, ", k->nregs, maxt);
            buf_cstring(&S.out, ks[j].unsupported ? ks[j].unsupported : "not supported");
            cgen_buf_puts(&S.out, " },\n");
        }
        free(ks[j].unsupported);
    }
    if (!nk)
        cgen_buf_puts(&S.out, "{ 0, 0, 0, 0, 0, 0, 0, 0 }\n");
    free(ks);
    free(kidx);
    free(need);
#undef WANTED
    cgen_buf_printf(&S.out,
                    "};\n"
                    "static void cg_bind(const uint64_t *a) { uint32_t i; for (i = 0; i < %u; i++) cg_var[i] = a[i]; }\n"
                    "static const struct cushim_module_desc cg_module = { CUSHIM_KABI_VERSION, %u, cg_kernels, %u, cg_bind };\n"
                    "CG_EXPORT const struct cushim_module_desc *%s(void);\n"
                    "CG_EXPORT const struct cushim_module_desc *%s(void) { return &cg_module; }\n",
                    m->nvars, nk, m->nvars, CUSHIM_KABI_ENTRY, CUSHIM_KABI_ENTRY);
    if (S.out.oom)
        goto oom;
    free_state(&S);
    return S.out.p;
oom:
    free_state(&S);
    free(S.out.p);
    cgen_fmt(err, errlen, "out of memory while generating C code");
    return NULL;
}

char *cgen_module(const ptx_module *m, const cgen_options *opt, char *err, size_t errlen)
{
    return generate(m, opt, -1, err, errlen);
}

char *cgen_kernel(const ptx_module *m, const char *kernel, const cgen_options *opt, char *err,
                  size_t errlen)
{
    for (uint32_t i = 0; m && kernel && i < m->nfuncs; i++)
        if (m->funcs[i].is_entry && m->funcs[i].has_body && strcmp(m->funcs[i].name, kernel) == 0)
            return generate(m, opt, i, err, errlen);
    cgen_fmt(err, errlen, "no kernel named %s in the module", kernel ? kernel : "(null)");
    return NULL;
}
