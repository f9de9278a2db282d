/* triage_scan.c: what one file holds, read without running it: CUDA linkage (shared or
 * static runtime, driver API, CUDA libraries), runtime imports, fatbins, kernels and
 * the PTX features they use. Files are mmap()ed and every structure is bounds-checked:
 * the input may be anything. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/triage.h"
#include "cli/triage_elf.h"
#include "shim/api_table.h"
#include "translate/fatbin.h"

/* A PTX text or cubin larger than this is not decompressed: it is reported instead. */
#define TRIAGE_MAX_DEVICE_PAYLOAD (512u * 1024u * 1024u)
/* Separately compiled PTX above this many bytes in total is not linked (see
 * process_device_code). */
#define TRIAGE_LINK_BUDGET (48u * 1024u * 1024u)

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

static void warn(triage_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(triage_file *f, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    triage_strlist_add_unique(&f->warnings, buf);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ("libcudart.so.13", "libcudart") -> 13; 0 when the name is not of that form. */
static int soname_major(const char *name, const char *stem)
{
    size_t n = strlen(stem);
    if (strncmp(name, stem, n) != 0 || strncmp(name + n, ".so.", 4) != 0)
        return 0;
    const char *digits = name + n + 4;
    char *end;
    long v = strtol(digits, &end, 10);
    return end != digits && (*end == '\0' || *end == '.') && v > 0 && v < 1000 ? (int)v : 0;
}

/* CUDA libraries cushim does not provide; a program needing one cannot load. */
static const char *const cuda_library_stems[] = {
    "libcublas", "libcublasLt", "libcufft", "libcufftw", "libcurand", "libcusparse",
    "libcusolver", "libcusolverMg", "libnvrtc", "libnvrtc-builtins", "libcudnn",
    "libnccl", "libnvjpeg", "libnvJitLink", "libnvblas", "libcupti", "libnvidia-ml",
    "libcufile", "libnvvm", "libcutensor", "libnvjitlink", "libcudss", "libnvpl",
    "libnppc", "libnppial", "libnppicc", "libnppidei", "libnppif", "libnppig",
    "libnppim", "libnppist", "libnppisu", "libnppitc", "libnpps", "libnvToolsExt_cuda",
    NULL,
};

static bool is_cuda_library(const char *needed)
{
    for (size_t i = 0; cuda_library_stems[i]; i++) {
        size_t n = strlen(cuda_library_stems[i]);
        if (strncmp(needed, cuda_library_stems[i], n) == 0 &&
            (needed[n] == '.' || (needed[n] == '_' && strncmp(needed, "libcudnn", 8) == 0)))
            return true;
    }
    return false;
}

/* Driver API names: cu followed by an upper-case letter (cuInit, cuMemAlloc_v2). */
static bool is_driver_symbol(const char *name)
{
    return name[0] == 'c' && name[1] == 'u' && name[2] >= 'A' && name[2] <= 'Z';
}

static bool is_runtime_symbol(const char *name)
{
    return starts_with(name, "cuda") || starts_with(name, "__cuda");
}

/* ---- host linkage ---------------------------------------------------------------- */

typedef struct version_need {
    uint16_t index;
    const char *file;  /* library the version comes from */
    const char *name;  /* version node name */
} version_need;

/* Read .gnu.version_r into (index -> file, name) pairs. Bounded by the section size
 * and by a hard cap on entries, so a looping chain ends. */
static version_need *read_verneed(const triage_elf_section *vr, const triage_elf_section *str,
                                  size_t *count)
{
    *count = 0;
    if (!vr->data || !str->data)
        return NULL;
    size_t cap = 0;
    version_need *out = NULL;
    uint64_t off = 0;
    for (unsigned guard = 0; guard < 4096; guard++) {
        if (off > vr->size || vr->size - off < 16)
            break;
        const uint8_t *p = vr->data + off;
        uint16_t cnt = (uint16_t)(p[2] | p[3] << 8);
        uint32_t file = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
                        (uint32_t)p[7] << 24;
        uint32_t aux = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 |
                       (uint32_t)p[11] << 24;
        uint32_t next = (uint32_t)p[12] | (uint32_t)p[13] << 8 | (uint32_t)p[14] << 16 |
                        (uint32_t)p[15] << 24;
        const char *fname = triage_elf_string(str, file);
        uint64_t aoff = off + aux;
        for (unsigned j = 0; j < cnt && j < 4096; j++) {
            if (aoff > vr->size || vr->size - aoff < 16)
                break;
            const uint8_t *a = vr->data + aoff;
            uint16_t other = (uint16_t)(a[6] | a[7] << 8);
            uint32_t name = (uint32_t)a[8] | (uint32_t)a[9] << 8 | (uint32_t)a[10] << 16 |
                            (uint32_t)a[11] << 24;
            uint32_t anext = (uint32_t)a[12] | (uint32_t)a[13] << 8 |
                             (uint32_t)a[14] << 16 | (uint32_t)a[15] << 24;
            if (*count == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                version_need *n = realloc(out, ncap * sizeof *n);
                if (!n)
                    return out;
                out = n;
                cap = ncap;
            }
            out[*count].index = other & 0x7fff;
            out[*count].file = fname ? fname : "";
            const char *vname = triage_elf_string(str, name);
            out[*count].name = vname ? vname : "";
            (*count)++;
            if (!anext)
                break;
            aoff += anext;
        }
        if (!next)
            break;
        off += next;
    }
    return out;
}

static const version_need *find_version(const version_need *v, size_t n, uint16_t index)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].index == index)
            return &v[i];
    return NULL;
}

static void add_import(triage_file *f, const char *name, const char *version, int major)
{
    for (size_t i = 0; i < f->nimports; i++)
        if (strcmp(f->imports[i].name, name) == 0)
            return;
    triage_import *n = realloc(f->imports, (f->nimports + 1) * sizeof *n);
    if (!n)
        return;
    f->imports = n;
    triage_import *imp = &f->imports[f->nimports];
    imp->name = strdup(name);
    imp->version = version ? strdup(version) : NULL;
    imp->cuda_major = major;
    if (!imp->name)
        return;
    imp->row = cushim_api_find(name, major == 12 ? 12 : 13);
    f->nimports++;
}

static int compare_imports(const void *a, const void *b)
{
    return strcmp(((const triage_import *)a)->name, ((const triage_import *)b)->name);
}

static void read_dynamic(triage_file *f, const triage_elf *e)
{
    triage_elf_section dyn, dynstr;
    if (!triage_elf_find(e, NULL, TRIAGE_SHT_DYNAMIC, &dyn) || !dyn.data)
        return;
    if (!triage_elf_section_at(e, dyn.link, &dynstr) || !dynstr.data) {
        warn(f, "the dynamic section's string table (section %u) is missing", dyn.link);
        return;
    }
    for (uint64_t off = 0; off + 16 <= dyn.size; off += 16) {
        const uint8_t *p = dyn.data + off;
        uint64_t tag, val;
        memcpy(&tag, p, 8);
        memcpy(&val, p + 8, 8);
        if (tag == 0)
            break;
        if (tag != 1 && tag != 14) /* DT_NEEDED, DT_SONAME */
            continue;
        const char *s = triage_elf_string(&dynstr, val);
        if (!s) {
            warn(f, "a dynamic entry names a string outside .dynstr");
            continue;
        }
        if (tag == 14) {
            free(f->soname);
            f->soname = strdup(s);
            continue;
        }
        triage_strlist_add_unique(&f->needed, s);
        int major = soname_major(s, "libcudart");
        if (major || strcmp(s, "libcudart.so") == 0) {
            f->cudart_shared_major = major ? major : 13;
            free(f->cudart_needed);
            f->cudart_needed = strdup(s);
        } else if (strcmp(s, "libcuda.so.1") == 0 || strcmp(s, "libcuda.so") == 0) {
            f->driver_api = true;
        } else if (is_cuda_library(s)) {
            triage_strlist_add_unique(&f->libraries, s);
        }
    }
}

