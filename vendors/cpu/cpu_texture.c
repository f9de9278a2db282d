/* cpu_texture.c: the texture and surface services generated kernels call (tex, tld4,
 * txq/suq, suld, sust): CUDA's sampling rules on the objects of shim/api_texture.c
 * (address modes, point and linear filtering with 8-bit fraction weights, normalized
 * coordinates, normalized-float reads, sRGB, cube maps, layers, gather) and surface
 * accesses with their out-of-range modes. Device addresses are host addresses here. */
#include "config.h"

#include "vendors/cpu/cpu.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/api_texture.h"
#include "shim/cuda_enums.h"

static const char *const geometry_names[] = {"?", "1d", "2d", "3d", "a1d", "a2d", "cube", "acube",
                                             "?", "?", "?", "?", "?", "?", "?", "?"};

/* Through the fault service (which does not return), so a test harness's own services
 * see texture faults as well. */
static _Noreturn void fail(struct cushim_block_ctx *ctx, int code, const char *what)
{
    ctx->rt->fault(ctx, code, what);
    abort();
}

static const cushim_texobj *object(struct cushim_block_ctx *ctx, uint64_t handle, bool surface,
                                   const char *op, uint32_t form)
{
    const cushim_texobj *o = cushim__texobj_get(handle);
    char msg[200];
    if (!o) {
        snprintf(msg, sizeof msg, "%s.%s: 0x%" PRIx64 " is not a live %s object", op,
                 geometry_names[form & CUSHIM_TEXGEO_MASK], handle, surface ? "surface" : "texture");
        fail(ctx, CPU_cudaErrorIllegalAddress, msg);
    }
    if (o->surface != surface) {
        snprintf(msg, sizeof msg, "%s: 0x%" PRIx64 " is a %s object, not a %s object", op, handle,
                 o->surface ? "surface" : "texture", surface ? "surface" : "texture");
        fail(ctx, CPU_cudaErrorIllegalAddress, msg);
    }
    return o;
}

/* ---- texel decoding ------------------------------------------------------------------ */

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) {
                man <<= 1;
                exp--;
            }
            bits = sign | exp << 23 | (man & 0x3ff) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | man << 13;
    } else {
        bits = sign | (exp + 127 - 15) << 23 | man << 13;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t man = x & 0x7fffffu;
    if (((x >> 23) & 0xff) == 0xff)
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (exp <= 0) {
        if (exp < -10)
            return (uint16_t)sign;
        man |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t r = man >> shift, rem = man & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (r & 1)))
            r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = (uint32_t)exp << 10 | man >> 13, rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (r & 1)))
        r++; /* may carry into the exponent: still the right rounding */
    return (uint16_t)(sign | r);
}

/* One channel's raw value as an integer (sign-extended for signed channels). */
static int64_t channel_int(const cushim_texobj *o, const unsigned char *p, unsigned c)
{
    switch (o->chan_bits) {
    case 8: {
        uint8_t v = p[c];
        return o->kind == CUSHIM_CHAN_SIGNED ? (int64_t)(int8_t)v : (int64_t)v;
    }
    case 16: {
        uint16_t v;
        memcpy(&v, p + 2 * c, 2);
        return o->kind == CUSHIM_CHAN_SIGNED ? (int64_t)(int16_t)v : (int64_t)v;
    }
    default: {
        uint32_t v;
        memcpy(&v, p + 4 * c, 4);
        return o->kind == CUSHIM_CHAN_SIGNED ? (int64_t)(int32_t)v : (int64_t)v;
    }
    }
}

static float srgb_to_linear(float c)
{
    return c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f);
}

/* The texel as 4 floats (for float results: float channels, normalized reads). Missing
 * channels read 0, a missing alpha 1. */
