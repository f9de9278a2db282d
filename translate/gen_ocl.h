/* gen_ocl.h: IR -> OpenCL C for the opencl backend, one kernel per program.
 *
 * The generated kernel follows the backend's conventions (docs/opencl-backend.md):
 *   __kernel void NAME(__global uchar *arena, __global const uchar *params,
 *                      __local uchar *smem)
 * Device addresses are ocl_arena_base + offset into `arena`; `params` holds the packed
 * PTX parameter bytes; `smem` holds the kernel's static shared variables followed by the
 * dynamic shared memory (at static_shared_bytes rounded up to 16). The first
 * GOCL_ARENA_RESERVED bytes of the arena are the fault record: a global access outside
 * the arena writes 1 at offset 0 and the address at offset 8, and is redirected to
 * scratch bytes inside the reserved area, so a stray pointer never touches host memory. */
#ifndef CUSHIM_GEN_OCL_H
#define CUSHIM_GEN_OCL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translate/ptx_ir.h"

#define GOCL_ARENA_BASE 0x200000000000ull
#define GOCL_SHARED_WINDOW 0x100000000000ull /* generic addresses of shared memory */
#define GOCL_LOCAL_WINDOW 0x300000000000ull  /* generic addresses of per-thread .local */
#define GOCL_ARENA_RESERVED 256u

typedef struct gocl_options {
    uint64_t arena_bytes;   /* size of the arena buffer (bounds of global accesses) */
    bool device_fp64;       /* cl_khr_fp64 */
    bool device_int64_atomics; /* cl_khr_int64_base_atomics */
    bool device_int64_extended_atomics; /* cl_khr_int64_extended_atomics */
} gocl_options;

/* What the backend needs to know about a generated kernel. */
typedef struct gocl_kernel_facts {
    uint32_t static_shared_bytes;
    uint32_t local_bytes_per_thread;
    uint32_t param_bytes;
    bool uses_fp64;
    bool uses_int64_atomics;
    bool uses_int64_extended_atomics;
} gocl_kernel_facts;

/* OpenCL C source (malloc'ed, NUL-terminated) for kernel `name` of module m, whose
 * .global/.const variables live at var_addr[i] (parallel to m->vars). NULL when the
 * kernel cannot be translated (or the device lacks a capability it needs): err then
 * names the instruction, the kernel and the source line, or the capability. */
char *gocl_kernel(const ptx_module *m, const char *name, const uint64_t *var_addr,
                  const gocl_options *opt, gocl_kernel_facts *facts, char *err,
                  size_t errlen);

/* Whether the generator translates this instruction, judged from the instruction alone
 * (what triage reports; the generator, which also sees operands and the device, has the
 * last word). false + reason in why. */
bool gocl_supports(const ptx_instr *ins, char *why, size_t whylen);

#endif