static void read_imports(triage_file *f, const triage_elf *e)
{
    triage_elf_section dynsym, dynstr, versym, verneed, vstr;
    if (!triage_elf_find(e, NULL, TRIAGE_SHT_DYNSYM, &dynsym) || !dynsym.data)
        return;
    if (!triage_elf_section_at(e, dynsym.link, &dynstr) || !dynstr.data)
        return;
    bool have_versym = triage_elf_find(e, NULL, TRIAGE_SHT_GNU_VERSYM, &versym) && versym.data;
    size_t nvers = 0;
    version_need *vers = NULL;
    if (triage_elf_find(e, NULL, TRIAGE_SHT_GNU_VERNEED, &verneed) &&
        triage_elf_section_at(e, verneed.link, &vstr))
        vers = read_verneed(&verneed, &vstr, &nvers);

    uint64_t n = triage_elf_symbol_count(&dynsym);
    for (uint64_t i = 1; i < n; i++) {
        triage_elf_sym s;
        if (!triage_elf_symbol(&dynsym, &dynstr, i, &s) || !s.name || !s.name[0])
            continue;
        if (s.shndx != 0)
            continue; /* defined here */
        const version_need *v = NULL;
        if (have_versym && (i + 1) * 2 <= versym.size) {
            uint16_t idx = (uint16_t)((versym.data[i * 2] | versym.data[i * 2 + 1] << 8) & 0x7fff);
            if (idx >= 2)
                v = find_version(vers, nvers, idx);
        }
        int vmajor = v ? soname_major(v->file, "libcudart") : 0;
        if (vmajor || (!v && is_runtime_symbol(s.name) && f->cudart_shared_major)) {
            int major = vmajor ? vmajor : f->cudart_shared_major;
            if (v)
                triage_strlist_add_unique(&f->cudart_versions, v->name);
            add_import(f, s.name, v ? v->name : NULL, major);
            continue;
        }
        if (v && strcmp(v->file, "libcuda.so.1") == 0) {
            f->driver_api = true;
            triage_strlist_add_unique(&f->driver_imports, s.name);
            continue;
        }
        if (!v && is_driver_symbol(s.name) && f->driver_api) {
            triage_strlist_add_unique(&f->driver_imports, s.name);
            continue;
        }
        if (!v && is_runtime_symbol(s.name) && !f->cudart_shared_major) {
            /* cuda* imported with no libcudart in NEEDED: something else (a plugin
             * host, a library loaded first) must provide it; judge it all the same. */
            add_import(f, s.name, NULL, 0);
        }
    }
    free(vers);
    if (f->nimports > 1)
        qsort(f->imports, f->nimports, sizeof *f->imports, compare_imports);
}

/* Strings the CUDA runtime carries in every version measured (cudaGetErrorString's
 * table, and the driver entry point it resolves); both together mark an embedded
 * runtime. */
static const char marker_error_text[] =
    "CUDA driver version is insufficient for CUDA runtime version";
static const char marker_proc_address[] = "cuGetProcAddress";

static void detect_static_runtime(triage_file *f, const triage_elf *e)
{
    bool error_text = false, proc_address = false, libcuda = false, cu_init = false;
    for (uint64_t i = 1; i < e->shnum; i++) {
        triage_elf_section s;
        if (!triage_elf_section_at(e, i, &s) || !s.data)
            continue;
        if (!(s.flags & TRIAGE_SHF_ALLOC) || (s.flags & TRIAGE_SHF_EXECINSTR) ||
            s.type == TRIAGE_SHT_DYNSYM || strcmp(s.name, ".dynstr") == 0 ||
            strcmp(s.name, ".nv_fatbin") == 0 || strcmp(s.name, "__nv_relfatbin") == 0)
            continue;
        if (s.type != 1 /* PROGBITS */)
            continue;
        if (!error_text && memmem(s.data, s.size, marker_error_text, sizeof marker_error_text))
            error_text = true;
        if (!proc_address &&
            memmem(s.data, s.size, marker_proc_address, sizeof marker_proc_address - 1))
            proc_address = true;
        if (!libcuda && memmem(s.data, s.size, "libcuda.so.1", sizeof "libcuda.so.1"))
            libcuda = true;
        if (!cu_init && memmem(s.data, s.size, "\0cuInit", sizeof "\0cuInit"))
            cu_init = true;
    }
    triage_elf_section symtab, strtab;
    bool static_symbols = false;
    if (triage_elf_find(e, NULL, TRIAGE_SHT_SYMTAB, &symtab) &&
        triage_elf_section_at(e, symtab.link, &strtab)) {
        uint64_t n = triage_elf_symbol_count(&symtab);
        for (uint64_t i = 1; i < n && !static_symbols; i++) {
            triage_elf_sym s;
            if (triage_elf_symbol(&symtab, &strtab, i, &s) && s.name &&
                starts_with(s.name, "libcudart_static_"))
                static_symbols = true;
        }
    }
    if (f->soname && starts_with(f->soname, "libcudart")) {
        f->is_cudart_itself = true;
        return;
    }
    if (error_text && proc_address) {
        triage_strlist_add_unique(&f->static_evidence,
                                  "runtime error strings and cuGetProcAddress in read-only data");
        if (libcuda)
            triage_strlist_add_unique(&f->static_evidence, "loads libcuda.so.1 by name");
    }
    if (static_symbols)
        triage_strlist_add_unique(&f->static_evidence, "libcudart_static_* symbols");
    /* The table strings alone could come from a program quoting them; require them
     * together, or the runtime's own symbols. */
    f->cudart_static = (error_text && proc_address) || static_symbols;
    /* without a runtime of its own, a file naming the driver library and its entry
     * points loads the driver API itself (dlopen + dlsym), as cuFFT does */
    if (!f->cudart_static && libcuda && (cu_init || proc_address)) {
        f->driver_api = true;
        f->driver_dlopen = true;
    }
    if (!f->cudart_static)
        triage_strlist_free(&f->static_evidence);
}

/* ---- fatbins ------------------------------------------------------------------- */

typedef struct scan_container {
    const uint8_t *data;
    size_t size;
    enum fatbin_container_role role;
    bool relfatbin;
} scan_container;

typedef struct scan_ctx {
    triage_run *run;
    triage_file *f;
    scan_container *raw;
    size_t nraw, capraw;
} scan_ctx;

static const char *role_name(enum fatbin_container_role r)
{
    switch (r) {
    case FATBIN_ROLE_MODULE: return "module";
    case FATBIN_ROLE_LINKED: return "linked";
    case FATBIN_ROLE_UNREFERENCED: return "unreferenced";
    case FATBIN_ROLE_UNKNOWN: break;
    }
    return "unknown";
}

static bool collect_entry(const fatbin_entry *en, void *user)
{
    triage_container *c = user;
    triage_fatbin_entry *n = realloc(c->entries, (c->nentries + 1) * sizeof *n);
    if (!n)
        return false;
    c->entries = n;
    triage_fatbin_entry *t = &c->entries[c->nentries++];
    memset(t, 0, sizeof *t);
    t->kind = en->kind;
    t->arch = en->arch;
    t->ptx_major = en->ptx_major;
    t->ptx_minor = en->ptx_minor;
    t->compression = en->compression;
    t->payload_size = en->payload_size;
    t->uncompressed_size = en->uncompressed_size;
    t->flags = en->flags;
    return true;
}

