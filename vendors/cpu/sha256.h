/* sha256.h: SHA-256 (FIPS 180-4), used for the kernel cache's keys and to verify cached
 * shared objects before they are loaded. */
#ifndef CUSHIM_CPU_SHA256_H
#define CUSHIM_CPU_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CPU_SHA256_BYTES 32
#define CPU_SHA256_HEX (2 * CPU_SHA256_BYTES + 1)

typedef struct cpu_sha256_ctx {
    uint32_t state[8];
    uint64_t total_bytes;
    uint8_t block[64];
    uint32_t block_used;
} cpu_sha256_ctx;

void cpu_sha256_init(cpu_sha256_ctx *h);
void cpu_sha256_update(cpu_sha256_ctx *h, const void *data, size_t len);
void cpu_sha256_final(cpu_sha256_ctx *h, uint8_t digest[CPU_SHA256_BYTES]);

/* One-shot digest. */
void cpu_sha256(const void *data, size_t len, uint8_t digest[CPU_SHA256_BYTES]);
/* Lower-case hex of a digest, NUL-terminated. */
void cpu_sha256_hex(const uint8_t digest[CPU_SHA256_BYTES], char hex[CPU_SHA256_HEX]);

#endif
