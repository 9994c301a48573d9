// Internal: the parts of the fused step kernel that the AVX2 and the AVX-512
// files share, written with 256-bit vectors: activations, masked loads, the
// gate arithmetic and the walk over blocks, row chunks and K chunks. Each
// file includes this after switching on its instruction sets (so the AVX-512
// build of these functions gets EVEX encodings, 32 registers and mask
// registers) and defines row_tiles, the recurrent product, for its vectors.
#ifndef RNNKIT_CRNNKERNELS_STEPVECTOR_H
#define RNNKIT_CRNNKERNELS_STEPVECTOR_H
#include "StepLayout.h"
#include <immintrin.h>

#define INLINE static inline __attribute__((always_inline))

// e^x, Cephes' single-precision algorithm: x = n·ln2 + r, |r| ≤ ln2/2,
// e^r by a degree-7 polynomial, then scaled by 2^n built in the exponent
// bits. Relative error ≤ 2 ulp on [-87.3, 88.3]; x is clamped to that range
// first (e^x below 2^-126 returns 2^-126, far below any tolerance). NaN stays
// NaN: max/min return their second operand when one is NaN.
INLINE __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(88.3762626647949f), _mm256_max_ps(_mm256_set1_ps(-87.3365478515625f), x));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
}

// σ(x) = 1 / (1 + e^(−x)), with a true division.
INLINE __m256 sigmoid8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

// tanh(x) as a rational function, x·P(x²)/Q(x²) (degrees 6 and 3 in x²)
// on x clamped to [−9, 9], where float tanh is ±1 to within 3e-8: the
// coefficients of Eigen's fast float tanh, which ONNX Runtime's MLAS uses
// too. Measured relative error against libm ≤ 3.1e-7 (KernelTests holds it
// to 4e-7), at a third of the cost of an exp-based tanh; odd, so
// tanh(±0) = ±0. NaN stays NaN.
INLINE __m256 tanh8(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(9.0f), _mm256_max_ps(_mm256_set1_ps(-9.0f), x));
    const __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-2.76076847742355e-16f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.00018790482477e-13f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-8.60467152213735e-11f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(5.12229709037114e-08f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.48572235717979e-05f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(6.37261928875436e-04f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(4.89352455891786e-03f));
    __m256 q = _mm256_set1_ps(1.19825839466702e-06f);
    q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(1.18534705686654e-04f));
    q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(2.26843463243900e-03f));
    q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(4.89352518554385e-03f));
    return _mm256_div_ps(_mm256_mul_ps(p, x), q);
}

// relu keeping NaN (max returns its second operand when one is NaN).
INLINE __m256 relu8(__m256 x) { return _mm256_max_ps(_mm256_setzero_ps(), x); }

static const int maskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// Loads and stores of the first `n` (1…8) lanes.
INLINE __m256 load8(const float *p, long n, __m256i mask) {
    return n == 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}
INLINE void store8(float *p, __m256 v, long n, __m256i mask) {
    if (n == 8) _mm256_storeu_ps(p, v); else _mm256_maskstore_ps(p, mask, v);
}

