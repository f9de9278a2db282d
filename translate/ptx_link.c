/* ptx_link.c: links PTX modules from separate compilation (nvcc -rdc) into one
 * module: .extern symbols resolve to definitions in other modules, .weak and .common
 * yield to strong definitions, clashing module-private symbols are renamed. The result
 * is a deep copy in its own arena; the inputs are left untouched. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translate/arena.h"
#include "translate/ptx_ir.h"

/* Who defines a non-private name (value of link_state.defs):
 * bit 62: function, bits 32..61: module, bits 0..31: index. */
#define DEF(is_func, mod, idx) \
    (((int64_t)(is_func) << 62) | ((int64_t)(mod) << 32) | (int64_t)(uint32_t)(idx))
#define DEF_IS_FUNC(v) ((int)(((uint64_t)(v) >> 62) & 1))
#define DEF_MOD(v) ((uint32_t)(((uint64_t)(v) >> 32) & 0x3fffffff))
#define DEF_IDX(v) ((uint32_t)(v))

typedef struct link_state {
    ptx_module *const *mods;
    uint32_t nmods;
    ptx_module *out;
    ptx_arena *ar;
    char *err;
    size_t errlen;
    bool failed;
    ptx_strmap all_names;  /* every module-scope name of every input */
    ptx_strmap defs;       /* non-private name -> winning definition (DEF) */
    ptx_strmap *renamed;   /* per input: private name -> index into out->renames */
    ptx_strmap emitted;    /* names already placed in the output */
    uint32_t *file_base;   /* per input: offset added to its .file indices */
    uint32_t renames_cap;
} link_state;

static bool link_fail(link_state *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool link_fail(link_state *L, const char *fmt, ...)
{
    if (!L->failed && L->err && L->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->err, L->errlen, fmt, ap);
        va_end(ap);
    }
    L->failed = true;
    return false;
}

static bool oom(link_state *L)
{
    return link_fail(L, "out of memory while linking PTX modules");
}

/* Device-runtime entry points that stay external: the code generator provides them. */
static bool is_runtime_symbol(const char *name)
{
    static const char *const exact[] = { "vprintf", "malloc", "free", "__assertfail" };
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(name, exact[i]) == 0)
            return true;
    return strncmp(name, "cuda", 4) == 0 || strncmp(name, "__cuda", 6) == 0;
}

/* Dynamic shared memory: `.extern .shared .b8 x[];` is one per kernel, not a link-time
 * reference; every module may declare its own. */
static bool is_dynamic_shared(const ptx_var *v)
{
    return v->linkage == PTX_LINK_EXTERN &&
           (v->space == PTX_SPACE_SHARED || v->space == PTX_SPACE_SHARED_CTA ||
            v->space == PTX_SPACE_SHARED_CLUSTER);
}

static bool is_definition_func(const ptx_function *f)
{
    return f->has_body && f->linkage != PTX_LINK_EXTERN;
}

static bool is_definition_var(const ptx_var *v)
{
    return v->linkage != PTX_LINK_EXTERN;
}

static bool is_weak(ptx_linkage l)
{
    return l == PTX_LINK_WEAK || l == PTX_LINK_COMMON;
}

/* ---- copying ------------------------------------------------------------------ */

static const char *copy_str(link_state *L, const char *s)
{
    if (!s)
        return NULL;
    char *c = ptx_arena_strdup(L->ar, s);
    if (!c)
        oom(L);
    return c;
}

static void *copy_mem(link_state *L, const void *src, size_t n, size_t size)
{
    if (!src || !n)
        return NULL;
    void *d = ptx_arena_calloc(L->ar, n, size);
    if (!d) {
        oom(L);
        return NULL;
    }
    memcpy(d, src, n * size);
    return d;
}

/* The output name of a module-scope symbol referenced from input `mod`. */
static const char *map_symbol(link_state *L, uint32_t mod, const char *name)
{
    int64_t r;
    if (ptx_strmap_get(&L->renamed[mod], name, &r))
        return L->out->renames[r].new_name;
    return copy_str(L, name);
}

