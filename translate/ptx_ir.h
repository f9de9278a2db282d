/* ptx_ir.h: the typed IR of a PTX module, produced by the PTX parser and shared by
 * every code generator (C for the CPU fallback, OpenCL C) and by triage.
 *
 * The IR stays close to PTX on purpose: an instruction keeps its opcode and its
 * modifiers as written, with the parts every consumer needs (types, state space,
 * vector width, guard predicate) pulled out. Generators decide what they support by
 * looking at opcode + modifiers, so the parser accepts the whole grammar and never
 * has to know what a modifier means. All memory belongs to the module's arena and
 * is released by ptx_module_free(). */
#ifndef CUSHIM_PTX_IR_H
#define CUSHIM_PTX_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- types ------------------------------------------------------------------ */

/* X(enum suffix, PTX spelling, size in bytes) */
#define PTX_TYPE_LIST(X)            \
    X(PRED, "pred", 1)              \
    X(B8, "b8", 1)                  \
    X(B16, "b16", 2)                \
    X(B32, "b32", 4)                \
    X(B64, "b64", 8)                \
    X(B128, "b128", 16)             \
    X(U8, "u8", 1)                  \
    X(U16, "u16", 2)                \
    X(U32, "u32", 4)                \
    X(U64, "u64", 8)                \
    X(S8, "s8", 1)                  \
    X(S16, "s16", 2)                \
    X(S32, "s32", 4)                \
    X(S64, "s64", 8)                \
    X(F16, "f16", 2)                \
    X(F16X2, "f16x2", 4)            \
    X(BF16, "bf16", 2)              \
    X(BF16X2, "bf16x2", 4)          \
    X(TF32, "tf32", 4)              \
    X(F32, "f32", 4)                \
    X(F64, "f64", 8)                \
    X(E4M3X2, "e4m3x2", 2)          \
    X(E5M2X2, "e5m2x2", 2)          \
    X(TEXREF, "texref", 8)          \
    X(SAMPLERREF, "samplerref", 8)  \
    X(SURFREF, "surfref", 8)

typedef enum ptx_type {
    PTX_TYPE_NONE = 0,
#define X(e, s, n) PTX_##e,
    PTX_TYPE_LIST(X)
#undef X
    PTX_TYPE_COUNT
} ptx_type;

/* Size in bytes of one value of the type (0 for PTX_TYPE_NONE). */
unsigned ptx_type_size(ptx_type t);
/* "u32" etc.; "?" for PTX_TYPE_NONE. */
const char *ptx_type_name(ptx_type t);
/* PTX_TYPE_NONE when the word is not a type name (without the leading dot). */
ptx_type ptx_type_from_name(const char *word);
bool ptx_type_is_float(ptx_type t);   /* f16 f16x2 bf16 bf16x2 tf32 f32 f64 */
bool ptx_type_is_signed(ptx_type t);  /* s8..s64 */

/* ---- state spaces --------------------------------------------------------------- */

#define PTX_SPACE_LIST(X)           \
    X(GENERIC, "")                  \
    X(REG, "reg")                   \
    X(SREG, "sreg")                 \
    X(CONST, "const")               \
    X(GLOBAL, "global")             \
    X(LOCAL, "local")               \
    X(PARAM, "param")               \
    X(SHARED, "shared")             \
    X(SHARED_CTA, "shared::cta")    \
    X(SHARED_CLUSTER, "shared::cluster") \
    X(TEX, "tex")

typedef enum ptx_space {
#define X(e, s) PTX_SPACE_##e,
    PTX_SPACE_LIST(X)
#undef X
    PTX_SPACE_COUNT
} ptx_space;

const char *ptx_space_name(ptx_space s);

/* ---- symbols --------------------------------------------------------------------- */

typedef enum ptx_linkage {
    PTX_LINK_STATIC = 0, /* no directive: visible only inside this module */
    PTX_LINK_VISIBLE,    /* .visible */
    PTX_LINK_EXTERN,     /* .extern: declared here, defined in another module */
    PTX_LINK_WEAK,       /* .weak */
    PTX_LINK_COMMON,     /* .common */
} ptx_linkage;

/* A relocation inside a variable's initializer: the bytes at `offset` receive the
 * address of `symbol` (+ addend), as a generic address when `generic` is set. */