// The gate arithmetic of a GRU, or of the one-block kinds, for row `row` of
// block `b` (units u0…u0+m−1), as Gates.swift writes it.
INLINE void epilogue(const rk_step *s, long row, long b, __m256 *acc) {
    const long n = s->units;
    const long block = rk_units_of(s->kind);
    const float *x = s->x ? s->x + row * s->ldx : 0;
    float *out = s->out + row * s->ldout;
    if (s->kind == RK_STEP_GRU) {
        const long u0 = b * block, m = n - u0 < 8 ? n - u0 : 8;
        const __m256i mask = _mm256_loadu_si256((const __m256i *)(maskTable + 8 - m));
        const float *bias = s->bias, *hb = s->hbias;
        const float *h = s->h + row * s->ldh + u0;
        const __m256 r = sigmoid8(_mm256_add_ps(_mm256_add_ps(load8(x + u0, m, mask), load8(bias + u0, m, mask)),
                                                _mm256_add_ps(acc[0], load8(hb + u0, m, mask))));
        const __m256 z = sigmoid8(_mm256_add_ps(_mm256_add_ps(load8(x + n + u0, m, mask), load8(bias + n + u0, m, mask)),
                                                _mm256_add_ps(acc[1], load8(hb + n + u0, m, mask))));
        // n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        const __m256 cand = tanh8(_mm256_fmadd_ps(r, _mm256_add_ps(acc[2], load8(hb + 2 * n + u0, m, mask)),
                                                  _mm256_add_ps(load8(x + 2 * n + u0, m, mask), load8(bias + 2 * n + u0, m, mask))));
        // h' = (1 − z) ⊙ n + z ⊙ h
        const __m256 next = _mm256_fmadd_ps(z, load8(h, m, mask), _mm256_mul_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), z), cand));
        store8(out + u0, next, m, mask);
        return;
    }
    for (int v = 0; v < 4; v++) {
        const long u0 = b * block + 8 * v;
        if (u0 >= n) break;
        const long m = n - u0 < 8 ? n - u0 : 8;
        const __m256i mask = _mm256_loadu_si256((const __m256i *)(maskTable + 8 - m));
        __m256 value = acc[v];
        if (s->kind != RK_STEP_LINEAR) {
            value = _mm256_add_ps(value, _mm256_add_ps(load8(x + u0, m, mask), load8(s->bias + u0, m, mask)));
            value = s->kind == RK_STEP_RNN_TANH ? tanh8(value) : relu8(value);
        }
        store8(out + u0, value, m, mask);
    }
}

// Panel columns per K chunk (256 columns of an LSTM block are 32 KB). 128
// measured the same on Zen 4 (CPU time of the step kernel alone).
#ifndef K_CHUNK
#define K_CHUNK 256
// Defines an instruction set's entry point `name`: run_blocks with the
// vector count of the kind's packed column as a constant (GRU 3 × 8, else 4 × 8).
#define RK_DEFINE_STEP(name)                                                           \
    void name(const rk_step *s, long block_begin, long block_end) {                    \
        if (s->kind == RK_STEP_GRU) run_blocks(s, block_begin, block_end, 3);         \
        else run_blocks(s, block_begin, block_end, 4);                                 \
    }

#endif
enum { ROW_CHUNK = 96 };

// The recurrent product of rows rows0…rows1−1 of a chunk over panel columns
// k0…k0+kc−1; the sums of earlier K chunks are in `partial` (32 floats per
// row, from the chunk's first row) and all go back there. Defined by each
// instruction set's file.
INLINE void row_tiles(const rk_step *s, const float *panel, long k0, long kc, long rows0, long rows1, float *partial,
                      const int V);

