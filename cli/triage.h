/* triage.h: `cushim triage`, reading CUDA executables and libraries without running
 * them, and the report model its scanner fills and its terminal and JSON writers read.
 * Verdicts come only from the tables the runtime itself uses: cushim_api_table for
 * runtime API entry points and cgen_supports() for PTX instructions. */
#ifndef CUSHIM_TRIAGE_H
#define CUSHIM_TRIAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "translate/ptx_ir.h"

/* The `cushim triage` command; argv[0] is "triage". Exit status: 0 when every CUDA
 * binary scanned runs (possibly degraded) on the selected backends, 1 when something
 * cannot run, 2 on a usage error. */
int cushim_cmd_triage(int argc, char **argv);

#define TRIAGE_SCHEMA "cushim-triage/1"
#define TRIAGE_MAX_BACKENDS 8

/* ---- small containers -------------------------------------------------------- */

typedef struct triage_strlist {
    char **items;
    size_t count, cap;
} triage_strlist;

typedef struct triage_count_item {
    char *key;
    uint64_t count;
} triage_count_item;

/* Keyed counts (opcode -> uses), kept in first-seen order; lookups go through an
 * open-addressing index of item positions. */
typedef struct triage_counter {
    triage_count_item *items;
    size_t count, cap;
    size_t *slots;        /* item index + 1; 0 = empty */
    size_t nslots;        /* power of two */
} triage_counter;

bool triage_strlist_add(triage_strlist *l, const char *s);
bool triage_strlist_add_unique(triage_strlist *l, const char *s);
bool triage_strlist_has(const triage_strlist *l, const char *s);
void triage_strlist_free(triage_strlist *l);
bool triage_counter_add(triage_counter *c, const char *key, uint64_t n);
uint64_t triage_counter_get(const triage_counter *c, const char *key);
void triage_counter_free(triage_counter *c);
/* Items sorted by descending count, then key; the array belongs to the caller. */
triage_count_item **triage_counter_sorted(const triage_counter *c);

/* ---- backends ------------------------------------------------------------------ */

typedef enum triage_verdict {
    TRIAGE_NOT_CUDA = 0,     /* no CUDA linkage, no device code: nothing to judge */
    TRIAGE_RUNS,
    TRIAGE_RUNS_DEGRADED,
    TRIAGE_CANNOT_RUN,
    TRIAGE_REPLACED,         /* the file is a CUDA runtime library cushim stands in for */
} triage_verdict;

const char *triage_verdict_name(triage_verdict v); /* "RUNS", "RUNS-DEGRADED" ... */

typedef struct triage_backend {
    const char *name;
    int api_col;          /* cushim_api_backend_col whose status applies */
    bool built_in;        /* present in cushim_builtin_vendors */
    bool selected;        /* counts for the exit status */
    /* Instruction support of this backend's kernel translator; NULL when this build
     * has none for it. */
    bool (*instr_supported)(const ptx_instr *ins, char *why, size_t whylen);
} triage_backend;

/* One reason a file cannot run (blocker) or runs with something emulated. */
typedef struct triage_issue {
    char *category; /* "static-cudart", "api", "library", "driver-api", "sass-only",
                       "ptx-instruction", "ptx-parse", "ptx-link", "fatbin", "backend" */
    char *message;
} triage_issue;

typedef struct triage_issue_list {
    triage_issue *items;
    size_t count, cap;
} triage_issue_list;

/* ---- what one file holds ------------------------------------------------------- */

typedef struct triage_import {
    char *name;
    char *version;        /* "libcudart.so.13", or NULL when unversioned */
    int cuda_major;       /* 12/13 from the version or NEEDED entry, 0 unknown */
    int row;              /* cushim_api_table row, -1 when absent ("unknown") */
} triage_import;

typedef struct triage_fatbin_entry {
    int kind;             /* enum fatbin_entry_kind */
    uint32_t arch;
    uint16_t ptx_major, ptx_minor;
    int compression;      /* enum fatbin_compression */
    uint64_t payload_size, uncompressed_size, flags;
} triage_fatbin_entry;

typedef struct triage_container {
    const char *section;  /* static string */
    uint32_t index;
    const char *role;     /* "module", "linked", "unreferenced", "unknown" */
    uint64_t file_offset, size;
    triage_fatbin_entry *entries;
    size_t nentries;
    uint32_t kernels;     /* kernels found in this container's code */
} triage_container;

