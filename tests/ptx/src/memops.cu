// Every load/store form of the inventory: each thread moves its 256-byte slice of `in`
// to `out` through global, shared, local, constant and generic memory, with scalar and
// vector accesses and the cache, volatile, relaxed, acquire and release qualifiers;
// sign-extending loads also store their widened value to `ext`. Then atomics with
// scopes and .sys, fences, and a few control-flow forms.
#define MV1(LD, ST, C, T, S, D) { T v; \
    asm volatile(LD " %0, [%1];" : "=" C(v) : "l"(S) : "memory"); \
    asm volatile(ST " [%0], %1;" :: "l"(D), C(v) : "memory"); }
#define MV2(LD, ST, C, T, S, D) { T v0, v1; \
    asm volatile(LD " {%0, %1}, [%2];" : "=" C(v0), "=" C(v1) : "l"(S) : "memory"); \
    asm volatile(ST " [%0], {%1, %2};" :: "l"(D), C(v0), C(v1) : "memory"); }
#define MV4(LD, ST, C, T, S, D) { T v0, v1, v2, v3; \
    asm volatile(LD " {%0, %1, %2, %3}, [%4];" : "=" C(v0), "=" C(v1), "=" C(v2), "=" C(v3) : "l"(S) : "memory"); \
    asm volatile(ST " [%0], {%1, %2, %3, %4};" :: "l"(D), C(v0), C(v1), C(v2), C(v3) : "memory"); }
#define EXT(LD, C, T, ST, S, D) { T v; \
    asm volatile(LD " %0, [%1];" : "=" C(v) : "l"(S) : "memory"); \
    asm volatile(ST " [%0], %1;" :: "l"(D), C(v) : "memory"); }

__constant__ unsigned long long ctab[8] = { 0x0123456789abcdefull, 0xfedcba9876543210ull, 3, 4, 5, 6, 7, 8 };

