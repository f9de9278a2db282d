/* gen_c_ops.c: C code for each PTX instruction (arithmetic, conversions, memory,
 * atomics, control flow, calls, barriers and warp collectives) for the CPU fallback.
 * Every emitter either produces C with PTX semantics or fails naming why: the same
 * code decides cgen_supports() (check_only) and generation, so they never disagree. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translate/gen_c_internal.h"

#define E(...) cgen_buf_printf(F->b, __VA_ARGS__)
#define X 512 /* operand text buffer size */

_Thread_local bool cgen_truncated;

void cgen_fmt(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(out, n, fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= n)
        cgen_truncated = true;
}

bool cgen_fail(cgen_fn *F, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(F->whybuf, sizeof F->whybuf, fmt, ap);
    va_end(ap);
    F->why = F->whybuf;
    return false;
}

static bool has(const ptx_instr *ins, const char *mod)
{
    for (unsigned i = 0; i < ins->nmods; i++)
        if (strcmp(ins->mods[i], mod) == 0)
            return true;
    return false;
}

static ptx_type ty(const ptx_instr *ins, unsigned i)
{
    return i < ins->ntypes ? ins->types[i] : PTX_TYPE_NONE;
}

static bool is_int_type(ptx_type t)
{
    switch (t) {
    case PTX_B8: case PTX_B16: case PTX_B32: case PTX_B64:
    case PTX_U8: case PTX_U16: case PTX_U32: case PTX_U64:
    case PTX_S8: case PTX_S16: case PTX_S32: case PTX_S64:
        return true;
    default:
        return false;
    }
}

static bool is_half(ptx_type t) { return t == PTX_F16 || t == PTX_BF16; }
static bool is_half2(ptx_type t) { return t == PTX_F16X2 || t == PTX_BF16X2; }

/* ---- operands --------------------------------------------------------------------- */

cgen_ctype cgen_ctype_of(ptx_type t)
{
    switch (t) {
    case PTX_PRED: return CT_PRED;
    case PTX_B8: case PTX_U8: case PTX_S8: return CT_U8;
    case PTX_B16: case PTX_U16: case PTX_S16: case PTX_F16: case PTX_BF16:
    case PTX_E4M3X2: case PTX_E5M2X2: return CT_U16;
    case PTX_B32: case PTX_U32: case PTX_S32: case PTX_F16X2: case PTX_BF16X2: return CT_U32;
    case PTX_TF32: return CT_U32;
    case PTX_B64: case PTX_U64: case PTX_S64: return CT_U64;
    case PTX_TEXREF: case PTX_SAMPLERREF: case PTX_SURFREF: return CT_U64;
    case PTX_F32: return CT_F32;
    case PTX_F64: return CT_F64;
    default: return CT_BAD;
    }
}

const char *cgen_ctype_name(cgen_ctype c)
{
    static const char *const names[] = { "uint8_t", "uint8_t", "uint16_t", "uint32_t",
                                         "uint64_t", "float", "double", "?" };
    return names[c <= CT_BAD ? c : CT_BAD];
}

static unsigned ct_size(cgen_ctype c)
{
    static const unsigned s[] = { 1, 1, 2, 4, 8, 4, 8, 0 };
    return s[c <= CT_BAD ? c : CT_BAD];
}

static const char *signed_name(unsigned size)
{
    return size == 1 ? "int8_t" : size == 2 ? "int16_t" : size == 4 ? "int32_t" : "int64_t";
}

/* C expression converting `e` (class `from`, PTX meaning `fromt`) to class `to`:
 * integers truncate or extend (sign-extending when `fromt` is signed), and integer <->
 * float of different classes reinterpret bits, as PTX's relaxed type rules do. */
static void conv(cgen_ctype from, ptx_type fromt, cgen_ctype to, const char *e, char *out,
                 size_t n)
{
    const char *tn = cgen_ctype_name(to);
    if (from == to) {
        cgen_fmt(out, n, "%s", e);
        return;
    }
    if (to == CT_PRED) {
        cgen_fmt(out, n, "((%s) != 0)", e);
        return;
    }
    if (to >= CT_U8 && to <= CT_U64) {
        if (from == CT_F32)
            cgen_fmt(out, n, "((%s)cg_b32(%s))", tn, e);
        else if (from == CT_F64)
            cgen_fmt(out, n, "((%s)cg_b64(%s))", tn, e);
        else if (ptx_type_is_signed(fromt) && ct_size(from) < ct_size(to))
            cgen_fmt(out, n, "((%s)(int64_t)(%s)(%s))", tn, signed_name(ct_size(from)), e);
        else
            cgen_fmt(out, n, "((%s)(%s))", tn, e);
        return;
    }
    if (to == CT_F32) {
        if (from == CT_F64)
            cgen_fmt(out, n, "cg_f32((uint32_t)cg_b64(%s))", e);
        else
            cgen_fmt(out, n, "cg_f32((uint32_t)(%s))", e);
        return;
    }
    if (from == CT_F32)
        cgen_fmt(out, n, "cg_f64((uint64_t)cg_b32(%s))", e);
    else
        cgen_fmt(out, n, "cg_f64((uint64_t)(%s))", e);
}

static void flt32_lit(uint32_t bits, char *out, size_t n)
{
    float f;
    memcpy(&f, &bits, 4);
    if (isfinite(f))
        cgen_fmt(out, n, "(%af)", (double)f);
    else
        cgen_fmt(out, n, "cg_f32(0x%08" PRIx32 "u)", bits);
}

static void flt64_lit(uint64_t bits, char *out, size_t n)
{
    double d;
    memcpy(&d, &bits, 8);
    if (isfinite(d))
        cgen_fmt(out, n, "(%a)", d);
    else
        cgen_fmt(out, n, "cg_f64(UINT64_C(0x%016" PRIx64 "))", bits);
}

static bool imm_read(cgen_fn *F, const ptx_operand *op, ptx_type t, char *out, size_t n)
{
    cgen_ctype c = cgen_ctype_of(t);
    if (op->kind == PTX_OPND_IMM_INT) {
        uint64_t v = (uint64_t)op->imm_int;
        switch (c) {
        case CT_PRED: cgen_fmt(out, n, "%d", v != 0); return true;
        case CT_U8: cgen_fmt(out, n, "((uint8_t)0x%x)", (unsigned)(v & 0xff)); return true;
        case CT_U16: cgen_fmt(out, n, "((uint16_t)0x%x)", (unsigned)(v & 0xffff)); return true;
        case CT_U32: cgen_fmt(out, n, "0x%" PRIx32 "u", (uint32_t)v); return true;
        case CT_U64: cgen_fmt(out, n, "UINT64_C(0x%" PRIx64 ")", v); return true;
        case CT_F32: { float f = (float)op->imm_int; uint32_t b; memcpy(&b, &f, 4); flt32_lit(b, out, n); return true; }
        case CT_F64: { double d = (double)op->imm_int; uint64_t b; memcpy(&b, &d, 8); flt64_lit(b, out, n); return true; }
        default: return cgen_fail(F, "operand of type .%s", ptx_type_name(t));
        }
    }
    /* float immediate: 0f (f32 bits), 0d (f64 bits) or a decimal (double) */
    uint32_t b32;
    uint64_t b64;
    if (op->imm_is_f64) {
        double d;
        float f;
        b64 = op->imm_bits;
        memcpy(&d, &b64, 8);
        f = (float)d;
        memcpy(&b32, &f, 4);
    } else {
        float f;
        double d;
        b32 = (uint32_t)op->imm_bits;
        memcpy(&f, &b32, 4);
        d = f;
        memcpy(&b64, &d, 8);
    }
    switch (c) {
    case CT_F32: flt32_lit(b32, out, n); return true;
    case CT_F64: flt64_lit(b64, out, n); return true;
    case CT_U64: cgen_fmt(out, n, "UINT64_C(0x%" PRIx64 ")", op->imm_is_f64 ? b64 : b32); return true;
    case CT_U32: cgen_fmt(out, n, "0x%" PRIx32 "u", b32); return true;
    case CT_U16:
        if (t == PTX_F16 || t == PTX_BF16) {
            /* f16 immediates are exact in practice: convert with the same rule as cvt */
            char lit[64];
            flt32_lit(b32, lit, sizeof lit);
            cgen_fmt(out, n, "%s(%s)", t == PTX_F16 ? "cg_f2h" : "cg_f2bf", lit);
            return true;
        }
        cgen_fmt(out, n, "((uint16_t)0x%x)", (unsigned)(b32 & 0xffff));
        return true;
    default:
        return cgen_fail(F, "float immediate for a .%s operand", ptx_type_name(t));
    }
}

/* Special register as (C expression, class). */
static bool sreg_expr(cgen_fn *F, const ptx_operand *op, char *out, size_t n, cgen_ctype *cls)
{
    unsigned c = op->sreg_comp < 3 ? op->sreg_comp : 0;
    *cls = CT_U32;
    switch (op->sreg) {
    case PTX_SREG_TID: cgen_fmt(out, n, "cg_tid%u", c); break;
    /* locals of the prologue (CGEN_SREG_LOCALS): loads from ctx inside the thread loop
     * could alias device stores and would keep the loop from being optimised */
    case PTX_SREG_NTID: cgen_fmt(out, n, c < 3 ? "cg_ntid%u" : "ctx->ntid[%u]", c); break;
    case PTX_SREG_CTAID: cgen_fmt(out, n, c < 3 ? "cg_ctaid%u" : "ctx->ctaid[%u]", c); break;
    case PTX_SREG_NCTAID: cgen_fmt(out, n, c < 3 ? "cg_nctaid%u" : "ctx->nctaid[%u]", c); break;
    case PTX_SREG_LANEID: cgen_fmt(out, n, "(cg_t & 31u)"); break;
    case PTX_SREG_WARPID: cgen_fmt(out, n, "(cg_t >> 5)"); break;
    case PTX_SREG_NWARPID: cgen_fmt(out, n, "((ctx->nthreads + 31u) >> 5)"); break;
    case PTX_SREG_SMID: cgen_fmt(out, n, "ctx->smid"); break;
    case PTX_SREG_NSMID: cgen_fmt(out, n, "ctx->nsmid"); break;
    case PTX_SREG_GRIDID: cgen_fmt(out, n, "ctx->gridid"); *cls = CT_U64; break;
    case PTX_SREG_CLOCK: cgen_fmt(out, n, "((uint32_t)cg_nanotime())"); break;
    case PTX_SREG_CLOCK_HI: cgen_fmt(out, n, "((uint32_t)(cg_nanotime() >> 32))"); break;
    case PTX_SREG_CLOCK64: case PTX_SREG_GLOBALTIMER:
        cgen_fmt(out, n, "cg_nanotime()"); *cls = CT_U64; break;
    case PTX_SREG_GLOBALTIMER_LO: cgen_fmt(out, n, "((uint32_t)cg_nanotime())"); break;
    case PTX_SREG_GLOBALTIMER_HI: cgen_fmt(out, n, "((uint32_t)(cg_nanotime() >> 32))"); break;
    case PTX_SREG_LANEMASK_EQ: cgen_fmt(out, n, "(1u << (cg_t & 31u))"); break;
    case PTX_SREG_LANEMASK_LT: cgen_fmt(out, n, "((1u << (cg_t & 31u)) - 1u)"); break;
    case PTX_SREG_LANEMASK_LE: cgen_fmt(out, n, "((2u << (cg_t & 31u)) - 1u)"); break;
    case PTX_SREG_LANEMASK_GT: cgen_fmt(out, n, "(~((2u << (cg_t & 31u)) - 1u))"); break;
    case PTX_SREG_LANEMASK_GE: cgen_fmt(out, n, "(~((1u << (cg_t & 31u)) - 1u))"); break;
    case PTX_SREG_DYNAMIC_SMEM_SIZE: cgen_fmt(out, n, "ctx->dynamic_smem_bytes"); break;
    case PTX_SREG_TOTAL_SMEM_SIZE: case PTX_SREG_AGGR_SMEM_SIZE:
        cgen_fmt(out, n, "ctx->total_smem_bytes"); break;
    case PTX_SREG_ENVREG: cgen_fmt(out, n, "ctx->envreg[%u]", op->sreg_comp & 31u); break;
    /* A launch is one cluster per CTA: cluster registers follow from that. */
    case PTX_SREG_CLUSTERID: cgen_fmt(out, n, c < 3 ? "cg_ctaid%u" : "ctx->ctaid[%u]", c); break;
    case PTX_SREG_NCLUSTERID: cgen_fmt(out, n, c < 3 ? "cg_nctaid%u" : "ctx->nctaid[%u]", c); break;
    case PTX_SREG_CLUSTER_CTAID: case PTX_SREG_CLUSTER_CTARANK: case PTX_SREG_IS_EXPLICIT_CLUSTER:
        cgen_fmt(out, n, "0u"); break;
    case PTX_SREG_CLUSTER_NCTAID: case PTX_SREG_CLUSTER_NCTARANK: cgen_fmt(out, n, "1u"); break;
    case PTX_SREG_RESERVED_SMEM_OFFSET_BEGIN: cgen_fmt(out, n, "0u"); break;
    default:
        return cgen_fail(F, "special register %%%s is not supported", ptx_sreg_name(op->sreg));
    }
    return true;
}

