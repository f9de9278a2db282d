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

enum fatbin_entry_kind { FATBIN_ENTRY_PTX = 1, FATBIN_ENTRY_ELF = 2 };

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

#endif
