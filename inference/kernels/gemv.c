/* Products of the decode kernel: y[M,N] = x[M,K] @ W[N,K]^T with W in nn.Linear's own
   (output-major) layout, for a few rows of x (a decode batch), plus decode attention.

   Each weight row is read once, front to back, and dotted with every input row (held in L1),
   with 16-lane partial sums per row in registers (GCC/Clang vector types: AVX-512 where the CPU
   has it, narrower vectors otherwise). On a 2-core EPYC one core streams weights at 33-41 GB/s
   for 1-4 rows (MKL: 10-27 GB/s); on a 2-core Ice Lake Xeon 11-12 GB/s, about what torch's own
   sum reads there. An earlier input-major loop fell to 7-15 GB/s at 8 rows because it re-read
   its output rows once per weight row. A product may be shared with helper threads (blocks of
   64 weight rows claimed from one counter); a quiet second core adds 10-25% for one row and
   40-60% for four, and a busy one costs nothing (see "Sharing a product" below). */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

/* bf16 weights are the top half of an fp32: widen 16 of them and shift into place. With AVX-512
   the widening is one load-and-extend instruction; the generic vector code compiles to two
   half-width extends plus an insert, three more shuffles per 16 weights, which held one Ice
   Lake core to 8 GB/s in a product. */
typedef unsigned short u16x16 __attribute__((vector_size(32)));
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__AVX512F__)
static inline v16 load16_bf16(const unsigned short* p) {
    __m512i wide = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)p)), 16);
    return (v16)_mm512_castsi512_ps(wide);
}
#else
static inline v16 load16_bf16(const unsigned short* p) {
    u16x16 h;
    __builtin_memcpy(&h, p, sizeof h);
    i32x16 wide = __builtin_convertvector(h, i32x16) << 16;
    v16 v;
    __builtin_memcpy(&v, &wide, sizeof v);
    return v;
}
#endif
/* Every multiply-add of a product is spelled out as a fused one (one rounding), never left to the
   compiler: whether it fuses `a * b + c` is a per-loop decision. GCC tuned for AMD Zen
   (-march=native on the EPYC) keeps a loop-carried scalar chain unfused ("avoid FMA chains")
   but fuses the same sum once the loop is fully unrolled, so the remainder of a row (K not a
   multiple of 16) was rounded differently with one weight row per pass than with several, and a
   bf16 row's result changed with the rows beside it. Without a fused multiply-add in the
   target, the compiler cannot fuse either, so the plain expression is just as fixed. */
#if defined(__FP_FAST_FMAF)
static inline float fma1(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
#else
static inline float fma1(float a, float b, float c) { return a * b + c; }
#endif
static inline v16 fma16(v16 a, v16 b, v16 c) {
#if defined(__AVX512F__)
    return (v16)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif defined(__FMA__)
    v8 lo = (v8)_mm256_fmadd_ps((__m256)__builtin_shufflevector(a, a, 0, 1, 2, 3, 4, 5, 6, 7),
                                (__m256)__builtin_shufflevector(b, b, 0, 1, 2, 3, 4, 5, 6, 7),
                                (__m256)__builtin_shufflevector(c, c, 0, 1, 2, 3, 4, 5, 6, 7));
    v8 hi = (v8)_mm256_fmadd_ps(
        (__m256)__builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15),
        (__m256)__builtin_shufflevector(b, b, 8, 9, 10, 11, 12, 13, 14, 15),
        (__m256)__builtin_shufflevector(c, c, 8, 9, 10, 11, 12, 13, 14, 15));
    return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#else
    v16 r;
    for (int i = 0; i < 16; i++) r[i] = fma1(a[i], b[i], c[i]);
    return r;
#endif
}
static inline float f32_of(float w) { return w; }
static inline float f32_of_bf16(unsigned short w) {
    unsigned int bits = (unsigned int)w << 16;
    float f;
    __builtin_memcpy(&f, &bits, sizeof f);
    return f;
}