static bool is_local_name(const ptx_function *f, const char *name)
{
    for (uint32_t i = 0; i < f->nvars; i++)
        if (strcmp(f->vars[i].name, name) == 0)
            return true;
    for (uint32_t i = 0; i < f->nparams; i++)
        if (strcmp(f->params[i].name, name) == 0)
            return true;
    for (uint32_t i = 0; i < f->nrets; i++)
        if (strcmp(f->rets[i].name, name) == 0)
            return true;
    for (uint32_t i = 0; i < f->nprotos; i++)
        if (strcmp(f->protos[i].name, name) == 0)
            return true;
    return false;
}

static ptx_param *copy_params(link_state *L, const ptx_param *src, uint32_t n)
{
    ptx_param *d = copy_mem(L, src, n, sizeof(ptx_param));
    for (uint32_t i = 0; d && i < n; i++)
        d[i].name = copy_str(L, src[i].name);
    return d;
}

static void copy_var_into(link_state *L, uint32_t mod, ptx_var *d, const ptx_var *s,
                          const char *name)
{
    *d = *s;
    d->name = name;
    if (s->init)
        d->init = copy_mem(L, s->init, s->size ? s->size : 1, 1);
    d->relocs = copy_mem(L, s->relocs, s->nrelocs, sizeof(ptx_init_reloc));
    for (uint32_t i = 0; d->relocs && i < s->nrelocs; i++)
        d->relocs[i].symbol = map_symbol(L, mod, s->relocs[i].symbol);
}

/* A function-local reference: locals keep their names, module symbols are mapped. */
static const char *map_ref(link_state *L, uint32_t mod, const ptx_function *f, const char *name)
{
    if (is_local_name(f, name))
        return copy_str(L, name);
    return map_symbol(L, mod, name);
}

static ptx_operand *copy_operands(link_state *L, uint32_t mod, const ptx_function *f,
                                  const ptx_operand *src, uint32_t n, int depth)
{
    if (!n)
        return NULL;
    if (depth > 16) {
        link_fail(L, "operand nested too deeply in `%s`", f->name);
        return NULL;
    }
    ptx_operand *d = copy_mem(L, src, n, sizeof(ptx_operand));
    for (uint32_t i = 0; d && i < n; i++) {
        if (src[i].symbol)
            d[i].symbol = map_ref(L, mod, f, src[i].symbol);
        if (src[i].nelems)
            d[i].elems = copy_operands(L, mod, f, src[i].elems, src[i].nelems, depth + 1);
    }
    return d;
}

static void copy_function_into(link_state *L, uint32_t mod, ptx_function *d,
                               const ptx_function *s, const char *name)
{
    *d = *s;
    d->name = name;
    d->params = copy_params(L, s->params, s->nparams);
    d->rets = copy_params(L, s->rets, s->nrets);
    d->regs = copy_mem(L, s->regs, s->nregs, sizeof(ptx_reg));
    for (uint32_t i = 0; d->regs && i < s->nregs; i++)
        d->regs[i].name = copy_str(L, s->regs[i].name);
    d->vars = copy_mem(L, s->vars, s->nvars, sizeof(ptx_var));
    for (uint32_t i = 0; d->vars && i < s->nvars; i++)
        copy_var_into(L, mod, &d->vars[i], &s->vars[i], copy_str(L, s->vars[i].name));
    d->labels = copy_mem(L, s->labels, s->nlabels, sizeof(ptx_label));
    for (uint32_t i = 0; d->labels && i < s->nlabels; i++)
        d->labels[i].name = copy_str(L, s->labels[i].name);
    d->protos = copy_mem(L, s->protos, s->nprotos, sizeof(ptx_function));
    for (uint32_t i = 0; d->protos && i < s->nprotos; i++) {
        d->protos[i].name = copy_str(L, s->protos[i].name);
        d->protos[i].params = copy_params(L, s->protos[i].params, s->protos[i].nparams);
        d->protos[i].rets = copy_params(L, s->protos[i].rets, s->protos[i].nrets);
    }
    d->instrs = copy_mem(L, s->instrs, s->ninstrs, sizeof(ptx_instr));
    for (uint32_t i = 0; d->instrs && i < s->ninstrs; i++) {
        ptx_instr *di = &d->instrs[i];
        const ptx_instr *si = &s->instrs[i];
        di->opcode = copy_str(L, si->opcode);
        for (unsigned k = 0; k < si->nmods; k++)
            di->mods[k] = copy_str(L, si->mods[k]);
        di->text = copy_str(L, si->text);
        di->ops = copy_operands(L, mod, s, si->ops, si->nops, 0);
        if (si->loc_file)
            di->loc_file = si->loc_file + L->file_base[mod];
    }
    d->blocks = NULL; /* rebuilt on the output module */
    d->nblocks = 0;
}

