// The search behind `--dtype` narrowing's range check: the first finite
// value whose magnitude rounds to infinity in the narrower type. A block's
// largest finite magnitude is found first (an integer maximum over the bit
// patterns, which the compiler vectorizes: for non-negative floats the bit
// order is the value order), and only a block that reaches the threshold
// is searched element by element.
#include "CTensorKernels.h"

#include <stdint.h>
#include <string.h>

enum { block = 4096 };

size_t rk_first_overflow_f32(const void *values, size_t count, uint32_t threshold) {
    const unsigned char *bytes = values;
    for (size_t start = 0; start < count; start += block) {
        size_t end = count - start < block ? count : start + block;
        uint32_t largest = 0;
        for (size_t index = start; index < end; index++) {
            uint32_t bits;
            memcpy(&bits, bytes + 4 * index, 4);
            bits &= 0x7FFFFFFFu;
            bits = bits < 0x7F800000u ? bits : 0;  // infinities and NaNs are not overflows
            largest = bits > largest ? bits : largest;
        }
        if (largest < threshold) continue;
        for (size_t index = start; index < end; index++) {
            uint32_t bits;
            memcpy(&bits, bytes + 4 * index, 4);
            bits &= 0x7FFFFFFFu;
            if (bits >= threshold && bits < 0x7F800000u) return index;
        }
    }
    return count;
}

// Whether the float64 at `bytes` is finite and, rounded to float32 as the
// conversion rounds it first, reaches `threshold`.
static inline int overflows_f64(const unsigned char *bytes, uint32_t threshold) {
    double value;
    memcpy(&value, bytes, 8);
    float narrowed = (float)value;
    uint32_t bits;
    memcpy(&bits, &narrowed, 4);
    uint64_t source;
    memcpy(&source, &value, 8);
    return ((source & 0x7FFFFFFFFFFFFFFFull) < 0x7FF0000000000000ull) & ((bits & 0x7FFFFFFFu) >= threshold);
}

size_t rk_first_overflow_f64(const void *values, size_t count, uint32_t threshold) {
    const unsigned char *bytes = values;
    for (size_t start = 0; start < count; start += block) {
        size_t end = count - start < block ? count : start + block;
        int found = 0;
        for (size_t index = start; index < end; index++) found |= overflows_f64(bytes + 8 * index, threshold);
        if (!found) continue;
        for (size_t index = start; index < end; index++) {
            if (overflows_f64(bytes + 8 * index, threshold)) return index;
        }
    }
    return count;
}
