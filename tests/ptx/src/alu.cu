// One thread per input tuple runs every ALU instruction form of alu_table.h through
// inline PTX and stores each result's bits; tests/unit/test_exec.c checks them against
// the table's C references.
#define TY_h unsigned short
#define TY_r unsigned
#define TY_l unsigned long long
#define TY_f float
#define TY_d double
#define BITS_h(x) (x)
#define BITS_r(x) (x)
#define BITS_l(x) (x)
#define BITS_f(x) __float_as_uint(x)
#define BITS_d(x) (unsigned long long)__double_as_longlong(x)
#define STORE(D, r) o[k++] = BITS_##D(r)

#define OP1(op, D, S, ref) { TY_##D r; asm volatile(op " %0, %1;" : "=" #D(r) : #S(S##a)); STORE(D, r); }
#define OP2(op, D, S, ref) { TY_##D r; asm volatile(op " %0, %1, %2;" : "=" #D(r) : #S(S##a), #S(S##b)); STORE(D, r); }
#define OP3(op, D, S, ref) { TY_##D r; asm volatile(op " %0, %1, %2, %3;" : "=" #D(r) : #S(S##a), #S(S##b), #S(S##c)); STORE(D, r); }
#define ASM(text, D, S, ref) { TY_##D r; asm volatile(text : "=" #D(r) : #S(S##a), #S(S##b), #S(S##c)); STORE(D, r); }
#define CMP(op, S, ref) { unsigned r; asm volatile("{ .reg .pred p; " op " p, %1, %2; selp.u32 %0, 1, 0, p; }" : "=r"(r) : #S(S##a), #S(S##b)); STORE(r, r); }
#define SEL(op, D, ref) { TY_##D r; asm volatile("{ .reg .pred p; setp.ne.b32 p, %3, 0; " op " %0, %1, %2, p; }" : "=" #D(r) : #D(D##a), #D(D##b), "r"(rc & 1)); STORE(D, r); }
#define APX1(op, S, ref, rel, abs, dom) OP1(op, S, S, ref)
#define APX2(op, S, ref, rel, abs, dom) OP2(op, S, S, ref)

__global__ void alu(const unsigned long long *iv, const float *fv, const double *dv,
                    unsigned long long *out, int *count, int stride)
{
    int t = threadIdx.x;
    unsigned long long la = iv[3 * t], lb = iv[3 * t + 1], lc = iv[3 * t + 2];
    unsigned ra = (unsigned)la, rb = (unsigned)lb, rc = (unsigned)lc;
    unsigned short ha = (unsigned short)la, hb = (unsigned short)lb, hc = (unsigned short)lc;
    float fa = fv[3 * t], fb = fv[3 * t + 1], fc = fv[3 * t + 2];
    double da = dv[3 * t], db = dv[3 * t + 1], dc = dv[3 * t + 2];
    unsigned long long *o = out + (long)t * stride;
    int k = 0;
#include "alu_table.h"
    count[t] = k;
}