/* ---- symbol resolution --------------------------------------------------------- */

static bool note_name(link_state *L, const char *name)
{
    if (!ptx_strmap_put(&L->all_names, name, 1))
        return oom(L);
    return true;
}

static const char *symbol_kind(bool is_func)
{
    return is_func ? "function" : "variable";
}

/* Records a non-private definition, applying weak/strong rules. */
static bool add_definition(link_state *L, const char *name, bool is_func, uint32_t mod,
                           uint32_t idx, ptx_linkage linkage)
{
    int64_t prev;
    if (!ptx_strmap_get(&L->defs, name, &prev)) {
        if (!ptx_strmap_put(&L->defs, name, DEF(is_func, mod, idx)))
            return oom(L);
        return true;
    }
    uint32_t pm = DEF_MOD(prev);
    bool prev_func = DEF_IS_FUNC(prev);
    if (prev_func != is_func)
        return link_fail(L, "symbol `%s` is a %s in module %u and a %s in module %u", name,
                         symbol_kind(prev_func), pm, symbol_kind(is_func), mod);
    ptx_linkage prev_link = prev_func ? L->mods[pm]->funcs[DEF_IDX(prev)].linkage
                                      : L->mods[pm]->vars[DEF_IDX(prev)].linkage;
    if (is_weak(linkage)) {
        /* .common: the largest definition wins */
        if (!is_func && linkage == PTX_LINK_COMMON && prev_link == PTX_LINK_COMMON &&
            L->mods[mod]->vars[idx].size > L->mods[pm]->vars[DEF_IDX(prev)].size)
            ptx_strmap_put(&L->defs, name, DEF(is_func, mod, idx));
        return true;
    }
    if (is_weak(prev_link)) {
        ptx_strmap_put(&L->defs, name, DEF(is_func, mod, idx));
        return true;
    }
    return link_fail(L, "duplicate definition of %s `%s` (modules %u and %u)",
                     symbol_kind(is_func), name, pm, mod);
}

static bool add_rename(link_state *L, uint32_t mod, const char *name)
{
    ptx_module *out = L->out;
    char buf[64];
    const char *unique = NULL;
    for (uint32_t n = 0; n < 1000000 && !unique; n++) {
        if (n == 0)
            snprintf(buf, sizeof(buf), "$m%u", mod);
        else
            snprintf(buf, sizeof(buf), "$m%u_%u", mod, n);
        size_t len = strlen(name) + strlen(buf) + 1;
        char *cand = ptx_arena_alloc(L->ar, len);
        if (!cand)
            return oom(L);
        snprintf(cand, len, "%s%s", name, buf);
        if (!ptx_strmap_get(&L->all_names, cand, NULL))
            unique = cand;
    }
    if (!unique)
        return link_fail(L, "cannot find a new name for `%s`", name);
    if (!note_name(L, unique))
        return false;
    if (out->nrenames >= L->renames_cap) {
        uint32_t cap = L->renames_cap ? L->renames_cap * 2 : 8;
        ptx_link_rename *r = ptx_arena_calloc(L->ar, cap, sizeof(*r));
        if (!r)
            return oom(L);
        if (out->nrenames)
            memcpy(r, out->renames, out->nrenames * sizeof(*r));
        out->renames = r;
        L->renames_cap = cap;
    }
    ptx_link_rename *r = &out->renames[out->nrenames];
    r->module = mod;
    r->old_name = copy_str(L, name);
    r->new_name = unique;
    if (!ptx_strmap_put(&L->renamed[mod], r->old_name, out->nrenames))
        return oom(L);
    out->nrenames++;
    return true;
}

