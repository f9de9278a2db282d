/* gen_c_tex.c: C code for the texture and surface instructions (tex, tld4, txq, suld,
 * sust, suq) of the CPU fallback. Texture and surface objects are 64-bit handles in
 * registers; each instruction becomes one call of a runtime service (kernel_abi.h,
 * KABI 3) with the handle, a form word naming the instruction's variant and the
 * coordinates. Forms the services cannot honour fail here, naming the modifier. */
#include <stdio.h>
#include <string.h>

#include "translate/gen_c_internal.h"
#include "vendors/cpu/kernel_abi.h"

#define E(...) cgen_buf_printf(F->b, __VA_ARGS__)
#define X 512

static bool has(const ptx_instr *ins, const char *mod)
{
    return ptx_instr_has_mod(ins, mod);
}

static void set_tid(cgen_fn *F)
{
    E("ctx->tid[0] = cg_tid0; ctx->tid[1] = cg_tid1; ctx->tid[2] = cg_tid2;\n");
}

static const struct {
    const char *name;
    uint32_t geo;
} geometries[] = {
    {"1d", CUSHIM_TEXGEO_1D}, {"2d", CUSHIM_TEXGEO_2D}, {"3d", CUSHIM_TEXGEO_3D},
    {"a1d", CUSHIM_TEXGEO_A1D}, {"a2d", CUSHIM_TEXGEO_A2D}, {"cube", CUSHIM_TEXGEO_CUBE},
    {"acube", CUSHIM_TEXGEO_ACUBE},
};

/* The geometry modifier; 0 with F->why set when absent or unsupported (2dms...). */
static uint32_t geometry(cgen_fn *F, const ptx_instr *ins)
{
    for (unsigned i = 0; i < sizeof geometries / sizeof geometries[0]; i++)
        if (has(ins, geometries[i].name))
            return geometries[i].geo;
    if (has(ins, "2dms") || has(ins, "a2dms"))
        cgen_fail(F, "multisample texture geometry");
    else
        cgen_fail(F, "texture geometry");
    return 0;
}

/* The object handle of a `[handle, ...]` operand (or `[handle]`): a register or an
 * immediate. Texture references (.texref variables) are gone from CUDA 12. */
static bool handle_expr(cgen_fn *F, const ptx_operand *op, char *out, size_t n)
{
    if (op->kind == PTX_OPND_ADDR) {
        if (op->reg < 0 || op->symbol || op->offset)
            return cgen_fail(F, "texture/surface reference by name (only objects in registers)");
        ptx_operand r;
        memset(&r, 0, sizeof r);
        r.kind = PTX_OPND_REG;
        r.reg = op->reg;
        r.reg_comp = op->reg_comp;
        return cgen_read(F, &r, PTX_B64, out, n);
    }
    if (op->kind != PTX_OPND_REG && op->kind != PTX_OPND_IMM_INT)
        return cgen_fail(F, "texture/surface reference by name (only objects in registers)");
    return cgen_read(F, op, PTX_B64, out, n);
}

/* Coordinates of `[handle, {c...}]` as a C initialiser list of `want` words read as
 * type t (missing words 0). */
static bool coords_expr(cgen_fn *F, const ptx_operand *br, unsigned want, ptx_type t, char *out,
                        size_t n)
{
    if (br->kind != PTX_OPND_BRACKET || br->nelems < 2)
        return cgen_fail(F, "operand [object, {coordinates}]");
    const ptx_operand *c = &br->elems[1];
    unsigned have = c->kind == PTX_OPND_VEC ? c->nelems : br->nelems - 1;
    if (have < want && !(want == 4 && have == 3))
        return cgen_fail(F, "%u coordinates where %u are needed", have, want);
    size_t len = 0;
    out[0] = 0;
    for (unsigned i = 0; i < 4; i++) {
        char e[X];
        if (i < want && i < have) {
            const ptx_operand *el = c->kind == PTX_OPND_VEC ? &c->elems[i] : &br->elems[1 + i];
            if (!cgen_read(F, el, t, e, sizeof e))
                return false;
        } else {
            cgen_fmt(e, sizeof e, "0");
        }
        int k = snprintf(out + len, n - len, "%s%s", i ? ", " : "", e);
        if (k < 0 || (size_t)k >= n - len)
            return cgen_fail(F, "expression too long");
        len += (size_t)k;
    }
    return true;
}

/* Coordinate words per geometry: array geometries carry the layer first; 3d and cube
 * forms are padded to 4 in PTX. */
static unsigned coord_words(uint32_t geo)
{
    switch (geo) {
    case CUSHIM_TEXGEO_1D: return 1;
    case CUSHIM_TEXGEO_2D: case CUSHIM_TEXGEO_A1D: return 2;
    case CUSHIM_TEXGEO_3D: case CUSHIM_TEXGEO_CUBE: return 3;
    default: return 4;
    }
}

