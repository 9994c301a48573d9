// Run-time CPU dispatch, weight packing and the denormal switch.
#include "StepLayout.h"
#include <string.h>
#include <xmmintrin.h>

int rk_best_level(void) {
    static int level = -1;
    if (level < 0) {
        __builtin_cpu_init();
        // compiler-rt reports avx512* only when the OS saves the 512-bit registers (XCR0).
        const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        const int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
                           && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
        level = avx512 ? RK_LEVEL_AVX512 : avx2 ? RK_LEVEL_AVX2 : RK_LEVEL_PORTABLE;
    }
    return level;
}

/// `level`, lowered to what the CPU supports.
static int usable(int level) {
    int best = rk_best_level();
    return level < best ? level : best;
}

void rk_sigmoid(int level, const float *x, float *y, long n) {
    if (usable(level) >= RK_LEVEL_AVX2) rk_sigmoid_avx2(x, y, n); else rk_sigmoid_portable(x, y, n);
}

void rk_tanh(int level, const float *x, float *y, long n) {
    if (usable(level) >= RK_LEVEL_AVX2) rk_tanh_avx2(x, y, n); else rk_tanh_portable(x, y, n);
}

int rk_step_gates(int kind) { return rk_gates_of(kind); }

int rk_step_block_units(int kind) { return rk_units_of(kind); }

long rk_packed_count(int kind, long units, long k) {
    return rk_blocks_of(kind, units) * k * rk_width_of(kind);
}

void rk_pack(int kind, const float *w, long units, long k, float *packed) {
    const long gates = rk_gates_of(kind), block = rk_units_of(kind), width = rk_width_of(kind);
    const long blocks = rk_blocks_of(kind, units);
    memset(packed, 0, sizeof(float) * (size_t)(blocks * k * width));
    for (long b = 0; b < blocks; b++) {
        float *panel = packed + b * k * width;
        for (long g = 0; g < gates; g++) {
            for (long u = 0; u < block && b * block + u < units; u++) {
                const float *row = w + (g * units + b * block + u) * k;
                for (long j = 0; j < k; j++) panel[j * width + g * block + u] = row[j];
            }
        }
    }
}

long rk_step_blocks(const rk_step *step) { return rk_blocks_of(step->kind, step->units); }

void rk_step_run(int level, const rk_step *step, long block_begin, long block_end) {
    switch (usable(level)) {
    case RK_LEVEL_AVX512: rk_step_avx512(step, block_begin, block_end); break;
    case RK_LEVEL_AVX2: rk_step_avx2(step, block_begin, block_end); break;
    default: rk_step_portable(step, block_begin, block_end);
    }
}

enum { FLUSH_BITS = 0x8040 };  // MXCSR flush-to-zero (bit 15) and denormals-are-zero (bit 6)

unsigned rk_flush_denormals(void) {
    unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | FLUSH_BITS);
    return saved;
}

void rk_restore_denormals(unsigned saved) { _mm_setcsr(saved); }
