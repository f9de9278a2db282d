/* fatbin.c: reader for nvcc's fatbin wrapper, containers and entries, and for the
 * fatbin sections of an ELF file (see fatbin.h; layouts in shared/CUDA_ABI.md sec. 4).
 * All input may be hostile: every offset and size is checked before it is used. */
#include "translate/fatbin.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <lz4.h>
#include <zstd.h>

#define CONTAINER_HEADER_MIN 16u
#define ENTRY_HEADER_MIN 0x40u
#define ENTRY_FLAG_LZ4 0x2000u
#define ENTRY_FLAG_ZSTD 0x8000u
/* Set on LTO IR entries, whose payload is then not a plain zstd/LZ4 stream (nvcc 13). */
#define ENTRY_FLAG_ENCODED 0x10000u
/* A v2 wrapper's prelinked list must end within this many pointers: a missing NULL
 * must not make us walk the program's memory. */
#define FATBIN_MAX_PRELINKED 65536u
#define WRAPPER_SIZE 24u

/* ------------------------------------------------------------------ helpers */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

static fatbin_status fail(fatbin_status st, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static fatbin_status fail(fatbin_status st, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* Prefix an existing message in err with context ("container 2: ..."). */
static void prefix_msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void prefix_msg(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    char prefix[160], old[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    snprintf(old, sizeof old, "%s", err);
    snprintf(err, errlen, "%s%s", prefix, old);
}

const char *fatbin_status_name(fatbin_status s)
{
    switch (s) {
    case FATBIN_OK: return "ok";
    case FATBIN_ERR_BAD_WRAPPER: return "bad fatbin wrapper";
    case FATBIN_ERR_BAD_CONTAINER: return "bad fatbin container";
    case FATBIN_ERR_TRUNCATED: return "truncated fatbin";
    case FATBIN_ERR_DECOMPRESS: return "fatbin entry does not decompress";
    case FATBIN_ERR_TOO_LARGE: return "fatbin size too large";
    case FATBIN_ERR_NO_PTX: return "no PTX in fatbin (SASS only)";
    case FATBIN_ERR_NOMEM: return "out of memory";
    case FATBIN_ERR_NOT_ELF: return "not an ELF64 little-endian file";
    }
    return "unknown fatbin status";
}

const char *fatbin_entry_kind_name(enum fatbin_entry_kind k)
{
    switch (k) {
    case FATBIN_ENTRY_PTX: return "ptx";
    case FATBIN_ENTRY_ELF: return "elf";
    case FATBIN_ENTRY_LTOIR: return "ltoir";
    }
    return "unknown";
}

const char *fatbin_compression_name(enum fatbin_compression c)
{
    switch (c) {
    case FATBIN_COMP_NONE: return "none";
    case FATBIN_COMP_LZ4: return "lz4";
    case FATBIN_COMP_ZSTD: return "zstd";
    }
    return "unknown";
}

/* ------------------------------------------------------------------ containers */

/* Decode the entry header at `p` (`room` bytes readable up to the container's end). */
static fatbin_status parse_entry(const uint8_t *p, uint64_t room, fatbin_entry *e,
                                 uint64_t *entry_total, char *err, size_t errlen)
{
    if (room < ENTRY_HEADER_MIN)
        return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                    "entry header needs %u bytes, only %" PRIu64 " left in the container",
                    ENTRY_HEADER_MIN, room);
    uint32_t header_size = rd32(p + 0x04);
    uint64_t payload_size = rd64(p + 0x08);
    uint32_t compressed_size = rd32(p + 0x10);
    uint32_t options_off = rd32(p + 0x14);
    uint32_t name_off = rd32(p + 0x20), name_len = rd32(p + 0x24);
    uint64_t flags = rd64(p + 0x28);
    uint64_t uncompressed_size = rd64(p + 0x38);

    if (header_size < ENTRY_HEADER_MIN)
        return fail(FATBIN_ERR_BAD_CONTAINER, err, errlen,
                    "entry header size %" PRIu32 " is below the minimum %u", header_size,
                    ENTRY_HEADER_MIN);
    if (header_size > room)
        return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                    "entry header size %" PRIu32 " runs past the container end (%" PRIu64
                    " bytes left)", header_size, room);
    if (payload_size > room - header_size)
        return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                    "entry payload size %" PRIu64 " runs past the container end (%" PRIu64
                    " bytes left)", payload_size, room - header_size);
    if (compressed_size > payload_size)
        return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                    "entry compressed size %" PRIu32 " exceeds its payload size %" PRIu64,
                    compressed_size, payload_size);
    if ((flags & ENTRY_FLAG_LZ4) && (flags & ENTRY_FLAG_ZSTD))
        return fail(FATBIN_ERR_BAD_CONTAINER, err, errlen,
                    "entry flags 0x%" PRIx64 " claim both LZ4 and zstd compression", flags);
    if (name_len && ((uint64_t)name_off + name_len > header_size || name_off < ENTRY_HEADER_MIN))
        return fail(FATBIN_ERR_BAD_CONTAINER, err, errlen,
                    "entry name (offset %" PRIu32 ", length %" PRIu32
                    ") lies outside its %" PRIu32 "-byte header", name_off, name_len, header_size);

    memset(e, 0, sizeof *e);
    e->kind = (enum fatbin_entry_kind)rd16(p);
    e->arch = rd32(p + 0x1c);
    e->ptx_minor = rd16(p + 0x18);
    e->ptx_major = rd16(p + 0x1a);
    e->flags = flags;
    e->payload = p + header_size;
    if (flags & (ENTRY_FLAG_LZ4 | ENTRY_FLAG_ZSTD)) {
        e->compression = (flags & ENTRY_FLAG_LZ4) ? FATBIN_COMP_LZ4 : FATBIN_COMP_ZSTD;
        /* The stored payload is padded; compressed_size is the exact frame length. */
        e->payload_size = compressed_size ? compressed_size : payload_size;
        e->uncompressed_size = uncompressed_size;
    } else {
        e->compression = FATBIN_COMP_NONE;
        e->payload_size = payload_size;
        e->uncompressed_size = payload_size;
    }
    if (name_len) {
        e->name = (const char *)p + name_off;
        e->name_len = name_len;
    }
    /* The options descriptor is {u32 offset, u32 length} inside the header. */
    if (options_off) {
        if ((uint64_t)options_off + 8 > header_size)
            return fail(FATBIN_ERR_BAD_CONTAINER, err, errlen,
                        "entry options descriptor at %" PRIu32 " lies outside its %" PRIu32
                        "-byte header", options_off, header_size);
        uint32_t opt_at = rd32(p + options_off), opt_len = rd32(p + options_off + 4);
        if (opt_len) {
            if ((uint64_t)opt_at + opt_len > header_size || opt_at < ENTRY_HEADER_MIN)
                return fail(FATBIN_ERR_BAD_CONTAINER, err, errlen,
                            "entry options (offset %" PRIu32 ", length %" PRIu32
                            ") lie outside its %" PRIu32 "-byte header",
                            opt_at, opt_len, header_size);
            e->options = (const char *)p + opt_at;
            e->options_len = opt_len;
        }
    }
    *entry_total = (uint64_t)header_size + payload_size;
    return FATBIN_OK;
}

