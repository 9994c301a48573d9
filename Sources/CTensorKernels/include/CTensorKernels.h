#ifndef RNNKIT_C_TENSOR_KERNELS_H
#define RNNKIT_C_TENSOR_KERNELS_H
// Element kernels of the writers, with the CPU's vector instructions when
// it has them (chosen at run time; the binary runs on any x86-64 and
// elsewhere, where the callers' portable Swift code is used instead):
// float32 -> float16 conversion with F16C (else HalfPrecision), the Keras
// kernels' transposition with AVX2 (else ColumnGather's portable loop),
// and the range check before narrowing (portable C the compiler vectorizes).
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has F16C (and AVX, with the OS saving its registers), else 0.
int rk_has_f16c(void);

/// Converts `count` float32 values at `input` to IEEE binary16 bits at
/// `output` (round to nearest, ties to even; NaNs stay NaNs with their sign,
/// made quiet, their payload's top bits kept) with F16C. Returns 1 when done,
/// 0 (nothing written) when the CPU has no F16C. Unaligned pointers are fine.
int rk_f16c_floats_to_halves(const void *input, void *output, size_t count);

/// 1 when this CPU has AVX2 (with the OS saving its registers), else 0.
int rk_has_avx2(void);

/// The transposing gather of the Keras kernel writer, for 4-byte elements,
/// with AVX2 (8×8 tiles transposed in registers): for every `c < columns`
/// and `i < count`, the 4 bytes at `base + starts[c] + 4·i` go to
/// `out + 4·(i·columns + c)`. Returns 1 when done, 0 (nothing written)
/// when the CPU has no AVX2 or F16C. Unaligned pointers are fine; nothing
/// is read outside the `count` elements of each column's source.
int rk_avx2_gather_columns32(const void *base, const size_t *starts, size_t columns, size_t count, void *out);

/// The same gather of float32 values, each stored as float16 (2 bytes, at
/// `out + 2·(i·columns + c)`) converted with F16C as
/// rk_f16c_floats_to_halves does. Returns 0 (nothing written) when the CPU
/// has no AVX2 or F16C.
int rk_avx2_gather_columns32_halves(const void *base, const size_t *starts, size_t columns, size_t count, void *out);

/// The index of the first finite float32 value at `values` whose magnitude's
/// bit pattern is `threshold` or more (the smallest magnitude that rounds to
/// infinity in a narrower type), or `count` when there is none.
size_t rk_first_overflow_f32(const void *values, size_t count, uint32_t threshold);

/// The same for float64 values, each first rounded to float32 (as the
/// conversion does) and then compared; a float64 beyond float32's range
/// rounds to infinity and so counts for any `threshold`.
size_t rk_first_overflow_f64(const void *values, size_t count, uint32_t threshold);

#endif