static void texel_float(const cushim_texobj *o, const unsigned char *p, float v[4])
{
    for (unsigned c = 0; c < 4; c++) {
        if (c >= o->nchan) {
            v[c] = c == 3 ? 1.0f : 0.0f;
            continue;
        }
        if (o->kind == CUSHIM_CHAN_FLOAT) {
            if (o->chan_bits == 16) {
                uint16_t h;
                memcpy(&h, p + 2 * c, 2);
                v[c] = half_to_float(h);
            } else {
                memcpy(&v[c], p + 4 * c, 4);
            }
            continue;
        }
        int64_t x = channel_int(o, p, c);
        if (o->normalized_read) {
            double maxu = (double)((1u << o->chan_bits) - 1u);
            double maxs = (double)((1u << (o->chan_bits - 1)) - 1u);
            float f = o->kind == CUSHIM_CHAN_SIGNED ? (float)fmax((double)x / maxs, -1.0)
                                                     : (float)((double)x / maxu);
            v[c] = o->srgb && c < 3 ? srgb_to_linear(f) : f;
        } else {
            v[c] = (float)x; /* float results of integer data (only through tld4/odd forms) */
        }
    }
}

/* The texel as 4 raw 32-bit integers (element-type reads of integer channels). */
static void texel_int(const cushim_texobj *o, const unsigned char *p, uint32_t v[4])
{
    for (unsigned c = 0; c < 4; c++) {
        if (c >= o->nchan) {
            v[c] = c == 3 ? 1u : 0u;
            continue;
        }
        if (o->kind == CUSHIM_CHAN_FLOAT) {
            float f;
            if (o->chan_bits == 16) {
                uint16_t h;
                memcpy(&h, p + 2 * c, 2);
                f = half_to_float(h);
            } else {
                memcpy(&f, p + 4 * c, 4);
            }
            memcpy(&v[c], &f, 4);
        } else {
            v[c] = (uint32_t)channel_int(o, p, c);
        }
    }
}

/* ---- addressing ------------------------------------------------------------------------ */

/* Apply the address mode to an integer texel index; false when it falls on the border.
 * Wrap and mirror need normalized coordinates; with unnormalized ones CUDA clamps. */
static bool address(int mode, bool normalized, int64_t i, int64_t n, int64_t *out)
{
    if (!normalized && (mode == cudaAddressModeWrap || mode == cudaAddressModeMirror))
        mode = cudaAddressModeClamp;
    switch (mode) {
    case cudaAddressModeWrap:
        i %= n;
        if (i < 0)
            i += n;
        break;
    case cudaAddressModeMirror: {
        int64_t m = i % (2 * n);
        if (m < 0)
            m += 2 * n;
        i = m < n ? m : 2 * n - 1 - m;
        break;
    }
    case cudaAddressModeBorder:
        if (i < 0 || i >= n)
            return false;
        break;
    default:
        i = i < 0 ? 0 : i >= n ? n - 1 : i;
        break;
    }
    *out = i;
    return true;
}

/* Texel (i, j, k) of layer `layer`; NULL when it lies on the border. */
static const unsigned char *texel_at(const cushim_texobj *o, int64_t i, int64_t j, int64_t k,
                                     int64_t layer, unsigned dims)
{
    int64_t x, y = 0, z = 0;
    if (!address(o->address[0], o->normalized_coords, i, (int64_t)o->width, &x))
        return NULL;
    if (dims > 1 && !address(o->address[1], o->normalized_coords, j, (int64_t)o->height, &y))
        return NULL;
    if (dims > 2 && !address(o->address[2], o->normalized_coords, k, (int64_t)o->depth, &z))
        return NULL;
    return (const unsigned char *)(uintptr_t)o->base + (uint64_t)(z + layer) * o->slice +
           (uint64_t)y * o->pitch + (uint64_t)x * o->elem_bytes;
}

/* The fraction of a linear-filter coordinate as the hardware weighs it: 9-bit fixed
 * point with 8 fraction bits. */
static float weight_of(float frac)
{
    return floorf(frac * 256.0f + 0.5f) / 256.0f;
}

