// The AVX-512 kernel (F, VL, BW, DQ): the recurrent product in 512-bit
// vectors and the shared 256-bit gate code (StepVector.h) with EVEX
// encodings and 32 registers. Only these functions use AVX-512; the
// dispatcher calls them after checking the CPU (and that the OS saves the
// 512-bit state), so the binary still runs on any x86-64.
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))), apply_to = function)
#include "StepVector.h"

#ifndef PREFETCH_COLUMNS
#define PREFETCH_COLUMNS 16
#endif

// acc[r] += Σ_k h[r][k] · panel[k][…] for R rows of one tile. An LSTM
// column (32 floats, 128 bytes) is two 512-bit vectors; a GRU column (24
// floats, 96 bytes) is three 256-bit ones, since every other 512-bit load of
// it would straddle two cache lines. Up to 8 rows: 16 or 24 accumulators of
// 32 registers. One row (a matrix-vector product, bound by reading the
// panel) keeps two accumulator sets (even and odd k) and fetches ahead.
INLINE void tile512(const rk_step *s, const float *panel, long k0, long kc, long row, float *partial, const int R,
                    const int V) {
    const long width = 8 * V;
    const float *h = s->h + row * s->ldh + k0;
    const long ldh = s->ldh;
    panel += k0 * width;
    __m512 lo[8], hi[8];   // LSTM: floats 0–15 and 16–31 of a row
    __m256 g[8][3];        // GRU: floats 0–7, 8–15, 16–23
    for (int r = 0; r < R; r++) {
        if (V == 4) {
            lo[r] = k0 == 0 ? _mm512_setzero_ps() : _mm512_load_ps(partial + r * 32);
            hi[r] = k0 == 0 ? _mm512_setzero_ps() : _mm512_load_ps(partial + r * 32 + 16);
        } else {
            for (int v = 0; v < 3; v++) g[r][v] = k0 == 0 ? _mm256_setzero_ps() : _mm256_load_ps(partial + r * 32 + 8 * v);
        }
    }
    long p = 0;
    if (R == 1) {
        __m512 lo1 = _mm512_setzero_ps(), hi1 = _mm512_setzero_ps();
        __m256 g1[3] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (; p + 1 < kc; p += 2) {
            const float *column = panel + p * width;
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width), _MM_HINT_T0);
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width + 16), _MM_HINT_T0);
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width + 32), _MM_HINT_T0);
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width + 48), _MM_HINT_T0);
            if (V == 4) {
                const __m512 a0 = _mm512_set1_ps(h[p]), a1 = _mm512_set1_ps(h[p + 1]);
                lo[0] = _mm512_fmadd_ps(a0, _mm512_load_ps(column), lo[0]);
                hi[0] = _mm512_fmadd_ps(a0, _mm512_load_ps(column + 16), hi[0]);
                lo1 = _mm512_fmadd_ps(a1, _mm512_load_ps(column + width), lo1);
                hi1 = _mm512_fmadd_ps(a1, _mm512_load_ps(column + width + 16), hi1);
            } else {
                const __m256 a0 = _mm256_set1_ps(h[p]), a1 = _mm256_set1_ps(h[p + 1]);
                for (int v = 0; v < 3; v++) g[0][v] = _mm256_fmadd_ps(a0, _mm256_load_ps(column + 8 * v), g[0][v]);
                for (int v = 0; v < 3; v++) g1[v] = _mm256_fmadd_ps(a1, _mm256_load_ps(column + width + 8 * v), g1[v]);
            }
        }
        if (V == 4) {
            lo[0] = _mm512_add_ps(lo[0], lo1);
            hi[0] = _mm512_add_ps(hi[0], hi1);
        } else {
            for (int v = 0; v < 3; v++) g[0][v] = _mm256_add_ps(g[0][v], g1[v]);
        }
    }
    for (; p < kc; p++) {
        const float *column = panel + p * width;
        if (V == 4) {
            const __m512 b0 = _mm512_load_ps(column), b1 = _mm512_load_ps(column + 16);
            for (int r = 0; r < R; r++) {
                const __m512 a = _mm512_set1_ps(h[r * ldh + p]);
                lo[r] = _mm512_fmadd_ps(a, b0, lo[r]);
                hi[r] = _mm512_fmadd_ps(a, b1, hi[r]);
            }
        } else {
            const __m256 b0 = _mm256_load_ps(column), b1 = _mm256_load_ps(column + 8), b2 = _mm256_load_ps(column + 16);
            for (int r = 0; r < R; r++) {
                const __m256 a = _mm256_set1_ps(h[r * ldh + p]);
                g[r][0] = _mm256_fmadd_ps(a, b0, g[r][0]);
                g[r][1] = _mm256_fmadd_ps(a, b1, g[r][1]);
                g[r][2] = _mm256_fmadd_ps(a, b2, g[r][2]);
            }
        }
    }
    for (int r = 0; r < R; r++) {
        if (V == 4) {
            _mm512_store_ps(partial + r * 32, lo[r]);
            _mm512_store_ps(partial + r * 32 + 16, hi[r]);
        } else {
            for (int v = 0; v < 3; v++) _mm256_store_ps(partial + r * 32 + 8 * v, g[r][v]);
        }
    }
}

// Tiles of eight rows, then four, two and one.
INLINE void row_tiles(const rk_step *s, const float *panel, long k0, long kc, long rows0, long rows1, float *partial,
                      const int V) {
    long row = rows0;
    for (; row + 8 <= rows1; row += 8) tile512(s, panel, k0, kc, row, partial + (row - rows0) * 32, 8, V);
    for (; row + 4 <= rows1; row += 4) tile512(s, panel, k0, kc, row, partial + (row - rows0) * 32, 4, V);
    for (; row + 2 <= rows1; row += 2) tile512(s, panel, k0, kc, row, partial + (row - rows0) * 32, 2, V);
    for (; row < rows1; row++) tile512(s, panel, k0, kc, row, partial + (row - rows0) * 32, 1, V);
}

RK_DEFINE_STEP(rk_step_avx512)

#pragma clang attribute pop
