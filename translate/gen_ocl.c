/* gen_ocl.c: translates one PTX kernel of the IR to OpenCL C (gen_ocl.h): one CUDA
 * thread per work-item, registers as private variables, PTX control flow as a `switch`
 * state machine inside a loop (OpenCL C has no goto), memory through the arena. What it
 * does not translate it refuses, naming the instruction; it never guesses. */
#include "config.h"

#include "translate/gen_ocl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output buffer ------------------------------------------------------------------ */

typedef struct ocl_text {
    char *buf;
    size_t len, cap;
    bool oom;
} ocl_text;

static void text_printf(ocl_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(ocl_text *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = t->cap - t->len;
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = true;
            return;
        }
        if (t->buf && (size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap - t->len <= (size_t)n)
            cap *= 2;
        char *nb = realloc(t->buf, cap);
        if (!nb) {
            t->oom = true;
            return;
        }
        t->buf = nb;
        t->cap = cap;
    }
}

/* ---- generator state ------------------------------------------------------------------ */

typedef struct ocl_shared_slot {
    const char *name;
    uint32_t offset;
} ocl_shared_slot;

typedef struct ocl_gen {
    const ptx_module *m;
    const ptx_function *f;
    const uint64_t *var_addr;
    const gocl_options *opt;
    gocl_kernel_facts *facts;
    ocl_text out;
    const ptx_instr *ins;     /* the instruction being translated (for messages) */
    char *err;
    size_t errlen;
    bool failed;
    ocl_shared_slot *shared;  /* static shared variables laid out in smem */
    uint32_t nshared;
    uint32_t dynamic_shared_offset;
    uint32_t *local_offset;   /* per function var: offset in the depot (.local) */
    uint32_t local_bytes;
    int32_t next_region_case; /* case that resumes after the barrier being translated */
    bool structured_barriers; /* the kernel has barriers: `ret` leaves through them */
} ocl_gen;

