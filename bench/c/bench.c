/* bench.c: the hand-written C + OpenMP version of every benchmark workload, the
 * native baseline cushim's CPU fallback is compared against (see bench/README.md).
 * Usage: bench_c WORKLOAD [--quick] [--repeat N]; prints the bench_common.h protocol. */
#define _POSIX_C_SOURCE 200809L
#include "../common/bench_common.h"

#include <omp.h>

static void timed_runs(void (*run)(void *), void (*reset)(void *), void *ctx, int repeat)
{
    for (int r = -1; r < repeat; r++) {
        if (reset)
            reset(ctx);
        double t0 = bench_now_ms();
        run(ctx);
        bench_print_time(r < 0 ? "first_ms" : "rep_ms", bench_now_ms() - t0);
    }
}

/* ---------------------------------------------------------------- saxpy */
struct saxpy_ctx {
    long n;
    float *x, *y, *y0;
};

static void saxpy_reset(void *p)
{
    struct saxpy_ctx *c = p;
    memcpy(c->y, c->y0, c->n * sizeof(float));
}

static void saxpy_run(void *p)
{
    struct saxpy_ctx *c = p;
    const float a = BENCH_SAXPY_A;
    float *restrict y = c->y;
    const float *restrict x = c->x;
#pragma omp parallel for simd schedule(static)
    for (long i = 0; i < c->n; i++)
        y[i] = a * x[i] + y[i];
}

static int bench_saxpy(const struct bench_options *opt)
{
    struct saxpy_ctx c = {.n = bench_size(BENCH_SAXPY, opt->quick)};
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "n=%ld", c.n);
    bench_print_header(BENCH_SAXPY, size);
    c.x = bench_alloc(c.n * sizeof(float));
    c.y = bench_alloc(c.n * sizeof(float));
    c.y0 = bench_alloc(c.n * sizeof(float));
    bench_fill_uniform(c.x, c.n, -1.0f, 1.0f, 1);
    bench_fill_uniform(c.y0, c.n, -1.0f, 1.0f, 2);
    timed_runs(saxpy_run, saxpy_reset, &c, opt->repeat);
    return bench_verdict(bench_check_saxpy(c.x, c.y0, c.y, c.n, first), first);
}

/* ---------------------------------------------------------------- sgemm */
struct sgemm_ctx {
    long n;
    float *a, *b, *c;
};

/* The plain i-k-j triple loop: rows in parallel, the inner loop streams rows of B and C. */
static void sgemm_run(void *p)
{
    struct sgemm_ctx *m = p;
    const long n = m->n;
    const float *restrict a = m->a, *restrict b = m->b;
    float *restrict c = m->c;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        for (long j = 0; j < n; j++)
            c[i * n + j] = 0.0f;
        for (long k = 0; k < n; k++) {
            const float aik = a[i * n + k];
#pragma omp simd
            for (long j = 0; j < n; j++)
                c[i * n + j] += aik * b[k * n + j];
        }
    }
}

static int bench_sgemm(const struct bench_options *opt)
{
    struct sgemm_ctx m = {.n = bench_size(BENCH_SGEMM, opt->quick)};
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "%ldx%ld", m.n, m.n);
    bench_print_header(BENCH_SGEMM, size);
    m.a = bench_alloc(m.n * m.n * sizeof(float));
    m.b = bench_alloc(m.n * m.n * sizeof(float));
    m.c = bench_alloc(m.n * m.n * sizeof(float));
    bench_fill_uniform(m.a, m.n * m.n, -1.0f, 1.0f, 3);
    bench_fill_uniform(m.b, m.n * m.n, -1.0f, 1.0f, 4);
    timed_runs(sgemm_run, NULL, &m, opt->repeat);
    return bench_verdict(bench_check_sgemm(m.a, m.b, m.c, m.n, first), first);
}

/* ---------------------------------------------------------------- reduce */
struct reduce_ctx {
    long n;
    float *in;
    float sum;
};

static void reduce_run(void *p)
{
    struct reduce_ctx *r = p;
    const float *restrict in = r->in;
    float sum = 0.0f;
#pragma omp parallel for simd reduction(+ : sum) schedule(static)
    for (long i = 0; i < r->n; i++)
        sum += in[i];
    r->sum = sum;
}

