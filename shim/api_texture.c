/* api_texture.c: CUDA arrays (cudaMallocArray, cudaMalloc3DArray, the array copies,
 * cudaMemcpy3D's array sides), texture and surface objects, and the table of live
 * objects through which a backend's sampler resolves the 64-bit handles kernels get. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "shim/api_gen.h"
#include "shim/api_texture.h"
#include "shim/core.h"
#include "shim/log.h"

_Static_assert(sizeof(struct cudaTextureDesc) == 72, "cudaTextureDesc layout");
_Static_assert(sizeof(struct cudaResourceDesc) == 144, "cudaResourceDesc (CUDA 13) layout");
_Static_assert(sizeof(struct cudaResourceDesc12) == 64, "cudaResourceDesc (CUDA 12) layout");
_Static_assert(sizeof(struct cudaResourceViewDesc) == 112, "cudaResourceViewDesc (CUDA 13) layout");
_Static_assert(sizeof(struct cudaResourceViewDesc12) == 48, "cudaResourceViewDesc (CUDA 12) layout");

/* Alignments the device properties report (shim/api_device.c). */
#define TEXTURE_ALIGNMENT 512u
#define TEXTURE_PITCH_ALIGNMENT 32u

/* ---- the object table -----------------------------------------------------------------
 * Slots live in chunks that are never freed, so a sampler's lookup needs no lock: it
 * reads the chunk pointer and the slot's generation (odd while live). A handle is
 * generation << 32 | (slot index + 1): never 0, and stale after a destroy. */

#define SLOTS_PER_CHUNK 1024u
#define MAX_CHUNKS 1024u

typedef struct tex_slot {
    _Atomic uint32_t gen;
    uint32_t next_free;
    cushim_texobj obj;
} tex_slot;

