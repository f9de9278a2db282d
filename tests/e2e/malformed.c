/* malformed.c: malformed device code registered by a program. Real nvcc-built fatbins
 * (tests/data/fatbin, the scale kernel) and PTX texts are truncated, bit-flipped and
 * made to lie about sizes, registered through the built libcudart (dlopen'ed) exactly
 * as nvcc's registration code does, and launched. Each case runs in its own process
 * with a time limit and an address-space limit, and the program must see a CUDA error
 * from the expected set with a message naming the kernel: never a crash, a hang or a
 * huge allocation.
 *
 * The mutated container is placed at the very end of a readable mapping followed by an
 * inaccessible page, so any read past the bytes the program really has faults.
 *
 * Usage: malformed LIBCUDART DATA_DIR [CASE_SUBSTRING]   (run by malformed.sh) */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KERNEL "_Z12scale_kernelPffi"
#define CASE_SECONDS 30
/* The child's address space: enough for the CPU backend's reservation (it shrinks to
 * fit) and the compiler; a size lie that became an allocation shows up as an error. */
#define CASE_ADDRESS_SPACE (6ull << 30)
/* Peak resident memory allowed for one case. */
#define CASE_MAX_RSS_KB (512L * 1024L)

typedef struct { unsigned x, y, z; } dim3_t;
typedef int (*launch_fn)(const void *, dim3_t, dim3_t, void **, size_t, void *);

typedef struct blob {
    unsigned char *data;
    size_t size;
} blob;

/* The expected outcome of a case, as cudaError_t names; "ok" means success with the
 * kernel's correct result. A case passes when the first error the program sees (from
 * the launch or from the synchronising call) is one of them. */
typedef struct expect {
    const char *names[8];
} expect;

static const expect LOAD_ERROR = { { "cudaErrorInvalidKernelImage" } };
static const expect NO_IMAGE = { { "cudaErrorNoKernelImageForDevice" } };
static const expect BAD_PTX = { { "cudaErrorInvalidPtx" } };
static const expect OK_ONLY = { { "ok" } };
/* Bit flips anywhere: the binary may still be valid (a flipped padding or option byte),
 * or be refused at any stage, or even run a changed kernel that faults. */
static const expect ANY_CLEAN = { { "ok", "wrong-result", "cudaErrorInvalidKernelImage",
                                    "cudaErrorInvalidPtx", "cudaErrorNoKernelImageForDevice",
                                    "cudaErrorNotSupported", "cudaErrorIllegalAddress",
                                    "cudaErrorLaunchFailure" } };

static const char *lib_path, *data_dir, *filter;
static unsigned cases_run, cases_failed;

/* ------------------------------------------------------------------ data */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "malformed: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(99);
}

static blob load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    blob b = { malloc(n > 0 ? (size_t)n : 1), n > 0 ? (size_t)n : 0 };
    if (!b.data || fread(b.data, 1, b.size, f) != b.size)
        die("cannot read %s", path);
    fclose(f);
    return b;
}

static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const unsigned char *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const unsigned char *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> 8 * i); }
static void put64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> 8 * i); }

/* The container of a .nv_fatbin section that holds a PTX entry (the program's own
 * code; the section may start with containers of other translation units), or, in a
 * SASS-only build, the last container. */
static blob ptx_container(const char *file)
{
    blob s = load(file);
    size_t pos = 0;
    while (pos + 16 <= s.size) {
        if (get32(s.data + pos) != 0xBA55ED50u)
            die("%s: no container at offset %zu", file, pos);
        size_t total = get16(s.data + pos + 6) + (size_t)get64(s.data + pos + 8);
        size_t e = pos + get16(s.data + pos + 6);
        bool has_ptx = false;
        while (e + 0x40 <= pos + total) {
            if (get16(s.data + e) == 1)
                has_ptx = true;
            e += get32(s.data + e + 4) + (size_t)get64(s.data + e + 8);
        }
        size_t next = (pos + total + 7) & ~(size_t)7;
        if (has_ptx || next + 16 > s.size) {
            blob c = { malloc(total), total };
            memcpy(c.data, s.data + pos, total);
            free(s.data);
            return c;
        }
        pos = next;
    }
    die("%s: no container with PTX", file);
    return s;
}