typedef struct ptx_init_reloc {
    uint64_t offset;
    const char *symbol;
    int64_t addend;
    uint8_t size; /* 4 or 8 */
    bool generic; /* written as generic(sym) */
} ptx_init_reloc;

/* A variable in any addressable state space (.global .const .shared .local .param
 * .tex), declared at module scope or inside a function. Registers are ptx_reg. */
typedef struct ptx_var {
    const char *name;
    ptx_space space;
    ptx_type type;      /* element type as declared */
    uint32_t align;     /* bytes; the type's size when no .align was given */
    uint32_t vec;       /* 1, 2 or 4 for .v2/.v4 declarations */
    uint64_t size;      /* total bytes; 0 with `unsized` */
    bool unsized;       /* declared with [] and no initializer (extern shared) */
    ptx_linkage linkage;
    const uint8_t *init;  /* initial bytes (size bytes) or NULL: zero-filled */
    ptx_init_reloc *relocs;
    uint32_t nrelocs;
    uint32_t line;      /* PTX text line of the declaration */
    bool managed;       /* .attribute(.managed) */
} ptx_var;

/* A virtual register. `%r<18>` declares %r0 .. %r17, each one ptx_reg. */
typedef struct ptx_reg {
    const char *name;
    ptx_type type;
    uint32_t vec; /* 1, or 2/4 for vector registers (.reg .v4 .f32 %v) */
} ptx_reg;

/* Special registers (%tid.x is SREG_TID with component 0). */
#define PTX_SREG_LIST(X)                                     \
    X(TID, "tid") X(NTID, "ntid") X(CTAID, "ctaid")          \
    X(NCTAID, "nctaid") X(LANEID, "laneid") X(WARPID, "warpid") \
    X(NWARPID, "nwarpid") X(SMID, "smid") X(NSMID, "nsmid")  \
    X(GRIDID, "gridid") X(CLOCK, "clock") X(CLOCK_HI, "clock_hi") \
    X(CLOCK64, "clock64") X(GLOBALTIMER, "globaltimer")      \
    X(GLOBALTIMER_LO, "globaltimer_lo") X(GLOBALTIMER_HI, "globaltimer_hi") \
    X(LANEMASK_EQ, "lanemask_eq") X(LANEMASK_LT, "lanemask_lt") \
    X(LANEMASK_LE, "lanemask_le") X(LANEMASK_GT, "lanemask_gt") \
    X(LANEMASK_GE, "lanemask_ge") X(DYNAMIC_SMEM_SIZE, "dynamic_smem_size") \
    X(TOTAL_SMEM_SIZE, "total_smem_size") X(ENVREG, "envreg") \
    X(PM, "pm") X(CLUSTERID, "clusterid") X(NCLUSTERID, "nclusterid") \
    X(CLUSTER_CTAID, "cluster_ctaid") X(CLUSTER_NCTAID, "cluster_nctaid") \
    X(CLUSTER_CTARANK, "cluster_ctarank") X(CLUSTER_NCTARANK, "cluster_nctarank") \
    X(IS_EXPLICIT_CLUSTER, "is_explicit_cluster") \
    X(RESERVED_SMEM_OFFSET_BEGIN, "reserved_smem_offset_begin") \
    X(AGGR_SMEM_SIZE, "aggr_smem_size")

typedef enum ptx_sreg {
    PTX_SREG_NONE = 0,
#define X(e, s) PTX_SREG_##e,
    PTX_SREG_LIST(X)
#undef X
    PTX_SREG_COUNT
} ptx_sreg;

const char *ptx_sreg_name(ptx_sreg s);

/* ---- operands -------------------------------------------------------------------- */

typedef enum ptx_operand_kind {
    PTX_OPND_NONE = 0,
    PTX_OPND_REG,     /* reg: index into the function's regs */
    PTX_OPND_IMM_INT, /* imm_int */
    PTX_OPND_IMM_FLT, /* imm_bits: raw IEEE bits; imm_is_f64 says which width (0f/0d or decimal) */
    PTX_OPND_SREG,    /* sreg + sreg_comp (0..3 for .x .y .z .w; envreg/pm number for those) */
    PTX_OPND_SYMBOL,  /* symbol: a variable, function or parameter name (its address) */
    PTX_OPND_ADDR,    /* [base + offset]: base is addr_reg, addr_symbol, or absolute */
    PTX_OPND_VEC,     /* {a, b, ...}: elems[0..nelems) */
    PTX_OPND_LABEL,   /* label: index into the function's labels */
    PTX_OPND_SINK,    /* _ */
    PTX_OPND_LIST,    /* (a, b, ...) in call: elems[0..nelems) */
    PTX_OPND_BRACKET, /* [a, b, ...] with several elements (tex/suld/sust operands:
                         [texref, {coords}]): elems[0..nelems) */
} ptx_operand_kind;