/* Weights are streamed once per product, and asked for PREFETCH_BYTES ahead of where each weight
   row is being read, past the hardware prefetcher's reach. The hint is chosen per CPU vendor
   when the kernel is compiled (PREFETCH_HINT: 0 = non-temporal, 3 = into every cache level):
   on the AMD EPYC a non-temporal hint made a decode step 10% faster at one row and 15% at eight
   (2 KB and 6 KB ahead were slower, as were hints that keep the lines in L1 or L2); on the
   Ice Lake Xeon the same hint cost 15% against one into all levels. A prefetch never faults, so
   reading ahead past the end of a weight is harmless. */
#define PREFETCH_BYTES 4096
#ifndef PREFETCH_HINT
#define PREFETCH_HINT 0
#endif
/* Prefetch once per 64-byte line of weights (1), or once per 16 weights (0, as tuned on the EPYC). */
#ifndef PREFETCH_PER_LINE
#define PREFETCH_PER_LINE 1
#endif

/* rows_R (fp32 weights) and rows_bf16_R: R input rows against N weight rows. Inputs and sums
   stay fp32 either way; bf16 weights halve the bytes a product reads. G weight rows go through
   the loop together: with one, each sum waited on its own previous multiply-add and one core
   read 5-8 GB/s; G independent chains keep the loads in flight. Every (input row, weight row)
   sum still has its own accumulator, filled by the same fused multiply-adds in the same order
   whatever R and G, so a row's result does not depend on the rows beside it. */
#define DEFINE_ROWS(NAME, WT, LOAD, SCALAR, R, G)                                              \
static inline __attribute__((always_inline)) void NAME##R##_pass(                              \
        const float* restrict x, const WT* restrict w, float* restrict y, long K, long ldy,    \
        const int g_count) {                                                                   \
    v16 acc[G][R];                                                                             \
    for (int g = 0; g < g_count; g++)                                                          \
        for (int m = 0; m < R; m++) acc[g][m] = (v16){0};                                      \
    long k = 0;                                                                                \
    for (; k + 16 <= K; k += 16) {                                                             \
        for (int g = 0; g < g_count; g++) {                                                    \
            if (!PREFETCH_PER_LINE || ((k * (long)sizeof(WT)) & 63) == 0)                      \
                __builtin_prefetch((const char*)(w + g * K + k) + PREFETCH_BYTES, 0,           \
                                   PREFETCH_HINT);                                             \
            const v16 wv = LOAD(w + g * K + k);                                                \
            for (int m = 0; m < R; m++)                                                        \
                acc[g][m] = fma16(wv, load16(x + m * K + k), acc[g][m]);                       \
        }                                                                                      \
    }                                                                                          \
    for (int g = 0; g < g_count; g++) {                                                        \
        const WT* restrict wr = w + g * K;                                                     \
        for (int m = 0; m < R; m++) {                                                          \
            float s = sum16(acc[g][m]);                                                        \
            for (long j = k; j < K; j++) s = fma1(SCALAR(wr[j]), x[m * K + j], s);             \
            y[m * ldy + g] = s;                                                                \
        }                                                                                      \
    }                                                                                          \
}                                                                                              \
static void NAME##R(const float* restrict x, const WT* restrict w, float* restrict y,         \
                    long K, long N, long ldy) {                                                \
    long n = 0;                                                                                \
    for (; n + G <= N; n += G) NAME##R##_pass(x, w + n * K, y + n, K, ldy, G);                 \
    for (; n < N; n++) NAME##R##_pass(x, w + n * K, y + n, K, ldy, 1);                         \
}
#define DEFINE_BOTH(R, G)                                                                      \
    DEFINE_ROWS(rows_, float, load16, f32_of, R, G)                                            \
    DEFINE_ROWS(rows_bf16_, unsigned short, load16_bf16, f32_of_bf16, R, G)
/* Weight rows per pass, measured on the Ice Lake Xeon (two threads, bf16, 3072x576 matrices
   from memory): 4 for one input row (20.8 GB/s; 1: 19.0); 2 for two to eight (two rows 19.6
   GB/s against 17.3 with 4; eight 15.1 against 12.7 with 1). With the non-temporal hint, 4 rows
   were slower there than 1 (6.1 against 8.1 GB/s on one thread), so the EPYC's build keeps the
   one row it was tuned with (WEIGHT_ROWS_ONE = WEIGHT_ROWS_MANY = 1). */