/* Offset of the first entry of `kind` (1 PTX, 2 ELF) in a container. */
static size_t entry_of(const blob *c, unsigned kind)
{
    size_t e = get16(c->data + 6);
    while (e + 0x40 <= c->size) {
        if (get16(c->data + e) == kind)
            return e;
        e += get32(c->data + e + 4) + (size_t)get64(c->data + e + 8);
    }
    die("no entry of kind %u", kind);
    return 0;
}

/* A container with one uncompressed PTX entry holding `text` (len bytes, written as
 * given: no terminator is added). */
static blob ptx_text_container(const char *text, size_t len)
{
    size_t padded = (len + 7) & ~(size_t)7;
    blob c = { calloc(1, 16 + 0x50 + padded), 16 + 0x50 + padded };
    unsigned char *p = c.data;
    put32(p, 0xBA55ED50u);
    p[4] = 1; p[6] = 16;
    put64(p + 8, 0x50 + padded);
    unsigned char *e = p + 16;
    e[0] = 1; e[2] = 1; e[3] = 1;
    put32(e + 4, 0x50);
    put64(e + 8, padded);
    e[0x18] = 0; e[0x1a] = 9;            /* PTX ISA 9.0 */
    put32(e + 0x1c, 75);
    put64(e + 0x28, 0x11);               /* 64-bit, Linux */
    memcpy(e + 0x50, text, len);
    return c;
}

/* The scale kernel's PTX text, from the uncompressed build. */
static char *scale_ptx(size_t *len)
{
    blob c = ptx_container("none.nv_fatbin");
    size_t e = entry_of(&c, 1);
    size_t n = (size_t)get64(c.data + e + 8);
    const char *t = (const char *)c.data + e + get32(c.data + e + 4);
    size_t l = strnlen(t, n);
    char *out = malloc(l + 1);
    memcpy(out, t, l);
    out[l] = '\0';
    free(c.data);
    *len = l;
    return out;
}

/* ------------------------------------------------------------------ one case (child) */

/* Copy `b` to the end of a readable mapping followed by an inaccessible page. */
static const void *guarded_copy(const blob *b)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t room = (b->size + (size_t)page - 1) / (size_t)page * (size_t)page;
    if (room == 0)
        room = (size_t)page;
    unsigned char *m = mmap(NULL, room + (size_t)page, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    mprotect(m + room, (size_t)page, PROT_NONE);
    unsigned char *at = m + room - b->size;
    memcpy(at, b->data, b->size);
    /* The program's image is read-only. */
    mprotect(m, room, PROT_READ);
    return at;
}

static void host_stub(void) {}

/* Register and launch; prints one verdict word to fd `out`. */
static void run_child(int out, const blob *container, uint32_t wrapper_version,
                      bool prelinked_list)
{
    void *lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        die("dlopen %s: %s", lib_path, dlerror());
typedef void **(*reg_fatbin_fn)(void *);
    typedef void (*reg_end_fn)(void **);
    typedef void (*reg_function_fn)(void **, const char *, char *, const char *, int, void *,
                                    void *, void *, void *, int *);
    typedef int (*malloc_fn)(void **, size_t);
    typedef int (*memcpy_fn)(void *, const void *, size_t, int);
    typedef int (*sync_fn)(void);
    typedef const char *(*error_name_fn)(int);
#define SYM(type, name) type name = (type)dlsym(lib, #name); if (!name) die("no %s", #name)
    SYM(reg_fatbin_fn, __cudaRegisterFatBinary);
    SYM(reg_end_fn, __cudaRegisterFatBinaryEnd);
    SYM(reg_function_fn, __cudaRegisterFunction);
    SYM(malloc_fn, cudaMalloc);
    SYM(memcpy_fn, cudaMemcpy);
    SYM(sync_fn, cudaDeviceSynchronize);
    SYM(error_name_fn, cudaGetErrorName);
    SYM(launch_fn, cudaLaunchKernel);
#undef SYM

    const void *data = guarded_copy(container);
    static const void *list[2];
    struct { uint32_t magic, version; const void *data; const void *const *prelinked; } *w;
    w = malloc(sizeof *w);
    w->magic = 0x466243B1u;
    w->version = wrapper_version;
    w->data = data;
    w->prelinked = NULL;
    if (prelinked_list) {
        list[0] = data;
        list[1] = NULL;
        w->data = NULL;
        w->prelinked = list;
    }
    void **h = __cudaRegisterFatBinary(w);
    __cudaRegisterFunction(h, (const char *)host_stub, (char *)KERNEL, KERNEL, -1, NULL, NULL,
                           NULL, NULL, NULL);
    __cudaRegisterFatBinaryEnd(h);

    float host[4] = { 1, 2, 3, 4 }, back[4] = { 0 };
    void *dev = NULL;
    int e = cudaMalloc(&dev, sizeof host);
    if (e == 0)
        e = cudaMemcpy(dev, host, sizeof host, 1);
    if (e != 0) {
        dprintf(out, "setup-failed:%s\n", cudaGetErrorName(e));
        _exit(0);
    }
    float a = 2.0f;
    int n = 4;
    void *args[] = { &dev, &a, &n };
    dim3_t grid = { 1, 1, 1 }, block = { 4, 1, 1 };
    e = cudaLaunchKernel((const void *)host_stub, grid, block, args, 0, NULL);
    if (e == 0)
        e = cudaDeviceSynchronize();
    if (e == 0)
        e = cudaMemcpy(back, dev, sizeof back, 2);
    if (e != 0) {
        dprintf(out, "%s\n", cudaGetErrorName(e));
    } else {
        bool right = back[0] == 2 && back[1] == 4 && back[2] == 6 && back[3] == 8;
        dprintf(out, "%s\n", right ? "ok" : "wrong-result");
    }
    _exit(0);
}