typedef struct ptx_operand ptx_operand;
struct ptx_operand {
    ptx_operand_kind kind;
    bool negated;      /* !%p as a predicate source */
    bool imm_is_f64;
    int32_t reg;       /* PTX_OPND_REG, or ADDR base register (-1 if none) */
    uint8_t reg_comp;  /* vector register component (.x=0 ... .w=3), 0xff if whole */
    int64_t imm_int;
    uint64_t imm_bits;
    ptx_sreg sreg;
    uint32_t sreg_comp;
    const char *symbol;  /* SYMBOL, or ADDR base symbol (NULL if none) */
    int64_t offset;      /* ADDR: constant byte offset; SYMBOL: written as sym+offset */
    int32_t label;       /* LABEL */
    ptx_operand *elems;  /* VEC, LIST */
    uint32_t nelems;
};

/* ---- instructions ------------------------------------------------------------ */

#define PTX_MAX_MODS 12

typedef struct ptx_instr {
    const char *opcode;        /* base opcode as written: "add", "ld", "setp", "bar" ... */
    const char *mods[PTX_MAX_MODS]; /* every other modifier in order, without dots:
                                       "rn", "ftz", "sat", "wide", "eq", "sync", "nc" ... */
    uint8_t nmods;
    ptx_type types[3];         /* type modifiers in order: cvt.rn.f32.s32 -> {F32, S32} */
    uint8_t ntypes;
    ptx_space space;           /* state-space modifier (ld/st/atom/cvta/isspacep...) */
    uint8_t vec;               /* 1, or 2/4/8 for .v2/.v4/.v8 */
    int32_t guard_reg;         /* @%p / @!%p guard: register index, -1 when unguarded */
    bool guard_negated;
    ptx_operand *ops;
    uint32_t nops;
    uint32_t line;             /* PTX text line */
    uint32_t loc_file;         /* last .loc before this instruction: file index, 0 = none */
    uint32_t loc_line;
    const char *text;          /* the instruction as written, for error messages */
    /* Type modifiers past the third (mma...f32.f16.f16.f32) are also kept, in order,
     * in mods[]; a second state space (cp.async.ca.shared.global) likewise. */
} ptx_instr;

/* Operand layouts the parser fixes for the instructions with special syntax:
 *   call   ops[0] LIST of return operands (0 elements when none), ops[1] the callee
 *          (SYMBOL, or REG for an indirect call), ops[2] LIST of arguments, and for an
 *          indirect call ops[3]: SYMBOL naming one of the function's protos[], or a
 *          LIST of SYMBOLs (the possible targets). nops is 3, or 4 when indirect.
 *   brx    ops[0] the index, ops[1] LIST of LABELs (the .branchtargets table).
 *   bra    ops[0] LABEL.
 *   setp   with two destinations `%p|%q`: ops[0] is a VEC of 2 elements.
 *   tex/tld4/suld/sust/txq  `[tex, {coords}]` is a BRACKET operand.
 * Registers, variables and parameters declared inside nested `{ }` scopes (call
 * sequences repeat `.param .b32 param0;`) get a function-unique name ("param0$2") and
 * every reference inside the scope uses it. SYMBOL operands name, in lookup order, a
 * variable of the function (vars[]), a parameter or return value of the function, a
 * module variable, or a function. */

/* True when the instruction carries modifier `mod` (without the dot). */
bool ptx_instr_has_mod(const ptx_instr *ins, const char *mod);

/* ---- functions ------------------------------------------------------------------- */

/* A parameter of a kernel or device function, or a return value of a .func. The
 * kernel parameter buffer layout (offset) is PTX's: each parameter at the next
 * multiple of its alignment, in declaration order (CUDA_ABI.md section 5). */
typedef struct ptx_param {
    const char *name;
    ptx_type type;
    uint32_t align;
    uint32_t size;
    uint32_t offset;
    ptx_space ptr_space; /* .ptr.global etc. when given, else GENERIC */
    bool is_reg;         /* .reg parameters of .func (by value in a register) */
} ptx_param;

