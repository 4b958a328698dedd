/* The fused steps of a lean decode step (inference/decode.py).

   Each function replaces a handful of small torch ops per layer (a residual add and an RMSNorm;
   rotary embeddings and two cache writes; an expert block's gathers, activation and weighted
   sum), whose dispatch cost, not their arithmetic, was what a decode step spent its time on. */
#include <math.h>
#include <string.h>

#include "kernels.h"

/* For each of `rows` rows of n floats: x += scale * add (when add is given), then
   out = x / sqrt(mean(x^2) + eps) * w. The residual stream and the next norm in one pass. */
void add_rms_norm(float* x, const float* add, float scale, const float* w, float* out,
                  long rows, long n, float eps) {
    for (long r = 0; r < rows; r++) {
        float* xr = x + r * n;
        if (add) {
            const float* ar = add + r * n;
            if (scale == 1.f)
                for (long i = 0; i < n; i++) xr[i] += ar[i];
            else
                for (long i = 0; i < n; i++) xr[i] += ar[i] * scale;
        }
        v16 acc = (v16){0};
        long i = 0;
        for (; i + 16 <= n; i += 16) {
            v16 v = load16(xr + i);
            acc += v * v;
        }
        float squares = sum16(acc);
        for (; i < n; i++) squares += xr[i] * xr[i];
        float inv = 1.f / sqrtf(squares / (float)n + eps);
        float* o = out + r * n;
        for (i = 0; i < n; i++) o[i] = (xr[i] * inv) * w[i];
    }
}

static inline unsigned short bf16_of(float f) {
    unsigned int b;
    memcpy(&b, &f, sizeof b);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((b >> 16) | 0x40);  /* NaN */
    b += 0x7fffu + ((b >> 16) & 1u);  /* round to nearest even, as torch does */
    return (unsigned short)(b >> 16);
}

/* x rotated as transformers' rotate_half convention does: (x * cos) + (rotate_half(x) * sin). */
static void rotate(const float* x, const float* c, const float* s, float* out, long D) {
    long h = D / 2;
    for (long i = 0; i < h; i++) out[i] = x[i] * c[i] + (-x[i + h]) * s[i];
    for (long i = h; i < D; i++) out[i] = x[i] * c[i] + x[i - h] * s[i];
}

/* A decode step's rotary embeddings and cache write. Row r of qkv (ld floats apart) holds q
   (heads x D), then k and v (kv_heads x D each); cos and sin are (rows, D). The rotated q goes
   to q_out (rows, heads, D); the rotated k and the v go into the cache at [r, head, pos[r]]
   (slot_stride and head_stride in elements), as bf16 when bf16 is set. */
void rope_store(const float* qkv, long ld, long rows, long heads, long kv_heads, long D,
                const float* cos, const float* sin, float* q_out, void* keys, void* values,
                long slot_stride, long head_stride, const int64_t* pos, int bf16) {
    float k[512];
    for (long r = 0; r < rows; r++) {
        const float* row = qkv + r * ld;
        const float* c = cos + r * D;
        const float* s = sin + r * D;
        for (long h = 0; h < heads; h++) rotate(row + h * D, c, s, q_out + (r * heads + h) * D, D);
        for (long h = 0; h < kv_heads; h++) {
            long at = r * slot_stride + h * head_stride + pos[r] * D;
            const float* v = row + (heads + kv_heads + h) * D;
            rotate(row + (heads + h) * D, c, s, k, D);
            if (bf16) {
                unsigned short* kd = (unsigned short*)keys + at;
                unsigned short* vd = (unsigned short*)values + at;
                for (long i = 0; i < D; i++) { kd[i] = bf16_of(k[i]); vd[i] = bf16_of(v[i]); }
            } else {
                memcpy((float*)keys + at, k, D * sizeof(float));
                memcpy((float*)values + at, v, D * sizeof(float));
            }
        }
    }
}

/* A decode step's expert block after routing: out[r] = sum over the row's top_k slots of
   weight * down(silu(gate(x[r])) * up(x[r])), with gate_up (E, 2I, K) and down (E, K, I)
   stacked. The (row, slot) pairs are grouped by expert, so each picked expert's weights are
   read once for all of its rows, in one grouped product per projection (shared with the
   helpers). An index outside [0, E) contributes nothing (a padding index some routers emit).
   scratch holds P * (K + 2I + I + K) floats, P = rows * top_k. */
void moe_decode(const float* x, long rows, long top_k, const int64_t* index, const float* weight,
                long E, long K, long I, const void* gate_up, const void* down, int bf16,
                float* scratch, float* out, int threads) {
    long P = rows * top_k;
    float* xs = scratch;
    float* gu = xs + P * K;
    float* act = gu + P * 2 * I;
    float* ys = act + P * I;
    int64_t segs[3 * 64], order[64], slot_of[64];
    long nseg = 0, n = 0;
    for (long e = 0; e < E && n < P; e++) {
        long first = n;
        for (long p = 0; p < P; p++)
            if (index[p] == e) { slot_of[p] = n; order[n++] = p; }
        if (n > first) {
            segs[3 * nseg] = e; segs[3 * nseg + 1] = first; segs[3 * nseg + 2] = n - first;
            nseg++;
        }
    }
    for (long p = 0; p < P; p++)
        if (index[p] < 0 || index[p] >= E) slot_of[p] = -1;
    for (long j = 0; j < n; j++) memcpy(xs + j * K, x + (order[j] / top_k) * K, K * sizeof(float));
    if (n) {
        gemv_grouped(xs, gate_up, gu, segs, nseg, K, 2 * I, 2 * I * K, bf16, threads);
        for (long j = 0; j < n; j++) {
            const float* g = gu + j * 2 * I;
            float* a = act + j * I;
            for (long i = 0; i < I; i++) a[i] = (g[i] / (1.f + expf(-g[i]))) * g[I + i];
        }
        gemv_grouped(act, down, ys, segs, nseg, I, K, K * I, bf16, threads);
    }
    for (long r = 0; r < rows; r++) {
        float* o = out + r * K;
        memset(o, 0, K * sizeof(float));
        for (long s = 0; s < top_k; s++) {
            long j = slot_of[r * top_k + s];
            if (j < 0) continue;
            const float w = weight[r * top_k + s];
            const float* y = ys + j * K;
            for (long i = 0; i < K; i++) o[i] += w * y[i];
        }
    }
}