static bool collect_container(const fatbin_elf_container *ec, void *user)
{
    scan_ctx *ctx = user;
    triage_file *f = ctx->f;
    if (ctx->nraw == ctx->capraw) {
        size_t ncap = ctx->capraw ? ctx->capraw * 2 : 8;
        scan_container *r = realloc(ctx->raw, ncap * sizeof *r);
        triage_container *c = realloc(f->containers, ncap * sizeof *c);
        if (r)
            ctx->raw = r;
        if (c)
            f->containers = c;
        if (!r || !c)
            return false;
        ctx->capraw = ncap;
    }
    scan_container *r = &ctx->raw[ctx->nraw++];
    r->data = ec->data;
    r->size = ec->size;
    r->role = ec->role;
    r->relfatbin = strcmp(ec->section, "__nv_relfatbin") == 0;
    triage_container *c = &f->containers[f->ncontainers++];
    memset(c, 0, sizeof *c);
    c->section = r->relfatbin ? "__nv_relfatbin" : ".nv_fatbin";
    c->index = ec->index;
    c->role = role_name(ec->role);
    c->file_offset = ec->file_offset;
    c->size = ec->size;
    char err[256] = "";
    fatbin_status st = fatbin_container_walk_msg(ec->data, ec->size, collect_entry, c, NULL,
                                                 err, sizeof err);
    if (st != FATBIN_OK)
        warn(f, "container %u: %s", ec->index, err[0] ? err : fatbin_status_name(st));
    return true;
}

/* The entry chosen for a container: the PTX of the lowest arch (what the runtime
 * translates), and the SASS archs present. */
typedef struct container_pick {
    fatbin_entry ptx;
    bool have_ptx;
    fatbin_entry elf[16];
    size_t nelf;
    uint32_t elf_archs[16];
    size_t narchs;
} container_pick;

static bool pick_entry(const fatbin_entry *en, void *user)
{
    container_pick *p = user;
    if (en->kind == FATBIN_ENTRY_PTX) {
        if (!p->have_ptx || en->arch < p->ptx.arch)
            p->ptx = *en;
        p->have_ptx = true;
    } else if (en->kind == FATBIN_ENTRY_ELF) {
        if (p->nelf < sizeof p->elf / sizeof p->elf[0])
            p->elf[p->nelf++] = *en;
        bool seen = false;
        for (size_t i = 0; i < p->narchs; i++)
            seen |= p->elf_archs[i] == en->arch;
        if (!seen && p->narchs < sizeof p->elf_archs / sizeof p->elf_archs[0])
            p->elf_archs[p->narchs++] = en->arch;
    }
    return true;
}

static void archs_text(const container_pick *p, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->narchs && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%ssm_%u", i ? "," : "",
                                 p->elf_archs[i]);
}

static uint64_t kernel_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static size_t *kernel_slot(const triage_file *f, const char *name)
{
    size_t s = kernel_hash(name) & (f->kernel_nslots - 1);
    while (f->kernel_slots[s] && strcmp(f->kernels[f->kernel_slots[s] - 1].name, name) != 0)
        s = (s + 1) & (f->kernel_nslots - 1);
    return &f->kernel_slots[s];
}

static triage_kernel *find_kernel(triage_file *f, const char *name)
{
    if (!f->kernel_nslots)
        return NULL;
    size_t *slot = kernel_slot(f, name);
    return *slot ? &f->kernels[*slot - 1] : NULL;
}

static triage_kernel *add_kernel(triage_file *f, const char *name)
{
    if (f->nkernels == f->kernels_cap) {
        size_t ncap = f->kernels_cap ? f->kernels_cap * 2 : 16;
        triage_kernel *k = realloc(f->kernels, ncap * sizeof *k);
        if (!k)
            return NULL;
        f->kernels = k;
        f->kernels_cap = ncap;
    }
    if ((f->nkernels + 1) * 2 > f->kernel_nslots) {
        size_t ns = f->kernel_nslots ? f->kernel_nslots * 2 : 64;
        size_t *slots = calloc(ns, sizeof *slots);
        if (!slots)
            return NULL;
        free(f->kernel_slots);
        f->kernel_slots = slots;
        f->kernel_nslots = ns;
        for (size_t i = 0; i < f->nkernels; i++)
            *kernel_slot(f, f->kernels[i].name) = i + 1;
    }
    triage_kernel *k = &f->kernels[f->nkernels];
    memset(k, 0, sizeof *k);
    k->name = strdup(name);
    if (!k->name)
        return NULL;
    f->nkernels++;
    *kernel_slot(f, name) = f->nkernels;
    return k;
}

/* "Cuda compilation tools, release 13.0, V13.0.88" in a cubin's .note.nv.tkinfo. */
static void note_toolkit(triage_file *f, const uint8_t *cubin, size_t size)
{
    static const char tag[] = "Cuda compilation tools, release ";
    const uint8_t *p = memmem(cubin, size, tag, sizeof tag - 1);
    if (!p)
        return;
    p += sizeof tag - 1;
    size_t left = size - (size_t)(p - cubin), n = 0;
    while (n < left && n < 16 && ((p[n] >= '0' && p[n] <= '9') || p[n] == '.'))
        n++;
    if (n == 0)
        return;
    char version[20];
    memcpy(version, p, n);
    version[n] = '\0';
    /* keep the newest toolkit seen: a program links device code of several builds */
    if (f->toolkit && strverscmp(f->toolkit, version) >= 0)
        return;
    free(f->toolkit);
    f->toolkit = strdup(version);
}

/* Kernel names of a cubin: its `.nv.info.<kernel>` sections, else `.text.<kernel>`. */
static size_t cubin_kernels(triage_file *f, const uint8_t *cubin, size_t size,
                            uint32_t container, const char *archs, bool *readable)
{
    triage_elf e;
    char err[128];
    *readable = false;
    if (!triage_elf_open(&e, cubin, size, err, sizeof err))
        return 0;
    *readable = true;
    size_t found = 0;
    for (int pass = 0; pass < 2 && found == 0; pass++) {
        const char *prefix = pass == 0 ? ".nv.info." : ".text.";
        size_t plen = strlen(prefix);
        for (uint64_t i = 1; i < e.shnum; i++) {
            triage_elf_section s;
            if (!triage_elf_section_at(&e, i, &s) || strncmp(s.name, prefix, plen) != 0 ||
                !s.name[plen])
                continue;
            const char *name = s.name + plen;
            found++;
            triage_kernel *k = find_kernel(f, name);
            if (k && k->has_ptx)
                continue;
            if (!k && !(k = add_kernel(f, name)))
                continue;
            k->container = container;
            if (!k->sass_archs || !k->sass_archs[0]) {
                free(k->sass_archs);
                k->sass_archs = strdup(archs);
            }
        }
    }
    return found;
}

/* ---- PTX inventory ----------------------------------------------------------------- */

/* The opcode with its modifiers as written: "ld.global.nc.v4.f32". */
static void opcode_token(const ptx_instr *ins, char *buf, size_t len)
{
    const char *t = ins->text ? ins->text : ins->opcode ? ins->opcode : "?";
    while (*t == ' ' || *t == '\t')
        t++;
    if (*t == '@') { /* guard */
        while (*t && *t != ' ' && *t != '\t')
            t++;
        while (*t == ' ' || *t == '\t')
            t++;
    }
    size_t n = strcspn(t, " \t;");
    if (n >= len)
        n = len - 1;
    memcpy(buf, t, n);
    buf[n] = '\0';
    if (n == 0)
        snprintf(buf, len, "%s", ins->opcode ? ins->opcode : "?");
}

static bool sreg_has_components(ptx_sreg s)
{
    switch (s) {
    case PTX_SREG_TID: case PTX_SREG_NTID: case PTX_SREG_CTAID: case PTX_SREG_NCTAID:
    case PTX_SREG_CLUSTERID: case PTX_SREG_NCLUSTERID: case PTX_SREG_CLUSTER_CTAID:
    case PTX_SREG_CLUSTER_NCTAID:
        return true;
    default:
        return false;
    }
}

