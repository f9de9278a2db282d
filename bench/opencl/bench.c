/* bench.c: the OpenCL host side of the benchmark suite: runs the kernels of kernels.cl
 * on PoCL's CPU device, each timed by wall clock between clFinish calls.
 * Usage: bench_opencl WORKLOAD [--quick] [--repeat N]; prints the bench_common.h protocol.
 * The kernel file is BENCH_OPENCL_KERNELS from the environment, else the path compiled in. */
#define _POSIX_C_SOURCE 200809L
#include "../common/bench_common.h"

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#ifndef BENCH_KERNEL_FILE
#define BENCH_KERNEL_FILE "kernels.cl"
#endif

static cl_context context;
static cl_command_queue queue;
static cl_program program;

static const char *cl_error_name(cl_int err)
{
    switch (err) {
    case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND";
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE";
    case CL_INVALID_VALUE: return "CL_INVALID_VALUE";
    case CL_INVALID_PLATFORM: return "CL_INVALID_PLATFORM";
    case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME";
    case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS";
    case CL_INVALID_ARG_INDEX: return "CL_INVALID_ARG_INDEX";
    case CL_INVALID_ARG_SIZE: return "CL_INVALID_ARG_SIZE";
    case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE";
    case CL_INVALID_WORK_ITEM_SIZE: return "CL_INVALID_WORK_ITEM_SIZE";
    case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE";
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL ICD installed)";
    default: return "OpenCL error";
    }
}

#define CL_OK(call)                                                                            \
    do {                                                                                       \
        cl_int err_ = (call);                                                                  \
        if (err_ != CL_SUCCESS) {                                                              \
            printf("error: %s: %s (%d)\n", #call, cl_error_name(err_), err_);                  \
            exit(BENCH_EXIT_ERROR);                                                            \
        }                                                                                      \
    } while (0)

static char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("error: cannot open the OpenCL kernel file %s\n", path);
        exit(BENCH_EXIT_ERROR);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = bench_alloc(len + 1);
    if (fread(text, 1, len, f) != (size_t)len) {
        printf("error: cannot read %s\n", path);
        exit(BENCH_EXIT_ERROR);
    }
    text[len] = '\0';
    fclose(f);
    return text;
}

/* The PoCL platform: the comparison is against PoCL on this CPU, not whatever ICD
 * happens to be listed first. */
static cl_device_id pick_pocl_device(void)
{
    cl_platform_id platforms[16];
    cl_uint count = 0;
    CL_OK(clGetPlatformIDs(16, platforms, &count));
    for (cl_uint p = 0; p < count && p < 16; p++) {
        char name[256] = "";
        CL_OK(clGetPlatformInfo(platforms[p], CL_PLATFORM_NAME, sizeof name, name, NULL));
        if (!strstr(name, "Portable Computing Language") && !strstr(name, "PoCL") &&
            !strstr(name, "pocl"))
            continue;
        cl_device_id device;
        cl_uint devices = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_CPU, 1, &device, &devices) == CL_SUCCESS &&
            devices > 0)
            return device;
    }
    printf("error: no PoCL platform with a CPU device among %u OpenCL platforms\n", count);
    exit(BENCH_EXIT_ERROR);
}

static void setup_opencl(void)
{
    cl_device_id device = pick_pocl_device();
    cl_int err;
    context = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    CL_OK(err);
    queue = clCreateCommandQueue(context, device, 0, &err);
    CL_OK(err);
    const char *path = getenv("BENCH_OPENCL_KERNELS");
    char *source = read_text_file(path ? path : BENCH_KERNEL_FILE);
    program = clCreateProgramWithSource(context, 1, (const char **)&source, NULL, &err);
    CL_OK(err);
    err = clBuildProgram(program, 1, &device, "", NULL, NULL);
    if (err != CL_SUCCESS) {
        static char log[16384];
        clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, NULL);
        printf("error: clBuildProgram: %s (%d)\n%s\n", cl_error_name(err), err, log);
        exit(BENCH_EXIT_ERROR);
    }
    free(source);
}

static cl_kernel make_kernel(const char *name)
{
    cl_int err;
    cl_kernel k = clCreateKernel(program, name, &err);
    CL_OK(err);
    return k;
}

static cl_mem make_buffer(size_t bytes, const void *init)
{
    cl_int err;
    cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    CL_OK(err);
    if (init)
        CL_OK(clEnqueueWriteBuffer(queue, m, CL_TRUE, 0, bytes, init, 0, NULL, NULL));
    return m;
}