fatbin_status fatbin_container_walk_msg(const void *data, size_t avail,
                                        bool (*fn)(const fatbin_entry *e, void *user),
                                        void *user, size_t *consumed,
                                        char *err, size_t errlen)
{
    if (consumed)
        *consumed = 0;
    if (!data)
        return fail(FATBIN_ERR_BAD_CONTAINER, err, errlen, "fatbin container pointer is NULL");
    const uint8_t *p = data;
    if (avail < CONTAINER_HEADER_MIN)
        return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                    "container header needs %u bytes, only %zu available",
                    CONTAINER_HEADER_MIN, avail);
    uint32_t magic = rd32(p);
    if (magic != FATBIN_CONTAINER_MAGIC)
        return fail(FATBIN_ERR_BAD_CONTAINER, err, errlen,
                    "container magic 0x%08" PRIx32 " (expected 0x%08x)", magic,
                    FATBIN_CONTAINER_MAGIC);
    uint16_t version = rd16(p + 4), header_size = rd16(p + 6);
    uint64_t fat_size = rd64(p + 8);
    if (version != 1)
        return fail(FATBIN_ERR_BAD_CONTAINER, err, errlen,
                    "container version %u (only version 1 is known)", version);
    if (header_size < CONTAINER_HEADER_MIN)
        return fail(FATBIN_ERR_BAD_CONTAINER, err, errlen,
                    "container header size %u is below the minimum %u", header_size,
                    CONTAINER_HEADER_MIN);
    if (fat_size > FATBIN_MAX_PAYLOAD)
        return fail(FATBIN_ERR_TOO_LARGE, err, errlen,
                    "container size %" PRIu64 " exceeds the limit of %u bytes", fat_size,
                    FATBIN_MAX_PAYLOAD);
    uint64_t total = header_size + fat_size;
    if (total > avail)
        return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                    "container of %" PRIu64 " bytes runs past the end of its data (%zu bytes)",
                    total, avail);

    uint64_t pos = header_size;
    unsigned index = 0;
    bool go_on = true;
    while (pos < total && go_on) {
        fatbin_entry e;
        uint64_t entry_total = 0;
        fatbin_status st = parse_entry(p + pos, total - pos, &e, &entry_total, err, errlen);
        if (st != FATBIN_OK) {
            prefix_msg(err, errlen, "entry %u at offset %" PRIu64 ": ", index, pos);
            return st;
        }
        if (fn)
            go_on = fn(&e, user);
        pos += entry_total;
        index++;
    }
    if (consumed)
        *consumed = (size_t)total;
    return FATBIN_OK;
}

fatbin_status fatbin_container_walk(const void *data, size_t avail,
                                    bool (*fn)(const fatbin_entry *e, void *user),
                                    void *user, size_t *consumed)
{
    return fatbin_container_walk_msg(data, avail, fn, user, consumed, NULL, 0);
}

static size_t text_length(const char *buf, size_t n)
{
    const char *nul = memchr(buf, '\0', n);
    return nul ? (size_t)(nul - buf) : n;
}

