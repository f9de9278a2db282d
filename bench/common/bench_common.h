/* bench_common.h: what the CUDA, C and OpenCL versions of each benchmark workload share:
 * command line, problem sizes, input data, serial host references, result checks, and
 * the line protocol that bench/run reads. Valid C11 and C++ (nvcc compiles it too). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Exit statuses bench/run tells apart: a wrong result is a failure, an error means the
 * implementation could not run the workload at all (the table shows the reason). */
#define BENCH_EXIT_WRONG 1
#define BENCH_EXIT_ERROR 2

enum bench_workload {
    BENCH_SAXPY,
    BENCH_SGEMM,
    BENCH_REDUCE,
    BENCH_STENCIL,
    BENCH_HISTOGRAM,
    BENCH_NBODY,
    BENCH_LAUNCH,
    BENCH_WORKLOAD_COUNT
};

static const char *const bench_workload_names[BENCH_WORKLOAD_COUNT] = {
    "saxpy", "sgemm", "reduce", "stencil", "histogram", "nbody", "launch",
};

struct bench_options {
    int workload;
    int quick;
    int repeat;
};

/* Problem sizes. --quick sizes keep the check-time smoke test to seconds. */
#define BENCH_STENCIL_ITERATIONS 20
#define BENCH_SAXPY_A 2.5f
#define BENCH_NBODY_DT 0.01f
#define BENCH_NBODY_SOFTENING2 0.01f

static inline long bench_size(int workload, int quick)
{
    switch (workload) {
    case BENCH_SAXPY: return quick ? 1L << 16 : 1L << 24;
    case BENCH_SGEMM: return quick ? 128 : 1024;
    case BENCH_REDUCE: return quick ? 1L << 16 : 1L << 24;
    case BENCH_STENCIL: return quick ? 256 : 2048;
    case BENCH_HISTOGRAM: return quick ? 1L << 16 : 1L << 24;
    case BENCH_NBODY: return quick ? 1024 : 16384;
    case BENCH_LAUNCH: return quick ? 50 : 1000; /* launches per repetition */
    default: return 0;
    }
}

static inline void bench_usage(const char *prog)
{
    fprintf(stderr, "usage: %s WORKLOAD [--quick] [--repeat N]\nworkloads:", prog);
    for (int w = 0; w < BENCH_WORKLOAD_COUNT; w++)
        fprintf(stderr, " %s", bench_workload_names[w]);
    fprintf(stderr, "\n");
    exit(BENCH_EXIT_ERROR);
}

static inline struct bench_options bench_parse_args(int argc, char **argv)
{
    struct bench_options opt;
    opt.workload = -1;
    opt.quick = 0;
    opt.repeat = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            opt.quick = 1;
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            opt.repeat = atoi(argv[++i]);
            if (opt.repeat < 1)
                bench_usage(argv[0]);
        } else {
            for (int w = 0; w < BENCH_WORKLOAD_COUNT; w++)
                if (strcmp(argv[i], bench_workload_names[w]) == 0)
                    opt.workload = w;
            if (opt.workload < 0)
                bench_usage(argv[0]);
        }
    }
    if (opt.workload < 0)
        bench_usage(argv[0]);
    return opt;
}

/* ---------------------------------------------------------------- line protocol
 * Each program prints, on stdout:
 *   workload NAME size TEXT
 *   first_ms X      the warm-up run (includes any kernel compilation)
 *   rep_ms X        one line per timed repetition
 *   wall_ms X       (CUDA only) host wall clock of the run before it: cross-checks the events
 *   check ok        or "check FAILED: why" with exit status BENCH_EXIT_WRONG
 * and "error: why" with exit status BENCH_EXIT_ERROR when it cannot run at all. */
static inline void bench_print_header(int workload, const char *size_text)
{
    printf("workload %s size %s\n", bench_workload_names[workload], size_text);
    fflush(stdout);
}

static inline void bench_print_time(const char *key, double ms)
{
    printf("%s %.6f\n", key, ms);
    fflush(stdout);
}

static inline int bench_verdict(long mismatches, const char *first_mismatch)
{
    if (mismatches == 0) {
        printf("check ok\n");
        return 0;
    }
    printf("check FAILED: %ld mismatches; first: %s\n", mismatches, first_mismatch);
    return BENCH_EXIT_WRONG;
}