static void count_sregs(triage_file *f, const ptx_operand *op, unsigned depth)
{
    if (depth > 4)
        return;
    if (op->kind == PTX_OPND_SREG) {
        char name[64];
        if (sreg_has_components(op->sreg) && op->sreg_comp < 4)
            snprintf(name, sizeof name, "%%%s.%c", ptx_sreg_name(op->sreg),
                     "xyzw"[op->sreg_comp]);
        else if (op->sreg == PTX_SREG_ENVREG || op->sreg == PTX_SREG_PM)
            snprintf(name, sizeof name, "%%%s%u", ptx_sreg_name(op->sreg), op->sreg_comp);
        else
            snprintf(name, sizeof name, "%%%s", ptx_sreg_name(op->sreg));
        triage_counter_add(&f->sregs, name, 1);
    }
    for (uint32_t i = 0; i < op->nelems && op->elems; i++)
        count_sregs(f, &op->elems[i], depth + 1);
}

/* Feature categories of the inventory (not verdicts: those come from cgen_supports). */
#define FEATURE_LIST(X)                                                              \
    X(WARP_SHUFFLE, "warp-shuffle") X(WARP_VOTE, "warp-vote") X(WARP_MATCH, "warp-match") \
    X(WARP_REDUCE, "warp-reduce") X(WARP_ACTIVEMASK, "warp-activemask")              \
    X(WARP_BARRIER, "warp-barrier") X(BLOCK_BARRIER, "block-barrier")                \
    X(MEMORY_FENCE, "memory-fence") X(ATOMICS, "atomics") X(TEXTURES, "textures")    \
    X(SURFACES, "surfaces") X(TENSOR_CORE, "tensor-core") X(ASYNC_COPY, "async-copy") \
    X(TRAP, "trap") X(NANOSLEEP, "nanosleep") X(INDIRECT_CALL, "indirect-call")      \
    X(PRINTF, "printf") X(DEVICE_MALLOC, "device-malloc") X(ASSERT, "assert")        \
    X(DEVICE_LAUNCH, "device-launch") X(STATIC_SHARED, "static-shared-memory")       \
    X(DYNAMIC_SHARED, "dynamic-shared-memory") X(LOCAL_MEMORY, "local-memory")       \
    X(CONSTANT_MEMORY, "constant-memory") X(MANAGED, "managed-variables")            \
    X(GLOBAL_VARIABLES, "global-variables")

enum {
#define X(e, s) FEAT_##e,
    FEATURE_LIST(X)
#undef X
    FEAT_COUNT,
    FEAT_NONE = -1,
};

static const char *const feature_names[] = {
#define X(e, s) s,
    FEATURE_LIST(X)
#undef X
};

static int instr_feature(const ptx_instr *ins, const char *callee)
{
    const char *op = ins->opcode ? ins->opcode : "";
    switch (op[0]) {
    case 's':
        if (strcmp(op, "shfl") == 0) return FEAT_WARP_SHUFFLE;
        if (!strcmp(op, "suld") || !strcmp(op, "sust") || !strcmp(op, "sured") ||
            !strcmp(op, "suq"))
            return FEAT_SURFACES;
        break;
    case 'v':
        if (strcmp(op, "vote") == 0) return FEAT_WARP_VOTE;
        break;
    case 'm':
        if (strcmp(op, "match") == 0) return FEAT_WARP_MATCH;
        if (strcmp(op, "membar") == 0) return FEAT_MEMORY_FENCE;
        if (strcmp(op, "mma") == 0) return FEAT_TENSOR_CORE;
        break;
    case 'r':
        if (strcmp(op, "redux") == 0) return FEAT_WARP_REDUCE;
        if (strcmp(op, "red") == 0) return FEAT_ATOMICS;
        break;
    case 'a':
        if (strcmp(op, "activemask") == 0) return FEAT_WARP_ACTIVEMASK;
        if (strcmp(op, "atom") == 0) return FEAT_ATOMICS;
        break;
    case 'b':
        if (strcmp(op, "bar") == 0 || strcmp(op, "barrier") == 0)
            return ptx_instr_has_mod(ins, "warp") ? FEAT_WARP_BARRIER : FEAT_BLOCK_BARRIER;
        break;
    case 'f':
        if (strcmp(op, "fence") == 0) return FEAT_MEMORY_FENCE;
        break;
    case 't':
        if (!strcmp(op, "tex") || !strcmp(op, "tld4") || !strcmp(op, "txq"))
            return FEAT_TEXTURES;
        if (strcmp(op, "trap") == 0) return FEAT_TRAP;
        break;
    case 'w':
        if (strcmp(op, "wmma") == 0 || strncmp(op, "wgmma", 5) == 0) return FEAT_TENSOR_CORE;
        break;
    case 'n':
        if (strcmp(op, "nanosleep") == 0) return FEAT_NANOSLEEP;
        break;
    case 'c':
        if (strcmp(op, "cp") == 0 || strncmp(op, "cp.", 3) == 0) return FEAT_ASYNC_COPY;
        if (strcmp(op, "call") != 0)
            break;
        if (!callee) return FEAT_INDIRECT_CALL;
        if (strcmp(callee, "vprintf") == 0) return FEAT_PRINTF;
        if (strcmp(callee, "malloc") == 0 || strcmp(callee, "free") == 0)
            return FEAT_DEVICE_MALLOC;
        if (strcmp(callee, "__assertfail") == 0) return FEAT_ASSERT;
        if (strncmp(callee, "__cudaCDP", 9) == 0 || strncmp(callee, "cudaLaunchDevice", 16) == 0 ||
            strncmp(callee, "cudaGetParameterBuffer", 22) == 0)
            return FEAT_DEVICE_LAUNCH;
        break;
    }
    return FEAT_NONE;
}

static bool is_shared_space(ptx_space s)
{
    return s == PTX_SPACE_SHARED || s == PTX_SPACE_SHARED_CTA || s == PTX_SPACE_SHARED_CLUSTER;
}

static int var_feature(const ptx_var *v)
{
    switch (v->space) {
    case PTX_SPACE_SHARED: case PTX_SPACE_SHARED_CTA: case PTX_SPACE_SHARED_CLUSTER:
        return v->unsized ? FEAT_DYNAMIC_SHARED : FEAT_STATIC_SHARED;
    case PTX_SPACE_CONST: return FEAT_CONSTANT_MEMORY;
    case PTX_SPACE_LOCAL: return FEAT_LOCAL_MEMORY;
    case PTX_SPACE_TEX: return FEAT_TEXTURES;
    case PTX_SPACE_GLOBAL:
        if (v->managed) return FEAT_MANAGED;
        if (v->type == PTX_TEXREF || v->type == PTX_SAMPLERREF) return FEAT_TEXTURES;
        if (v->type == PTX_SURFREF) return FEAT_SURFACES;
        return FEAT_GLOBAL_VARIABLES;
    default: return FEAT_NONE;
    }
}

static const char *callee_name(const ptx_instr *ins)
{
    if (ins->opcode && strcmp(ins->opcode, "call") == 0 && ins->nops >= 2 &&
        ins->ops[1].kind == PTX_OPND_SYMBOL)
        return ins->ops[1].symbol;
    return NULL;
}

/* Open-addressing index from names to positions in an array. */
typedef struct name_index {
    const char **names;  /* borrowed */
    uint32_t *slots;     /* position + 1; 0 = empty */
    size_t nslots;
} name_index;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* prefer(i, j): true when position i should replace j for the same name. */
static bool name_index_build(name_index *ix, const char **names, uint32_t n,
                             bool (*prefer)(const void *ctx, uint32_t i, uint32_t j),
                             const void *ctx)
{
    size_t ns = 16;
    while (ns < (size_t)n * 2)
        ns *= 2;
    ix->names = names;
    ix->nslots = ns;
    ix->slots = calloc(ns, sizeof *ix->slots);
    if (!ix->slots)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        size_t s = hash_str(names[i]) & (ns - 1);
        while (ix->slots[s] && strcmp(names[ix->slots[s] - 1], names[i]) != 0)
            s = (s + 1) & (ns - 1);
        if (!ix->slots[s] || (prefer && prefer(ctx, i, ix->slots[s] - 1)))
            ix->slots[s] = i + 1;
    }
    return true;
}