/* Decompress a zstd entry declaring n bytes. The buffer grows with the output actually
 * produced (from a size in proportion to the payload), so a frame header or entry that
 * lies about its size costs no more memory than the data it really holds. One byte of
 * room beyond n detects a stream longer than declared. */
static fatbin_status zstd_payload(const fatbin_entry *e, uint64_t n, char **out,
                                  size_t *out_len, char *err, size_t errlen)
{
    size_t limit = (size_t)n + 1;
    size_t cap = (size_t)e->payload_size * 8u;
    if (cap < 65536u)
        cap = 65536u;
    if (cap > limit)
        cap = limit;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    char *buf = malloc(cap);
    if (!dctx || !buf) {
        ZSTD_freeDCtx(dctx);
        free(buf);
        return fail(FATBIN_ERR_NOMEM, err, errlen, "cannot allocate %zu bytes", cap);
    }
    ZSTD_inBuffer in = { e->payload, (size_t)e->payload_size, 0 };
    size_t got = 0;
    fatbin_status st = FATBIN_OK;
    for (;;) {
        size_t in_before = in.pos, got_before = got;
        ZSTD_outBuffer o = { buf, cap, got };
        size_t r = ZSTD_decompressStream(dctx, &o, &in);
        got = o.pos;
        if (ZSTD_isError(r)) {
            st = fail(FATBIN_ERR_DECOMPRESS, err, errlen, "zstd entry: %s",
                      ZSTD_getErrorName(r));
            break;
        }
        if (got > n) {
            st = fail(FATBIN_ERR_DECOMPRESS, err, errlen,
                      "zstd entry decompresses to more than its declared %" PRIu64 " bytes", n);
            break;
        }
        if (r == 0 && in.pos == in.size)
            break; /* every frame complete */
        if (got == cap) {
            size_t bigger = cap > limit / 2 ? limit : cap * 2;
            char *grown = realloc(buf, bigger);
            if (!grown) {
                st = fail(FATBIN_ERR_NOMEM, err, errlen, "cannot allocate %zu bytes", bigger);
                break;
            }
            buf = grown;
            cap = bigger;
            continue;
        }
        if (in.pos == in.size || (in.pos == in_before && got == got_before)) {
            st = fail(FATBIN_ERR_DECOMPRESS, err, errlen,
                      "zstd entry (%" PRIu64 " bytes) ends inside a frame: truncated",
                      e->payload_size);
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    if (st == FATBIN_OK && got != n)
        st = fail(FATBIN_ERR_DECOMPRESS, err, errlen,
                  "zstd entry decompresses to %zu bytes, declared %" PRIu64, got, n);
    if (st == FATBIN_OK && cap < limit) {
        char *exact = realloc(buf, limit);
        if (!exact)
            st = fail(FATBIN_ERR_NOMEM, err, errlen, "cannot allocate %zu bytes", limit);
        else
            buf = exact;
    }
    if (st != FATBIN_OK) {
        free(buf);
        return st;
    }
    buf[n] = '\0';
    if (out_len)
        *out_len = e->kind == FATBIN_ENTRY_PTX ? text_length(buf, (size_t)n) : (size_t)n;
    *out = buf;
    return FATBIN_OK;
}

fatbin_status fatbin_entry_payload_msg(const fatbin_entry *e, char **out, size_t *out_len,
                                       char *err, size_t errlen)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    if (e->flags & ENTRY_FLAG_ENCODED)
        return fail(FATBIN_ERR_DECOMPRESS, err, errlen,
                    "%s entry for sm_%" PRIu32 " is stored in an undocumented encoding "
                    "(flags 0x%" PRIx64 ") and cannot be read", fatbin_entry_kind_name(e->kind),
                    e->arch, e->flags);
    uint64_t n = e->compression == FATBIN_COMP_NONE ? e->payload_size : e->uncompressed_size;
    if (n > FATBIN_MAX_PAYLOAD)
        return fail(FATBIN_ERR_TOO_LARGE, err, errlen,
                    "entry size %" PRIu64 " exceeds the limit of %u bytes", n,
                    FATBIN_MAX_PAYLOAD);
    if (e->compression != FATBIN_COMP_NONE) {
        if (n == 0)
            return fail(FATBIN_ERR_DECOMPRESS, err, errlen,
                        "%s-compressed entry declares an uncompressed size of 0",
                        fatbin_compression_name(e->compression));
        if (e->payload_size > FATBIN_MAX_PAYLOAD)
            return fail(FATBIN_ERR_TOO_LARGE, err, errlen,
                        "compressed entry size %" PRIu64 " exceeds the limit of %u bytes",
                        e->payload_size, FATBIN_MAX_PAYLOAD);
    }
    if (e->compression == FATBIN_COMP_ZSTD) {
        /* A frame that states its own size must agree before we allocate for it. */
        unsigned long long frame = ZSTD_getFrameContentSize(e->payload, e->payload_size);
        if (frame == ZSTD_CONTENTSIZE_ERROR)
            return fail(FATBIN_ERR_DECOMPRESS, err, errlen,
                        "zstd entry (%" PRIu64 " bytes) is not a valid zstd frame",
                        e->payload_size);
        if (frame != ZSTD_CONTENTSIZE_UNKNOWN && frame != n)
            return fail(FATBIN_ERR_DECOMPRESS, err, errlen,
                        "zstd frame holds %llu bytes but the entry declares %" PRIu64, frame, n);
    }

    /* LZ4 expands at most 255:1 (a sequence of one token byte and length bytes of 255
     * each): a declared size beyond that is a lie, refused before it becomes a huge
     * allocation. */
    if (e->compression == FATBIN_COMP_LZ4 && n > e->payload_size * 255u + 64u)
        return fail(FATBIN_ERR_DECOMPRESS, err, errlen,
                    "LZ4 entry of %" PRIu64 " bytes cannot hold the %" PRIu64
                    " bytes it declares", e->payload_size, n);
    if (e->compression == FATBIN_COMP_ZSTD)
        return zstd_payload(e, n, out, out_len, err, errlen);

    char *buf = malloc((size_t)n + 1);
    if (!buf)
        return fail(FATBIN_ERR_NOMEM, err, errlen, "cannot allocate %" PRIu64 " bytes", n + 1);

    switch (e->compression) {
    case FATBIN_COMP_NONE:
        memcpy(buf, e->payload, (size_t)n);
        break;
    case FATBIN_COMP_LZ4: {
        /* Both sizes are below FATBIN_MAX_PAYLOAD (1 GiB), so they fit in an int. */
        int r = LZ4_decompress_safe((const char *)e->payload, buf, (int)e->payload_size, (int)n);
        if (r < 0 || (uint64_t)r != n) {
            free(buf);
            if (r < 0)
                return fail(FATBIN_ERR_DECOMPRESS, err, errlen,
                            "LZ4 entry (%" PRIu64 " bytes) is corrupt or larger than its "
                            "declared %" PRIu64 " bytes", e->payload_size, n);
            return fail(FATBIN_ERR_DECOMPRESS, err, errlen,
                        "LZ4 entry decompresses to %d bytes, declared %" PRIu64, r, n);
        }
        break;
    }
    default:
        free(buf);
        return fail(FATBIN_ERR_BAD_CONTAINER, err, errlen, "unknown compression %d",
                    (int)e->compression);
    }
    buf[n] = '\0';
    if (out_len)
        /* PTX text is NUL-terminated and padded with NULs; binaries keep every byte. */
        *out_len = e->kind == FATBIN_ENTRY_PTX ? text_length(buf, (size_t)n) : (size_t)n;
    *out = buf;
    return FATBIN_OK;
}

fatbin_status fatbin_entry_payload(const fatbin_entry *e, char **out, size_t *out_len)
{
    return fatbin_entry_payload_msg(e, out, out_len, NULL, 0);
}

/* ------------------------------------------------------------------ wrappers */

/* How many of the `want` bytes at p can be read without faulting. A registered wrapper
 * and its containers live in the program's memory, and nothing but their own size
 * fields bounds them: a size that lies (a damaged or hostile binary) must end in an
 * error, not in a fault past the end of the mapping. process_vm_readv on our own
 * process reports an unreadable page as a short count instead of a signal; one byte
 * per page is probed, in batches. Where the system refuses the call (a seccomp filter),
 * the sizes are trusted as before. */
static size_t readable_prefix(const void *p, size_t want)
{
    enum { BATCH = 64 };
    long ps = sysconf(_SC_PAGESIZE);
    uintptr_t page = ps > 0 ? (uintptr_t)ps : 4096u;
    uintptr_t start = (uintptr_t)p;
    if (want == 0)
        return 0;
    if (start + want < start)
        want = (size_t)(UINTPTR_MAX - start);
    uintptr_t end = start + want;
    uintptr_t at = start;  /* next byte to probe: p itself, then page starts */
    char sink[BATCH];
    while (at < end) {
        struct iovec local = { sink, 0 }, remote[BATCH];
        unsigned n = 0;
        for (uintptr_t q = at; n < BATCH && q < end; n++) {
            remote[n].iov_base = (void *)q;
            remote[n].iov_len = 1;
            q = (q & ~(page - 1)) + page;
            if (q < at)
                break; /* wrapped around the address space */
        }
        local.iov_len = n;
        ssize_t got = process_vm_readv(getpid(), &local, 1, remote, n, 0);
        if (got < 0 && errno != EFAULT)
            return want; /* cannot probe: trust the sizes */
        if (got < 0)
            got = 0;
        if ((unsigned)got < n) {
            /* remote[got] is the first unreadable page. */
            uintptr_t bad = (uintptr_t)remote[got].iov_base;
            return (size_t)(bad - start);
        }
        uintptr_t last = (uintptr_t)remote[n - 1].iov_base;
        uintptr_t next = (last & ~(page - 1)) + page;
        if (next <= at)
            break;
        at = next;
    }
    return want;
}

/* What one container offers: its lowest-arch PTX entry and the SASS archs. */
typedef struct container_scan {
    fatbin_entry best_ptx;
    bool have_ptx;
    uint32_t sass_arch[8];
    unsigned sass_count;
    bool has_ltoir;
} container_scan;

static bool pick_ptx(const fatbin_entry *e, void *user)
{
    container_scan *cs = user;
    if (e->kind == FATBIN_ENTRY_PTX) {
        if (!cs->have_ptx || e->arch < cs->best_ptx.arch) {
            cs->best_ptx = *e;
            cs->have_ptx = true;
        }
    } else if (e->kind == FATBIN_ENTRY_LTOIR) {
        cs->has_ltoir = true;
    } else if (e->kind == FATBIN_ENTRY_ELF) {
        for (unsigned i = 0; i < cs->sass_count; i++)
            if (cs->sass_arch[i] == e->arch)
                return true;
        if (cs->sass_count < sizeof cs->sass_arch / sizeof cs->sass_arch[0])
            cs->sass_arch[cs->sass_count++] = e->arch;
    }
    return true;
}

static void format_sass_archs(const container_scan *cs, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < cs->sass_count && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%ssm_%" PRIu32, i ? ", " : "",
                         cs->sass_arch[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static fatbin_status set_append(fatbin_ptx_set *s, char *text, size_t len, uint32_t arch)
{
    uint32_t n = s->count + 1;
    char **ptx = realloc(s->ptx, n * sizeof *ptx);
    if (!ptx)
        return FATBIN_ERR_NOMEM;
    s->ptx = ptx;
    size_t *lens = realloc(s->len, n * sizeof *lens);
    if (!lens)
        return FATBIN_ERR_NOMEM;
    s->len = lens;
    uint32_t *archs = realloc(s->arch, n * sizeof *archs);
    if (!archs)
        return FATBIN_ERR_NOMEM;
    s->arch = archs;
    s->ptx[s->count] = text;
    s->len[s->count] = len;
    s->arch[s->count] = arch;
    s->count = n;
    return FATBIN_OK;
}

/* Add the PTX of one container to the set. When it has none, *sass_only tells
 * whether it holds SASS, and sass_desc lists those archs (or notes LTO IR); sass_desc
 * is empty otherwise. */
static fatbin_status extract_container(const void *container, fatbin_ptx_set *out,
                                       bool *sass_only, char *sass_desc, size_t desc_len,
                                       char *err, size_t errlen)
{
    container_scan cs;
    memset(&cs, 0, sizeof cs);
    *sass_only = false;
    sass_desc[0] = '\0';
    /* Containers registered by the program live in its own image: their fat_size is
     * all there is to bound them (capped by FATBIN_MAX_PAYLOAD in the walk), and a
     * fat_size that lies is caught by what memory is readable there. */
    size_t avail = readable_prefix(container, CONTAINER_HEADER_MIN);
    if (avail < CONTAINER_HEADER_MIN)
        return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                    "container at %p: only %zu of its %u header bytes are readable memory",
                    container, avail, CONTAINER_HEADER_MIN);
    const uint8_t *h = container;
    uint64_t declared = (uint64_t)rd16(h + 6) + rd64(h + 8);
    if (rd64(h + 8) <= FATBIN_MAX_PAYLOAD)
        avail = readable_prefix(container, (size_t)declared);
    else
        avail = SIZE_MAX; /* refused by the walk as too large */
    fatbin_status st = fatbin_container_walk_msg(container, avail, pick_ptx, &cs, NULL,
                                                 err, errlen);
    if (st == FATBIN_ERR_TRUNCATED && avail < declared)
        prefix_msg(err, errlen, "container at %p declares %" PRIu64 " bytes but only %zu are "
                   "readable memory: ", container, declared, avail);
    if (st != FATBIN_OK)
        return st;
    if (!cs.have_ptx) {
        *sass_only = cs.sass_count > 0;
        format_sass_archs(&cs, sass_desc, desc_len);
        if (!*sass_only && cs.has_ltoir)
            snprintf(sass_desc, desc_len, ", only LTO IR (code=lto_XX), which cannot be "
                     "translated");
        return FATBIN_OK;
    }
    char *text;
    size_t len;
    st = fatbin_entry_payload_msg(&cs.best_ptx, &text, &len, err, errlen);
    if (st != FATBIN_OK) {
        prefix_msg(err, errlen, "PTX entry for sm_%" PRIu32 ": ", cs.best_ptx.arch);
        return st;
    }
    st = set_append(out, text, len, cs.best_ptx.arch);
    if (st != FATBIN_OK) {
        free(text);
        return fail(st, err, errlen, "out of memory collecting PTX texts");
    }
    return FATBIN_OK;
}

fatbin_status fatbin_extract_ptx(const void *wrapper, fatbin_ptx_set *out,
                                 char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    if (!wrapper)
        return fail(FATBIN_ERR_BAD_WRAPPER, err, errlen, "fatbin wrapper pointer is NULL");
    if (readable_prefix(wrapper, WRAPPER_SIZE) < WRAPPER_SIZE)
        return fail(FATBIN_ERR_BAD_WRAPPER, err, errlen,
                    "fatbin wrapper at %p is not readable memory", wrapper);
    fatbin_wrapper w;
    memcpy(&w, wrapper, sizeof w);
    if (w.magic != FATBIN_WRAPPER_MAGIC)
        return fail(FATBIN_ERR_BAD_WRAPPER, err, errlen,
                    "fatbin wrapper magic 0x%08" PRIx32 " (expected 0x%08x)", w.magic,
                    FATBIN_WRAPPER_MAGIC);

    fatbin_status st = FATBIN_OK;
    char sass[96];
    bool sass_only = false;
    if (w.version == 1) {
        if (!w.data)
            return fail(FATBIN_ERR_BAD_WRAPPER, err, errlen,
                        "fatbin wrapper (version 1) has no container");
        st = extract_container(w.data, out, &sass_only, sass, sizeof sass, err, errlen);
        if (st == FATBIN_OK && out->count == 0) {
            out->has_sass_only = sass_only;
            st = fail(FATBIN_ERR_NO_PTX, err, errlen,
                      sass_only ? "the fatbin holds no PTX, only SASS for %s: kernels cannot be "
                                  "translated (rebuild with -gencode arch=compute_XX,code=compute_XX "
                                  "to embed PTX)"
                                : "the fatbin holds no PTX%s",
                      sass);
        }
    } else if (w.version == 2) {
        if (!w.prelinked)
            return fail(FATBIN_ERR_NO_PTX, err, errlen,
                        "fatbin wrapper (version 2, separate compilation) has no list of "
                        "per-file containers");
        uint32_t i;
        bool lto_only = false;
        for (i = 0; i < FATBIN_MAX_PRELINKED; i++) {
            if (readable_prefix(&w.prelinked[i], sizeof w.prelinked[i]) < sizeof w.prelinked[i]) {
                st = fail(FATBIN_ERR_BAD_WRAPPER, err, errlen,
                          "fatbin wrapper (version 2): prelinked list entry %" PRIu32
                          " at %p is not readable memory", i, (const void *)&w.prelinked[i]);
                break;
            }
            if (!w.prelinked[i])
                break;
            st = extract_container(w.prelinked[i], out, &sass_only, sass, sizeof sass,
                                   err, errlen);
            if (st != FATBIN_OK) {
                prefix_msg(err, errlen, "prelinked container %" PRIu32 ": ", i);
                break;
            }
            if (sass_only)
                out->has_sass_only = true;
            else if (sass[0])
                lto_only = true;
        }
        if (st == FATBIN_OK && i == FATBIN_MAX_PRELINKED)
            st = fail(FATBIN_ERR_BAD_WRAPPER, err, errlen,
                      "fatbin wrapper (version 2): prelinked list has no NULL terminator "
                      "within %u entries", FATBIN_MAX_PRELINKED);
        else if (st == FATBIN_OK && out->count == 0)
            st = fail(FATBIN_ERR_NO_PTX, err, errlen,
                      "none of the %" PRIu32 " per-file containers of this separately "
                      "compiled (-rdc) fatbin holds PTX%s", i,
                      out->has_sass_only ? ": SASS only, kernels cannot be translated"
                      : lto_only ? ": LTO IR only (code=lto_XX), which cannot be translated"
                                 : "");
    } else {
        return fail(FATBIN_ERR_BAD_WRAPPER, err, errlen,
                    "fatbin wrapper version %" PRIu32 " (known: 1, 2)", w.version);
    }
    if (st != FATBIN_OK) {
        bool keep_flag = out->has_sass_only;
        fatbin_ptx_set_free(out);
        out->has_sass_only = keep_flag;
    }
    return st;
}

void fatbin_ptx_set_free(fatbin_ptx_set *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->count; i++)
        free(s->ptx[i]);
    free(s->ptx);
    free(s->len);
    free(s->arch);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ ELF files */

#define ELF_SHT_RELA 4u
#define ELF_SHT_NOBITS 8u
#define ELF_ET_REL 1u
#define ELF_SHN_XINDEX 0xffffu
#define ELF_R_X86_64_RELATIVE 8u
#define ELF_SHDR_SIZE 64u
#define ELF_RELA_SIZE 24u
/* Wrappers recorded to give containers a role; beyond this, roles may read unknown. */
#define MAX_WRAPPERS 4096u

typedef struct elf_section {
    const char *name;
    uint32_t type;
    uint64_t addr, offset, size, link, info;
} elf_section;

typedef struct elf_file {
    const uint8_t *image;
    size_t size;
    uint16_t type;
    uint64_t shoff, shnum;
    const uint8_t *names;  /* section name string table */
    uint64_t names_size;
} elf_file;

typedef struct wrapper_ref {
    uint32_t version;
    uint64_t slot_addr;  /* where its data pointer is stored once loaded */
    uint64_t data_addr;  /* the container it points at */
} wrapper_ref;

static void read_shdr(const elf_file *f, uint64_t i, elf_section *s)
{
    const uint8_t *h = f->image + f->shoff + i * ELF_SHDR_SIZE;
    s->name = NULL;
    s->type = rd32(h + 4);
    s->addr = rd64(h + 16);
    s->offset = rd64(h + 24);
    s->size = rd64(h + 32);
    s->link = rd32(h + 40);
    s->info = rd32(h + 44);
    if (f->names) {
        uint32_t at = rd32(h);
        if (at < f->names_size && memchr(f->names + at, '\0', f->names_size - at))
            s->name = (const char *)f->names + at;
    }
}

static bool section_in_image(const elf_file *f, const elf_section *s)
{
    return s->type == ELF_SHT_NOBITS || (s->offset <= f->size && s->size <= f->size - s->offset);
}

/* Section headers and the name table, bounds-checked. */
static fatbin_status elf_open(elf_file *f, const void *image, size_t size, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->image = image;
    f->size = size;
    const uint8_t *p = image;
    if (!image || size < 64 || memcmp(p, "\177ELF", 4) != 0)
        return fail(FATBIN_ERR_NOT_ELF, err, errlen, "not an ELF file");
    if (p[4] != 2)
        return fail(FATBIN_ERR_NOT_ELF, err, errlen, "32-bit ELF file (only ELF64 holds CUDA "
                    "x86-64 code)");
    if (p[5] != 1)
        return fail(FATBIN_ERR_NOT_ELF, err, errlen, "big-endian ELF file");
    f->type = rd16(p + 16);
    f->shoff = rd64(p + 0x28);
    uint16_t shentsize = rd16(p + 0x3a);
    f->shnum = rd16(p + 0x3c);
    uint64_t shstrndx = rd16(p + 0x3e);
    if (f->shoff == 0)
        return fail(FATBIN_ERR_NOT_ELF, err, errlen,
                    "ELF file has no section headers: fatbins cannot be located");
    if (shentsize != ELF_SHDR_SIZE)
        return fail(FATBIN_ERR_NOT_ELF, err, errlen, "ELF section header size %u (expected %u)",
                    shentsize, ELF_SHDR_SIZE);
    if (f->shoff > size || size - f->shoff < ELF_SHDR_SIZE)
        return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                    "ELF section headers at offset %" PRIu64 " lie past the end of the file "
                    "(%zu bytes)", f->shoff, size);
    /* Extended numbering: the real counts live in section 0. */
    elf_section s0;
    read_shdr(f, 0, &s0);
    if (f->shnum == 0)
        f->shnum = s0.size;
    if (shstrndx == ELF_SHN_XINDEX)
        shstrndx = s0.link;
    if (f->shnum > (size - f->shoff) / ELF_SHDR_SIZE)
        return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                    "ELF file declares %" PRIu64 " section headers at offset %" PRIu64
                    ", past the end of the file (%zu bytes)", f->shnum, f->shoff, size);
    if (shstrndx >= f->shnum)
        return fail(FATBIN_ERR_NOT_ELF, err, errlen,
                    "ELF section name table index %" PRIu64 " is out of range (%" PRIu64
                    " sections)", shstrndx, f->shnum);
    elf_section names;
    read_shdr(f, shstrndx, &names);
    if (names.type == ELF_SHT_NOBITS || !section_in_image(f, &names))
        return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                    "ELF section name table (offset %" PRIu64 ", %" PRIu64
                    " bytes) lies past the end of the file", names.offset, names.size);
    f->names = f->image + names.offset;
    f->names_size = names.size;
    return FATBIN_OK;
}

