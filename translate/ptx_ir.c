/* ptx_ir.c: small helpers over the PTX IR: type, state-space and special-register
 * tables, lookups, source locations, and the control-flow graph. */
#include "translate/ptx_ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translate/arena.h"

static const struct {
    const char *name;
    unsigned size;
} type_table[PTX_TYPE_COUNT] = {
    [PTX_TYPE_NONE] = { "?", 0 },
#define X(e, s, n) [PTX_##e] = { s, n },
    PTX_TYPE_LIST(X)
#undef X
};

unsigned ptx_type_size(ptx_type t)
{
    return (unsigned)t < PTX_TYPE_COUNT ? type_table[t].size : 0;
}

const char *ptx_type_name(ptx_type t)
{
    return (unsigned)t < PTX_TYPE_COUNT ? type_table[t].name : "?";
}

ptx_type ptx_type_from_name(const char *word)
{
    if (!word)
        return PTX_TYPE_NONE;
    for (int t = 1; t < PTX_TYPE_COUNT; t++)
        if (strcmp(type_table[t].name, word) == 0)
            return (ptx_type)t;
    return PTX_TYPE_NONE;
}

bool ptx_type_is_float(ptx_type t)
{
    switch (t) {
    case PTX_F16: case PTX_F16X2: case PTX_BF16: case PTX_BF16X2:
    case PTX_TF32: case PTX_F32: case PTX_F64:
        return true;
    default:
        return false;
    }
}

bool ptx_type_is_signed(ptx_type t)
{
    return t == PTX_S8 || t == PTX_S16 || t == PTX_S32 || t == PTX_S64;
}

static const char *const space_names[PTX_SPACE_COUNT] = {
#define X(e, s) [PTX_SPACE_##e] = s,
    PTX_SPACE_LIST(X)
#undef X
};

const char *ptx_space_name(ptx_space s)
{
    return (unsigned)s < PTX_SPACE_COUNT ? space_names[s] : "?";
}

static const char *const sreg_names[PTX_SREG_COUNT] = {
    [PTX_SREG_NONE] = "?",
#define X(e, s) [PTX_SREG_##e] = s,
    PTX_SREG_LIST(X)
#undef X
};

const char *ptx_sreg_name(ptx_sreg s)
{
    return (unsigned)s < PTX_SREG_COUNT ? sreg_names[s] : "?";
}

bool ptx_instr_has_mod(const ptx_instr *ins, const char *mod)
{
    for (unsigned i = 0; i < ins->nmods; i++)
        if (strcmp(ins->mods[i], mod) == 0)
            return true;
    return false;
}

const ptx_function *ptx_find_function(const ptx_module *m, const char *name)
{
    if (!m || !name)
        return NULL;
    /* A definition wins over a declaration of the same name. */
    const ptx_function *decl = NULL;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        if (strcmp(m->funcs[i].name, name) == 0) {
            if (m->funcs[i].has_body)
                return &m->funcs[i];
            if (!decl)
                decl = &m->funcs[i];
        }
    }
    return decl;
}

const ptx_var *ptx_find_var(const ptx_module *m, const char *name)
{
    if (!m || !name)
        return NULL;
    for (uint32_t i = 0; i < m->nvars; i++)
        if (strcmp(m->vars[i].name, name) == 0)
            return &m->vars[i];
    return NULL;
}

void ptx_instr_location(const ptx_module *m, const ptx_instr *ins, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    if (ins && m && ins->loc_file) {
        for (uint32_t i = 0; i < m->nfiles; i++) {
            if (m->files[i].index == ins->loc_file && m->files[i].path) {
                const char *path = m->files[i].path;
                const char *base = strrchr(path, '/');
                snprintf(buf, len, "%s:%u", base ? base + 1 : path, ins->loc_line);
                return;
            }
        }
    }
    snprintf(buf, len, "ptx line %u", ins ? ins->line : 0);
}

void ptx_module_free(ptx_module *m)
{
    if (m)
        ptx_arena_free(m->arena); /* the module itself lives in its arena */
}

/* ---- control-flow graph ----------------------------------------------------- */

static bool ends_block(const ptx_instr *ins)
{
    const char *op = ins->opcode;
    return strcmp(op, "bra") == 0 || strcmp(op, "brx") == 0 || strcmp(op, "ret") == 0 ||
           strcmp(op, "exit") == 0 || strcmp(op, "trap") == 0;
}

/* Unconditional transfer: no fall-through to the next block. */
static bool no_fallthrough(const ptx_instr *ins)
{
    if (ins->guard_reg >= 0)
        return false;
    return ends_block(ins);
}