static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline void *bench_alloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        printf("error: out of host memory (%zu bytes)\n", bytes);
        exit(BENCH_EXIT_ERROR);
    }
    return p;
}

/* ---------------------------------------------------------------- input data
 * A fixed-seed generator so every implementation sees the same inputs. */
static inline uint32_t bench_random_next(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Uniform in [lo, hi). */
static inline void bench_fill_uniform(float *out, long n, float lo, float hi, uint32_t seed)
{
    uint32_t state = seed;
    for (long i = 0; i < n; i++)
        out[i] = lo + (hi - lo) * (float)bench_random_next(&state) * (1.0f / 16777216.0f);
}

static inline void bench_fill_bytes(unsigned char *out, long n, uint32_t seed)
{
    uint32_t state = seed;
    for (long i = 0; i < n; i++)
        out[i] = (unsigned char)(bench_random_next(&state) >> 4);
}

/* Positions in a unit cube with w = mass (total mass 1); small random velocities. */
static inline void bench_fill_bodies(float *pos4, float *vel4, long n)
{
    uint32_t state = 12345u;
    for (long i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++) {
            pos4[4 * i + c] = (float)bench_random_next(&state) / 16777216.0f * 2.0f - 1.0f;
            vel4[4 * i + c] = ((float)bench_random_next(&state) / 16777216.0f - 0.5f) * 0.1f;
        }
        pos4[4 * i + 3] = 1.0f / (float)n;
        vel4[4 * i + 3] = 0.0f;
    }
}

/* ---------------------------------------------------------------- checks
 * Each returns the number of mismatches and describes the first in `first`. Floats
 * are compared with tolerances derived from the magnitude of what was summed, since
 * the implementations legitimately differ in summation order and FMA contraction. */
#define BENCH_FIRST_LEN 160

static inline long bench_check_saxpy(const float *x, const float *y0, const float *y, long n,
                                     char *first)
{
    long bad = 0;
    for (long i = 0; i < n; i++) {
        double ref = (double)BENCH_SAXPY_A * x[i] + y0[i];
        if (!(fabs(y[i] - ref) <= 1e-5 * (fabs(BENCH_SAXPY_A * x[i]) + fabs(y0[i])) + 1e-6)) {
            if (!bad++)
                snprintf(first, BENCH_FIRST_LEN, "y[%ld] = %.9g, want %.9g", i, y[i], ref);
        }
    }
    return bad;
}

/* C = A * B (n x n, row major), checked on a spread of rows: a full serial product
 * would take longer than the benchmark. */
static inline long bench_check_sgemm(const float *a, const float *b, const float *c, long n,
                                     char *first)
{
    long bad = 0;
    long row_step = n > 64 ? n / 32 + 1 : 1;
    double *ref = (double *)bench_alloc(n * sizeof(double));
    double *mag = (double *)bench_alloc(n * sizeof(double));
    for (long i = 0; i < n; i += row_step) {
        for (long j = 0; j < n; j++)
            ref[j] = mag[j] = 0.0;
        for (long k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (long j = 0; j < n; j++) {
                ref[j] += aik * b[k * n + j];
                mag[j] += fabs(aik * b[k * n + j]);
            }
        }
        for (long j = 0; j < n; j++) {
            if (!(fabs(c[i * n + j] - ref[j]) <= 1e-4 * mag[j] + 1e-6)) {
                if (!bad++)
                    snprintf(first, BENCH_FIRST_LEN, "C[%ld][%ld] = %.9g, want %.9g", i, j,
                             c[i * n + j], ref[j]);
            }
        }
    }
    free(ref);
    free(mag);
    return bad;
}

/* The reduction's input is random zeros and ones: every partial sum is an integer below
 * 2^24, exact in float in any summation order, so the check can demand exact equality
 * and catch even one lost element. */
static inline void bench_fill_reduce_input(float *out, long n, uint32_t seed)
{
    uint32_t state = seed;
    for (long i = 0; i < n; i++)
        out[i] = (float)((bench_random_next(&state) >> 7) & 1u);
}

static inline long bench_check_reduce(const float *in, long n, float sum, char *first)
{
    double ref = 0.0;
    for (long i = 0; i < n; i++)
        ref += in[i];
    if (sum == ref)
        return 0;
    snprintf(first, BENCH_FIRST_LEN, "sum = %.9g, want %.9g", sum, ref);
    return 1;
}