#ifndef WEIGHT_ROWS_ONE
#define WEIGHT_ROWS_ONE 4
#endif
#ifndef WEIGHT_ROWS_MANY
#define WEIGHT_ROWS_MANY 2
#endif
DEFINE_BOTH(1, WEIGHT_ROWS_ONE) DEFINE_BOTH(2, WEIGHT_ROWS_MANY) DEFINE_BOTH(3, WEIGHT_ROWS_MANY)
DEFINE_BOTH(4, WEIGHT_ROWS_MANY) DEFINE_BOTH(5, WEIGHT_ROWS_MANY) DEFINE_BOTH(6, WEIGHT_ROWS_MANY)
DEFINE_BOTH(7, WEIGHT_ROWS_MANY) DEFINE_BOTH(8, WEIGHT_ROWS_MANY)

/* Weight rows [0, N) of one product into y, whose rows are ldy apart; M <= 8. */
static void slice(const float* x, const void* w, int bf16, float* y, long M, long K, long N,
                  long ldy) {
#define CASE(R)                                                                                \
    case R:                                                                                    \
        if (bf16) rows_bf16_##R(x, (const unsigned short*)w, y, K, N, ldy);                    \
        else rows_##R(x, (const float*)w, y, K, N, ldy);                                       \
        break;
    switch (M) { CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8) }
#undef CASE
}

/* A grouped product: segment s multiplies its own consecutive rows of x (and of y) by the
   weight matrix at index weight[s] of a stack, as the experts of a mixture-of-experts layer
   do. A plain product is one segment. The work is cut into blocks of BLOCK_ROWS weight rows;
   up to 8 input rows (a decode batch) go through a block's weights in one pass; a longer
   segment is done in chunks of 4 within a block, whose weights then come from the core's L2
   cache after the first chunk instead of from memory. */
#define BLOCK_ROWS 64
#define SHARED_MIN_ROWS 1024
typedef struct {
    const float* x; const char* w; float* y;
    const int64_t* segs;  /* per segment: weight index, first row, rows */
    long nseg, K, N, w_stride, blocks_per_seg, blocks;
    int bf16;             /* weights are bf16 (2 bytes each), else fp32 */
    long D;               /* attend_decode only: the head size (0 for a product) */
    /* attend_decode only (x the queries, w the keys, K the query heads per key/value head, N
       the positions): */
    const char* v;                /* the values, laid out as the keys */
    float* scratch;               /* G x Lp floats per segment for scores */
    const unsigned char* mask;    /* (B, L) positions to attend to, or NULL for all */
    long kv_heads;                /* segments per batch row */
    float scale;
} product;

static void attend_decode_segment(const product* p, long s);

static void run_block(const product* p, long b) {
    if (p->D) {
        attend_decode_segment(p, b);
        return;
    }
    const int64_t* seg = p->segs + 3 * (b / p->blocks_per_seg);
    long n0 = (b % p->blocks_per_seg) * BLOCK_ROWS;
    long n1 = n0 + BLOCK_ROWS < p->N ? n0 + BLOCK_ROWS : p->N;
    long size = p->bf16 ? 2 : 4;
    const char* w = p->w + (seg[0] * p->w_stride + n0 * p->K) * size;
    long M = seg[2], step = M <= 8 ? M : 4;
    for (long m = 0; m < M; m += step) {
        long rows = M - m < step ? M - m : step;
        long row = seg[1] + m;
        slice(p->x + row * p->K, w, p->bf16, p->y + row * p->N + n0, rows, p->K, n1 - n0, p->N);
    }
}

static void run_alone(const product* p) {
    for (long b = 0; b < p->blocks; b++) run_block(p, b);
}

#ifdef __linux__
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() do { } while (0)
#endif