static int compare_slots(const void *a, const void *b)
{
    const wrapper_ref *x = a, *y = b;
    return x->slot_addr < y->slot_addr ? -1 : x->slot_addr > y->slot_addr;
}

static int compare_targets(const void *a, const void *b)
{
    const wrapper_ref *x = a, *y = b;
    return x->data_addr < y->data_addr ? -1 : x->data_addr > y->data_addr;
}

/* Wrappers whose data pointer the linker left zero in a position-independent file
 * (the value then lives only in a R_X86_64_RELATIVE relocation): one pass over the
 * relocations, each looked up among the wrappers' slots. */
static void resolve_relocations(const elf_file *f, wrapper_ref *refs, uint32_t nrefs)
{
    bool any = false;
    for (uint32_t k = 0; k < nrefs; k++)
        any |= refs[k].data_addr == 0;
    if (!any)
        return;
    qsort(refs, nrefs, sizeof *refs, compare_slots);
    for (uint64_t i = 0; i < f->shnum; i++) {
        elf_section s;
        read_shdr(f, i, &s);
        if (s.type != ELF_SHT_RELA || !section_in_image(f, &s))
            continue;
        const uint8_t *r = f->image + s.offset;
        for (uint64_t k = 0; k + ELF_RELA_SIZE <= s.size; k += ELF_RELA_SIZE) {
            if ((rd64(r + k + 8) & 0xffffffffu) != ELF_R_X86_64_RELATIVE)
                continue;
            wrapper_ref key = { .slot_addr = rd64(r + k) };
            wrapper_ref *hit = bsearch(&key, refs, nrefs, sizeof *refs, compare_slots);
            if (hit && hit->data_addr == 0)
                hit->data_addr = rd64(r + k + 16);
        }
    }
}