static int32_t name_index_find(const name_index *ix, const char *name)
{
    if (!name || !ix->nslots)
        return -1;
    size_t s = hash_str(name) & (ix->nslots - 1);
    while (ix->slots[s]) {
        if (strcmp(ix->names[ix->slots[s] - 1], name) == 0)
            return (int32_t)(ix->slots[s] - 1);
        s = (s + 1) & (ix->nslots - 1);
    }
    return -1;
}

/* What one function does on its own; a kernel's facts are the union over the
 * functions it reaches. */
typedef struct func_summary {
    uint32_t features;      /* bit per FEAT_ */
    uint64_t local_bytes;
    uint64_t shared_bytes;  /* its own .shared declarations */
    bool dynamic_shared;
    uint32_t *shared_vars;  /* module .shared variables it names */
    uint32_t nshared_vars;
    uint32_t *callees;      /* functions with bodies it calls directly */
    uint32_t ncallees;
    int32_t first_unsupported; /* into module_scan.unsup, chained by next_same_func */
} func_summary;

/* One unsupported instruction, kept once per (backend, function, opcode). */
typedef struct unsupported_use {
    size_t backend;
    uint32_t func;
    char opcode[96];
    char location[160];
    char why[200];
    uint32_t uses;
    int32_t next_same_func;
    int64_t first_kernel;   /* function index of the first kernel reaching it, -1 none */
    uint32_t kernels;       /* how many kernels reach it */
} unsupported_use;

/* The instruction-support decision depends only on the instruction (cgen_supports
 * takes no other context), so identical statements are asked once per module. */
typedef struct support_memo {
    const char *text;       /* the statement as written (module arena) */
    size_t backend;
    char *why;              /* NULL: supported */
} support_memo;

typedef struct module_scan {
    triage_file *f;
    const ptx_module *m;
    name_index funcs, vars;
    const char **func_names, **var_names;
    func_summary *sum;
    unsupported_use *unsup;
    size_t nunsup, capunsup;
    support_memo *memo;
    size_t memo_slots, memo_count;
} module_scan;

static bool memo_grow(module_scan *ms)
{
    size_t ns = ms->memo_slots ? ms->memo_slots * 2 : 4096;
    support_memo *n = calloc(ns, sizeof *n);
    if (!n)
        return false;
    for (size_t i = 0; i < ms->memo_slots; i++) {
        if (!ms->memo[i].text)
            continue;
        size_t s = (hash_str(ms->memo[i].text) + ms->memo[i].backend) & (ns - 1);
        while (n[s].text)
            s = (s + 1) & (ns - 1);
        n[s] = ms->memo[i];
    }
    free(ms->memo);
    ms->memo = n;
    ms->memo_slots = ns;
    return true;
}

/* Whether backend b supports the instruction; `why` receives the reason when not. */
static bool instr_supported(module_scan *ms, const triage_backend *be, size_t b,
                            const ptx_instr *ins, char *why, size_t whylen)
{
    if (!ins->text) /* no key: ask every time */
        return be->instr_supported(ins, why, whylen);
    if (ms->memo_count * 2 >= ms->memo_slots && !memo_grow(ms))
        return be->instr_supported(ins, why, whylen);
    size_t s = (hash_str(ins->text) + b) & (ms->memo_slots - 1);
    while (ms->memo[s].text) {
        if (ms->memo[s].backend == b && strcmp(ms->memo[s].text, ins->text) == 0) {
            if (!ms->memo[s].why)
                return true;
            snprintf(why, whylen, "%s", ms->memo[s].why);
            return false;
        }
        s = (s + 1) & (ms->memo_slots - 1);
    }
    bool ok = be->instr_supported(ins, why, whylen);
    char *reason = NULL;
    if (!ok && !(reason = strdup(why[0] ? why : "not supported")))
        return ok;
    ms->memo[s].text = ins->text;
    ms->memo[s].backend = b;
    ms->memo[s].why = reason;
    ms->memo_count++;
    return ok;
}

static bool prefer_definition(const void *ctx, uint32_t i, uint32_t j)
{
    const ptx_module *m = ctx;
    return m->funcs[i].has_body && !m->funcs[j].has_body;
}

static void append_u32(uint32_t **arr, uint32_t *n, uint32_t v)
{
    for (uint32_t i = 0; i < *n; i++)
        if ((*arr)[i] == v)
            return;
    uint32_t *a = realloc(*arr, (*n + 1) * sizeof *a);
    if (!a)
        return;
    a[(*n)++] = v;
    *arr = a;
}

static void note_symbols(module_scan *ms, func_summary *s, const ptx_operand *op, unsigned depth)
{
    if (depth > 4)
        return;
    if ((op->kind == PTX_OPND_SYMBOL || op->kind == PTX_OPND_ADDR) && op->symbol) {
        int32_t vi = name_index_find(&ms->vars, op->symbol);
        if (vi >= 0) {
            const ptx_var *v = &ms->m->vars[vi];
            if (is_shared_space(v->space))
                append_u32(&s->shared_vars, &s->nshared_vars, (uint32_t)vi);
            else if (v->type == PTX_TEXREF || v->type == PTX_SAMPLERREF)
                s->features |= 1u << FEAT_TEXTURES;
            else if (v->type == PTX_SURFREF)
                s->features |= 1u << FEAT_SURFACES;
        }
    }
    for (uint32_t i = 0; i < op->nelems && op->elems; i++)
        note_symbols(ms, s, &op->elems[i], depth + 1);
}

static void record_unsupported(module_scan *ms, size_t b, uint32_t fi, const ptx_instr *ins,
                               const char *opc, const char *why)
{
    func_summary *s = &ms->sum[fi];
    for (int32_t i = s->first_unsupported; i >= 0; i = ms->unsup[i].next_same_func) {
        unsupported_use *u = &ms->unsup[i];
        if (u->backend == b && strcmp(u->opcode, opc) == 0) {
            u->uses++;
            return;
        }
    }
    if (ms->nunsup == ms->capunsup) {
        size_t ncap = ms->capunsup ? ms->capunsup * 2 : 8;
        unsupported_use *n = realloc(ms->unsup, ncap * sizeof *n);
        if (!n)
            return;
        ms->unsup = n;
        ms->capunsup = ncap;
    }
    unsupported_use *u = &ms->unsup[ms->nunsup];
    memset(u, 0, sizeof *u);
    u->backend = b;
    u->func = fi;
    snprintf(u->opcode, sizeof u->opcode, "%s", opc);
    ptx_instr_location(ms->m, ins, u->location, sizeof u->location);
    snprintf(u->why, sizeof u->why, "%s", why);
    u->uses = 1;
    u->first_kernel = -1;
    u->next_same_func = s->first_unsupported;
    s->first_unsupported = (int32_t)ms->nunsup;
    ms->nunsup++;
}

/* "a.b.c" (b optional) without printf: this runs once per instruction. */
static void join_key(char *out, size_t len, const char *a, const char *b, const char *c)
{
    size_t n = 0;
    const char *parts[3] = { a, b, c };
    for (int i = 0; i < 3; i++) {
        if (!parts[i])
            continue;
        if (n && n + 1 < len)
            out[n++] = '.';
        for (const char *p = parts[i]; *p && n + 1 < len; p++)
            out[n++] = *p;
    }
    out[n] = '\0';
}

