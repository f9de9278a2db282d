/* gen_c_live.c: register liveness of a kernel for the C generator's state machine: which
 * registers a thread must keep across each barrier or warp-collective point. Saving only
 * those (instead of every register) keeps the generated code small and the suspend /
 * resume cheap. The analysis errs on the safe side: an operand it does not know to be a
 * full overwrite counts as a read, so a register is never dropped while still needed. */
#include <stdlib.h>
#include <string.h>

#include "translate/gen_c_internal.h"

/* Opcodes whose first operand is a destination they write completely and never read.
 * Anything else keeps its first operand among the reads (the safe default). */
static bool first_operand_is_written(const ptx_instr *ins)
{
    static const char *const writers[] = {
        "abs", "activemask", "add", "addc", "and", "atom", "bfe", "bfi", "bfind", "bmsk",
        "brev", "clz", "cnot", "copysign", "cos", "cvt", "cvta", "div", "dp2a", "dp4a",
        "ex2", "fma", "fns", "isspacep", "ld", "ldu", "lg2", "lop3", "mad", "mad24", "madc",
        "match", "max", "min", "mov", "mul", "mul24", "neg", "not", "or", "popc", "prmt",
        "rcp", "redux", "rem", "rsqrt", "sad", "selp", "set", "setp", "shf", "shfl", "shl",
        "shr", "sin", "slct", "sqrt", "sub", "subc", "szext", "tanh", "testp", "vote",
        "xor", "vadd", "vsub", "vabsdiff", "vmin", "vmax", "vavrg", "vadd2", "vadd4",
        "vsub2", "vsub4", "vabsdiff2", "vabsdiff4", "vmin2", "vmin4", "vmax2", "vmax4",
        "vavrg2", "vavrg4",
    };
    if (strcmp(ins->opcode, "bar") == 0 || strcmp(ins->opcode, "barrier") == 0)
        return ptx_instr_has_mod(ins, "red");
    for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
        if (strcmp(ins->opcode, writers[i]) == 0)
            return true;
    return false;
}

typedef struct live_ctx {
    const ptx_function *f;
    uint32_t words;
} live_ctx;

static void set_bit(uint64_t *s, int32_t r) { s[(uint32_t)r >> 6] |= UINT64_C(1) << (r & 63); }
static void clear_bit(uint64_t *s, int32_t r) { s[(uint32_t)r >> 6] &= ~(UINT64_C(1) << (r & 63)); }

static bool valid_reg(const live_ctx *L, int32_t r) { return r >= 0 && (uint32_t)r < L->f->nregs; }

/* Every register an operand mentions. */
static void add_reads(const live_ctx *L, const ptx_operand *op, uint64_t *s)
{
    switch (op->kind) {
    case PTX_OPND_REG:
    case PTX_OPND_ADDR:
        if (valid_reg(L, op->reg))
            set_bit(s, op->reg);
        break;
    case PTX_OPND_VEC:
    case PTX_OPND_LIST:
    case PTX_OPND_BRACKET:
        for (uint32_t i = 0; i < op->nelems; i++)
            add_reads(L, &op->elems[i], s);
        break;
    default:
        break;
    }
}

/* A whole scalar register the operand overwrites, or -1. */
static int32_t full_write(const live_ctx *L, const ptx_operand *op)
{
    if (op->kind != PTX_OPND_REG || !valid_reg(L, op->reg) || op->reg_comp != 0xff ||
        L->f->regs[op->reg].vec > 1)
        return -1;
    return op->reg;
}

/* live := (live - written(ins)) | read(ins), stepping backwards over one instruction. */
static void step_back(const live_ctx *L, const ptx_instr *ins, uint64_t *live)
{
    if (!ins->opcode)
        return;
    uint32_t first_read = 0;
    if (ins->nops > 0 && first_operand_is_written(ins)) {
        const ptx_operand *d = &ins->ops[0];
        first_read = 1;
        /* a guarded instruction may not write: its destinations stay live */
        if (ins->guard_reg < 0) {
            if (d->kind == PTX_OPND_VEC) {
                for (uint32_t i = 0; i < d->nelems; i++) {
                    int32_t r = full_write(L, &d->elems[i]);
                    if (r >= 0)
                        clear_bit(live, r);
                }
            } else {
                int32_t r = full_write(L, d);
                if (r >= 0)
                    clear_bit(live, r);
            }
        }
        /* partial writes (vector components) and address registers stay reads */
        if (d->kind == PTX_OPND_VEC) {
            for (uint32_t i = 0; i < d->nelems; i++)
                if (full_write(L, &d->elems[i]) < 0)
                    add_reads(L, &d->elems[i], live);
        } else if (full_write(L, d) < 0) {
            add_reads(L, d, live);
        }
    }
    for (uint32_t o = first_read; o < ins->nops; o++)
        add_reads(L, &ins->ops[o], live);
    if (valid_reg(L, ins->guard_reg))
        set_bit(live, ins->guard_reg);
}

static bool is_op(const ptx_instr *ins, const char *name)
{
    return ins->opcode && strcmp(ins->opcode, name) == 0;
}

/* Instruction index a label stands for (past the end is allowed). */
static uint32_t label_target(const ptx_function *f, int32_t label)
{
    if (label < 0 || (uint32_t)label >= f->nlabels)
        return f->ninstrs;
    return f->labels[label].instr < f->ninstrs ? f->labels[label].instr : f->ninstrs;
}