/* ------------------------------------------------------------------ one case (parent) */

static char *slurp_fd(int fd)
{
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    ssize_t r;
    lseek(fd, 0, SEEK_SET);
    while ((r = read(fd, s + len, cap - len - 1)) > 0) {
        len += (size_t)r;
        if (len + 1 == cap)
            s = realloc(s, cap *= 2);
    }
    s[len] = '\0';
    return s;
}

static bool expected(const expect *x, const char *got)
{
    for (int i = 0; i < 8 && x->names[i]; i++)
        if (strcmp(x->names[i], got) == 0)
            return true;
    return false;
}

/* Run one case in a child process and judge it. */
static void run_case(const char *name, const blob *container, uint32_t wrapper_version,
                     bool prelinked_list, const expect *x, const char *message)
{
    if (filter && !strstr(name, filter))
        return;
    cases_run++;
    int pipefd[2];
    char errpath[] = "/tmp/cushim-malformed-XXXXXX";
    int errfd = mkstemp(errpath);
    if (errfd < 0 || pipe(pipefd) != 0)
        die("mkstemp/pipe: %s", strerror(errno));
    unlink(errpath);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        close(pipefd[0]);
        dup2(errfd, 2);
        struct rlimit as = { CASE_ADDRESS_SPACE, CASE_ADDRESS_SPACE };
        setrlimit(RLIMIT_AS, &as);
        alarm(CASE_SECONDS); /* a hang ends in SIGALRM: reported as such */
        run_child(pipefd[1], container, wrapper_version, prelinked_list);
    }
    close(pipefd[1]);
    char verdict[128] = "";
    ssize_t got = read(pipefd[0], verdict, sizeof verdict - 1);
    close(pipefd[0]);
    verdict[got > 0 ? got : 0] = '\0';
    char *nl = strchr(verdict, '\n');
    if (nl)
        *nl = '\0';
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    wait4(pid, &status, 0, &ru);
    char *err = slurp_fd(errfd);
    close(errfd);

    char why[512] = "";
    if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "killed by signal %d%s", WTERMSIG(status),
                 WTERMSIG(status) == SIGALRM ? " (hang: time limit)" : "");
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
    else if (ru.ru_maxrss > CASE_MAX_RSS_KB)
        snprintf(why, sizeof why, "peak memory %ld KiB (limit %ld)", ru.ru_maxrss,
                 CASE_MAX_RSS_KB);
    else if (!expected(x, verdict))
        snprintf(why, sizeof why, "program saw %s", verdict[0] ? verdict : "(nothing)");
    else if (strcmp(verdict, "ok") != 0 && strcmp(verdict, "wrong-result") != 0 &&
             !strstr(err, "cushim: "))
        snprintf(why, sizeof why, "%s without a message from cushim", verdict);
    else if (message && !strstr(err, message))
        snprintf(why, sizeof why, "%s, but no message containing '%s'", verdict, message);
    if (why[0]) {
        cases_failed++;
        printf("FAIL: %s: %s\n", name, why);
        printf("  stderr: %.2000s\n", err);
    } else {
        printf("ok: %s: %s\n", name, verdict);
    }
    free(err);
}

