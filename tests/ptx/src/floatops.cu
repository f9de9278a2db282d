// Float edge cases: NaN in min/max, saturating and rounding conversions, sqrt, fma.
#include <cuda_fp16.h>
__global__ void floatops(const float *a, const float *b, float *of, int *oi, double *od)
{
    int t = threadIdx.x;
    float x = a[t], y = b[t];
    float *f = of + t * 8;
    int *i = oi + t * 8;
    f[0] = fminf(x, y);
    f[1] = fmaxf(x, y);
    f[2] = sqrtf(fabsf(x));
    f[3] = fmaf(x, y, 1.0f);
    f[4] = __saturatef(x);
    f[5] = x / y;
    f[6] = rintf(x);
    f[7] = __fmul_rz(x, y);
    i[0] = __float2int_rn(x);
    i[1] = __float2int_rz(x);
    i[2] = __float2int_rd(x);
    i[3] = __float2int_ru(x);
    i[4] = (int)__float2uint_rn(x);
    i[5] = (int)(long long)x;
    i[6] = __float_as_int(x) ^ (int)(x < y) ^ ((int)(x != y) << 1) ^ ((int)isnan(x) << 2);
    i[7] = (int)__half_as_ushort(__float2half(x));
    od[t] = (double)x * y + 1e-300;
}
