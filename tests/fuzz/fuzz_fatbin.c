/* fuzz_fatbin.c: fuzz target for the fatbin reader. The input is either a fatbin
 * section (containers back to back, as in .nv_fatbin) or, when it starts with the ELF
 * magic, a whole ELF image for fatbin_elf_scan. Every entry found is decompressed, so
 * the zstd and LZ4 paths and their size checks see hostile headers too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "translate/fatbin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool take_entry(const fatbin_entry *e, void *user)
{
    (void)user;
    char *text = NULL;
    size_t len = 0;
    char err[256];
    if (fatbin_entry_payload_msg(e, &text, &len, err, sizeof err) == FATBIN_OK) {
        /* The text must really hold len bytes and its terminator. */
        if (text[len] != '\0' && e->kind == FATBIN_ENTRY_PTX)
            abort();
        free(text);
    } else if (text != NULL) {
        abort(); /* a failure must not hand out a buffer */
    }
    /* Names and options point into the container: touch every byte. */
    volatile char sink = 0;
    for (uint32_t i = 0; i < e->name_len; i++)
        sink ^= e->name[i];
    for (uint32_t i = 0; i < e->options_len; i++)
        sink ^= e->options[i];
    (void)sink;
    return true;
}

static bool take_container(const fatbin_elf_container *c, void *user)
{
    size_t consumed = 0;
    char err[256];
    (void)user;
    /* The scan promises each reported container walks within its size. */
    if (fatbin_container_walk_msg(c->data, c->size, take_entry, NULL, &consumed, err,
                                  sizeof err) != FATBIN_OK)
        abort();
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    if (size >= 4 && memcmp(data, "\x7f" "ELF", 4) == 0) {
        fatbin_elf_info info;
        fatbin_elf_scan(data, size, take_container, NULL, &info, err, sizeof err);
        return 0;
    }
    size_t pos = 0;
    while (pos < size) {
        size_t consumed = 0;
        if (fatbin_container_walk_msg(data + pos, size - pos, take_entry, NULL, &consumed, err,
                                      sizeof err) != FATBIN_OK)
            break;
        if (consumed == 0 || consumed > size - pos)
            abort(); /* a successful walk consumes its header at least, and no more than given */
        pos += consumed;
    }
    return 0;
}