static void read_buffer(cl_mem m, size_t bytes, void *out)
{
    CL_OK(clEnqueueReadBuffer(queue, m, CL_TRUE, 0, bytes, out, 0, NULL, NULL));
}

#define SET_ARG(kernel, index, value) CL_OK(clSetKernelArg(kernel, index, sizeof(value), &(value)))

static void launch_1d(cl_kernel k, size_t global, size_t local)
{
    global = (global + local - 1) / local * local;
    CL_OK(clEnqueueNDRangeKernel(queue, k, 1, NULL, &global, &local, 0, NULL, NULL));
}

static void launch_2d(cl_kernel k, size_t global_x, size_t global_y, size_t local)
{
    size_t global[2] = {(global_x + local - 1) / local * local,
                        (global_y + local - 1) / local * local};
    size_t locals[2] = {local, local};
    CL_OK(clEnqueueNDRangeKernel(queue, k, 2, NULL, global, locals, 0, NULL, NULL));
}

/* The warm-up run (PoCL compiles each kernel for its work-group size at the first
 * enqueue), then `repeat` timed runs; `reset` stays outside the timed region. */
static void timed_runs(int repeat, void (*reset)(void *), void (*run)(void *), void *ctx)
{
    for (int r = -1; r < repeat; r++) {
        if (reset)
            reset(ctx);
        CL_OK(clFinish(queue));
        double t0 = bench_now_ms();
        run(ctx);
        CL_OK(clFinish(queue));
        bench_print_time(r < 0 ? "first_ms" : "rep_ms", bench_now_ms() - t0);
    }
}

/* ---------------------------------------------------------------- saxpy */
struct saxpy_ctx {
    cl_int n;
    cl_kernel kernel;
    cl_mem x, y;
    const float *y0;
};

static void saxpy_reset(void *p)
{
    struct saxpy_ctx *c = p;
    CL_OK(clEnqueueWriteBuffer(queue, c->y, CL_TRUE, 0, c->n * sizeof(float), c->y0, 0, NULL,
                               NULL));
}

static void saxpy_run(void *p)
{
    struct saxpy_ctx *c = p;
    launch_1d(c->kernel, c->n, 256);
}

static int bench_saxpy(const struct bench_options *opt)
{
    struct saxpy_ctx c = {.n = (cl_int)bench_size(BENCH_SAXPY, opt->quick)};
    const size_t bytes = c.n * sizeof(float);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "n=%d", c.n);
    bench_print_header(BENCH_SAXPY, size);
    float *x = bench_alloc(bytes), *y0 = bench_alloc(bytes), *y = bench_alloc(bytes);
    bench_fill_uniform(x, c.n, -1.0f, 1.0f, 1);
    bench_fill_uniform(y0, c.n, -1.0f, 1.0f, 2);
    c.y0 = y0;
    c.x = make_buffer(bytes, x);
    c.y = make_buffer(bytes, NULL);
    c.kernel = make_kernel("saxpy");
    const float a = BENCH_SAXPY_A;
    SET_ARG(c.kernel, 0, c.n);
    SET_ARG(c.kernel, 1, a);
    SET_ARG(c.kernel, 2, c.x);
    SET_ARG(c.kernel, 3, c.y);
    timed_runs(opt->repeat, saxpy_reset, saxpy_run, &c);
    read_buffer(c.y, bytes, y);
    return bench_verdict(bench_check_saxpy(x, y0, y, c.n, first), first);
}

/* ---------------------------------------------------------------- sgemm */
struct one_kernel_ctx {
    cl_kernel kernel;
    size_t global_x, global_y, local;
};

static void run_2d(void *p)
{
    struct one_kernel_ctx *c = p;
    launch_2d(c->kernel, c->global_x, c->global_y, c->local);
}

static void run_1d(void *p)
{
    struct one_kernel_ctx *c = p;
    launch_1d(c->kernel, c->global_x, c->local);
}

static int bench_sgemm(const struct bench_options *opt)
{
    const cl_int n = (cl_int)bench_size(BENCH_SGEMM, opt->quick);
    const size_t bytes = (size_t)n * n * sizeof(float);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "%dx%d", n, n);
    bench_print_header(BENCH_SGEMM, size);
    float *a = bench_alloc(bytes), *b = bench_alloc(bytes), *c = bench_alloc(bytes);
    bench_fill_uniform(a, (long)n * n, -1.0f, 1.0f, 3);
    bench_fill_uniform(b, (long)n * n, -1.0f, 1.0f, 4);
    cl_mem da = make_buffer(bytes, a), db = make_buffer(bytes, b), dc = make_buffer(bytes, NULL);
    struct one_kernel_ctx k = {make_kernel("sgemm_tiled"), n, n, 16};
    SET_ARG(k.kernel, 0, n);
    SET_ARG(k.kernel, 1, da);
    SET_ARG(k.kernel, 2, db);
    SET_ARG(k.kernel, 3, dc);
    timed_runs(opt->repeat, NULL, run_2d, &k);
    read_buffer(dc, bytes, c);
    return bench_verdict(bench_check_sgemm(a, b, c, n, first), first);
}