/* Sharing a product with helper threads. The weight rows are cut into blocks that the caller
   and the helpers claim from one counter. The caller never waits for a helper to arrive, only
   for a block a helper has already claimed; a helper whose core is taken by another process
   therefore costs nothing unless it is preempted holding a block. When that happens (a wait
   over WAIT_NS), the caller works alone for the next few products: MIN_BACKOFF after a shared
   product that went well, twice as many after each further long wait, up to MAX_BACKOFF. A core
   that another process holds soon leaves the caller alone for good stretches, while a virtual
   CPU's occasional hiccup costs a few products: a fixed 1000 after any one long wait left the
   caller alone nearly all the time on a 2-vCPU VM (8 GB/s instead of 14-17 with the helper). */
#define MAX_HELPERS 15
#define SPIN_NS 20000L
#define WAIT_NS 200000L
#define MIN_BACKOFF 8
#define MAX_BACKOFF 1000
static struct {
    product p;
    atomic_long next;
    atomic_int open;      /* 1 while helpers may join the current product */
    atomic_int inside;    /* helpers inside the current product */
    atomic_int sleepers;  /* helpers asleep on `open` */
} job;
static atomic_flag busy = ATOMIC_FLAG_INIT;  /* one shared product at a time per process */
static int helpers_started;
static long backoff;
static long next_backoff = MIN_BACKOFF;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

static inline long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void run_blocks(void) {
    long b;
    while ((b = atomic_fetch_add(&job.next, 1)) < job.p.blocks) run_block(&job.p, b);
}

static void* helper(void* unused) {
    (void)unused;
    for (;;) {
        /* Spin briefly (the products of a decode step come microseconds apart), then sleep. */
        long since = now_ns();
        while (!atomic_load(&job.open)) {
            CPU_RELAX();
            if (now_ns() - since > SPIN_NS) {
                atomic_fetch_add(&job.sleepers, 1);
                if (!atomic_load(&job.open))
                    syscall(SYS_futex, &job.open, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
                atomic_fetch_sub(&job.sleepers, 1);
                since = now_ns();
            }
        }
        atomic_fetch_add(&job.inside, 1);
        if (atomic_load(&job.open)) run_blocks();
        atomic_fetch_sub(&job.inside, 1);
        while (atomic_load(&job.open)) CPU_RELAX();  /* never twice into one product */
    }
    return NULL;
}

/* A forked child has none of the parent's helpers: start its own when it needs them. */
static void after_fork_in_child(void) {
    helpers_started = 0;
    backoff = 0;
    next_backoff = MIN_BACKOFF;
    atomic_store(&job.open, 0);
    atomic_store(&job.inside, 0);
    atomic_store(&job.sleepers, 0);
    atomic_flag_clear(&busy);
    pthread_mutex_init(&start_lock, NULL);
}

static void start_helpers(int count) {
    pthread_mutex_lock(&start_lock);
    if (helpers_started == 0) pthread_atfork(NULL, NULL, after_fork_in_child);
    for (; helpers_started < count && helpers_started < MAX_HELPERS; helpers_started++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, helper, NULL) != 0) break;
        pthread_detach(thread);
    }
    pthread_mutex_unlock(&start_lock);
}

/* Shares one product with the helpers (up to `threads` threads in all). */
static void run_shared(const product* p, int threads) {
    if (threads <= 1 || p->blocks < 2 || atomic_flag_test_and_set(&busy)) {
        run_alone(p);
        return;
    }
    if (backoff > 0) {
        backoff--;
        run_alone(p);
        atomic_flag_clear(&busy);
        return;
    }
    if (helpers_started < threads - 1) start_helpers(threads - 1);
    job.p = *p;
    atomic_store(&job.next, 0);
    atomic_store(&job.open, 1);
    if (atomic_load(&job.sleepers))
        syscall(SYS_futex, &job.open, FUTEX_WAKE_PRIVATE, MAX_HELPERS, NULL, NULL, 0);
    run_blocks();
    atomic_store(&job.open, 0);
    if (atomic_load(&job.inside)) {
        long waited_from = now_ns();
        while (atomic_load(&job.inside)) CPU_RELAX();
        if (now_ns() - waited_from > WAIT_NS) {  /* the helper's core was taken meanwhile */
            backoff = next_backoff;
            next_backoff = next_backoff * 2 < MAX_BACKOFF ? next_backoff * 2 : MAX_BACKOFF;
            atomic_flag_clear(&busy);
            return;
        }
    }
    next_backoff = MIN_BACKOFF;
    atomic_flag_clear(&busy);
}
#else  /* elsewhere the product runs on the calling thread */
static void run_shared(const product* p, int threads) {
    (void)threads;
    run_alone(p);
}
#endif