/* Private symbols that meet the same name in another module are renamed. The first
 * module's private symbol keeps its name unless a non-private symbol has it.
 * name_count counts the modules holding each name (the parser merges a module's own
 * declarations with their definition). */
static bool plan_renames(link_state *L, ptx_strmap *name_count)
{
    ptx_strmap first_static, nonprivate;
    ptx_strmap_init(&first_static);
    ptx_strmap_init(&nonprivate);
    for (uint32_t i = 0; i < L->nmods && !L->failed; i++) {
        const ptx_module *m = L->mods[i];
        for (uint32_t k = 0; k < m->nfuncs + m->nvars; k++) {
            bool is_func = k < m->nfuncs;
            const char *name = is_func ? m->funcs[k].name : m->vars[k - m->nfuncs].name;
            ptx_linkage l = is_func ? m->funcs[k].linkage : m->vars[k - m->nfuncs].linkage;
            if (!is_func && is_dynamic_shared(&m->vars[k - m->nfuncs]))
                continue;
            bool ok = true;
            if (l != PTX_LINK_STATIC)
                ok = ptx_strmap_put(&nonprivate, name, 1);
            else if (!ptx_strmap_get(&first_static, name, NULL))
                ok = ptx_strmap_put(&first_static, name, i);
            if (!ok)
                oom(L);
        }
    }
    for (uint32_t i = 0; i < L->nmods && !L->failed; i++) {
        const ptx_module *m = L->mods[i];
        for (uint32_t k = 0; k < m->nfuncs + m->nvars && !L->failed; k++) {
            bool is_func = k < m->nfuncs;
            const char *name = is_func ? m->funcs[k].name : m->vars[k - m->nfuncs].name;
            ptx_linkage l = is_func ? m->funcs[k].linkage : m->vars[k - m->nfuncs].linkage;
            int64_t count = 0, first = -1;
            if (l != PTX_LINK_STATIC)
                continue;
            ptx_strmap_get(name_count, name, &count);
            if (count < 2)
                continue; /* only here: nothing to clash with */
            ptx_strmap_get(&first_static, name, &first);
            if (first == (int64_t)i && !ptx_strmap_get(&nonprivate, name, NULL))
                continue;
            if (!ptx_strmap_get(&L->renamed[i], name, NULL))
                add_rename(L, i, name);
        }
    }
    ptx_strmap_clear(&first_static);
    ptx_strmap_clear(&nonprivate);
    return !L->failed;
}

static bool same_signature(const ptx_function *a, const ptx_function *b)
{
    if (a->nparams != b->nparams || a->nrets != b->nrets)
        return false;
    for (uint32_t i = 0; i < a->nparams; i++)
        if (a->params[i].size != b->params[i].size)
            return false;
    for (uint32_t i = 0; i < a->nrets; i++)
        if (a->rets[i].size != b->rets[i].size)
            return false;
    return true;
}