static bool emit_tex(cgen_fn *F, const ptx_instr *ins, bool gather)
{
    uint32_t geo = geometry(F, ins);
    if (!geo)
        return false;
    if (ins->nops < 2 || ins->ops[0].kind != PTX_OPND_VEC || ins->ops[0].nelems != 4 || ins->vec != 4)
        return cgen_fail(F, "%s destination (a .v4 vector is supported)", ins->opcode);
    uint32_t form = geo;
    switch (ins->ntypes >= 1 ? ins->types[0] : PTX_TYPE_NONE) {
    case PTX_F32: break;
    case PTX_S32: form |= 1u << CUSHIM_TEX_RESULT_SHIFT; break;
    case PTX_U32: form |= 2u << CUSHIM_TEX_RESULT_SHIFT; break;
    default: return cgen_fail(F, "%s result type (f32, s32 and u32 are supported)", ins->opcode);
    }
    ptx_type ct = ins->ntypes >= 2 ? ins->types[1] : PTX_TYPE_NONE;
    if (ct == PTX_F32)
        form |= CUSHIM_TEX_FLOAT_COORDS;
    else if (ct != PTX_S32)
        return cgen_fail(F, "%s coordinate type (f32 and s32 are supported)", ins->opcode);
    unsigned extra = 0;
    if (gather) {
        static const char *const comps[] = {"r", "g", "b", "a"};
        unsigned comp = 4;
        for (unsigned i = 0; i < 4; i++)
            if (has(ins, comps[i]))
                comp = i;
        if (comp == 4)
            return cgen_fail(F, "tld4 component");
        if (geo != CUSHIM_TEXGEO_2D)
            return cgen_fail(F, "tld4 on a geometry other than 2d");
        form |= (comp + 1u) << CUSHIM_TEX_GATHER_SHIFT;
    } else if (has(ins, "level")) {
        extra = 1; /* a level of detail: arrays here have the one level 0 */
    } else if (has(ins, "grad")) {
        extra = 2; /* gradients choose a level: likewise always 0 */
    }
    if (ins->nops != 2 + extra)
        return cgen_fail(F, "%s with texel offset or depth-compare operands", ins->opcode);
    char h[X], c[X * 4];
    if (ins->ops[1].kind != PTX_OPND_BRACKET || !handle_expr(F, &ins->ops[1].elems[0], h, sizeof h))
        return F->why ? false : cgen_fail(F, "operand [object, {coordinates}]");
    /* the layer of an array geometry is an integer; the rest follow the coordinate type */
    if (!coords_expr(F, &ins->ops[1], coord_words(geo), PTX_B32, c, sizeof c))
        return false;
    E("{ uint32_t cg_xc[4] = { %s }; uint32_t cg_xo[4];\n", c);
    set_tid(F);
    E("ctx->rt->tex(ctx, %s, %uu, cg_xc, cg_xo);\n", h, form);
    for (unsigned i = 0; i < 4; i++) {
        char v[32];
        snprintf(v, sizeof v, "cg_xo[%u]", i);
        if (!cgen_write(F, &ins->ops[0].elems[i], PTX_B32, v))
            return false;
    }
    E("}\n");
    return true;
}

static const struct {
    const char *name;
    uint32_t query;
    bool surface_too;
} queries[] = {
    {"width", CUSHIM_TXQ_WIDTH, true}, {"height", CUSHIM_TXQ_HEIGHT, true},
    {"depth", CUSHIM_TXQ_DEPTH, true}, {"normalized_coords", CUSHIM_TXQ_NORMALIZED_COORDS, false},
    {"filter_mode", CUSHIM_TXQ_FILTER_MODE, false}, {"addr_mode_0", CUSHIM_TXQ_ADDR_MODE_0, false},
    {"addr_mode_1", CUSHIM_TXQ_ADDR_MODE_1, false}, {"addr_mode_2", CUSHIM_TXQ_ADDR_MODE_2, false},
    {"array_size", CUSHIM_TXQ_ARRAY_SIZE, true},
    {"num_mipmap_levels", CUSHIM_TXQ_NUM_MIPMAP_LEVELS, false},
    {"num_samples", CUSHIM_TXQ_NUM_SAMPLES, false},
};

static bool emit_query(cgen_fn *F, const ptx_instr *ins, bool surface)
{
    uint32_t q = UINT32_MAX;
    for (unsigned i = 0; i < sizeof queries / sizeof queries[0]; i++)
        if (has(ins, queries[i].name) && (!surface || queries[i].surface_too))
            q = queries[i].query;
    if (q == UINT32_MAX)
        return cgen_fail(F, "%s attribute (channel_data_type, channel_order and memory_layout "
                         "are not supported)", ins->opcode);
    if (has(ins, "level") ? ins->nops != 3 : ins->nops != 2)
        return cgen_fail(F, "%s operands", ins->opcode);
    char h[X], e[X + 64];
    const ptx_operand *obj = &ins->ops[1];
    if (obj->kind == PTX_OPND_BRACKET)
        obj = &obj->elems[0];
    if (!handle_expr(F, obj, h, sizeof h))
        return false;
    set_tid(F);
    cgen_fmt(e, sizeof e, "ctx->rt->tex_query(ctx, %s, %uu)", h, q);
    return cgen_write(F, &ins->ops[0], PTX_B32, e);
}