/* y[R,N] = for each segment s: x[rows of s] @ w[weight of s][N,K]^T, with w_stride elements
   between the stacked weight matrices; the weights are bf16 when `bf16` is set, else fp32. */
void gemv_grouped(const float* x, const void* w, float* y, const int64_t* segs, long nseg,
                  long K, long N, long w_stride, int bf16, int threads) {
    long per_seg = (N + BLOCK_ROWS - 1) / BLOCK_ROWS;
    product p = {.x = x, .w = (const char*)w, .y = y, .segs = segs, .nseg = nseg, .K = K, .N = N,
                 .w_stride = w_stride, .blocks_per_seg = per_seg, .blocks = per_seg * nseg,
                 .bf16 = bf16};
    /* A product of fewer than two blocks is not worth waking a helper for, and neither is one of
       fewer than SHARED_MIN_ROWS weight rows for at most 4 input rows: an attention projection of
       the demo model (576 rows) took 26 us alone and 39 us shared at one row, with no difference
       at eight rows, where sharing still pays for the smaller ones. */
    long most_rows = 0;
    for (long s = 0; s < nseg; s++) most_rows = segs[3 * s + 2] > most_rows ? segs[3 * s + 2] : most_rows;
    int alone = (nseg == 1 && N < 2 * BLOCK_ROWS) || (nseg * N < SHARED_MIN_ROWS && most_rows <= 4);
    run_shared(&p, alone ? 1 : threads);
}

/* y[M,N] = x[M,K] @ w[N,K]^T on up to `threads` threads. */
void gemv_nk(const float* x, const void* w, float* y, long M, long K, long N, int bf16,
             int threads) {
    int64_t seg[3] = {0, 0, M};
    gemv_grouped(x, w, y, seg, 1, K, N, 0, bf16, threads);
}

/* Lanes of a where `pick` is set (all ones), else of b. */
static inline v16 select16(i32x16 pick, v16 a, v16 b) {
    i32x16 ai, bi;
    __builtin_memcpy(&ai, &a, sizeof ai);
    __builtin_memcpy(&bi, &b, sizeof bi);
    ai = (ai & pick) | (bi & ~pick);
    v16 out;
    __builtin_memcpy(&out, &ai, sizeof out);
    return out;
}

/* exp(x) of 16 lanes with x in [-87, 0] (a softmax after subtracting its maximum): 2^n * p(r)
   with r = x - n ln2 in [-ln2/2, ln2/2] and a degree-6 polynomial (relative error ~2e-7). */
static inline v16 exp16(v16 x) {
    const v16 log2e = (v16){0} + 1.44269504088896341f;
    const v16 ln2_hi = (v16){0} + 0.693359375f, ln2_lo = (v16){0} - 2.12194440e-4f;
    i32x16 n = __builtin_convertvector(x * log2e - 0.5f, i32x16);  /* round, x <= 0 */
    v16 nf = __builtin_convertvector(n, v16);
    v16 r = x - nf * ln2_hi - nf * ln2_lo;
    v16 poly = 1.f + r * (1.f + r * (0.5f + r * (1.f / 6 + r * (1.f / 24 + r * (1.f / 120 + r * (1.f / 720))))));
    i32x16 bits = (n + 127) << 23;
    v16 scale;
    __builtin_memcpy(&scale, &bits, sizeof scale);
    return poly * scale;
}

/* One key/value head of one row of a decode step: scores of its G query heads against the row's
   keys (each key read once for all G), softmax, then the weighted sum of values (each value read
   once for all G). Positions the mask leaves out, and none past L, get a probability of 0. */
