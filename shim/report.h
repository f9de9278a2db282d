/* report.h: the run report recorder (CUSHIM_REPORT=FILE, `cushim run --report FILE`).
 * While a report is requested, the exported API, the core and the stream workers call
 * the hooks below; at process exit (or on a fatal signal) the recorder writes the
 * report as JSON, schema "cushim-run/1" (docs/reports.md). When no report is requested
 * every hook is behind one test of cushim__report_active and no clock is read. */
#ifndef CUSHIM_REPORT_H
#define CUSHIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#define CUSHIM_RUN_SCHEMA "cushim-run/1"

/* True while a report is being recorded. Set once, before main, and never cleared. */
extern bool cushim__report_active;

/* Start recording into `path` ("%p" in it becomes the process id): install the exit
 * hook and the fatal-signal handlers. argv0 may be NULL (then /proc/self/cmdline).
 * Returns false, after one message, when the report cannot be set up. */
bool cushim__report_start(const char *path, const char *argv0);

/* Monotonic clock in nanoseconds: read only while a report is active. */
uint64_t cushim__report_clock(void);

/* One exported runtime API call of table row `row` ended: t0 from cushim__report_clock
 * at its start, `error` the cudaError_t it returned (0 for success and for functions
 * that return no error), `caller` the return address into the program (where the
 * first call of an unsupported function is attributed). */
void cushim__report_api(unsigned row, uint64_t t0, int error, const void *caller);

/* A module's backend load (translation and compilation) ended; t0 as above. */
void cushim__report_module_loaded(unsigned module, uint64_t t0, int error);

/* A kernel was resolved for a device: `key` identifies it for later hooks (the core's
 * kernel handle), `error` is the resolution's cudaError_t, `unsupported` the backend's
 * reason it cannot run (NULL when it can), `translate_ns` how long the backend took to
 * provide it (translation and compilation, or its cache), 0 when it was not asked. */
void cushim__report_kernel_resolved(const void *key, const char *name, unsigned module,
                                    int error, const char *unsupported, uint64_t translate_ns);
/* A launch of the kernel was refused before it ran (no code for it, unsupported). */
void cushim__report_launch_refused(const void *key);
/* The backend ran the kernel: `ns` of wall time, `error` its result (a fault or 0) and
 * the backend's message (NULL or empty when none). */
void cushim__report_kernel_ran(const void *key, uint64_t ns, int error, const char *message);

/* Bytes of device memory now allocated on `dev` (device, managed, module variables):
 * keeps the high-water marks. Called under the allocation table's lock. */
void cushim__report_device_bytes(int dev, uint64_t bytes);

/* Write the report now (normally done at exit). `signal_number` 0 means a normal exit
 * with `exit_status`; otherwise the report says the process died of that signal and
 * only async-signal-safe calls are made. Writes once per process; returns 0, or -1 when
 * it could not be written (a message on stderr names the file and why). */
int cushim__report_write(int exit_status, int signal_number);

#endif