static bool emit_surface(cgen_fn *F, const ptx_instr *ins, bool store)
{
    uint32_t geo = geometry(F, ins);
    if (!geo)
        return false;
    if (geo == CUSHIM_TEXGEO_CUBE || geo == CUSHIM_TEXGEO_ACUBE)
        return cgen_fail(F, "%s on a cube geometry", ins->opcode);
    bool formatted = has(ins, "p");
    if (!formatted && !has(ins, "b"))
        return cgen_fail(F, "%s without .b or .p", ins->opcode);
    if (formatted && !store)
        return cgen_fail(F, "suld.p (formatted surface load)");
    ptx_type t = ins->ntypes >= 1 ? ins->types[0] : PTX_TYPE_NONE;
    unsigned size;
    uint32_t ptype = 0;
    switch (t) {
    case PTX_B8: size = 1; break;
    case PTX_B16: size = 2; break;
    case PTX_B32: size = 4; break;
    case PTX_B64: size = 8; break;
    case PTX_U32: size = 4; ptype = 1; break;
    case PTX_S32: size = 4; ptype = 2; break;
    case PTX_F32: size = 4; ptype = 3; break;
    default: return cgen_fail(F, "%s data type", ins->opcode);
    }
    if (!formatted && ptype)
        return cgen_fail(F, "%s.b with a .u32/.s32/.f32 type", ins->opcode);
    if (formatted && size != 4)
        return cgen_fail(F, "sust.p with data other than 32-bit");
    unsigned vec = ins->vec ? ins->vec : 1;
    if (vec != 1 && vec != 2 && vec != 4)
        return cgen_fail(F, "%s vector width", ins->opcode);
    uint32_t oob = has(ins, "clamp") ? 1u : has(ins, "zero") ? 2u : 0u;
    uint32_t form = geo | size << CUSHIM_SURF_SIZE_SHIFT | vec << CUSHIM_SURF_VEC_SHIFT |
                    oob << CUSHIM_SURF_OOB_SHIFT | (formatted ? CUSHIM_SURF_FORMATTED : 0u) |
                    ptype << CUSHIM_SURF_PTYPE_SHIFT;
    if (ins->nops != 2)
        return cgen_fail(F, "%s operands", ins->opcode);
    const ptx_operand *br = &ins->ops[store ? 0 : 1], *data = &ins->ops[store ? 1 : 0];
    char h[X], c[X * 4];
    if (br->kind != PTX_OPND_BRACKET || !handle_expr(F, &br->elems[0], h, sizeof h))
        return F->why ? false : cgen_fail(F, "operand [surface, {coordinates}]");
    if (!coords_expr(F, br, coord_words(geo), PTX_B32, c, sizeof c))
        return false;
    unsigned ndata = data->kind == PTX_OPND_VEC ? data->nelems : 1;
    if (ndata != vec)
        return cgen_fail(F, "%s data operand count", ins->opcode);
    static const char *const ctypes[] = {"", "uint8_t", "uint16_t", "", "uint32_t", "", "", "", "uint64_t"};
    ptx_type et = formatted ? PTX_B32 : t;
    E("{ int32_t cg_xc[4]; uint32_t cg_xw[4] = { %s }; %s cg_xd[4];\n"
      "memcpy(cg_xc, cg_xw, sizeof cg_xc);\n", c, ctypes[size]);
    for (unsigned i = 0; i < vec && store; i++) {
        char e[X];
        if (!cgen_read(F, data->kind == PTX_OPND_VEC ? &data->elems[i] : data, et, e, sizeof e))
            return false;
        E("cg_xd[%u] = %s;\n", i, e);
    }
    set_tid(F);
    E("ctx->rt->%s(ctx, %s, %uu, cg_xc, cg_xd);\n", store ? "surf_store" : "surf_load", h, form);
    for (unsigned i = 0; i < vec && !store; i++) {
        char v[32];
        snprintf(v, sizeof v, "cg_xd[%u]", i);
        if (!cgen_write(F, data->kind == PTX_OPND_VEC ? &data->elems[i] : data, et, v))
            return false;
    }
    E("}\n");
    return true;
}

bool cgen_emit_texsurf(cgen_fn *F, const ptx_instr *ins, bool *handled)
{
    const char *op = ins->opcode;
    *handled = true;
    if (strcmp(op, "tex") == 0)
        return emit_tex(F, ins, false);
    if (strcmp(op, "tld4") == 0)
        return emit_tex(F, ins, true);
    if (strcmp(op, "txq") == 0)
        return emit_query(F, ins, false);
    if (strcmp(op, "suq") == 0)
        return emit_query(F, ins, true);
    if (strcmp(op, "suld") == 0)
        return emit_surface(F, ins, false);
    if (strcmp(op, "sust") == 0)
        return emit_surface(F, ins, true);
    if (strcmp(op, "sured") == 0)
        return cgen_fail(F, "surface reductions (sured)");
    *handled = false;
    return true;
}