static void collect_wrappers(const elf_file *f, const elf_section *seg, wrapper_ref *refs,
                             uint32_t *nrefs, fatbin_elf_info *info)
{
    const uint8_t *p = f->image + seg->offset;
    for (uint64_t off = 0; off + WRAPPER_SIZE <= seg->size; off += 8) {
        if (rd32(p + off) != FATBIN_WRAPPER_MAGIC)
            continue;
        uint32_t version = rd32(p + off + 4);
        if (version == 1)
            info->wrappers_v1++;
        else if (version == 2)
            info->wrappers_v2++;
        else
            continue;
        if (*nrefs < MAX_WRAPPERS) {
            refs[*nrefs].version = version;
            refs[*nrefs].slot_addr = seg->addr + off + 8;
            refs[*nrefs].data_addr = rd64(p + off + 8);
            (*nrefs)++;
        }
        off += WRAPPER_SIZE - 8;
    }
}

static bool is_container_section(const char *name)
{
    return name && (strcmp(name, ".nv_fatbin") == 0 || strcmp(name, "__nv_relfatbin") == 0);
}

fatbin_status fatbin_elf_scan(const void *image, size_t size,
                              bool (*fn)(const fatbin_elf_container *c, void *user),
                              void *user, fatbin_elf_info *info, char *err, size_t errlen)
{
    fatbin_elf_info local_info;
    if (!info)
        info = &local_info;
    memset(info, 0, sizeof *info);
    if (err && errlen)
        err[0] = '\0';

    elf_file f;
    fatbin_status st = elf_open(&f, image, size, err, errlen);
    if (st != FATBIN_OK)
        return st;

    wrapper_ref *refs = NULL;
    uint32_t nrefs = 0;
    for (uint64_t i = 0; i < f.shnum; i++) {
        elf_section s;
        read_shdr(&f, i, &s);
        bool segment = s.name && strcmp(s.name, ".nvFatBinSegment") == 0;
        if (!segment && !is_container_section(s.name))
            continue;
        if (s.type == ELF_SHT_NOBITS || !section_in_image(&f, &s)) {
            free(refs);
            return fail(FATBIN_ERR_TRUNCATED, err, errlen,
                        "section %s (offset %" PRIu64 ", %" PRIu64 " bytes) has no contents "
                        "in the file (%zu bytes)", s.name, s.offset, s.size, size);
        }
        if (strcmp(s.name, ".nv_fatbin") == 0)
            info->has_nv_fatbin = true;
        else if (!segment)
            info->has_relfatbin = true;
        if (!segment)
            continue;
        info->has_segment = true;
        if (!refs && !(refs = calloc(MAX_WRAPPERS, sizeof *refs)))
            return fail(FATBIN_ERR_NOMEM, err, errlen, "out of memory reading fatbin wrappers");
        collect_wrappers(&f, &s, refs, &nrefs, info);
    }
    /* In object files addresses are not final; roles of .nv_fatbin stay unknown. */
    bool roles_known = info->has_segment && f.type != ELF_ET_REL;
    if (roles_known) {
        resolve_relocations(&f, refs, nrefs);
        qsort(refs, nrefs, sizeof *refs, compare_targets);
    }

    bool go_on = true;
    for (uint64_t i = 0; i < f.shnum && go_on; i++) {
        elf_section s;
        read_shdr(&f, i, &s);
        if (!is_container_section(s.name))
            continue;
        bool rel = strcmp(s.name, "__nv_relfatbin") == 0;
        const uint8_t *base = f.image + s.offset;
        uint64_t pos = 0;
        while (pos < s.size && go_on) {
            /* The linker may align containers; padding between them is zero. */
            if (base[pos] == 0) {
                pos++;
                continue;
            }
            size_t consumed = 0;
            st = fatbin_container_walk_msg(base + pos, (size_t)(s.size - pos), NULL, NULL,
                                           &consumed, err, errlen);
            if (st != FATBIN_OK) {
                prefix_msg(err, errlen, "section %s, container at offset 0x%" PRIx64
                           " (file offset 0x%" PRIx64 "): ", s.name, pos, s.offset + pos);
                free(refs);
                return st;
            }
            fatbin_elf_container c;
            memset(&c, 0, sizeof c);
            c.section = rel ? "__nv_relfatbin" : ".nv_fatbin";
            c.index = info->containers;
            c.file_offset = s.offset + pos;
            c.vaddr = f.type == ELF_ET_REL ? 0 : s.addr + pos;
            c.data = base + pos;
            c.size = consumed;
            if (rel)
                c.role = FATBIN_ROLE_MODULE;
            else if (!roles_known)
                c.role = FATBIN_ROLE_UNKNOWN;
            else {
                wrapper_ref key = { .data_addr = c.vaddr };
                const wrapper_ref *hit = bsearch(&key, refs, nrefs, sizeof *refs,
                                                 compare_targets);
                c.role = !hit ? FATBIN_ROLE_UNREFERENCED
                         : hit->version == 2 ? FATBIN_ROLE_LINKED : FATBIN_ROLE_MODULE;
            }
            info->containers++;
            if (fn)
                go_on = fn(&c, user);
            pos += consumed;
        }
    }
    free(refs);
    return FATBIN_OK;
}