typedef struct triage_kernel {
    char *name;
    bool has_ptx;
    uint32_t ptx_arch;    /* target of the PTX it came from */
    char *sass_archs;     /* "sm_75,sm_80" or "" */
    uint32_t container;   /* index of the container it came from */
    uint32_t param_bytes;
    uint64_t shared_bytes;   /* static shared memory it references */
    bool dynamic_shared;     /* references extern (unsized) shared memory */
    uint64_t local_bytes;    /* .local variables of the kernel itself */
    uint32_t instructions;
    char *source;            /* first .loc file of the kernel, or NULL */
    triage_strlist features; /* "warp-shuffle", "atomics", "printf" ... */
} triage_kernel;

typedef enum triage_file_state {
    TRIAGE_FILE_SCANNED = 0,
    TRIAGE_FILE_UNREADABLE,  /* open/stat/mmap failed */
    TRIAGE_FILE_MALFORMED,   /* ELF whose headers do not hold together */
} triage_file_state;

typedef struct triage_file {
    char *path;
    triage_file_state state;
    char *error;             /* why unreadable/malformed */
    uint64_t size;
    const char *elf_type;    /* "executable", "pie-executable", "shared-library", "object" */
    char *soname;
    triage_strlist needed;
    triage_strlist warnings; /* recoverable problems met while reading */

    /* linkage */
    bool is_cuda;
    int cudart_shared_major;    /* from NEEDED libcudart.so.N, 0 when absent */
    char *cudart_needed;        /* the NEEDED name */
    triage_strlist cudart_versions; /* version nodes referenced: "libcudart.so.13" */
    bool is_cudart_itself;      /* the file is a CUDA runtime library */
    bool cudart_static;
    triage_strlist static_evidence;
    char *toolkit;              /* "13.0" from the cubins' tool notes, or NULL */
    bool driver_api;
    bool driver_dlopen;         /* names libcuda.so.1 and driver entry points in its data:
                                   loads the driver itself at run time */
    triage_strlist driver_imports;
    triage_strlist libraries;   /* CUDA libraries NEEDED: "libcublas.so.13" */

    triage_import *imports;     /* CUDA runtime imports */
    size_t nimports;

    /* device code */
    uint32_t wrappers_v1, wrappers_v2;
    triage_container *containers;
    size_t ncontainers;
    char *fatbin_error;
    triage_kernel *kernels;
    size_t nkernels, kernels_cap;
    size_t *kernel_slots;       /* index by name: kernel position + 1 */
    size_t kernel_nslots;
    uint32_t ptx_modules;       /* PTX texts parsed */
    uint32_t sass_only_kernels;
    triage_strlist sass_only_notes; /* "SASS only for sm_75, 3 kernels" per container */

    /* PTX feature inventory (all parsed modules together) */
    triage_counter opcodes;     /* "ld.global.nc.v4.f32" -> count */
    triage_counter sregs;       /* "%tid.x" */
    triage_counter spaces;      /* "ld.global", "st.shared" */
    triage_counter calls;       /* callee names */
    triage_counter features;    /* category -> instructions */
    uint64_t instructions;

    bool not_elf;            /* scanned and found not to be ELF: dropped from the report */
    bool scanned;            /* the scan has run (or the path was judged unreadable) */

    triage_verdict verdict[TRIAGE_MAX_BACKENDS];
    triage_issue_list blockers[TRIAGE_MAX_BACKENDS];
    triage_issue_list degraded[TRIAGE_MAX_BACKENDS];
} triage_file;

/* The whole run. */
typedef struct triage_run {
    triage_backend backends[TRIAGE_MAX_BACKENDS];
    size_t nbackends;
    triage_file *files;
    size_t nfiles, cap;
    uint64_t skipped_not_elf;   /* regular files that are not ELF */
    uint64_t skipped_links;     /* symbolic links met inside directories */
    uint64_t skipped_other;     /* devices, sockets ... */
    uint64_t unreadable;
    unsigned jobs;              /* files scanned in parallel */
    double seconds;
} triage_run;

/* A run with every known backend, the built-in ones selected (triage.c). */
void triage_run_init(triage_run *run);
void triage_run_free(triage_run *run);

/* Scanning (triage_scan.c): fill `f` from the file at f->path. Never fails: problems
 * end up in f->state/f->error/f->warnings. Returns false for a non-ELF file (not to be
 * listed). */
bool triage_scan_file(triage_run *run, triage_file *f);
/* The same for an image already in memory (`size` bytes, any content). */
bool triage_scan_image(triage_run *run, triage_file *f, const void *image, size_t size);
/* Decide verdicts and issues for every backend of the run. */
void triage_judge(triage_run *run, triage_file *f);
void triage_file_free(triage_file *f);

bool triage_issue_add(triage_issue_list *l, const char *category, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* JSON (triage_json.c): write the report atomically (temp file + rename). Returns 0,
 * or -1 with a message in err. */
int triage_write_json(const triage_run *run, const char *path, char *err, size_t errlen);

#endif