static int bench_reduce(const struct bench_options *opt)
{
    struct reduce_ctx r = {.n = bench_size(BENCH_REDUCE, opt->quick)};
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "n=%ld", r.n);
    bench_print_header(BENCH_REDUCE, size);
    r.in = bench_alloc(r.n * sizeof(float));
    bench_fill_reduce_input(r.in, r.n, 5);
    timed_runs(reduce_run, NULL, &r, opt->repeat);
    return bench_verdict(bench_check_reduce(r.in, r.n, r.sum, first), first);
}

/* ---------------------------------------------------------------- stencil */
struct stencil_ctx {
    long n;
    float *initial, *a, *b;
    float *result;
};

static void stencil_reset(void *p)
{
    struct stencil_ctx *s = p;
    memcpy(s->a, s->initial, s->n * s->n * sizeof(float));
    memcpy(s->b, s->initial, s->n * s->n * sizeof(float));
}

static void stencil_run(void *p)
{
    struct stencil_ctx *s = p;
    const long n = s->n;
    float *src = s->a, *dst = s->b;
    for (int it = 0; it < BENCH_STENCIL_ITERATIONS; it++) {
        const float *restrict in = src;
        float *restrict out = dst;
#pragma omp parallel for schedule(static)
        for (long y = 1; y < n - 1; y++) {
#pragma omp simd
            for (long x = 1; x < n - 1; x++)
                out[y * n + x] = 0.25f * (in[(y - 1) * n + x] + in[(y + 1) * n + x] +
                                          in[y * n + x - 1] + in[y * n + x + 1]);
        }
        float *t = src;
        src = dst;
        dst = t;
    }
    s->result = src;
}

static int bench_stencil(const struct bench_options *opt)
{
    struct stencil_ctx s = {.n = bench_size(BENCH_STENCIL, opt->quick)};
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "%ldx%ld,%d-iterations", s.n, s.n, BENCH_STENCIL_ITERATIONS);
    bench_print_header(BENCH_STENCIL, size);
    s.initial = bench_alloc(s.n * s.n * sizeof(float));
    s.a = bench_alloc(s.n * s.n * sizeof(float));
    s.b = bench_alloc(s.n * s.n * sizeof(float));
    bench_fill_uniform(s.initial, s.n * s.n, 0.0f, 1.0f, 6);
    timed_runs(stencil_run, stencil_reset, &s, opt->repeat);
    return bench_verdict(
        bench_check_stencil(s.initial, s.result, s.n, BENCH_STENCIL_ITERATIONS, first), first);
}

/* ---------------------------------------------------------------- histogram */
struct histogram_ctx {
    long n;
    unsigned char *data;
    unsigned bins[256];
};

/* Each thread counts into its own histogram, then adds it to the shared one. */
static void histogram_run(void *p)
{
    struct histogram_ctx *h = p;
    const unsigned char *restrict data = h->data;
    memset(h->bins, 0, sizeof h->bins);
#pragma omp parallel
    {
        unsigned mine[256] = {0};
#pragma omp for schedule(static) nowait
        for (long i = 0; i < h->n; i++)
            mine[data[i]]++;
        for (int b = 0; b < 256; b++) {
#pragma omp atomic
            h->bins[b] += mine[b];
        }
    }
}

static int bench_histogram(const struct bench_options *opt)
{
    struct histogram_ctx h = {.n = bench_size(BENCH_HISTOGRAM, opt->quick)};
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "n=%ld,256-bins", h.n);
    bench_print_header(BENCH_HISTOGRAM, size);
    h.data = bench_alloc(h.n);
    bench_fill_bytes(h.data, h.n, 7);
    timed_runs(histogram_run, NULL, &h, opt->repeat);
    return bench_verdict(bench_check_histogram(h.data, h.n, h.bins, first), first);
}

/* ---------------------------------------------------------------- nbody */
struct nbody_ctx {
    long n;
    float *pos, *vel, *new_pos, *new_vel;
};

