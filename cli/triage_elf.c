/* triage_elf.c: bounds-checked ELF64 little-endian reading for triage (host binaries
 * and cubins). Nothing here trusts a size or offset taken from the file. */
#include <stdio.h>
#include <string.h>

#include "cli/triage_elf.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* [off, off+len) lies inside an image of `size` bytes, without overflow. */
static bool in_range(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

bool triage_elf_magic(const void *image, size_t size)
{
    return size >= 4 && memcmp(image, "\x7f" "ELF", 4) == 0;
}

#define EHDR_SIZE 64
#define SHDR_SIZE 64

static bool read_shdr_raw(const triage_elf *e, uint64_t i, const uint8_t **hdr)
{
    if (i >= e->shnum || i > (UINT64_MAX - e->shoff) / SHDR_SIZE)
        return false;
    uint64_t off = e->shoff + i * SHDR_SIZE;
    if (!in_range(off, SHDR_SIZE, e->size))
        return false;
    *hdr = e->image + off;
    return true;
}

bool triage_elf_open(triage_elf *e, const void *image, size_t size, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    const uint8_t *p = image;
    if (!triage_elf_magic(image, size)) {
        snprintf(err, errlen, "not an ELF file");
        return false;
    }
    if (size < EHDR_SIZE) {
        snprintf(err, errlen, "ELF header truncated (%zu bytes)", size);
        return false;
    }
    if (p[4] != 2 || p[5] != 1) {
        snprintf(err, errlen, "%s ELF, not 64-bit little-endian",
                 p[4] == 1 ? "32-bit" : p[5] == 2 ? "big-endian" : "unknown class");
        return false;
    }
    e->image = p;
    e->size = size;
    e->type = rd16(p + 16);
    e->machine = rd16(p + 18);
    e->shoff = rd64(p + 40);
    uint16_t shentsize = rd16(p + 58);
    uint64_t shnum = rd16(p + 60);
    uint32_t shstrndx = rd16(p + 62);
    if (e->shoff == 0 || (shnum == 0 && shentsize == 0)) {
        e->shnum = 0; /* no section headers: legal, nothing to look up */
        return true;
    }
    if (shentsize != SHDR_SIZE) {
        snprintf(err, errlen, "section header entry size %u, expected %u", shentsize,
                 SHDR_SIZE);
        return false;
    }
    e->shnum = 1; /* enough to read section 0 for the extended counts */
    const uint8_t *s0;
    if (!read_shdr_raw(e, 0, &s0)) {
        snprintf(err, errlen, "section headers at offset %llu lie outside the file "
                 "(%zu bytes)", (unsigned long long)e->shoff, size);
        return false;
    }
    if (shnum == 0)
        shnum = rd64(s0 + 32);       /* sh_size of section 0 */
    if (shstrndx == 0xffff)
        shstrndx = rd32(s0 + 40);    /* sh_link of section 0 */
    if (shnum > (size - e->shoff) / SHDR_SIZE) {
        snprintf(err, errlen, "%llu section headers at offset %llu do not fit in the file "
                 "(%zu bytes)", (unsigned long long)shnum, (unsigned long long)e->shoff, size);
        return false;
    }
    e->shnum = shnum;
    const uint8_t *sh;
    if (shstrndx != 0 && read_shdr_raw(e, shstrndx, &sh)) {
        uint64_t off = rd64(sh + 24), sz = rd64(sh + 32);
        if (rd32(sh + 4) != TRIAGE_SHT_NOBITS && in_range(off, sz, size)) {
            e->shstr = p + off;
            e->shstr_size = sz;
        }
    }
    return true;
}

bool triage_elf_section_at(const triage_elf *e, uint64_t i, triage_elf_section *out)
{
    const uint8_t *h;
    memset(out, 0, sizeof *out);
    out->name = "";
    if (!read_shdr_raw(e, i, &h))
        return false;
    uint32_t name = rd32(h);
    out->type = rd32(h + 4);
    out->flags = rd64(h + 8);
    out->addr = rd64(h + 16);
    out->offset = rd64(h + 24);
    out->size = rd64(h + 32);
    out->link = rd32(h + 40);
    out->info = rd32(h + 44);
    out->entsize = rd64(h + 56);
    if (e->shstr && name < e->shstr_size &&
        memchr(e->shstr + name, '\0', e->shstr_size - name))
        out->name = (const char *)e->shstr + name;
    if (out->type != TRIAGE_SHT_NOBITS && in_range(out->offset, out->size, e->size))
        out->data = e->image + out->offset;
    return true;
}

bool triage_elf_find(const triage_elf *e, const char *name, uint32_t type,
                     triage_elf_section *out)
{
    for (uint64_t i = 1; i < e->shnum; i++) {
        if (!triage_elf_section_at(e, i, out))
            return false;
        if (name ? strcmp(out->name, name) == 0 : out->type == type)
            return true;
    }
    return false;
}

const char *triage_elf_string(const triage_elf_section *strtab, uint64_t off)
{
    if (!strtab || !strtab->data || off >= strtab->size)
        return NULL;
    const char *s = (const char *)strtab->data + off;
    return memchr(s, '\0', strtab->size - off) ? s : NULL;
}

#define SYM_SIZE 24

uint64_t triage_elf_symbol_count(const triage_elf_section *symtab)
{
    return symtab && symtab->data ? symtab->size / SYM_SIZE : 0;
}

bool triage_elf_symbol(const triage_elf_section *symtab, const triage_elf_section *strtab,
                       uint64_t i, triage_elf_sym *out)
{
    memset(out, 0, sizeof *out);
    if (i >= triage_elf_symbol_count(symtab))
        return false;
    const uint8_t *p = symtab->data + i * SYM_SIZE;
    out->name = triage_elf_string(strtab, rd32(p));
    out->info = p[4];
    out->other = p[5];
    out->shndx = rd16(p + 6);
    out->value = rd64(p + 8);
    out->size = rd64(p + 16);
    return true;
}
