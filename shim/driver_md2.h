/* driver_md2.h: MD2 (RFC 1319) and HMAC (RFC 2104) over it, for the integrity check
 * NVIDIA's runtime makes through an export table (docs/static-binaries.md). */
#ifndef CUSHIM_DRIVER_MD2_H
#define CUSHIM_DRIVER_MD2_H

#include <stddef.h>
#include <stdint.h>

#define CUSHIM_MD2_DIGEST 16
#define CUSHIM_MD2_BLOCK 16

typedef struct cushim__md2 {
    uint8_t state[48];       /* X: hash state, block, state ^ block */
    uint8_t checksum[16];
    uint8_t buffer[16];
    size_t buffered;
} cushim__md2_ctx;

void cushim__md2_init(cushim__md2_ctx *c);
void cushim__md2_update(cushim__md2_ctx *c, const void *data, size_t len);
void cushim__md2_final(cushim__md2_ctx *c, uint8_t digest[CUSHIM_MD2_DIGEST]);
void cushim__md2(const void *data, size_t len, uint8_t digest[CUSHIM_MD2_DIGEST]);
/* HMAC with MD2's 16-byte block: keys longer than a block are hashed first. */
void cushim__hmac_md2(const void *key, size_t key_len, const void *data, size_t len,
                      uint8_t digest[CUSHIM_MD2_DIGEST]);

#endif