static bool reg_name(cgen_fn *F, const ptx_operand *op, char *out, size_t n, cgen_ctype *cls,
                     ptx_type *rt)
{
    if (F->check_only) {
        cgen_fmt(out, n, "R0");
        *cls = CT_BAD;
        return true;
    }
    if (op->reg < 0 || (uint32_t)op->reg >= F->f->nregs)
        return cgen_fail(F, "bad register index");
    const ptx_reg *r = &F->f->regs[op->reg];
    *rt = r->type;
    *cls = cgen_ctype_of(r->type);
    if (*cls == CT_BAD)
        return cgen_fail(F, "register %s of type .%s", r->name, ptx_type_name(r->type));
    if (r->vec > 1) {
        if (op->reg_comp == 0xff)
            return cgen_fail(F, "vector register %s used whole", r->name);
        cgen_fmt(out, n, "R%d[%u]", op->reg, op->reg_comp);
    } else {
        cgen_fmt(out, n, "R%d", op->reg);
    }
    return true;
}

bool cgen_read(cgen_fn *F, const ptx_operand *op, ptx_type t, char *out, size_t n)
{
    cgen_ctype want = cgen_ctype_of(t);
    char e[X];
    cgen_ctype cls;
    ptx_type rt = t;
    if (want == CT_BAD)
        return cgen_fail(F, "operand type .%s", ptx_type_name(t));
    switch (op->kind) {
    case PTX_OPND_REG:
        if (!reg_name(F, op, e, sizeof e, &cls, &rt))
            return false;
        if (cls == CT_BAD) { /* check_only */
            cgen_fmt(out, n, "R0");
            return true;
        }
        if (op->negated) {
            char c[X];
            conv(cls, rt, CT_PRED, e, c, sizeof c);
            cgen_fmt(e, sizeof e, "(!%s)", c);
            cls = CT_PRED;
        }
        conv(cls, ptx_type_is_signed(t) ? t : rt, want, e, out, n);
        return true;
    case PTX_OPND_IMM_INT:
    case PTX_OPND_IMM_FLT:
        return imm_read(F, op, t, out, n);
    case PTX_OPND_SREG:
        if (!sreg_expr(F, op, e, sizeof e, &cls))
            return false;
        conv(cls, PTX_U32, want, e, out, n);
        return true;
    case PTX_OPND_SYMBOL:
        if (!cgen_symbol_value(F, op->symbol, e, sizeof e))
            return false;
        if (op->offset) {
            char s[X];
            cgen_fmt(s, sizeof s, "(%s + (uint64_t)(int64_t)%" PRId64 ")", e, op->offset);
            conv(CT_U64, PTX_U64, want, s, out, n);
        } else {
            conv(CT_U64, PTX_U64, want, e, out, n);
        }
        return true;
    case PTX_OPND_ADDR:
        /* `mov.u64 %rd, sym+8` may come through as an address without brackets */
        if (op->symbol && op->reg < 0) {
            if (!cgen_symbol_value(F, op->symbol, e, sizeof e))
                return false;
            char s[X];
            cgen_fmt(s, sizeof s, "(%s + (uint64_t)(int64_t)%" PRId64 ")", e, op->offset);
            conv(CT_U64, PTX_U64, want, s, out, n);
            return true;
        }
        return cgen_fail(F, "address operand where a value is expected");
    default:
        return cgen_fail(F, "unexpected operand kind %d", (int)op->kind);
    }
}

bool cgen_write(cgen_fn *F, const ptx_operand *dst, ptx_type vt, const char *value)
{
    char name[X], c[X * 2];
    cgen_ctype cls;
    ptx_type rt = vt;
    if (dst->kind == PTX_OPND_SINK) {
        E("(void)(%s);\n", value);
        return true;
    }
    if (dst->kind != PTX_OPND_REG)
        return cgen_fail(F, "destination is not a register");
    if (!reg_name(F, dst, name, sizeof name, &cls, &rt))
        return false;
    if (cls == CT_BAD) {
        E("(void)(%s);\n", value);
        return true;
    }
    conv(cgen_ctype_of(vt), vt, cls, value, c, sizeof c);
    E("%s = %s;\n", name, c);
    return true;
}

#define RD(dst, i, t) \
    do { if (ins->nops <= (unsigned)(i)) return cgen_fail(F, "missing operand"); \
         if (!cgen_read(F, &ins->ops[i], (t), dst, sizeof dst)) return false; } while (0)
#define WR(i, t, v) \
    do { if (ins->nops <= (unsigned)(i)) return cgen_fail(F, "missing operand"); \
         if (!cgen_write(F, &ins->ops[i], (t), (v))) return false; } while (0)
#define NOPS(k) \
    do { if (ins->nops != (k)) return cgen_fail(F, "expected %d operands", (k)); } while (0)

/* ---- float helpers ----------------------------------------------------------------- */

static int round_mode(const ptx_instr *ins)
{
    if (has(ins, "rz") || has(ins, "rzi")) return 1;
    if (has(ins, "rm") || has(ins, "rmi")) return 2;
    if (has(ins, "rp") || has(ins, "rpi")) return 3;
    return 0;
}

static const char *const mode_name[] = { "CG_RN", "CG_RZ", "CG_RM", "CG_RP" };

/* Apply a float operation to f16/bf16 (scalar or x2) by widening to float. `fmt` uses
 * %1$s..%3$s-free positional text: it receives the widened operands in order. */
static bool half_op(cgen_fn *F, const ptx_instr *ins, ptx_type T, unsigned nsrc,
                    const char *opname)
{
    char a[3][X], r[X * 4];
    bool bf = T == PTX_BF16 || T == PTX_BF16X2;
    const char *up = bf ? "cg_bf2f" : "cg_h2f", *down = bf ? "cg_f2bf" : "cg_f2h";
    ptx_type rt = is_half2(T) ? PTX_B32 : PTX_B16;
    bool sat = has(ins, "sat"), relu = has(ins, "relu");
    int mode = round_mode(ins);
    if (mode != 0)
        return cgen_fail(F, "rounding mode on .%s", ptx_type_name(T));
    for (unsigned i = 0; i < nsrc; i++)
        RD(a[i], 1 + i, rt);
    char lanes[2][X * 2];
    for (int h = 0; h < (is_half2(T) ? 2 : 1); h++) {
        char w[3][X];
        for (unsigned i = 0; i < nsrc; i++)
            cgen_fmt(w[i], X, "%s((uint16_t)(%s%s))", up, a[i], h ? " >> 16" : "");
        char e[X * 2];
        if (strcmp(opname, "add") == 0) cgen_fmt(e, sizeof e, "(%s + %s)", w[0], w[1]);
        else if (strcmp(opname, "sub") == 0) cgen_fmt(e, sizeof e, "(%s - %s)", w[0], w[1]);
        else if (strcmp(opname, "mul") == 0) cgen_fmt(e, sizeof e, "(%s * %s)", w[0], w[1]);
        else if (strcmp(opname, "fma") == 0)
            cgen_fmt(e, sizeof e, "(float)fma((double)%s, (double)%s, (double)%s)", w[0], w[1], w[2]);
        else if (strcmp(opname, "min") == 0) cgen_fmt(e, sizeof e, "cg_minf(%s, %s)", w[0], w[1]);
        else if (strcmp(opname, "max") == 0) cgen_fmt(e, sizeof e, "cg_maxf(%s, %s)", w[0], w[1]);
        else if (strcmp(opname, "neg") == 0) cgen_fmt(e, sizeof e, "(-%s)", w[0]);
        else if (strcmp(opname, "abs") == 0) cgen_fmt(e, sizeof e, "fabsf(%s)", w[0]);
        else return cgen_fail(F, "%s on .%s", opname, ptx_type_name(T));
        if (sat) {
            char s[X * 2];
            cgen_fmt(s, sizeof s, "cg_sat32(%s)", e);
            strcpy(e, s);
        }
        if (relu) {
            char s[X * 2];
            cgen_fmt(s, sizeof s, "cg_maxf(%s, 0.0f)", e);
            strcpy(e, s);
        }
        /* neg/abs act on the sign bit only (NaN payloads kept) */
        if (strcmp(opname, "neg") == 0)
            cgen_fmt(lanes[h], sizeof lanes[h], "((uint16_t)(%s%s) ^ 0x8000u)", a[0], h ? " >> 16" : "");
        else if (strcmp(opname, "abs") == 0)
            cgen_fmt(lanes[h], sizeof lanes[h], "((uint16_t)(%s%s) & 0x7fffu)", a[0], h ? " >> 16" : "");
        else
            cgen_fmt(lanes[h], sizeof lanes[h], "%s(%s)", down, e);
    }
    if (is_half2(T))
        cgen_fmt(r, sizeof r, "((uint32_t)(uint16_t)%s | ((uint32_t)(uint16_t)%s << 16))", lanes[0], lanes[1]);
    else
        cgen_fmt(r, sizeof r, "((uint16_t)%s)", lanes[0]);
    WR(0, rt, r);
    return true;
}

static void wrap_ftz(bool ftz, char *e, size_t n)
{
    if (!ftz)
        return;
    char t[X * 2];
    cgen_fmt(t, sizeof t, "cg_ftz32(%s)", e);
    cgen_fmt(e, n, "%s", t);
}

/* add sub mul fma mad div min max (float). */
static bool emit_float_arith(cgen_fn *F, const ptx_instr *ins, const char *op, ptx_type T)
{
    if (is_half(T) || is_half2(T))
        return half_op(F, ins, T, strcmp(op, "fma") == 0 || strcmp(op, "mad") == 0 ? 3 : 2,
                       strcmp(op, "mad") == 0 ? "fma" : op);
    bool f32 = T == PTX_F32, ftz = f32 && has(ins, "ftz"), sat = has(ins, "sat");
    int mode = round_mode(ins);
    unsigned nsrc = (strcmp(op, "fma") == 0 || strcmp(op, "mad") == 0) ? 3 : 2;
    char a[3][X], e[X * 4];
    NOPS(1 + nsrc);
    for (unsigned i = 0; i < nsrc; i++) {
        RD(a[i], 1 + i, T);
        wrap_ftz(ftz, a[i], X);
    }
    const char *w = f32 ? "32" : "64";
    if (strcmp(op, "min") == 0 || strcmp(op, "max") == 0) {
        if (has(ins, "xorsign") || has(ins, "abs"))
            return cgen_fail(F, "%s.xorsign.abs", op);
        bool nan = has(ins, "NaN");
        if (f32)
            cgen_fmt(e, sizeof e, "cg_%sf%s(%s, %s)", op, nan ? "_nan" : "", a[0], a[1]);
        else if (nan)
            return cgen_fail(F, "%s.NaN.f64", op);
        else
            cgen_fmt(e, sizeof e, "cg_%sd(%s, %s)", op, a[0], a[1]);
    } else if (nsrc == 3) {
        if (mode == 0)
            cgen_fmt(e, sizeof e, "%s(%s, %s, %s)", f32 ? "fmaf" : "fma", a[0], a[1], a[2]);
        else
            cgen_fmt(e, sizeof e, "cg_fmar%s(%s, %s, %s, %s)", w, mode_name[mode], a[0], a[1], a[2]);
    } else if (strcmp(op, "div") == 0) {
        /* .approx and .full are within 2 ulp on the GPU: the exact quotient is too */
        if (mode == 0)
            cgen_fmt(e, sizeof e, "(%s / %s)", a[0], a[1]);
        else
            cgen_fmt(e, sizeof e, "cg_divr%s(%s, %s, %s, 0)", w, mode_name[mode], a[0], a[1]);
    } else {
        const char *sym = strcmp(op, "add") == 0 ? "+" : strcmp(op, "sub") == 0 ? "-" : "*";
        if (mode == 0)
            cgen_fmt(e, sizeof e, "(%s %s %s)", a[0], sym, a[1]);
        else
            cgen_fmt(e, sizeof e, "cg_%sr%s(%s, %s, %s, 0)", op, w, mode_name[mode], a[0], a[1]);
    }
    if (sat) {
        char s[X * 4];
        cgen_fmt(s, sizeof s, "cg_sat%s(%s)", w, e);
        strcpy(e, s);
    }
    wrap_ftz(ftz, e, sizeof e);
    WR(0, T, e);
    return true;
}

