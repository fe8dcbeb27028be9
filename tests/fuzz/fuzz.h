/* fuzz.h — what every fuzz target shares: libFuzzer's entry point and
 * CHECK, which traps (a crash libFuzzer and the replay both report) when
 * a property of the parser's result does not hold. */
#ifndef COCO_FUZZ_H
#define COCO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                 \
    do {                         \
        if (!(c))                \
            __builtin_trap();    \
    } while (0)

#endif