static void fail(ocl_gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(ocl_gen *g, const char *fmt, ...)
{
    if (g->failed)
        return;
    g->failed = true;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (g->ins) {
        char loc[160];
        ptx_instr_location(g->m, g->ins, loc, sizeof loc);
        /* The CPU backend's wording: triage and tests match on it. */
        snprintf(g->err, g->errlen, "kernel %s: PTX instruction `%s` (%s) is not supported on "
                 "the opencl backend: %s", g->f->name, g->ins->text ? g->ins->text : g->ins->opcode,
                 loc, what);
    } else {
        snprintf(g->err, g->errlen, "the opencl backend cannot translate kernel %s: %s",
                 g->f->name, what);
    }
}

/* snprintf into a fixed buffer; an expression that does not fit fails the kernel
 * instead of being cut short. */
static void check_fit(ocl_gen *g, int n, size_t room)
{
    if (n < 0 || (size_t)n >= room)
        fail(g, "expression too long for the translator");
}
#define FMT(buf, ...) check_fit(g, snprintf((buf), sizeof(buf), __VA_ARGS__), sizeof(buf))

/* ---- types ------------------------------------------------------------------------------ */

/* The OpenCL type that holds a value of PTX type t; NULL when unsupported. */
static const char *cl_type(ocl_gen *g, ptx_type t)
{
    switch (t) {
    case PTX_PRED: return "int";
    case PTX_B8: case PTX_U8: return "uchar";
    case PTX_S8: return "char";
    case PTX_B16: case PTX_U16: return "ushort";
    case PTX_S16: return "short";
    case PTX_B32: case PTX_U32: return "uint";
    case PTX_S32: return "int";
    case PTX_B64: case PTX_U64: return "ulong";
    case PTX_S64: return "long";
    case PTX_F32: return "float";
    case PTX_F64:
        g->facts->uses_fp64 = true;
        return "double";
    default:
        fail(g, "type .%s is not supported", ptx_type_name(t));
        return "uint";
    }
}

/* Unsigned container of n bytes (how registers are stored). */
static const char *bits_type(unsigned n)
{
    return n == 1 ? "uchar" : n == 2 ? "ushort" : n == 8 ? "ulong" : "uint";
}

static const char *signed_bits_type(unsigned n)
{
    return n == 1 ? "char" : n == 2 ? "short" : n == 8 ? "long" : "int";
}

static bool is_float(ptx_type t) { return t == PTX_F32 || t == PTX_F64; }
static bool is_int(ptx_type t) { return !is_float(t) && t != PTX_PRED && ptx_type_size(t) <= 8; }

/* Same size, unsigned/bit view of t. */
static ptx_type unsigned_of(ptx_type t)
{
    switch (ptx_type_size(t)) {
    case 1: return PTX_U8;
    case 2: return PTX_U16;
    case 8: return PTX_U64;
    default: return PTX_U32;
    }
}

static ptx_type signed_of(ptx_type t)
{
    switch (ptx_type_size(t)) {
    case 1: return PTX_S8;
    case 2: return PTX_S16;
    case 8: return PTX_S64;
    default: return PTX_S32;
    }
}

static unsigned reg_size(const ptx_reg *r)
{
    return r->type == PTX_PRED ? 0 : ptx_type_size(r->type);
}

/* ---- operands ------------------------------------------------------------------------- */

typedef struct ocl_expr {
    char s[512];
} ocl_expr;

static const ptx_var *function_var(const ptx_function *f, const char *name, uint32_t *index)
{
    for (uint32_t i = 0; i < f->nvars; i++)
        if (strcmp(f->vars[i].name, name) == 0) {
            *index = i;
            return &f->vars[i];
        }
    return NULL;
}

static const ptx_param *kernel_param(const ptx_function *f, const char *name)
{
    for (uint32_t i = 0; i < f->nparams; i++)
        if (strcmp(f->params[i].name, name) == 0)
            return &f->params[i];
    return NULL;
}

static bool shared_offset(ocl_gen *g, const char *name, uint32_t *off)
{
    for (uint32_t i = 0; i < g->nshared; i++)
        if (strcmp(g->shared[i].name, name) == 0) {
            *off = g->shared[i].offset;
            return true;
        }
    return false;
}

/* Where a symbol lives: the address space its address belongs to, and the address
 * itself (a device address, a shared offset, a depot offset or a parameter offset). */
typedef enum { SYM_NONE, SYM_GLOBAL, SYM_SHARED, SYM_LOCAL, SYM_PARAM } ocl_sym_kind;

static ocl_sym_kind symbol_address(ocl_gen *g, const char *name, uint64_t *addr)
{
    uint32_t idx;
    const ptx_var *v = function_var(g->f, name, &idx);
    if (v) {
        if (v->space == PTX_SPACE_SHARED || v->space == PTX_SPACE_SHARED_CTA) {
            uint32_t off;
            if (v->unsized) {
                *addr = g->dynamic_shared_offset;
                return SYM_SHARED;
            }
            if (shared_offset(g, name, &off)) {
                *addr = off;
                return SYM_SHARED;
            }
        } else if (v->space == PTX_SPACE_LOCAL) {
            *addr = g->local_offset[idx];
            return SYM_LOCAL;
        }
        return SYM_NONE;
    }
    const ptx_param *p = kernel_param(g->f, name);
    if (p) {
        *addr = p->offset;
        return SYM_PARAM;
    }
    v = ptx_find_var(g->m, name);
    if (v) {
        if (v->space == PTX_SPACE_SHARED || v->space == PTX_SPACE_SHARED_CTA) {
            uint32_t off;
            if (v->unsized) {
                *addr = g->dynamic_shared_offset;
                return SYM_SHARED;
            }
            if (shared_offset(g, name, &off)) {
                *addr = off;
                return SYM_SHARED;
            }
            return SYM_NONE;
        }
        uint32_t vi = (uint32_t)(v - g->m->vars);
        if ((v->space == PTX_SPACE_GLOBAL || v->space == PTX_SPACE_CONST) && g->var_addr &&
            g->var_addr[vi]) {
            *addr = g->var_addr[vi];
            return SYM_GLOBAL;
        }
    }
    return SYM_NONE;
}

/* The bits of register r read as type t. */
static void reg_as(ocl_gen *g, const ptx_operand *o, ptx_type t, ocl_expr *e)
{
    if (o->reg < 0 || (uint32_t)o->reg >= g->f->nregs) {
        fail(g, "bad register operand");
        return;
    }
    const ptx_reg *r = &g->f->regs[o->reg];
    if (r->vec != 1 || o->reg_comp != 0xff) {
        fail(g, "vector registers are not supported");
        return;
    }
    unsigned rs = reg_size(r), ts = t == PTX_PRED ? 0 : ptx_type_size(t);
    int n = o->reg;
    if (t == PTX_PRED || rs == 0) {
        FMT(e->s, "%s(%s)r%d", o->negated ? "!" : "", cl_type(g, t), n);
        return;
    }
    if (t == PTX_F32)
        FMT(e->s, "as_float((uint)r%d)", n);
    else if (t == PTX_F64)
        FMT(e->s, "as_double((ulong)r%d)", n);
    else if (ptx_type_is_signed(t) && ts > rs)
        FMT(e->s, "((%s)(%s)r%d)", cl_type(g, t), signed_bits_type(rs), n);
    else
        FMT(e->s, "((%s)r%d)", cl_type(g, t), n);
}

static float bits_to_float(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static double bits_to_double(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static uint32_t float_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static uint64_t double_bits(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

static const char *sreg_call(ptx_sreg s)
{
    switch (s) {
    case PTX_SREG_TID: return "get_local_id";
    case PTX_SREG_NTID: return "get_local_size";
    case PTX_SREG_CTAID: return "get_group_id";
    case PTX_SREG_NCTAID: return "get_num_groups";
    default: return NULL;
    }
}

/* Operand o read as a value of type t. */
static void value(ocl_gen *g, const ptx_operand *o, ptx_type t, ocl_expr *e)
{
    e->s[0] = '\0';
    const char *ct = cl_type(g, t);
    switch (o->kind) {
    case PTX_OPND_REG:
        reg_as(g, o, t, e);
        return;
    case PTX_OPND_IMM_INT:
        if (t == PTX_F32)
            FMT(e->s, "%.9gf", (double)(float)o->imm_int);
        else if (t == PTX_F64)
            FMT(e->s, "((double)%" PRId64 "L)", o->imm_int);
        else
            FMT(e->s, "((%s)0x%" PRIx64 "UL)", ct, (uint64_t)o->imm_int);
        return;
    case PTX_OPND_IMM_FLT:
        if (t == PTX_F32) {
            uint32_t b = o->imm_is_f64 ? float_bits((float)bits_to_double(o->imm_bits))
                                       : (uint32_t)o->imm_bits;
            FMT(e->s, "as_float(0x%08" PRIx32 "u)", b);
        } else if (t == PTX_F64) {
            uint64_t b = o->imm_is_f64 ? o->imm_bits
                                       : double_bits((double)bits_to_float((uint32_t)o->imm_bits));
            FMT(e->s, "as_double(0x%016" PRIx64 "UL)", b);
        } else if (ptx_type_size(t) == 4 && !o->imm_is_f64) {
            FMT(e->s, "((%s)0x%08" PRIx32 "u)", ct, (uint32_t)o->imm_bits);
        } else if (ptx_type_size(t) == 8 && o->imm_is_f64) {
            FMT(e->s, "((%s)0x%016" PRIx64 "UL)", ct, o->imm_bits);
        } else {
            fail(g, "a floating-point immediate used as .%s", ptx_type_name(t));
        }
        return;
    case PTX_OPND_SREG: {
        const char *call = sreg_call(o->sreg);
        if (call && o->sreg_comp < 3) {
            FMT(e->s, "((%s)%s(%u))", ct, call, o->sreg_comp);
            return;
        }
        if (o->sreg == PTX_SREG_LANEID) {
            FMT(e->s, "((%s)(ocl_linear_tid() & 31u))", ct);
            return;
        }
        if (o->sreg == PTX_SREG_WARPID) {
            FMT(e->s, "((%s)(ocl_linear_tid() >> 5))", ct);
            return;
        }
        if (o->sreg == PTX_SREG_DYNAMIC_SMEM_SIZE) {
            FMT(e->s, "((%s)dynamic_smem_bytes)", ct);
            return;
        }
        fail(g, "special register %%%s is not supported", ptx_sreg_name(o->sreg));
        return;
    }
    case PTX_OPND_SYMBOL: {
        uint64_t a;
        ocl_sym_kind k = symbol_address(g, o->symbol, &a);
        a += (uint64_t)o->offset;
        if (k == SYM_GLOBAL || k == SYM_SHARED || k == SYM_LOCAL) {
            FMT(e->s, "((%s)0x%" PRIx64 "UL)", ct, a);
            return;
        }
        fail(g, "the address of `%s` is not supported", o->symbol);
        return;
    }
    default:
        fail(g, "operand form not supported");
    }
}

/* The statement that stores expression `x` (of type t) into destination operand o. */
static void assign(ocl_gen *g, const ptx_operand *o, ptx_type t, const char *x)
{
    if (o->kind == PTX_OPND_SINK)
        return;
    if (o->kind != PTX_OPND_REG || o->reg < 0 || (uint32_t)o->reg >= g->f->nregs) {
        fail(g, "destination is not a register");
        return;
    }
    const ptx_reg *r = &g->f->regs[o->reg];
    if (r->vec != 1 || o->reg_comp != 0xff) {
        fail(g, "vector registers are not supported");
        return;
    }
    unsigned rs = reg_size(r);
    if (rs == 0 || t == PTX_PRED) {
        text_printf(&g->out, "r%d = (%s) ? 1 : 0;\n", o->reg, x);
        return;
    }
    const char *bt = bits_type(rs);
    if (t == PTX_F32)
        text_printf(&g->out, "r%d = (%s)as_uint((float)(%s));\n", o->reg, bt, x);
    else if (t == PTX_F64)
        text_printf(&g->out, "r%d = (%s)as_ulong((double)(%s));\n", o->reg, bt, x);
    else
        text_printf(&g->out, "r%d = (%s)(%s)(%s);\n", o->reg, bt, cl_type(g, t), x);
}

/* ---- memory ------------------------------------------------------------------------------ */

/* The address of an ADDR operand, as an expression of type ulong, and the space its
 * base symbol (if any) fixes. */
static ocl_sym_kind address(ocl_gen *g, const ptx_operand *o, ocl_expr *e)
{
    if (o->kind != PTX_OPND_ADDR) {
        fail(g, "memory operand expected");
        return SYM_NONE;
    }
    if (o->symbol) {
        uint64_t a;
        ocl_sym_kind k = symbol_address(g, o->symbol, &a);
        if (k == SYM_NONE && g->ins && g->ins->space == PTX_SPACE_PARAM)
            fail(g, "`%s` is not a kernel parameter: device-function calls (and the "
                 "device printf and assert built on them) are not supported", o->symbol);
        else if (k == SYM_NONE)
            fail(g, "unknown or unsupported symbol `%s`", o->symbol);
        FMT(e->s, "0x%" PRIx64 "UL", a + (uint64_t)o->offset);
        return k;
    }
    if (o->reg >= 0) {
        ptx_operand r = *o;
        r.kind = PTX_OPND_REG;
        r.negated = false;
        ocl_expr base;
        const ptx_reg *reg = &g->f->regs[o->reg];
        reg_as(g, &r, reg_size(reg) == 8 ? PTX_U64 : PTX_U32, &base);
        FMT(e->s, "((ulong)%s + 0x%" PRIx64 "UL)", base.s, (uint64_t)o->offset);
        return SYM_NONE;
    }
    FMT(e->s, "0x%" PRIx64 "UL", (uint64_t)o->offset);
    return SYM_NONE;
}

/* An lvalue of type `ct` at address `a` in space sp (not generic). */
static void lvalue(ocl_gen *g, ptx_space sp, const char *ct, const char *a, ocl_expr *e)
{
    switch (sp) {
    case PTX_SPACE_GLOBAL:
    case PTX_SPACE_CONST:
        FMT(e->s, "OCL_G(%s, %s)", ct, a);
        return;
    case PTX_SPACE_SHARED:
    case PTX_SPACE_SHARED_CTA:
        FMT(e->s, "OCL_S(%s, %s)", ct, a);
        return;
    case PTX_SPACE_LOCAL:
        FMT(e->s, "OCL_L(%s, %s)", ct, a);
        return;
    case PTX_SPACE_PARAM:
        FMT(e->s, "OCL_P(%s, %s)", ct, a);
        return;
    default:
        fail(g, "state space .%s is not supported", ptx_space_name(sp));
    }
}

static void emit_ld_st(ocl_gen *g, bool is_store)
{
    const ptx_instr *ins = g->ins;
    if (ins->ntypes < 1 || ins->nops < 2) {
        fail(g, "malformed");
        return;
    }
    ptx_type t = ins->types[0];
    ptx_type mt = is_float(t) ? t : t == PTX_B8 || t == PTX_B16 || t == PTX_B32 || t == PTX_B64
                                          ? unsigned_of(t) : t;
    const char *ct = cl_type(g, mt);
    const ptx_operand *data = is_store ? &ins->ops[1] : &ins->ops[0];
    const ptx_operand *mem = is_store ? &ins->ops[0] : &ins->ops[1];
    ocl_expr a;
    ocl_sym_kind k = address(g, mem, &a);
    ptx_space sp = ins->space;
    if (sp == PTX_SPACE_PARAM && k != SYM_PARAM)
        fail(g, "only kernel parameters can be read from .param");
    if (sp == PTX_SPACE_GENERIC) {
        if (k == SYM_GLOBAL) sp = PTX_SPACE_GLOBAL;
        else if (k == SYM_SHARED || k == SYM_LOCAL || k == SYM_PARAM)
            fail(g, "generic access through a non-generic symbol address");
    }
    if (is_store && (sp == PTX_SPACE_PARAM || sp == PTX_SPACE_CONST))
        fail(g, "store to .%s", ptx_space_name(sp));
    unsigned n = ins->vec > 1 ? ins->vec : 1;
    if (n > 1 && (data->kind != PTX_OPND_VEC || data->nelems != n)) {
        fail(g, "vector operand expected");
        return;
    }
    unsigned es = ptx_type_size(mt);
    text_printf(&g->out, "{ ulong a_ = %s;\n", a.s);
    for (unsigned i = 0; i < n && !g->failed; i++) {
        const ptx_operand *d = n > 1 ? &data->elems[i] : data;
        char ai[64];
        FMT(ai, "a_ + %uu", i * es);
        if (sp == PTX_SPACE_GENERIC) {
            if (is_store) {
                ocl_expr v;
                value(g, d, mt, &v);
                text_printf(&g->out, "OCL_GENERIC_STORE(%s, %s, %s);\n", ct, ai, v.s);
            } else {
                char x[160];
                FMT(x, "OCL_GENERIC_LOAD(%s, %s)", ct, ai);
                assign(g, d, mt, x);
            }
            continue;
        }
        ocl_expr lv;
        lvalue(g, sp, ct, ai, &lv);
        if (is_store) {
            ocl_expr v;
            value(g, d, mt, &v);
            text_printf(&g->out, "%s = %s;\n", lv.s, v.s);
        } else {
            assign(g, d, mt, lv.s);
        }
    }
    text_printf(&g->out, "}\n");
}

/* atom / red: d = op(*a, b [, c]). */
static void emit_atomic(ocl_gen *g, bool has_result)
{
    const ptx_instr *ins = g->ins;
    static const char *const ops[] = {"add", "min", "max", "exch", "cas", "and", "or", "xor"};
    const char *op = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ptx_instr_has_mod(ins, ops[i]))
            op = ops[i];
    if (!op) {
        fail(g, "this atomic operation is not supported");
        return;
    }
    ptx_type t = ins->ntypes ? ins->types[0] : PTX_TYPE_NONE;
    unsigned size = ptx_type_size(t);
    bool fl = is_float(t);
    if (!(size == 4 || size == 8) || (fl && strcmp(op, "add") != 0 && strcmp(op, "exch") != 0)) {
        fail(g, "atomic .%s on .%s is not supported", op, ptx_type_name(t));
        return;
    }
    ptx_space sp = ins->space;
    if (sp != PTX_SPACE_GLOBAL && sp != PTX_SPACE_SHARED && sp != PTX_SPACE_SHARED_CTA &&
        sp != PTX_SPACE_GENERIC) {
        fail(g, "atomics on .%s are not supported", ptx_space_name(sp));
        return;
    }
    if (size == 8) {
        g->facts->uses_int64_atomics = true;
        if (strcmp(op, "add") != 0 && strcmp(op, "exch") != 0 && strcmp(op, "cas") != 0)
            g->facts->uses_int64_extended_atomics = true;
    }
    uint32_t first = has_result ? 1 : 0;
    if (ins->nops < first + 2 + (strcmp(op, "cas") == 0)) {
        fail(g, "malformed");
        return;
    }
    ocl_expr a, b, c = {{0}};
    ocl_sym_kind k = address(g, &ins->ops[first], &a);
    if (k == SYM_SHARED)
        sp = PTX_SPACE_SHARED;
    else if (k == SYM_GLOBAL)
        sp = PTX_SPACE_GLOBAL;
    else if (k != SYM_NONE)
        fail(g, "atomic on an unsupported symbol");
    ptx_type vt = fl ? t : (t == PTX_B32 || t == PTX_B64) ? unsigned_of(t) : t;
    /* The value-type of 32/64-bit min/max decides signedness; and/or/xor/exch/add/cas work
     * on the bits. */
    const char *ct = cl_type(g, vt);
    value(g, &ins->ops[first + 1], vt, &b);
    if (strcmp(op, "cas") == 0)
        value(g, &ins->ops[first + 2], vt, &c);
    if (fl && size == 8) {
        fail(g, "atomics on .f64 are not supported yet");
        return;
    }
    /* OpenCL 1.2 has no generic address space: each space has its own function. */
    char fn_g[64], fn_s[64];
    if (fl && strcmp(op, "add") == 0) {
        FMT(fn_g, "ocl_atomic_add_f32___global");
        FMT(fn_s, "ocl_atomic_add_f32___local");
    } else {
        FMT(fn_g, "%s_%s", size == 8 ? "atom" : "atomic",
                 strcmp(op, "exch") == 0 ? "xchg" : strcmp(op, "cas") == 0 ? "cmpxchg" : op);
        FMT(fn_s, "%s", fn_g);
    }
    char args[1100];
    if (strcmp(op, "cas") == 0)
        FMT(args, "%s, %s", b.s, c.s);
    else
        FMT(args, "%s", b.s);
    char call_g[1400], call_s[1400];
    FMT(call_g, "%s((volatile __global %s *)(arena + OCL_GOFF(a_, %u)), %s)",
             fn_g, ct, size, args);
    FMT(call_s, "%s((volatile __local %s *)(smem + OCL_SOFF(a_, %u)), %s)", fn_s,
        ct, size, args);
    text_printf(&g->out, "{ ulong a_ = %s; %s v_;\n", a.s, ct);
    if (sp == PTX_SPACE_GLOBAL)
        text_printf(&g->out, "v_ = %s;\n", call_g);
    else if (sp == PTX_SPACE_GENERIC)
        text_printf(&g->out, "if (OCL_IS_SHARED(a_)) { a_ -= OCL_SHARED_WINDOW; v_ = %s; } "
                    "else v_ = %s;\n", call_s, call_g);
    else
        text_printf(&g->out, "v_ = %s;\n", call_s);
    if (has_result)
        assign(g, &ins->ops[0], vt, "v_");
    text_printf(&g->out, "(void)v_; }\n");
}

/* ---- arithmetic ----------------------------------------------------------------------- */

static bool has(const ptx_instr *ins, const char *mod) { return ptx_instr_has_mod(ins, mod); }

/* Refuse rounding and saturation modifiers the translation would ignore. */
static bool plain_rounding_only(ocl_gen *g)
{
    static const char *const refused[] = {"rz", "rm", "rp", "sat", "cc"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (has(g->ins, refused[i])) {
            fail(g, "modifier .%s is not supported", refused[i]);
            return false;
        }
    return true;
}

static unsigned type_bits(ptx_type t) { return ptx_type_size(t) * 8; }

static ptx_type wide_of(ptx_type t)
{
    switch (t) {
    case PTX_S16: return PTX_S32;
    case PTX_U16: return PTX_U32;
    case PTX_S32: return PTX_S64;
    case PTX_U32: return PTX_U64;
    default: return PTX_TYPE_NONE;
    }
}

static void emit_binary_int(ocl_gen *g, const char *op, ptx_type t)
{
    const ptx_instr *ins = g->ins;
    ptx_type ut = unsigned_of(t);
    ocl_expr a, b;
    char x[1200];
    if (strcmp(op, "add") == 0 || strcmp(op, "sub") == 0 ||
        (strcmp(op, "mul") == 0 && has(ins, "lo"))) {
        value(g, &ins->ops[1], ut, &a);
        value(g, &ins->ops[2], ut, &b);
        FMT(x, "%s %s %s", a.s, op[0] == 'a' ? "+" : op[0] == 's' ? "-" : "*", b.s);
        assign(g, &ins->ops[0], ut, x);
    } else if (strcmp(op, "mul") == 0 && has(ins, "hi")) {
        value(g, &ins->ops[1], t, &a);
        value(g, &ins->ops[2], t, &b);
        FMT(x, "mul_hi(%s, %s)", a.s, b.s);
        assign(g, &ins->ops[0], t, x);
    } else if (strcmp(op, "mul") == 0 && has(ins, "wide")) {
        ptx_type w = wide_of(t);
        if (w == PTX_TYPE_NONE) {
            fail(g, "mul.wide on .%s", ptx_type_name(t));
            return;
        }
        value(g, &ins->ops[1], t, &a);
        value(g, &ins->ops[2], t, &b);
        FMT(x, "(%s)%s * (%s)%s", cl_type(g, w), a.s, cl_type(g, w), b.s);
        assign(g, &ins->ops[0], w, x);
    } else if (strcmp(op, "mul24") == 0 || strcmp(op, "mul") == 0) {
        fail(g, "this form of mul is not supported");
    } else if (strcmp(op, "div") == 0 || strcmp(op, "rem") == 0) {
        value(g, &ins->ops[1], t, &a);
        value(g, &ins->ops[2], t, &b);
        FMT(x, "OCL_%s_%s(%s, %s, %s)", op[0] == 'd' ? "DIV" : "REM",
                 ptx_type_is_signed(t) ? "S" : "U", cl_type(g, t), a.s, b.s);
        assign(g, &ins->ops[0], t, x);
    } else if (strcmp(op, "min") == 0 || strcmp(op, "max") == 0) {
        value(g, &ins->ops[1], t, &a);
        value(g, &ins->ops[2], t, &b);
        FMT(x, "%s(%s, %s)", op, a.s, b.s);
        assign(g, &ins->ops[0], t, x);
    } else if (strcmp(op, "and") == 0 || strcmp(op, "or") == 0 || strcmp(op, "xor") == 0) {
        value(g, &ins->ops[1], ut, &a);
        value(g, &ins->ops[2], ut, &b);
        FMT(x, "%s %s %s", a.s, op[0] == 'a' ? "&" : op[0] == 'o' ? "|" : "^", b.s);
        assign(g, &ins->ops[0], ut, x);
    } else if (strcmp(op, "shl") == 0 || strcmp(op, "shr") == 0) {
        ptx_type vt = strcmp(op, "shr") == 0 && ptx_type_is_signed(t) ? t : ut;
        value(g, &ins->ops[1], vt, &a);
        value(g, &ins->ops[2], PTX_U32, &b);
        unsigned bits = type_bits(t);
        if (strcmp(op, "shl") == 0)
            FMT(x, "%s >= %uu ? (%s)0 : %s << %s", b.s, bits, cl_type(g, vt), a.s, b.s);
        else if (vt == t && ptx_type_is_signed(t))
            FMT(x, "%s >> min(%s, %uu)", a.s, b.s, bits - 1);
        else
            FMT(x, "%s >= %uu ? (%s)0 : %s >> %s", b.s, bits, cl_type(g, vt), a.s, b.s);
        assign(g, &ins->ops[0], vt, x);
    } else {
        fail(g, "not supported");
    }
}

static void emit_arith(ocl_gen *g)
{
    const ptx_instr *ins = g->ins;
    const char *op = ins->opcode;
    ptx_type t = ins->ntypes ? ins->types[0] : PTX_TYPE_NONE;
    if (t == PTX_TYPE_NONE || ins->nops < 2) {
        fail(g, "malformed");
        return;
    }
    ocl_expr a, b, c;
    char x[1800];
    if (t == PTX_PRED) {
        value(g, &ins->ops[1], t, &a);
        if (strcmp(op, "not") == 0) {
            FMT(x, "!%s", a.s);
        } else if (ins->nops >= 3 && (strcmp(op, "and") == 0 || strcmp(op, "or") == 0 ||
                                      strcmp(op, "xor") == 0)) {
            value(g, &ins->ops[2], t, &b);
            FMT(x, "%s %s %s", a.s, op[0] == 'a' ? "&&" : op[0] == 'o' ? "||" : "!=",
                     b.s);
        } else {
            fail(g, "not supported on predicates");
            return;
        }
        assign(g, &ins->ops[0], t, x);
        return;
    }
    if (is_float(t)) {
        if (has(ins, "sat") || has(ins, "rz") || has(ins, "rm") || has(ins, "rp")) {
            fail(g, "float rounding/saturation modifiers other than .rn are not supported");
            return;
        }
        value(g, &ins->ops[1], t, &a);
        if (ins->nops >= 3)
            value(g, &ins->ops[2], t, &b);
        if (ins->nops >= 4)
            value(g, &ins->ops[3], t, &c);
        const char *sfx = t == PTX_F32 ? "f" : "";
        if (strcmp(op, "add") == 0) FMT(x, "%s + %s", a.s, b.s);
        else if (strcmp(op, "sub") == 0) FMT(x, "%s - %s", a.s, b.s);
        else if (strcmp(op, "mul") == 0) FMT(x, "%s * %s", a.s, b.s);
        else if (strcmp(op, "div") == 0) FMT(x, "%s / %s", a.s, b.s);
        else if (strcmp(op, "fma") == 0 || strcmp(op, "mad") == 0)
            FMT(x, "fma(%s, %s, %s)", a.s, b.s, c.s);
        else if (strcmp(op, "min") == 0) FMT(x, "fmin(%s, %s)", a.s, b.s);
        else if (strcmp(op, "max") == 0) FMT(x, "fmax(%s, %s)", a.s, b.s);
        else if (strcmp(op, "neg") == 0) FMT(x, "-%s", a.s);
        else if (strcmp(op, "abs") == 0) FMT(x, "fabs(%s)", a.s);
        else if (strcmp(op, "sqrt") == 0) FMT(x, "sqrt(%s)", a.s);
        else if (strcmp(op, "rsqrt") == 0) FMT(x, "rsqrt(%s)", a.s);
        else if (strcmp(op, "rcp") == 0) FMT(x, "1.0%s / %s", sfx, a.s);
        else if (strcmp(op, "sin") == 0) FMT(x, "sin(%s)", a.s);
        else if (strcmp(op, "cos") == 0) FMT(x, "cos(%s)", a.s);
        else if (strcmp(op, "ex2") == 0) FMT(x, "exp2(%s)", a.s);
        else if (strcmp(op, "lg2") == 0) FMT(x, "log2(%s)", a.s);
        else if (strcmp(op, "tanh") == 0) FMT(x, "tanh(%s)", a.s);
        else {
            fail(g, "not supported on floating point");
            return;
        }
        assign(g, &ins->ops[0], t, x);
        return;
    }
    if (!is_int(t)) {
        fail(g, "type .%s is not supported", ptx_type_name(t));
        return;
    }
    if (!plain_rounding_only(g))
        return;
    ptx_type ut = unsigned_of(t);
    if (strcmp(op, "not") == 0 || strcmp(op, "neg") == 0) {
        value(g, &ins->ops[1], ut, &a);
        if (strcmp(op, "not") == 0)
            FMT(x, "~%s", a.s);
        else
            FMT(x, "(%s)0 - %s", cl_type(g, ut), a.s);
        assign(g, &ins->ops[0], ut, x);
    } else if (strcmp(op, "abs") == 0) {
        value(g, &ins->ops[1], signed_of(t), &a);
        FMT(x, "%s < 0 ? (%s)0 - (%s)%s : (%s)%s", a.s, cl_type(g, ut),
                 cl_type(g, ut), a.s, cl_type(g, ut), a.s);
        assign(g, &ins->ops[0], ut, x);
    } else if (strcmp(op, "popc") == 0 || strcmp(op, "clz") == 0) {
        value(g, &ins->ops[1], ut, &a);
        FMT(x, "%s(%s)", op[0] == 'p' ? "popcount" : "clz", a.s);
        assign(g, &ins->ops[0], PTX_U32, x);
    } else if (strcmp(op, "mad") == 0) {
        if (ins->nops < 4) {
            fail(g, "malformed");
            return;
        }
        ptx_type w = has(ins, "wide") ? wide_of(t) : has(ins, "lo") ? ut : PTX_TYPE_NONE;
        if (has(ins, "hi")) {
            value(g, &ins->ops[1], t, &a);
            value(g, &ins->ops[2], t, &b);
            value(g, &ins->ops[3], ut, &c);
            FMT(x, "(%s)mul_hi(%s, %s) + %s", cl_type(g, ut), a.s, b.s, c.s);
            assign(g, &ins->ops[0], ut, x);
            return;
        }
        if (w == PTX_TYPE_NONE) {
            fail(g, "this form of mad is not supported");
            return;
        }
        ptx_type at = has(ins, "wide") ? t : ut;
        value(g, &ins->ops[1], at, &a);
        value(g, &ins->ops[2], at, &b);
        value(g, &ins->ops[3], unsigned_of(w), &c);
        const char *wt = cl_type(g, unsigned_of(w));
        FMT(x, "(%s)((%s)%s * (%s)%s) + %s", wt, cl_type(g, w), a.s, cl_type(g, w),
                 b.s, c.s);
        assign(g, &ins->ops[0], unsigned_of(w), x);
    } else if (ins->nops >= 3) {
        emit_binary_int(g, op, t);
    } else {
        fail(g, "not supported");
    }
}

/* setp.CMP[.BOOL].T p[|q], a, b[, c] */
static void emit_setp(ocl_gen *g)
{
    const ptx_instr *ins = g->ins;
    ptx_type t = ins->ntypes ? ins->types[0] : PTX_TYPE_NONE;
    static const char *const cmps[] = {"eq", "ne", "lt", "le", "gt", "ge", "lo", "ls", "hi", "hs",
                                       "equ", "neu", "ltu", "leu", "gtu", "geu", "num", "nan"};
    static const char *const cops[] = {"==", "!=", "<", "<=", ">", ">=", "<", "<=", ">", ">=",
                                       "==", "!=", "<", "<=", ">", ">=", "", ""};
    int ci = -1;
    for (int i = 0; i < (int)(sizeof cmps / sizeof cmps[0]); i++)
        if (has(ins, cmps[i]))
            ci = i;
    if (ci < 0 || ins->nops < 3 || t == PTX_PRED) {
        fail(g, "this comparison is not supported");
        return;
    }
    ptx_type vt = ci >= 6 && ci <= 9 ? unsigned_of(t) : t;
    if (vt == PTX_B16 || vt == PTX_B32 || vt == PTX_B64)
        vt = unsigned_of(vt);
    ocl_expr a, b;
    value(g, &ins->ops[1], vt, &a);
    value(g, &ins->ops[2], vt, &b);
    char cmp[1200];
    if (is_float(t)) {
        if (ci == 16)
            FMT(cmp, "(!isnan(%s) && !isnan(%s))", a.s, b.s);
        else if (ci == 17)
            FMT(cmp, "(isnan(%s) || isnan(%s))", a.s, b.s);
        else if (ci >= 10)
            FMT(cmp, "(%s %s %s || isnan(%s) || isnan(%s))", a.s, cops[ci], b.s,
                     a.s, b.s);
        else if (ci == 1)
            FMT(cmp, "(%s != %s && !isnan(%s) && !isnan(%s))", a.s, b.s, a.s, b.s);
        else
            FMT(cmp, "(%s %s %s)", a.s, cops[ci], b.s);
    } else {
        if (ci >= 10) {
            fail(g, "this comparison is not supported on integers");
            return;
        }
        FMT(cmp, "(%s %s %s)", a.s, cops[ci], b.s);
    }
    const char *bop = has(ins, "and") ? "&&" : has(ins, "or") ? "||" : has(ins, "xor") ? "!=" : NULL;
    char x[1600];
    if (bop) {
        if (ins->nops < 4) {
            fail(g, "malformed");
            return;
        }
        ocl_expr c;
        value(g, &ins->ops[3], PTX_PRED, &c);
        FMT(x, "(%s) %s (%s)", cmp, bop, c.s);
    } else {
        FMT(x, "%s", cmp);
    }
    text_printf(&g->out, "{ int c_ = %s;\n", x);
    const ptx_operand *d = &ins->ops[0];
    if (d->kind == PTX_OPND_VEC && d->nelems == 2) {
        assign(g, &d->elems[0], PTX_PRED, "c_");
        assign(g, &d->elems[1], PTX_PRED, "!c_");
    } else {
        assign(g, d, PTX_PRED, "c_");
    }
    text_printf(&g->out, "}\n");
}

static const char *round_suffix(ocl_gen *g, bool to_int)
{
    const ptx_instr *ins = g->ins;
    if (has(ins, "rn") || has(ins, "rni")) return "_rte";
    if (has(ins, "rz") || has(ins, "rzi")) return "_rtz";
    if (has(ins, "rm") || has(ins, "rmi")) return "_rtn";
    if (has(ins, "rp") || has(ins, "rpi")) return "_rtp";
    return to_int ? "_rtz" : "_rte";
}

static void emit_cvt(ocl_gen *g)
{
    const ptx_instr *ins = g->ins;
    if (ins->ntypes < 2 || ins->nops < 2) {
        fail(g, "malformed");
        return;
    }
    ptx_type d = ins->types[0], s = ins->types[1];
    if (has(ins, "sat") && (is_float(d) || !is_float(s))) {
        fail(g, ".sat is not supported in this conversion");
        return;
    }
    ocl_expr a;
    value(g, &ins->ops[1], s, &a);
    char x[1200];
    const char *dt = cl_type(g, d);
    if (is_float(d) && is_float(s)) {
        if (d == s) {
            const char *fn = has(ins, "rni") ? "rint" : has(ins, "rzi") ? "trunc"
                             : has(ins, "rmi") ? "floor" : has(ins, "rpi") ? "ceil" : "";
            FMT(x, "%s(%s)", fn, a.s);
        } else if (d == PTX_F64) {
            FMT(x, "(double)%s", a.s);
        } else {
            FMT(x, "convert_float%s(%s)", round_suffix(g, false), a.s);
        }
    } else if (is_float(d)) {
        FMT(x, "convert_%s%s(%s)", dt, round_suffix(g, false), a.s);
    } else if (is_float(s)) {
        FMT(x, "convert_%s_sat%s(%s)", dt, round_suffix(g, true), a.s);
    } else if (is_int(d) && is_int(s)) {
        if (has(ins, "sat"))
            FMT(x, "convert_%s_sat(%s)", dt, a.s);
        else
            FMT(x, "(%s)%s", dt, a.s);
    } else {
        fail(g, "conversion .%s.%s is not supported", ptx_type_name(d), ptx_type_name(s));
        return;
    }
    assign(g, &ins->ops[0], d, x);
}

static void emit_cvta(ocl_gen *g)
{
    const ptx_instr *ins = g->ins;
    ptx_type t = ins->ntypes ? ins->types[0] : PTX_U64;
    if (ins->nops < 2) {
        fail(g, "malformed");
        return;
    }
    bool to = has(ins, "to");
    ocl_expr a;
    value(g, &ins->ops[1], unsigned_of(t), &a);
    char x[700];
    switch (ins->space) {
    case PTX_SPACE_GLOBAL:
    case PTX_SPACE_CONST:
        FMT(x, "%s", a.s);
        break;
    case PTX_SPACE_SHARED:
    case PTX_SPACE_SHARED_CTA:
        FMT(x, "(ulong)%s %s OCL_SHARED_WINDOW", a.s, to ? "-" : "+");
        break;
    case PTX_SPACE_LOCAL:
        FMT(x, "(ulong)%s %s OCL_LOCAL_WINDOW", a.s, to ? "-" : "+");
        break;
    default:
        fail(g, "cvta for .%s is not supported", ptx_space_name(ins->space));
        return;
    }
    assign(g, &ins->ops[0], unsigned_of(t), x);
}

static int32_t label_case(int32_t label) { return label + 1; }

static const char *const arith_opcodes[] = {
    "add", "sub", "mul", "mad", "fma", "div", "rem", "min", "max", "neg", "abs", "not",
    "and", "or", "xor", "shl", "shr", "sqrt", "rsqrt", "rcp", "sin", "cos", "ex2", "lg2",
    "tanh", "popc", "clz"};
static const char *const control_opcodes[] = {
    "bra", "ret", "exit", "bar", "barrier", "membar", "fence", "ld", "st", "mov", "selp",
    "setp", "cvt", "cvta", "atom", "red"};

bool gocl_supports(const ptx_instr *ins, char *why, size_t whylen)
{
    const char *op = ins->opcode;
    bool known = false;
    for (size_t i = 0; i < sizeof arith_opcodes / sizeof arith_opcodes[0]; i++)
        known |= strcmp(op, arith_opcodes[i]) == 0;
    for (size_t i = 0; i < sizeof control_opcodes / sizeof control_opcodes[0]; i++)
        known |= strcmp(op, control_opcodes[i]) == 0;
    if (!known) {
        snprintf(why, whylen, "opcode '%s' is not translated yet by the opencl backend", op);
        return false;
    }
    for (unsigned t = 0; t < ins->ntypes; t++) {
        ptx_type ty = ins->types[t];
        if (ty != PTX_PRED && !is_float(ty) && (ty == PTX_TYPE_NONE || ptx_type_size(ty) > 8 ||
                                                 ptx_type_is_float(ty))) {
            snprintf(why, whylen, "type .%s is not supported by the opencl backend",
                     ptx_type_name(ty));
            return false;
        }
    }
    static const char *const refused[] = {"sat", "cc", "warp", "arrive", "volatile", "relaxed",
                                          "acquire", "release", "inc", "dec"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (ptx_instr_has_mod(ins, refused[i]) &&
            !(strcmp(refused[i], "sat") == 0 && strcmp(op, "cvt") == 0)) {
            snprintf(why, whylen, "modifier .%s of %s is not supported by the opencl backend",
                     refused[i], op);
            return false;
        }
    return true;
}

static void emit_instr(ocl_gen *g)
{
    const ptx_instr *ins = g->ins;
    const char *op = ins->opcode;
    if (ins->guard_reg >= 0)
        text_printf(&g->out, "if (%sr%d) ", ins->guard_negated ? "!" : "", ins->guard_reg);
    text_printf(&g->out, "{\n");
    if (strcmp(op, "bra") == 0) {
        if (ins->nops < 1 || ins->ops[0].kind != PTX_OPND_LABEL)
            fail(g, "branch target is not a label");
        else
            text_printf(&g->out, "st = %d; continue;\n", label_case(ins->ops[0].label));
    } else if (strcmp(op, "ret") == 0 || strcmp(op, "exit") == 0) {
        text_printf(&g->out, g->structured_barriers ? "st = -1; break;\n" : "return;\n");
    } else if (strcmp(op, "bar") == 0 || strcmp(op, "barrier") == 0) {
        if (has(ins, "warp") || has(ins, "arrive") || has(ins, "red") || ins->nops > 1)
            fail(g, "only a full-block barrier is supported");
        else if (ins->guard_reg >= 0)
            fail(g, "a barrier under a predicate is not supported");
        else /* leave the region; the barrier itself is outside the dispatch loop */
            text_printf(&g->out, "st = %d; break;\n", g->next_region_case);
    } else if (strcmp(op, "membar") == 0 || strcmp(op, "fence") == 0) {
        text_printf(&g->out, "mem_fence(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);\n");
    } else if (strcmp(op, "ld") == 0) {
        if (has(ins, "volatile") || has(ins, "relaxed") || has(ins, "acquire"))
            fail(g, "ordered loads are not supported");
        else
            emit_ld_st(g, false);
    } else if (strcmp(op, "st") == 0) {
        if (has(ins, "volatile") || has(ins, "relaxed") || has(ins, "release"))
            fail(g, "ordered stores are not supported");
        else
            emit_ld_st(g, true);
    } else if (strcmp(op, "mov") == 0) {
        ptx_type t = ins->ntypes ? ins->types[0] : PTX_TYPE_NONE;
        if (ins->nops != 2 || ins->ops[0].kind == PTX_OPND_VEC || ins->ops[1].kind == PTX_OPND_VEC) {
            fail(g, "this form of mov is not supported");
        } else {
            ocl_expr a;
            ptx_type vt = is_float(t) || t == PTX_PRED ? t : unsigned_of(t);
            value(g, &ins->ops[1], vt, &a);
            assign(g, &ins->ops[0], vt, a.s);
        }
    } else if (strcmp(op, "selp") == 0) {
        ptx_type t = ins->ntypes ? ins->types[0] : PTX_TYPE_NONE;
        if (ins->nops < 4) {
            fail(g, "malformed");
        } else {
            ocl_expr a, b, c;
            value(g, &ins->ops[1], t, &a);
            value(g, &ins->ops[2], t, &b);
            value(g, &ins->ops[3], PTX_PRED, &c);
            char x[1600];
            FMT(x, "%s ? %s : %s", c.s, a.s, b.s);
            assign(g, &ins->ops[0], t, x);
        }
    } else if (strcmp(op, "setp") == 0) {
        emit_setp(g);
    } else if (strcmp(op, "cvt") == 0) {
        emit_cvt(g);
    } else if (strcmp(op, "cvta") == 0) {
        emit_cvta(g);
    } else if (strcmp(op, "atom") == 0) {
        emit_atomic(g, true);
    } else if (strcmp(op, "red") == 0) {
        emit_atomic(g, false);
    } else {
        bool known = false;
        for (size_t i = 0; i < sizeof arith_opcodes / sizeof arith_opcodes[0]; i++)
            known |= strcmp(op, arith_opcodes[i]) == 0;
        if (known)
            emit_arith(g);
        else
            fail(g, "opcode '%s' is not translated yet", op);
    }
    text_printf(&g->out, "}\n");
}

/* ---- kernel ------------------------------------------------------------------------------- */

static const char prelude[] =
    "#pragma OPENCL FP_CONTRACT OFF\n"
    "#define OCL_ARENA_BASE 0x%" PRIx64 "UL\n"
    "#define OCL_ARENA_BYTES 0x%" PRIx64 "UL\n"
    "#define OCL_SHARED_WINDOW 0x%" PRIx64 "UL\n"
    "#define OCL_LOCAL_WINDOW 0x%" PRIx64 "UL\n"
    "#define OCL_IS_SHARED(a) (((ulong)(a) - OCL_SHARED_WINDOW) < 0x100000000UL)\n"
    "#define OCL_IS_LOCAL(a) (((ulong)(a) - OCL_LOCAL_WINDOW) < 0x100000000UL)\n"
    "/* A global access outside the arena is recorded and redirected to scratch bytes. */\n"
    "static ulong ocl_fault(__global uchar *arena, ulong a)\n"
    "{\n"
    "    if (atomic_cmpxchg((volatile __global uint *)arena, 0u, 1u) == 0u)\n"
    "        *(__global ulong *)(arena + 8) = a;\n"
    "    return 64;\n"
    "}\n"
    "#define OCL_GOFF(a, n) (((ulong)(a) - OCL_ARENA_BASE) <= OCL_ARENA_BYTES - (n) ? "
    "(ulong)(a) - OCL_ARENA_BASE : ocl_fault(arena, (ulong)(a)))\n"
    "#define OCL_G(T, a) (*(__global T *)(arena + OCL_GOFF((a), sizeof(T))))\n"
    "/* Shared and local accesses are bounds-checked too: a stray one is recorded (at its\n"
    " * generic address) and redirected to the first bytes of the buffer. */\n"
    "#define OCL_SOFF(a, n) ((ulong)(uint)(a) + (n) <= smem_bytes ? (uint)(a) : "
    "(uint)(ocl_fault(arena, (ulong)(uint)(a) + OCL_SHARED_WINDOW) & 0))\n"
    "#define OCL_S(T, a) (*(__local T *)(smem + OCL_SOFF((a), sizeof(T))))\n"
    "#define OCL_LOFF(a, n) ((ulong)(uint)(a) + (n) <= sizeof(depot) ? (uint)(a) : "
    "(uint)(ocl_fault(arena, (ulong)(uint)(a) + OCL_LOCAL_WINDOW) & 0))\n"
    "#define OCL_L(T, a) (*(T *)(depot + OCL_LOFF((a), sizeof(T))))\n"
    "#define OCL_P(T, a) (*(__global const T *)(params + (uint)(a)))\n"
    "#define OCL_GENERIC_LOAD(T, a) (OCL_IS_SHARED(a) ? OCL_S(T, (a) - OCL_SHARED_WINDOW) : "
    "OCL_IS_LOCAL(a) ? OCL_L(T, (a) - OCL_LOCAL_WINDOW) : OCL_G(T, (a)))\n"
    "#define OCL_GENERIC_STORE(T, a, v) do { if (OCL_IS_SHARED(a)) OCL_S(T, (a) - "
    "OCL_SHARED_WINDOW) = (v); else if (OCL_IS_LOCAL(a)) OCL_L(T, (a) - OCL_LOCAL_WINDOW) = (v); "
    "else OCL_G(T, (a)) = (v); } while (0)\n"
    "/* PTX integer division never traps: x/0 is all ones (unsigned) or -1, x%%0 is x. */\n"
    "#define OCL_DIV_U(T, a, b) ((b) == 0 ? (T)~(T)0 : (T)((a) / (b)))\n"
    "#define OCL_REM_U(T, a, b) ((b) == 0 ? (T)(a) : (T)((a) %% (b)))\n"
    "#define OCL_DIV_S(T, a, b) ((b) == 0 ? (T)-1 : (b) == (T)-1 ? (T)(0 - (a)) : (T)((a) / (b)))\n"
    "#define OCL_REM_S(T, a, b) ((b) == 0 ? (T)(a) : (b) == (T)-1 ? (T)0 : (T)((a) %% (b)))\n"
    "#define ocl_linear_tid() ((uint)(get_local_id(0) + get_local_size(0) * (get_local_id(1) + "
    "get_local_size(1) * get_local_id(2))))\n"
    "#define OCL_ATOMIC_ADD_F32(SPACE) \\\n"
    "static float ocl_atomic_add_f32_##SPACE(volatile SPACE float *p, float v) { \\\n"
    "    volatile SPACE uint *u = (volatile SPACE uint *)p; uint old = *u, seen; \\\n"
    "    do { seen = old; old = atomic_cmpxchg(u, seen, as_uint(as_float(seen) + v)); } \\\n"
    "    while (old != seen); return as_float(old); }\n"
    "OCL_ATOMIC_ADD_F32(__global)\n"
    "OCL_ATOMIC_ADD_F32(__local)\n";

static const char prelude_fp64[] =
    "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n";
static const char prelude_atom64[] =
    "#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable\n";

/* Static shared variables the kernel uses: module scope (nvcc puts __shared__ there
 * or demotes them into the function) laid out in smem in declaration order. */
static bool layout_shared(ocl_gen *g)
{
    const ptx_function *f = g->f;
    uint32_t cap = f->nvars + g->m->nvars + 1;
    g->shared = calloc(cap, sizeof *g->shared);
    g->local_offset = calloc(f->nvars + 1, sizeof *g->local_offset);
    if (!g->shared || !g->local_offset)
        return false;
    uint64_t off = 0, local = 0;
    for (uint32_t i = 0; i < f->nvars; i++) {
        const ptx_var *v = &f->vars[i];
        uint64_t al = v->align ? v->align : 1;
        if ((v->space == PTX_SPACE_SHARED || v->space == PTX_SPACE_SHARED_CTA) && !v->unsized) {
            off = (off + al - 1) / al * al;
            g->shared[g->nshared++] = (ocl_shared_slot){v->name, (uint32_t)off};
            off += v->size;
        } else if (v->space == PTX_SPACE_LOCAL) {
            local = (local + al - 1) / al * al;
            g->local_offset[i] = (uint32_t)local;
            local += v->size;
        }
    }
    /* Module-scope shared variables this kernel names. */
    for (uint32_t vi = 0; vi < g->m->nvars; vi++) {
        const ptx_var *v = &g->m->vars[vi];
        if ((v->space != PTX_SPACE_SHARED && v->space != PTX_SPACE_SHARED_CTA) || v->unsized)
            continue;
        bool used = false;
        for (uint32_t i = 0; i < f->ninstrs && !used; i++) {
            const ptx_instr *ins = &f->instrs[i];
            for (uint32_t o = 0; o < ins->nops && !used; o++) {
                const ptx_operand *op = &ins->ops[o];
                used = (op->kind == PTX_OPND_SYMBOL || op->kind == PTX_OPND_ADDR) && op->symbol &&
                       strcmp(op->symbol, v->name) == 0;
            }
        }
        if (!used)
            continue;
        uint64_t al = v->align ? v->align : 1;
        off = (off + al - 1) / al * al;
        g->shared[g->nshared++] = (ocl_shared_slot){v->name, (uint32_t)off};
        off += v->size;
    }
    g->dynamic_shared_offset = (uint32_t)((off + 15) / 16 * 16);
    g->facts->static_shared_bytes = (uint32_t)off;
    g->local_bytes = (uint32_t)local;
    g->facts->local_bytes_per_thread = (uint32_t)local;
    return off < UINT32_MAX && local < UINT32_MAX;
}

char *gocl_kernel(const ptx_module *m, const char *name, const uint64_t *var_addr,
                  const gocl_options *opt, gocl_kernel_facts *facts, char *err, size_t errlen)
{
    memset(facts, 0, sizeof *facts);
    const ptx_function *f = ptx_find_function(m, name);
    if (!f || !f->is_entry || !f->has_body) {
        snprintf(err, errlen, "kernel %s is not in the module", name);
        return NULL;
    }
    ocl_gen g = {.m = m, .f = f, .var_addr = var_addr, .opt = opt, .facts = facts,
                 .err = err, .errlen = errlen};
    for (uint32_t p = 0; p < f->nparams; p++)
        if (f->params[p].offset + f->params[p].size > facts->param_bytes)
            facts->param_bytes = f->params[p].offset + f->params[p].size;
    if (!layout_shared(&g)) {
        snprintf(err, errlen, "out of memory translating kernel %s", name);
        free(g.shared);
        free(g.local_offset);
        return NULL;
    }
    /* Body first: it decides which extensions the kernel needs. */
    ocl_text body = {0};
    ocl_text saved = g.out;
    g.out = body;
    text_printf(&g.out, "__kernel void %s(__global uchar *arena, __global const uchar *params, "
                "__local uchar *smem, uint dynamic_smem_bytes)\n{\n", f->name);
    /* Always declared: generic accesses name it; unused, compilers drop it. */
    text_printf(&g.out, "uchar depot[%u] __attribute__((aligned(16)));\n",
                g.local_bytes > 16 ? g.local_bytes : 16);
    text_printf(&g.out, "const ulong smem_bytes = %uu + (ulong)dynamic_smem_bytes;\n",
                g.dynamic_shared_offset);
    for (uint32_t r = 0; r < f->nregs; r++) {
        const ptx_reg *reg = &f->regs[r];
        unsigned rs = reg_size(reg);
        text_printf(&g.out, "%s r%u = 0; /* %s */\n", rs == 0 ? "int" : bits_type(rs), r,
                    reg->name);
    }
    /* Control flow. Without barriers: one `switch` dispatch loop; `ret` returns.
     * With barriers, OpenCL compilers that run work-items in loops between barriers
     * (PoCL) need every barrier() reached by all work-items the same number of times,
     * at top level of a loop whose exit is uniform (a barrier inside the dispatch loop,
     * or a loop left before its barrier, crashes PoCL's work-group code or computes
     * wrong results). So the outer loop runs once per barrier interval: the inner
     * dispatch loop runs the PTX of one interval and holds no barrier; bar.sync leaves
     * it, the outer loop calls barrier(). A work-item that returned keeps taking part
     * in the barriers (CUDA counts exited threads as arrived) until all have returned,
     * which a __local counter read between two barriers tells every work-item at once. */
    bool has_barrier = false;
    for (uint32_t i = 0; i < f->ninstrs; i++)
        has_barrier |= strcmp(f->instrs[i].opcode, "bar") == 0 ||
                       strcmp(f->instrs[i].opcode, "barrier") == 0;
    g.structured_barriers = has_barrier;
    text_printf(&g.out, "(void)smem_bytes; (void)depot; (void)smem; (void)params;\nint st = 0;\n");
    if (has_barrier)
        text_printf(&g.out, "__local uint ocl_exited;\nint exited = 0;\n"
                    "const uint ocl_threads = (uint)(get_local_size(0) * get_local_size(1) * "
                    "get_local_size(2));\n"
                    "if (ocl_linear_tid() == 0)\nocl_exited = 0;\n"
                    "barrier(CLK_LOCAL_MEM_FENCE);\n"
                    "for (;;) {\nif (!exited) {\n");
    text_printf(&g.out, "for (;;) {\nswitch (st) {\ncase 0:\n");
    int32_t region_case = label_case((int32_t)f->nlabels);
    for (uint32_t i = 0; i < f->ninstrs && !g.failed; i++) {
        for (uint32_t l = 0; l < f->nlabels; l++)
            if (f->labels[l].instr == i)
                text_printf(&g.out, "case %d:\n", label_case((int32_t)l));
        g.ins = &f->instrs[i];
        g.next_region_case = region_case;
        emit_instr(&g);
        if (strcmp(g.ins->opcode, "bar") == 0 || strcmp(g.ins->opcode, "barrier") == 0)
            text_printf(&g.out, "case %d:\n", region_case++);
    }
    g.ins = NULL;
    for (uint32_t l = 0; l < f->nlabels; l++)
        if (f->labels[l].instr >= f->ninstrs)
            text_printf(&g.out, "case %d:\n", label_case((int32_t)l));
    if (!has_barrier) {
        text_printf(&g.out, "default: return;\n}\n}\n}\n");
    } else {
        text_printf(&g.out, "default: st = -1; break;\n}\nbreak;\n}\n"
                    "if (st == -1) {\nexited = 1;\natomic_inc(&ocl_exited);\n}\n}\n"
                    "barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);\n"
                    "uint ocl_done = ocl_exited;\n"
                    "barrier(CLK_LOCAL_MEM_FENCE);\n"
                    "if (ocl_done == ocl_threads)\nbreak;\n}\n}\n");
    }
    body = g.out;
    g.out = saved;
    if (!g.failed && facts->uses_fp64 && !opt->device_fp64)
        snprintf(err, errlen, "kernel %s uses double precision and the OpenCL device lacks "
                 "cl_khr_fp64", name), g.failed = true;
    if (!g.failed && facts->uses_int64_extended_atomics && !opt->device_int64_extended_atomics)
        snprintf(err, errlen, "kernel %s uses 64-bit atomic min/max/and/or/xor and the OpenCL "
                 "device lacks cl_khr_int64_extended_atomics", name), g.failed = true;
    if (!g.failed && facts->uses_int64_atomics && !opt->device_int64_atomics)
        snprintf(err, errlen, "kernel %s uses 64-bit atomics and the OpenCL device lacks "
                 "cl_khr_int64_base_atomics", name), g.failed = true;
    char *result = NULL;
    if (!g.failed && !body.oom) {
        ocl_text all = {0};
        text_printf(&all, "/* OpenCL C for kernel %s, translated from PTX by cushim */\n", name);
        if (facts->uses_fp64)
            text_printf(&all, "%s", prelude_fp64);
        if (facts->uses_int64_atomics)
            text_printf(&all, "%s", prelude_atom64);
        if (facts->uses_int64_extended_atomics)
            text_printf(&all, "#pragma OPENCL EXTENSION cl_khr_int64_extended_atomics : enable\n");
        text_printf(&all, prelude, (uint64_t)GOCL_ARENA_BASE, opt->arena_bytes,
                    (uint64_t)GOCL_SHARED_WINDOW, (uint64_t)GOCL_LOCAL_WINDOW);
        text_printf(&all, "%s", body.buf);
        if (all.oom) {
            free(all.buf);
            snprintf(err, errlen, "out of memory translating kernel %s", name);
        } else {
            result = all.buf;
        }
    } else if (!g.failed) {
        snprintf(err, errlen, "out of memory translating kernel %s", name);
    }
    free(body.buf);
    free(g.shared);
    free(g.local_offset);
    return result;
}