/* ---------------------------------------------------------------- reduce */
#define REDUCE_THREADS 256
#define REDUCE_GROUPS 1024

struct reduce_ctx {
    cl_kernel partials, final;
};

static void reduce_run(void *p)
{
    struct reduce_ctx *c = p;
    launch_1d(c->partials, REDUCE_GROUPS * REDUCE_THREADS, REDUCE_THREADS);
    launch_1d(c->final, REDUCE_THREADS, REDUCE_THREADS);
}

static int bench_reduce(const struct bench_options *opt)
{
    const cl_int n = (cl_int)bench_size(BENCH_REDUCE, opt->quick);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "n=%d", n);
    bench_print_header(BENCH_REDUCE, size);
    float *in = bench_alloc(n * sizeof(float));
    bench_fill_reduce_input(in, n, 5);
    cl_mem din = make_buffer(n * sizeof(float), in);
    cl_mem dpartial = make_buffer(REDUCE_GROUPS * sizeof(float), NULL);
    cl_mem dsum = make_buffer(sizeof(float), NULL);
    /* Two kernel objects: the second pass has other arguments. */
    struct reduce_ctx c = {make_kernel("reduce_sum"), make_kernel("reduce_sum")};
    const cl_int groups = REDUCE_GROUPS;
    SET_ARG(c.partials, 0, din);
    SET_ARG(c.partials, 1, dpartial);
    SET_ARG(c.partials, 2, n);
    SET_ARG(c.final, 0, dpartial);
    SET_ARG(c.final, 1, dsum);
    SET_ARG(c.final, 2, groups);
    timed_runs(opt->repeat, NULL, reduce_run, &c);
    float sum = 0.0f;
    read_buffer(dsum, sizeof sum, &sum);
    return bench_verdict(bench_check_reduce(in, n, sum, first), first);
}

/* ---------------------------------------------------------------- stencil */
struct stencil_ctx {
    cl_int n;
    cl_kernel kernel;
    cl_mem a, b, final_grid;
    const float *initial;
};

static void stencil_reset(void *p)
{
    struct stencil_ctx *s = p;
    const size_t bytes = (size_t)s->n * s->n * sizeof(float);
    CL_OK(clEnqueueWriteBuffer(queue, s->a, CL_TRUE, 0, bytes, s->initial, 0, NULL, NULL));
    CL_OK(clEnqueueWriteBuffer(queue, s->b, CL_TRUE, 0, bytes, s->initial, 0, NULL, NULL));
}

static void stencil_run(void *p)
{
    struct stencil_ctx *s = p;
    cl_mem src = s->a, dst = s->b;
    for (int it = 0; it < BENCH_STENCIL_ITERATIONS; it++) {
        SET_ARG(s->kernel, 1, src);
        SET_ARG(s->kernel, 2, dst);
        launch_2d(s->kernel, s->n, s->n, 16);
        cl_mem t = src;
        src = dst;
        dst = t;
    }
    s->final_grid = src;
}

static int bench_stencil(const struct bench_options *opt)
{
    struct stencil_ctx s = {.n = (cl_int)bench_size(BENCH_STENCIL, opt->quick)};
    const size_t bytes = (size_t)s.n * s.n * sizeof(float);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "%dx%d,%d-iterations", s.n, s.n, BENCH_STENCIL_ITERATIONS);
    bench_print_header(BENCH_STENCIL, size);
    float *initial = bench_alloc(bytes), *result = bench_alloc(bytes);
    bench_fill_uniform(initial, (long)s.n * s.n, 0.0f, 1.0f, 6);
    s.initial = initial;
    s.a = make_buffer(bytes, NULL);
    s.b = make_buffer(bytes, NULL);
    s.kernel = make_kernel("stencil5");
    SET_ARG(s.kernel, 0, s.n);
    timed_runs(opt->repeat, stencil_reset, stencil_run, &s);
    read_buffer(s.final_grid, bytes, result);
    return bench_verdict(
        bench_check_stencil(initial, result, s.n, BENCH_STENCIL_ITERATIONS, first), first);
}