// The LSTM gates of block `b` (units u0…u0+m−1) for every row of a chunk,
// in two passes over the rows: first the four gates and c' of every row,
// then h' = o ⊙ tanh(c'). Rows are independent, so each pass overlaps the
// long exp/div chains of consecutive rows; one pass would hold tanh(c')
// back behind the gates of its own row. `partial` keeps c' and o between
// the passes.
INLINE void lstm_gates(const rk_step *s, long b, long rows0, long rows1, float *partial) {
    const long n = s->units, u0 = b * 8, m = n - u0 < 8 ? n - u0 : 8;
    const __m256i mask = _mm256_loadu_si256((const __m256i *)(maskTable + 8 - m));
    const __m256 bi = load8(s->bias + u0, m, mask), bf = load8(s->bias + n + u0, m, mask);
    const __m256 bg = load8(s->bias + 2 * n + u0, m, mask), bo = load8(s->bias + 3 * n + u0, m, mask);
    for (long row = rows0; row < rows1; row++) {
        float *p = partial + (row - rows0) * 32;
        const float *x = s->x + row * s->ldx + u0;
        float *c = s->c + row * s->ldc + u0;
        const __m256 i = sigmoid8(_mm256_add_ps(_mm256_load_ps(p), _mm256_add_ps(load8(x, m, mask), bi)));
        const __m256 f = sigmoid8(_mm256_add_ps(_mm256_load_ps(p + 8), _mm256_add_ps(load8(x + n, m, mask), bf)));
        const __m256 g = tanh8(_mm256_add_ps(_mm256_load_ps(p + 16), _mm256_add_ps(load8(x + 2 * n, m, mask), bg)));
        const __m256 o = sigmoid8(_mm256_add_ps(_mm256_load_ps(p + 24), _mm256_add_ps(load8(x + 3 * n, m, mask), bo)));
        const __m256 cNext = _mm256_fmadd_ps(f, load8(c, m, mask), _mm256_mul_ps(i, g));  // c' = f ⊙ c + i ⊙ g
        store8(c, cNext, m, mask);
        _mm256_store_ps(p, cNext);
        _mm256_store_ps(p + 8, o);
    }
    for (long row = rows0; row < rows1; row++) {
        const float *p = partial + (row - rows0) * 32;
        const __m256 cNext = _mm256_load_ps(p), o = _mm256_load_ps(p + 8);
        store8(s->out + row * s->ldout + u0, _mm256_mul_ps(o, tanh8(cNext)), m, mask);  // h' = o ⊙ tanh(c')
    }
}

// The gates of every row of a chunk, one row after another: consecutive
// rows are independent, so the CPU overlaps their long exp/div chains
// (one row's gates alone would be bound by their latency).
INLINE void gates(const rk_step *s, long b, long rows0, long rows1, float *partial) {
    if (s->kind == RK_STEP_LSTM) {
        lstm_gates(s, b, rows0, rows1, partial);
        return;
    }
    for (long row = rows0; row < rows1; row++) {
        const float *p = partial + (row - rows0) * 32;
        __m256 acc[4] = {_mm256_load_ps(p), _mm256_load_ps(p + 8), _mm256_load_ps(p + 16), _mm256_load_ps(p + 24)};
        epilogue(s, row, b, acc);
    }
}

// Blocks [block_begin, block_end) for rows in chunks of ROW_CHUNK; each
// block's panel is walked in K chunks small enough to stay in L1 while
// every row tile of the chunk uses it (row_tiles, which each instruction
// set defines: the recurrent product of rows rows0…rows1−1 over columns
// k0…k0+kc−1, summed into `partial`, 32 floats per row).
INLINE void run_blocks(const rk_step *s, long block_begin, long block_end, const int V) {
    const long width = 8 * V;
    const long kChunk = s->rows > 2 ? K_CHUNK : s->k;  // one or two rows read each panel once anyway
    float partial[ROW_CHUNK * 32] __attribute__((aligned(64)));
    for (long rows0 = 0; rows0 < s->rows; rows0 += ROW_CHUNK) {
        const long rows1 = s->rows - rows0 < ROW_CHUNK ? s->rows : rows0 + ROW_CHUNK;
        for (long b = block_begin; b < block_end; b++) {
            const float *panel = s->packed + b * s->k * width;
            for (long k0 = 0; k0 < s->k; k0 += kChunk) {
                const long kc = s->k - k0 < kChunk ? s->k - k0 : kChunk;
                row_tiles(s, panel, k0, kc, rows0, rows1, partial, V);
            }
            gates(s, b, rows0, rows1, partial);
        }
    }
}

// Defines an instruction set's entry point `name`: run_blocks with the
// vector count of the kind's packed column as a constant (GRU 3 × 8, else 4 × 8).
#define RK_DEFINE_STEP(name)                                                           \
    void name(const rk_step *s, long block_begin, long block_end) {                    \
        if (s->kind == RK_STEP_GRU) run_blocks(s, block_begin, block_end, 3);         \
        else run_blocks(s, block_begin, block_end, 4);                                 \
    }

#endif