/* Whole-module pass: counts, per-function summaries, unsupported instructions. */
static void inventory_functions(triage_run *run, module_scan *ms)
{
    triage_file *f = ms->f;
    const ptx_module *m = ms->m;
    for (uint32_t vi = 0; vi < m->nvars; vi++) {
        int feat = var_feature(&m->vars[vi]);
        if (feat != FEAT_NONE)
            triage_counter_add(&f->features, feature_names[feat], 1);
    }
    for (uint32_t fi = 0; fi < m->nfuncs; fi++) {
        const ptx_function *fn = &m->funcs[fi];
        func_summary *s = &ms->sum[fi];
        s->first_unsupported = -1;
        if (!fn->has_body)
            continue;
        for (uint32_t vi = 0; vi < fn->nvars; vi++) {
            const ptx_var *v = &fn->vars[vi];
            int feat = v->space == PTX_SPACE_PARAM ? FEAT_NONE : var_feature(v);
            if (feat != FEAT_NONE)
                triage_counter_add(&f->features, feature_names[feat], 1);
            if (v->space == PTX_SPACE_LOCAL)
                s->local_bytes += v->size;
            else if (is_shared_space(v->space) && v->unsized)
                s->dynamic_shared = true;
            else if (is_shared_space(v->space))
                s->shared_bytes += v->size;
        }
        for (uint32_t ii = 0; ii < fn->ninstrs; ii++) {
            const ptx_instr *ins = &fn->instrs[ii];
            char opc[96];
            opcode_token(ins, opc, sizeof opc);
            triage_counter_add(&f->opcodes, opc, 1);
            f->instructions++;
            const char *op = ins->opcode ? ins->opcode : "";
            if (ins->space != PTX_SPACE_GENERIC) {
                char key[96];
                join_key(key, sizeof key, op, ptx_instr_has_mod(ins, "to") ? "to" : NULL,
                         ptx_space_name(ins->space));
                triage_counter_add(&f->spaces, key, 1);
            } else if (!strcmp(op, "ld") || !strcmp(op, "st") || !strcmp(op, "atom") ||
                       !strcmp(op, "red")) {
                char key[96];
                join_key(key, sizeof key, op, NULL, "generic");
                triage_counter_add(&f->spaces, key, 1);
            }
            for (uint32_t oi = 0; oi < ins->nops && ins->ops; oi++) {
                count_sregs(f, &ins->ops[oi], 0);
                note_symbols(ms, s, &ins->ops[oi], 0);
            }
            const char *callee = callee_name(ins);
            if (callee) {
                int32_t ci = name_index_find(&ms->funcs, callee);
                if (ci < 0 || !m->funcs[ci].has_body)
                    triage_counter_add(&f->calls, callee, 1);
                else
                    append_u32(&s->callees, &s->ncallees, (uint32_t)ci);
            } else if (!strcmp(op, "call")) {
                triage_counter_add(&f->calls, "(indirect)", 1);
            }
            int feat = instr_feature(ins, callee);
            if (feat != FEAT_NONE) {
                s->features |= 1u << feat;
                triage_counter_add(&f->features, feature_names[feat], 1);
            }
            for (size_t b = 0; b < run->nbackends; b++) {
                const triage_backend *be = &run->backends[b];
                if (!be->instr_supported)
                    continue;
                char why[200] = "";
                if (!instr_supported(ms, be, b, ins, why, sizeof why))
                    record_unsupported(ms, b, fi, ins, opc, why[0] ? why : "not supported");
            }
        }
        if (s->local_bytes)
            s->features |= 1u << FEAT_LOCAL_MEMORY;
    }
}

/* Kernels times reachable functions visited, beyond which kernels are judged by
 * their own bodies only (a pathological call graph must not stall the scan). */
#define TRIAGE_REACH_BUDGET 50000000ull

static void kernel_facts(module_scan *ms, uint32_t kfi, triage_kernel *k, const uint32_t *list,
                         size_t n, uint32_t *var_stamp, uint32_t stamp)
{
    const ptx_module *m = ms->m;
    uint32_t features = 0;
    for (size_t i = 0; i < n; i++) {
        const func_summary *s = &ms->sum[list[i]];
        features |= s->features;
        k->local_bytes += s->local_bytes;
        k->shared_bytes += s->shared_bytes;
        k->dynamic_shared |= s->dynamic_shared;
        k->instructions += m->funcs[list[i]].ninstrs;
        for (uint32_t j = 0; j < s->nshared_vars; j++) {
            uint32_t vi = s->shared_vars[j];
            if (var_stamp[vi] == stamp)
                continue; /* named by several functions: count it once */
            var_stamp[vi] = stamp;
            if (m->vars[vi].unsized)
                k->dynamic_shared = true;
            else
                k->shared_bytes += m->vars[vi].size;
        }
    }
    if (k->shared_bytes)
        features |= 1u << FEAT_STATIC_SHARED;
    if (k->dynamic_shared)
        features |= 1u << FEAT_DYNAMIC_SHARED;
    for (int b = 0; b < FEAT_COUNT; b++)
        if (features & (1u << b))
            triage_strlist_add(&k->features, feature_names[b]);
    const ptx_function *fn = &m->funcs[kfi];
    for (uint32_t ii = 0; ii < fn->ninstrs && !k->source; ii++) {
        if (!fn->instrs[ii].loc_file)
            continue;
        char loc[160];
        ptx_instr_location(m, &fn->instrs[ii], loc, sizeof loc);
        char *colon = strrchr(loc, ':');
        if (!colon || strncmp(loc, "ptx line", 8) == 0)
            break;
        *colon = '\0';
        k->source = strdup(loc);
    }
}

/* Unsupported instructions become blockers: in a kernel directly, or in a device
 * function through the kernels that reach it (one that no kernel calls never runs). */
static void unsupported_to_blockers(module_scan *ms)
{
    const ptx_module *m = ms->m;
    for (size_t i = 0; i < ms->nunsup; i++) {
        const unsupported_use *u = &ms->unsup[i];
        const ptx_function *fn = &m->funcs[u->func];
        char more[32] = "";
        if (u->uses > 1)
            snprintf(more, sizeof more, ", %u uses", u->uses);
        if (fn->is_entry) {
            triage_issue_add(&ms->f->blockers[u->backend], "ptx-instruction",
                             "PTX instruction `%s` in kernel %s (%s%s): %s", u->opcode,
                             fn->name, u->location, more, u->why);
            continue;
        }
        if (u->first_kernel < 0)
            continue;
        char tail[64] = "";
        if (u->kernels > 1)
            snprintf(tail, sizeof tail, " and %u more", u->kernels - 1);
        triage_issue_add(&ms->f->blockers[u->backend], "ptx-instruction",
                         "PTX instruction `%s` in device function %s (%s%s), called by "
                         "kernel %s%s: %s", u->opcode, fn->name, u->location, more,
                         m->funcs[u->first_kernel].name, tail, u->why);
    }
}

