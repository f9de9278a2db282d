/* gen_c_prelude.h: helpers pasted into every C file generated from PTX (after
 * kernel_abi.h): PTX arithmetic semantics that C lacks, and the block scheduler that
 * runs threads between barriers and warp-collective points (docs/cpu-fallback.md).
 * Everything is static so unused helpers cost nothing; it must compile as C11 with
 * gcc, clang and tcc, and without -frounding-math or strict aliasing. */
#ifndef CUSHIM_GEN_C_PRELUDE_H
#define CUSHIM_GEN_C_PRELUDE_H

#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__) && !defined(__TINYC__)
#define CG_INLINE static inline __attribute__((always_inline, unused))
#define CG_NOINLINE static __attribute__((noinline, unused))
#define CG_EXPORT __attribute__((visibility("default")))
#define CG_STATIC static __attribute__((unused))
#else
#define CG_INLINE static inline
#define CG_NOINLINE static
#define CG_EXPORT
#define CG_STATIC static
#endif

#define CG_ERR_LAUNCH_FAILURE 719

/* ---- bit casts ------------------------------------------------------------------- */
CG_INLINE float cg_f32(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
CG_INLINE double cg_f64(uint64_t b) { double f; memcpy(&f, &b, 8); return f; }
CG_INLINE uint32_t cg_b32(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
CG_INLINE uint64_t cg_b64(double f) { uint64_t b; memcpy(&b, &f, 8); return b; }

/* Unaligned-safe typed memory access: PTX addresses are host pointers here. */
#define CG_LDFN(name, T) \
    CG_INLINE T cg_ld_##name(const void *p) { T v; memcpy(&v, p, sizeof v); return v; } \
    CG_INLINE void cg_st_##name(void *p, T v) { memcpy(p, &v, sizeof v); }
CG_LDFN(u8, uint8_t)
CG_LDFN(u16, uint16_t)
CG_LDFN(u32, uint32_t)
CG_LDFN(u64, uint64_t)
CG_LDFN(f32, float)
CG_LDFN(f64, double)
#define cg_ptr(a) ((char *)(uintptr_t)(a))

/* ---- integer ----------------------------------------------------------------- */
/* Division by zero gives what NVIDIA hardware gives: all ones for the quotient
 * (-1 signed), the dividend for the remainder; INT_MIN / -1 wraps. */
CG_INLINE uint32_t cg_divu32(uint32_t a, uint32_t b) { return b ? a / b : 0xffffffffu; }
CG_INLINE uint64_t cg_divu64(uint64_t a, uint64_t b) { return b ? a / b : ~(uint64_t)0; }
CG_INLINE uint32_t cg_remu32(uint32_t a, uint32_t b) { return b ? a % b : a; }
CG_INLINE uint64_t cg_remu64(uint64_t a, uint64_t b) { return b ? a % b : a; }
CG_INLINE uint32_t cg_divs32(uint32_t a, uint32_t b) {
    int32_t x = (int32_t)a, y = (int32_t)b;
    if (!y) return 0xffffffffu;
    if (y == -1) return 0u - a;
    return (uint32_t)(x / y);
}
CG_INLINE uint64_t cg_divs64(uint64_t a, uint64_t b) {
    int64_t x = (int64_t)a, y = (int64_t)b;
    if (!y) return ~(uint64_t)0;
    if (y == -1) return 0u - a;
    return (uint64_t)(x / y);
}
CG_INLINE uint32_t cg_rems32(uint32_t a, uint32_t b) {
    int32_t x = (int32_t)a, y = (int32_t)b;
    if (!y) return a;
    if (y == -1) return 0;
    return (uint32_t)(x % y);
}
CG_INLINE uint64_t cg_rems64(uint64_t a, uint64_t b) {
    int64_t x = (int64_t)a, y = (int64_t)b;
    if (!y) return a;
    if (y == -1) return 0;
    return (uint64_t)(x % y);
}
CG_INLINE uint16_t cg_divu16(uint16_t a, uint16_t b) { return b ? (uint16_t)(a / b) : 0xffffu; }
CG_INLINE uint16_t cg_remu16(uint16_t a, uint16_t b) { return b ? (uint16_t)(a % b) : a; }
CG_INLINE uint16_t cg_divs16(uint16_t a, uint16_t b) {
    int16_t x = (int16_t)a, y = (int16_t)b;
    return y ? (uint16_t)(int32_t)(x / y) : 0xffffu;
}
CG_INLINE uint16_t cg_rems16(uint16_t a, uint16_t b) {
    int16_t x = (int16_t)a, y = (int16_t)b;
    return y ? (uint16_t)(int32_t)(x % y) : a;
}
/* Shifts: amounts >= width clamp (all bits out; arithmetic right fills sign). */
#define CG_SHIFTS(N, UT, ST) \
    CG_INLINE UT cg_shl##N(UT a, uint32_t s) { return s >= N ? (UT)0 : (UT)(a << s); } \
    CG_INLINE UT cg_shru##N(UT a, uint32_t s) { return s >= N ? (UT)0 : (UT)(a >> s); } \
    CG_INLINE UT cg_shrs##N(UT a, uint32_t s) { \
        ST x = (ST)a; UT na = (UT)~a; if (s >= N) s = N - 1; \
        /* complement in UT: narrow types promote to int, whose ~ sets high bits */ \
        return (UT)(x < 0 ? (UT)~(UT)(na >> s) : (UT)(a >> s)); }
CG_SHIFTS(16, uint16_t, int16_t)
CG_SHIFTS(32, uint32_t, int32_t)
CG_SHIFTS(64, uint64_t, int64_t)
CG_SHIFTS(8, uint8_t, int8_t)

CG_INLINE uint32_t cg_mulhiu32(uint32_t a, uint32_t b) { return (uint32_t)(((uint64_t)a * b) >> 32); }
CG_INLINE uint32_t cg_mulhis32(uint32_t a, uint32_t b) {
    return (uint32_t)((uint64_t)((int64_t)(int32_t)a * (int64_t)(int32_t)b) >> 32);
}
CG_INLINE uint16_t cg_mulhiu16(uint16_t a, uint16_t b) { return (uint16_t)(((uint32_t)a * b) >> 16); }
CG_INLINE uint16_t cg_mulhis16(uint16_t a, uint16_t b) {
    return (uint16_t)((uint32_t)((int32_t)(int16_t)a * (int32_t)(int16_t)b) >> 16);
}
CG_INLINE uint64_t cg_mulhiu64(uint64_t a, uint64_t b) {
    uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}
CG_INLINE uint64_t cg_mulhis64(uint64_t a, uint64_t b) {
    uint64_t h = cg_mulhiu64(a, b);
    if ((int64_t)a < 0) h -= b;
    if ((int64_t)b < 0) h -= a;
    return h;
}
CG_INLINE uint32_t cg_mul24u(uint32_t a, uint32_t b, int hi) {
    uint64_t p = (uint64_t)(a & 0xffffffu) * (b & 0xffffffu);
    return hi ? (uint32_t)(p >> 16) : (uint32_t)p;
}
CG_INLINE uint32_t cg_mul24s(uint32_t a, uint32_t b, int hi) {
    int64_t x = (int32_t)(a << 8) >> 8, y = (int32_t)(b << 8) >> 8;
    uint64_t p = (uint64_t)(x * y);
    return hi ? (uint32_t)(p >> 16) : (uint32_t)p;
}
CG_INLINE uint32_t cg_sats32(int64_t v) {
    return (uint32_t)(v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v);
}
#if defined(__GNUC__) && !defined(__TINYC__)
#define cg_popc32(a) ((uint32_t)__builtin_popcount((uint32_t)(a)))
#define cg_popc64(a) ((uint32_t)__builtin_popcountll((uint64_t)(a)))
CG_INLINE uint32_t cg_clz32(uint32_t a) { return a ? (uint32_t)__builtin_clz(a) : 32u; }
CG_INLINE uint32_t cg_clz64(uint64_t a) { return a ? (uint32_t)__builtin_clzll(a) : 64u; }
#else
CG_INLINE uint32_t cg_popc32(uint32_t a) { uint32_t n = 0; while (a) { a &= a - 1; n++; } return n; }
CG_INLINE uint32_t cg_popc64(uint64_t a) { uint32_t n = 0; while (a) { a &= a - 1; n++; } return n; }
CG_INLINE uint32_t cg_clz32(uint32_t a) { uint32_t n = 0; if (!a) return 32; while (!(a & 0x80000000u)) { a <<= 1; n++; } return n; }
CG_INLINE uint32_t cg_clz64(uint64_t a) { uint32_t n = 0; if (!a) return 64; while (!(a >> 63)) { a <<= 1; n++; } return n; }
#endif
CG_INLINE uint32_t cg_brev32(uint32_t a) {
    a = ((a >> 1) & 0x55555555u) | ((a & 0x55555555u) << 1);
    a = ((a >> 2) & 0x33333333u) | ((a & 0x33333333u) << 2);
    a = ((a >> 4) & 0x0f0f0f0fu) | ((a & 0x0f0f0f0fu) << 4);
    a = ((a >> 8) & 0x00ff00ffu) | ((a & 0x00ff00ffu) << 8);
    return (a >> 16) | (a << 16);
}
CG_INLINE uint64_t cg_brev64(uint64_t a) {
    return ((uint64_t)cg_brev32((uint32_t)a) << 32) | cg_brev32((uint32_t)(a >> 32));
}
/* bfind: position of the most significant non-sign bit, 0xffffffff when none. */
CG_INLINE uint32_t cg_bfind(uint64_t a, int bits, int is_signed, int shiftamt) {
    int i;
    if (is_signed && ((a >> (bits - 1)) & 1)) a = ~a;
    if (bits < 64) a &= (((uint64_t)1 << bits) - 1);
    for (i = bits - 1; i >= 0; i--)
        if ((a >> i) & 1) return shiftamt ? (uint32_t)(bits - 1 - i) : (uint32_t)i;
    return 0xffffffffu;
}
CG_INLINE uint64_t cg_bfe(uint64_t a, uint32_t pos, uint32_t len, int bits, int is_signed) {
    uint64_t d = 0, sbit;
    uint32_t i;
    pos &= 0xff; len &= 0xff;
    if (is_signed) {
        uint32_t sp = (len == 0) ? 0 : (pos + len - 1 >= (uint32_t)bits ? (uint32_t)bits - 1 : pos + len - 1);
        sbit = (len == 0) ? 0 : ((a >> sp) & 1);
    } else sbit = 0;
    for (i = 0; i < (uint32_t)bits; i++) {
        uint64_t bit = (i < len && pos + i < (uint32_t)bits) ? ((a >> (pos + i)) & 1) : sbit;
        d |= bit << i;
    }
    return d;
}
CG_INLINE uint64_t cg_bfi(uint64_t a, uint64_t b, uint32_t pos, uint32_t len, int bits) {
    uint32_t i;
    pos &= 0xff; len &= 0xff;
    for (i = 0; i < len && pos + i < (uint32_t)bits; i++)
        b = (b & ~((uint64_t)1 << (pos + i))) | (((a >> i) & 1) << (pos + i));
    return b;
}
/* prmt: mode 0 = default (selector nibbles), 1..6 = f4e b4e rc8 ecl ecr rc16. */
CG_INLINE uint32_t cg_prmt(uint32_t a, uint32_t b, uint32_t c, int mode) {
    uint64_t x = ((uint64_t)b << 32) | a;
    uint32_t d = 0, i, sel[4];
    uint32_t s = c & 3;
    switch (mode) {
    case 0:
        for (i = 0; i < 4; i++) {
            uint32_t n = (c >> (4 * i)) & 0xf;
            uint32_t byte = (uint32_t)(x >> (8 * (n & 7))) & 0xff;
            if (n & 8) byte = (byte & 0x80) ? 0xff : 0;
            d |= byte << (8 * i);
        }
        return d;
    case 1: for (i = 0; i < 4; i++) sel[i] = (s + i) & 7; break;
    case 2: for (i = 0; i < 4; i++) sel[i] = (s - i) & 7; break;
    case 3: for (i = 0; i < 4; i++) sel[i] = s; break;
    /* ecl clamps byte indices below the selector up to it, ecr those above it down;
     * rc16 replicates the half-word chosen by c[0] (ISA table) */
    case 4: for (i = 0; i < 4; i++) sel[i] = i > s ? i : s; break;
    case 5: for (i = 0; i < 4; i++) sel[i] = i < s ? i : s; break;
    default: for (i = 0; i < 4; i++) sel[i] = (s & 1) ? 2 + (i & 1) : (i & 1); break;
    }
    for (i = 0; i < 4; i++) d |= ((uint32_t)(x >> (8 * sel[i])) & 0xff) << (8 * i);
    return d;
}
CG_INLINE uint32_t cg_shf(uint32_t a, uint32_t b, uint32_t n, int left, int clamp) {
    uint64_t x = ((uint64_t)b << 32) | a;
    n = clamp ? (n > 32 ? 32 : n) : (n & 31);
    return left ? (uint32_t)((x << n) >> 32) : (uint32_t)(x >> n);
}
CG_INLINE uint32_t cg_bmsk(uint32_t a, uint32_t b, int clamp) {
    uint32_t pos = clamp ? (a > 32 ? 32 : a) : (a & 31);
    uint32_t len = clamp ? (b > 32 ? 32 : b) : (b & 31);
    uint64_t m = (len >= 32 ? 0xffffffffull : (((uint64_t)1 << len) - 1)) << pos;
    return (uint32_t)m;
}
CG_INLINE uint32_t cg_dp4a(uint32_t a, uint32_t b, uint32_t c, int as, int bs) {
    int64_t acc = (int32_t)c;
    int i;
    for (i = 0; i < 4; i++) {
        int64_t x = (a >> (8 * i)) & 0xff, y = (b >> (8 * i)) & 0xff;
        if (as && x > 127) x -= 256;
        if (bs && y > 127) y -= 256;
        acc += x * y;
    }
    return (uint32_t)acc;
}

CG_INLINE uint32_t cg_dp2a(uint32_t a, uint32_t b, uint32_t c, int hi, int as, int bs) {
    int64_t acc = (int32_t)c;
    int i;
    for (i = 0; i < 2; i++) {
        int64_t x = (a >> (16 * i)) & 0xffff, y = (b >> (8 * (i + 2 * hi))) & 0xff;
        if (as && x > 32767) x -= 65536;
        if (bs && y > 127) y -= 256;
        acc += x * y;
    }
    return (uint32_t)acc;
}
/* SIMD video instructions (vadd4, vabsdiff2, ...): `lanes` lanes of 32/lanes bits.
 * op: 0 add, 1 sub, 2 absdiff, 3 min, 4 max, 5 avrg (rounds up). With acc, the lane
 * results are summed into c; otherwise each is wrapped (or, with sat, clamped to the
 * range of the destination type) and packed. */
CG_INLINE uint32_t cg_vsimd(uint32_t a, uint32_t b, uint32_t c, int lanes, int op, int as, int bs,
                            int ds, int sat, int acc) {
    int w = 32 / lanes, i;
    int64_t mask = ((int64_t)1 << w) - 1, sum = 0;
    uint32_t d = 0;
    for (i = 0; i < lanes; i++) {
        int64_t x = (a >> (w * i)) & mask, y = (b >> (w * i)) & mask, r;
        if (as && x > (mask >> 1)) x -= mask + 1;
        if (bs && y > (mask >> 1)) y -= mask + 1;
        switch (op) {
        case 0: r = x + y; break;
        case 1: r = x - y; break;
        case 2: r = x > y ? x - y : y - x; break;
        case 3: r = x < y ? x : y; break;
        case 4: r = x > y ? x : y; break;
        default: r = (x + y + 1) >> 1; break;
        }
        if (acc) {
            sum += r;
            continue;
        }
        if (sat) {
            int64_t lo = ds ? -((mask + 1) >> 1) : 0, hi = ds ? (mask >> 1) : mask;
            r = r < lo ? lo : r > hi ? hi : r;
        }
        d |= (uint32_t)((uint64_t)r & (uint64_t)mask) << (w * i);
    }
    return acc ? (uint32_t)((int64_t)(int32_t)c + sum) : d;
}

/* ---- float ----------------------------------------------------------------------- */
CG_INLINE float cg_ftz32(float x) {
    return (x != 0.0f && fabsf(x) < 1.17549435e-38f) ? copysignf(0.0f, x) : x;
}
CG_INLINE float cg_sat32(float x) { return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f; }
CG_INLINE double cg_sat64(double x) { return x > 0.0 ? (x < 1.0 ? x : 1.0) : 0.0; }
/* min/max: a NaN operand yields the other one; -0 orders below +0. */
CG_INLINE float cg_minf(float a, float b) {
    if (a != a) return b != b ? cg_f32(0x7fffffffu) : b;
    if (b != b) return a;
    if (a == b) return signbit(a) ? a : b;
    return a < b ? a : b;
}
CG_INLINE float cg_maxf(float a, float b) {
    if (a != a) return b != b ? cg_f32(0x7fffffffu) : b;
    if (b != b) return a;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}
CG_INLINE double cg_mind(double a, double b) {
    if (a != a) return b != b ? cg_f64(0x7fffffffffffffffull) : b;
    if (b != b) return a;
    if (a == b) return signbit(a) ? a : b;
    return a < b ? a : b;
}
CG_INLINE double cg_maxd(double a, double b) {
    if (a != a) return b != b ? cg_f64(0x7fffffffffffffffull) : b;
    if (b != b) return a;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}
/* .NaN variants propagate a NaN operand. */
CG_INLINE float cg_minf_nan(float a, float b) { return (a != a || b != b) ? cg_f32(0x7fffffffu) : cg_minf(a, b); }
CG_INLINE float cg_maxf_nan(float a, float b) { return (a != a || b != b) ? cg_f32(0x7fffffffu) : cg_maxf(a, b); }
/* Canonical NaN results as the GPU produces them for arithmetic on NaN inputs are not
 * modelled bit-exactly: any NaN compares unordered, which is what programs can test. */

/* Directed rounding: run one operation under a rounding mode. Operands go through
 * volatile so the compiler cannot evaluate them outside the mode switch. */
enum { CG_RN = 0, CG_RZ = 1, CG_RM = 2, CG_RP = 3 };
CG_INLINE int cg_fe_mode(int m) {
    return m == CG_RZ ? FE_TOWARDZERO : m == CG_RM ? FE_DOWNWARD : m == CG_RP ? FE_UPWARD : FE_TONEAREST;
}
#define CG_ROUNDED_OP(name, T, expr)                                                  \
    CG_NOINLINE T name(int mode, T a0, T b0, T c0) {                                  \
        volatile T a = a0, b = b0, c = c0; volatile T r;                              \
        int old = fegetround(); (void)b; (void)c;                                              \
        fesetround(cg_fe_mode(mode)); r = (expr); fesetround(old); return r; }
CG_ROUNDED_OP(cg_addr32, float, a + b)
CG_ROUNDED_OP(cg_subr32, float, a - b)
CG_ROUNDED_OP(cg_mulr32, float, a * b)
CG_ROUNDED_OP(cg_divr32, float, a / b)
CG_ROUNDED_OP(cg_fmar32, float, fmaf(a, b, c))
CG_ROUNDED_OP(cg_sqrtr32, float, sqrtf(a))
CG_ROUNDED_OP(cg_addr64, double, a + b)
CG_ROUNDED_OP(cg_subr64, double, a - b)
CG_ROUNDED_OP(cg_mulr64, double, a * b)
CG_ROUNDED_OP(cg_divr64, double, a / b)
CG_ROUNDED_OP(cg_fmar64, double, fma(a, b, c))
CG_ROUNDED_OP(cg_sqrtr64, double, sqrt(a))
CG_ROUNDED_OP(cg_d2fr, double, (double)(float)a) /* cvt.rX.f32.f64 */
CG_NOINLINE float cg_i2fr(int mode, int64_t v, int is_unsigned) {
    volatile int64_t x = v; volatile float r; int old = fegetround();
    fesetround(cg_fe_mode(mode));
    r = is_unsigned ? (float)(uint64_t)x : (float)x;
    fesetround(old); return r;
}
CG_NOINLINE double cg_i2dr(int mode, int64_t v, int is_unsigned) {
    volatile int64_t x = v; volatile double r; int old = fegetround();
    fesetround(cg_fe_mode(mode));
    r = is_unsigned ? (double)(uint64_t)x : (double)x;
    fesetround(old); return r;
}
/* Float -> integer: round per mode, saturate to the range, NaN gives 0. */
CG_INLINE double cg_round_mode(double x, int mode) {
    return mode == CG_RZ ? trunc(x) : mode == CG_RM ? floor(x) : mode == CG_RP ? ceil(x) : nearbyint(x);
}
CG_INLINE int64_t cg_f2s(double x, int mode, int bits) {
    double lo = -ldexp(1.0, bits - 1), hi = ldexp(1.0, bits - 1);
    if (x != x) return 0;
    x = cg_round_mode(x, mode);
    if (x <= lo) return bits == 64 ? INT64_MIN : (int64_t)lo;
    if (x >= hi) return bits == 64 ? INT64_MAX : (int64_t)hi - 1;
    return (int64_t)x;
}
CG_INLINE uint64_t cg_f2u(double x, int mode, int bits) {
    double hi = ldexp(1.0, bits);
    if (x != x) return 0;
    x = cg_round_mode(x, mode);
    if (x <= 0) return 0;
    if (x >= hi) return bits == 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1);
    return (uint64_t)x;
}
/* f32 -> 64-bit integer needs the float itself: a double holds every f32 exactly. */
CG_INLINE int64_t cg_sati(int64_t v, int bits, int is_signed) {
    if (is_signed) {
        int64_t lo = bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1));
        int64_t hi = bits == 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1;
        return v < lo ? lo : v > hi ? hi : v;
    }
    if (v < 0) return 0;
    if (bits < 64 && v > (((int64_t)1 << bits) - 1)) return ((int64_t)1 << bits) - 1;
    return v;
}
CG_INLINE uint64_t cg_satu(uint64_t v, int bits, int dst_signed) {
    uint64_t hi = dst_signed ? (((uint64_t)1 << (bits - 1)) - 1) : bits == 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1);
    return v > hi ? hi : v;
}

