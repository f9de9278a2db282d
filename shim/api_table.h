/* api_table.h: the runtime API table (generated at build time from shim/api_table.tsv)
 * as data: every exported entry point, its version nodes and its mapping status per
 * backend. Triage and the run report read it; the shim's exports are generated from
 * the same rows. */
#ifndef CUSHIM_API_TABLE_H
#define CUSHIM_API_TABLE_H

#include <stdint.h>

typedef enum cushim_api_status {
    CUSHIM_API_IMPLEMENTED = 0, /* does what CUDA does */
    CUSHIM_API_EMULATED,        /* accepted, approximated (e.g. profiler start: no-op) */
    CUSHIM_API_UNSUPPORTED,     /* returns `unsupported_error`, logs once, counted */
} cushim_api_status;

/* Columns of the status array: the backends the table states a mapping for. A backend
 * not listed here follows the cpu column. */
typedef enum cushim_api_backend_col {
    CUSHIM_API_COL_CPU = 0,
    CUSHIM_API_COL_OPENCL,
    CUSHIM_API_COLS
} cushim_api_backend_col;

typedef struct cushim_api_entry {
    const char *name;           /* exported symbol name */
    const char *nodes;          /* "13", "12" or "13,12": version nodes it is exported in */
    const char *signature;      /* "cudaError_t cudaMalloc(void **devPtr, size_t size)" */
    uint8_t status[CUSHIM_API_COLS]; /* cushim_api_status per backend column */
    int unsupported_error;      /* cudaError_t returned when unsupported */
} cushim_api_entry;

extern const cushim_api_entry cushim_api_table[];
extern const unsigned cushim_api_count;

/* Index of a row by exported name and CUDA major version (12 or 13); -1 when absent. */
int cushim_api_find(const char *name, int cuda_major);
const char *cushim_api_status_name(cushim_api_status s);

/* Calls per row since start (for the report), and how many unsupported calls were met. */
uint64_t cushim_api_calls(unsigned row);
uint64_t cushim_api_unsupported_calls(void);

#endif