/* One-operand float functions. */
static bool emit_float_unary(cgen_fn *F, const ptx_instr *ins, const char *op, ptx_type T)
{
    if (is_half(T) || is_half2(T)) {
        if (strcmp(op, "neg") == 0 || strcmp(op, "abs") == 0)
            return half_op(F, ins, T, 1, op);
        return cgen_fail(F, "%s.%s", op, ptx_type_name(T));
    }
    if (T != PTX_F32 && T != PTX_F64)
        return cgen_fail(F, "%s.%s", op, ptx_type_name(T));
    bool f32 = T == PTX_F32, ftz = f32 && has(ins, "ftz");
    int mode = round_mode(ins);
    char a[X], e[X * 2];
    NOPS(2);
    RD(a, 1, T);
    wrap_ftz(ftz, a, sizeof a);
    const char *s = f32 ? "f" : "";
    if (strcmp(op, "neg") == 0) cgen_fmt(e, sizeof e, "(-%s)", a);
    else if (strcmp(op, "abs") == 0) cgen_fmt(e, sizeof e, "fabs%s(%s)", s, a);
    else if (strcmp(op, "sqrt") == 0) {
        if (mode == 0) cgen_fmt(e, sizeof e, "sqrt%s(%s)", s, a);
        else cgen_fmt(e, sizeof e, "cg_sqrtr%s(%s, %s, 0, 0)", f32 ? "32" : "64", mode_name[mode], a);
    } else if (strcmp(op, "rcp") == 0) {
        if (mode == 0) cgen_fmt(e, sizeof e, "(1.0%s / %s)", s, a);
        else cgen_fmt(e, sizeof e, "cg_divr%s(%s, 1.0%s, %s, 0)", f32 ? "32" : "64", mode_name[mode], s, a);
    } else if (strcmp(op, "rsqrt") == 0) cgen_fmt(e, sizeof e, "(1.0%s / sqrt%s(%s))", s, s, a);
    else if (strcmp(op, "sin") == 0) cgen_fmt(e, sizeof e, "sin%s(%s)", s, a);
    else if (strcmp(op, "cos") == 0) cgen_fmt(e, sizeof e, "cos%s(%s)", s, a);
    else if (strcmp(op, "lg2") == 0) cgen_fmt(e, sizeof e, "log2%s(%s)", s, a);
    else if (strcmp(op, "ex2") == 0) cgen_fmt(e, sizeof e, "exp2%s(%s)", s, a);
    else if (strcmp(op, "tanh") == 0) cgen_fmt(e, sizeof e, "tanh%s(%s)", s, a);
    else return cgen_fail(F, "%s.%s", op, ptx_type_name(T));
    if (has(ins, "sat")) {
        char t[X * 2];
        cgen_fmt(t, sizeof t, "cg_sat%s(%s)", f32 ? "32" : "64", e);
        strcpy(e, t);
    }
    wrap_ftz(ftz, e, sizeof e);
    WR(0, T, e);
    return true;
}

/* ---- integer ---------------------------------------------------------------------- */

static unsigned bits_of(ptx_type t) { return ptx_type_size(t) * 8; }

/* `a OP b` wrapping in the width of T (promotion of narrow types to int is avoided). */
static void int_bin(ptx_type T, const char *a, const char *op, const char *b, char *out, size_t n)
{
    unsigned s = ptx_type_size(T);
    if (s >= 4)
        cgen_fmt(out, n, "(%s %s %s)", a, op, b);
    else
        cgen_fmt(out, n, "((%s)((uint32_t)%s %s (uint32_t)%s))", cgen_ctype_name(cgen_ctype_of(T)), a, op, b);
}

static bool emit_int_arith(cgen_fn *F, const ptx_instr *ins, const char *op, ptx_type T)
{
    char a[X], b[X], c[X], e[X * 4];
    unsigned nb = bits_of(T);
    bool sgn = ptx_type_is_signed(T);
    const char *tn = cgen_ctype_name(cgen_ctype_of(T));
    if (nb < 16 || nb > 64)
        return cgen_fail(F, "%s.%s", op, ptx_type_name(T));
    if (strcmp(op, "add") == 0 || strcmp(op, "sub") == 0 || strcmp(op, "addc") == 0 ||
        strcmp(op, "subc") == 0) {
        bool sub = op[0] == 's', cin = op[3] == 'c', cc = has(ins, "cc");
        NOPS(3);
        RD(a, 1, T);
        RD(b, 2, T);
        if (has(ins, "sat")) {
            if (T != PTX_S32 || cin || cc)
                return cgen_fail(F, "%s.sat.%s", op, ptx_type_name(T));
            cgen_fmt(e, sizeof e, "cg_sats32((int64_t)(int32_t)%s %s (int64_t)(int32_t)%s)", a, sub ? "-" : "+", b);
            WR(0, T, e);
            return true;
        }
        if ((cin || cc) && nb < 32)
            return cgen_fail(F, "%s with carry on .%s", op, ptx_type_name(T));
        if (cin || cc) {
            /* CC.CF is the carry out of add and the borrow out of sub */
            E("{ %s cg_a = %s, cg_b = %s, cg_r = cg_a %s cg_b%s;\n", tn, a, b, sub ? "-" : "+",
              cin ? (sub ? " - cg_cc" : " + cg_cc") : "");
            if (cc) {
                if (sub)
                    E("cg_cc = (cg_a < cg_b) || (%s && cg_a == cg_b);\n", cin ? "cg_cc" : "0");
                else
                    E("cg_cc = (cg_r < cg_a) || (%s && cg_r == cg_a && cg_b != 0);\n", cin ? "cg_cc" : "0");
            }
            if (!cgen_write(F, &ins->ops[0], T, "cg_r"))
                return false;
            E("}\n");
            return true;
        }
        int_bin(T, a, sub ? "-" : "+", b, e, sizeof e);
        WR(0, T, e);
        return true;
    }
    if (strcmp(op, "mul") == 0 || strcmp(op, "mad") == 0 || strcmp(op, "mul24") == 0 ||
        strcmp(op, "mad24") == 0 || strcmp(op, "madc") == 0) {
        bool mad = op[1] == 'a', is24 = strstr(op, "24") != NULL;
        bool hi = has(ins, "hi"), wide = has(ins, "wide");
        NOPS(mad ? 4 : 3);
        RD(a, 1, T);
        RD(b, 2, T);
        ptx_type RT = T;
        if (is24) {
            if (nb != 32 || wide)
                return cgen_fail(F, "%s.%s", op, ptx_type_name(T));
            cgen_fmt(e, sizeof e, "cg_mul24%s(%s, %s, %d)", sgn ? "s" : "u", a, b, hi);
        } else if (wide) {
            if (nb == 64)
                return cgen_fail(F, "%s.wide.%s", op, ptx_type_name(T));
            RT = nb == 16 ? (sgn ? PTX_S32 : PTX_U32) : (sgn ? PTX_S64 : PTX_U64);
            if (nb == 16)
                cgen_fmt(e, sizeof e, sgn ? "((uint32_t)((int32_t)(int16_t)%s * (int32_t)(int16_t)%s))"
                                          : "((uint32_t)%s * (uint32_t)%s)", a, b);
            else
                cgen_fmt(e, sizeof e, sgn ? "((uint64_t)((int64_t)(int32_t)%s * (int64_t)(int32_t)%s))"
                                          : "((uint64_t)%s * (uint64_t)%s)", a, b);
        } else if (hi) {
            cgen_fmt(e, sizeof e, "cg_mulhi%s%u(%s, %s)", sgn ? "s" : "u", nb, a, b);
        } else {
            int_bin(T, a, "*", b, e, sizeof e);
        }
        if (mad) {
            bool cin = strcmp(op, "madc") == 0, cc = has(ins, "cc");
            RD(c, 3, RT);
            if (has(ins, "sat")) {
                if (!(hi && T == PTX_S32) || cin || cc)
                    return cgen_fail(F, "%s.sat", op);
                char s[X * 4];
                cgen_fmt(s, sizeof s, "cg_sats32((int64_t)(int32_t)%s + (int64_t)(int32_t)%s)", e, c);
                WR(0, RT, s);
                return true;
            }
            if (cin || cc) {
                const char *rn = cgen_ctype_name(cgen_ctype_of(RT));
                if (bits_of(RT) < 32)
                    return cgen_fail(F, "%s with carry on .%s", op, ptx_type_name(T));
                E("{ %s cg_p = %s, cg_c = %s, cg_r = cg_p + cg_c%s;\n", rn, e, c, cin ? " + cg_cc" : "");
                if (cc)
                    E("cg_cc = (cg_r < cg_p) || (%s && cg_r == cg_p && cg_c != 0);\n", cin ? "cg_cc" : "0");
                if (!cgen_write(F, &ins->ops[0], RT, "cg_r"))
                    return false;
                E("}\n");
                return true;
            }
            char s[X * 4];
            int_bin(RT, e, "+", c, s, sizeof s);
            WR(0, RT, s);
            return true;
        }
        WR(0, RT, e);
        return true;
    }
    if (strcmp(op, "sad") == 0) {
        NOPS(4);
        RD(a, 1, T);
        RD(b, 2, T);
        RD(c, 3, T);
        if (sgn)
            cgen_fmt(e, sizeof e, "((%s)(%s + ((%s)%s > (%s)%s ? (%s)(%s - %s) : (%s)(%s - %s))))", tn, c,
                     signed_name(nb / 8), a, signed_name(nb / 8), b, tn, a, b, tn, b, a);
        else
            cgen_fmt(e, sizeof e, "((%s)(%s + (%s > %s ? (%s)(%s - %s) : (%s)(%s - %s))))", tn, c, a, b, tn, a, b, tn, b, a);
        WR(0, T, e);
        return true;
    }
    if (strcmp(op, "div") == 0 || strcmp(op, "rem") == 0) {
        NOPS(3);
        RD(a, 1, T);
        RD(b, 2, T);
        cgen_fmt(e, sizeof e, "cg_%s%s%u(%s, %s)", op, sgn ? "s" : "u", nb, a, b);
        WR(0, T, e);
        return true;
    }
    if (strcmp(op, "min") == 0 || strcmp(op, "max") == 0) {
        NOPS(3);
        RD(a, 1, T);
        RD(b, 2, T);
        const char *cmp = op[1] == 'i' ? "<" : ">";
        if (sgn)
            cgen_fmt(e, sizeof e, "((%s)%s %s (%s)%s ? %s : %s)", signed_name(nb / 8), a, cmp, signed_name(nb / 8), b, a, b);
        else
            cgen_fmt(e, sizeof e, "(%s %s %s ? %s : %s)", a, cmp, b, a, b);
        if (has(ins, "relu")) {
            char s[X * 4];
            cgen_fmt(s, sizeof s, "((%s)%s < 0 ? (%s)0 : %s)", signed_name(nb / 8), e, tn, e);
            strcpy(e, s);
        }
        WR(0, T, e);
        return true;
    }
    if (strcmp(op, "abs") == 0 || strcmp(op, "neg") == 0) {
        NOPS(2);
        RD(a, 1, T);
        if (op[0] == 'n')
            cgen_fmt(e, sizeof e, "((%s)(0u - %s))", tn, a);
        else
            cgen_fmt(e, sizeof e, "((%s)%s < 0 ? (%s)(0u - %s) : %s)", signed_name(nb / 8), a, tn, a, a);
        WR(0, T, e);
        return true;
    }
    return cgen_fail(F, "%s.%s", op, ptx_type_name(T));
}

static bool emit_logic(cgen_fn *F, const ptx_instr *ins, const char *op, ptx_type T)
{
    char a[X], b[X], e[X * 3];
    bool pred = T == PTX_PRED;
    if (!pred && !is_int_type(T))
        return cgen_fail(F, "%s.%s", op, ptx_type_name(T));
    if (strcmp(op, "not") == 0 || strcmp(op, "cnot") == 0) {
        NOPS(2);
        RD(a, 1, T);
        if (op[0] == 'c' || pred)
            cgen_fmt(e, sizeof e, "(%s == 0)", a);
        else
            cgen_fmt(e, sizeof e, "((%s)~%s)", cgen_ctype_name(cgen_ctype_of(T)), a);
        WR(0, T, e);
        return true;
    }
    NOPS(3);
    RD(a, 1, T);
    RD(b, 2, T);
    const char *s = op[0] == 'a' ? "&" : op[0] == 'o' ? "|" : "^";
    if (pred)
        cgen_fmt(e, sizeof e, "(%s %s %s)", a, s, b);
    else
        int_bin(T, a, s, b, e, sizeof e);
    WR(0, T, e);
    return true;
}

static bool emit_shift(cgen_fn *F, const ptx_instr *ins, const char *op, ptx_type T)
{
    char a[X], b[X], e[X * 3];
    unsigned nb = bits_of(T);
    if (!is_int_type(T) || nb < 16)
        return cgen_fail(F, "%s.%s", op, ptx_type_name(T));
    NOPS(3);
    RD(a, 1, T);
    RD(b, 2, PTX_U32);
    if (strcmp(op, "shl") == 0)
        cgen_fmt(e, sizeof e, "cg_shl%u(%s, %s)", nb, a, b);
    else
        cgen_fmt(e, sizeof e, "cg_shr%s%u(%s, %s)", ptx_type_is_signed(T) ? "s" : "u", nb, a, b);
    WR(0, T, e);
    return true;
}

