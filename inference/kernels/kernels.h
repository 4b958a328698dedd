/* What the kernel library's files share: GCC/Clang vector types, two vector helpers, and the
   functions the library exports (bound from Python in inference/kernels/__init__.py). */
#ifndef INFERENCE_KERNELS_H
#define INFERENCE_KERNELS_H

#include <stdint.h>

typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));
typedef int i32x16 __attribute__((vector_size(64)));

static inline v16 load16(const float* p) { v16 v; __builtin_memcpy(&v, p, sizeof v); return v; }

/* A tree of halves (8 + 8, 4 + 4, ...): four vector adds where a running scalar sum would wait
   on sixteen dependent adds; every row of every product is summed the same way. */
static inline float sum16(v16 v) {
    v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
           __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    v4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    return (b[0] + b[2]) + (b[1] + b[3]);
}

/* gemv.c: products and decode attention. */
void gemv_grouped(const float* x, const void* w, float* y, const int64_t* segs, long nseg,
                  long K, long N, long w_stride, int bf16, int threads);
void gemv_nk(const float* x, const void* w, float* y, long M, long K, long N, int bf16,
             int threads);
void attend_decode(const float* q, const void* k, const void* v, float* scratch,
                   const unsigned char* mask, float* out, long nseg, long kv_heads, long G,
                   long L, long D, long head_stride, float scale, int bf16, int threads);

/* fused.c: the fused steps of a lean decode step. */
void add_rms_norm(float* x, const float* add, float scale, const float* w, float* out,
                  long rows, long n, float eps);
void rope_store(const float* qkv, long ld, long rows, long heads, long kv_heads, long D,
                const float* cos, const float* sin, float* q_out, void* keys, void* values,
                long slot_stride, long head_stride, const int64_t* pos, int bf16);
void moe_decode(const float* x, long rows, long top_k, const int64_t* index, const float* weight,
                long E, long K, long I, const void* gate_up, const void* down, int bf16,
                float* scratch, float* out, int threads);

/* int8.c: int8 prefill's quantisation and rescaling. */
void int8_quantize_rows(const float* x, signed char* q, float* scale, long M, long K);
void int8_rescale(const int* sums, const float* row_scale, const float* col_scale, float* out,
                  long M, long N);

#endif
