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

// acc[r] += Σ_k h[r][k] · panel[k][…] for R rows of one tile: a packed
// column is 32 floats (V = 4: two 512-bit vectors, lo and hi) or 24 (V = 3:
// a 512-bit lo and a 256-bit hi). Up to 8 rows: 16 accumulators of 32
// registers. One row (a matrix-vector product, bound by reading the panel)
// keeps two accumulator sets (even and odd k) and fetches ahead.
INLINE void tile512(const rk_step *s, const float *panel, long k0, long kc, long row, float *partial, const int R,
                    const int V) {
    const long width = 8 * V;
    const float *h = s->h + row * s->ldh + k0;
    const long ldh = s->ldh;
    panel += k0 * width;
    __m512 lo[8];
    __m256 hi8[8];
    __m512 hi16[8];
    for (int r = 0; r < R; r++) {
        lo[r] = k0 == 0 ? _mm512_setzero_ps() : _mm512_load_ps(partial + r * 32);
        if (V == 4) hi16[r] = k0 == 0 ? _mm512_setzero_ps() : _mm512_load_ps(partial + r * 32 + 16);
        else hi8[r] = k0 == 0 ? _mm256_setzero_ps() : _mm256_load_ps(partial + r * 32 + 16);
    }
    long p = 0;
    if (R == 1) {
        __m512 lo1 = _mm512_setzero_ps(), hi16b = _mm512_setzero_ps();
        __m256 hi8b = _mm256_setzero_ps();
        for (; p + 1 < kc; p += 2) {
            const __m512 a0 = _mm512_set1_ps(h[p]), a1 = _mm512_set1_ps(h[p + 1]);
            const float *column = panel + p * width;
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width), _MM_HINT_T0);
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width + 16), _MM_HINT_T0);
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width + 32), _MM_HINT_T0);
            _mm_prefetch((const char *)(column + PREFETCH_COLUMNS * width + 48), _MM_HINT_T0);
            lo[0] = _mm512_fmadd_ps(a0, _mm512_loadu_ps(column), lo[0]);
            lo1 = _mm512_fmadd_ps(a1, _mm512_loadu_ps(column + width), lo1);
            if (V == 4) {
                hi16[0] = _mm512_fmadd_ps(a0, _mm512_loadu_ps(column + 16), hi16[0]);
                hi16b = _mm512_fmadd_ps(a1, _mm512_loadu_ps(column + width + 16), hi16b);
            } else {
                hi8[0] = _mm256_fmadd_ps(_mm512_castps512_ps256(a0), _mm256_load_ps(column + 16), hi8[0]);
                hi8b = _mm256_fmadd_ps(_mm512_castps512_ps256(a1), _mm256_load_ps(column + width + 16), hi8b);
            }
        }
        lo[0] = _mm512_add_ps(lo[0], lo1);
        if (V == 4) hi16[0] = _mm512_add_ps(hi16[0], hi16b); else hi8[0] = _mm256_add_ps(hi8[0], hi8b);
    }
    for (; p < kc; p++) {
        const float *column = panel + p * width;
        const __m512 b0 = _mm512_loadu_ps(column);
        if (V == 4) {
            const __m512 b1 = _mm512_loadu_ps(column + 16);
            for (int r = 0; r < R; r++) {
                const __m512 a = _mm512_set1_ps(h[r * ldh + p]);
                lo[r] = _mm512_fmadd_ps(a, b0, lo[r]);
                hi16[r] = _mm512_fmadd_ps(a, b1, hi16[r]);
            }
        } else {
            const __m256 b1 = _mm256_load_ps(column + 16);
            for (int r = 0; r < R; r++) {
                const __m512 a = _mm512_set1_ps(h[r * ldh + p]);
                lo[r] = _mm512_fmadd_ps(a, b0, lo[r]);
                hi8[r] = _mm256_fmadd_ps(_mm512_castps512_ps256(a), b1, hi8[r]);
            }
        }
    }
    for (int r = 0; r < R; r++) {
        _mm512_store_ps(partial + r * 32, lo[r]);
        if (V == 4) _mm512_store_ps(partial + r * 32 + 16, hi16[r]); else _mm256_store_ps(partial + r * 32 + 16, hi8[r]);
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