/* live_out of block bb: the union of its successors' live_in. */
static void block_live_out(const live_ctx *L, const uint32_t *start, const uint32_t *block_of,
                           const uint64_t *live_in, uint32_t bb, uint64_t *out)
{
    const ptx_function *f = L->f;
    uint32_t W = L->words, last = start[bb + 1] - 1;
    const ptx_instr *end = &f->instrs[last];
    bool falls = true, known = true;
    memset(out, 0, (size_t)W * sizeof *out);
#define OR_LIVE_IN(b) do { const uint64_t *t_ = live_in + (size_t)(b) * W; \
        for (uint32_t w_ = 0; w_ < W; w_++) out[w_] |= t_[w_]; } while (0)
    if (is_op(end, "bra")) {
        known = end->nops >= 1 && end->ops[0].kind == PTX_OPND_LABEL;
        if (known)
            OR_LIVE_IN(block_of[label_target(f, end->ops[0].label)]);
        falls = end->guard_reg >= 0;
    } else if (is_op(end, "brx")) {
        known = end->nops >= 2 && end->ops[1].kind == PTX_OPND_LIST;
        for (uint32_t j = 0; known && j < end->ops[1].nelems; j++) {
            const ptx_operand *lab = &end->ops[1].elems[j];
            known = lab->kind == PTX_OPND_LABEL;
            if (known)
                OR_LIVE_IN(block_of[label_target(f, lab->label)]);
        }
        falls = end->guard_reg >= 0;
    } else if (is_op(end, "ret") || is_op(end, "exit")) {
        falls = end->guard_reg >= 0;
    }
    if (!known) /* a target we cannot see: everything may be needed */
        memset(out, 0xff, (size_t)W * sizeof *out);
    if (falls)
        OR_LIVE_IN(block_of[last + 1]);
#undef OR_LIVE_IN
}

uint64_t **cgen_live_at_collectives(const ptx_function *f, uint32_t *words_out)
{
    live_ctx L = {f, (f->nregs + 63) / 64 ? (f->nregs + 63) / 64 : 1};
    uint32_t n = f->ninstrs, W = L.words;
    *words_out = W;
    uint64_t **result = calloc(n ? n : 1, sizeof *result);
    uint32_t *block_of = malloc((n + 1) * sizeof *block_of);
    bool *leader = calloc(n + 1, sizeof *leader);
    if (!result || !block_of || !leader)
        goto fail;
    /* basic blocks: labels start one, control transfers end one */
    leader[0] = true;
    for (uint32_t l = 0; l < f->nlabels; l++)
        leader[label_target(f, (int32_t)l)] = true;
    for (uint32_t i = 0; i < n; i++)
        if (is_op(&f->instrs[i], "bra") || is_op(&f->instrs[i], "brx") ||
            is_op(&f->instrs[i], "ret") || is_op(&f->instrs[i], "exit"))
            leader[i + 1] = true;
    uint32_t nb = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (leader[i])
            nb++;
        block_of[i] = nb - 1;
    }
    block_of[n] = nb; /* the end: a virtual block with nothing live */
    uint32_t *start = malloc((nb + 1) * sizeof *start);
    uint64_t *live_in = calloc((size_t)(nb + 1) * W, sizeof *live_in);
    uint64_t *scratch = malloc((size_t)W * sizeof *scratch);
    if (!start || !live_in || !scratch) {
        free(start);
        free(live_in);
        free(scratch);
        goto fail;
    }
    for (uint32_t i = 0, b = 0; i < n; i++)
        if (leader[i])
            start[b++] = i;
    start[nb] = n;

    bool changed = true;
    while (changed) {
        changed = false;
        for (uint32_t bb = nb; bb-- > 0;) {
            uint32_t last = start[bb + 1] - 1;
            block_live_out(&L, start, block_of, live_in, bb, scratch);
            for (uint32_t i = last + 1; i-- > start[bb];)
                step_back(&L, &f->instrs[i], scratch);
            uint64_t *in = live_in + (size_t)bb * W;
            for (uint32_t w = 0; w < W; w++)
                if ((in[w] | scratch[w]) != in[w]) {
                    in[w] |= scratch[w];
                    changed = true;
                }
        }
    }
    /* at each collective: what is live after it, plus what it reads */
    for (uint32_t bb = 0; bb < nb; bb++) {
        bool any = false;
        for (uint32_t i = start[bb]; i < start[bb + 1] && !any; i++)
            any = f->instrs[i].opcode && cgen_is_collective(&f->instrs[i]);
        if (!any)
            continue;
        uint32_t last = start[bb + 1] - 1;
        block_live_out(&L, start, block_of, live_in, bb, scratch);
        for (uint32_t i = last + 1; i-- > start[bb];) {
            const ptx_instr *ins = &f->instrs[i];
            if (ins->opcode && cgen_is_collective(ins)) {
                uint64_t *at = malloc((size_t)W * sizeof *at);
                if (!at) {
                    free(start);
                    free(live_in);
                    free(scratch);
                    goto fail;
                }
                memcpy(at, scratch, (size_t)W * sizeof *at);
                for (uint32_t o = 0; o < ins->nops; o++)
                    add_reads(&L, &ins->ops[o], at);
                if (valid_reg(&L, ins->guard_reg))
                    set_bit(at, ins->guard_reg);
                result[i] = at;
            }
            step_back(&L, ins, scratch);
        }
    }
    free(start);
    free(live_in);
    free(scratch);
    free(block_of);
    free(leader);
    return result;
fail:
    if (result)
        for (uint32_t i = 0; i < n; i++)
            free(result[i]);
    free(result);
    free(block_of);
    free(leader);
    return NULL;
}

void cgen_live_free(uint64_t **live, uint32_t ninstrs)
{
    if (!live)
        return;
    for (uint32_t i = 0; i < ninstrs; i++)
        free(live[i]);
    free(live);
}