/* IEEE half precision, round to nearest even (or toward zero/down/up). */
CG_INLINE float cg_h2f(uint16_t h) {
    uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0x1f) return cg_f32(s | 0x7f800000u | (m << 13));
    if (e == 0) return cg_f32(s) + (s ? -1.0f : 1.0f) * (float)m * 5.9604644775390625e-8f;
    return cg_f32(s | ((e + 112) << 23) | (m << 13));
}
CG_INLINE uint16_t cg_d2h_mode(double x, int mode) {
    uint16_t s = signbit(x) ? 0x8000 : 0;
    double a = fabs(x), q, r;
    int e;
    if (x != x) return 0x7fff;
    if (a == INFINITY) return s | 0x7c00;
    if (a < 6.103515625e-05) {                /* subnormal range: units of 2^-24 */
        q = a * 16777216.0;
    } else {
        frexp(a, &e);                         /* a = f * 2^e, f in [0.5,1) */
        q = ldexp(a, 11 - e);                 /* 11 significant bits before the point */
    }
    r = cg_round_mode(q, mode == CG_RN ? CG_RN : mode == CG_RZ ? CG_RZ :
                         ((mode == CG_RM) != (s != 0)) ? CG_RZ : CG_RP);
    if (a < 6.103515625e-05) {
        /* r is a count of 2^-24 units; 1024 units is the smallest normal */
        return (uint16_t)(s | (uint16_t)r);
    }
    {
        int ee = e - 1;                        /* a = (q/1024) * 2^ee */
        uint32_t m = (uint32_t)r;
        if (m >= 2048) { m >>= 1; ee++; }
        if (ee > 15) return (mode == CG_RZ || (mode == CG_RM && !s) || (mode == CG_RP && s)) ? (uint16_t)(s | 0x7bff) : (uint16_t)(s | 0x7c00);
        return (uint16_t)(s | (uint16_t)((ee + 15) << 10) | (uint16_t)(m & 0x3ff));
    }
}
CG_INLINE uint16_t cg_f2h(float x) { return cg_d2h_mode(x, CG_RN); }
CG_INLINE float cg_bf2f(uint16_t h) { return cg_f32((uint32_t)h << 16); }
CG_INLINE uint16_t cg_f2bf(float x) {
    uint32_t b = cg_b32(x);
    if (x != x) return 0x7fff;
    b += 0x7fffu + ((b >> 16) & 1);
    return (uint16_t)(b >> 16);
}