static bool emit_bits(cgen_fn *F, const ptx_instr *ins, const char *op, ptx_type T)
{
    char a[X], b[X], c[X], d[X], e[X * 4];
    unsigned nb = bits_of(T);
    bool sgn = ptx_type_is_signed(T);
    if (!is_int_type(T) || nb < 32)
        return cgen_fail(F, "%s.%s", op, ptx_type_name(T));
    if (strcmp(op, "popc") == 0 || strcmp(op, "clz") == 0) {
        NOPS(2);
        RD(a, 1, T);
        cgen_fmt(e, sizeof e, "cg_%s%u(%s)", op, nb, a);
        WR(0, PTX_U32, e);
        return true;
    }
    if (strcmp(op, "brev") == 0) {
        NOPS(2);
        RD(a, 1, T);
        cgen_fmt(e, sizeof e, "cg_brev%u(%s)", nb, a);
        WR(0, T, e);
        return true;
    }
    if (strcmp(op, "bfind") == 0) {
        NOPS(2);
        RD(a, 1, T);
        cgen_fmt(e, sizeof e, "cg_bfind((uint64_t)%s%s, %u, %d, %d)", sgn ? (nb == 32 ? "(int64_t)(int32_t)" : "") : "",
                 a, nb, sgn, has(ins, "shiftamt"));
        WR(0, PTX_U32, e);
        return true;
    }
    if (strcmp(op, "bfe") == 0) {
        NOPS(4);
        RD(a, 1, T);
        RD(b, 2, PTX_U32);
        RD(c, 3, PTX_U32);
        cgen_fmt(e, sizeof e, "((%s)cg_bfe(%s, %s, %s, %u, %d))", cgen_ctype_name(cgen_ctype_of(T)), a, b, c, nb, sgn);
        WR(0, T, e);
        return true;
    }
    if (strcmp(op, "bfi") == 0) {
        NOPS(5);
        RD(a, 1, T);
        RD(b, 2, T);
        RD(c, 3, PTX_U32);
        RD(d, 4, PTX_U32);
        cgen_fmt(e, sizeof e, "((%s)cg_bfi(%s, %s, %s, %s, %u))", cgen_ctype_name(cgen_ctype_of(T)), a, b, c, d, nb);
        WR(0, T, e);
        return true;
    }
    return cgen_fail(F, "%s.%s", op, ptx_type_name(T));
}

/* ---- compare / select --------------------------------------------------------------- */

static bool cmp_expr(cgen_fn *F, const char *cmp, ptx_type T, bool ftz, const char *a0,
                     const char *b0, char *out, size_t n)
{
    char a[X], b[X];
    bool flt = ptx_type_is_float(T);
    if (T == PTX_F16 || T == PTX_BF16) {
        cgen_fmt(a, sizeof a, "%s(%s)", T == PTX_F16 ? "cg_h2f" : "cg_bf2f", a0);
        cgen_fmt(b, sizeof b, "%s(%s)", T == PTX_F16 ? "cg_h2f" : "cg_bf2f", b0);
    } else if (flt && T != PTX_F32 && T != PTX_F64) {
        return cgen_fail(F, "compare of .%s", ptx_type_name(T));
    } else if (ftz) {
        cgen_fmt(a, sizeof a, "cg_ftz32(%s)", a0);
        cgen_fmt(b, sizeof b, "cg_ftz32(%s)", b0);
    } else if (!flt && ptx_type_is_signed(T)) {
        const char *s = signed_name(ptx_type_size(T));
        cgen_fmt(a, sizeof a, "(%s)%s", s, a0);
        cgen_fmt(b, sizeof b, "(%s)%s", s, b0);
    } else {
        cgen_fmt(a, sizeof a, "%s", a0);
        cgen_fmt(b, sizeof b, "%s", b0);
    }
    static const struct { const char *name, *ifmt, *ffmt; } ops[] = {
        { "eq", "(%1$s == %2$s)", "(%1$s == %2$s)" },
        { "ne", "(%1$s != %2$s)", "(%1$s == %1$s && %2$s == %2$s && %1$s != %2$s)" },
        { "lt", "(%1$s < %2$s)", "(%1$s < %2$s)" },
        { "le", "(%1$s <= %2$s)", "(%1$s <= %2$s)" },
        { "gt", "(%1$s > %2$s)", "(%1$s > %2$s)" },
        { "ge", "(%1$s >= %2$s)", "(%1$s >= %2$s)" },
        { "lo", "(%1$s < %2$s)", NULL },
        { "ls", "(%1$s <= %2$s)", NULL },
        { "hi", "(%1$s > %2$s)", NULL },
        { "hs", "(%1$s >= %2$s)", NULL },
        { "equ", NULL, "!(%1$s < %2$s || %1$s > %2$s)" },
        { "neu", NULL, "(%1$s != %2$s)" },
        { "ltu", NULL, "!(%1$s >= %2$s)" },
        { "leu", NULL, "!(%1$s > %2$s)" },
        { "gtu", NULL, "!(%1$s <= %2$s)" },
        { "geu", NULL, "!(%1$s < %2$s)" },
        { "num", NULL, "(%1$s == %1$s && %2$s == %2$s)" },
        { "nan", NULL, "(%1$s != %1$s || %2$s != %2$s)" },
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(cmp, ops[i].name) != 0)
            continue;
        const char *fmt = flt ? ops[i].ffmt : ops[i].ifmt;
        if (!fmt)
            return cgen_fail(F, "compare .%s on .%s", cmp, ptx_type_name(T));
        /* positional arguments by hand: %1$s / %2$s are expanded here */
        size_t k = 0;
        for (const char *p = fmt; *p && k + 1 < n; p++) {
            if (p[0] == '%' && (p[1] == '1' || p[1] == '2') && p[2] == '$' && p[3] == 's') {
                const char *s = p[1] == '1' ? a : b;
                size_t l = strlen(s);
                if (k + l >= n)
                    return cgen_fail(F, "expression too long");
                memcpy(out + k, s, l);
                k += l;
                p += 3;
            } else {
                out[k++] = *p;
            }
        }
        out[k] = '\0';
        return true;
    }
    return cgen_fail(F, "compare operator .%s", cmp);
}

static const char *find_mod(const ptx_instr *ins, const char *const *set)
{
    for (unsigned i = 0; i < ins->nmods; i++)
        for (const char *const *s = set; *s; s++)
            if (strcmp(ins->mods[i], *s) == 0)
                return *s;
    return NULL;
}

static const char *const cmp_ops[] = { "eq", "ne", "lt", "le", "gt", "ge", "lo", "ls", "hi", "hs",
                                       "equ", "neu", "ltu", "leu", "gtu", "geu", "num", "nan", NULL };
static const char *const bool_ops[] = { "and", "or", "xor", NULL };

static bool emit_setp(cgen_fn *F, const ptx_instr *ins, bool is_set)
{
    const char *cmp = find_mod(ins, cmp_ops);
    const char *bop = find_mod(ins, bool_ops);
    ptx_type T = is_set ? ty(ins, 1) : ty(ins, 0);
    char a[X], b[X], c[X], e[X * 4];
    if (!cmp)
        return cgen_fail(F, "compare without operator");
    if (ins->nops != (bop ? 4u : 3u))
        return cgen_fail(F, "operand count");
    RD(a, 1, T);
    RD(b, 2, T);
    if (!cmp_expr(F, cmp, T, T == PTX_F32 && has(ins, "ftz"), a, b, e, sizeof e))
        return false;
    const char *bs = bop ? (bop[0] == 'a' ? "&" : bop[0] == 'o' ? "|" : "^") : NULL;
    if (bop)
        RD(c, 3, PTX_PRED);
    if (is_set) {
        ptx_type D = ty(ins, 0);
        char v[X * 5];
        if (bop)
            cgen_fmt(v, sizeof v, "((%s %s %s) ? %s : %s)", e, bs, c, D == PTX_F32 ? "1.0f" : "0xffffffffu", D == PTX_F32 ? "0.0f" : "0u");
        else
            cgen_fmt(v, sizeof v, "(%s ? %s : %s)", e, D == PTX_F32 ? "1.0f" : "0xffffffffu", D == PTX_F32 ? "0.0f" : "0u");
        if (D != PTX_F32 && D != PTX_U32 && D != PTX_S32 && D != PTX_B32)
            return cgen_fail(F, "set.%s", ptx_type_name(D));
        WR(0, D == PTX_F32 ? PTX_F32 : PTX_U32, v);
        return true;
    }
    const ptx_operand *d = &ins->ops[0];
    E("{ uint8_t cg_q = %s;\n", e);
    char v[X * 2];
    if (d->kind == PTX_OPND_VEC) {
        if (d->nelems != 2)
            return cgen_fail(F, "setp destinations");
        cgen_fmt(v, sizeof v, bop ? "(cg_q %s %s)" : "cg_q", bs, c);
        if (!bop) cgen_fmt(v, sizeof v, "cg_q");
        if (!cgen_write(F, &d->elems[0], PTX_PRED, v))
            return false;
        if (bop) cgen_fmt(v, sizeof v, "(!cg_q %s %s)", bs, c);
        else cgen_fmt(v, sizeof v, "!cg_q");
        if (!cgen_write(F, &d->elems[1], PTX_PRED, v))
            return false;
    } else {
        if (bop) cgen_fmt(v, sizeof v, "(cg_q %s %s)", bs, c);
        else cgen_fmt(v, sizeof v, "cg_q");
        if (!cgen_write(F, d, PTX_PRED, v))
            return false;
    }
    E("}\n");
    return true;
}

static bool emit_selp(cgen_fn *F, const ptx_instr *ins, bool slct)
{
    ptx_type T = ty(ins, 0);
    char a[X], b[X], c[X], e[X * 4];
    NOPS(4);
    RD(a, 1, T);
    RD(b, 2, T);
    if (slct) {
        ptx_type C = ty(ins, 1);
        RD(c, 3, C);
        if (C == PTX_F32)
            cgen_fmt(e, sizeof e, "(%s%s%s >= 0.0f ? %s : %s)", has(ins, "ftz") ? "cg_ftz32(" : "", c,
                     has(ins, "ftz") ? ")" : "", a, b);
        else if (C == PTX_S32)
            cgen_fmt(e, sizeof e, "((int32_t)%s >= 0 ? %s : %s)", c, a, b);
        else
            return cgen_fail(F, "slct.%s", ptx_type_name(C));
    } else {
        RD(c, 3, PTX_PRED);
        cgen_fmt(e, sizeof e, "(%s ? %s : %s)", c, a, b);
    }
    WR(0, T, e);
    return true;
}

/* ---- cvt ----------------------------------------------------------------------------- */

