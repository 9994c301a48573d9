// The AVX2+FMA kernels. Only these functions use AVX2 instructions; the
// dispatcher calls them after checking the CPU, so the binary still runs on
// any x86-64.
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "StepVector.h"

void rk_sigmoid_avx2(const float *x, float *y, long n) {
    for (long i = 0; i < n; i += 8) {
        const long m = n - i < 8 ? n - i : 8;
        const __m256i mask = _mm256_loadu_si256((const __m256i *)(maskTable + 8 - m));
        store8(y + i, sigmoid8(load8(x + i, m, mask)), m, mask);
    }
}

void rk_tanh_avx2(const float *x, float *y, long n) {
    for (long i = 0; i < n; i += 8) {
        const long m = n - i < 8 ? n - i : 8;
        const __m256i mask = _mm256_loadu_si256((const __m256i *)(maskTable + 8 - m));
        store8(y + i, tanh8(load8(x + i, m, mask)), m, mask);
    }
}

#ifndef PREFETCH_COLUMNS
#define PREFETCH_COLUMNS 16
#endif

// acc[r][v] += Σ_k h[r][k] · panel[k][8v…8v+7] for R rows and V vectors.
// One row keeps two accumulator sets (even and odd k) so that the FMA
// latency does not limit a matrix-vector product.
INLINE void dot_tile(const float *panel, long k, const float *h, long ldh, const int R, const int V,
                     __m256 acc[3][4]) {
    const long width = 8 * V;
    if (R == 1) {
        __m256 odd[4];
        for (int v = 0; v < V; v++) odd[v] = _mm256_setzero_ps();
        long p = 0;
        for (; p + 1 < k; p += 2) {
            const __m256 a0 = _mm256_broadcast_ss(h + p), a1 = _mm256_broadcast_ss(h + p + 1);
            const float *column = panel + p * width;
            // A matrix-vector product streams the panel once: fetch ahead.
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width), _MM_HINT_T0);
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width + 16), _MM_HINT_T0);
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width + 32), _MM_HINT_T0);
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width + 48), _MM_HINT_T0);
            for (int v = 0; v < V; v++) acc[0][v] = _mm256_fmadd_ps(a0, _mm256_load_ps(column + 8 * v), acc[0][v]);
            for (int v = 0; v < V; v++) odd[v] = _mm256_fmadd_ps(a1, _mm256_load_ps(column + width + 8 * v), odd[v]);
        }
        if (p < k) {
            const __m256 a0 = _mm256_broadcast_ss(h + p);
            for (int v = 0; v < V; v++) acc[0][v] = _mm256_fmadd_ps(a0, _mm256_load_ps(panel + p * width + 8 * v), acc[0][v]);
        }
        for (int v = 0; v < V; v++) acc[0][v] = _mm256_add_ps(acc[0][v], odd[v]);
        return;
    }
    for (long p = 0; p < k; p++) {
        __m256 a[3];
        for (int r = 0; r < R; r++) a[r] = _mm256_broadcast_ss(h + r * ldh + p);
        const float *column = panel + p * width;
        for (int v = 0; v < V; v++) {
            const __m256 b = _mm256_load_ps(column + 8 * v);
            for (int r = 0; r < R; r++) acc[r][v] = _mm256_fmadd_ps(a[r], b, acc[r][v]);
        }
    }
}

// One tile of R rows over columns k0…k0+kc−1 of the panel: the sums of
// earlier K chunks come from `partial` and all go back there.
INLINE void tile(const rk_step *s, const float *panel, long k0, long kc, long row, float *partial,
                 const int R, const int V) {
    __m256 acc[3][4];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++)
            acc[r][v] = k0 == 0 ? _mm256_setzero_ps() : _mm256_load_ps(partial + (r * 4 + v) * 8);
    dot_tile(panel + k0 * 8 * V, kc, s->h + row * s->ldh + k0, s->ldh, R, V, acc);
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) _mm256_store_ps(partial + (r * 4 + v) * 8, acc[r][v]);
}

// Tiles of three rows (12 accumulators of 16 registers), then two, then one.
INLINE void row_tiles(const rk_step *s, const float *panel, long k0, long kc, long rows0, long rows1, float *partial,
                      const int V) {
    long row = rows0;
    for (; row + 3 <= rows1; row += 3) tile(s, panel, k0, kc, row, partial + (row - rows0) * 32, 3, V);
    for (; row + 2 <= rows1; row += 2) tile(s, panel, k0, kc, row, partial + (row - rows0) * 32, 2, V);
    for (; row < rows1; row++) tile(s, panel, k0, kc, row, partial + (row - rows0) * 32, 1, V);
}

RK_DEFINE_STEP(rk_step_avx2)

#pragma clang attribute pop
