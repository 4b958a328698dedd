/* int8 prefill's two passes around the int8 product (inference/int8.py): quantising the rows of
   the activations, and rescaling the int32 sums. One pass each here; as torch ops they were four
   passes and as long as the int8 product itself. */
#include <math.h>
#include <string.h>

#include "kernels.h"

/* max |x[i]| of n floats. For non-negative floats the order of their bit patterns as integers is
   their order as numbers, so the maximum is integer compares and masks, which vectorise in C
   (a float max does not without fast-math). */
static float top_abs(const float* x, long n) {
    i32x16 top = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        i32x16 v;
        memcpy(&v, x + i, sizeof v);
        v &= 0x7fffffff;
        i32x16 greater = v > top;
        top = (v & greater) | (top & ~greater);
    }
    int best = 0;
    for (int j = 0; j < 16; j++) best = top[j] > best ? top[j] : best;
    for (; i < n; i++) {
        int bits;
        memcpy(&bits, x + i, sizeof bits);
        bits &= 0x7fffffff;
        best = bits > best ? bits : best;
    }
    float value;
    memcpy(&value, &best, sizeof value);
    return value;
}

/* Each of M rows of K floats to int8 steps of max|row| / 127 (scale[r] gets that step). */
void int8_quantize_rows(const float* x, signed char* q, float* scale, long M, long K) {
    for (long r = 0; r < M; r++) {
        const float* xr = x + r * K;
        float top = top_abs(xr, K);
        if (!(top >= 1e-30f)) top = 1e-30f;
        float inv = 127.f / top;
        scale[r] = top / 127.f;
        signed char* qr = q + r * K;
        /* rintf inlines as a vector round; the loop vectorises */
        for (long i = 0; i < K; i++) qr[i] = (signed char)(int)rintf(xr[i] * inv);
    }
}

/* out[m, n] = sums[m, n] * row_scale[m] * col_scale[n]: int32 sums back to fp32. */
void int8_rescale(const int* sums, const float* row_scale, const float* col_scale, float* out,
                  long M, long N) {
    for (long m = 0; m < M; m++) {
        const int* s = sums + m * N;
        float* o = out + m * N;
        const float a = row_scale[m];
        for (long n = 0; n < N; n++) o[n] = (float)s[n] * a * col_scale[n];
    }
}