static bool emit_cvt(cgen_fn *F, const ptx_instr *ins)
{
    ptx_type D = ty(ins, 0), S = ty(ins, 1);
    char a[X], e[X * 4];
    bool sat = has(ins, "sat"), ftz = has(ins, "ftz");
    int mode = round_mode(ins);
    bool irnd = has(ins, "rni") || has(ins, "rzi") || has(ins, "rmi") || has(ins, "rpi");
    if (has(ins, "relu") || has(ins, "satfinite"))
        return cgen_fail(F, "cvt.relu/satfinite");
    if (D == PTX_F16X2 || D == PTX_BF16X2) {
        /* cvt.rn.f16x2.f32 d, hi, lo */
        char b[X];
        if (S != PTX_F32 || mode != 0 || ins->nops != 3)
            return cgen_fail(F, "cvt.%s.%s", ptx_type_name(D), ptx_type_name(S));
        RD(a, 1, PTX_F32);
        RD(b, 2, PTX_F32);
        const char *f = D == PTX_F16X2 ? "cg_f2h" : "cg_f2bf";
        cgen_fmt(e, sizeof e, "(((uint32_t)%s(%s) << 16) | (uint32_t)%s(%s))", f, a, f, b);
        WR(0, PTX_B32, e);
        return true;
    }
    NOPS(2);
    if (D == PTX_TYPE_NONE || S == PTX_TYPE_NONE)
        return cgen_fail(F, "cvt needs two types");
    bool dflt = ptx_type_is_float(D), sflt = ptx_type_is_float(S);
    if ((dflt && D != PTX_F32 && D != PTX_F64 && !is_half(D)) ||
        (sflt && S != PTX_F32 && S != PTX_F64 && !is_half(S)))
        return cgen_fail(F, "cvt.%s.%s", ptx_type_name(D), ptx_type_name(S));
    RD(a, 1, S);
    /* source as float (double for f64) */
    char sv[X * 2];
    if (S == PTX_F16) cgen_fmt(sv, sizeof sv, "cg_h2f(%s)", a);
    else if (S == PTX_BF16) cgen_fmt(sv, sizeof sv, "cg_bf2f(%s)", a);
    else if (S == PTX_F32 && ftz) cgen_fmt(sv, sizeof sv, "cg_ftz32(%s)", a);
    else cgen_fmt(sv, sizeof sv, "%s", a);
    if (!dflt && !sflt) {
        unsigned db = bits_of(D), sb = bits_of(S);
        bool ds = ptx_type_is_signed(D), ss = ptx_type_is_signed(S);
        /* value as 64-bit, extended per the source type */
        char v[X * 2];
        if (ss) cgen_fmt(v, sizeof v, "(int64_t)(%s)%s", signed_name(sb / 8), a);
        else cgen_fmt(v, sizeof v, "(uint64_t)%s", a);
        if (sat) {
            if (ss)
                cgen_fmt(e, sizeof e, "((%s)cg_sati(%s, %u, %d))", cgen_ctype_name(cgen_ctype_of(D)), v, db, ds);
            else
                cgen_fmt(e, sizeof e, "((%s)cg_satu(%s, %u, %d))", cgen_ctype_name(cgen_ctype_of(D)), v, db, ds);
        } else {
            cgen_fmt(e, sizeof e, "((%s)%s)", cgen_ctype_name(cgen_ctype_of(D)), v);
        }
        WR(0, D, e);
        return true;
    }
    if (dflt && !sflt) {
        bool us = !ptx_type_is_signed(S);
        char v[X * 2];
        if (us) cgen_fmt(v, sizeof v, "(uint64_t)%s", a);
        else cgen_fmt(v, sizeof v, "(int64_t)(%s)%s", signed_name(ptx_type_size(S)), a);
        if (D == PTX_F32) {
            if (mode == 0) cgen_fmt(e, sizeof e, "((float)%s)", v);
            else cgen_fmt(e, sizeof e, "cg_i2fr(%s, (int64_t)%s, %d)", mode_name[mode], v, us);
        } else if (D == PTX_F64) {
            if (mode == 0) cgen_fmt(e, sizeof e, "((double)%s)", v);
            else cgen_fmt(e, sizeof e, "cg_i2dr(%s, (int64_t)%s, %d)", mode_name[mode], v, us);
        } else if (D == PTX_F16) {
            cgen_fmt(e, sizeof e, "cg_d2h_mode((double)%s, %s)", v, mode_name[mode]);
        } else {
            if (mode) return cgen_fail(F, "cvt rounding to bf16");
            cgen_fmt(e, sizeof e, "cg_f2bf((float)%s)", v);
        }
        if (sat) {
            char t[X * 4];
            if (D == PTX_F32) cgen_fmt(t, sizeof t, "cg_sat32(%s)", e);
            else if (D == PTX_F64) cgen_fmt(t, sizeof t, "cg_sat64(%s)", e);
            else return cgen_fail(F, "cvt.sat to .%s", ptx_type_name(D));
            strcpy(e, t);
        }
        WR(0, D, e);
        return true;
    }
    if (!dflt && sflt) {
        unsigned db = bits_of(D);
        if (!irnd)
            mode = 1; /* ptxas requires an integer rounding; C's truncation otherwise */
        if (ptx_type_is_signed(D))
            cgen_fmt(e, sizeof e, "((%s)cg_f2s((double)%s, %s, %u))", cgen_ctype_name(cgen_ctype_of(D)), sv, mode_name[mode], db);
        else
            cgen_fmt(e, sizeof e, "((%s)cg_f2u((double)%s, %s, %u))", cgen_ctype_name(cgen_ctype_of(D)), sv, mode_name[mode], db);
        WR(0, D, e);
        return true;
    }
    /* float -> float */
    if (irnd) {
        if (D != S)
            return cgen_fail(F, "cvt with integer rounding between float types");
        const char *f = D == PTX_F32 ? "f" : "";
        const char *fn = mode == 1 ? "trunc" : mode == 2 ? "floor" : mode == 3 ? "ceil" : "nearbyint";
        if (is_half(D))
            cgen_fmt(e, sizeof e, "%s(%sf(%s))", D == PTX_F16 ? "cg_f2h" : "cg_f2bf", fn, sv);
        else
            cgen_fmt(e, sizeof e, "%s%s(%s)", fn, f, sv);
    } else if (D == PTX_F32 && S == PTX_F64) {
        if (mode == 0) cgen_fmt(e, sizeof e, "((float)%s)", sv);
        else cgen_fmt(e, sizeof e, "((float)cg_d2fr(%s, %s, 0, 0))", mode_name[mode], sv);
    } else if (D == PTX_F64) {
        cgen_fmt(e, sizeof e, "((double)%s)", sv);
    } else if (D == PTX_F32) {
        cgen_fmt(e, sizeof e, "((float)%s)", sv);
    } else if (D == PTX_F16) {
        cgen_fmt(e, sizeof e, "cg_d2h_mode((double)%s, %s)", sv, mode_name[mode]);
    } else { /* bf16 */
        if (mode) return cgen_fail(F, "cvt rounding to bf16");
        cgen_fmt(e, sizeof e, "cg_f2bf((float)%s)", sv);
    }
    if (sat) {
        char t[X * 4];
        if (D == PTX_F32) cgen_fmt(t, sizeof t, "cg_sat32(%s)", e);
        else if (D == PTX_F64) cgen_fmt(t, sizeof t, "cg_sat64(%s)", e);
        else cgen_fmt(t, sizeof t, "%s(cg_sat32(%s(%s)))", D == PTX_F16 ? "cg_f2h" : "cg_f2bf",
                      D == PTX_F16 ? "cg_h2f" : "cg_bf2f", e);
        strcpy(e, t);
    }
    if (D == PTX_F32 && ftz)
        wrap_ftz(true, e, sizeof e);
    WR(0, D, e);
    return true;
}

/* ---- mov ------------------------------------------------------------------------------ */

static bool emit_mov(cgen_fn *F, const ptx_instr *ins)
{
    ptx_type T = ty(ins, 0);
    char a[X], e[X * 4];
    NOPS(2);
    const ptx_operand *d = &ins->ops[0], *s = &ins->ops[1];
    if (d->kind == PTX_OPND_VEC) { /* unpack: mov.b64 {lo, hi}, %rd */
        unsigned esz = ptx_type_size(T) / d->nelems;
        if (!esz || esz * d->nelems != ptx_type_size(T) || ptx_type_size(T) > 8)
            return cgen_fail(F, "vector unpack");
        ptx_type ET = esz == 1 ? PTX_B8 : esz == 2 ? PTX_B16 : PTX_B32;
        ptx_type WT = ptx_type_size(T) == 8 ? PTX_B64 : ptx_type_size(T) == 4 ? PTX_B32 : PTX_B16;
        RD(a, 1, WT);
        E("{ %s cg_v = %s;\n", cgen_ctype_name(cgen_ctype_of(WT)), a);
        for (unsigned i = 0; i < d->nelems; i++) {
            cgen_fmt(e, sizeof e, "((%s)(cg_v >> %u))", cgen_ctype_name(cgen_ctype_of(ET)), i * esz * 8);
            if (!cgen_write(F, &d->elems[i], ET, e))
                return false;
        }
        E("}\n");
        return true;
    }
    if (s->kind == PTX_OPND_VEC) { /* pack */
        unsigned esz = ptx_type_size(T) / s->nelems;
        if (!esz || esz * s->nelems != ptx_type_size(T) || ptx_type_size(T) > 8)
            return cgen_fail(F, "vector pack");
        ptx_type ET = esz == 1 ? PTX_B8 : esz == 2 ? PTX_B16 : PTX_B32;
        ptx_type WT = ptx_type_size(T) == 8 ? PTX_B64 : ptx_type_size(T) == 4 ? PTX_B32 : PTX_B16;
        cgen_fmt(e, sizeof e, "((%s)(0", cgen_ctype_name(cgen_ctype_of(WT)));
        size_t k = strlen(e);
        for (unsigned i = 0; i < s->nelems; i++) {
            if (!cgen_read(F, &s->elems[i], ET, a, sizeof a))
                return false;
            cgen_fmt(e + k, sizeof e - k, " | ((uint64_t)%s << %u)", a, i * esz * 8);
            k += strlen(e + k);
            if (k >= sizeof e)
                return cgen_fail(F, "expression too long");
        }
        cgen_fmt(e + k, sizeof e - k, "))");
        WR(0, WT, e);
        return true;
    }
    if (T == PTX_PRED || cgen_ctype_of(T) != CT_BAD) {
        RD(a, 1, T);
        WR(0, T, a);
        return true;
    }
    return cgen_fail(F, "mov.%s", ptx_type_name(T));
}

/* ---- memory --------------------------------------------------------------------------- */

static const char *ld_suffix(cgen_ctype c)
{
    static const char *const s[] = { "u8", "u8", "u16", "u32", "u64", "f32", "f64", "?" };
    return s[c <= CT_BAD ? c : CT_BAD];
}

static bool space_ok(cgen_fn *F, ptx_space sp)
{
    if (sp == PTX_SPACE_SHARED_CLUSTER)
        return cgen_fail(F, "shared::cluster memory");
    if (sp == PTX_SPACE_TEX || sp == PTX_SPACE_SREG || sp == PTX_SPACE_REG)
        return cgen_fail(F, "state space .%s", ptx_space_name(sp));
    return true;
}

static bool emit_ld_st(cgen_fn *F, const ptx_instr *ins, bool store)
{
    ptx_type T = ty(ins, 0);
    cgen_ctype c = cgen_ctype_of(T);
    char addr[X], v[X], e[X * 3];
    if (c == CT_BAD || T == PTX_PRED)
        return cgen_fail(F, "%s of .%s", store ? "st" : "ld", ptx_type_name(T));
    if (!space_ok(F, ins->space))
        return false;
    if (has(ins, "async") || has(ins, "bulk") || has(ins, "mmio"))
        return cgen_fail(F, "%s.async/bulk/mmio", store ? "st" : "ld");
    NOPS(2);
    const ptx_operand *mem = &ins->ops[store ? 0 : 1], *val = &ins->ops[store ? 1 : 0];
    if (mem->kind != PTX_OPND_ADDR)
        return cgen_fail(F, "memory operand is not an address");
    if (!cgen_addr(F, mem, ins->space, addr, sizeof addr))
        return false;
    bool vol = has(ins, "volatile") || has(ins, "relaxed") || has(ins, "acquire") ||
               has(ins, "release") || has(ins, "sc");
    bool fence_before = store && (has(ins, "release") || has(ins, "sc"));
    bool fence_after = !store && (has(ins, "acquire") || has(ins, "sc"));
    unsigned nv = ins->vec ? ins->vec : 1, sz = ptx_type_size(T);
    const char *tn = cgen_ctype_name(c);
    if (nv > 1 && (val->kind != PTX_OPND_VEC || val->nelems != nv))
        return cgen_fail(F, "vector operand of .v%u", nv);
    if (fence_before)
        E("cg_fence();\n");
    E("{ char *cg_m = %s;\n", addr);
    for (unsigned i = 0; i < nv; i++) {
        const ptx_operand *el = nv > 1 ? &val->elems[i] : val;
        if (store) {
            if (!cgen_read(F, el, T, v, sizeof v))
                return false;
            if (vol)
                E("*(volatile %s *)(cg_m + %u) = %s;\n", tn, i * sz, v);
            else
                E("cg_st_%s(cg_m + %u, %s);\n", ld_suffix(c), i * sz, v);
        } else {
            if (el->kind == PTX_OPND_SINK)
                continue;
            if (vol)
                cgen_fmt(e, sizeof e, "(*(volatile %s *)(cg_m + %u))", tn, i * sz);
            else
                cgen_fmt(e, sizeof e, "cg_ld_%s(cg_m + %u)", ld_suffix(c), i * sz);
            if (!cgen_write(F, el, T, e))
                return false;
        }
    }
    E("}\n");
    if (fence_after)
        E("cg_fence();\n");
    return true;
}

static bool emit_cvta(cgen_fn *F, const ptx_instr *ins)
{
    ptx_type T = ty(ins, 0);
    char a[X], e[X * 2];
    bool to = has(ins, "to");
    NOPS(2);
    if (T != PTX_U64 && T != PTX_U32 && T != PTX_B64 && T != PTX_B32 && T != PTX_S64)
        return cgen_fail(F, "cvta.%s", ptx_type_name(T));
    ptx_space sp = ins->space;
    if (!space_ok(F, sp))
        return false;
    bool shared = sp == PTX_SPACE_SHARED || sp == PTX_SPACE_SHARED_CTA;
    if (shared && !to && bits_of(T) == 32)
        return cgen_fail(F, "cvta.shared.u32 (32-bit generic addresses)");
    RD(a, 1, T);
    if (shared)
        cgen_fmt(e, sizeof e, to ? "(%s - (uint64_t)(uintptr_t)cg_shared)" : "((uint64_t)(uintptr_t)cg_shared + %s)", a);
    else
        cgen_fmt(e, sizeof e, "%s", a);
    WR(0, bits_of(T) == 32 ? PTX_U32 : PTX_U64, e);
    return true;
}

static bool emit_isspacep(cgen_fn *F, const ptx_instr *ins)
{
    char a[X], e[X * 4];
    NOPS(2);
    RD(a, 1, PTX_U64);
    const char *sh = "((uint64_t)(%1$s) - (uint64_t)(uintptr_t)cg_shared < ctx->total_smem_bytes + ctx->dynamic_smem_bytes)";
    (void)sh;
    switch (ins->space) {
    case PTX_SPACE_SHARED: case PTX_SPACE_SHARED_CTA:
        cgen_fmt(e, sizeof e, "(%s - (uint64_t)(uintptr_t)cg_shared < (uint64_t)ctx->total_smem_bytes)", a);
        break;
    case PTX_SPACE_GLOBAL:
        cgen_fmt(e, sizeof e, "!(%s - (uint64_t)(uintptr_t)cg_shared < (uint64_t)ctx->total_smem_bytes)", a);
        break;
    default:
        return cgen_fail(F, "isspacep.%s", ptx_space_name(ins->space));
    }
    WR(0, PTX_PRED, e);
    return true;
}

static const char *const atom_ops[] = { "add", "min", "max", "inc", "dec", "cas", "exch",
                                        "and", "or", "xor", NULL };