/* Cube map face selection: direction -> face and face coordinates in [0, 1]. */
static void cube_face(float x, float y, float z, unsigned *face, float *u, float *v)
{
    float ax = fabsf(x), ay = fabsf(y), az = fabsf(z), m, s, t;
    if (ax >= ay && ax >= az) {
        m = ax;
        *face = x >= 0 ? 0 : 1;
        s = x >= 0 ? -z : z;
        t = -y;
    } else if (ay >= az) {
        m = ay;
        *face = y >= 0 ? 2 : 3;
        s = x;
        t = y >= 0 ? z : -z;
    } else {
        m = az;
        *face = z >= 0 ? 4 : 5;
        s = z >= 0 ? x : -x;
        t = -y;
    }
    *u = m > 0 ? (s / m + 1.0f) * 0.5f : 0.5f;
    *v = m > 0 ? (t / m + 1.0f) * 0.5f : 0.5f;
}

static float word_float(uint32_t w)
{
    float f;
    memcpy(&f, &w, 4);
    return f;
}

/* ---- tex / tld4 ------------------------------------------------------------------------- */

void cpu_service_tex(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t form,
                        const uint32_t *coords, uint32_t *out)
{
    uint32_t geo = form & CUSHIM_TEXGEO_MASK;
    unsigned gather = (form >> CUSHIM_TEX_GATHER_SHIFT) & 7u;
    unsigned result = (form >> CUSHIM_TEX_RESULT_SHIFT) & 3u;
    bool fcoords = (form & CUSHIM_TEX_FLOAT_COORDS) != 0;
    const char *op = gather ? "tld4" : "tex";
    const cushim_texobj *o = object(ctx, handle, false, op, form);
    char msg[200];

    /* Linear memory: integer fetches of element i, no filtering, 0 out of range. */
    if (o->restype == cudaResourceTypeLinear) {
        if (geo != CUSHIM_TEXGEO_1D || gather) {
            snprintf(msg, sizeof msg, "%s.%s on a texture over linear memory (only tex.1d fetches "
                     "are possible)", op, geometry_names[geo]);
            fail(ctx, CPU_cudaErrorIllegalAddress, msg);
        }
        int64_t i = fcoords ? (int64_t)floorf(word_float(coords[0])) : (int64_t)(int32_t)coords[0];
        if (i < 0 || (uint64_t)i >= o->width) {
            memset(out, 0, 16);
            return;
        }
        const unsigned char *p = (const unsigned char *)(uintptr_t)o->base + (uint64_t)i * o->elem_bytes;
        if (result == 0) {
            float v[4];
            texel_float(o, p, v);
            memcpy(out, v, 16);
        } else {
            texel_int(o, p, out);
        }
        return;
    }

    bool layered_geo = geo == CUSHIM_TEXGEO_A1D || geo == CUSHIM_TEXGEO_A2D || geo == CUSHIM_TEXGEO_ACUBE;
    bool cube_geo = geo == CUSHIM_TEXGEO_CUBE || geo == CUSHIM_TEXGEO_ACUBE;
    if (layered_geo != o->layered || cube_geo != o->cubemap) {
        snprintf(msg, sizeof msg, "%s.%s on a texture whose array is %s%s", op, geometry_names[geo],
                 o->cubemap ? "a cubemap" : o->layered ? "layered" : "neither layered nor a cubemap",
                 o->cubemap && o->layered ? " (layered)" : "");
        fail(ctx, CPU_cudaErrorIllegalAddress, msg);
    }
    unsigned dims = geo == CUSHIM_TEXGEO_1D || geo == CUSHIM_TEXGEO_A1D ? 1
                  : geo == CUSHIM_TEXGEO_3D ? 3 : 2;
    const uint32_t *c = coords;
    int64_t layer = 0;
    if (layered_geo) {
        int64_t l = (int64_t)(int32_t)*c++;
        int64_t per = cube_geo ? 6 : 1, n = (int64_t)o->layers / per;
        layer = (l < 0 ? 0 : l >= n ? n - 1 : l) * per;
    }
    float u[3] = {0, 0, 0};
    bool normalized = o->normalized_coords;
    if (cube_geo) {
        unsigned face;
        cube_face(word_float(c[0]), word_float(c[1]), word_float(c[2]), &face, &u[0], &u[1]);
        layer += face;
        normalized = true; /* face coordinates are in [0, 1] */
        dims = 2;
    } else {
        for (unsigned d = 0; d < dims; d++)
            u[d] = fcoords ? word_float(c[d]) : (float)(int32_t)c[d];
    }
    const size_t extent[3] = {o->width, o->height, o->depth};
    if (normalized)
        for (unsigned d = 0; d < dims; d++)
            u[d] *= (float)extent[d];
    /* a cube's faces are addressed with clamping whatever the object says */
    cushim_texobj cube_obj;
    if (cube_geo) {
        cube_obj = *o;
        cube_obj.address[0] = cube_obj.address[1] = cudaAddressModeClamp;
        cube_obj.normalized_coords = true;
        o = &cube_obj;
    }
    bool float_result = result == 0;
    bool filtered = (o->linear_filter && fcoords) || gather;
    if (float_result != (o->kind == CUSHIM_CHAN_FLOAT || o->normalized_read)) {
        snprintf(msg, sizeof msg, "%s with %s results on a texture that returns %s", op,
                 float_result ? "f32" : "integer", float_result ? "integers" : "floats");
        fail(ctx, CPU_cudaErrorIllegalAddress, msg);
    }
    if (gather && (geo != CUSHIM_TEXGEO_2D)) {
        snprintf(msg, sizeof msg, "tld4.%s: gather needs a 2D texture", geometry_names[geo]);
        fail(ctx, CPU_cudaErrorIllegalAddress, msg);
    }

    if (!filtered) {
        int64_t i[3] = {0, 0, 0};
        for (unsigned d = 0; d < dims; d++)
            i[d] = (int64_t)floorf(u[d]);
        const unsigned char *p = texel_at(o, i[0], i[1], i[2], layer, dims);
        if (float_result) {
            float v[4];
            if (p)
                texel_float(o, p, v);
            else
                memcpy(v, o->border, 16);
            memcpy(out, v, 16);
        } else if (p) {
            texel_int(o, p, out);
        } else {
            for (unsigned k = 0; k < 4; k++)
                out[k] = (uint32_t)(int32_t)o->border[k];
        }
        return;
    }

    /* The 2^dims texels around u - 0.5, weighted by the quantised fractions. */
    int64_t base[3] = {0, 0, 0};
    float w[3] = {0, 0, 0};
    for (unsigned d = 0; d < dims; d++) {
        float x = u[d] - 0.5f, f = floorf(x);
        base[d] = (int64_t)f;
        w[d] = weight_of(x - f);
    }
    float tap[8][4];
    for (unsigned t = 0; t < (1u << dims); t++) {
        const unsigned char *p = texel_at(o, base[0] + (t & 1), base[1] + ((t >> 1) & 1),
                                          base[2] + ((t >> 2) & 1), layer, dims);
        if (p) {
            if (float_result) {
                texel_float(o, p, tap[t]);
            } else {
                uint32_t iv[4];
                texel_int(o, p, iv);
                memcpy(tap[t], iv, 16);
            }
        } else if (float_result) {
            memcpy(tap[t], o->border, 16);
        } else {
            for (unsigned k = 0; k < 4; k++) {
                uint32_t b = (uint32_t)(int32_t)o->border[k];
                memcpy(&tap[t][k], &b, 4);
            }
        }
    }
    if (gather) {
        /* (i0, j1), (i1, j1), (i1, j0), (i0, j0): counter-clockwise from lower left */
        static const unsigned order[4] = {2, 3, 1, 0};
        unsigned comp = gather - 1;
        for (unsigned k = 0; k < 4; k++)
            memcpy(&out[k], &tap[order[k]][comp], 4);
        return;
    }
    float v[4];
    for (unsigned k = 0; k < 4; k++) {
        float acc = 0;
        for (unsigned t = 0; t < (1u << dims); t++) {
            float wt = 1;
            for (unsigned d = 0; d < dims; d++)
                wt *= (t >> d) & 1 ? w[d] : 1.0f - w[d];
            acc += wt * tap[t][k];
        }
        v[k] = acc;
    }
    memcpy(out, v, 16);
}

