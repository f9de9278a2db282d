/* kernel_abi.h: the ABI between C code generated from PTX (translate/gen_c.c) and the
 * CPU fallback runtime that loads and runs it (vendors/cpu/).
 *
 * The text of this header is pasted at the top of every generated C file, so it must
 * stay self-contained C11 that only needs <stdint.h> and <stddef.h>, and it must
 * compile with gcc, clang and tcc. Bump CUSHIM_KABI_VERSION on any change: the version
 * is part of the compilation cache key and is checked when a module is loaded.
 *
 * Execution model: one call of run_block() executes every thread of one block. The
 * generated code loops over the block's threads itself; at a barrier or a
 * warp-collective point a thread saves its live registers into its slice of
 * thread_state and the loop moves on to the next thread (see docs/cpu-fallback.md).
 * Different blocks run concurrently on different host threads, each with its own ctx.
 */
#ifndef CUSHIM_KERNEL_ABI_H
#define CUSHIM_KERNEL_ABI_H

#include <stddef.h>
#include <stdint.h>

#define CUSHIM_KABI_VERSION 3

struct cushim_block_ctx;

/* Services the runtime offers to generated code. Fault entries do not return: they
 * record the error and longjmp back to the runtime, abandoning the block. */
struct cushim_rt_services {
    /* device printf: fmt and args are generic addresses (host pointers on the CPU). */
    int32_t (*vprintf)(struct cushim_block_ctx *ctx, uint64_t fmt, uint64_t args);
    /* device heap: returns a generic address or 0. */
    uint64_t (*malloc)(struct cushim_block_ctx *ctx, uint64_t size);
    void (*free)(struct cushim_block_ctx *ctx, uint64_t ptr);
    /* __assertfail(message, file, line, function, char size). */
    void (*assert_fail)(struct cushim_block_ctx *ctx, uint64_t msg, uint64_t file,
                        uint32_t line, uint64_t func, uint64_t char_size);
    /* trap / brkpt / an instruction the generator accepted but cannot execute with the
     * operands met at run time. `what` names it. cuda_error is the cudaError_t to report. */
    void (*fault)(struct cushim_block_ctx *ctx, int32_t cuda_error, const char *what);
    /* nanosleep: a hint; the runtime may yield. */
    void (*nanosleep)(struct cushim_block_ctx *ctx, uint32_t ns);
    /* (KABI 3) Textures and surfaces. `handle` is the 64-bit object a kernel parameter
     * carried; an unknown handle, or an access the object's mode traps on, faults.
     * tex / tld4: `form` is CUSHIM_TEXGEO_* | CUSHIM_TEX_* bits; coords holds the raw
     * 32-bit coordinate words in PTX operand order (the layer first for array
     * geometries); out receives the 4 result words (f32 or s32/u32 bits). */
    void (*tex)(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t form,
                const uint32_t *coords, uint32_t *out);
    /* txq / suq: one CUSHIM_TXQ_* attribute. */
    uint32_t (*tex_query)(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t query);
    /* suld.b / sust.b / sust.p: `form` is CUSHIM_TEXGEO_* | CUSHIM_SURF_* bits; coords
     * are s32 in PTX operand order (x in bytes for .b, in elements for .p); data holds
     * vec components of the form's size (sust.p: 32-bit words). */
    void (*surf_load)(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t form,
                      const int32_t *coords, void *data);
    void (*surf_store)(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t form,
                       const int32_t *coords, const void *data);
};

