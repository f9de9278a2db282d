/* cpu.h: the CPU fallback backend: its ops struct, and the internals its files share
 * (device memory range, compilation cache, worker pool, runtime services). Other parts
 * of cushim may use cpu_mem_find (memcheck, pointer attributes) and the heap limit. */
#ifndef CUSHIM_CPU_H
#define CUSHIM_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vendors/cpu/kernel_abi.h"
#include "vendors/vendor.h"

extern const struct cushim_vendor_ops cushim_cpu_vendor;

/* cudaError_t values by name, from the one table of them. */
enum cpu_cuda_error {
#define X(name, value, message) CPU_##name = value,
#include "shim/cuda_errors.def"
#undef X
};

/* Compute capability reported: 7.5, the PTX target nvcc 13 emits by default, so the
 * default build of a program finds the features it was compiled for. */
#define CPU_CC_MAJOR 7
#define CPU_CC_MINOR 5
#define CPU_SMEM_DEFAULT (48u * 1024u)
#define CPU_SMEM_OPTIN (228u * 1024u)
#define CPU_MAX_THREADS_PER_BLOCK 1024u

/* ---- device memory (cpu_memory.c) ----------------------------------------------
 * One reserved virtual range; device addresses are host addresses inside it. Each
 * allocation starts on a page (so >= 256-byte aligned) and is followed by an unmapped
 * guard gap; freed memory is unmapped again. All functions are thread-safe. */

/* Reserve the range (idempotent). */
int cpu_mem_init(char *err, size_t errlen);
int cpu_mem_alloc(size_t bytes, uint64_t *out, char *err, size_t errlen);
/* cudaErrorInvalidValue unless addr is the start of a live allocation. */
int cpu_mem_free(uint64_t addr);
/* The live allocation containing addr (its first byte .. last byte, guard excluded). */
bool cpu_mem_find(uint64_t addr, uint64_t *base, size_t *size);
/* Whether [addr, addr+n) lies inside one live allocation. */
bool cpu_mem_range_ok(uint64_t addr, size_t n);
/* Whether addr lies inside the reserved range (allocated or not). */
bool cpu_mem_in_range(uint64_t addr);
/* Ceiling on the bytes of all live allocations (physical memory). */
uint64_t cpu_mem_total(void);
/* Bytes of live allocations (page-rounded). */
uint64_t cpu_mem_used(void);
/* Bytes of unmapped gap after each allocation. */
size_t cpu_mem_guard_bytes(void);
/* For fault messages: what addr is ("in the guard gap after allocation 0x..(n bytes)",
 * "in freed or never allocated device memory", "outside device memory"). */
void cpu_mem_describe(uint64_t addr, char *buf, size_t len);

/* An allocator of extents over [start, start+len), used for the range and the device
 * heap: best fit over a sorted, coalesced free list; live extents in a sorted table.
 * Not locked: callers lock. */
typedef struct cpu_extent {
    uint64_t start, len; /* slot: granule-rounded, includes any guard */
    uint64_t size;       /* bytes asked for (live extents) */
} cpu_extent;
typedef struct cpu_arena {
    cpu_extent *free_list, *live;
    size_t nfree, cap_free, nlive, cap_live;
    uint64_t granule;
} cpu_arena;
void cpu_arena_init(cpu_arena *a, uint64_t start, uint64_t len, uint64_t granule);
void cpu_arena_destroy(cpu_arena *a);
/* slot_len must be a multiple of the granule. false when nothing fits (or no memory
 * for the tables). */
bool cpu_arena_alloc(cpu_arena *a, uint64_t slot_len, uint64_t size, uint64_t *out);
/* Release the live extent starting at start; false when there is none. */
bool cpu_arena_free(cpu_arena *a, uint64_t start, cpu_extent *released);
/* The live extent whose slot contains addr. */
const cpu_extent *cpu_arena_lookup(const cpu_arena *a, uint64_t addr);

/* ---- compilation (cpu_compile.c) -------------------------------------------------
 * C source -> shared object through the on-disk cache, then dlopen. */
typedef struct cpu_object cpu_object;
/* Compile (or find in the cache) and load. */
int cpu_compile_load(const char *c_source, size_t len, const char *label, cpu_object **out,
                     char *err, size_t errlen);
/* A global symbol of loaded code, or NULL. */
void *cpu_object_symbol(cpu_object *obj, const char *name);
void cpu_object_close(cpu_object *obj);
/* Number of compiler runs in this process (the cache's tests count them). */
unsigned long cpu_compile_count(void);
/* Whether the run-time compiler is tcc (the generator then avoids GNU builtins). */
bool cpu_compiler_is_tcc(void);

/* ---- modules (cpu_backend.c) ---------------------------------------------------- */
/* Load a module from C that follows kernel_abi.h (what cgen_module emits): compile,
 * check its ABI version and variable count, bind its variables. */
int cpu_module_load_c(const char *c_source, size_t len, const uint64_t *var_addr,
                      uint32_t nvars, const char *label, void **module, char *err,
                      size_t errlen);

/* ---- worker pool (cpu_pool.c) ---------------------------------------------------- */
int cpu_pool_launch(const struct cushim_kernel_desc *k, const cushim_launch *l, char *err,
                    size_t errlen);
/* Host threads that run blocks (workers plus the launching thread). */
unsigned cpu_pool_parallelism(void);
void cpu_pool_shutdown(void);
/* Record the first error of the running launch and abandon the block: called from
 * inside run_block (services); never returns. `what` is the description; kernel,
 * block and thread are added. */
_Noreturn void cpu_pool_fail_block(struct cushim_block_ctx *ctx, int cuda_error,
                                   const char *what);
/* "[x,y,z]" of the thread the generated code last reported in ctx->tid, or "[?]". */
void cpu_thread_text(const struct cushim_block_ctx *ctx, char *buf, size_t len);

/* ---- runtime services (cpu_services.c) -------------------------------------------- */
extern const struct cushim_rt_services cpu_services;
/* Format like device printf: args is the argument buffer (C-promoted values at their
 * natural alignment). Returns the number of arguments consumed, or -1 when fmt is
 * NULL; *out (malloc'ed, NUL-terminated) receives the text. */
int cpu_printf_format(const char *fmt, const unsigned char *args, char **out,
                      size_t *outlen);
/* Textures and surfaces (cpu_texture.c): the KABI 3 services over the objects of
 * shim/api_texture.h. */
void cpu_service_tex(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t form,
                     const uint32_t *coords, uint32_t *out);
uint32_t cpu_service_tex_query(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t query);
void cpu_service_surf_load(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t form,
                           const int32_t *coords, void *data);
void cpu_service_surf_store(struct cushim_block_ctx *ctx, uint64_t handle, uint32_t form,
                            const int32_t *coords, const void *data);
/* cudaLimitMallocHeapSize: settable until the heap is first used (then
 * cudaErrorInvalidValue). Default 8 MiB. */
int cpu_set_malloc_heap_limit(size_t bytes);
size_t cpu_get_malloc_heap_limit(void);

#endif