__global__ void memops(const char *in, char *out, long long *ext)
{
    __shared__ __align__(16) char sh[32 * 256];
    __align__(16) char lb[256];
    int t = threadIdx.x;
    const char *gi = in + t * 256;
    char *go = out + t * 256;
    long long *ge = ext + t * 16;
    unsigned long long ss, gs, ls, gl = (unsigned long long)lb;
    asm volatile("cvta.to.shared.u64 %0, %1;" : "=l"(ss) : "l"(sh + t * 256));
    asm volatile("cvta.shared.u64 %0, %1;" : "=l"(gs) : "l"(ss));
    asm volatile("cvta.to.local.u64 %0, %1;" : "=l"(ls) : "l"(gl));

    /* global -> shared -> global */
    MV4("ld.global.nc.v4.u32", "st.shared.v4.u32", "r", unsigned, gi + 0, ss + 0)
    MV4("ld.shared.v4.u32", "st.global.v4.u32", "r", unsigned, ss + 0, go + 0)
    MV4("ld.global.nc.v4.f32", "st.global.v4.f32", "f", float, gi + 16, go + 16)
    MV4("ld.global.v4.f32", "st.shared.v4.f32", "f", float, gi + 32, ss + 32)
    MV4("ld.shared.v4.f32", "st.v4.f32", "f", float, ss + 32, go + 32)
    /* global -> local (generic and .local) -> global */
    MV4("ld.global.v4.u32", "st.v4.u32", "r", unsigned, gi + 48, gl + 48)
    MV4("ld.v4.u32", "st.global.v4.u32", "r", unsigned, gl + 48, go + 48)
    MV2("ld.global.nc.v2.f64", "st.global.v2.f64", "d", double, gi + 64, go + 64)
    MV2("ld.global.v2.f64", "st.shared.v2.f64", "d", double, gi + 80, ss + 80)
    MV2("ld.shared.v2.u64", "st.global.v2.u64", "l", unsigned long long, ss + 80, go + 80)
    MV2("ld.global.v2.u64", "st.local.v2.u64", "l", unsigned long long, gi + 96, ls + 96)
    MV1("ld.local.u64", "st.global.u64", "l", unsigned long long, ls + 96, go + 96)
    MV1("ld.local.f64", "st.global.f64", "d", double, ls + 104, go + 104)
    MV2("ld.global.nc.v2.f32", "st.global.v2.f32", "f", float, gi + 112, go + 112)
    MV2("ld.global.v2.f32", "st.shared.v2.u32", "r", unsigned, gi + 120, ss + 120)
    MV2("ld.shared.v2.u32", "st.global.v2.u32", "r", unsigned, ss + 120, go + 120)
    MV2("ld.global.v2.u32", "st.v2.u32", "r", unsigned, gi + 128, gs + 128)
    MV2("ld.shared.v2.u16", "st.shared.v2.u16", "h", unsigned short, ss + 128, ss + 136)
    MV2("ld.v2.u16", "st.v2.u16", "h", unsigned short, gs + 136, gl + 136)
    MV2("ld.v2.u16", "st.global.v2.u16", "h", unsigned short, gl + 136, go + 128)
    MV2("ld.global.v2.u8", "st.global.v2.u8", "h", unsigned short, gi + 132, go + 132)
    MV2("ld.global.v2.u8", "st.global.v2.u8", "h", unsigned short, gi + 134, go + 134)
    MV2("ld.global.nc.v2.u32", "st.shared.v2.u32", "r", unsigned, gi + 136, ss + 144)
    MV1("ld.volatile.shared.f64", "st.volatile.shared.f64", "d", double, ss + 144, ss + 152)
    MV1("ld.shared.f64", "st.f64", "d", double, ss + 152, go + 136)
    MV1("ld.global.nc.u64", "st.volatile.shared.u64", "l", unsigned long long, gi + 144, ss + 160)
    MV1("ld.u64", "st.u64", "l", unsigned long long, gs + 160, go + 144)
    MV1("ld.global.nc.f64", "st.shared.f64", "d", double, gi + 152, ss + 200)
    MV1("ld.shared.u64", "st.global.u64", "l", unsigned long long, ss + 200, go + 152)
    /* 32-bit forms */
    MV1("ld.global.nc.u32", "st.shared.u32", "r", unsigned, gi + 160, ss + 168)
    MV1("ld.volatile.shared.u32", "st.volatile.shared.u32", "r", unsigned, ss + 168, ss + 172)
    MV1("ld.shared.u32", "st.cg.u32", "r", unsigned, ss + 172, go + 160)
    MV1("ld.global.nc.f32", "st.shared.f32", "f", float, gi + 164, ss + 176)
    MV1("ld.volatile.shared.f32", "st.volatile.shared.f32", "f", float, ss + 176, ss + 180)
    MV1("ld.shared.f32", "st.f32", "f", float, ss + 180, go + 164)
    MV1("ld.ca.u32", "st.volatile.global.u32", "r", unsigned, gi + 168, go + 168)
    MV1("ld.cg.u32", "st.volatile.u32", "r", unsigned, gi + 172, go + 172)
    MV1("ld.volatile.global.u32", "st.u32", "r", unsigned, gi + 176, gs + 184)
    MV1("ld.volatile.u32", "st.relaxed.cta.b32", "r", unsigned, gs + 184, go + 176)
    MV1("ld.relaxed.cta.b32", "st.release.gpu.u32", "r", unsigned, gi + 180, go + 180)
    MV1("ld.relaxed.gpu.u32", "st.relaxed.cta.b32", "r", unsigned, gi + 184, go + 184)
    MV1("ld.acquire.gpu.u32", "st.release.gpu.u32", "r", unsigned, gi + 188, go + 188)
    MV1("ld.acquire.cta.u32", "st.u32", "r", unsigned, gi + 192, go + 192)
    MV1("ld.u32", "st.u32", "r", unsigned, gi + 196, go + 196)
    MV1("ld.f32", "st.f32", "f", float, gi + 200, go + 200)
    MV1("ld.u32", "st.u32", "r", unsigned, gi + 204, go + 204)
    MV1("ld.f64", "st.f64", "d", double, gi + 208, go + 208)
    MV1("ld.acquire.cta.b64", "st.u64", "l", unsigned long long, gi + 216, go + 216)
    MV2("ld.relaxed.gpu.v2.u32", "st.relaxed.gpu.v2.u32", "r", unsigned, gi + 224, go + 224)
    MV2("ld.relaxed.gpu.v2.u64", "st.relaxed.gpu.v2.u64", "l", unsigned long long, gi + 232, go + 232)
    /* 16- and 8-bit forms */
    MV1("ld.global.u16", "st.shared.u16", "h", unsigned short, gi + 248, ss + 192)
    MV1("ld.shared.u16", "st.u16", "h", unsigned short, ss + 192, gl + 192)
    MV1("ld.u16", "st.global.u16", "h", unsigned short, gl + 192, go + 248)
    MV1("ld.global.u8", "st.shared.u8", "h", unsigned short, gi + 250, ss + 196)
    MV1("ld.shared.u8", "st.local.u8", "h", unsigned short, ss + 196, ls + 196)
    MV1("ld.local.u8", "st.global.u8", "h", unsigned short, ls + 196, go + 250)
    MV4("ld.global.v4.u8", "st.local.v4.u8", "h", unsigned short, gi + 252, ls + 200)
    MV1("ld.local.u32", "st.global.u32", "r", unsigned, ls + 200, go + 252)
    MV1("ld.global.u8", "st.global.u8", "h", unsigned short, gi + 251, go + 251)
    /* sign extension */
    EXT("ld.global.s8", "r", unsigned, "st.global.u32", gi + 251, ge + 0)
    EXT("ld.shared.s8", "r", unsigned, "st.global.u32", ss + 196, ge + 1)
    EXT("ld.shared.s16", "r", unsigned, "st.global.u32", ss + 192, ge + 2)
    EXT("ld.s16", "r", unsigned, "st.global.u32", gl + 192, ge + 3)
    EXT("ld.global.s32", "l", unsigned long long, "st.global.u64", gi + 160, ge + 4)
    EXT("ld.global.s16", "l", unsigned long long, "st.global.u64", gi + 248, ge + 5)
    EXT("ld.global.f64", "d", double, "st.global.f64", gi + 208, ge + 9)
    EXT("ld.global.u64", "l", unsigned long long, "st.global.u64", gi + 216, ge + 10)
    /* constant memory */
    {
        unsigned long long c0;
        double c1;
        unsigned c2, c3, c4;
        unsigned short c5;
        asm volatile("ld.const.u64 %0, [ctab];" : "=l"(c0));
        asm volatile("ld.const.f64 %0, [ctab+8];" : "=d"(c1));
        asm volatile("ld.const.u32 %0, [ctab+16];" : "=r"(c2));
        asm volatile("ld.const.v2.u32 {%0, %1}, [ctab+24];" : "=r"(c3), "=r"(c4));
        asm volatile("ld.const.u16 %0, [ctab+32];" : "=h"(c5));
        ge[6] = (long long)c0;
        ge[7] = __double_as_longlong(c1);
        ge[8] = c2 + ((long long)c3 << 20) + ((long long)c4 << 40) + ((long long)c5 << 50);
    }
}

