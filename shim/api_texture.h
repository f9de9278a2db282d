/* api_texture.h: texture and surface objects and CUDA arrays as the core keeps them:
 * the resolved, backend-neutral description a sampler needs (shim/api_texture.c makes
 * them; the CPU fallback's texture service, vendors/cpu/cpu_texture.c, reads them), and
 * the hook through which cudaMemcpy3D reaches CUDA arrays. */
#ifndef CUSHIM_API_TEXTURE_H
#define CUSHIM_API_TEXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/cuda_types.h"

/* The descriptors of the texture-object API. cudaTextureDesc is the same in CUDA 12
 * and 13; cudaResourceDesc and cudaResourceViewDesc grew reserved words (and flags) in
 * 13, which the API table's separate rows for CUDA 12 binaries account for: the CUDA 12
 * layouts are the prefixes of the CUDA 13 ones. */
struct cudaTextureDesc {
    enum cudaTextureAddressMode addressMode[3];
    enum cudaTextureFilterMode filterMode;
    enum cudaTextureReadMode readMode;
    int sRGB;
    float borderColor[4];
    int normalizedCoords;
    unsigned int maxAnisotropy;
    enum cudaTextureFilterMode mipmapFilterMode;
    float mipmapLevelBias;
    float minMipmapLevelClamp;
    float maxMipmapLevelClamp;
    int disableTrilinearOptimization;
    int seamlessCubemap;
};

#define CUSHIM_RESOURCE_UNION \
    union { \
        struct { cudaArray_t array; } array; \
        struct { cudaMipmappedArray_t mipmap; } mipmap; \
        struct { void *devPtr; struct cudaChannelFormatDesc desc; size_t sizeInBytes; } linear; \
        struct { void *devPtr; struct cudaChannelFormatDesc desc; size_t width; size_t height; \
                 size_t pitchInBytes; } pitch2D; \
        CUSHIM_RESOURCE_RESERVED \
    } res
#define CUSHIM_RESOURCE_RESERVED struct { int reserved[32]; } reserved;
struct cudaResourceDesc {
    enum cudaResourceType resType;
    CUSHIM_RESOURCE_UNION;
    unsigned int flags;
};
#undef CUSHIM_RESOURCE_RESERVED
#define CUSHIM_RESOURCE_RESERVED
struct cudaResourceDesc12 {
    enum cudaResourceType resType;
    CUSHIM_RESOURCE_UNION;
};
#undef CUSHIM_RESOURCE_RESERVED
#undef CUSHIM_RESOURCE_UNION

struct cudaResourceViewDesc12 {
    enum cudaResourceViewFormat format;
    size_t width, height, depth;
    unsigned int firstMipmapLevel, lastMipmapLevel, firstLayer, lastLayer;
};
struct cudaResourceViewDesc {
    enum cudaResourceViewFormat format;
    size_t width, height, depth;
    unsigned int firstMipmapLevel, lastMipmapLevel, firstLayer, lastLayer;
    unsigned int reserved[16];
};

/* cudaMallocArray / cudaMalloc3DArray flags. */
#define CUSHIM_ARRAY_LAYERED 0x01u
#define CUSHIM_ARRAY_SURFACE_LOAD_STORE 0x02u
#define CUSHIM_ARRAY_CUBEMAP 0x04u
#define CUSHIM_ARRAY_TEXTURE_GATHER 0x08u

/* How the bytes of one element decode: per channel, bits and value kind. */
typedef enum cushim_chan_kind {
    CUSHIM_CHAN_SIGNED = 0,   /* two's complement integer */
    CUSHIM_CHAN_UNSIGNED = 1,
    CUSHIM_CHAN_FLOAT = 2,    /* 16-bit (half) or 32-bit IEEE */
} cushim_chan_kind;

typedef struct cushim_texobj {
    bool surface;              /* a surface object (suld/sust), else a texture */
    int restype;               /* enum cudaResourceType */
    uint64_t base;             /* device address of element (0, 0, 0, layer 0) */
    size_t width, height, depth; /* elements; 1 for absent dimensions */
    size_t layers;             /* layered arrays: layer count (cubemaps: 6 x cubes), else 1 */
    size_t pitch;              /* bytes from one row to the next */
    size_t slice;              /* bytes from one depth slice or layer to the next */
    unsigned nchan;            /* 1, 2 or 4 channels */
    unsigned chan_bits;        /* bits per channel (8, 16, 32) */
    cushim_chan_kind kind;
    unsigned elem_bytes;
    bool layered, cubemap;
    bool normalized_read;      /* cudaReadModeNormalizedFloat on 8/16-bit integers */
    bool srgb;
    bool normalized_coords;
    bool linear_filter;
    int address[3];            /* enum cudaTextureAddressMode per dimension */
    float border[4];
    /* What the program passed, for cudaGet*Object*Desc (CUDA 13 layouts). */
    struct cudaResourceDesc res_desc;
    struct cudaTextureDesc tex_desc;
    struct cudaResourceViewDesc view_desc;
} cushim_texobj;

/* The live object with this handle (texture or surface), or NULL. The pointer stays
 * valid for the life of the process (slots are never freed), so a sampler may keep it
 * while a kernel runs; destroying an object a running kernel uses is the program's
 * error, as on the GPU. Lock-free, callable from any thread. */
const cushim_texobj *cushim__texobj_get(uint64_t handle);
/* Register a resolved object; returns its handle (never 0), or 0 when out of memory. */
uint64_t cushim__texobj_register(const cushim_texobj *obj);
/* Forget a handle; false when it names no live object. */
bool cushim__texobj_unregister(uint64_t handle);

/* cudaMemcpy3D(Async) with srcArray and/or dstArray set: the array sides become pitched
 * pointers (positions and extent in elements) and the copy goes to the pitched path.
 * Called by shim/api_memory.c; sync_call distinguishes cudaMemcpy3D from the Async form. */
cudaError_t cushim__memcpy3d_arrays(const struct cudaMemcpy3DParms *p, cudaStream_t stream,
                                    bool sync_call);

#endif
