/* fatbin.h: reading the device code nvcc embeds in a binary: the fatbin wrapper
 * (v1, or v2 for separate compilation), its containers and their entries (PTX
 * text or ELF cubin, possibly zstd- or LZ4-compressed). Layouts: shared/CUDA_ABI.md
 * section 4. Every reader is bounded by the sizes it is given and fails with a
 * named error rather than reading past them. */
#ifndef CUSHIM_FATBIN_H
#define CUSHIM_FATBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FATBIN_WRAPPER_MAGIC 0x466243B1u
#define FATBIN_CONTAINER_MAGIC 0xBA55ED50u

enum fatbin_entry_kind {
    FATBIN_ENTRY_PTX = 1,
    FATBIN_ENTRY_ELF = 2,
    FATBIN_ENTRY_LTOIR = 8,  /* NVVM IR for link-time optimisation (code=lto_XX) */
};

enum fatbin_compression { FATBIN_COMP_NONE = 0, FATBIN_COMP_LZ4, FATBIN_COMP_ZSTD };

typedef enum fatbin_status {
    FATBIN_OK = 0,
    FATBIN_ERR_BAD_WRAPPER,    /* wrapper magic/version wrong */
    FATBIN_ERR_BAD_CONTAINER,  /* container magic/version/header wrong */
    FATBIN_ERR_TRUNCATED,      /* a size points past the end of the data */
    FATBIN_ERR_DECOMPRESS,     /* payload does not decompress to its declared size */
    FATBIN_ERR_TOO_LARGE,      /* a declared size exceeds FATBIN_MAX_PAYLOAD */
    FATBIN_ERR_NO_PTX,         /* no PTX entry (SASS only) */
    FATBIN_ERR_NOMEM,
    FATBIN_ERR_NOT_ELF,        /* fatbin_elf_scan: not a little-endian ELF64 file */
} fatbin_status;

/* Upper bound on any one decompressed payload: a lying size field must not become a
 * huge allocation. */
#define FATBIN_MAX_PAYLOAD (1024u * 1024u * 1024u)

const char *fatbin_status_name(fatbin_status s);

/* One entry of a container, pointing into the caller's memory. */
typedef struct fatbin_entry {
    enum fatbin_entry_kind kind;
    uint32_t arch;                 /* 75, 80, 90 ... */
    uint16_t ptx_major, ptx_minor; /* PTX ISA version (PTX entries) */
    uint64_t flags;
    enum fatbin_compression compression;
    const uint8_t *payload;        /* as stored (possibly compressed) */
    uint64_t payload_size;         /* bytes stored */
    uint64_t uncompressed_size;    /* bytes after decompression */
    const char *name;              /* entry name (with -G), or NULL; not NUL-terminated */
    uint32_t name_len;
    const char *options;           /* ptxas options stored with the entry, or NULL;
                                    * not NUL-terminated */
    uint32_t options_len;
} fatbin_entry;

/* Walk a container at `data` (at most `avail` bytes readable; pass the section size,
 * or SIZE_MAX only when the container's own fat_size is to be trusted). Calls `fn` for
 * each entry; stops early when fn returns false. *consumed receives the container's
 * total size (header + entries). */
fatbin_status fatbin_container_walk(const void *data, size_t avail,
                                    bool (*fn)(const fatbin_entry *e, void *user),
                                    void *user, size_t *consumed);

/* Decompress (or copy) an entry's payload into a new NUL-terminated buffer; *out_len
 * excludes the terminator. Free with free(). */
fatbin_status fatbin_entry_payload(const fatbin_entry *e, char **out, size_t *out_len);

/* The wrapper nvcc registers with __cudaRegisterFatBinary. */
typedef struct fatbin_wrapper {
    uint32_t magic;
    uint32_t version;       /* 1: data is a container; 2: data is device-linked cubin */
    const void *data;
    const void *const *prelinked; /* v2: NULL-terminated list of per-file containers */
} fatbin_wrapper;

/* The PTX texts a registered wrapper provides: one for v1, one per prelinked container
 * for v2 (these must then be linked together). For each container the PTX entry with
 * the lowest arch is chosen. */
typedef struct fatbin_ptx_set {
    char **ptx;          /* NUL-terminated PTX texts */
    size_t *len;
    uint32_t *arch;
    uint32_t count;
    bool has_sass_only;  /* some container held ELF entries but no PTX */
} fatbin_ptx_set;

