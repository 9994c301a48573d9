// The 32-bit column gather of the Keras kernel writer (a transposition with
// the source rows reordered) with AVX2: 8×8 tiles transposed in registers,
// stored as they are or converted to float16 with F16C on the way.
// Only the functions with the target attribute use the instructions; the
// entry points check the CPU first, so nothing here runs on a CPU without them.
#include "CTensorKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

int rk_has_avx2(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        // compiler-rt reports avx/avx2 only when the OS saves the YMM registers (XCR0).
        known = __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return known;
}

/// Transposes the 8×8 block r0…r7 (rows) in place: ri's lane j becomes rj's lane i.
__attribute__((target("avx,avx2")))
static inline void transpose8(__m256 *r) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/// Stores the 8 floats of `row` at `target`: as they are, or as float16
/// (round to nearest even, as rk_f16c_floats_to_halves).
__attribute__((target("avx,avx2,f16c")))
static inline void store8(unsigned char *target, __m256 row, int halves) {
    if (halves) {
        _mm_storeu_si128((__m128i *)target, _mm256_cvtps_ph(row, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    } else {
        _mm256_storeu_ps((float *)target, row);
    }
}

/// Columns a block of the gather covers: the block's runs are read 8
/// elements at a time across all of its columns, then the next 8, so that
/// its source lines stay in L2 (512 runs × 1 KiB for 256-row bands) and
/// each output row's part of the block stays in one page. 0.27 s against
/// 0.34 s for 8-column blocks, 512 MiB on Zen 1.
#define BLOCK_COLUMNS 512

__attribute__((target("avx,avx2,f16c")))
static void gather_columns32(const unsigned char *base, const size_t *starts, size_t columns, size_t count,
                             unsigned char *out, int halves) {
    const size_t item = halves ? 2 : 4;
    const size_t row_bytes = columns * item;
    const size_t full = columns / 8 * 8;
    const size_t left = count % 8;
    // The last < 8 rows: masked loads (nothing read past a run's last
    // element), only the first `left` rows stored.
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (size_t block = 0; block < full; block += BLOCK_COLUMNS) {
        const size_t block_end = full - block > BLOCK_COLUMNS ? block + BLOCK_COLUMNS : full;
        size_t index = 0;
        for (; index + 8 <= count; index += 8) {
            for (size_t column = block; column < block_end; column += 8) {
                __m256 r[8];
                for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps((const float *)(base + starts[column + k] + index * 4));
                transpose8(r);
                unsigned char *target = out + index * row_bytes + column * item;
                for (int k = 0; k < 8; k++) store8(target + k * row_bytes, r[k], halves);
            }
        }
        if (left) {
            for (size_t column = block; column < block_end; column += 8) {
                __m256 r[8];
                for (int k = 0; k < 8; k++) r[k] = _mm256_maskload_ps((const float *)(base + starts[column + k] + index * 4), mask);
                transpose8(r);
                unsigned char *target = out + index * row_bytes + column * item;
                for (size_t k = 0; k < left; k++) store8(target + k * row_bytes, r[k], halves);
            }
        }
    }
    // The last < 8 columns, element by element.
    for (size_t column = full; column < columns; column++) {
        const unsigned char *source = base + starts[column];
        for (size_t index = 0; index < count; index++) {
            unsigned char *target = out + index * row_bytes + column * item;
            if (halves) {
                float value;
                memcpy(&value, source + index * 4, 4);
                unsigned short half = (unsigned short)_mm_extract_epi16(
                    _mm_cvtps_ph(_mm_set_ss(value), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), 0);
                memcpy(target, &half, 2);
            } else {
                memcpy(target, source + index * 4, 4);
            }
        }
    }
}

int rk_avx2_gather_columns32(const void *base, const size_t *starts, size_t columns, size_t count, void *out) {
    if (!rk_has_avx2() || !rk_has_f16c()) return 0;
    gather_columns32(base, starts, columns, count, out, 0);
    return 1;
}

int rk_avx2_gather_columns32_halves(const void *base, const size_t *starts, size_t columns, size_t count, void *out) {
    if (!rk_has_avx2() || !rk_has_f16c()) return 0;
    gather_columns32(base, starts, columns, count, out, 1);
    return 1;
}

#else

int rk_has_avx2(void) { return 0; }
int rk_avx2_gather_columns32(const void *base, const size_t *starts, size_t columns, size_t count, void *out) {
    (void)base; (void)starts; (void)columns; (void)count; (void)out;
    return 0;
}
int rk_avx2_gather_columns32_halves(const void *base, const size_t *starts, size_t columns, size_t count, void *out) {
    (void)base; (void)starts; (void)columns; (void)count; (void)out;
    return 0;
}

#endif
