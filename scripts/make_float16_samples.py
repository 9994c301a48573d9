#!/usr/bin/env python3
"""Writes Fixtures/formats/float16/: float32 values and what numpy's
`astype(np.float16)` makes of them (round to nearest, ties to even), for the
tests of rnnkit's float32 -> float16 conversion (portable and F16C paths,
Tests/TensorFilesTests/HalfConversionTests.swift).

Run by hand (never in CI): `python3 scripts/make_float16_samples.py`.

inputs.npy (float32) holds: every 5th positive finite half value, the
midpoint (a tie) between it and the next half, and the floats one ulp either
side of that midpoint, all with both signs; the subnormal and overflow
boundaries; zeros, infinities and quiet NaNs with both signs (numpy keeps a
signalling NaN's payload without setting the quiet bit, as F16C does not, so
none is included); 4096 random floats over the float32 range.
expected.npy (float16) is `inputs.astype(np.float16)`.
"""
import os

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "formats", "float16")


def main():
    halves = np.arange(0, 0x7C00, 5, dtype=np.uint16).view(np.float16)
    nexts = (np.arange(0, 0x7C00, 5, dtype=np.uint16) + 1).view(np.float16)  # 0x7C00 is inf: its midpoint rounds to it
    low = halves.astype(np.float32)
    mid = ((low.astype(np.float64) + nexts.astype(np.float64)) / 2).astype(np.float32)  # exact: halves have 11 bits
    values = [low, mid, np.nextafter(mid, np.float32(-np.inf)), np.nextafter(mid, np.float32(np.inf))]
    edges = np.array([2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -25, 2.0 ** -14, 2.0 ** -14 - 2.0 ** -25, 2.0 ** -26,
                      65504, 65519.996, 65520, 65536, 1e10, 3.4028235e38, 1.4e-45, 1.17549435e-38], dtype=np.float32)
    values.append(edges)
    values.append(np.nextafter(edges, np.float32(np.inf)))
    values.append(np.nextafter(edges, np.float32(-np.inf)))
    specials = np.array([0x00000000, 0x7F800000, 0x7FC00000, 0x7FC12345, 0x7FFFFFFF], dtype=np.uint32).view(np.float32)
    values.append(specials)
    rng = np.random.default_rng(20261205)
    values.append((rng.standard_normal(4096) * 2.0 ** rng.integers(-40, 40, 4096)).astype(np.float32))
    positive = np.concatenate(values).astype(np.float32)
    inputs = np.concatenate([positive, -positive])
    with np.errstate(over="ignore"):
        expected = inputs.astype(np.float16)
    os.makedirs(ROOT, exist_ok=True)
    np.save(os.path.join(ROOT, "inputs.npy"), inputs)
    np.save(os.path.join(ROOT, "expected.npy"), expected)
    print(f"{len(inputs)} values, numpy {np.__version__}")


if __name__ == "__main__":
    main()