uint32_t cpu_service_tex_query(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t query)
{
    const cushim_texobj *o = cushim__texobj_get(handle);
    if (!o) {
        char msg[120];
        snprintf(msg, sizeof msg, "txq/suq: 0x%" PRIx64 " is not a live texture or surface object",
                 handle);
        fail(ctx, CPU_cudaErrorIllegalAddress, msg);
    }
    switch (query) {
    case CUSHIM_TXQ_WIDTH: return (uint32_t)o->width;
    case CUSHIM_TXQ_HEIGHT: return (uint32_t)o->height;
    case CUSHIM_TXQ_DEPTH: return (uint32_t)o->depth;
    case CUSHIM_TXQ_NORMALIZED_COORDS: return o->normalized_coords;
    case CUSHIM_TXQ_FILTER_MODE: return o->linear_filter;
    case CUSHIM_TXQ_ADDR_MODE_0: return (uint32_t)o->address[0];
    case CUSHIM_TXQ_ADDR_MODE_1: return (uint32_t)o->address[1];
    case CUSHIM_TXQ_ADDR_MODE_2: return (uint32_t)o->address[2];
    case CUSHIM_TXQ_ARRAY_SIZE: return (uint32_t)(o->cubemap ? o->layers / 6 : o->layers);
    case CUSHIM_TXQ_NUM_MIPMAP_LEVELS: return 1;
    default: return 1; /* num_samples */
    }
}