/* ---- clocks ----------------------------------------------------------------------- */
CG_INLINE uint64_t cg_nanotime(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- atomics ----------------------------------------------------------------------- */
#if defined(__GNUC__) && !defined(__TINYC__)
#define CG_ATOMIC_OPS(N, T)                                                                       \
    CG_INLINE T cg_atom_add##N(void *p, T v) { return __atomic_fetch_add((T *)p, v, __ATOMIC_SEQ_CST); } \
    CG_INLINE T cg_atom_and##N(void *p, T v) { return __atomic_fetch_and((T *)p, v, __ATOMIC_SEQ_CST); } \
    CG_INLINE T cg_atom_or##N(void *p, T v) { return __atomic_fetch_or((T *)p, v, __ATOMIC_SEQ_CST); }   \
    CG_INLINE T cg_atom_xor##N(void *p, T v) { return __atomic_fetch_xor((T *)p, v, __ATOMIC_SEQ_CST); } \
    CG_INLINE T cg_atom_exch##N(void *p, T v) { return __atomic_exchange_n((T *)p, v, __ATOMIC_SEQ_CST); } \
    CG_INLINE int cg_atom_cas_ok##N(void *p, T *expect, T v) {                                      \
        return __atomic_compare_exchange_n((T *)p, expect, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
#define cg_fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#else
/* The embedded compiler has no atomic builtins: x86-64 lock-prefixed sequences. */
#define CG_ATOMIC_OPS(N, T)                                                                       \
    CG_INLINE int cg_atom_cas_ok##N(void *p, T *expect, T v) {                                      \
        T old = *expect; unsigned char ok;                                                          \
        __asm__ volatile("lock cmpxchg %3, %1; sete %0" : "=q"(ok), "+m"(*(T *)p), "+a"(old) : "r"(v) : "memory"); \
        if (!ok) *expect = old; return ok; }                                                        \
    CG_INLINE T cg_atom_add##N(void *p, T v) { T o = *(volatile T *)p; while (!cg_atom_cas_ok##N(p, &o, (T)(o + v))) {} return o; } \
    CG_INLINE T cg_atom_and##N(void *p, T v) { T o = *(volatile T *)p; while (!cg_atom_cas_ok##N(p, &o, (T)(o & v))) {} return o; } \
    CG_INLINE T cg_atom_or##N(void *p, T v) { T o = *(volatile T *)p; while (!cg_atom_cas_ok##N(p, &o, (T)(o | v))) {} return o; }  \
    CG_INLINE T cg_atom_xor##N(void *p, T v) { T o = *(volatile T *)p; while (!cg_atom_cas_ok##N(p, &o, (T)(o ^ v))) {} return o; } \
    CG_INLINE T cg_atom_exch##N(void *p, T v) { T o = *(volatile T *)p; while (!cg_atom_cas_ok##N(p, &o, v)) {} return o; }
#define cg_fence() __asm__ volatile("mfence" ::: "memory")
#endif
CG_ATOMIC_OPS(32, uint32_t)
CG_ATOMIC_OPS(64, uint64_t)
/* Shared memory belongs to one block, and a block runs on one host thread whose CUDA
 * threads take turns only at barriers and warp collectives: an atomic on a .shared
 * address is a plain read-modify-write (cg_shatom_*, the same operations as cg_atom_*),
 * which costs no locked instruction and lets the compiler keep values in registers. */
#define CG_SHARED_ATOMIC_OPS(N, T)                                                                \
    CG_INLINE int cg_shatom_cas_ok##N(void *p, T *expect, T v) {                                    \
        T o; memcpy(&o, p, sizeof o);                                                               \
        if (o != *expect) { *expect = o; return 0; }                                                \
        memcpy(p, &v, sizeof v); return 1; }                                                        \
    CG_INLINE T cg_shatom_add##N(void *p, T v) { T o, n; memcpy(&o, p, sizeof o); n = (T)(o + v); memcpy(p, &n, sizeof n); return o; } \
    CG_INLINE T cg_shatom_and##N(void *p, T v) { T o, n; memcpy(&o, p, sizeof o); n = (T)(o & v); memcpy(p, &n, sizeof n); return o; } \
    CG_INLINE T cg_shatom_or##N(void *p, T v) { T o, n; memcpy(&o, p, sizeof o); n = (T)(o | v); memcpy(p, &n, sizeof n); return o; }  \
    CG_INLINE T cg_shatom_xor##N(void *p, T v) { T o, n; memcpy(&o, p, sizeof o); n = (T)(o ^ v); memcpy(p, &n, sizeof n); return o; } \
    CG_INLINE T cg_shatom_exch##N(void *p, T v) { T o; memcpy(&o, p, sizeof o); memcpy(p, &v, sizeof v); return o; }
