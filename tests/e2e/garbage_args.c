/* garbage_args.c: calls every exported entry point of the built libcudart with NULL
 * and garbage arguments and checks that each call returns (no crash, no hang) and,
 * where CUDA says it must, returns an error.
 *
 * Input (stdin, written by garbage_args.sh from shim/api_table.tsv): one line per row,
 * "NAME<TAB>NODE<TAB>RETURN<TAB>PARAMS" with PARAMS as in the table
 * (TYPE|NAME|DIR|KIND;...). Each row is called through libffi in a forked child with
 * an alarm, in two variants:
 *   A: pointers NULL, handles a garbage address, integers/enums/sizes out of range;
 *   B: pointers to a zeroed 64 KiB buffer, the same garbage elsewhere.
 * cudaError_t rows must fail in A when they take any parameter, and in B when they
 * take a handle (a garbage handle is never valid), except the few calls CUDA defines as
 * succeeding on such input (listed below). Other return types must only not crash. */
#include <dlfcn.h>
#include <stdbool.h>
#include <ffi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PARAMS 16
#define BUFFER_BYTES (64 * 1024)
#define GARBAGE_HANDLE ((uintptr_t)0xdeadbeef0ull)

/* Calls CUDA defines as succeeding with NULL / out-of-range input in variant A. */
static const char *const succeed_ok_a[] = {
    "cudaFree", "cudaFreeHost", "cudaFreeArray", "cudaFreeMipmappedArray",
    "cudaGetLastError", "cudaPeekAtLastError", "cudaMemcpy", "cudaMemset",
    /* Output pointers that may each be NULL (the value is then not returned). */
    "cudaDeviceGetStreamPriorityRange", "cudaMemGetInfo",
    NULL,
};