/* ------------------------------------------------------------------ the table */

typedef enum { M_NONE, M_TRUNCATE, M_PUT32, M_PUT64, M_PUT16, M_FLIP } mutation_kind;

typedef struct mutation {
    const char *name;
    const char *source;      /* .nv_fatbin file: its PTX container */
    mutation_kind kind;
    long where;              /* byte offset; negative: from the PTX entry header */
    uint64_t value;          /* new value, bit number for M_FLIP, or length kept */
    const expect *x;
    const char *message;     /* text the message must contain, or NULL */
} mutation;

#define PTX(off) (-1 - (long)(off))
static const char LOADMSG[] = "cannot load the device code of kernel " KERNEL;

static const mutation table[] = {
    { "intact zstd", "zstd.nv_fatbin", M_NONE, 0, 0, &OK_ONLY, NULL },
    { "intact lz4", "lz4.nv_fatbin", M_NONE, 0, 0, &OK_ONLY, NULL },
    { "intact uncompressed", "none.nv_fatbin", M_NONE, 0, 0, &OK_ONLY, NULL },
    { "sass only", "sass.nv_fatbin", M_NONE, 0, 0, &NO_IMAGE, "only machine code (SASS)" },
    { "container magic", "zstd.nv_fatbin", M_PUT32, 0, 0xBA55ED51u, &LOAD_ERROR, "magic" },
    { "container version", "zstd.nv_fatbin", M_PUT16, 4, 7, &LOAD_ERROR, "version" },
    { "container header size 0", "zstd.nv_fatbin", M_PUT16, 6, 0, &LOAD_ERROR, "header size" },
    { "fat_size +1", "zstd.nv_fatbin", M_PUT64, 8, 1, &LOAD_ERROR, LOADMSG },
    { "fat_size +4096", "zstd.nv_fatbin", M_PUT64, 8, 4096, &LOAD_ERROR, LOADMSG },
    { "fat_size 2^40", "zstd.nv_fatbin", M_PUT64, 8, 1ull << 40, &LOAD_ERROR, "exceeds" },
    { "fat_size all ones", "zstd.nv_fatbin", M_PUT64, 8, UINT64_MAX, &LOAD_ERROR, LOADMSG },
    { "PTX header size huge", "zstd.nv_fatbin", M_PUT32, PTX(4), 0x7fffffffu, &LOAD_ERROR, LOADMSG },
    { "PTX payload size huge", "zstd.nv_fatbin", M_PUT64, PTX(8), 1ull << 62, &LOAD_ERROR, LOADMSG },
    { "PTX compressed size huge", "zstd.nv_fatbin", M_PUT32, PTX(0x10), 0xfffffff0u, &LOAD_ERROR, LOADMSG },
    { "PTX compressed size 1", "zstd.nv_fatbin", M_PUT32, PTX(0x10), 1, &LOAD_ERROR, "zstd" },
    { "zstd declares 1 GiB", "zstd.nv_fatbin", M_PUT64, PTX(0x38), 1ull << 30, &LOAD_ERROR, "zstd" },
    { "zstd declares 2^60", "zstd.nv_fatbin", M_PUT64, PTX(0x38), 1ull << 60, &LOAD_ERROR, "exceeds" },
    { "zstd declares 1 byte", "zstd.nv_fatbin", M_PUT64, PTX(0x38), 1, &LOAD_ERROR, "zstd" },
    { "lz4 declares 1 GiB", "lz4.nv_fatbin", M_PUT64, PTX(0x38), 1ull << 30, &LOAD_ERROR, "LZ4" },
    { "lz4 declares 100 bytes", "lz4.nv_fatbin", M_PUT64, PTX(0x38), 100, &LOAD_ERROR, "LZ4" },
    { "zstd flagged as lz4", "zstd.nv_fatbin", M_PUT64, PTX(0x28), 0x2011, &LOAD_ERROR, "LZ4" },
    { "lz4 flagged as zstd", "lz4.nv_fatbin", M_PUT64, PTX(0x28), 0x8011, &LOAD_ERROR, "zstd" },
    { "both compressions", "zstd.nv_fatbin", M_PUT64, PTX(0x28), 0xa011, &LOAD_ERROR, "both" },
    { "encoded flag", "zstd.nv_fatbin", M_PUT64, PTX(0x28), 0x18011, &LOAD_ERROR, "encoding" },
    { "name outside header", "zstd.nv_fatbin", M_PUT64, PTX(0x20), 0x0000100000000048ull, &LOAD_ERROR, "name" },
    { "options outside header", "zstd.nv_fatbin", M_PUT32, PTX(0x14), 0xfff0, &LOAD_ERROR, "options" },
    { "PTX entry made ELF", "zstd.nv_fatbin", M_PUT16, PTX(0), 2, &NO_IMAGE, "SASS" },
    { "PTX entry kind 0", "zstd.nv_fatbin", M_PUT16, PTX(0), 0, &NO_IMAGE, LOADMSG },
};