static void nbody_run(void *p)
{
    struct nbody_ctx *s = p;
    const long n = s->n;
    const float *restrict pos = s->pos, *restrict vel = s->vel;
    float *restrict new_pos = s->new_pos, *restrict new_vel = s->new_vel;
    const float dt = BENCH_NBODY_DT;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        const float px = pos[4 * i], py = pos[4 * i + 1], pz = pos[4 * i + 2];
        float ax = 0.0f, ay = 0.0f, az = 0.0f;
#pragma omp simd reduction(+ : ax, ay, az)
        for (long j = 0; j < n; j++) {
            float dx = pos[4 * j] - px, dy = pos[4 * j + 1] - py, dz = pos[4 * j + 2] - pz;
            float d2 = dx * dx + dy * dy + dz * dz + BENCH_NBODY_SOFTENING2;
            float inv = 1.0f / sqrtf(d2);
            float s = pos[4 * j + 3] * inv * inv * inv;
            ax += dx * s;
            ay += dy * s;
            az += dz * s;
        }
        float vx = vel[4 * i] + ax * dt, vy = vel[4 * i + 1] + ay * dt,
              vz = vel[4 * i + 2] + az * dt;
        new_vel[4 * i] = vx;
        new_vel[4 * i + 1] = vy;
        new_vel[4 * i + 2] = vz;
        new_vel[4 * i + 3] = vel[4 * i + 3];
        new_pos[4 * i] = px + vx * dt;
        new_pos[4 * i + 1] = py + vy * dt;
        new_pos[4 * i + 2] = pz + vz * dt;
        new_pos[4 * i + 3] = pos[4 * i + 3];
    }
}

static int bench_nbody(const struct bench_options *opt)
{
    struct nbody_ctx s = {.n = bench_size(BENCH_NBODY, opt->quick)};
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "bodies=%ld", s.n);
    bench_print_header(BENCH_NBODY, size);
    s.pos = bench_alloc(s.n * 4 * sizeof(float));
    s.vel = bench_alloc(s.n * 4 * sizeof(float));
    s.new_pos = bench_alloc(s.n * 4 * sizeof(float));
    s.new_vel = bench_alloc(s.n * 4 * sizeof(float));
    bench_fill_bodies(s.pos, s.vel, s.n);
    timed_runs(nbody_run, NULL, &s, opt->repeat);
    return bench_verdict(bench_check_nbody(s.pos, s.vel, s.new_pos, s.new_vel, s.n, first),
                         first);
}

/* ---------------------------------------------------------------- launch
 * The C counterpart of an empty kernel launch plus synchronize: an empty parallel
 * region, which wakes every thread and joins them. Reported per launch. */
static volatile int launch_sink;

static int bench_launch(const struct bench_options *opt)
{
    long launches = bench_size(BENCH_LAUNCH, opt->quick);
    char size[64];
    snprintf(size, sizeof size, "launches=%ld", launches);
    bench_print_header(BENCH_LAUNCH, size);
    /* The first launch alone (it starts the thread pool), then batches of launches. */
    for (int r = -1; r < opt->repeat; r++) {
        long count = r < 0 ? 1 : launches;
        double t0 = bench_now_ms();
        for (long l = 0; l < count; l++) {
#pragma omp parallel
            {
                if (omp_get_thread_num() < 0)
                    launch_sink = 1;
            }
        }
        bench_print_time(r < 0 ? "first_ms" : "rep_ms", (bench_now_ms() - t0) / count);
    }
    return bench_verdict(0, "");
}

int main(int argc, char **argv)
{
    struct bench_options opt = bench_parse_args(argc, argv);
    switch (opt.workload) {
    case BENCH_SAXPY: return bench_saxpy(&opt);
    case BENCH_SGEMM: return bench_sgemm(&opt);
    case BENCH_REDUCE: return bench_reduce(&opt);
    case BENCH_STENCIL: return bench_stencil(&opt);
    case BENCH_HISTOGRAM: return bench_histogram(&opt);
    case BENCH_NBODY: return bench_nbody(&opt);
    case BENCH_LAUNCH: return bench_launch(&opt);
    }
    return BENCH_EXIT_ERROR;
}