bool ptx_build_cfg(ptx_module *m, ptx_function *f, char *err, size_t errlen)
{
    if (!m || !f)
        return false;
    f->blocks = NULL;
    f->nblocks = 0;
    if (!f->has_body || f->ninstrs == 0)
        return true;
    uint32_t n = f->ninstrs;
    /* block_of[i] = block index of instruction i, for leaders; n+1 entries so a label
     * at the very end still names a (empty) block. */
    int32_t *block_of = malloc((size_t)(n + 1) * sizeof(int32_t));
    unsigned char *leader = calloc((size_t)n + 1, 1);
    if (!block_of || !leader) {
        free(block_of);
        free(leader);
        snprintf(err, errlen, "out of memory building the CFG of %s", f->name);
        return false;
    }
    leader[0] = 1;
    for (uint32_t i = 0; i < f->nlabels; i++)
        if (f->labels[i].instr < n)
            leader[f->labels[i].instr] = 1;
    bool end_block = false;
    for (uint32_t i = 0; i < n; i++) {
        const ptx_instr *ins = &f->instrs[i];
        if (ends_block(ins))
            leader[i + 1] = 1;
        /* a branch to a label placed after the last instruction needs a block there */
        if (strcmp(ins->opcode, "bra") == 0 || strcmp(ins->opcode, "brx") == 0) {
            for (uint32_t k = 0; k < ins->nops; k++) {
                const ptx_operand *o = &ins->ops[k];
                const ptx_operand *list = o->kind == PTX_OPND_LIST ? o->elems : o;
                uint32_t cnt = o->kind == PTX_OPND_LIST ? o->nelems : 1;
                for (uint32_t j = 0; j < cnt; j++) {
                    if (list[j].kind != PTX_OPND_LABEL)
                        continue;
                    if (list[j].label < 0 || (uint32_t)list[j].label >= f->nlabels) {
                        snprintf(err, errlen, "line %u: branch to an unknown label (near `%s`)",
                                 ins->line, ins->text ? ins->text : ins->opcode);
                        free(block_of);
                        free(leader);
                        return false;
                    }
                    if (f->labels[list[j].label].instr >= n)
                        end_block = true;
                }
            }
        }
    }
    leader[n] = end_block ? 1 : 0;
    uint32_t nblocks = 0;
    for (uint32_t i = 0; i <= n; i++)
        if (leader[i])
            block_of[i] = (int32_t)nblocks++;
    ptx_block *blocks = ptx_arena_calloc(m->arena, nblocks, sizeof(ptx_block));
    if (!blocks) {
        free(block_of);
        free(leader);
        snprintf(err, errlen, "out of memory building the CFG of %s", f->name);
        return false;
    }
    uint32_t b = 0;
    for (uint32_t i = 0; i <= n; i++) {
        if (!leader[i])
            continue;
        uint32_t j = i + 1;
        while (j < n && !leader[j])
            j++;
        blocks[b].first = i;
        blocks[b].count = i < n ? j - i : 0;
        blocks[b].succ[0] = blocks[b].succ[1] = -1;
        b++;
        if (i == n)
            break;
    }
    /* successors */
    uint32_t total_preds = 0;
    for (b = 0; b < nblocks; b++) {
        ptx_block *bl = &blocks[b];
        int32_t targets[2 + 64];
        uint32_t nt = 0;
        int32_t *many = NULL;
        uint32_t nmany = 0;
        if (bl->count == 0) {
            bl->all_succ = NULL;
            continue;
        }
        const ptx_instr *last = &f->instrs[bl->first + bl->count - 1];
        if (!no_fallthrough(last) && b + 1 < nblocks)
            targets[nt++] = (int32_t)b + 1;
        if (strcmp(last->opcode, "bra") == 0 && last->nops >= 1 &&
            last->ops[0].kind == PTX_OPND_LABEL) {
            targets[nt++] = block_of[f->labels[last->ops[0].label].instr];
        } else if (strcmp(last->opcode, "brx") == 0 && last->nops >= 2 &&
                   last->ops[1].kind == PTX_OPND_LIST) {
            const ptx_operand *l = &last->ops[1];
            many = ptx_arena_calloc(m->arena, (size_t)l->nelems + 1, sizeof(int32_t));
            if (!many) {
                free(block_of);
                free(leader);
                snprintf(err, errlen, "out of memory building the CFG of %s", f->name);
                return false;
            }
            for (uint32_t k = 0; k < nt; k++)
                many[nmany++] = targets[k];
            for (uint32_t k = 0; k < l->nelems; k++) {
                int32_t t = block_of[f->labels[l->elems[k].label].instr];
                bool dup = false;
                for (uint32_t q = 0; q < nmany; q++)
                    dup |= many[q] == t;
                if (!dup)
                    many[nmany++] = t;
            }
        }
        if (many) {
            bl->all_succ = many;
            bl->nall_succ = nmany;
        } else {
            if (nt == 2 && targets[0] == targets[1])
                nt = 1;
            bl->all_succ = ptx_arena_calloc(m->arena, nt ? nt : 1, sizeof(int32_t));
            if (!bl->all_succ) {
                free(block_of);
                free(leader);
                snprintf(err, errlen, "out of memory building the CFG of %s", f->name);
                return false;
            }
            memcpy(bl->all_succ, targets, nt * sizeof(int32_t));
            bl->nall_succ = nt;
        }
        bl->nsucc = bl->nall_succ < 2 ? bl->nall_succ : 2;
        for (uint32_t k = 0; k < bl->nsucc; k++)
            bl->succ[k] = bl->all_succ[k];
        total_preds += bl->nall_succ;
    }
    /* predecessors: count, then fill */
    for (b = 0; b < nblocks; b++)
        for (uint32_t k = 0; k < blocks[b].nall_succ; k++)
            blocks[blocks[b].all_succ[k]].npreds++;
    for (b = 0; b < nblocks; b++) {
        blocks[b].preds = ptx_arena_calloc(m->arena, blocks[b].npreds ? blocks[b].npreds : 1,
                                           sizeof(int32_t));
        if (!blocks[b].preds) {
            free(block_of);
            free(leader);
            snprintf(err, errlen, "out of memory building the CFG of %s", f->name);
            return false;
        }
        blocks[b].npreds = 0;
    }
    for (b = 0; b < nblocks; b++)
        for (uint32_t k = 0; k < blocks[b].nall_succ; k++) {
            ptx_block *t = &blocks[blocks[b].all_succ[k]];
            t->preds[t->npreds++] = (int32_t)b;
        }
    (void)total_preds;
    f->blocks = blocks;
    f->nblocks = nblocks;
    free(block_of);
    free(leader);
    return true;
}