/* Texture and surface instruction forms (KABI 3): geometry in the low 4 bits. */
#define CUSHIM_TEXGEO_1D 1u
#define CUSHIM_TEXGEO_2D 2u
#define CUSHIM_TEXGEO_3D 3u
#define CUSHIM_TEXGEO_A1D 4u
#define CUSHIM_TEXGEO_A2D 5u
#define CUSHIM_TEXGEO_CUBE 6u
#define CUSHIM_TEXGEO_ACUBE 7u
#define CUSHIM_TEXGEO_MASK 0xfu
#define CUSHIM_TEX_FLOAT_COORDS 0x10u     /* coordinates are f32 (else s32) */
#define CUSHIM_TEX_RESULT_SHIFT 5         /* 0 f32, 1 s32, 2 u32 */
#define CUSHIM_TEX_GATHER_SHIFT 8         /* tld4: 1 + component (r g b a); 0 for tex */
#define CUSHIM_SURF_SIZE_SHIFT 4          /* bytes per component: 1, 2, 4, 8 */
#define CUSHIM_SURF_VEC_SHIFT 8           /* components: 1, 2, 4 */
#define CUSHIM_SURF_OOB_SHIFT 12          /* out of range: 0 trap, 1 clamp, 2 zero */
#define CUSHIM_SURF_FORMATTED 0x4000u     /* sust.p */
#define CUSHIM_SURF_PTYPE_SHIFT 15        /* sust.p data: 0 b32, 1 u32, 2 s32, 3 f32 */
/* txq / suq attributes */
#define CUSHIM_TXQ_WIDTH 0u
#define CUSHIM_TXQ_HEIGHT 1u
#define CUSHIM_TXQ_DEPTH 2u
#define CUSHIM_TXQ_NORMALIZED_COORDS 3u
#define CUSHIM_TXQ_FILTER_MODE 4u
#define CUSHIM_TXQ_ADDR_MODE_0 5u
#define CUSHIM_TXQ_ADDR_MODE_1 6u
#define CUSHIM_TXQ_ADDR_MODE_2 7u
#define CUSHIM_TXQ_ARRAY_SIZE 8u
#define CUSHIM_TXQ_NUM_MIPMAP_LEVELS 9u
#define CUSHIM_TXQ_NUM_SAMPLES 10u

struct cushim_block_ctx {
    const void *params;         /* packed kernel parameters (PTX layout) */
    uint32_t ntid[3];           /* blockDim */
    uint32_t nctaid[3];         /* gridDim */
    uint32_t ctaid[3];          /* blockIdx of this block */
    uint32_t nthreads;          /* ntid.x * ntid.y * ntid.z */
    char *shared;               /* this block's shared memory: static, then dynamic */
    uint32_t dynamic_smem_bytes;
    uint32_t total_smem_bytes;
    char *thread_state;         /* nthreads * kernel state_bytes_per_thread, zeroed */
    char *local_mem;            /* nthreads * kernel local_bytes_per_thread */
    const struct cushim_rt_services *rt;
    void *rt_data;              /* runtime-private */
    uint32_t smid, nsmid;       /* host worker index, worker count */
    uint64_t gridid;
    uint32_t envreg[32];        /* %envreg0..31 */
    /* (KABI 2) The thread that is running, %tid of it: generated code stores it before
     * calling a service (printf, assert, fault...) so messages name the thread. The
     * runtime sets it to UINT32_MAX ("unknown") when a block starts. */
    uint32_t tid[3];
};

/* One kernel of a generated module. */
struct cushim_kernel_desc {
    const char *name;           /* PTX .entry name (mangled) */
    void (*run_block)(struct cushim_block_ctx *ctx); /* NULL when unsupported */
    uint32_t state_bytes_per_thread;
    uint32_t local_bytes_per_thread;
    uint32_t static_shared_bytes;
    uint32_t num_regs;
    uint32_t max_threads;       /* .maxntid / .reqntid product, 0 when none */
    const char *unsupported;    /* NULL, or why it cannot run (instruction, kernel, line) */
};

/* What a generated module exports, through the function named CUSHIM_KABI_ENTRY. */
struct cushim_module_desc {
    uint32_t kabi_version;      /* CUSHIM_KABI_VERSION the code was generated for */
    uint32_t nkernels;
    const struct cushim_kernel_desc *kernels;
    uint32_t nvars;             /* entries bind() expects: one per module var of the IR */
    /* Gives the module its variables' addresses (parallel to ptx_module.vars; 0 for
     * variables that live in no global memory). Called once, before any run_block. */
    void (*bind)(const uint64_t *var_addr);
};

#define CUSHIM_KABI_ENTRY "cushim_module_v1"
typedef const struct cushim_module_desc *(*cushim_module_entry_fn)(void);

#endif