static blob apply(const mutation *m)
{
    blob c = ptx_container(m->source);
    size_t at = m->where >= 0 ? (size_t)m->where : entry_of(&c, 1) + (size_t)(-1 - m->where);
    switch (m->kind) {
    case M_NONE: break;
    case M_TRUNCATE: c.size = (size_t)m->value; break;
    case M_PUT16: c.data[at] = (unsigned char)m->value; c.data[at + 1] = (unsigned char)(m->value >> 8); break;
    case M_PUT32: put32(c.data + at, (uint32_t)m->value); break;
    case M_PUT64:
        /* fat_size "+N": relative to the real value for small N */
        if (at == 8 && m->value <= 4096)
            put64(c.data + 8, get64(c.data + 8) + m->value);
        else
            put64(c.data + at, m->value);
        break;
    case M_FLIP: c.data[at] ^= (unsigned char)(1u << (m->value & 7)); break;
    }
    return c;
}

/* PTX texts: each in an uncompressed container, registered and launched. */
typedef struct ptx_case {
    const char *name;
    const char *find, *replace;   /* edit of the scale kernel's PTX (NULL: none) */
    const expect *x;
    const char *message;
} ptx_case;

static const expect UNSUPPORTED = { { "cudaErrorNotSupported" } };
static const expect NO_FUNCTION = { { "cudaErrorInvalidDeviceFunction" } };
static const expect HUGE_VAR = { { "cudaErrorMemoryAllocation" } };

static const ptx_case ptx_table[] = {
    { "PTX intact", NULL, NULL, &OK_ONLY, NULL },
    { "PTX without .version", ".version", "//version", &BAD_PTX, "does not parse" },
    { "PTX unknown type", ".f32", ".f33", &BAD_PTX, "does not parse" },
    { "PTX unbalanced brace", "ret;", "ret; {", &BAD_PTX, "does not parse" },
    { "PTX undefined label", "bra $L__BB0_2", "bra $NOWHERE", &BAD_PTX, LOADMSG },
    { "PTX undeclared register", "%f1", "%zz9", &BAD_PTX, "does not parse" },
    { "PTX unknown opcode", "mul.f32", "frobnicate.f32", &UNSUPPORTED, "frobnicate" },
    { "PTX kernel renamed", KERNEL "(", "_Z5otherPffi(", &NO_FUNCTION, KERNEL },
    { "PTX 2^60-byte global", ".visible .entry",
      ".global .align 8 .b8 huge[1152921504606846976];\n.visible .entry", &BAD_PTX,
      "array size too large" },
    { "PTX 32 GiB global", ".visible .entry",
      ".visible .global .align 8 .b8 huge[34359738368];\n.visible .entry", &HUGE_VAR,
      "no device memory for variable huge" },
    { "PTX huge register count", ".reg .b32", ".reg .b32 %big<2000000000>;\n.reg .b32", &ANY_CLEAN, NULL },
};

