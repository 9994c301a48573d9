"""What the interop checks share: running rnnkit, finding fixture folders, comparing outputs
with PyTorch's, and reporting one line per check."""

import os
import subprocess

import numpy as np


def run(command):
    """Runs a command, capturing its output as text."""
    return subprocess.run(command, capture_output=True, text=True)


def subfolders(root, marker):
    """The folders directly under `root` (sorted) that hold a file named `marker`."""
    if not os.path.isdir(root):
        return []
    return [os.path.join(root, name) for name in sorted(os.listdir(root))
            if os.path.isfile(os.path.join(root, name, marker))]


def compare(got, want, tolerance):
    """Whether max|Δ| is within tolerance·(1 + max|want|), and a message saying max|Δ|."""
    if got.shape != want.shape:
        return False, f"shape {got.shape}, expected {want.shape}"
    error = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max()) if want.size else 0.0
    return error <= tolerance * (1 + float(np.abs(want).max()) if want.size else 1), f"max|Δ| {error:.2e}"


class Tally:
    """Runs checks, prints a line for each ("ok", "skip" or "FAIL") and counts the failures."""

    def __init__(self):
        self.failures = 0

    def check(self, label, check, *args):
        """Runs `check(*args)`, which returns (ok, message) with ok None for a skip; an
        exception is a failure. Returns ok."""
        try:
            ok, message = check(*args)
        except Exception as error:  # report it and go on with the other checks
            ok, message = False, f"{type(error).__name__}: {error}"
        self.failures += ok is False
        print(f"{'ok  ' if ok else 'skip' if ok is None else 'FAIL'} {label}: {message}")
        return ok

    def require(self, required, covered):
        """A failure unless every label of `required` ((label, predicate) pairs) is in `covered`."""
        missing = [label for label, _ in required if label not in covered]
        if missing:
            self.failures += 1
            print("FAIL no passing fixture covers: " + "; ".join(missing))