/* ---------------------------------------------------------------- histogram */
#define HISTOGRAM_GROUPS 256
#define HISTOGRAM_THREADS 256

struct histogram_ctx {
    cl_kernel kernel;
    cl_mem bins;
};

static void histogram_reset(void *p)
{
    struct histogram_ctx *h = p;
    static const cl_uint zeros[256];
    CL_OK(clEnqueueWriteBuffer(queue, h->bins, CL_TRUE, 0, sizeof zeros, zeros, 0, NULL, NULL));
}

static void histogram_run(void *p)
{
    struct histogram_ctx *h = p;
    launch_1d(h->kernel, HISTOGRAM_GROUPS * HISTOGRAM_THREADS, HISTOGRAM_THREADS);
}

static int bench_histogram(const struct bench_options *opt)
{
    const cl_int n = (cl_int)bench_size(BENCH_HISTOGRAM, opt->quick);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "n=%d,256-bins", n);
    bench_print_header(BENCH_HISTOGRAM, size);
    unsigned char *data = bench_alloc(n);
    bench_fill_bytes(data, n, 7);
    cl_mem ddata = make_buffer(n, data);
    struct histogram_ctx h = {make_kernel("histogram256"), make_buffer(256 * sizeof(cl_uint), NULL)};
    SET_ARG(h.kernel, 0, ddata);
    SET_ARG(h.kernel, 1, n);
    SET_ARG(h.kernel, 2, h.bins);
    timed_runs(opt->repeat, histogram_reset, histogram_run, &h);
    unsigned bins[256];
    read_buffer(h.bins, sizeof bins, bins);
    return bench_verdict(bench_check_histogram(data, n, bins, first), first);
}

/* ---------------------------------------------------------------- nbody */
#define NBODY_THREADS 256

static int bench_nbody(const struct bench_options *opt)
{
    const cl_int n = (cl_int)bench_size(BENCH_NBODY, opt->quick);
    const size_t bytes = (size_t)n * 4 * sizeof(float);
    char size[64], first[BENCH_FIRST_LEN] = "";
    snprintf(size, sizeof size, "bodies=%d", n);
    bench_print_header(BENCH_NBODY, size);
    float *pos = bench_alloc(bytes), *vel = bench_alloc(bytes);
    float *new_pos = bench_alloc(bytes), *new_vel = bench_alloc(bytes);
    bench_fill_bodies(pos, vel, n);
    cl_mem dpos = make_buffer(bytes, pos), dvel = make_buffer(bytes, vel);
    cl_mem dnew_pos = make_buffer(bytes, NULL), dnew_vel = make_buffer(bytes, NULL);
    struct one_kernel_ctx k = {make_kernel("nbody_step"), n, 1, NBODY_THREADS};
    const float dt = BENCH_NBODY_DT, softening2 = BENCH_NBODY_SOFTENING2;
    SET_ARG(k.kernel, 0, n);
    SET_ARG(k.kernel, 1, dpos);
    SET_ARG(k.kernel, 2, dvel);
    SET_ARG(k.kernel, 3, dnew_pos);
    SET_ARG(k.kernel, 4, dnew_vel);
    SET_ARG(k.kernel, 5, dt);
    SET_ARG(k.kernel, 6, softening2);
    timed_runs(opt->repeat, NULL, run_1d, &k);
    read_buffer(dnew_pos, bytes, new_pos);
    read_buffer(dnew_vel, bytes, new_vel);
    return bench_verdict(bench_check_nbody(pos, vel, new_pos, new_vel, n, first), first);
}

/* ---------------------------------------------------------------- launch
 * An empty kernel and clFinish, reported per launch: the first launch alone (it
 * compiles), then batches of launches. */
static int bench_launch(const struct bench_options *opt)
{
    const long launches = bench_size(BENCH_LAUNCH, opt->quick);
    char size[64];
    snprintf(size, sizeof size, "launches=%ld", launches);
    bench_print_header(BENCH_LAUNCH, size);
    cl_kernel k = make_kernel("empty_kernel");
    for (int r = -1; r < opt->repeat; r++) {
        const long count = r < 0 ? 1 : launches;
        double t0 = bench_now_ms();
        for (long l = 0; l < count; l++) {
            launch_1d(k, 1, 1);
            CL_OK(clFinish(queue));
        }
        bench_print_time(r < 0 ? "first_ms" : "rep_ms", (bench_now_ms() - t0) / count);
    }
    return bench_verdict(0, "");
}

int main(int argc, char **argv)
{
    struct bench_options opt = bench_parse_args(argc, argv);
    setup_opencl();
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