static void inventory_module(triage_run *run, triage_file *f, const ptx_module *m,
                             uint32_t container, uint32_t ptx_arch, const char *sass_archs)
{
    module_scan ms;
    memset(&ms, 0, sizeof ms);
    ms.f = f;
    ms.m = m;
    size_t nf = m->nfuncs ? m->nfuncs : 1, nv = m->nvars ? m->nvars : 1;
    ms.sum = calloc(nf, sizeof *ms.sum);
    ms.func_names = calloc(nf, sizeof *ms.func_names);
    ms.var_names = calloc(nv, sizeof *ms.var_names);
    uint32_t *stamp = calloc(nf, sizeof *stamp);
    uint32_t *list = calloc(nf, sizeof *list);
    uint32_t *var_stamp = calloc(nv, sizeof *var_stamp);
    if (!ms.sum || !ms.func_names || !ms.var_names || !stamp || !list || !var_stamp) {
        warn(f, "out of memory inventorying a PTX module");
        goto out;
    }
    for (uint32_t i = 0; i < m->nfuncs; i++)
        ms.func_names[i] = m->funcs[i].name;
    for (uint32_t i = 0; i < m->nvars; i++)
        ms.var_names[i] = m->vars[i].name;
    if (!name_index_build(&ms.funcs, ms.func_names, m->nfuncs, prefer_definition, m) ||
        !name_index_build(&ms.vars, ms.var_names, m->nvars, NULL, NULL)) {
        warn(f, "out of memory inventorying a PTX module");
        goto out;
    }
    inventory_functions(run, &ms);

    uint64_t budget = TRIAGE_REACH_BUDGET;
    bool warned = false;
    uint32_t generation = 0;
    for (uint32_t fi = 0; fi < m->nfuncs; fi++) {
        const ptx_function *fn = &m->funcs[fi];
        if (!fn->is_entry || !fn->has_body)
            continue;
        /* the functions this kernel reaches over direct calls, itself first */
        generation++;
        size_t n = 0;
        list[n++] = fi;
        stamp[fi] = generation;
        for (size_t at = 0; at < n && budget; at++, budget--) {
            const func_summary *s = &ms.sum[list[at]];
            for (uint32_t c = 0; c < s->ncallees; c++) {
                uint32_t callee = s->callees[c];
                if (stamp[callee] != generation) {
                    stamp[callee] = generation;
                    list[n++] = callee;
                }
            }
        }
        if (!budget && !warned) {
            warn(f, "call graph too large: later kernels are judged by their own bodies");
            warned = true;
            n = 1;
        }
        for (size_t i = 0; i < n; i++)
            for (int32_t u = ms.sum[list[i]].first_unsupported; u >= 0;
                 u = ms.unsup[u].next_same_func) {
                if (ms.unsup[u].first_kernel < 0)
                    ms.unsup[u].first_kernel = fi;
                ms.unsup[u].kernels++;
            }
        triage_kernel *kern = find_kernel(f, fn->name);
        if (kern && kern->has_ptx)
            continue; /* the same kernel in another module (template instance) */
        if (!kern && !(kern = add_kernel(f, fn->name)))
            continue;
        kern->has_ptx = true;
        kern->ptx_arch = ptx_arch;
        kern->container = container;
        free(kern->sass_archs);
        kern->sass_archs = strdup(sass_archs ? sass_archs : "");
        kern->param_bytes = fn->param_bytes;
        kernel_facts(&ms, fi, kern, list, n, var_stamp, generation);
    }
    unsupported_to_blockers(&ms);
out:
    for (uint32_t i = 0; ms.sum && i < m->nfuncs; i++) {
        free(ms.sum[i].shared_vars);
        free(ms.sum[i].callees);
    }
    free(ms.sum);
    free(ms.func_names);
    free(ms.var_names);
    free(ms.funcs.slots);
    free(ms.vars.slots);
    free(ms.unsup);
    for (size_t i = 0; i < ms.memo_slots; i++)
        free(ms.memo[i].why);
    free(ms.memo);
    free(stamp);
    free(list);
    free(var_stamp);
}

/* Add a blocker for every backend (problems no backend can get past). */
static void block_all(triage_run *run, triage_file *f, const char *category, const char *msg)
{
    for (size_t b = 0; b < run->nbackends; b++)
        triage_issue_add(&f->blockers[b], category, "%s", msg);
}