static bool resolve(link_state *L)
{
    ptx_strmap name_count;
    ptx_strmap_init(&name_count);
    for (uint32_t i = 0; i < L->nmods && !L->failed; i++) {
        const ptx_module *m = L->mods[i];
        for (uint32_t k = 0; k < m->nfuncs && !L->failed; k++) {
            const ptx_function *f = &m->funcs[k];
            int64_t c = 0;
            ptx_strmap_get(&name_count, f->name, &c);
            if (!ptx_strmap_put(&name_count, f->name, c + 1) || !note_name(L, f->name))
                oom(L);
            if (f->linkage != PTX_LINK_STATIC && is_definition_func(f))
                add_definition(L, f->name, true, i, k, f->linkage);
        }
        for (uint32_t k = 0; k < m->nvars && !L->failed; k++) {
            const ptx_var *v = &m->vars[k];
            if (is_dynamic_shared(v))
                continue;
            int64_t c = 0;
            ptx_strmap_get(&name_count, v->name, &c);
            if (!ptx_strmap_put(&name_count, v->name, c + 1) || !note_name(L, v->name))
                oom(L);
            if (v->linkage != PTX_LINK_STATIC && is_definition_var(v))
                add_definition(L, v->name, false, i, k, v->linkage);
        }
    }
    if (!L->failed)
        plan_renames(L, &name_count);
    ptx_strmap_clear(&name_count);
    if (L->failed)
        return false;
    /* every external declaration needs a definition, with a matching signature */
    for (uint32_t i = 0; i < L->nmods; i++) {
        const ptx_module *m = L->mods[i];
        for (uint32_t k = 0; k < m->nfuncs; k++) {
            const ptx_function *f = &m->funcs[k];
            if (f->linkage == PTX_LINK_STATIC || is_definition_func(f))
                continue;
            int64_t d;
            if (!ptx_strmap_get(&L->defs, f->name, &d)) {
                if (is_runtime_symbol(f->name))
                    continue;
                return link_fail(L, "unresolved external function `%s` (declared in module %u)",
                                 f->name, i);
            }
            if (!DEF_IS_FUNC(d))
                return link_fail(L, "`%s` is declared as a function in module %u but defined "
                                 "as a variable in module %u", f->name, i, DEF_MOD(d));
            if (!same_signature(f, &L->mods[DEF_MOD(d)]->funcs[DEF_IDX(d)]))
                return link_fail(L, "function `%s` is declared in module %u with parameters "
                                 "that differ from its definition in module %u",
                                 f->name, i, DEF_MOD(d));
        }
        for (uint32_t k = 0; k < m->nvars; k++) {
            const ptx_var *v = &m->vars[k];
            if (v->linkage != PTX_LINK_EXTERN || is_dynamic_shared(v))
                continue;
            int64_t d;
            if (!ptx_strmap_get(&L->defs, v->name, &d))
                return link_fail(L, "unresolved external variable `%s` (declared in module %u)",
                                 v->name, i);
            if (DEF_IS_FUNC(d))
                return link_fail(L, "`%s` is declared as a variable in module %u but defined "
                                 "as a function in module %u", v->name, i, DEF_MOD(d));
        }
    }
    return true;
}

/* ---- output ------------------------------------------------------------------------- */

static bool emit(link_state *L)
{
    ptx_module *out = L->out;
    uint32_t nvars = 0, nfuncs = 0, nfiles = 0;
    for (uint32_t i = 0; i < L->nmods; i++) {
        nvars += L->mods[i]->nvars;
        nfuncs += L->mods[i]->nfuncs;
        nfiles += L->mods[i]->nfiles;
    }
    out->vars = ptx_arena_calloc(L->ar, nvars ? nvars : 1, sizeof(ptx_var));
    out->funcs = ptx_arena_calloc(L->ar, nfuncs ? nfuncs : 1, sizeof(ptx_function));
    out->files = ptx_arena_calloc(L->ar, nfiles ? nfiles : 1, sizeof(ptx_file));
    if (!out->vars || !out->funcs || !out->files)
        return oom(L);
    /* .file indices: each input's are shifted past the previous inputs' largest */
    uint32_t base = 0;
    for (uint32_t i = 0; i < L->nmods; i++) {
        const ptx_module *m = L->mods[i];
        uint32_t maxidx = 0;
        L->file_base[i] = base;
        for (uint32_t k = 0; k < m->nfiles; k++) {
            ptx_file *f = &out->files[out->nfiles++];
            if (m->files[k].index > UINT32_MAX - base - 1)
                return link_fail(L, "file index %u too large", m->files[k].index);
            f->index = m->files[k].index + base;
            f->path = copy_str(L, m->files[k].path);
            if (m->files[k].index > maxidx)
                maxidx = m->files[k].index;
        }
        base += maxidx;
    }
    for (uint32_t i = 0; i < L->nmods && !L->failed; i++) {
        const ptx_module *m = L->mods[i];
        for (uint32_t k = 0; k < m->nvars && !L->failed; k++) {
            const ptx_var *v = &m->vars[k];
            if (is_dynamic_shared(v)) {
                int64_t at;
                if (ptx_strmap_get(&L->emitted, v->name, &at)) {
                    ptx_var *o = &out->vars[at];
                    if (o->space == v->space && is_dynamic_shared(o)) {
                        if (v->align > o->align)
                            o->align = v->align;
                        continue;
                    }
                }
            } else if (v->linkage != PTX_LINK_STATIC) {
                int64_t d;
                if (!ptx_strmap_get(&L->defs, v->name, &d) || DEF_MOD(d) != i ||
                    DEF_IDX(d) != k)
                    continue; /* a declaration, or a weak definition that lost */
            }
            ptx_var *o = &out->vars[out->nvars];
            copy_var_into(L, i, o, v, map_symbol(L, i, v->name));
            if (!ptx_strmap_put(&L->emitted, o->name, out->nvars))
                return oom(L);
            out->nvars++;
        }
        for (uint32_t k = 0; k < m->nfuncs && !L->failed; k++) {
            const ptx_function *f = &m->funcs[k];
            if (f->linkage != PTX_LINK_STATIC) {
                int64_t d;
                if (ptx_strmap_get(&L->defs, f->name, &d)) {
                    if (DEF_MOD(d) != i || DEF_IDX(d) != k)
                        continue;
                } else if (ptx_strmap_get(&L->emitted, f->name, NULL)) {
                    continue; /* a runtime function already declared */
                }
            }
            ptx_function *o = &out->funcs[out->nfuncs];
            copy_function_into(L, i, o, f, map_symbol(L, i, f->name));
            if (!ptx_strmap_put(&L->emitted, o->name, out->nfuncs))
                return oom(L);
            out->nfuncs++;
        }
    }
    if (L->failed)
        return false;
    for (uint32_t k = 0; k < out->nfuncs; k++) {
        char cfg_err[256];
        if (out->funcs[k].has_body && !ptx_build_cfg(out, &out->funcs[k], cfg_err, sizeof(cfg_err)))
            return link_fail(L, "%s", cfg_err);
    }
    return true;
}