static bool emit_atom(cgen_fn *F, const ptx_instr *ins, bool red)
{
    const char *op = find_mod(ins, atom_ops);
    ptx_type T = ty(ins, 0);
    char addr[X], b[X], c[X], e[X * 3];
    unsigned nb = bits_of(T);
    if (!op)
        return cgen_fail(F, "atomic without operation");
    if (ins->vec > 1)
        return cgen_fail(F, "vector atomics");
    if (!space_ok(F, ins->space))
        return false;
    unsigned first = red ? 0 : 1;
    bool cas = strcmp(op, "cas") == 0;
    if (ins->nops != first + (cas ? 3u : 2u))
        return cgen_fail(F, "operand count");
    if (ins->ops[first].kind != PTX_OPND_ADDR)
        return cgen_fail(F, "memory operand is not an address");
    if (!cgen_addr(F, &ins->ops[first], ins->space, addr, sizeof addr))
        return false;
    RD(b, first + 1, T);
    bool sgn = ptx_type_is_signed(T);
    if (T == PTX_F32 || T == PTX_F64) {
        const char *w = T == PTX_F32 ? "32" : "64";
        if (strcmp(op, "add") == 0)
            cgen_fmt(e, sizeof e, "cg_f%s(cg_atom_addf%s(%s, cg_b%s(%s)))", w, w, addr, w, b);
        else if ((strcmp(op, "min") == 0 || strcmp(op, "max") == 0) && T == PTX_F32)
            cgen_fmt(e, sizeof e, "cg_f32(cg_atom_%sf32(%s, cg_b32(%s)))", op, addr, b);
        else if (strcmp(op, "exch") == 0)
            cgen_fmt(e, sizeof e, "cg_f%s(cg_atom_exch%s(%s, cg_b%s(%s)))", w, w, addr, w, b);
        else
            return cgen_fail(F, "atom.%s.%s", op, ptx_type_name(T));
    } else if (T == PTX_F16 || T == PTX_B16 || T == PTX_U16) {
        if (strcmp(op, "add") == 0 && T == PTX_F16)
            cgen_fmt(e, sizeof e, "cg_atom_rmw16(%s, %s, 0)", addr, b);
        else if (strcmp(op, "exch") == 0)
            cgen_fmt(e, sizeof e, "cg_atom_rmw16(%s, %s, 1)", addr, b);
        else if (strcmp(op, "add") == 0 && T == PTX_U16)
            cgen_fmt(e, sizeof e, "cg_atom_rmw16(%s, %s, 2)", addr, b);
        else
            return cgen_fail(F, "atom.%s.%s", op, ptx_type_name(T));
    } else if (is_int_type(T) && (nb == 32 || nb == 64)) {
        if (cas) {
            RD(c, first + 2, T);
            cgen_fmt(e, sizeof e, "cg_atom_cas%u(%s, %s, %s)", nb, addr, b, c);
        } else if (strcmp(op, "min") == 0 || strcmp(op, "max") == 0) {
            cgen_fmt(e, sizeof e, "cg_atom_%s%s%u(%s, %s)", op, sgn ? "s" : "u", nb, addr, b);
        } else if (strcmp(op, "inc") == 0 || strcmp(op, "dec") == 0) {
            if (nb != 32)
                return cgen_fail(F, "atom.%s.%s", op, ptx_type_name(T));
            cgen_fmt(e, sizeof e, "cg_atom_%s32(%s, %s)", op, addr, b);
        } else {
            cgen_fmt(e, sizeof e, "cg_atom_%s%u(%s, %s)", op, nb, addr, b);
        }
    } else {
        return cgen_fail(F, "atom.%s.%s", op, ptx_type_name(T));
    }
    if (ins->space == PTX_SPACE_SHARED || ins->space == PTX_SPACE_SHARED_CTA) {
        /* block-local memory: the plain read-modify-write family (see the prelude) */
        char *at = strstr(e, "cg_atom_");
        if (at) {
            char local[sizeof e];
            cgen_fmt(local, sizeof local, "%.*scg_shatom_%s", (int)(at - e), e, at + strlen("cg_atom_"));
            memcpy(e, local, sizeof e);
        }
    }
    if (red) {
        E("(void)%s;\n", e);
        return true;
    }
    WR(0, T, e);
    return true;
}

/* ---- misc ALU ------------------------------------------------------------------------ */

static bool emit_misc(cgen_fn *F, const ptx_instr *ins, const char *op, bool *handled)
{
    ptx_type T = ty(ins, 0);
    char a[X], b[X], c[X], e[X * 4];
    *handled = true;
    if (strcmp(op, "prmt") == 0) {
        static const char *const modes[] = { "f4e", "b4e", "rc8", "ecl", "ecr", "rc16", NULL };
        const char *m = find_mod(ins, modes);
        int mi = 0;
        for (int i = 0; m && modes[i]; i++)
            if (modes[i] == m)
                mi = i + 1;
        NOPS(4);
        RD(a, 1, PTX_B32);
        RD(b, 2, PTX_B32);
        RD(c, 3, PTX_B32);
        cgen_fmt(e, sizeof e, "cg_prmt(%s, %s, %s, %d)", a, b, c, mi);
        WR(0, PTX_B32, e);
        return true;
    }
    if (strcmp(op, "shf") == 0) {
        NOPS(4);
        RD(a, 1, PTX_B32);
        RD(b, 2, PTX_B32);
        RD(c, 3, PTX_U32);
        cgen_fmt(e, sizeof e, "cg_shf(%s, %s, %s, %d, %d)", a, b, c, has(ins, "l"), has(ins, "clamp"));
        WR(0, PTX_B32, e);
        return true;
    }
    if (strcmp(op, "bmsk") == 0) {
        NOPS(3);
        RD(a, 1, PTX_U32);
        RD(b, 2, PTX_U32);
        cgen_fmt(e, sizeof e, "cg_bmsk(%s, %s, %d)", a, b, has(ins, "clamp"));
        WR(0, PTX_B32, e);
        return true;
    }
    if (strcmp(op, "lop3") == 0) {
        char l[X];
        NOPS(5);
        RD(a, 1, PTX_B32);
        RD(b, 2, PTX_B32);
        RD(c, 3, PTX_B32);
        RD(l, 4, PTX_U32);
        E("{ uint32_t cg_a = %s, cg_b = %s, cg_c = %s, cg_l = %s, cg_r = 0; int cg_i;\n"
          "for (cg_i = 0; cg_i < 8; cg_i++) if ((cg_l >> cg_i) & 1) cg_r |= ((cg_i & 4) ? cg_a : ~cg_a) & ((cg_i & 2) ? cg_b : ~cg_b) & ((cg_i & 1) ? cg_c : ~cg_c);\n",
          a, b, c, l);
        if (!cgen_write(F, &ins->ops[0], PTX_B32, "cg_r"))
            return false;
        E("}\n");
        return true;
    }
    if (strcmp(op, "dp4a") == 0) {
        NOPS(4);
        RD(a, 1, PTX_B32);
        RD(b, 2, PTX_B32);
        RD(c, 3, PTX_B32);
        cgen_fmt(e, sizeof e, "cg_dp4a(%s, %s, %s, %d, %d)", a, b, c, ptx_type_is_signed(ty(ins, 0)),
                 ptx_type_is_signed(ty(ins, 1)));
        WR(0, PTX_B32, e);
        return true;
    }
    if (strcmp(op, "dp2a") == 0) {
        NOPS(4);
        RD(a, 1, PTX_B32);
        RD(b, 2, PTX_B32);
        RD(c, 3, PTX_B32);
        cgen_fmt(e, sizeof e, "cg_dp2a(%s, %s, %s, %d, %d, %d)", a, b, c, has(ins, "hi"),
                 ptx_type_is_signed(ty(ins, 0)), ptx_type_is_signed(ty(ins, 1)));
        WR(0, PTX_B32, e);
        return true;
    }
    {
        static const char *const vops[] = { "vadd", "vsub", "vabsdiff", "vmin", "vmax", "vavrg", NULL };
        size_t ol = strlen(op);
        for (int vi = 0; vops[vi]; vi++) {
            size_t vl = strlen(vops[vi]);
            if (ol != vl + 1 || strncmp(op, vops[vi], vl) != 0 || (op[vl] != '2' && op[vl] != '4'))
                continue;
            /* d, a, b, c with types dtype.atype.btype (lane selectors are not parsed) */
            NOPS(4);
            if (ins->ntypes != 3)
                return cgen_fail(F, "%s type list", op);
            RD(a, 1, PTX_B32);
            RD(b, 2, PTX_B32);
            RD(c, 3, PTX_B32);
            cgen_fmt(e, sizeof e, "cg_vsimd(%s, %s, %s, %d, %d, %d, %d, %d, %d, %d)", a, b, c,
                     op[vl] - '0', vi, ptx_type_is_signed(ty(ins, 1)), ptx_type_is_signed(ty(ins, 2)),
                     ptx_type_is_signed(ty(ins, 0)), has(ins, "sat"), has(ins, "add"));
            WR(0, PTX_B32, e);
            return true;
        }
    }
    if (strcmp(op, "copysign") == 0) {
        NOPS(3);
        if (T != PTX_F32 && T != PTX_F64)
            return cgen_fail(F, "copysign.%s", ptx_type_name(T));
        RD(a, 1, T);
        RD(b, 2, T);
        cgen_fmt(e, sizeof e, "copysign%s(%s, %s)", T == PTX_F32 ? "f" : "", b, a);
        WR(0, T, e);
        return true;
    }
    if (strcmp(op, "testp") == 0) {
        static const char *const tests[] = { "finite", "infinite", "number", "notanumber",
                                             "normal", "subnormal", NULL };
        const char *t = find_mod(ins, tests);
        NOPS(2);
        if (!t || (T != PTX_F32 && T != PTX_F64))
            return cgen_fail(F, "testp");
        RD(a, 1, T);
        if (strcmp(t, "finite") == 0) cgen_fmt(e, sizeof e, "(isfinite(%s) != 0)", a);
        else if (strcmp(t, "infinite") == 0) cgen_fmt(e, sizeof e, "(isinf(%s) != 0)", a);
        else if (strcmp(t, "number") == 0) cgen_fmt(e, sizeof e, "(%s == %s)", a, a);
        else if (strcmp(t, "notanumber") == 0) cgen_fmt(e, sizeof e, "(%s != %s)", a, a);
        else if (strcmp(t, "normal") == 0) cgen_fmt(e, sizeof e, "(isnormal(%s) != 0)", a);
        else cgen_fmt(e, sizeof e, "(fpclassify(%s) == FP_SUBNORMAL)", a);
        WR(0, PTX_PRED, e);
        return true;
    }
    *handled = false;
    return true;
}

/* ---- control flow, calls --------------------------------------------------------------- */

static void set_tid(cgen_fn *F)
{
    E("ctx->tid[0] = cg_tid0; ctx->tid[1] = cg_tid1; ctx->tid[2] = cg_tid2;\n");
}

static bool emit_trap(cgen_fn *F, const ptx_instr *ins)
{
    set_tid(F);
    const char *what = strcmp(ins->opcode, "brkpt") == 0 ? "brkpt" : "trap";
    if (F->check_only)
        return true;
    if (F->kernel)
        E("ctx->rt->fault(ctx, CG_ERR_LAUNCH_FAILURE, \"%s in kernel %s\");\n", what, F->f->name);
    else
        E("{ char cg_w[300]; cgen_fmt(cg_w, sizeof cg_w, \"%s in kernel %%s\", tc->kname); "
          "ctx->rt->fault(ctx, CG_ERR_LAUNCH_FAILURE, cg_w); }\n", what);
    E("goto cg_exit;\n");
    return true;
}

/* Size and alignment of a call argument / return slot given by a param variable. */
static const ptx_var *fvar_of(cgen_fn *F, const ptx_operand *op)
{
    if (F->check_only || op->kind != PTX_OPND_SYMBOL)
        return NULL;
    int32_t i = cgen_map_get(&F->fvars, op->symbol);
    return i >= 0 ? &F->f->vars[i] : NULL;
}

/* Store argument `op` into `buf + off` (a callee parameter of type t, size sz). */
static bool call_arg_in(cgen_fn *F, const ptx_operand *op, const char *buf, uint32_t off,
                        ptx_type t, uint32_t sz)
{
    char v[X];
    const ptx_var *pv = fvar_of(F, op);
    if (pv) {
        uint64_t n = pv->size < sz ? pv->size : sz;
        E("memcpy(%s + %u, cg_pv%d, %u);\n", buf, off, cgen_map_get(&F->fvars, op->symbol), (unsigned)n);
        return true;
    }
    if (op->kind == PTX_OPND_SYMBOL && !F->check_only)
        return cgen_fail(F, "call argument `%s` is not a .param variable", op->symbol);
    cgen_ctype c = cgen_ctype_of(t);
    if (c == CT_BAD || ct_size(c) != sz)
        c = sz == 8 ? CT_U64 : sz == 4 ? CT_U32 : sz == 2 ? CT_U16 : CT_U8;
    if (!cgen_read(F, op, c == CT_U64 ? PTX_B64 : c == CT_U32 ? PTX_B32 : c == CT_U16 ? PTX_B16 :
                       c == CT_F32 ? PTX_F32 : c == CT_F64 ? PTX_F64 : PTX_B8, v, sizeof v))
        return false;
    E("cg_st_%s(%s + %u, %s);\n", ld_suffix(c), buf, off, v);
    return true;
}