// Atomics with memory-order and scope qualifiers, on global, shared and generic addresses,
// from every thread of every block.
__global__ void atomics2(unsigned *g, unsigned long long *g64, double *gd)
{
    __shared__ unsigned s[4];
    __shared__ double sd;
    unsigned t = threadIdx.x, gt = blockIdx.x * blockDim.x + t, r;
    unsigned long long r64;
    if (t == 0) {
        s[0] = 0; s[1] = 0; s[2] = 0; s[3] = 0;
        sd = 0;
    }
    __syncthreads();
    unsigned long long ssh, ssd;
    asm volatile("cvta.to.shared.u64 %0, %1;" : "=l"(ssh) : "l"(s));
    asm volatile("cvta.to.shared.u64 %0, %1;" : "=l"(ssd) : "l"(&sd));
    asm volatile("atom.global.sys.add.u32 %0, [%1], %2;" : "=r"(r) : "l"(g + 0), "r"(gt) : "memory");
    asm volatile("atom.global.sys.and.b32 %0, [%1], %2;" : "=r"(r) : "l"(g + 1), "r"(~(1u << (gt & 31))) : "memory");
    asm volatile("atom.global.sys.or.b32 %0, [%1], %2;" : "=r"(r) : "l"(g + 2), "r"(1u << (gt % 29)) : "memory");
    asm volatile("atom.global.sys.xor.b32 %0, [%1], %2;" : "=r"(r) : "l"(g + 3), "r"(gt * 2654435761u) : "memory");
    asm volatile("atom.global.sys.min.s32 %0, [%1], %2;" : "=r"(r) : "l"(g + 4), "r"(100 - (int)gt) : "memory");
    asm volatile("atom.global.sys.max.s32 %0, [%1], %2;" : "=r"(r) : "l"(g + 5), "r"((int)gt - 100) : "memory");
    asm volatile("atom.global.sys.inc.u32 %0, [%1], %2;" : "=r"(r) : "l"(g + 6), "r"(9u) : "memory");
    asm volatile("atom.global.sys.dec.u32 %0, [%1], %2;" : "=r"(r) : "l"(g + 7), "r"(6u) : "memory");
    asm volatile("atom.global.sys.exch.b32 %0, [%1], %2;" : "=r"(r) : "l"(g + 8), "r"(77u) : "memory");
    asm volatile("atom.global.sys.cas.b32 %0, [%1], %2, %3;" : "=r"(r) : "l"(g + 9), "r"(gt), "r"(gt + 1) : "memory");
    asm volatile("atom.global.and.b32 %0, [%1], %2;" : "=r"(r) : "l"(g + 10), "r"(~(1u << (gt & 31))) : "memory");
    asm volatile("atom.global.min.u32 %0, [%1], %2;" : "=r"(r) : "l"(g + 11), "r"(gt + 5) : "memory");
    asm volatile("atom.global.max.u32 %0, [%1], %2;" : "=r"(r) : "l"(g + 12), "r"(gt + 5) : "memory");
    asm volatile("atom.add.u32 %0, [%1], %2;" : "=r"(r) : "l"(g + 13), "r"(2u) : "memory");
    asm volatile("atom.add.release.gpu.u32 %0, [%1], %2;" : "=r"(r) : "l"(g + 13), "r"(3u) : "memory");
    asm volatile("atom.add.acquire.cta.u32 %0, [%1], %2;" : "=r"(r) : "l"(g + 13), "r"(5u) : "memory");
    asm volatile("atom.add.relaxed.cta.u32 %0, [%1], %2;" : "=r"(r) : "l"(g + 13), "r"(7u) : "memory");
    asm volatile("atom.exch.b32 %0, [%1], %2;" : "=r"(r) : "l"(g + 14), "r"(5u) : "memory");
    asm volatile("atom.max.s32 %0, [%1], %2;" : "=r"(r) : "l"(g + 15), "r"((int)(gt * 7 % 50) - 25) : "memory");
    asm volatile("atom.or.acq_rel.cta.b32 %0, [%1], %2;" : "=r"(r) : "l"(g + 16), "r"(1u << (gt & 15)) : "memory");
    asm volatile("red.and.release.cta.b32 [%0], %1;" :: "l"(g + 17), "r"(~(1u << (gt % 20))) : "memory");
    asm volatile("atom.add.acq_rel.cta.u64 %0, [%1], %2;" : "=l"(r64) : "l"(g64 + 0), "l"(1ull << 33) : "memory");
    asm volatile("atom.add.relaxed.cta.u64 %0, [%1], %2;" : "=l"(r64) : "l"(g64 + 0), "l"(1ull) : "memory");
    {
        double rd;
        (void)rd;
        asm volatile("atom.add.f64 %0, [%1], %2;" : "=d"(rd) : "l"(gd), "d"(0.5) : "memory");
        asm volatile("atom.shared.add.f64 %0, [%1], %2;" : "=d"(rd) : "l"(ssd), "d"(0.25) : "memory");
    }
    asm volatile("atom.shared.exch.b32 %0, [%1], %2;" : "=r"(r) : "l"(ssh), "r"(9u) : "memory");
    asm volatile("atom.shared.or.b32 %0, [%1], %2;" : "=r"(r) : "l"(ssh + 4), "r"(1u << (t & 31)) : "memory");
    asm volatile("membar.cta;" ::: "memory");
    asm volatile("fence.sc.cta;" ::: "memory");
    asm volatile("barrier.sync 0;" ::: "memory");
    if (t == 0) {
        atomicAdd(g + 18, s[0] + s[1]);
        asm volatile("membar.gl;" ::: "memory");
        atomicAdd(gd + 1, sd);
    }
}

