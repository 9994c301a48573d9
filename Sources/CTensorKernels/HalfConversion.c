// float32 -> float16 with F16C (VCVTPS2PH), 8 values a step.
// Only this function uses the instructions (target attribute); the
// callers check rk_has_f16c first, so nothing here runs on a CPU without them.
#include "CTensorKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <string.h>

int rk_has_f16c(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        // compiler-rt reports avx only when the OS saves the YMM registers (XCR0).
        known = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c") ? 1 : 0;
    }
    return known;
}

__attribute__((target("avx,f16c")))
static void floats_to_halves(const unsigned char *input, unsigned char *output, size_t count) {
    size_t index = 0;
    for (; index + 8 <= count; index += 8) {
        __m256 values = _mm256_loadu_ps((const float *)(input + 4 * index));
        __m128i halves = _mm256_cvtps_ph(values, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)(output + 2 * index), halves);
    }
    if (index < count) {
        float rest[8] = {0};
        unsigned short out[8];
        memcpy(rest, input + 4 * index, (count - index) * sizeof(float));
        _mm_storeu_si128((__m128i *)out, _mm256_cvtps_ph(_mm256_loadu_ps(rest), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        memcpy(output + 2 * index, out, (count - index) * sizeof(unsigned short));
    }
}

int rk_f16c_floats_to_halves(const void *input, void *output, size_t count) {
    if (!rk_has_f16c()) return 0;
    floats_to_halves(input, output, count);
    return 1;
}

#else

int rk_has_f16c(void) { return 0; }
int rk_f16c_floats_to_halves(const void *input, void *output, size_t count) { (void)input; (void)output; (void)count; return 0; }

#endif
