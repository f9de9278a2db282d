// Integer edge cases: division by zero, shifts past the width, mul.hi, prmt, bit ops.
__global__ void intops(const int *a, const int *b, unsigned *out)
{
    int t = threadIdx.x;
    int x = a[t], y = b[t];
    unsigned ux = x, uy = y;
    unsigned *o = out + t * 16;
    o[0] = x / y;
    o[1] = x % y;
    o[2] = ux / uy;
    o[3] = ux % uy;
    unsigned s = uy & 63;
    unsigned r;
    asm("shl.b32 %0, %1, %2;" : "=r"(r) : "r"(ux), "r"(s)); o[4] = r;
    asm("shr.u32 %0, %1, %2;" : "=r"(r) : "r"(ux), "r"(s)); o[5] = r;
    asm("shr.s32 %0, %1, %2;" : "=r"(r) : "r"(ux), "r"(s)); o[6] = r;
    o[7] = __umulhi(ux, uy);
    o[8] = __mulhi(x, y);
    asm("prmt.b32 %0, %1, %2, %3;" : "=r"(r) : "r"(ux), "r"(uy), "r"(0x7531u + t)); o[9] = r;
    asm("prmt.b32.ecl %0, %1, %2, %3;" : "=r"(r) : "r"(ux), "r"(uy), "r"((unsigned)t)); o[10] = r;
    o[11] = __brev(ux) ^ __popc(ux) ^ (__clz(ux) << 8);
    asm("bfe.s32 %0, %1, %2, %3;" : "=r"(r) : "r"(ux), "r"(uy & 31), "r"(5u)); o[12] = r;
    asm("bfi.b32 %0, %1, %2, %3, %4;" : "=r"(r) : "r"(uy), "r"(ux), "r"(4u), "r"(8u)); o[13] = r;
    o[14] = (unsigned)(((long long)x * (long long)y) >> 7);
    o[15] = __ffs(x) + (__sad(x, y, 3u) << 8);
}