static bool call_ret_out(cgen_fn *F, const ptx_operand *op, const char *buf, uint32_t off,
                         ptx_type t, uint32_t sz)
{
    char v[X];
    const ptx_var *pv = fvar_of(F, op);
    if (pv) {
        uint64_t n = pv->size < sz ? pv->size : sz;
        E("memcpy(cg_pv%d, %s + %u, %u);\n", cgen_map_get(&F->fvars, op->symbol), buf, off, (unsigned)n);
        return true;
    }
    if (op->kind == PTX_OPND_SINK)
        return true;
    if (op->kind == PTX_OPND_SYMBOL && !F->check_only)
        return cgen_fail(F, "call result `%s` is not a .param variable", op->symbol);
    cgen_ctype c = cgen_ctype_of(t);
    if (c == CT_BAD || ct_size(c) != sz)
        c = sz == 8 ? CT_U64 : sz == 4 ? CT_U32 : sz == 2 ? CT_U16 : CT_U8;
    ptx_type vt = c == CT_U64 ? PTX_B64 : c == CT_U32 ? PTX_B32 : c == CT_U16 ? PTX_B16 :
                  c == CT_F32 ? PTX_F32 : c == CT_F64 ? PTX_F64 : PTX_B8;
    cgen_fmt(v, sizeof v, "cg_ld_%s(%s + %u)", ld_suffix(c), buf, off);
    return cgen_write(F, op, vt, v);
}

/* Value of argument i of a service call as uint64_t. */
static bool service_arg(cgen_fn *F, const ptx_operand *list, unsigned i, unsigned sz, char *out,
                        size_t n)
{
    if (i >= list->nelems)
        return cgen_fail(F, "too few call arguments");
    const ptx_operand *op = &list->elems[i];
    const ptx_var *pv = fvar_of(F, op);
    if (pv) {
        cgen_fmt(out, n, "(uint64_t)cg_ld_%s(cg_pv%d)", sz == 8 ? "u64" : "u32", cgen_map_get(&F->fvars, op->symbol));
        return true;
    }
    return cgen_read(F, op, sz == 8 ? PTX_B64 : PTX_B32, out, n);
}

static bool emit_service_call(cgen_fn *F, const ptx_instr *ins, const char *name)
{
    const ptx_operand *rets = &ins->ops[0], *args = &ins->ops[2];
    char a0[X], a1[X], a2[X], a3[X], a4[X];
    set_tid(F);
    if (strcmp(name, "vprintf") == 0) {
        if (!service_arg(F, args, 0, 8, a0, sizeof a0) || !service_arg(F, args, 1, 8, a1, sizeof a1))
            return false;
        E("{ int32_t cg_r = ctx->rt->vprintf(ctx, %s, %s);\n", a0, a1);
        if (rets->nelems && !call_ret_out(F, &rets->elems[0], "((char *)&cg_r)", 0, PTX_B32, 4))
            return false;
        E("}\n");
        return true;
    }
    if (strcmp(name, "malloc") == 0) {
        if (!service_arg(F, args, 0, 8, a0, sizeof a0))
            return false;
        E("{ uint64_t cg_r = ctx->rt->malloc(ctx, %s);\n", a0);
        if (rets->nelems && !call_ret_out(F, &rets->elems[0], "((char *)&cg_r)", 0, PTX_B64, 8))
            return false;
        E("}\n");
        return true;
    }
    if (strcmp(name, "free") == 0) {
        if (!service_arg(F, args, 0, 8, a0, sizeof a0))
            return false;
        E("ctx->rt->free(ctx, %s);\n", a0);
        return true;
    }
    if (strcmp(name, "__assertfail") == 0) {
        if (!service_arg(F, args, 0, 8, a0, sizeof a0) || !service_arg(F, args, 1, 8, a1, sizeof a1) ||
            !service_arg(F, args, 2, 4, a2, sizeof a2) || !service_arg(F, args, 3, 8, a3, sizeof a3) ||
            !service_arg(F, args, 4, 8, a4, sizeof a4))
            return false;
        E("ctx->rt->assert_fail(ctx, %s, %s, (uint32_t)%s, %s, %s);\ngoto cg_exit;\n", a0, a1, a2, a3, a4);
        return true;
    }
    return cgen_fail_external(F, name);
}

bool cgen_fail_external(cgen_fn *F, const char *name)
{
    /* nvcc lowers device-side <<<>>> to __cudaCDP2GetParameterBufferV2 + LaunchDeviceV2 */
    if (strstr(name, "LaunchDevice") || strstr(name, "GetParameterBuffer"))
        return cgen_fail(F, "dynamic parallelism (device-side launch) is not supported (call to `%s`)", name);
    if (strncmp(name, "__cudaCDP", 9) == 0 || strncmp(name, "cuda", 4) == 0)
        return cgen_fail(F, "device runtime call `%s` (dynamic parallelism) is not supported", name);
    return cgen_fail(F, "call to external function `%s`", name);
}

static bool emit_call(cgen_fn *F, const ptx_instr *ins)
{
    if (ins->nops < 3 || ins->ops[0].kind != PTX_OPND_LIST || ins->ops[2].kind != PTX_OPND_LIST)
        return cgen_fail(F, "call operands");
    const ptx_operand *rets = &ins->ops[0], *callee = &ins->ops[1], *args = &ins->ops[2];
    if (F->check_only)
        return true; /* which callees exist is a property of the module */
    const ptx_module *m = F->g->m;
    if (callee->kind == PTX_OPND_SYMBOL) {
        int32_t fi = cgen_map_get(&F->g->funcs, callee->symbol);
        if (fi < 0)
            return cgen_fail(F, "call of unknown function `%s`", callee->symbol);
        const ptx_function *cf = &m->funcs[fi];
        if (!cf->has_body)
            return emit_service_call(F, ins, cf->name);
        const cgen_finfo *ci = &F->g->fi[fi];
        if (args->nelems != cf->nparams || rets->nelems > cf->nrets)
            return cgen_fail(F, "call of `%s` with %u arguments (it takes %u)", cf->name, args->nelems, cf->nparams);
        E("{ _Alignas(16) unsigned char cg_a[%u], cg_r[%u];\n", ci->param_bytes ? ci->param_bytes : 1,
          ci->ret_bytes ? ci->ret_bytes : 1);
        for (uint32_t i = 0; i < args->nelems; i++)
            if (!call_arg_in(F, &args->elems[i], "cg_a", ci->param_off[i], cf->params[i].type, cf->params[i].size))
                return false;
        E("cg_f%d(tc, (const char *)cg_a, (char *)cg_r);\n", fi);
        for (uint32_t i = 0; i < rets->nelems; i++)
            if (!call_ret_out(F, &rets->elems[i], "cg_r", ci->ret_off[i], cf->rets[i].type, cf->rets[i].size))
                return false;
        E("}\nif (tc->exited) goto cg_exit;\n");
        return true;
    }
    /* Indirect: the address must be one of the module's functions. Arguments are packed
     * with the same layout rule as every .func (natural alignment, in order). */
    char p[X];
    if (!cgen_read(F, callee, PTX_U64, p, sizeof p))
        return false;
    uint32_t off = 0, aoff[64], roff[64], asz[64], rsz[64];
    if (args->nelems > 64 || rets->nelems > 64)
        return cgen_fail(F, "indirect call with more than 64 arguments");
    for (uint32_t i = 0; i < args->nelems; i++) {
        const ptx_var *pv = fvar_of(F, &args->elems[i]);
        uint32_t al = pv ? (pv->align ? pv->align : 1) : 8, sz = pv ? (uint32_t)pv->size : 8;
        off = (off + al - 1) / al * al;
        aoff[i] = off;
        asz[i] = sz;
        off += sz;
    }
    uint32_t abytes = off;
    off = 0;
    for (uint32_t i = 0; i < rets->nelems; i++) {
        const ptx_var *pv = fvar_of(F, &rets->elems[i]);
        uint32_t al = pv ? (pv->align ? pv->align : 1) : 8, sz = pv ? (uint32_t)pv->size : 8;
        off = (off + al - 1) / al * al;
        roff[i] = off;
        rsz[i] = sz;
        off += sz;
    }
    E("{ _Alignas(16) unsigned char cg_a[%u], cg_r[%u]; uint64_t cg_fp = %s;\n", abytes ? abytes : 1,
      off ? off : 1, p);
    for (uint32_t i = 0; i < args->nelems; i++)
        if (!call_arg_in(F, &args->elems[i], "cg_a", aoff[i], asz[i] == 4 ? PTX_B32 : PTX_B64, asz[i]))
            return false;
    E("if (0) {}\n");
    for (uint32_t k = 0; k < m->nfuncs; k++) {
        if (!m->funcs[k].has_body || m->funcs[k].is_entry || !F->g->fi[k].addr_taken)
            continue;
        E("else if (cg_fp == (uint64_t)(uintptr_t)&cg_f%u) cg_f%u(tc, (const char *)cg_a, (char *)cg_r);\n", k, k);
    }
    set_tid(F);
    E("else { ctx->rt->fault(ctx, CG_ERR_LAUNCH_FAILURE, \"indirect call through an address that is not a device function\"); goto cg_exit; }\n");
    for (uint32_t i = 0; i < rets->nelems; i++)
        if (!call_ret_out(F, &rets->elems[i], "cg_r", roff[i], rsz[i] == 4 ? PTX_B32 : PTX_B64, rsz[i]))
            return false;
    E("}\nif (tc->exited) goto cg_exit;\n");
    return true;
}

/* ---- barriers and warp collectives --------------------------------------------------- */

bool cgen_is_collective(const ptx_instr *ins)
{
    const char *o = ins->opcode;
    if (strcmp(o, "bar") == 0 || strcmp(o, "barrier") == 0)
        return !has(ins, "arrive") && !has(ins, "cluster");
    return strcmp(o, "shfl") == 0 || strcmp(o, "vote") == 0 || strcmp(o, "activemask") == 0 ||
           strcmp(o, "match") == 0 || strcmp(o, "redux") == 0;
}

/* Suspend the thread at a new resume site; the caller emits the inputs first (as
 * statements on cg_h) and the result reads after. */
static unsigned site_open(cgen_fn *F, const char *status)
{
    unsigned k = ++F->nsites;
    if (!F->check_only && k >= F->site_cap) {
        uint32_t cap = F->site_cap ? F->site_cap * 2 : 16;
        uint32_t *p = realloc(F->site_instr, cap * sizeof *p);
        if (p) {
            F->site_instr = p;
            F->site_cap = cap;
        } else {
            F->b->oom = true; /* the module fails as out of memory */
        }
    }
    if (!F->check_only && k < F->site_cap)
        F->site_instr[k] = F->cur_instr;
    E("{ ");
    if (!F->check_only)
        cgen_emit_live_copy(F, F->cur_instr, true);
    E("cg_h->site = %u; cg_h->status = %s;\n", k, status);
    return k;
}

static void site_close(cgen_fn *F, unsigned k)
{
    E("return; }\ncg_s%u:;\n", k);
}

static bool emit_barrier(cgen_fn *F, const ptx_instr *ins)
{
    char a[X], b[X], c[X], e[X];
    if (!F->state_machine && !F->check_only)
        return cgen_fail(F, "barrier inside a called device function");
    if (has(ins, "arrive") || has(ins, "cluster"))
        return cgen_fail(F, "%s.arrive / cluster barriers", ins->opcode);
    bool warp = has(ins, "warp");
    if (warp) {
        NOPS(1);
        RD(a, 0, PTX_U32);
        unsigned k = site_open(F, "CG_S_WARP");
        E("cg_h->kind = CG_W_SYNC; cg_h->mask = %s;\n", a);
        site_close(F, k);
        return true;
    }
    bool redop = has(ins, "red");
    const char *kind = "CG_BAR_SYNC";
    unsigned first = 0;
    if (redop) {
        if (has(ins, "popc")) kind = "CG_BAR_POPC";
        else if (has(ins, "and")) kind = "CG_BAR_AND";
        else if (has(ins, "or")) kind = "CG_BAR_OR";
        else return cgen_fail(F, "bar.red operation");
        first = 1;
        if (ins->nops != 3 && ins->nops != 4)
            return cgen_fail(F, "operand count");
    } else if (ins->nops != 1 && ins->nops != 2) {
        return cgen_fail(F, "operand count");
    }
    RD(a, first, PTX_U32);
    bool count = ins->nops == first + (redop ? 3u : 2u);
    if (count)
        RD(b, first + 1, PTX_U32);
    if (redop)
        RD(c, ins->nops - 1, PTX_PRED);
    unsigned k = site_open(F, "CG_S_BAR");
    E("cg_h->kind = %s; cg_h->bar_id = (%s) & 15u; cg_h->bar_count = %s; cg_h->a = %s;\n", kind, a,
      count ? b : "0", redop ? c : "0");
    site_close(F, k);
    if (redop) {
        cgen_fmt(e, sizeof e, "(uint32_t)cg_h->res");
        ptx_type rt = has(ins, "popc") ? PTX_U32 : PTX_PRED;
        WR(0, rt, e);
    }
    return true;
}