// Control forms: bra, exit, call, nanosleep, the old vote.ballot syntax, match.any.b64.
__device__ __noinline__ unsigned twice(unsigned v) { return v * 2; }

__global__ void control(const unsigned *in, unsigned *out)
{
    unsigned t = threadIdx.x, v = in[t], r, r2, m;
    asm volatile("nanosleep.u32 %0;" :: "r"(v & 63));
    asm volatile("{ .reg .pred p; setp.ne.u32 p, %1, 0; vote.ballot.sync.b32 %0, p, 0xffffffff; }"
                 : "=r"(r) : "r"(v & 1));
    asm volatile("match.any.sync.b64 %0, %1, 0xffffffff;" : "=r"(m) : "l"((unsigned long long)(v % 3) << 40));
    out[t * 4 + 0] = r;
    out[t * 4 + 1] = m;
    if (v == 0)
        asm volatile("exit;");
    unsigned x = 0;
    for (unsigned i = 0; i < v % 7; i++)
        x += twice(i + v);
    out[t * 4 + 2] = x;
    asm volatile("{ .reg .pred p; .reg .u32 q; mov.u32 q, 1; setp.gt.u32 p, %1, 50; @p bra LBIG; mov.u32 q, 2; LBIG: mov.u32 %0, q; }"
                 : "=r"(r) : "r"(v));
    asm volatile("{ .reg .pred p, q; setp.gt.u32 p, %1, 20; setp.lt.u32 q, %1, 80; and.pred p, p, q; "
                 "selp.u32 %0, 1, 0, p; @p bra.uni LIN; add.u32 %0, %0, 4; LIN: }" : "=r"(r2) : "r"(v));
    out[t * 4 + 3] = r + (r2 << 8);
}

// trap ends the launch with an error (cudaErrorLaunchFailure on the cpu backend).
__global__ void traps(int *flag)
{
    if (*flag)
        asm volatile("trap;");
    *flag = 2;
}