ptx_module *ptx_link(ptx_module *const *mods, uint32_t nmods, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!mods || nmods == 0) {
        if (err && errlen)
            snprintf(err, errlen, "no PTX modules to link");
        return NULL;
    }
    link_state L;
    memset(&L, 0, sizeof(L));
    L.mods = mods;
    L.nmods = nmods;
    L.err = err;
    L.errlen = errlen;
    for (uint32_t i = 0; i < nmods; i++) {
        if (!mods[i]) {
            link_fail(&L, "PTX module %u to link is missing", i);
            return NULL;
        }
        if (mods[i]->address_size != mods[0]->address_size) {
            link_fail(&L, "cannot link a %u-bit module (module %u) with a %u-bit one",
                      mods[i]->address_size, i, mods[0]->address_size);
            return NULL;
        }
    }
    L.ar = ptx_arena_new();
    L.out = L.ar ? ptx_arena_alloc(L.ar, sizeof(ptx_module)) : NULL;
    L.renamed = calloc(nmods, sizeof(ptx_strmap));
    L.file_base = calloc(nmods, sizeof(uint32_t));
    if (!L.out || !L.renamed || !L.file_base) {
        oom(&L);
    } else {
        ptx_module *out = L.out;
        out->arena = L.ar;
        out->address_size = mods[0]->address_size;
        for (uint32_t i = 0; i < nmods; i++) {
            const ptx_module *m = mods[i];
            if (m->version_major > out->version_major ||
                (m->version_major == out->version_major && m->version_minor > out->version_minor)) {
                out->version_major = m->version_major;
                out->version_minor = m->version_minor;
            }
            if (m->target_sm >= out->target_sm) {
                out->target_sm = m->target_sm;
                out->target_text = copy_str(&L, m->target_text);
            }
        }
        if (resolve(&L))
            emit(&L);
    }
    ptx_strmap_clear(&L.all_names);
    ptx_strmap_clear(&L.defs);
    ptx_strmap_clear(&L.emitted);
    if (L.renamed)
        for (uint32_t i = 0; i < nmods; i++)
            ptx_strmap_clear(&L.renamed[i]);
    free(L.renamed);
    free(L.file_base);
    if (L.failed) {
        ptx_arena_free(L.ar);
        return NULL;
    }
    return L.out;
}
