/* Shared by the fuzz targets and their plain-C replay driver. */
#ifndef ALC_FUZZ_COMMON_H
#define ALC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* An input that breaks a target's contract is a finding: abort, so that
 * libFuzzer saves it and the replay driver fails. */
#define FUZZ_ABORT(...)                                                       \
    do {                                                                      \
        fprintf(stderr, "fuzz contract violated (%s:%d): ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        abort();                                                              \
    } while (0)
#define FUZZ_ASSERT(cond, ...)                                                \
    do {                                                                      \
        if (!(cond))                                                          \
            FUZZ_ABORT(__VA_ARGS__);                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
