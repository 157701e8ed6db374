#ifndef PARLEY_FUZZ_LIBFUZZER_H
#define PARLEY_FUZZ_LIBFUZZER_H
#include <stddef.h>
#include <stdint.h>
// The test of a fuzz target, defined by each target with `@_cdecl("LLVMFuzzerTestOneInput")`.
int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size);
// libFuzzer's driver, for a program with a main of its own (the fuzzer runtime that
// `-sanitize=fuzzer` links defines it; see FuzzSupport/RunFuzzer.swift).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
#endif
