/* gen_c.h: C code generation from the PTX IR, for the CPU fallback.
 *
 * The output is one self-contained C11 file per linked module: the text of
 * vendors/cpu/kernel_abi.h, then one run_block function per kernel and the module
 * descriptor returned by CUSHIM_KABI_ENTRY. It compiles with gcc, clang and tcc. */
#ifndef CUSHIM_GEN_C_H
#define CUSHIM_GEN_C_H

#include <stdbool.h>
#include <stddef.h>

#include "translate/ptx_ir.h"

/* Bump when the generated code changes meaning: part of the compilation cache key. */
#define CGEN_VERSION 2

typedef struct cgen_options {
    bool memcheck;    /* CUSHIM_MEMCHECK: bounds-check every device access */
    bool for_tcc;     /* avoid GNU builtins the embedded compiler lacks */
} cgen_options;

/* Generate C for every kernel of a linked module. Returns malloc'ed NUL-terminated text,
 * or NULL with a message in err when the module as a whole cannot be generated.
 * A kernel using an instruction the generator does not support is still emitted, as
 * a descriptor with run_block NULL and `unsupported` naming the instruction text,
 * the kernel and the source line: it never runs something else. */
char *cgen_module(const ptx_module *m, const cgen_options *opt, char *err, size_t errlen);

/* Like cgen_module for one kernel: its C file holds that kernel alone (descriptor with
 * one entry) and the device functions it needs, so a program compiles only the kernels
 * it launches. NULL with err set when the module has no such kernel. */
char *cgen_kernel(const ptx_module *m, const char *kernel, const cgen_options *opt, char *err,
                  size_t errlen);

/* Whether the generator supports an instruction; when not, a short reason such as
 * "opcode 'tex' is not supported" is written to why. Triage uses this, so the
 * verdicts and the run time agree. */
bool cgen_supports(const ptx_instr *ins, char *why, size_t whylen);

/* The text of vendors/cpu/kernel_abi.h (generated at build time). */
extern const char cushim_kernel_abi_text[];

#endif
