/* triage_elf.h: a bounds-checked reader of ELF64 little-endian images (host binaries
 * and the cubins inside fatbins) for triage: section lookup, strings, symbols. Every
 * accessor checks offsets against the image size, so a hostile file yields "absent"
 * or an error message, never an out-of-bounds read. */
#ifndef CUSHIM_TRIAGE_ELF_H
#define CUSHIM_TRIAGE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct triage_elf_section {
    const char *name;     /* "" when the name is out of bounds */
    uint32_t type;
    uint64_t flags, addr, offset, size, entsize;
    uint32_t link, info;
    const uint8_t *data;  /* NULL for SHT_NOBITS or when out of the image */
} triage_elf_section;

typedef struct triage_elf {
    const uint8_t *image;
    size_t size;
    uint16_t type;        /* e_type */
    uint16_t machine;
    uint64_t shnum;
    uint64_t shoff;
    const uint8_t *shstr; /* section name table, or NULL */
    uint64_t shstr_size;
} triage_elf;

#define TRIAGE_SHT_SYMTAB 2
#define TRIAGE_SHT_STRTAB 3
#define TRIAGE_SHT_DYNAMIC 6
#define TRIAGE_SHT_NOBITS 8
#define TRIAGE_SHT_DYNSYM 11
#define TRIAGE_SHT_GNU_VERNEED 0x6ffffffe
#define TRIAGE_SHT_GNU_VERSYM 0x6fffffff
#define TRIAGE_SHF_ALLOC 0x2
#define TRIAGE_SHF_EXECINSTR 0x4

/* Is this the start of an ELF file (any class)? */
bool triage_elf_magic(const void *image, size_t size);
/* Open an ELF64 LE image. False with a message when it is another class/encoding or
 * its headers point outside the image. */
bool triage_elf_open(triage_elf *e, const void *image, size_t size, char *err, size_t errlen);
/* Section i (0 <= i < shnum); false when its header is out of bounds. */
bool triage_elf_section_at(const triage_elf *e, uint64_t i, triage_elf_section *out);
/* First section with this name (or type when name is NULL). */
bool triage_elf_find(const triage_elf *e, const char *name, uint32_t type,
                     triage_elf_section *out);
/* NUL-terminated string at `off` of a string table section; NULL when out of bounds
 * or unterminated within the section. */
const char *triage_elf_string(const triage_elf_section *strtab, uint64_t off);

typedef struct triage_elf_sym {
    const char *name;
    uint8_t info, other;
    uint16_t shndx;
    uint64_t value, size;
} triage_elf_sym;

/* Symbol i of a symbol table section whose names live in `strtab`. */
bool triage_elf_symbol(const triage_elf_section *symtab, const triage_elf_section *strtab,
                       uint64_t i, triage_elf_sym *out);
uint64_t triage_elf_symbol_count(const triage_elf_section *symtab);

#endif
