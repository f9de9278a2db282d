/* driver_md2.c: MD2 message digest (RFC 1319) and HMAC-MD2 (RFC 2104). MD2's byte
 * substitution S is the permutation RFC 1319 derives from the digits of pi: it is
 * computed here from pi itself (Machin's formula in fixed point) rather than typed in,
 * and tests/unit/test_driver_md2.c checks the digests against RFC 1319's examples. */
#include "shim/driver_md2.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

/* ---- digits of pi ------------------------------------------------------------------- */

/* Fixed-point numbers in base 10^4: limb 0 is the integer part. 800 digits are more
 * than the ~720 the permutation consumes; the guard limbs absorb truncation. */
enum { PI_DIGITS = 800, LIMB_BASE = 10000, GUARD_LIMBS = 4,
       LIMBS = PI_DIGITS / 4 + 1 + GUARD_LIMBS };

static void fp_div(uint32_t *n, uint32_t d)
{
    uint64_t rem = 0;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t cur = rem * LIMB_BASE + n[i];
        n[i] = (uint32_t)(cur / d);
        rem = cur % d;
    }
}

static void fp_add(uint32_t *acc, const uint32_t *v, int sign)
{
    int64_t carry = 0;
    for (int i = LIMBS - 1; i >= 0; i--) {
        int64_t x = (int64_t)acc[i] + sign * (int64_t)v[i] + carry;
        carry = 0;
        while (x < 0) { x += LIMB_BASE; carry--; }
        while (x >= LIMB_BASE) { x -= LIMB_BASE; carry++; }
        acc[i] = (uint32_t)x;
    }
}

static bool fp_zero(const uint32_t *n)
{
    for (int i = 0; i < LIMBS; i++)
        if (n[i])
            return false;
    return true;
}

/* arctan(1/x) = sum_k (-1)^k / ((2k+1) x^(2k+1)), added into acc times `scale`. */
static void add_arctan_inv(uint32_t *acc, uint32_t x, uint32_t scale, int sign)
{
    uint32_t power[LIMBS], term[LIMBS];
    memset(power, 0, sizeof power);
    power[0] = scale;
    fp_div(power, x);
    for (uint32_t k = 0; !fp_zero(power); k++) {
        memcpy(term, power, sizeof term);
        fp_div(term, 2 * k + 1);
        fp_add(acc, term, (k % 2 ? -1 : 1) * sign);
        fp_div(power, x * x);
    }
}

/* digits[0] = 3, digits[1] = 1, digits[2] = 4, ... */
static void pi_digits(uint8_t digits[PI_DIGITS])
{
    uint32_t pi[LIMBS];
    memset(pi, 0, sizeof pi);
    add_arctan_inv(pi, 5, 16, 1);     /* Machin: pi = 16 atan(1/5) - 4 atan(1/239) */
    add_arctan_inv(pi, 239, 4, -1);
    digits[0] = (uint8_t)pi[0];
    for (int i = 1, d = 1; d < PI_DIGITS; i++)
        for (int p = 1000; p && d < PI_DIGITS; p /= 10)
            digits[d++] = (uint8_t)(pi[i] / (uint32_t)p % 10);
}

/* ---- the substitution --------------------------------------------------------------- */

static uint8_t S[256];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

typedef struct digit_stream { const uint8_t *d; int pos; } digit_stream;

/* A uniform value in [0, n) from the next one to three digits, rejecting values that
 * would bias it (RFC 1319's construction). */
static unsigned pi_rand(digit_stream *s, unsigned n)
{
    for (;;) {
        unsigned x = s->d[s->pos++], y = 10;
        if (n > 10) { x = x * 10 + s->d[s->pos++]; y = 100; }
        if (n > 100) { x = x * 10 + s->d[s->pos++]; y = 1000; }
        if (x < n * (y / n))
            return x % n;
    }
}

static void build_s(void)
{
    uint8_t digits[PI_DIGITS];
    pi_digits(digits);
    digit_stream s = {digits, 0};
    for (unsigned i = 0; i < 256; i++)
        S[i] = (uint8_t)i;
    for (unsigned i = 2; i <= 256; i++) {
        unsigned j = pi_rand(&s, i);
        uint8_t t = S[j];
        S[j] = S[i - 1];
        S[i - 1] = t;
    }
}

/* ---- MD2 ---------------------------------------------------------------------------- */

static void md2_block(cushim__md2_ctx *c, const uint8_t block[16])
{
    uint8_t last = c->checksum[15];
    for (int j = 0; j < 16; j++) {
        c->state[16 + j] = block[j];
        c->state[32 + j] = (uint8_t)(c->state[16 + j] ^ c->state[j]);
        last = c->checksum[j] ^= S[block[j] ^ last];
    }
    uint8_t t = 0;
    for (int round = 0; round < 18; round++) {
        for (int k = 0; k < 48; k++)
            t = c->state[k] ^= S[t];
        t = (uint8_t)(t + round);
    }
}

void cushim__md2_init(cushim__md2_ctx *c)
{
    pthread_once(&s_once, build_s);
    memset(c, 0, sizeof *c);
}

void cushim__md2_update(cushim__md2_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        size_t n = 16 - c->buffered < len ? 16 - c->buffered : len;
        memcpy(c->buffer + c->buffered, p, n);
        c->buffered += n;
        p += n;
        len -= n;
        if (c->buffered == 16) {
            md2_block(c, c->buffer);
            c->buffered = 0;
        }
    }
}

void cushim__md2_final(cushim__md2_ctx *c, uint8_t digest[CUSHIM_MD2_DIGEST])
{
    uint8_t pad = (uint8_t)(16 - c->buffered);   /* 1..16 bytes, each the pad length */
    uint8_t padding[16];
    memset(padding, pad, sizeof padding);
    cushim__md2_update(c, padding, pad);
    uint8_t checksum[16];
    memcpy(checksum, c->checksum, 16);
    md2_block(c, checksum);
    memcpy(digest, c->state, CUSHIM_MD2_DIGEST);
}

void cushim__md2(const void *data, size_t len, uint8_t digest[CUSHIM_MD2_DIGEST])
{
    cushim__md2_ctx c;
    cushim__md2_init(&c);
    cushim__md2_update(&c, data, len);
    cushim__md2_final(&c, digest);
}

/* ---- HMAC --------------------------------------------------------------------------- */

void cushim__hmac_md2(const void *key, size_t key_len, const void *data, size_t len,
                      uint8_t digest[CUSHIM_MD2_DIGEST])
{
    uint8_t k[CUSHIM_MD2_BLOCK] = {0};
    if (key_len > CUSHIM_MD2_BLOCK)
        cushim__md2(key, key_len, k);
    else
        memcpy(k, key, key_len);
    uint8_t ipad[CUSHIM_MD2_BLOCK], opad[CUSHIM_MD2_BLOCK];
    for (int i = 0; i < CUSHIM_MD2_BLOCK; i++) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }
    uint8_t inner[CUSHIM_MD2_DIGEST];
    cushim__md2_ctx c;
    cushim__md2_init(&c);
    cushim__md2_update(&c, ipad, sizeof ipad);
    cushim__md2_update(&c, data, len);
    cushim__md2_final(&c, inner);
    cushim__md2_init(&c);
    cushim__md2_update(&c, opad, sizeof opad);
    cushim__md2_update(&c, inner, sizeof inner);
    cushim__md2_final(&c, digest);
}