static void attend_decode_segment(const product* p, long s) {
    long G = p->K, L = p->N, D = p->D, J = D / 16, Lp = (L + 15) / 16 * 16;
    long size = p->bf16 ? 2 : 4;
    const float* q = p->x + s * G * D;
    const char* ks = p->w + s * p->w_stride * size;
    const char* vs = p->v + s * p->w_stride * size;
    const unsigned char* mask = p->mask ? p->mask + (s / p->kv_heads) * L : NULL;
    float* sc = p->scratch + s * G * Lp;
    float top[8];
    for (long g = 0; g < G; g++) top[g] = -__builtin_inff();
    for (long t = 0; t < Lp; t++) {
        if (t >= L || (mask && !mask[t])) {
            for (long g = 0; g < G; g++) sc[g * Lp + t] = -__builtin_inff();
            continue;
        }
        const char* row = ks + t * D * size;
        __builtin_prefetch(row + PREFETCH_BYTES, 0, PREFETCH_HINT);
        v16 kv[16];
        for (long j = 0; j < J; j++)
            kv[j] = p->bf16 ? load16_bf16((const unsigned short*)row + 16 * j)
                            : load16((const float*)row + 16 * j);
        for (long g = 0; g < G; g++) {
            v16 acc = kv[0] * load16(q + g * D);
            for (long j = 1; j < J; j++) acc += kv[j] * load16(q + g * D + 16 * j);
            float score = sum16(acc) * p->scale;
            sc[g * Lp + t] = score;
            top[g] = score > top[g] ? score : top[g];
        }
    }
    float inv[8];
    const v16 floor_ = (v16){0} - 87.f;
    for (long g = 0; g < G; g++) {
        v16 total = (v16){0};
        for (long t = 0; t < Lp; t += 16) {
            v16 d = load16(sc + g * Lp + t) - top[g];
            i32x16 gone = d < floor_;  /* masked (-inf), or too small to count */
            v16 e = select16(gone, (v16){0}, exp16(select16(gone, floor_, d)));
            __builtin_memcpy(sc + g * Lp + t, &e, sizeof e);
            total += e;
        }
        float sum = sum16(total);
        inv[g] = sum > 0.f ? 1.f / sum : 0.f;
    }
    v16 acc[8 * 16];
    for (long i = 0; i < G * J; i++) acc[i] = (v16){0};
    for (long t = 0; t < L; t++) {
        const char* row = vs + t * D * size;
        __builtin_prefetch(row + PREFETCH_BYTES, 0, PREFETCH_HINT);
        for (long g = 0; g < G; g++) {
            const float pg = sc[g * Lp + t] * inv[g];
            if (pg == 0.f) continue;
            for (long j = 0; j < J; j++) {
                const v16 vv = p->bf16 ? load16_bf16((const unsigned short*)row + 16 * j)
                                       : load16((const float*)row + 16 * j);
                acc[g * J + j] += pg * vv;
            }
        }
    }
    for (long g = 0; g < G; g++)
        for (long j = 0; j < J; j++)
            __builtin_memcpy(p->y + (s * G + g) * D + 16 * j, &acc[g * J + j], sizeof(v16));
}

/* Decode attention in one call: out[s][g] for each of `nseg` (row, key/value head) segments
   (s = row * kv_heads + head) with G query heads each; keys and values have rows D elements
   apart and segments `head_stride` elements apart; `scratch` holds nseg x G x round16(L) floats.
   Small steps run on the calling thread; larger ones share their segments with the helpers. */
void attend_decode(const float* q, const void* k, const void* v, float* scratch,
                   const unsigned char* mask, float* out, long nseg, long kv_heads, long G,
                   long L, long D, long head_stride, float scale, int bf16, int threads) {
    product p = {.x = q, .w = (const char*)k, .y = out, .nseg = nseg, .K = G, .N = L,
                 .w_stride = head_stride, .blocks_per_seg = 1, .blocks = nseg, .bf16 = bf16,
                 .D = D, .v = (const char*)v, .scratch = scratch, .mask = mask,
                 .kv_heads = kv_heads, .scale = scale};
    run_shared(&p, nseg * L < 4096 ? 1 : threads);
}