static char *edit(const char *text, const char *find, const char *replace, size_t *len)
{
    const char *at = find ? strstr(text, find) : NULL;
    if (find && !at)
        die("PTX edit: '%s' not found", find);
    size_t tl = strlen(text), fl = find ? strlen(find) : 0, rl = replace ? strlen(replace) : 0;
    char *out = malloc(tl + rl + 1);
    if (!at) {
        memcpy(out, text, tl + 1);
        *len = tl;
        return out;
    }
    size_t pre = (size_t)(at - text);
    memcpy(out, text, pre);
    memcpy(out + pre, replace, rl);
    size_t o = pre + rl;
    memcpy(out + o, at + fl, tl - pre - fl + 1);
    *len = o + tl - pre - fl;
    return out;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s LIBCUDART DATA_DIR [CASE_SUBSTRING]\n", argv[0]);
        return 2;
    }
    lib_path = argv[1];
    data_dir = argv[2];
    filter = argc > 3 ? argv[3] : NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    char name[160];

    /* 1. The table of targeted lies. */
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        blob c = apply(&table[i]);
        run_case(table[i].name, &c, 1, false, table[i].x, table[i].message);
        free(c.data);
    }

    /* 2. Wrappers. */
    blob z = ptx_container("zstd.nv_fatbin");
    run_case("wrapper version 3", &z, 3, false, &LOAD_ERROR, "version");
    run_case("wrapper version 0", &z, 0, false, &LOAD_ERROR, "version");
    run_case("wrapper v2, container as its only prelinked file", &z, 2, true, &OK_ONLY, NULL);

    /* 3. Truncation at every entry boundary and inside each header, and in steps
     * through the payloads. */
    size_t ptx_at = entry_of(&z, 1);
    for (size_t cut = 0; cut < z.size; cut += cut < ptx_at + 0x60 ? 1 + (cut % 7 == 0) * 6 : 97) {
        blob t = { z.data, cut };
        snprintf(name, sizeof name, "truncated to %zu of %zu bytes", cut, z.size);
        run_case(name, &t, 1, false, &LOAD_ERROR, cut ? LOADMSG : "cushim: ");
    }

    /* 4. Bit flips: every byte of the container and entry headers, and a spread of
     * payload bytes (deterministic positions). */
    size_t elf_at = entry_of(&z, 2);
    size_t spots[512];
    size_t nspots = 0;
    for (size_t i = 0; i < 16; i++)
        spots[nspots++] = i;
    for (size_t i = 0; i < 0x40; i++)
        spots[nspots++] = elf_at + i;
    for (size_t i = 0; i < 0x50; i++)
        spots[nspots++] = ptx_at + i;
    uint32_t seed = 12345;
    for (int i = 0; i < 48; i++) {
        seed = seed * 1103515245u + 12345u;
        spots[nspots++] = (seed >> 8) % z.size;
    }
    for (size_t s = 0; s < nspots; s++) {
        blob f = { malloc(z.size), z.size };
        memcpy(f.data, z.data, z.size);
        unsigned bit = (unsigned)(spots[s] * 5 + s) % 8;
        f.data[spots[s]] ^= (unsigned char)(1u << bit);
        snprintf(name, sizeof name, "bit %u of byte %zu flipped", bit, spots[s]);
        run_case(name, &f, 1, false, &ANY_CLEAN, NULL);
        free(f.data);
    }
    free(z.data);

    /* 5. PTX texts. */
    size_t plen;
    char *ptx = scale_ptx(&plen);
    for (size_t i = 0; i < sizeof ptx_table / sizeof ptx_table[0]; i++) {
        size_t len;
        char *t = edit(ptx, ptx_table[i].find, ptx_table[i].replace, &len);
        blob c = ptx_text_container(t, len);
        run_case(ptx_table[i].name, &c, 1, false, ptx_table[i].x, ptx_table[i].message);
        free(c.data);
        free(t);
    }
    /* PTX cut short anywhere before its last closing brace never parses. */
    const char *last = strrchr(ptx, '}');
    for (size_t cut = 0; cut < (size_t)(last - ptx); cut += 41) {
        blob c = ptx_text_container(ptx, cut);
        snprintf(name, sizeof name, "PTX cut to %zu of %zu bytes", cut, plen);
        run_case(name, &c, 1, false, cut ? &BAD_PTX : &BAD_PTX, LOADMSG);
        free(c.data);
    }
    /* Deep nesting must not recurse without bound. */
    size_t depth = 200000;
    char *deep = malloc(plen + 2 * depth + 1);
    const char *body = strchr(ptx, '{');
    size_t pre = (size_t)(body - ptx) + 1;
    memcpy(deep, ptx, pre);
    memset(deep + pre, '{', depth);
    memset(deep + pre + depth, '}', depth);
    memcpy(deep + pre + 2 * depth, body + 1, plen - pre + 1);
    blob dc = ptx_text_container(deep, plen + 2 * depth);
    run_case("PTX nested 200000 scopes deep", &dc, 1, false, &ANY_CLEAN, NULL);
    free(dc.data);
    free(deep);
    free(ptx);

    printf("%u cases, %u failed\n", cases_run, cases_failed);
    return cases_failed ? 1 : 0;
}