/* ---- surfaces ------------------------------------------------------------------------- */

/* Resolve a surface access to its first byte; NULL for an ignored access (.zero). */
static unsigned char *surf_addr(struct cushim_block_ctx *ctx, const cushim_texobj *o, uint32_t form,
                                const int32_t *coords, unsigned bytes, const char *op)
{
    uint32_t geo = form & CUSHIM_TEXGEO_MASK;
    unsigned mode = (form >> CUSHIM_SURF_OOB_SHIFT) & 3u;
    bool formatted = (form & CUSHIM_SURF_FORMATTED) != 0;
    bool layered_geo = geo == CUSHIM_TEXGEO_A1D || geo == CUSHIM_TEXGEO_A2D;
    char msg[240];
    if (layered_geo != o->layered || geo == CUSHIM_TEXGEO_CUBE || geo == CUSHIM_TEXGEO_ACUBE) {
        snprintf(msg, sizeof msg, "%s.%s on a surface whose array is %s", op, geometry_names[geo],
                 o->layered ? "layered" : "not layered");
        fail(ctx, CPU_cudaErrorIllegalAddress, msg);
    }
    const int32_t *c = coords;
    int64_t layer = layered_geo ? *c++ : 0;
    unsigned dims = geo == CUSHIM_TEXGEO_1D || geo == CUSHIM_TEXGEO_A1D ? 1 : geo == CUSHIM_TEXGEO_3D ? 3 : 2;
    /* x in bytes (.b) or elements (.p); the others in elements */
    int64_t v[3] = {0, 0, 0};
    int64_t lim[3] = {(int64_t)(o->width * o->elem_bytes), (int64_t)o->height, (int64_t)o->depth};
    for (unsigned d = 0; d < dims; d++)
        v[d] = c[d];
    if (formatted) {
        v[0] *= o->elem_bytes;
        bytes = o->elem_bytes;
    }
    int64_t nlayers = (int64_t)o->layers;
    bool out = v[0] < 0 || v[0] + (int64_t)bytes > lim[0] || layer < 0 || layer >= nlayers;
    for (unsigned d = 1; d < dims; d++)
        out = out || v[d] < 0 || v[d] >= lim[d];
    if (out) {
        if (mode == 2)
            return NULL;
        if (mode == 0) {
            snprintf(msg, sizeof msg, "%s.%s: surface access out of range at (%" PRId64 " bytes, %" PRId64
                     ", %" PRId64 ") layer %" PRId64 " of a %zu x %zu x %zu surface of %u-byte elements "
                     "(.trap)", op, geometry_names[geo], v[0], v[1], v[2], layer, o->width, o->height,
                     o->depth, o->elem_bytes);
            fail(ctx, CPU_cudaErrorIllegalAddress, msg);
        }
        /* clamp to the nearest whole access */
        int64_t maxx = lim[0] - (int64_t)bytes;
        v[0] = v[0] < 0 ? 0 : v[0] > maxx ? maxx : v[0];
        for (unsigned d = 1; d < dims; d++)
            v[d] = v[d] < 0 ? 0 : v[d] >= lim[d] ? lim[d] - 1 : v[d];
        layer = layer < 0 ? 0 : layer >= nlayers ? nlayers - 1 : layer;
    }
    return (unsigned char *)(uintptr_t)o->base + (uint64_t)(v[2] + layer) * o->slice +
           (uint64_t)v[1] * o->pitch + (uint64_t)v[0];
}

