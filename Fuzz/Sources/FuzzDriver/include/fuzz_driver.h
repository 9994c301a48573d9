#ifndef RNNKIT_FUZZ_DRIVER_H
#define RNNKIT_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs that keep their own main (SwiftPM renames an
// executable's main, so libFuzzer's own main is never the one that runs).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
