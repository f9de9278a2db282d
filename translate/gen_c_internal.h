/* gen_c_internal.h: shared state of the C code generator (translate/gen_c*.c): the
 * output buffer, per-function emission context and operand helpers. Not installed. */
#ifndef CUSHIM_GEN_C_INTERNAL_H
#define CUSHIM_GEN_C_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translate/gen_c.h"
#include "translate/ptx_ir.h"

typedef struct cgen_buf {
    char *p;
    size_t len, cap;
    bool oom;
} cgen_buf;

void cgen_buf_printf(cgen_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cgen_buf_puts(cgen_buf *b, const char *s);

/* C value classes of PTX registers and operands. */
typedef enum cgen_ctype {
    CT_PRED = 0, CT_U8, CT_U16, CT_U32, CT_U64, CT_F32, CT_F64, CT_BAD
} cgen_ctype;

cgen_ctype cgen_ctype_of(ptx_type t);
const char *cgen_ctype_name(cgen_ctype c);

/* A name -> index map (open addressing) over strings owned by the IR. */
typedef struct cgen_map {
    const char **keys;
    int32_t *vals;
    uint32_t cap, n;
} cgen_map;

bool cgen_map_put(cgen_map *m, const char *key, int32_t val);
int32_t cgen_map_get(const cgen_map *m, const char *key); /* -1 when absent */
void cgen_map_free(cgen_map *m);

/* Module-wide analysis, one entry per ptx_module.funcs[]. */
typedef struct cgen_finfo {
    const ptx_instr *bad_ins;     /* first unsupported instruction, or NULL */
    char bad_why[160];
    const ptx_instr *collective;  /* first barrier / warp collective, or NULL */
    uint32_t *callees;            /* direct callees (function indices) */
    uint32_t ncallees;
    bool indirect;                /* makes an indirect call */
    bool addr_taken;              /* its address is taken somewhere */
    bool takes_fn_addr;           /* it takes the address of some function */
    bool has_call;
    uint32_t *param_off;          /* .func parameter / return layout (our own) */
    uint32_t *ret_off;
    uint32_t param_bytes, ret_bytes;
} cgen_finfo;

typedef struct cgen_gen {
    const ptx_module *m;
    const cgen_options *opt;
    cgen_map vars;   /* module var name -> index */
    cgen_map funcs;  /* function name -> index */
    cgen_finfo *fi;
} cgen_gen;

/* Emission context of one function. With check_only (cgen_supports), there is no
 * function: registers take the type the instruction asks for and symbols resolve. */
typedef struct cgen_fn {
    cgen_gen *g;
    const ptx_function *f;
    uint32_t fidx;
    cgen_buf *b;
    bool check_only;
    bool kernel;
    bool state_machine;
    uint32_t nsites;
    cgen_map fvars;             /* function var name -> index */
    cgen_map fparams;           /* param name -> index; rets as -2 - index */
    uint32_t *var_off;          /* kernel .local/.shared function vars: offsets */
    const uint32_t *mod_shoff;  /* kernel: module shared var offsets (UINT32_MAX unused) */
    /* State machine: registers live at each collective (by instruction index, from
     * cgen_live_at_collectives), the instruction being emitted, and per resume site
     * (1-based) the instruction that opened it, so the resume code restores only those. */
    uint64_t **live;
    uint32_t live_words;
    uint32_t cur_instr;
    uint32_t *site_instr;
    uint32_t site_cap;
    const char *why;            /* reason of the failure, set by emitters */
    char whybuf[160];
} cgen_fn;

/* Declarations every function prologue emits (ctx in scope): %ntid, %ctaid, %nctaid
 * as locals, which the special-register reads use. */
#define CGEN_SREG_LOCALS \
    "const uint32_t cg_ntid0 = ctx->ntid[0], cg_ntid1 = ctx->ntid[1], cg_ntid2 = ctx->ntid[2];\n" \
    "const uint32_t cg_ctaid0 = ctx->ctaid[0], cg_ctaid1 = ctx->ctaid[1], cg_ctaid2 = ctx->ctaid[2];\n" \
    "const uint32_t cg_nctaid0 = ctx->nctaid[0], cg_nctaid1 = ctx->nctaid[1], cg_nctaid2 = ctx->nctaid[2];\n" \
    "(void)cg_ntid0; (void)cg_ntid1; (void)cg_ntid2; (void)cg_ctaid0; (void)cg_ctaid1; (void)cg_ctaid2;\n" \
    "(void)cg_nctaid0; (void)cg_nctaid1; (void)cg_nctaid2;\n"

/* snprintf that records truncation instead of warning about it: a truncated
 * expression makes the instruction fail ("expression too long"), never wrong C. */
void cgen_fmt(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern _Thread_local bool cgen_truncated;

/* Operand text into a caller buffer, as a C expression of the C type of `t`. */
bool cgen_read(cgen_fn *F, const ptx_operand *op, ptx_type t, char *out, size_t n);
/* Emit `dst = value;` where value is a C expression of the C type of `vt`. */
bool cgen_write(cgen_fn *F, const ptx_operand *dst, ptx_type vt, const char *value);
/* Address operand as a `char *` C expression for state space `sp`. */
bool cgen_addr(cgen_fn *F, const ptx_operand *op, ptx_space sp, char *out, size_t n);
/* Value of a symbol used as an operand (its address in its space) as uint64_t. */
bool cgen_symbol_value(cgen_fn *F, const char *sym, char *out, size_t n);

/* Emit one instruction (without guard). False with F->why set when unsupported. */
bool cgen_emit_instr(cgen_fn *F, const ptx_instr *ins);
bool cgen_fail(cgen_fn *F, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fail a call to an external function, naming dynamic parallelism for the device runtime. */
bool cgen_fail_external(cgen_fn *F, const char *name);

/* Texture and surface instructions (gen_c_tex.c): *handled false when ins is none. */
bool cgen_emit_texsurf(cgen_fn *F, const ptx_instr *ins, bool *handled);

/* Barrier and warp-collective classification. */
bool cgen_is_collective(const ptx_instr *ins);

/* Liveness (gen_c_live.c): for each barrier / warp-collective instruction of f, the set
 * of registers (bitset of `*words` 64-bit words) a thread suspended there must keep:
 * those live after it plus those it reads. Other entries are NULL. NULL when out of
 * memory. Free with cgen_live_free. */
uint64_t **cgen_live_at_collectives(const ptx_function *f, uint32_t *words);
void cgen_live_free(uint64_t **live, uint32_t ninstrs);
/* Emit the statements saving (save true) or restoring the registers live at the
 * collective instruction `instr` into / from the thread's state slice `cg_st`. */
void cgen_emit_live_copy(cgen_fn *F, uint32_t instr, bool save);

#endif