/* The stencil's serial reference: `iterations` Jacobi sweeps, boundary held fixed. */
static inline float *bench_reference_stencil(const float *initial, long n, int iterations)
{
    float *a = (float *)bench_alloc(n * n * sizeof(float));
    float *b = (float *)bench_alloc(n * n * sizeof(float));
    memcpy(a, initial, n * n * sizeof(float));
    memcpy(b, initial, n * n * sizeof(float));
    for (int it = 0; it < iterations; it++) {
        for (long y = 1; y < n - 1; y++)
            for (long x = 1; x < n - 1; x++)
                b[y * n + x] = 0.25f * (a[(y - 1) * n + x] + a[(y + 1) * n + x] +
                                        a[y * n + x - 1] + a[y * n + x + 1]);
        float *t = a;
        a = b;
        b = t;
    }
    free(b);
    return a;
}

static inline long bench_check_stencil(const float *initial, const float *result, long n,
                                       int iterations, char *first)
{
    float *ref = bench_reference_stencil(initial, n, iterations);
    long bad = 0;
    for (long i = 0; i < n * n; i++) {
        if (!(fabs(result[i] - ref[i]) <= 1e-5 * fabs(ref[i]) + 1e-6)) {
            if (!bad++)
                snprintf(first, BENCH_FIRST_LEN, "grid[%ld][%ld] = %.9g, want %.9g", i / n,
                         i % n, result[i], ref[i]);
        }
    }
    free(ref);
    return bad;
}

static inline long bench_check_histogram(const unsigned char *data, long n,
                                         const unsigned *bins, char *first)
{
    unsigned ref[256] = {0};
    long bad = 0;
    for (long i = 0; i < n; i++)
        ref[data[i]]++;
    for (int b = 0; b < 256; b++) {
        if (bins[b] != ref[b] && !bad++)
            snprintf(first, BENCH_FIRST_LEN, "bin %d = %u, want %u", b, bins[b], ref[b]);
    }
    return bad;
}

/* One N-body step: v' = v + a dt, p' = p + v' dt, with a_i = sum_j m_j d / (|d|^2+eps^2)^1.5.
 * Checked on a spread of bodies against a double-precision sum. */
static inline long bench_check_nbody(const float *pos4, const float *vel4, const float *new_pos4,
                                     const float *new_vel4, long n, char *first)
{
    long bad = 0;
    long step = n > 256 ? n / 256 : 1;
    const double dt = BENCH_NBODY_DT;
    for (long i = 0; i < n; i += step) {
        double acc[3] = {0, 0, 0}, mag = 0.0;
        for (long j = 0; j < n; j++) {
            double d[3], d2 = BENCH_NBODY_SOFTENING2;
            for (int c = 0; c < 3; c++) {
                d[c] = (double)pos4[4 * j + c] - pos4[4 * i + c];
                d2 += d[c] * d[c];
            }
            double s = pos4[4 * j + 3] / (d2 * sqrt(d2));
            for (int c = 0; c < 3; c++) {
                acc[c] += d[c] * s;
                mag += fabs(d[c] * s);
            }
        }
        for (int c = 0; c < 3; c++) {
            double v_ref = vel4[4 * i + c] + acc[c] * dt;
            double p_ref = pos4[4 * i + c] + v_ref * dt;
            double v_tol = 1e-3 * mag * dt + 1e-6 * (fabs(v_ref) + 1e-3);
            double p_tol = v_tol * dt + 1e-6 * (fabs(p_ref) + 1e-3);
            double v = new_vel4[4 * i + c], p = new_pos4[4 * i + c];
            if (!(fabs(v - v_ref) <= v_tol && fabs(p - p_ref) <= p_tol)) {
                if (!bad++)
                    snprintf(first, BENCH_FIRST_LEN,
                             "body %ld axis %d: vel %.9g pos %.9g, want %.9g %.9g", i, c, v, p,
                             v_ref, p_ref);
            }
        }
        if (new_pos4[4 * i + 3] != pos4[4 * i + 3] && !bad++)
            snprintf(first, BENCH_FIRST_LEN, "body %ld: mass changed", i);
    }
    return bad;
}

#endif