static _Atomic(tex_slot *) chunks[MAX_CHUNKS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t slots_made;           /* under table_lock */
static uint32_t free_head = UINT32_MAX; /* under table_lock */

static tex_slot *slot_at(uint32_t index)
{
    if (index >= SLOTS_PER_CHUNK * MAX_CHUNKS)
        return NULL;
    tex_slot *c = atomic_load_explicit(&chunks[index / SLOTS_PER_CHUNK], memory_order_acquire);
    return c ? &c[index % SLOTS_PER_CHUNK] : NULL;
}

const cushim_texobj *cushim__texobj_get(uint64_t handle)
{
    uint32_t index = (uint32_t)handle, gen = (uint32_t)(handle >> 32);
    if (index == 0 || !(gen & 1u))
        return NULL;
    tex_slot *s = slot_at(index - 1);
    if (!s || atomic_load_explicit(&s->gen, memory_order_acquire) != gen)
        return NULL;
    return &s->obj;
}

uint64_t cushim__texobj_register(const cushim_texobj *obj)
{
    pthread_mutex_lock(&table_lock);
    uint32_t index;
    if (free_head != UINT32_MAX) {
        index = free_head;
        free_head = slot_at(index)->next_free;
    } else {
        if (slots_made >= SLOTS_PER_CHUNK * MAX_CHUNKS) {
            pthread_mutex_unlock(&table_lock);
            return 0;
        }
        index = slots_made;
        if (index % SLOTS_PER_CHUNK == 0) {
            tex_slot *c = calloc(SLOTS_PER_CHUNK, sizeof *c);
            if (!c) {
                pthread_mutex_unlock(&table_lock);
                return 0;
            }
            atomic_store_explicit(&chunks[index / SLOTS_PER_CHUNK], c, memory_order_release);
        }
        slots_made++;
    }
    tex_slot *s = slot_at(index);
    s->obj = *obj;
    uint32_t gen = atomic_load_explicit(&s->gen, memory_order_relaxed) + 1u;
    atomic_store_explicit(&s->gen, gen, memory_order_release);
    pthread_mutex_unlock(&table_lock);
    return (uint64_t)gen << 32 | (uint64_t)(index + 1u);
}

bool cushim__texobj_unregister(uint64_t handle)
{
    pthread_mutex_lock(&table_lock);
    bool ok = cushim__texobj_get(handle) != NULL;
    if (ok) {
        uint32_t index = (uint32_t)handle - 1u;
        tex_slot *s = slot_at(index);
        atomic_store_explicit(&s->gen, (uint32_t)(handle >> 32) + 1u, memory_order_release);
        s->next_free = free_head;
        free_head = index;
    }
    pthread_mutex_unlock(&table_lock);
    return ok;
}

/* ---- channel formats ------------------------------------------------------------------ */

typedef struct chan_format {
    unsigned nchan, bits, elem_bytes;
    cushim_chan_kind kind;
    bool force_normalized; /* the cudaChannelFormatKind*Normalized* kinds */
} chan_format;

static cudaError_t decode_channels(const struct cudaChannelFormatDesc *d, chan_format *out)
{
    int bits[4] = {d->x, d->y, d->z, d->w};
    memset(out, 0, sizeof *out);
    int f = (int)d->f;
    if (f >= cudaChannelFormatKindUnsignedNormalized8X1 &&
        f <= cudaChannelFormatKindSignedNormalized16X4) {
        static const unsigned char chans[] = {1, 2, 4};
        int k = f - cudaChannelFormatKindUnsignedNormalized8X1; /* 0..11 */
        out->nchan = chans[k % 3];
        out->bits = (k / 3) % 2 ? 16 : 8;
        out->kind = k < 6 ? CUSHIM_CHAN_UNSIGNED : CUSHIM_CHAN_SIGNED;
        out->force_normalized = true;
        out->elem_bytes = out->nchan * out->bits / 8;
        return cudaSuccess;
    }
    if (f != cudaChannelFormatKindSigned && f != cudaChannelFormatKindUnsigned &&
        f != cudaChannelFormatKindFloat) {
        cushim_log_once("texture-format", "channel format kind %d (block-compressed, NV12, packed "
                        "or none) is not supported for CUDA arrays and textures", f);
        return cudaErrorNotSupported;
    }
    unsigned n = 0;
    for (int i = 0; i < 4; i++) {
        if (bits[i] == 0)
            break;
        if (bits[i] != bits[0])
            return cudaErrorInvalidChannelDescriptor;
        n++;
    }
    for (unsigned i = n; i < 4; i++)
        if (bits[i] != 0)
            return cudaErrorInvalidChannelDescriptor;
    if (n == 0 || n == 3)
        return cudaErrorInvalidChannelDescriptor;
    if (bits[0] != 8 && bits[0] != 16 && bits[0] != 32)
        return cudaErrorInvalidChannelDescriptor;
    if (f == cudaChannelFormatKindFloat && bits[0] == 8)
        return cudaErrorInvalidChannelDescriptor;
    out->nchan = n;
    out->bits = (unsigned)bits[0];
    out->kind = (cushim_chan_kind)f;
    out->elem_bytes = n * out->bits / 8;
    return cudaSuccess;
}

/* ---- CUDA arrays ------------------------------------------------------------------------
 * An array is one device allocation holding its elements row after row, rows of a
 * slice (depth slice, layer, cube face) after each other: no padding, so the deprecated
 * linear array copies are plain copies. */

#define ARRAY_MAGIC 0x41525259u

struct cudaArray {
    uint32_t magic;
    int device;
    struct cudaChannelFormatDesc desc;
    chan_format fmt;
    struct cudaExtent extent; /* as given (0 for absent dimensions) */
    unsigned flags;
    uint64_t base;
    size_t width, height, depth; /* >= 1 */
    size_t pitch, slice, bytes;
    struct cudaArray *next;
};

static pthread_mutex_t arrays_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cudaArray *arrays;

/* The live array behind a handle the program passed (garbage included), copied. */
static bool array_get(const void *handle, struct cudaArray *out)
{
    bool found = false;
    pthread_mutex_lock(&arrays_lock);
    for (struct cudaArray *a = arrays; a; a = a->next)
        if (a == handle) {
            *out = *a;
            found = true;
            break;
        }
    pthread_mutex_unlock(&arrays_lock);
    return found;
}

static cudaError_t array_create(cudaArray_t *array, const struct cudaChannelFormatDesc *desc,
                                struct cudaExtent extent, unsigned flags)
{
    if (!array || !desc)
        return cudaErrorInvalidValue;
    const unsigned known = CUSHIM_ARRAY_LAYERED | CUSHIM_ARRAY_SURFACE_LOAD_STORE |
                           CUSHIM_ARRAY_CUBEMAP | CUSHIM_ARRAY_TEXTURE_GATHER;
    if (flags & ~known) {
        cushim_log_once("array-flags", "CUDA array flags 0x%x (sparse, deferred mapping, "
                        "color attachment) are not supported", flags & ~known);
        return cudaErrorNotSupported;
    }
    chan_format fmt;
    cudaError_t e = decode_channels(desc, &fmt);
    if (e != cudaSuccess)
        return e;
    if (extent.width == 0)
        return cudaErrorInvalidValue;
    if (extent.height == 0 && extent.depth != 0 && !(flags & CUSHIM_ARRAY_LAYERED))
        return cudaErrorInvalidValue;
    if (flags & CUSHIM_ARRAY_CUBEMAP) {
        /* width == height, and 6 faces per cube */
        if (extent.width != extent.height || extent.depth == 0 || extent.depth % 6 ||
            (!(flags & CUSHIM_ARRAY_LAYERED) && extent.depth != 6))
            return cudaErrorInvalidValue;
    }
    if ((flags & CUSHIM_ARRAY_LAYERED) && extent.depth == 0)
        return cudaErrorInvalidValue;
    if ((flags & CUSHIM_ARRAY_TEXTURE_GATHER) && (extent.height == 0 || extent.depth != 0))
        return cudaErrorInvalidValue;
    int dev;
    e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    struct cudaArray *a = calloc(1, sizeof *a);
    if (!a)
        return cudaErrorMemoryAllocation;
    a->magic = ARRAY_MAGIC;
    a->device = dev;
    a->desc = *desc;
    a->fmt = fmt;
    a->extent = extent;
    a->flags = flags;
    a->width = extent.width;
    a->height = extent.height ? extent.height : 1;
    a->depth = extent.depth ? extent.depth : 1;
    a->pitch = a->width * fmt.elem_bytes;
    if (a->pitch / fmt.elem_bytes != a->width || a->height > SIZE_MAX / a->pitch ||
        a->depth > SIZE_MAX / (a->pitch * a->height)) {
        free(a);
        return cudaErrorMemoryAllocation;
    }
    a->slice = a->pitch * a->height;
    a->bytes = a->slice * a->depth;
    cushim_dptr p;
    e = cushim__dev_alloc(dev, a->bytes, CUSHIM_MEM_DEVICE, &p);
    if (e != cudaSuccess) {
        free(a);
        return e;
    }
    a->base = p;
    pthread_mutex_lock(&arrays_lock);
    a->next = arrays;
    arrays = a;
    pthread_mutex_unlock(&arrays_lock);
    *array = a;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaMallocArray(cudaArray_t *array, const struct cudaChannelFormatDesc *desc,
                                        size_t width, size_t height, unsigned int flags)
{
    if (flags & (CUSHIM_ARRAY_LAYERED | CUSHIM_ARRAY_CUBEMAP))
        return cudaErrorInvalidValue; /* those need cudaMalloc3DArray */
    struct cudaExtent ext = {width, height, 0};
    return array_create(array, desc, ext, flags);
}

cudaError_t cushim_impl_cudaMalloc3DArray(cudaArray_t *array, const struct cudaChannelFormatDesc *desc,
                                          struct cudaExtent extent, unsigned int flags)
{
    return array_create(array, desc, extent, flags);
}

cudaError_t cushim_impl_cudaFreeArray(cudaArray_t array)
{
    if (!array)
        return cudaSuccess;
    pthread_mutex_lock(&arrays_lock);
    struct cudaArray **pp = &arrays;
    while (*pp && *pp != array)
        pp = &(*pp)->next;
    struct cudaArray *a = *pp;
    if (a)
        *pp = a->next;
    pthread_mutex_unlock(&arrays_lock);
    if (!a)
        return cudaErrorInvalidResourceHandle;
    /* like cudaFree: queued work may still read the array */
    cudaError_t e = cushim__device_wait(a->device);
    cushim__alloc rec;
    if (cushim__alloc_remove((uintptr_t)a->base, CUSHIM_MEM_BIT(CUSHIM_MEM_DEVICE), &rec))
        cushim__dev_free(rec.device, (cushim_dptr)rec.base);
    a->magic = 0;
    free(a);
    return e;
}

cudaError_t cushim_impl_cudaArrayGetInfo(struct cudaChannelFormatDesc *desc, struct cudaExtent *extent,
                                         unsigned int *flags, cudaArray_t array)
{
    struct cudaArray a;
    if (!array_get(array, &a))
        return cudaErrorInvalidResourceHandle;
    if (desc)
        *desc = a.desc;
    if (extent)
        *extent = a.extent;
    if (flags)
        *flags = a.flags;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGetChannelDesc(struct cudaChannelFormatDesc *desc, cudaArray_const_t array)
{
    if (!desc)
        return cudaErrorInvalidValue;
    struct cudaArray a;
    if (!array_get(array, &a))
        return cudaErrorInvalidResourceHandle;
    *desc = a.desc;
    return cudaSuccess;
}

/* ---- array copies ---------------------------------------------------------------------
 * Each becomes a pitched copy on the memory engine, so stream order, host
 * synchronisation and the checks of the other side's pointer are the same as for
 * cudaMemcpy2D(Async). Offsets and widths are in bytes, heights in rows (of the array's
 * first slice), as CUDA documents for these calls. */

static cudaError_t array_region(const void *handle, size_t woff, size_t hoff, size_t width,
                                size_t height, struct cudaArray *a, void **at)
{
    if (!array_get(handle, a))
        return cudaErrorInvalidResourceHandle;
    if (woff > a->pitch || width > a->pitch - woff || hoff > a->height || height > a->height - hoff)
        return cudaErrorInvalidValue;
    *at = (void *)(uintptr_t)(a->base + hoff * a->pitch + woff);
    return cudaSuccess;
}

static cudaError_t copy2d(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                          size_t height, enum cudaMemcpyKind kind, cudaStream_t stream, bool async)
{
    if (async)
        return cushim_impl_cudaMemcpy2DAsync(dst, dpitch, src, spitch, width, height, kind, stream);
    return cushim_impl_cudaMemcpy2D(dst, dpitch, src, spitch, width, height, kind);
}

static cudaError_t to_array_2d(cudaArray_t dst, size_t woff, size_t hoff, const void *src,
                               size_t spitch, size_t width, size_t height, enum cudaMemcpyKind kind,
                               cudaStream_t stream, bool async)
{
    struct cudaArray a;
    void *at;
    cudaError_t e = array_region(dst, woff, hoff, width, height, &a, &at);
    if (e != cudaSuccess)
        return e;
    return copy2d(at, a.pitch, src, spitch, width, height, kind, stream, async);
}

static cudaError_t from_array_2d(void *dst, size_t dpitch, cudaArray_const_t src, size_t woff,
                                 size_t hoff, size_t width, size_t height, enum cudaMemcpyKind kind,
                                 cudaStream_t stream, bool async)
{
    struct cudaArray a;
    void *at;
    cudaError_t e = array_region(src, woff, hoff, width, height, &a, &at);
    if (e != cudaSuccess)
        return e;
    return copy2d(dst, dpitch, at, a.pitch, width, height, kind, stream, async);
}

cudaError_t cushim_impl_cudaMemcpy2DToArray(cudaArray_t dst, size_t wOffset, size_t hOffset,
                                            const void *src, size_t spitch, size_t width,
                                            size_t height, enum cudaMemcpyKind kind)
{
    return to_array_2d(dst, wOffset, hOffset, src, spitch, width, height, kind, NULL, false);
}

cudaError_t cushim_impl_cudaMemcpy2DToArrayAsync(cudaArray_t dst, size_t wOffset, size_t hOffset,
                                                 const void *src, size_t spitch, size_t width,
                                                 size_t height, enum cudaMemcpyKind kind,
                                                 cudaStream_t stream)
{
    return to_array_2d(dst, wOffset, hOffset, src, spitch, width, height, kind, stream, true);
}

cudaError_t cushim_impl_cudaMemcpy2DFromArray(void *dst, size_t dpitch, cudaArray_const_t src,
                                              size_t wOffset, size_t hOffset, size_t width,
                                              size_t height, enum cudaMemcpyKind kind)
{
    return from_array_2d(dst, dpitch, src, wOffset, hOffset, width, height, kind, NULL, false);
}

cudaError_t cushim_impl_cudaMemcpy2DFromArrayAsync(void *dst, size_t dpitch, cudaArray_const_t src,
                                                   size_t wOffset, size_t hOffset, size_t width,
                                                   size_t height, enum cudaMemcpyKind kind,
                                                   cudaStream_t stream)
{
    return from_array_2d(dst, dpitch, src, wOffset, hOffset, width, height, kind, stream, true);
}

cudaError_t cushim_impl_cudaMemcpy2DArrayToArray(cudaArray_t dst, size_t wOffsetDst, size_t hOffsetDst,
                                                 cudaArray_const_t src, size_t wOffsetSrc,
                                                 size_t hOffsetSrc, size_t width, size_t height,
                                                 enum cudaMemcpyKind kind)
{
    if (kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    struct cudaArray da, sa;
    void *dat, *sat;
    cudaError_t e = array_region(dst, wOffsetDst, hOffsetDst, width, height, &da, &dat);
    if (e == cudaSuccess)
        e = array_region(src, wOffsetSrc, hOffsetSrc, width, height, &sa, &sat);
    if (e != cudaSuccess)
        return e;
    return cushim_impl_cudaMemcpy2D(dat, da.pitch, sat, sa.pitch, width, height, kind);
}

/* The deprecated linear forms: count bytes from (wOffset, hOffset) on, through the rows
 * in order (the array has no row padding). */
static cudaError_t array_linear(const void *handle, size_t woff, size_t hoff, size_t count,
                                struct cudaArray *a, void **at)
{
    if (!array_get(handle, a))
        return cudaErrorInvalidResourceHandle;
    if (woff >= a->pitch && count)
        return cudaErrorInvalidValue;
    if (hoff >= a->height * a->depth && count)
        return cudaErrorInvalidValue;
    size_t start = hoff * a->pitch + woff;
    if (start > a->bytes || count > a->bytes - start)
        return cudaErrorInvalidValue;
    *at = (void *)(uintptr_t)(a->base + start);
    return cudaSuccess;
}

static cudaError_t copy1d(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                          cudaStream_t stream, bool async)
{
    if (async)
        return cushim_impl_cudaMemcpyAsync(dst, src, count, kind, stream);
    return cushim_impl_cudaMemcpy(dst, src, count, kind);
}

static cudaError_t to_array(cudaArray_t dst, size_t woff, size_t hoff, const void *src, size_t count,
                            enum cudaMemcpyKind kind, cudaStream_t stream, bool async)
{
    struct cudaArray a;
    void *at;
    cudaError_t e = array_linear(dst, woff, hoff, count, &a, &at);
    return e != cudaSuccess ? e : copy1d(at, src, count, kind, stream, async);
}

static cudaError_t from_array(void *dst, cudaArray_const_t src, size_t woff, size_t hoff, size_t count,
                              enum cudaMemcpyKind kind, cudaStream_t stream, bool async)
{
    struct cudaArray a;
    void *at;
    cudaError_t e = array_linear(src, woff, hoff, count, &a, &at);
    return e != cudaSuccess ? e : copy1d(dst, at, count, kind, stream, async);
}

cudaError_t cushim_impl_cudaMemcpyToArray(cudaArray_t dst, size_t wOffset, size_t hOffset,
                                          const void *src, size_t count, enum cudaMemcpyKind kind)
{
    return to_array(dst, wOffset, hOffset, src, count, kind, NULL, false);
}

cudaError_t cushim_impl_cudaMemcpyToArrayAsync(cudaArray_t dst, size_t wOffset, size_t hOffset,
                                               const void *src, size_t count,
                                               enum cudaMemcpyKind kind, cudaStream_t stream)
{
    return to_array(dst, wOffset, hOffset, src, count, kind, stream, true);
}

cudaError_t cushim_impl_cudaMemcpyFromArray(void *dst, cudaArray_const_t src, size_t wOffset,
                                            size_t hOffset, size_t count, enum cudaMemcpyKind kind)
{
    return from_array(dst, src, wOffset, hOffset, count, kind, NULL, false);
}

cudaError_t cushim_impl_cudaMemcpyFromArrayAsync(void *dst, cudaArray_const_t src, size_t wOffset,
                                                 size_t hOffset, size_t count,
                                                 enum cudaMemcpyKind kind, cudaStream_t stream)
{
    return from_array(dst, src, wOffset, hOffset, count, kind, stream, true);
}

cudaError_t cushim_impl_cudaMemcpyArrayToArray(cudaArray_t dst, size_t wOffsetDst, size_t hOffsetDst,
                                               cudaArray_const_t src, size_t wOffsetSrc,
                                               size_t hOffsetSrc, size_t count,
                                               enum cudaMemcpyKind kind)
{
    if (kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    struct cudaArray da, sa;
    void *dat, *sat;
    cudaError_t e = array_linear(dst, wOffsetDst, hOffsetDst, count, &da, &dat);
    if (e == cudaSuccess)
        e = array_linear(src, wOffsetSrc, hOffsetSrc, count, &sa, &sat);
    return e != cudaSuccess ? e : cushim_impl_cudaMemcpy(dat, sat, count, kind);
}

/* cudaMemcpy3D: an array side is a pitched pointer over the array's storage, its
 * position and the extent in elements (bytes = elements x element size). */
cudaError_t cushim__memcpy3d_arrays(const struct cudaMemcpy3DParms *p, cudaStream_t stream,
                                    bool sync_call)
{
    if (!p)
        return cudaErrorInvalidValue;
    struct cudaMemcpy3DParms q = *p;
    struct cudaArray sa, da;
    memset(&sa, 0, sizeof sa);
    memset(&da, 0, sizeof da);
    size_t elem = 0;
    if (p->srcArray) {
        if (!array_get(p->srcArray, &sa))
            return cudaErrorInvalidResourceHandle;
        elem = sa.fmt.elem_bytes;
    }
    if (p->dstArray) {
        if (!array_get(p->dstArray, &da))
            return cudaErrorInvalidResourceHandle;
        if (elem && elem != da.fmt.elem_bytes)
            return cudaErrorInvalidValue;
        elem = da.fmt.elem_bytes;
    }
    if (!elem)
        return cudaErrorInvalidValue;
    struct cudaExtent ext = p->extent;
    if (ext.width > SIZE_MAX / elem)
        return cudaErrorInvalidValue;
    q.extent.width = ext.width * elem;
    if (p->srcArray) {
        if (p->srcPos.x > sa.width || ext.width > sa.width - p->srcPos.x ||
            p->srcPos.y > sa.height || ext.height > sa.height - p->srcPos.y ||
            p->srcPos.z > sa.depth || ext.depth > sa.depth - p->srcPos.z)
            return cudaErrorInvalidValue;
        q.srcArray = NULL;
        q.srcPtr.ptr = (void *)(uintptr_t)sa.base;
        q.srcPtr.pitch = sa.pitch;
        q.srcPtr.xsize = sa.width;
        q.srcPtr.ysize = sa.height;
        q.srcPos.x = p->srcPos.x * elem;
    }
    if (p->dstArray) {
        if (p->dstPos.x > da.width || ext.width > da.width - p->dstPos.x ||
            p->dstPos.y > da.height || ext.height > da.height - p->dstPos.y ||
            p->dstPos.z > da.depth || ext.depth > da.depth - p->dstPos.z)
            return cudaErrorInvalidValue;
        q.dstArray = NULL;
        q.dstPtr.ptr = (void *)(uintptr_t)da.base;
        q.dstPtr.pitch = da.pitch;
        q.dstPtr.xsize = da.width;
        q.dstPtr.ysize = da.height;
        q.dstPos.x = p->dstPos.x * elem;
    }
    return sync_call ? cushim_impl_cudaMemcpy3D(&q) : cushim_impl_cudaMemcpy3DAsync(&q, stream);
}

/* ---- texture and surface objects ------------------------------------------------------- */

/* The resource, read from the common prefix of the CUDA 12 and 13 layouts. */
static cudaError_t resolve_resource(const struct cudaResourceDesc12 *rd, bool surface,
                                    cushim_texobj *o, chan_format *fmt)
{
    cudaError_t e;
    o->restype = (int)rd->resType;
    o->layers = 1;
    o->depth = 1;
    o->height = 1;
    switch (rd->resType) {
    case cudaResourceTypeArray: {
        struct cudaArray a;
        if (!array_get(rd->res.array.array, &a))
            return cudaErrorInvalidResourceHandle;
        if (surface && !(a.flags & CUSHIM_ARRAY_SURFACE_LOAD_STORE))
            return cudaErrorInvalidValue; /* CUDA requires cudaArraySurfaceLoadStore */
        *fmt = a.fmt;
        o->base = a.base;
        o->width = a.width;
        o->pitch = a.pitch;
        o->slice = a.slice;
        o->layered = (a.flags & CUSHIM_ARRAY_LAYERED) != 0;
        o->cubemap = (a.flags & CUSHIM_ARRAY_CUBEMAP) != 0;
        if (a.flags & (CUSHIM_ARRAY_LAYERED | CUSHIM_ARRAY_CUBEMAP)) {
            /* a 1D layered array has height 0; its layers are rows */
            o->height = a.extent.height ? a.height : 1;
            if (!a.extent.height)
                o->slice = a.pitch;
            o->layers = a.depth;
        } else {
            o->height = a.height;
            o->depth = a.depth;
        }
        return cudaSuccess;
    }
    case cudaResourceTypeMipmappedArray:
        cushim_log_once("texture-mipmap", "texture objects over mipmapped arrays are not supported");
        return cudaErrorNotSupported;
    case cudaResourceTypeLinear:
    case cudaResourceTypePitch2D: {
        if (surface)
            return cudaErrorInvalidValue; /* surfaces bind CUDA arrays only */
        bool lin = rd->resType == cudaResourceTypeLinear;
        void *ptr = lin ? rd->res.linear.devPtr : rd->res.pitch2D.devPtr;
        e = decode_channels(lin ? &rd->res.linear.desc : &rd->res.pitch2D.desc, fmt);
        if (e != cudaSuccess)
            return e;
        if (!ptr || (uintptr_t)ptr % TEXTURE_ALIGNMENT)
            return cudaErrorInvalidValue;
        size_t span;
        if (lin) {
            o->width = rd->res.linear.sizeInBytes / fmt->elem_bytes;
            o->pitch = rd->res.linear.sizeInBytes;
            span = rd->res.linear.sizeInBytes;
            if (!o->width || o->width > (1u << 27))
                return cudaErrorInvalidValue;
        } else {
            o->width = rd->res.pitch2D.width;
            o->height = rd->res.pitch2D.height;
            o->pitch = rd->res.pitch2D.pitchInBytes;
            if (!o->width || !o->height || o->pitch % TEXTURE_PITCH_ALIGNMENT ||
                o->width > o->pitch / fmt->elem_bytes || o->height > SIZE_MAX / o->pitch)
                return cudaErrorInvalidValue;
            span = (o->height - 1) * o->pitch + o->width * fmt->elem_bytes;
        }
        o->slice = o->pitch * o->height;
        cushim__alloc rec;
        if (!cushim__alloc_find((uintptr_t)ptr, &rec) || rec.kind == CUSHIM_MEM_HOST ||
            rec.kind == CUSHIM_MEM_REGISTERED || (uintptr_t)ptr - rec.base > rec.size ||
            span > rec.size - ((uintptr_t)ptr - rec.base))
            return cudaErrorInvalidValue;
        o->base = (uint64_t)(uintptr_t)ptr;
        return cudaSuccess;
    }
    default:
        return cudaErrorInvalidValue;
    }
}

static cudaError_t make_object(unsigned long long *out, const struct cudaResourceDesc12 *rd, size_t rd_size,
                               const struct cudaTextureDesc *td, const void *view, size_t view_size,
                               bool surface)
{
    if (!out || !rd || (!surface && !td))
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    cushim_texobj o;
    memset(&o, 0, sizeof o);
    o.surface = surface;
    memcpy(&o.res_desc, rd, rd_size);
    if (rd_size == sizeof(struct cudaResourceDesc) && o.res_desc.flags != 0)
        return cudaErrorInvalidValue; /* "must be zero" */
    chan_format fmt;
    e = resolve_resource(rd, surface, &o, &fmt);
    if (e != cudaSuccess)
        return e;
    o.nchan = fmt.nchan;
    o.chan_bits = fmt.bits;
    o.kind = fmt.kind;
    o.elem_bytes = fmt.elem_bytes;
    if (view) {
        memcpy(&o.view_desc, view, view_size);
        if (o.view_desc.format != cudaResViewFormatNone) {
            cushim_log_once("texture-view", "cudaCreateTextureObject: resource views are not supported");
            return cudaErrorNotSupported;
        }
    }
    if (!surface) {
        o.tex_desc = *td;
        for (int i = 0; i < 3; i++) {
            if ((unsigned)td->addressMode[i] > cudaAddressModeBorder)
                return cudaErrorInvalidValue;
            o.address[i] = (int)td->addressMode[i];
        }
        if ((unsigned)td->filterMode > cudaFilterModeLinear ||
            (unsigned)td->readMode > cudaReadModeNormalizedFloat)
            return cudaErrorInvalidValue;
        memcpy(o.border, td->borderColor, sizeof o.border);
        o.normalized_coords = td->normalizedCoords != 0;
        bool integer = fmt.kind != CUSHIM_CHAN_FLOAT;
        o.normalized_read = integer && (fmt.force_normalized || td->readMode == cudaReadModeNormalizedFloat);
        if (o.normalized_read && fmt.bits == 32)
            return cudaErrorInvalidNormSetting;
        o.linear_filter = td->filterMode == cudaFilterModeLinear;
        /* the hardware filters only values read as floats */
        if (o.linear_filter && integer && !o.normalized_read)
            return cudaErrorInvalidFilterSetting;
        o.srgb = td->sRGB != 0 && o.normalized_read && fmt.bits == 8;
    }
    uint64_t h = cushim__texobj_register(&o);
    if (!h)
        return cudaErrorMemoryAllocation;
    *out = h;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaCreateTextureObject(cudaTextureObject_t *pTexObject,
                                                const struct cudaResourceDesc *pResDesc,
                                                const struct cudaTextureDesc *pTexDesc,
                                                const struct cudaResourceViewDesc *pResViewDesc)
{
    return make_object(pTexObject, (const struct cudaResourceDesc12 *)pResDesc, sizeof *pResDesc,
                       pTexDesc, pResViewDesc, sizeof *pResViewDesc, false);
}

cudaError_t cushim_impl_cudaCreateTextureObject12(cudaTextureObject_t *pTexObject,
                                                  const struct cudaResourceDesc12 *pResDesc,
                                                  const struct cudaTextureDesc *pTexDesc,
                                                  const struct cudaResourceViewDesc12 *pResViewDesc)
{
    return make_object(pTexObject, pResDesc, sizeof *pResDesc, pTexDesc, pResViewDesc,
                       sizeof *pResViewDesc, false);
}

cudaError_t cushim_impl_cudaCreateSurfaceObject(cudaSurfaceObject_t *pSurfObject,
                                                const struct cudaResourceDesc *pResDesc)
{
    return make_object(pSurfObject, (const struct cudaResourceDesc12 *)pResDesc, sizeof *pResDesc,
                       NULL, NULL, 0, true);
}

cudaError_t cushim_impl_cudaCreateSurfaceObject12(cudaSurfaceObject_t *pSurfObject,
                                                  const struct cudaResourceDesc12 *pResDesc)
{
    return make_object(pSurfObject, pResDesc, sizeof *pResDesc, NULL, NULL, 0, true);
}

static const cushim_texobj *object_of(uint64_t h, bool surface)
{
    const cushim_texobj *o = cushim__texobj_get(h);
    return o && o->surface == surface ? o : NULL;
}

/* Destroying 0 succeeds, as CUDA does; any other unknown handle is an invalid value. */
static cudaError_t destroy(uint64_t h, bool surface)
{
    if (!h)
        return cudaSuccess;
    if (!object_of(h, surface) || !cushim__texobj_unregister(h))
        return cudaErrorInvalidValue;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaDestroyTextureObject(cudaTextureObject_t texObject)
{
    return destroy(texObject, false);
}

cudaError_t cushim_impl_cudaDestroySurfaceObject(cudaSurfaceObject_t surfObject)
{
    return destroy(surfObject, true);
}

static cudaError_t get_res(void *out, size_t size, uint64_t h, bool surface)
{
    const cushim_texobj *o = object_of(h, surface);
    if (!out)
        return cudaErrorInvalidValue;
    if (!o)
        return cudaErrorInvalidValue;
    memcpy(out, &o->res_desc, size);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGetTextureObjectResourceDesc(struct cudaResourceDesc *pResDesc,
                                                         cudaTextureObject_t texObject)
{
    return get_res(pResDesc, sizeof *pResDesc, texObject, false);
}

cudaError_t cushim_impl_cudaGetTextureObjectResourceDesc12(struct cudaResourceDesc12 *pResDesc,
                                                           cudaTextureObject_t texObject)
{
    return get_res(pResDesc, sizeof *pResDesc, texObject, false);
}

cudaError_t cushim_impl_cudaGetSurfaceObjectResourceDesc(struct cudaResourceDesc *pResDesc,
                                                         cudaSurfaceObject_t surfObject)
{
    return get_res(pResDesc, sizeof *pResDesc, surfObject, true);
}

cudaError_t cushim_impl_cudaGetSurfaceObjectResourceDesc12(struct cudaResourceDesc12 *pResDesc,
                                                           cudaSurfaceObject_t surfObject)
{
    return get_res(pResDesc, sizeof *pResDesc, surfObject, true);
}

cudaError_t cushim_impl_cudaGetTextureObjectTextureDesc(struct cudaTextureDesc *pTexDesc,
                                                        cudaTextureObject_t texObject)
{
    const cushim_texobj *o = object_of(texObject, false);
    if (!pTexDesc || !o)
        return cudaErrorInvalidValue;
    *pTexDesc = o->tex_desc;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGetTextureObjectResourceViewDesc(struct cudaResourceViewDesc *pResViewDesc,
                                                             cudaTextureObject_t texObject)
{
    const cushim_texobj *o = object_of(texObject, false);
    if (!pResViewDesc || !o)
        return cudaErrorInvalidValue;
    *pResViewDesc = o->view_desc;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGetTextureObjectResourceViewDesc12(struct cudaResourceViewDesc12 *pResViewDesc,
                                                               cudaTextureObject_t texObject)
{
    const cushim_texobj *o = object_of(texObject, false);
    if (!pResViewDesc || !o)
        return cudaErrorInvalidValue;
    memcpy(pResViewDesc, &o->view_desc, sizeof *pResViewDesc);
    return cudaSuccess;
}
