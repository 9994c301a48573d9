// Internal: the packed layout and the per-kind constants shared by the
// portable, the AVX2 and the AVX-512 kernels.
#ifndef RNNKIT_CRNNKERNELS_STEPLAYOUT_H
#define RNNKIT_CRNNKERNELS_STEPLAYOUT_H
#include "CRNNKernels.h"

/// Gate blocks stacked in the weight matrix of `kind`.
static inline int rk_gates_of(int kind) {
    return kind == RK_STEP_LSTM ? 4 : kind == RK_STEP_GRU ? 3 : 1;
}

/// Units one packed block covers.
static inline int rk_units_of(int kind) {
    return kind == RK_STEP_LSTM || kind == RK_STEP_GRU ? 8 : 32;
}

/// Floats per packed column: gates × block units (32, 24, 32).
static inline int rk_width_of(int kind) {
    return rk_gates_of(kind) * rk_units_of(kind);
}

/// Packed blocks covering `units`.
static inline long rk_blocks_of(int kind, long units) {
    long u = rk_units_of(kind);
    return (units + u - 1) / u;
}

/// The portable, AVX2 and AVX-512 implementations (Dispatch.c picks one).
void rk_step_portable(const rk_step *step, long block_begin, long block_end);
void rk_step_avx2(const rk_step *step, long block_begin, long block_end);
void rk_step_avx512(const rk_step *step, long block_begin, long block_end);
void rk_sigmoid_portable(const float *x, float *y, long n);
void rk_tanh_portable(const float *x, float *y, long n);
void rk_sigmoid_avx2(const float *x, float *y, long n);
void rk_tanh_avx2(const float *x, float *y, long n);

#endif