/* Extract from an in-memory wrapper (the pointer the program registered). Containers
 * are trusted for their own fat_size (they live in the program's image). */
fatbin_status fatbin_extract_ptx(const void *wrapper, fatbin_ptx_set *out,
                                 char *err, size_t errlen);
void fatbin_ptx_set_free(fatbin_ptx_set *s);

/* Extraction result, precisely: v1 without a PTX entry -> FATBIN_ERR_NO_PTX, with
 * has_sass_only set when it holds SASS and `err` naming the SASS archs (or saying it
 * holds only LTO IR). v2 -> one text per prelinked container that has PTX; containers
 * holding only SASS set has_sass_only; when none has PTX the result is
 * FATBIN_ERR_NO_PTX. On any error `out` is left empty.
 *
 * Entry fields as the walk reports them: for a compressed entry payload_size is the
 * exact compressed length (the stored payload is padded to 8 bytes) and
 * uncompressed_size the declared size, which counts PTX's terminating NUL; for an
 * uncompressed entry both are the stored size. fatbin_entry_payload's *out_len of a
 * PTX entry stops at the first NUL. LTO IR entries (flag 0x10000) use an undocumented
 * encoding: their payload is refused with FATBIN_ERR_DECOMPRESS. */

/* As fatbin_container_walk / fatbin_entry_payload, writing a one-line reason for a
 * failure into err (which may be NULL). */
fatbin_status fatbin_container_walk_msg(const void *data, size_t avail,
                                        bool (*fn)(const fatbin_entry *e, void *user),
                                        void *user, size_t *consumed,
                                        char *err, size_t errlen);
fatbin_status fatbin_entry_payload_msg(const fatbin_entry *e, char **out, size_t *out_len,
                                       char *err, size_t errlen);

/* Names for messages and reports: "ptx", "elf", "ltoir" ("unknown" for other kinds);
 * "none", "lz4", "zstd". */
const char *fatbin_entry_kind_name(enum fatbin_entry_kind k);
const char *fatbin_compression_name(enum fatbin_compression c);

/* ---- Reading fatbins from an ELF file without running it (triage, the CLI). ---- */

/* What points at a container found in a file. */
enum fatbin_container_role {
    FATBIN_ROLE_UNKNOWN = 0,  /* wrappers could not be resolved (relocatable object) */
    FATBIN_ROLE_MODULE,       /* a translation unit's own code (PTX/SASS of its kernels):
                               * the data of a v1 wrapper, or any __nv_relfatbin container */
    FATBIN_ROLE_LINKED,       /* the data of a v2 wrapper: device-linked SASS only */
    FATBIN_ROLE_UNREFERENCED, /* in .nv_fatbin, but no wrapper points at it */
};

typedef struct fatbin_elf_container {
    const char *section;      /* ".nv_fatbin" or "__nv_relfatbin" */
    uint32_t index;           /* 0, 1, ... over the whole file, in file order */
    uint64_t file_offset;     /* of the container header in the image */
    uint64_t vaddr;           /* its address once loaded (0 in relocatable objects) */
    const void *data;         /* points into the image; walk it with avail = size */
    size_t size;              /* header + entries (already validated entry by entry) */
    enum fatbin_container_role role;
} fatbin_elf_container;

typedef struct fatbin_elf_info {
    bool has_nv_fatbin;       /* section .nv_fatbin present */
    bool has_relfatbin;       /* section __nv_relfatbin present (built with -rdc) */
    bool has_segment;         /* section .nvFatBinSegment present */
    uint32_t wrappers_v1, wrappers_v2; /* wrappers found in .nvFatBinSegment */
    uint32_t containers;      /* containers reported to the callback */
} fatbin_elf_info;

/* Locate the fatbin sections of an ELF64 little-endian image (an executable, shared
 * library or object file read into memory, `size` bytes) and call `fn` for each
 * container, in file order; stops early when fn returns false. Section headers,
 * names, section extents and every container are bounds-checked: a malformed one
 * stops the scan with its status and a message naming the section and offset
 * (containers before it have been reported). A file without fatbin sections is
 * FATBIN_OK with info->containers == 0. `fn`, `info` and `err` may be NULL. */
fatbin_status fatbin_elf_scan(const void *image, size_t size,
                              bool (*fn)(const fatbin_elf_container *c, void *user),
                              void *user, fatbin_elf_info *info, char *err, size_t errlen);

#endif