static bool emit_warp_op(cgen_fn *F, const ptx_instr *ins)
{
    const char *o = ins->opcode;
    char a[X], b[X], c[X], mask[X];
    bool sync = has(ins, "sync");
    if (!F->state_machine && !F->check_only)
        return cgen_fail(F, "warp collective inside a called device function");
    if (strcmp(o, "shfl") == 0) {
        static const char *const modes[] = { "up", "down", "bfly", "idx", NULL };
        const char *m = find_mod(ins, modes);
        ptx_type T = ty(ins, 0);
        if (!m || (T != PTX_B32 && T != PTX_U32 && T != PTX_S32 && T != PTX_F32))
            return cgen_fail(F, "shfl form");
        if (ins->nops != (sync ? 5u : 4u))
            return cgen_fail(F, "operand count");
        RD(a, 1, PTX_B32);
        RD(b, 2, PTX_U32);
        RD(c, 3, PTX_U32);
        if (sync) RD(mask, 4, PTX_U32);
        else cgen_fmt(mask, sizeof mask, "0xffffffffu");
        unsigned k = site_open(F, "CG_S_WARP");
        E("cg_h->kind = CG_W_SHFL_%s; cg_h->a = %s; cg_h->b = %s; cg_h->c = %s; cg_h->mask = %s;\n",
          strcmp(m, "up") == 0 ? "UP" : strcmp(m, "down") == 0 ? "DOWN" : strcmp(m, "bfly") == 0 ? "BFLY" : "IDX",
          a, b, c, mask);
        site_close(F, k);
        const ptx_operand *d = &ins->ops[0];
        if (d->kind == PTX_OPND_VEC) {
            if (d->nelems != 2)
                return cgen_fail(F, "shfl destinations");
            if (!cgen_write(F, &d->elems[0], PTX_B32, "(uint32_t)cg_h->res") ||
                !cgen_write(F, &d->elems[1], PTX_PRED, "(uint8_t)cg_h->pres"))
                return false;
        } else if (!cgen_write(F, d, PTX_B32, "(uint32_t)cg_h->res")) {
            return false;
        }
        return true;
    }
    if (strcmp(o, "vote") == 0) {
        static const char *const modes[] = { "all", "any", "uni", "ballot", NULL };
        const char *m = find_mod(ins, modes);
        if (!m)
            return cgen_fail(F, "vote mode");
        if (ins->nops != (sync ? 3u : 2u))
            return cgen_fail(F, "operand count");
        RD(a, 1, PTX_PRED);
        if (sync) RD(mask, 2, PTX_U32);
        else cgen_fmt(mask, sizeof mask, "0xffffffffu");
        unsigned k = site_open(F, "CG_S_WARP");
        E("cg_h->kind = CG_W_VOTE_%s; cg_h->a = %s; cg_h->mask = %s;\n",
          m[0] == 'a' ? (m[1] == 'l' ? "ALL" : "ANY") : m[0] == 'u' ? "UNI" : "BALLOT", a, mask);
        site_close(F, k);
        WR(0, m[0] == 'b' ? PTX_B32 : PTX_PRED, "(uint32_t)cg_h->res");
        return true;
    }
    if (strcmp(o, "activemask") == 0) {
        NOPS(1);
        unsigned k = site_open(F, "CG_S_WARP");
        E("cg_h->kind = CG_W_ACTIVEMASK; cg_h->mask = 0;\n");
        site_close(F, k);
        WR(0, PTX_B32, "(uint32_t)cg_h->res");
        return true;
    }
    if (strcmp(o, "match") == 0) {
        ptx_type T = ty(ins, 0);
        bool all = has(ins, "all");
        if (!all && !has(ins, "any"))
            return cgen_fail(F, "match mode");
        if (T != PTX_B32 && T != PTX_B64)
            return cgen_fail(F, "match.%s", ptx_type_name(T));
        NOPS(3);
        RD(a, 1, T);
        RD(mask, 2, PTX_U32);
        unsigned k = site_open(F, "CG_S_WARP");
        E("cg_h->kind = CG_W_MATCH_%s; cg_h->a = (uint64_t)%s; cg_h->mask = %s;\n", all ? "ALL" : "ANY", a, mask);
        site_close(F, k);
        const ptx_operand *d = &ins->ops[0];
        if (d->kind == PTX_OPND_VEC) {
            if (d->nelems != 2)
                return cgen_fail(F, "match destinations");
            if (!cgen_write(F, &d->elems[0], PTX_B32, "(uint32_t)cg_h->res") ||
                !cgen_write(F, &d->elems[1], PTX_PRED, "(uint8_t)cg_h->pres"))
                return false;
        } else if (!cgen_write(F, d, PTX_B32, "(uint32_t)cg_h->res")) {
            return false;
        }
        return true;
    }
    if (strcmp(o, "redux") == 0) {
        ptx_type T = ty(ins, 0);
        const char *kind = NULL;
        bool sgn = T == PTX_S32;
        if (T != PTX_U32 && T != PTX_S32 && T != PTX_B32)
            return cgen_fail(F, "redux.%s", ptx_type_name(T));
        if (has(ins, "add")) kind = "ADD";
        else if (has(ins, "min")) kind = sgn ? "MINS" : "MINU";
        else if (has(ins, "max")) kind = sgn ? "MAXS" : "MAXU";
        else if (has(ins, "and")) kind = "AND";
        else if (has(ins, "or")) kind = "OR";
        else if (has(ins, "xor")) kind = "XOR";
        else return cgen_fail(F, "redux operation");
        NOPS(3);
        RD(a, 1, PTX_B32);
        RD(mask, 2, PTX_U32);
        unsigned k = site_open(F, "CG_S_WARP");
        E("cg_h->kind = CG_W_REDUX_%s; cg_h->a = %s; cg_h->mask = %s;\n", kind, a, mask);
        site_close(F, k);
        WR(0, PTX_B32, "(uint32_t)cg_h->res");
        return true;
    }
    return cgen_fail(F, "warp collective %s", o);
}

/* ---- dispatch ---------------------------------------------------------------------- */

static bool emit_instr(cgen_fn *F, const ptx_instr *ins);

bool cgen_emit_instr(cgen_fn *F, const ptx_instr *ins)
{
    cgen_truncated = false;
    bool ok = emit_instr(F, ins);
    if (ok && cgen_truncated)
        return cgen_fail(F, "expression too long");
    return ok;
}

static bool emit_instr(cgen_fn *F, const ptx_instr *ins)
{
    const char *op = ins->opcode;
    ptx_type T = ty(ins, 0);
    bool flt = ptx_type_is_float(T);
    bool handled;

    if (!op)
        return cgen_fail(F, "no opcode");
    if (has(ins, "cluster") && strcmp(op, "fence") != 0 && strcmp(op, "membar") != 0)
        return cgen_fail(F, "cluster scope");
    if (strcmp(op, "mov") == 0)
        return emit_mov(F, ins);
    if (strcmp(op, "ld") == 0 || strcmp(op, "ldu") == 0)
        return emit_ld_st(F, ins, false);
    if (strcmp(op, "st") == 0)
        return emit_ld_st(F, ins, true);
    if (strcmp(op, "add") == 0 || strcmp(op, "sub") == 0 || strcmp(op, "mul") == 0 ||
        strcmp(op, "min") == 0 || strcmp(op, "max") == 0 || strcmp(op, "div") == 0 ||
        strcmp(op, "fma") == 0 || strcmp(op, "mad") == 0) {
        if (flt)
            return emit_float_arith(F, ins, op, T);
        if (strcmp(op, "fma") == 0)
            return cgen_fail(F, "fma.%s", ptx_type_name(T));
        return emit_int_arith(F, ins, op, T);
    }
    if (strcmp(op, "addc") == 0 || strcmp(op, "subc") == 0 || strcmp(op, "madc") == 0 ||
        strcmp(op, "mul24") == 0 || strcmp(op, "mad24") == 0 || strcmp(op, "sad") == 0 ||
        strcmp(op, "rem") == 0)
        return emit_int_arith(F, ins, op, T);
    if (strcmp(op, "abs") == 0 || strcmp(op, "neg") == 0) {
        if (flt)
            return emit_float_unary(F, ins, op, T);
        return emit_int_arith(F, ins, op, T);
    }
    if (strcmp(op, "sqrt") == 0 || strcmp(op, "rsqrt") == 0 || strcmp(op, "rcp") == 0 ||
        strcmp(op, "sin") == 0 || strcmp(op, "cos") == 0 || strcmp(op, "lg2") == 0 ||
        strcmp(op, "ex2") == 0 || strcmp(op, "tanh") == 0)
        return emit_float_unary(F, ins, op, T);
    if (strcmp(op, "and") == 0 || strcmp(op, "or") == 0 || strcmp(op, "xor") == 0 ||
        strcmp(op, "not") == 0 || strcmp(op, "cnot") == 0)
        return emit_logic(F, ins, op, T);
    if (strcmp(op, "shl") == 0 || strcmp(op, "shr") == 0)
        return emit_shift(F, ins, op, T);
    if (strcmp(op, "popc") == 0 || strcmp(op, "clz") == 0 || strcmp(op, "brev") == 0 ||
        strcmp(op, "bfind") == 0 || strcmp(op, "bfe") == 0 || strcmp(op, "bfi") == 0)
        return emit_bits(F, ins, op, T);
    if (strcmp(op, "setp") == 0)
        return emit_setp(F, ins, false);
    if (strcmp(op, "set") == 0)
        return emit_setp(F, ins, true);
    if (strcmp(op, "selp") == 0)
        return emit_selp(F, ins, false);
    if (strcmp(op, "slct") == 0)
        return emit_selp(F, ins, true);
    if (strcmp(op, "cvt") == 0)
        return emit_cvt(F, ins);
    if (strcmp(op, "cvta") == 0)
        return emit_cvta(F, ins);
    if (strcmp(op, "isspacep") == 0)
        return emit_isspacep(F, ins);
    if (strcmp(op, "atom") == 0)
        return emit_atom(F, ins, false);
    if (strcmp(op, "red") == 0)
        return emit_atom(F, ins, true);
    if (!emit_misc(F, ins, op, &handled))
        return false;
    if (handled)
        return true;
    if (strcmp(op, "bra") == 0) {
        NOPS(1);
        if (ins->ops[0].kind != PTX_OPND_LABEL)
            return cgen_fail(F, "branch target");
        E("goto L%d;\n", ins->ops[0].label);
        return true;
    }
    if (strcmp(op, "brx") == 0) {
        char a[X];
        NOPS(2);
        if (ins->ops[1].kind != PTX_OPND_LIST)
            return cgen_fail(F, "brx.idx table");
        RD(a, 0, PTX_U32);
        E("switch (%s) {\n", a);
        for (uint32_t i = 0; i < ins->ops[1].nelems; i++)
            E("case %u: goto L%d;\n", i, ins->ops[1].elems[i].label);
        set_tid(F);
        E("default: ctx->rt->fault(ctx, CG_ERR_LAUNCH_FAILURE, \"brx.idx index out of range\"); goto cg_exit;\n}\n");
        return true;
    }
    if (strcmp(op, "ret") == 0) {
        E("goto cg_exit;\n");
        return true;
    }
    if (strcmp(op, "exit") == 0) {
        if (!F->kernel && !F->check_only)
            E("tc->exited = 1;\n");
        E("goto cg_exit;\n");
        return true;
    }
    if (strcmp(op, "call") == 0)
        return emit_call(F, ins);
    if (strcmp(op, "trap") == 0 || strcmp(op, "brkpt") == 0)
        return emit_trap(F, ins);
    if (strcmp(op, "membar") == 0 || strcmp(op, "fence") == 0) {
        E("cg_fence();\n");
        return true;
    }
    if (strcmp(op, "nanosleep") == 0) {
        char a[X];
        NOPS(1);
        RD(a, 0, PTX_U32);
        E("if (ctx->rt->nanosleep) ctx->rt->nanosleep(ctx, %s);\n", a);
        return true;
    }
    if (strcmp(op, "prefetch") == 0 || strcmp(op, "prefetchu") == 0 || strcmp(op, "discard") == 0 ||
        strcmp(op, "applypriority") == 0 || strcmp(op, "pmevent") == 0)
        return true;
    if (strcmp(op, "createpolicy") == 0) {
        if (ins->nops < 1)
            return cgen_fail(F, "operand count");
        WR(0, PTX_B64, "UINT64_C(0)");
        return true;
    }
    if (strcmp(op, "bar") == 0 || strcmp(op, "barrier") == 0)
        return emit_barrier(F, ins);
    if (strcmp(op, "shfl") == 0 || strcmp(op, "vote") == 0 || strcmp(op, "activemask") == 0 ||
        strcmp(op, "match") == 0 || strcmp(op, "redux") == 0)
        return emit_warp_op(F, ins);
    if (!cgen_emit_texsurf(F, ins, &handled))
        return false;
    if (handled)
        return true;
    return cgen_fail(F, "opcode '%s' is not supported", op);
}