static ptx_module *parse_container_ptx(triage_run *run, triage_file *f, uint32_t index,
                                       const fatbin_entry *ptx)
{
    char msg[600];
    if (ptx->uncompressed_size > TRIAGE_MAX_DEVICE_PAYLOAD ||
        ptx->payload_size > TRIAGE_MAX_DEVICE_PAYLOAD) {
        snprintf(msg, sizeof msg, "PTX of container %u (%" PRIu64 " bytes) is too large to "
                 "examine", index, ptx->uncompressed_size);
        block_all(run, f, "ptx-parse", msg);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    char err[400] = "";
    fatbin_status st = fatbin_entry_payload_msg(ptx, &text, &len, err, sizeof err);
    if (st != FATBIN_OK) {
        snprintf(msg, sizeof msg, "PTX of container %u (sm_%u) cannot be read: %s", index,
                 ptx->arch, err[0] ? err : fatbin_status_name(st));
        block_all(run, f, "ptx-parse", msg);
        return NULL;
    }
    ptx_module *m = ptx_parse(text, len, err, sizeof err);
    free(text);
    if (!m) {
        snprintf(msg, sizeof msg, "PTX of container %u (sm_%u) does not parse: %s", index,
                 ptx->arch, err);
        block_all(run, f, "ptx-parse", msg);
        return NULL;
    }
    f->ptx_modules++;
    return m;
}

/* SASS-only container: name its kernels from the cubins when they can be read. */
static void sass_only_container(triage_file *f, uint32_t index, const container_pick *p)
{
    char archs[128];
    archs_text(p, archs, sizeof archs);
    size_t named = 0;
    bool any_readable = false;
    /* the kernels are the same in every arch's cubin: one readable cubin suffices */
    for (size_t i = 0; i < p->nelf && !any_readable; i++) {
        const fatbin_entry *en = &p->elf[i];
        if (en->uncompressed_size > TRIAGE_MAX_DEVICE_PAYLOAD)
            continue;
        char *cubin = NULL;
        size_t len = 0;
        if (en->compression == FATBIN_COMP_NONE) {
            note_toolkit(f, en->payload, (size_t)en->payload_size);
            named = cubin_kernels(f, en->payload, (size_t)en->payload_size, index, archs,
                                  &any_readable);
            continue;
        }
        if (fatbin_entry_payload_msg(en, &cubin, &len, NULL, 0) != FATBIN_OK)
            continue;
        note_toolkit(f, (const uint8_t *)cubin, len);
        named = cubin_kernels(f, (const uint8_t *)cubin, len, index, archs, &any_readable);
        free(cubin);
    }
    char note[256];
    if (named)
        snprintf(note, sizeof note, "container %u: SASS only for %s, %zu kernel%s", index,
                 archs, named, named == 1 ? "" : "s");
    else if (any_readable)
        snprintf(note, sizeof note, "container %u: SASS only for %s, no kernels", index, archs);
    else
        snprintf(note, sizeof note, "container %u: SASS only for %s, kernel names unavailable",
                 index, archs);
    triage_strlist_add(&f->sass_only_notes, note);
}

static void process_device_code(triage_run *run, triage_file *f, scan_ctx *ctx)
{
    ptx_module **rdc = NULL;
    uint32_t *rdc_index = NULL, *rdc_arch = NULL;
    size_t nrdc = 0;
    char *rdc_archs = NULL;
    /* Linking holds every parsed input and the linked copy at once (about twenty
     * times the PTX text each); past a budget, modules are inventoried one by one. */
    uint64_t rdc_ptx_bytes = 0;
    size_t rdc_containers = 0;
    for (size_t i = 0; i < ctx->nraw; i++) {
        container_pick pick;
        memset(&pick, 0, sizeof pick);
        if (ctx->raw[i].relfatbin &&
            fatbin_container_walk(ctx->raw[i].data, ctx->raw[i].size, pick_entry, &pick,
                                  NULL) == FATBIN_OK && pick.have_ptx) {
            rdc_ptx_bytes += pick.ptx.uncompressed_size;
            rdc_containers++;
        }
    }
    /* an object file's separately compiled code is completed by the final link: its
     * unresolved references are expected, so it is not linked here */
    bool object = f->elf_type && strcmp(f->elf_type, "object") == 0;
    bool link = rdc_ptx_bytes <= TRIAGE_LINK_BUDGET && !object;
    if (object && rdc_containers)
        warn(f, "object file: references between separately compiled modules are "
             "resolved by the final link, not checked here");
    else if (!link)
        warn(f, "the PTX of %zu separately compiled containers (%" PRIu64 " MiB) is too large "
             "to link for triage: each is inventoried alone and references between them "
             "are not checked", rdc_containers, rdc_ptx_bytes >> 20);
    for (size_t i = 0; i < ctx->nraw; i++) {
        const scan_container *r = &ctx->raw[i];
        triage_container *c = &f->containers[i];
        container_pick pick;
        memset(&pick, 0, sizeof pick);
        if (fatbin_container_walk(r->data, r->size, pick_entry, &pick, NULL) != FATBIN_OK)
            continue;
        for (size_t j = 0; j < pick.nelf; j++)
            if (pick.elf[j].compression == FATBIN_COMP_NONE)
                note_toolkit(f, pick.elf[j].payload, (size_t)pick.elf[j].payload_size);
        if (r->role == FATBIN_ROLE_LINKED)
            continue; /* device-linked SASS: its kernels come from the prelinked PTX */
        size_t before = f->nkernels;
        char archs[128];
        archs_text(&pick, archs, sizeof archs);
        if (!pick.have_ptx) {
            if (pick.nelf)
                sass_only_container(f, c->index, &pick);
            c->kernels = (uint32_t)(f->nkernels - before);
            continue;
        }
        ptx_module *m = parse_container_ptx(run, f, c->index, &pick.ptx);
        if (!m)
            continue;
        if (r->relfatbin && link) {
            ptx_module **nm = realloc(rdc, (nrdc + 1) * sizeof *nm);
            uint32_t *ni = realloc(rdc_index, (nrdc + 1) * sizeof *ni);
            if (nm)
                rdc = nm;
            if (ni)
                rdc_index = ni;
            uint32_t *na = realloc(rdc_arch, (nrdc + 1) * sizeof *na);
            if (na)
                rdc_arch = na;
            if (!nm || !ni || !na) {
                ptx_module_free(m);
                continue;
            }
            rdc[nrdc] = m;
            rdc_index[nrdc] = c->index;
            rdc_arch[nrdc] = pick.ptx.arch;
            nrdc++;
            if (!rdc_archs)
                rdc_archs = strdup(archs);
            continue;
        }
        inventory_module(run, f, m, c->index, pick.ptx.arch, archs);
        c->kernels = (uint32_t)(f->nkernels - before);
        ptx_module_free(m);
    }
    if (nrdc) {
        /* Separate compilation: the per-file modules reference each other and run
         * only as one linked module, as the runtime links them. */
        char err[400] = "";
        ptx_module *linked = ptx_link(rdc, (uint32_t)nrdc, err, sizeof err);
        if (!linked) {
            char msg[500];
            snprintf(msg, sizeof msg, "PTX of the %zu separately compiled containers does not "
                     "link: %s", nrdc, err);
            block_all(run, f, "ptx-link", msg);
            /* still inventory each part, so the report lists what is there */
            for (size_t i = 0; i < nrdc; i++)
                inventory_module(run, f, rdc[i], rdc_index[i], rdc_arch[i], rdc_archs);
        } else {
            size_t before = f->nkernels;
            inventory_module(run, f, linked, rdc_index[0], rdc_arch[0], rdc_archs);
            ptx_module_free(linked);
            /* attribute kernels to the container whose module defines them */
            for (size_t k = before; k < f->nkernels; k++)
                for (size_t i = 0; i < nrdc; i++) {
                    const ptx_function *fn = ptx_find_function(rdc[i], f->kernels[k].name);
                    if (fn && fn->has_body) {
                        f->kernels[k].container = rdc_index[i];
                        f->kernels[k].ptx_arch = rdc_arch[i];
                        break;
                    }
                }
        }
        for (size_t k = 0; k < f->nkernels; k++)
            for (size_t i = 0; i < f->ncontainers; i++)
                if (f->containers[i].index == f->kernels[k].container &&
                    strcmp(f->containers[i].section, "__nv_relfatbin") == 0 &&
                    f->kernels[k].has_ptx)
                    f->containers[i].kernels++;
    }
    for (size_t i = 0; i < nrdc; i++)
        ptx_module_free(rdc[i]);
    free(rdc);
    free(rdc_index);
    free(rdc_arch);
    free(rdc_archs);
    for (size_t k = 0; k < f->nkernels; k++)
        if (!f->kernels[k].has_ptx)
            f->sass_only_kernels++;
}

static void scan_fatbins(triage_run *run, triage_file *f, const uint8_t *image, size_t size)
{
    scan_ctx ctx = { .run = run, .f = f };
    fatbin_elf_info info;
    char err[400] = "";
    fatbin_status st = fatbin_elf_scan(image, size, collect_container, &ctx, &info, err,
                                       sizeof err);
    f->wrappers_v1 = info.wrappers_v1;
    f->wrappers_v2 = info.wrappers_v2;
    if (st != FATBIN_OK && st != FATBIN_ERR_NOT_ELF) {
        f->fatbin_error = strdup(err[0] ? err : fatbin_status_name(st));
        char msg[500];
        snprintf(msg, sizeof msg, "fatbin: %s", err[0] ? err : fatbin_status_name(st));
        block_all(run, f, "fatbin", msg);
    }
    process_device_code(run, f, &ctx);
    free(ctx.raw);
}

/* ---- one file -------------------------------------------------------------------- */

static const char *elf_type_name(const triage_elf *e)
{
    triage_elf_section interp;
    switch (e->type) {
    case 1: return "object";
    case 2: return "executable";
    case 3: /* a position-independent executable names its program interpreter */
        return triage_elf_find(e, ".interp", 0, &interp) ? "pie-executable" : "shared-library";
    case 4: return "core";
    default: return "other";
    }
}

bool triage_scan_file(triage_run *run, triage_file *f)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        f->state = TRIAGE_FILE_UNREADABLE;
        f->error = dup_printf("cannot open: %s", strerror(errno));
        return true;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        close(fd);
        if (!S_ISREG(st.st_mode))
            return false;
        f->state = TRIAGE_FILE_UNREADABLE;
        f->error = dup_printf("cannot stat: %s", strerror(e));
        return true;
    }
    f->size = (uint64_t)st.st_size;
    if (st.st_size < 4 || (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return false;
    }
    unsigned char magic[4];
    ssize_t got = pread(fd, magic, 4, 0);
    if (got < 0) {
        f->state = TRIAGE_FILE_UNREADABLE;
        f->error = dup_printf("cannot read: %s", strerror(errno));
        close(fd);
        return true;
    }
    if (got != 4 || !triage_elf_magic(magic, 4)) {
        close(fd);
        return false;
    }
    size_t size = (size_t)st.st_size;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED) {
        f->state = TRIAGE_FILE_UNREADABLE;
        f->error = dup_printf("cannot map: %s", strerror(map_errno));
        return true;
    }
    bool elf = triage_scan_image(run, f, map, size);
    munmap(map, size);
    return elf;
}

bool triage_scan_image(triage_run *run, triage_file *f, const void *map, size_t size)
{
    if (!triage_elf_magic(map, size))
        return false;
    f->size = size;
    triage_elf e;
    char err[256];
    if (!triage_elf_open(&e, map, size, err, sizeof err)) {
        f->state = TRIAGE_FILE_MALFORMED;
        f->error = strdup(err);
        return true;
    }
    if (e.machine != 62 /* x86-64 */ && e.machine != 190 /* CUDA: a bare cubin */)
        warn(f, "machine %u is not x86-64", e.machine);
    if (e.shnum == 0)
        warn(f, "no section headers: imports and fatbins cannot be located");
    read_dynamic(f, &e);
    f->elf_type = elf_type_name(&e);
    read_imports(f, &e);
    detect_static_runtime(f, &e);
    scan_fatbins(run, f, map, size);

    f->is_cuda = f->cudart_shared_major || f->cudart_static || f->is_cudart_itself ||
                 f->driver_api || f->libraries.count || f->nimports || f->ncontainers ||
                 f->driver_imports.count;
    return true;
}
