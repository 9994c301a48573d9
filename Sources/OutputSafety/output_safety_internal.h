// Internal to OutputSafety: what the SIGBUS handler for inputs
// (input_faults.c) shares with the output registry (output_safety.c).
#ifndef RNNKIT_OUTPUT_SAFETY_INTERNAL_H
#define RNNKIT_OUTPUT_SAFETY_INTERNAL_H

/// Removes every registered temporary output (files, and folders of files).
/// Async-signal-safe; keeps errno.
void rk_output_remove_all(void);

#endif
