// The batch-1 limit of docs/performance.md, measured: rnnkit's step kernel
// for one sequence (a matrix-vector product over the packed W_hh, then the
// gates) against a plain read of the same bytes, both on one core, the
// bytes warm in that core's cache. When the kernel runs near the read rate,
// batch 1 is bound by reading W_hh, and no kernel change can beat it.
//
// And the large-batch limit: one core's multiply-add peak (independent
// chains of 512-bit and of 256-bit FMAs) against the step kernel at batch 64
// (the recurrent product with the gates) and oneDNN's sgemm at the shape of
// one projection chunk (8 steps × 64 rows), in thread CPU time. When both
// run near the peak, no engine can be much faster than the other.
//
// `make bench-step`, or by hand:
//   clang -O2 -ISources/CRNNKernels/include -ISources/CRNNKernels \
//       scripts/bench_step_kernel.c Sources/CRNNKernels/*.c -ldnnl -lpthread -lm -o /tmp/bench_step
//   /tmp/bench_step [hidden] [threads]
// A benchmark, not a test: run it on a quiet machine.
#include "CRNNKernels.h"
#include <dnnl.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

// Sums `count` floats with eight independent 256-bit accumulators: a read
// bound only by the cache the bytes come from.
__attribute__((noinline, target("avx2"))) static float read_all(const float *p, long count) {
    __m256 a[8];
    for (int i = 0; i < 8; i++) a[i] = _mm256_setzero_ps();
    for (long i = 0; i + 64 <= count; i += 64)
        for (int j = 0; j < 8; j++) a[j] = _mm256_add_ps(a[j], _mm256_load_ps(p + i + 8 * j));
    for (int i = 1; i < 8; i++) a[0] = _mm256_add_ps(a[0], a[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, a[0]);
    return lanes[0];
}

/// Best µs per call of `body` over 30 rounds of `calls` calls.
#define BEST_MICROSECONDS(result, calls, body)                          \
    do {                                                                \
        double best = 1e30;                                             \
        for (int round = 0; round < 30; round++) {                      \
            const double start = seconds();                             \
            for (int call = 0; call < (calls); call++) { body; }        \
            const double took = (seconds() - start) / (calls);          \
            if (took < best) best = took;                               \
        }                                                               \
        (result) = best * 1e6;                                          \
    } while (0)

/// A square `W_hh` of `kind` (gates·hidden × hidden, values in [-0.5, 0.5)), packed for the step kernel.
static float *packed_weights(int kind, long hidden) {
    const long rows = rk_step_gates(kind) * hidden;
    float *w = malloc(sizeof(float) * rows * hidden);
    for (long i = 0; i < rows * hidden; i++) w[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    const long packed_count = rk_packed_count(kind, hidden, hidden);
    float *packed = aligned_alloc(64, sizeof(float) * (size_t)((packed_count + 15) / 16 * 16));
    rk_pack(kind, w, hidden, hidden, packed);
    free(w);
    return packed;
}

static void measure(int kind, const char *name, long hidden, int threads, int level) {
    const long gates = rk_step_gates(kind), rows = gates * hidden;
    const long packed_count = rk_packed_count(kind, hidden, hidden);
    float *packed = packed_weights(kind, hidden);
    float *h = aligned_alloc(64, sizeof(float) * 1024 * ((hidden + 1023) / 1024));
    float *x = aligned_alloc(64, sizeof(float) * 1024 * ((rows + 1023) / 1024));
    float *bias = aligned_alloc(64, sizeof(float) * 1024 * ((rows + 1023) / 1024));
    float *hbias = aligned_alloc(64, sizeof(float) * 1024 * ((rows + 1023) / 1024));
    float *c = aligned_alloc(64, sizeof(float) * 1024 * ((hidden + 1023) / 1024));
    float *out = aligned_alloc(64, sizeof(float) * 1024 * ((hidden + 1023) / 1024));
    for (long i = 0; i < hidden; i++) h[i] = 0.01f * (float)(i % 13), c[i] = 0.0f;
    for (long i = 0; i < rows; i++) x[i] = 0.1f, bias[i] = 0.0f, hbias[i] = 0.0f;
    rk_step step = {kind, 1, hidden, hidden, packed, h, hidden, x, rows, bias, hbias, c, hidden, out, hidden};
    const long blocks = rk_step_blocks(&step);
    const long share = (blocks + threads - 1) / threads;  // blocks one member of `threads` runs
    const double bytes = (double)share / (double)blocks * (double)packed_count * sizeof(float);
    const unsigned saved = rk_flush_denormals();
    double kernel, plain;
    BEST_MICROSECONDS(kernel, 200, rk_step_run(level, &step, 0, share));
    volatile float sink = 0;
    float *volatile source = packed;  // read anew each call: the compiler cannot reuse one sum
    const long floats = (long)(bytes / sizeof(float)) / 64 * 64;
    BEST_MICROSECONDS(plain, 200, sink += read_all(source, floats));
    rk_restore_denormals(saved);
    printf("%-4s hidden %4ld, 1 row, %ld of %ld blocks (%d thread%s share, %6.0f KB): step %6.2f µs (%5.1f GB/s), "
           "plain read %6.2f µs (%5.1f GB/s): step at %3.0f%% of the read rate\n",
           name, hidden, share, blocks, threads, threads == 1 ? "'s" : "s'", bytes / 1024, kernel, bytes / kernel / 1e3,
           plain, bytes / plain / 1e3, 100 * plain / kernel);
    free(packed), free(h), free(x), free(bias), free(hbias), free(c), free(out);
}

static double thread_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

// Twelve independent chains of multiply-adds, each result kept live: the
// core's FMA throughput for 512-bit and for 256-bit vectors.
#define FMA_CHAINS(name, target_, vec, set1, fmadd, lanes)                                              \
    __attribute__((noinline, target(target_))) static double name(long n) {                           \
        vec a[12];                                                                                     \
        for (int i = 0; i < 12; i++) a[i] = set1(1e-3f * (float)i);                                   \
        const vec m = set1(0.999f), c = set1(1e-4f);                                                   \
        const double start = thread_seconds();                                                         \
        for (long i = 0; i < n; i++) {                                                                 \
            for (int j = 0; j < 12; j++) a[j] = fmadd(a[j], m, c);                                     \
            __asm__ volatile("" : "+v"(a[0]), "+v"(a[1]), "+v"(a[2]), "+v"(a[3]), "+v"(a[4]), "+v"(a[5]), \
                             "+v"(a[6]), "+v"(a[7]), "+v"(a[8]), "+v"(a[9]), "+v"(a[10]), "+v"(a[11]));  \
        }                                                                                              \
        return 24.0 * (lanes) * (double)n / (thread_seconds() - start) * 1e-9;                         \
    }
FMA_CHAINS(fma_peak512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps, 16)
FMA_CHAINS(fma_peak256, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, 8)

/// GFLOP/s of the step kernel at `batch` rows (hidden = input = `hidden`), best of 15 × 20 steps, thread CPU time.
static double batch_step_rate(int kind, long hidden, long batch, int level) {
    const long gates = rk_step_gates(kind), rows = gates * hidden;
    float *packed = packed_weights(kind, hidden);
    float *h = aligned_alloc(64, sizeof(float) * batch * hidden), *c = aligned_alloc(64, sizeof(float) * batch * hidden);
    float *out = aligned_alloc(64, sizeof(float) * batch * hidden), *x = aligned_alloc(64, sizeof(float) * batch * rows);
    float *bias = aligned_alloc(64, sizeof(float) * rows), *hbias = aligned_alloc(64, sizeof(float) * rows);
    for (long i = 0; i < batch * hidden; i++) h[i] = 0.01f * (float)(i % 7), c[i] = 0.1f;
    for (long i = 0; i < batch * rows; i++) x[i] = 0.01f * (float)(i % 5);
    for (long i = 0; i < rows; i++) bias[i] = 0.1f, hbias[i] = 0.05f;
    rk_step step = {kind, batch, hidden, hidden, packed, h, hidden, x, rows, bias, hbias, c, hidden, out, hidden};
    const long blocks = rk_step_blocks(&step);
    const unsigned saved = rk_flush_denormals();
    double best = 1e30;
    for (int round = 0; round < 15; round++) {
        const double start = thread_seconds();
        for (int call = 0; call < 20; call++) rk_step_run(level, &step, 0, blocks);
        const double took = (thread_seconds() - start) / 20;
        if (took < best) best = took;
    }
    rk_restore_denormals(saved);
    free(packed), free(h), free(c), free(out), free(x), free(bias), free(hbias);
    return 2.0 * (double)batch * (double)rows * (double)hidden / best * 1e-9;
}

/// GFLOP/s of oneDNN's sgemm (one thread) for m × n × k, best of 15, thread CPU time.
static double onednn_rate(long m, long n, long k) {
    float *a = aligned_alloc(64, sizeof(float) * m * k), *b = aligned_alloc(64, sizeof(float) * n * k);
    float *y = aligned_alloc(64, sizeof(float) * m * n);
    for (long i = 0; i < m * k; i++) a[i] = (float)(i % 100) / 100.0f;
    for (long i = 0; i < n * k; i++) b[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    double best = 1e30;
    for (int round = 0; round < 15; round++) {
        const double start = thread_seconds();
        if (dnnl_sgemm('N', 'T', m, n, k, 1.0f, a, k, b, k, 0.0f, y, n) != dnnl_success) best = 0;
        const double took = thread_seconds() - start;
        if (took < best) best = took;
    }
    free(a), free(b), free(y);
    return best > 0 ? 2.0 * (double)m * (double)n * (double)k / best * 1e-9 : 0;
}

static void large_batch(int level) {
    const double peak256 = fma_peak256(50000000);
    const double peak512 = level == RK_LEVEL_AVX512 ? fma_peak512(50000000) : 0;
    const double peak = peak512 > peak256 ? peak512 : peak256;
    char wide[32] = "not available";
    if (peak512 > 0) snprintf(wide, sizeof wide, "%.1f", peak512);
    printf("\nlarge batch, one core, thread CPU time: FMA peak %.1f GFLOP/s (chains of 256-bit FMAs %.1f, of 512-bit %s)\n",
           peak, peak256, wide);
    const struct { int kind; const char *name; long hidden, batch; } cases[] = {
        {RK_STEP_LSTM, "LSTM", 512, 64}, {RK_STEP_GRU, "GRU", 512, 64}, {RK_STEP_LSTM, "LSTM", 256, 32}};
    for (int i = 0; i < 3; i++) {
        const double rate = batch_step_rate(cases[i].kind, cases[i].hidden, cases[i].batch, level);
        printf("  step kernel %-4s hidden %ld, batch %ld (product and gates): %6.1f GFLOP/s, %3.0f%% of the peak\n",
               cases[i].name, cases[i].hidden, cases[i].batch, rate, 100 * rate / peak);
    }
    const double gemm = onednn_rate(512, 2048, 512);
    printf("  oneDNN sgemm 512 x 2048 x 512 (one projection chunk of the LSTM 512 at batch 64): %6.1f GFLOP/s, %3.0f%% of the peak\n",
           gemm, 100 * gemm / peak);
}

int main(int argc, char **argv) {
    const long hidden = argc > 1 ? atol(argv[1]) : 256;
    const int most = argc > 2 ? atoi(argv[2]) : 2;
    if (hidden < 8 || hidden > 8192 || most < 1 || most > 64) {
        fprintf(stderr, "usage: bench_step [hidden 8…8192] [threads 1…64]\n");
        return 64;
    }
    const int level = rk_best_level();
    printf("step kernels: %s; one core, best of 30 × 200 calls, the bytes warm in its cache\n",
           level == RK_LEVEL_AVX512 ? "avx512" : level == RK_LEVEL_AVX2 ? "avx2" : "portable");
    for (int threads = 1; threads <= most; threads *= 2) {
        measure(RK_STEP_LSTM, "LSTM", hidden, threads, level);
        measure(RK_STEP_GRU, "GRU", hidden, threads, level);
    }
    large_batch(level);
    return 0;
}