typedef struct ptx_label {
    const char *name;
    uint32_t instr; /* index of the first instruction after the label */
} ptx_label;

/* A basic block: instructions [first, first+count); successors by block index. */
typedef struct ptx_block {
    uint32_t first, count;
    int32_t succ[2];   /* -1 when absent; fall-through first, then branch target */
    uint32_t nsucc;
    int32_t *preds;
    uint32_t npreds;
    /* Every successor: the same as succ[] except after brx.idx, whose block has one
     * successor per distinct branch target (succ[] then holds only the first two). */
    int32_t *all_succ;
    uint32_t nall_succ;
} ptx_block;

typedef struct ptx_function {
    const char *name;
    bool is_entry;          /* .entry (kernel) rather than .func */
    bool has_body;          /* false for prototypes and .extern declarations */
    ptx_linkage linkage;
    ptx_param *params;
    uint32_t nparams;
    uint32_t param_bytes;   /* size of the packed parameter buffer */
    ptx_param *rets;        /* .func return parameters */
    uint32_t nrets;
    ptx_reg *regs;
    uint32_t nregs;
    ptx_var *vars;          /* function-scope .local/.shared/.param/.const variables */
    uint32_t nvars;
    ptx_instr *instrs;
    uint32_t ninstrs;
    ptx_label *labels;
    uint32_t nlabels;
    ptx_block *blocks;      /* filled by ptx_build_cfg() */
    uint32_t nblocks;
    /* performance directives, 0 when absent */
    uint32_t maxntid[3], reqntid[3], minnctapersm, maxnreg, maxclusterrank;
    bool noreturn;
    uint32_t line;
    /* `name: .callprototype (rets) _ (params);` declarations of the body: each one a
     * ptx_function with has_body false; an indirect call's ops[3] names one. */
    struct ptx_function *protos;
    uint32_t nprotos;
    uint32_t reqnctapercluster[3];
    bool explicitcluster;
} ptx_function;

typedef struct ptx_file {
    uint32_t index;
    const char *path;
} ptx_file;

typedef struct ptx_module {
    uint32_t version_major, version_minor; /* .version */
    uint32_t target_sm;                    /* .target sm_NN -> NN */
    const char *target_text;               /* the whole .target line's operands */
    uint32_t address_size;                 /* 32 or 64 */
    ptx_var *vars;                         /* module-scope variables */
    uint32_t nvars;
    ptx_function *funcs;
    uint32_t nfuncs;
    ptx_file *files;
    uint32_t nfiles;
    struct ptx_arena *arena;               /* owns everything above */
    /* Filled by ptx_link: module-private symbols renamed because another input module
     * had a symbol of the same name. `module` indexes the ptx_link inputs. */
    struct ptx_link_rename *renames;
    uint32_t nrenames;
} ptx_module;

typedef struct ptx_link_rename {
    uint32_t module;
    const char *old_name, *new_name;
} ptx_link_rename;

/* ---- entry points ------------------------------------------------------------ */

/* Parse PTX text (need not be NUL-terminated; len bytes). On failure returns NULL
 * and writes "line N: what is wrong (near `text`)" into err. */
ptx_module *ptx_parse(const char *text, size_t len, char *err, size_t errlen);

/* Link several modules (separate compilation: -rdc) into one: every .extern symbol
 * is resolved against a definition in another module, .weak yields to a strong
 * definition, and module-private (static) symbols that clash are renamed. The inputs
 * stay owned by the caller and are not modified. NULL + message on an unresolved
 * symbol or a duplicate strong definition. */
ptx_module *ptx_link(ptx_module *const *mods, uint32_t nmods, char *err, size_t errlen);

void ptx_module_free(ptx_module *m);

/* Lookups by name; NULL when absent. */
const ptx_function *ptx_find_function(const ptx_module *m, const char *name);
const ptx_var *ptx_find_var(const ptx_module *m, const char *name);

/* Fill f->blocks from labels and branches. Returns false + message on a branch to an
 * unknown label. */
bool ptx_build_cfg(ptx_module *m, ptx_function *f, char *err, size_t errlen);

/* Source location for messages: "file.cu:12" from .loc, else "ptx line 345". */
void ptx_instr_location(const ptx_module *m, const ptx_instr *ins, char *buf, size_t len);

#endif