static bool listed(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* By-value struct types: sizes and ffi element layouts. */
static ffi_type *u32x3[] = {&ffi_type_uint32, &ffi_type_uint32, &ffi_type_uint32, NULL};
static ffi_type *u64x3[] = {&ffi_type_uint64, &ffi_type_uint64, &ffi_type_uint64, NULL};
static ffi_type *u64x4[] = {&ffi_type_uint64, &ffi_type_uint64, &ffi_type_uint64, &ffi_type_uint64, NULL};
static ffi_type *i32x2[] = {&ffi_type_sint32, &ffi_type_sint32, NULL};
static ffi_type t_dim3 = {0, 0, FFI_TYPE_STRUCT, u32x3};
static ffi_type t_ext = {0, 0, FFI_TYPE_STRUCT, u64x3};
static ffi_type t_pitched = {0, 0, FFI_TYPE_STRUCT, u64x4};
static ffi_type t_loc = {0, 0, FFI_TYPE_STRUCT, i32x2};

typedef struct arg {
    ffi_type *type;
    unsigned char value[64];
} arg;

/* One parameter's type and garbage value; false: cannot be called generically. */
static bool make_arg(const char *type, const char *kind, int variant, void *buffer, arg *a,
                     bool *is_handle)
{
    memset(a->value, 0, sizeof a->value);
    *is_handle = strcmp(kind, "handle") == 0;
    size_t len = strlen(type);
    if (type[len - 1] == '*' || strcmp(kind, "handle") == 0 || strcmp(kind, "ptr") == 0 || strcmp(kind, "str") == 0 || strncmp(kind, "out:", 4) == 0) {
        if (strncmp(type, "struct ", 7) == 0 && type[len - 1] != '*')
            goto by_value;
        uintptr_t v;
        if (strcmp(kind, "handle") == 0)
            v = GARBAGE_HANDLE;
        else if (strcmp(kind, "u64") == 0 || strcmp(type, "cudaTextureObject_t") == 0 ||
                 strcmp(type, "cudaSurfaceObject_t") == 0)
            v = GARBAGE_HANDLE;
        else
            v = variant == 0 ? 0 : (uintptr_t)buffer;
        a->type = &ffi_type_pointer;
        memcpy(a->value, &v, sizeof v);
        return true;
    }
by_value:
    if (strcmp(type, "dim3") == 0) {
        a->type = &t_dim3;
        uint32_t d[3] = {0, 0, 0};
        memcpy(a->value, d, sizeof d);
        return true;
    }
    if (strcmp(type, "struct cudaExtent") == 0 || strcmp(type, "struct cudaPos") == 0) {
        a->type = &t_ext;
        uint64_t e[3] = {UINT64_MAX / 2, UINT64_MAX / 2, UINT64_MAX / 2};
        memcpy(a->value, e, sizeof e);
        return true;
    }
    if (strcmp(type, "struct cudaPitchedPtr") == 0) {
        a->type = &t_pitched;
        uint64_t p[4] = {variant == 0 ? 0 : (uint64_t)(uintptr_t)buffer, 1, UINT64_MAX / 2, 7};
        memcpy(a->value, p, sizeof p);
        return true;
    }
    if (strcmp(type, "struct cudaMemLocation") == 0) {
        a->type = &t_loc;
        int32_t l[2] = {0x7fffffff, -7};
        memcpy(a->value, l, sizeof l);
        return true;
    }
    if (strncmp(type, "struct ", 7) == 0 || strncmp(type, "cudaEgl", 7) == 0)
        return false;
    if (strcmp(kind, "size") == 0 || strcmp(kind, "u64") == 0 || strstr(type, "long long") ||
        strcmp(type, "size_t") == 0) {
        a->type = &ffi_type_uint64;
        uint64_t v = UINT64_MAX / 2;
        memcpy(a->value, &v, sizeof v);
        return true;
    }
    if (strcmp(type, "float") == 0 || strcmp(type, "double") == 0)
        return false;
    a->type = &ffi_type_sint32;   /* int, unsigned, enums, flags */
    int32_t v = strcmp(kind, "hex") == 0 ? (int32_t)0x7ffffff0 : 0x7fffffff;
    memcpy(a->value, &v, sizeof v);
    return true;
}

/* Returns 0 ok, 1 failure (message printed), 2 skipped. */
static int call_row(void *lib, char *line, int variant, void *buffer)
{
    char *name = strtok(line, "\t"), *node = strtok(NULL, "\t"), *ret = strtok(NULL, "\t"),
         *params = strtok(NULL, "\t\n");
    if (!name || !node || !ret || !params)
        return 2;
    char version[32];
    snprintf(version, sizeof version, "libcudart.so.%s", node);
    void *fn = dlvsym(lib, name, version);
    if (!fn) {
        printf("FAIL: %s@%s is not exported\n", name, version);
        return 1;
    }
    arg args[MAX_PARAMS];
    ffi_type *types[MAX_PARAMS];
    void *values[MAX_PARAMS];
    unsigned n = 0;
    bool has_handle = false;
    if (strcmp(params, "-") != 0) {
        char *save = NULL;
        for (char *p = strtok_r(params, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
            char *f[4] = {0};
            char *s2 = NULL;
            int k = 0;
            for (char *q = strtok_r(p, "|", &s2); q && k < 4; q = strtok_r(NULL, "|", &s2))
                f[k++] = q;
            if (k < 4 || n == MAX_PARAMS)
                return 2;
            bool h;
            if (!make_arg(f[0], f[3], variant, buffer, &args[n], &h))
                return 2;
            has_handle |= h;
            types[n] = args[n].type;
            values[n] = args[n].value;
            n++;
        }
    }
    ffi_type *rtype = strcmp(ret, "void") == 0 ? &ffi_type_void
                    : (ret[strlen(ret) - 1] == '*' ? &ffi_type_pointer
                    : (strncmp(ret, "struct ", 7) == 0 ? NULL : &ffi_type_sint32));
    if (!rtype)
        return 2;   /* struct returns (cudaCreateChannelDesc): no error to check */
    ffi_cif cif;
    if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, n, rtype, types) != FFI_OK)
        return 2;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        ffi_arg r = 0;
        ffi_call(&cif, FFI_FN(fn), &r, values);
        _exit(rtype == &ffi_type_sint32 && strcmp(ret, "cudaError_t") == 0 ? ((int)r == 0 ? 0 : 1) : 3);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
        printf("FAIL: %s@%s variant %c: %s\n", name, version, 'A' + variant,
               WTERMSIG(status) == SIGALRM ? "hangs (no return within 10 s)" : strsignal(WTERMSIG(status)));
        return 1;
    }
    int code = WEXITSTATUS(status);
    bool must_fail = variant == 0 ? n > 0 && !listed(name, succeed_ok_a) : has_handle;
    if (code == 0 && must_fail) {
        printf("FAIL: %s@%s variant %c: returns cudaSuccess for garbage arguments\n", name, version,
               'A' + variant);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: garbage_args LIBCUDART < rows\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        printf("FAIL: dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    void *buffer = calloc(1, BUFFER_BYTES);
    char line[8192];
    int failures = 0, calls = 0, skipped = 0;
    while (fgets(line, sizeof line, stdin)) {
        for (int variant = 0; variant < 2; variant++) {
            char copy[8192];
            memcpy(copy, line, sizeof copy);
            memset(buffer, 0, BUFFER_BYTES);
            int r = call_row(lib, copy, variant, buffer);
            failures += r == 1;
            skipped += r == 2;
            calls += r != 2;
        }
    }
    printf("%d calls, %d failures, %d not callable generically (struct by value or return)\n",
           calls, failures, skipped / 2);
    return failures ? 1 : 0;
}