void cpu_service_surf_load(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t form,
                              const int32_t *coords, void *data)
{
    const cushim_texobj *o = object(ctx, handle, true, "suld", form);
    unsigned size = (form >> CUSHIM_SURF_SIZE_SHIFT) & 15u, vec = (form >> CUSHIM_SURF_VEC_SHIFT) & 7u;
    unsigned char *p = surf_addr(ctx, o, form, coords, size * vec, "suld");
    if (!p)
        memset(data, 0, size * vec);
    else
        memcpy(data, p, size * vec);
}

/* sust.p: 32-bit source components into the surface's format. */
static void format_store(const cushim_texobj *o, unsigned char *p, unsigned ptype, unsigned vec,
                         const uint32_t *src)
{
    for (unsigned c = 0; c < o->nchan && c < vec; c++) {
        uint32_t w = src[c];
        if (o->kind == CUSHIM_CHAN_FLOAT) {
            float f;
            if (ptype == 3 || ptype == 0)
                memcpy(&f, &w, 4);
            else
                f = ptype == 2 ? (float)(int32_t)w : (float)w;
            if (o->chan_bits == 16) {
                uint16_t h = float_to_half(f);
                memcpy(p + 2 * c, &h, 2);
            } else {
                memcpy(p + 4 * c, &f, 4);
            }
            continue;
        }
        uint32_t bits;
        if (ptype == 3) { /* float into integer channels: normalized (saturating) */
            float f;
            memcpy(&f, &w, 4);
            if (o->kind == CUSHIM_CHAN_SIGNED) {
                double m = (double)((1u << (o->chan_bits - 1)) - 1u);
                double x = isnan(f) ? 0 : fmin(fmax((double)f, -1.0), 1.0) * m;
                bits = (uint32_t)(int32_t)nearbyint(x);
            } else {
                double m = o->chan_bits == 32 ? 4294967295.0 : (double)((1u << o->chan_bits) - 1u);
                double x = isnan(f) ? 0 : fmin(fmax((double)f, 0.0), 1.0) * m;
                bits = (uint32_t)nearbyint(x);
            }
        } else {
            bits = w;
        }
        if (o->chan_bits == 8)
            p[c] = (unsigned char)bits;
        else if (o->chan_bits == 16) {
            uint16_t h = (uint16_t)bits;
            memcpy(p + 2 * c, &h, 2);
        } else {
            memcpy(p + 4 * c, &bits, 4);
        }
    }
}

void cpu_service_surf_store(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t form,
                               const int32_t *coords, const void *data)
{
    const cushim_texobj *o = object(ctx, handle, true, "sust", form);
    unsigned size = (form >> CUSHIM_SURF_SIZE_SHIFT) & 15u, vec = (form >> CUSHIM_SURF_VEC_SHIFT) & 7u;
    unsigned char *p = surf_addr(ctx, o, form, coords, size * vec, "sust");
    if (!p)
        return;
    if (form & CUSHIM_SURF_FORMATTED)
        format_store(o, p, (form >> CUSHIM_SURF_PTYPE_SHIFT) & 3u, vec, data);
    else
        memcpy(p, data, size * vec);
}