CG_SHARED_ATOMIC_OPS(32, uint32_t)
CG_SHARED_ATOMIC_OPS(64, uint64_t)
/* Both families (PRE is cg_atom_ or cg_shatom_) from their compare-and-swap: cas, and
 * the operations without a fetch-op builtin. */
#define CG_ATOM_CAS_OP(PRE, OP, N, T, NEWV)                                                   \
    CG_INLINE T PRE##OP##N(void *p, T v) {                                                \
        T o; memcpy(&o, p, sizeof o);                                                     \
        for (;;) { T n = (NEWV); if (PRE##cas_ok##N(p, &o, n)) return o; } }
#define CG_ATOM_FAMILY(PRE)                                                                   \
    CG_INLINE uint32_t PRE##cas32(void *p, uint32_t cmp, uint32_t v) { PRE##cas_ok32(p, &cmp, v); return cmp; } \
    CG_INLINE uint64_t PRE##cas64(void *p, uint64_t cmp, uint64_t v) { PRE##cas_ok64(p, &cmp, v); return cmp; } \
    CG_ATOM_CAS_OP(PRE, minu, 32, uint32_t, o < v ? o : v)                                    \
    CG_ATOM_CAS_OP(PRE, maxu, 32, uint32_t, o > v ? o : v)                                    \
    CG_ATOM_CAS_OP(PRE, mins, 32, uint32_t, (int32_t)o < (int32_t)v ? o : v)                  \
    CG_ATOM_CAS_OP(PRE, maxs, 32, uint32_t, (int32_t)o > (int32_t)v ? o : v)                  \
    CG_ATOM_CAS_OP(PRE, minu, 64, uint64_t, o < v ? o : v)                                    \
    CG_ATOM_CAS_OP(PRE, maxu, 64, uint64_t, o > v ? o : v)                                    \
    CG_ATOM_CAS_OP(PRE, mins, 64, uint64_t, (int64_t)o < (int64_t)v ? o : v)                  \
    CG_ATOM_CAS_OP(PRE, maxs, 64, uint64_t, (int64_t)o > (int64_t)v ? o : v)                  \
    CG_ATOM_CAS_OP(PRE, inc, 32, uint32_t, o >= v ? 0u : o + 1u)                              \
    CG_ATOM_CAS_OP(PRE, dec, 32, uint32_t, (o == 0 || o > v) ? v : o - 1u)                    \
    CG_ATOM_CAS_OP(PRE, addf, 32, uint32_t, cg_b32(cg_f32(o) + cg_f32(v)))                    \
    CG_ATOM_CAS_OP(PRE, addf, 64, uint64_t, cg_b64(cg_f64(o) + cg_f64(v)))                    \
    CG_ATOM_CAS_OP(PRE, minf, 32, uint32_t, cg_b32(cg_minf(cg_f32(o), cg_f32(v))))            \
    CG_ATOM_CAS_OP(PRE, maxf, 32, uint32_t, cg_b32(cg_maxf(cg_f32(o), cg_f32(v))))            \
    /* 16-bit atomics (f16 add, cas.b16) operate on the enclosing aligned word. */            \
    CG_INLINE uint16_t PRE##rmw16(void *p, uint16_t v, int op) {                              \
        uintptr_t a = (uintptr_t)p;                                                           \
        void *w = (void *)(a & ~(uintptr_t)3);                                                \
        int sh = (int)(a & 2) * 8;                                                            \
        uint32_t o; memcpy(&o, w, sizeof o);                                                  \
        for (;;) {                                                                            \
            uint16_t old = (uint16_t)(o >> sh), nv;                                           \
            nv = op == 0 ? cg_f2h(cg_h2f(old) + cg_h2f(v)) : op == 1 ? v : (uint16_t)(old + v); \
            if (PRE##cas_ok32(w, &o, (o & ~(0xffffu << sh)) | ((uint32_t)nv << sh))) return old; \
        } }
CG_ATOM_FAMILY(cg_atom_)
CG_ATOM_FAMILY(cg_shatom_)

/* ---- per-thread context for device functions ------------------------------------ */
typedef struct cg_tc {
    struct cushim_block_ctx *ctx;
    uint32_t t, tid[3];
    const uint32_t *shoff; /* shared-variable offsets of the running kernel */
    const char *kname;      /* the running kernel, for messages */
    int exited;             /* set by `exit` inside a device function */
} cg_tc;

/* ---- block scheduler ---------------------------------------------------------------- */
/* Per-thread header at the start of every thread's state slice. */
enum { CG_S_RUN = 0, CG_S_BAR = 1, CG_S_WARP = 2, CG_S_EXIT = 3 };
enum {
    CG_BAR_SYNC = 0, CG_BAR_POPC, CG_BAR_AND, CG_BAR_OR,
    CG_W_SHFL_UP = 16, CG_W_SHFL_DOWN, CG_W_SHFL_BFLY, CG_W_SHFL_IDX,
    CG_W_VOTE_ALL, CG_W_VOTE_ANY, CG_W_VOTE_UNI, CG_W_VOTE_BALLOT,
    CG_W_ACTIVEMASK, CG_W_MATCH_ANY, CG_W_MATCH_ALL, CG_W_SYNC,
    CG_W_REDUX_ADD, CG_W_REDUX_MINU, CG_W_REDUX_MAXU, CG_W_REDUX_MINS, CG_W_REDUX_MAXS,
    CG_W_REDUX_AND, CG_W_REDUX_OR, CG_W_REDUX_XOR
};
typedef struct cg_thr {
    uint32_t status, site, kind, bar_id, bar_count, mask, pres, pad;
    uint32_t tid[3], pad2; /* %tid, set once per block: no divisions on every resume */
    uint64_t a, b, c, res;
} cg_thr;
typedef void (*cg_body_fn)(struct cushim_block_ctx *ctx, cg_thr *h, uint32_t t);

#define CG_TH(base, ssz, t) ((cg_thr *)((base) + (size_t)(t) * (ssz)))

/* Complete the warp collectives of lanes [lo,hi) that can complete: a lane waiting at
 * site S completes once every live lane of its member mask waits at S too (for
 * bar.warp.sync, at any bar.warp.sync). Returns how many lanes were released. */
CG_STATIC int cg_warp_resolve(char *base, size_t ssz, uint32_t lo, uint32_t hi) {
    uint32_t live = 0, n = hi - lo, i, j, released = 0;
    uint32_t done[32];
    for (i = 0; i < n; i++) {
        done[i] = 0;
        if (CG_TH(base, ssz, lo + i)->status != CG_S_EXIT) live |= 1u << i;
    }
    /* lanes usually wait at one site: the group of the previous lane is reused */
    uint32_t cached_site = 0, cached_sync = 0, cached_group = 0, have_cache = 0;
    for (i = 0; i < n; i++) {
        cg_thr *h = CG_TH(base, ssz, lo + i), *g;
        uint32_t group = 0, need, is_sync;
        if (h->status != CG_S_WARP) continue;
        is_sync = h->kind == CG_W_SYNC;
        if (have_cache && cached_site == h->site && cached_sync == is_sync) {
            group = cached_group;
        } else {
            for (j = 0; j < n; j++) {
                g = CG_TH(base, ssz, lo + j);
                if (g->status == CG_S_WARP &&
                    (g->site == h->site || (is_sync && g->kind == CG_W_SYNC)))
                    group |= 1u << j;
            }
            cached_site = h->site;
            cached_sync = is_sync;
            cached_group = group;
            have_cache = 1;
        }
        need = h->kind == CG_W_ACTIVEMASK ? group : (h->mask & live);
        if (need & ~group) continue;
        need = h->kind == CG_W_ACTIVEMASK ? group : (h->mask & group);
        done[i] = 1;
        {
            uint32_t lane = i, m = need;
            uint64_t res = 0;
            uint32_t pres = 1;
            switch (h->kind) {
            case CG_W_SHFL_UP: case CG_W_SHFL_DOWN: case CG_W_SHFL_BFLY: case CG_W_SHFL_IDX: {
                uint32_t bval = (uint32_t)h->b & 31, cval = (uint32_t)h->c & 31;
                uint32_t segmask = ((uint32_t)h->c >> 8) & 31;
                int32_t maxl = (int32_t)((lane & segmask) | (cval & ~segmask));
                int32_t minl = (int32_t)(lane & segmask), src;
                if (h->kind == CG_W_SHFL_UP) { src = (int32_t)lane - (int32_t)bval; pres = src >= maxl; }
                else if (h->kind == CG_W_SHFL_DOWN) { src = (int32_t)(lane + bval); pres = src <= maxl; }
                else if (h->kind == CG_W_SHFL_BFLY) { src = (int32_t)(lane ^ bval); pres = src <= maxl; }
                else { src = minl | (int32_t)(bval & ~segmask); pres = src <= maxl; }
                if (!pres) src = (int32_t)lane;
                if (src >= 0 && src < (int32_t)n && ((group >> src) & 1))
                    res = CG_TH(base, ssz, lo + (uint32_t)src)->a;
                else
                    res = h->a;
                break;
            }
            case CG_W_VOTE_ALL: case CG_W_VOTE_ANY: case CG_W_VOTE_UNI: case CG_W_VOTE_BALLOT: {
                uint32_t ballot = 0, k;
                for (k = 0; k < n; k++)
                    if (((m >> k) & 1) && CG_TH(base, ssz, lo + k)->a) ballot |= 1u << k;
                if (h->kind == CG_W_VOTE_BALLOT) res = ballot;
                else if (h->kind == CG_W_VOTE_ALL) res = ballot == m;
                else if (h->kind == CG_W_VOTE_ANY) res = ballot != 0;
                else res = ballot == 0 || ballot == m;
                break;
            }
            case CG_W_ACTIVEMASK: case CG_W_SYNC: res = m; break;
            case CG_W_MATCH_ANY: case CG_W_MATCH_ALL: {
                uint32_t same = 0, k;
                for (k = 0; k < n; k++)
                    if (((m >> k) & 1) && CG_TH(base, ssz, lo + k)->a == h->a) same |= 1u << k;
                if (h->kind == CG_W_MATCH_ANY) res = same;
                else { pres = same == m; res = pres ? m : 0; }
                break;
            }
            default: { /* redux */
                uint32_t k, first = 1, acc = 0;
                for (k = 0; k < n; k++) {
                    uint32_t v;
                    if (!((m >> k) & 1)) continue;
                    v = (uint32_t)CG_TH(base, ssz, lo + k)->a;
                    if (first) { acc = v; first = 0; continue; }
                    switch (h->kind) {
                    case CG_W_REDUX_ADD: acc += v; break;
                    case CG_W_REDUX_MINU: acc = v < acc ? v : acc; break;
                    case CG_W_REDUX_MAXU: acc = v > acc ? v : acc; break;
                    case CG_W_REDUX_MINS: acc = (int32_t)v < (int32_t)acc ? v : acc; break;
                    case CG_W_REDUX_MAXS: acc = (int32_t)v > (int32_t)acc ? v : acc; break;
                    case CG_W_REDUX_AND: acc &= v; break;
                    case CG_W_REDUX_OR: acc |= v; break;
                    default: acc ^= v; break;
                    }
                }
                res = acc;
                break;
            }
            }
            h->res = res;
            h->pres = pres;
        }
    }
    /* Release after all results are computed: inputs of released lanes stay readable. */
    for (i = 0; i < n; i++)
        if (done[i]) { CG_TH(base, ssz, lo + i)->status = CG_S_RUN; released++; }
    return (int)released;
}

/* Release the block barriers whose arrivals are complete: all live threads (or the
 * barrier's thread count) wait at the same barrier id. One pass counts arrivals per id,
 * a second releases; *alive receives the threads that have not exited. */
CG_STATIC int cg_bar_resolve(char *base, size_t ssz, uint32_t n, uint32_t *alive_out) {
    uint32_t t, alive = 0, id, ready = 0;
    uint32_t waiting[16], want[16], popc[16], got[16];
    int released = 0;
    for (id = 0; id < 16; id++) waiting[id] = want[id] = popc[id] = got[id] = 0;
    for (t = 0; t < n; t++) {
        cg_thr *h = CG_TH(base, ssz, t);
        if (h->status == CG_S_EXIT) continue;
        alive++;
        if (h->status != CG_S_BAR) continue;
        id = h->bar_id & 15u;
        waiting[id]++;
        if (h->bar_count) want[id] = h->bar_count;
        if (h->a) popc[id]++;
    }
    *alive_out = alive;
    for (id = 0; id < 16; id++) {
        if (!waiting[id]) continue;
        if (!want[id] || want[id] > alive) want[id] = alive;
        if (waiting[id] < want[id]) continue;
        ready |= 1u << id;
        if (waiting[id] > want[id]) { /* only the first `want` arrivals take part */
            uint32_t k = 0;
            popc[id] = 0;
            for (t = 0; t < n && k < want[id]; t++) {
                cg_thr *h = CG_TH(base, ssz, t);
                if (h->status == CG_S_BAR && h->bar_id == id) { k++; if (h->a) popc[id]++; }
            }
        }
    }
    if (!ready) return 0;
    for (t = 0; t < n; t++) {
        cg_thr *h = CG_TH(base, ssz, t);
        if (h->status != CG_S_BAR || !((ready >> (h->bar_id & 15u)) & 1u)) continue;
        id = h->bar_id & 15u;
        if (got[id] >= want[id]) continue;
        got[id]++;
        h->res = h->kind == CG_BAR_POPC ? popc[id] : h->kind == CG_BAR_AND ? (popc[id] == want[id])
               : h->kind == CG_BAR_OR ? (popc[id] != 0) : 0;
        h->status = CG_S_RUN;
        released++;
    }
    return released;
}

/* Runs every thread of a block through a kernel compiled as a resumable body. */
CG_STATIC void cg_run_block(struct cushim_block_ctx *ctx, size_t ssz, cg_body_fn body,
                         const char *deadlock_msg) {
    uint32_t n = ctx->nthreads, nw = (n + 31) / 32, w, t, x = 0, y = 0, z = 0;
    char *base = ctx->thread_state;
    for (t = 0; t < n; t++) {
        cg_thr *h = CG_TH(base, ssz, t);
        h->status = CG_S_RUN;
        h->site = 0;
        h->tid[0] = x; h->tid[1] = y; h->tid[2] = z;
        if (++x == ctx->ntid[0]) { x = 0; if (++y == ctx->ntid[1]) { y = 0; z++; } }
    }
    for (;;) {
        uint32_t alive = 0;
        for (w = 0; w < nw; w++) {
            uint32_t lo = w * 32, hi = lo + 32 < n ? lo + 32 : n;
            for (;;) {
                int at_warp_op = 0;
                for (t = lo; t < hi; t++) {
                    cg_thr *h = CG_TH(base, ssz, t);
                    if (h->status == CG_S_RUN) body(ctx, h, t);
                    at_warp_op |= h->status == CG_S_WARP;
                }
                if (!at_warp_op || !cg_warp_resolve(base, ssz, lo, hi)) break;
            }
        }
        if (!cg_bar_resolve(base, ssz, n, &alive)) {
            if (!alive) return;
            ctx->rt->fault(ctx, CG_ERR_LAUNCH_FAILURE, deadlock_msg);
            return;
        }
    }
}

#endif
