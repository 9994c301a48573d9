#ifndef RNNKIT_C_TENSOR_KERNELS_H
#define RNNKIT_C_TENSOR_KERNELS_H
// float32 -> float16 conversion of whole tensors for the writers, with the
// CPU's F16C instructions when it has them (chosen at run time; the binary
// runs on any x86-64 and elsewhere, where the callers' portable Swift
// conversion (HalfPrecision) is used instead).
#include <stddef.h>

/// 1 when this CPU has F16C (and AVX, with the OS saving its registers), else 0.
int rk_has_f16c(void);

/// Converts `count` float32 values at `input` to IEEE binary16 bits at
/// `output` (round to nearest, ties to even; NaNs stay NaNs with their sign,
/// made quiet, their payload's top bits kept) with F16C. Returns 1 when done,
/// 0 (nothing written) when the CPU has no F16C. Unaligned pointers are fine.
int rk_f16c_floats_to_halves(const void *input, void *output, size_t count);

#endif
