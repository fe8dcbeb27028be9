/* fuzz_npm_lock.c — libFuzzer target for npm_lock_check()
 * (install/drivers.c): package-lock.json as npm writes it from what the
 * registry served, so as hostile as the registry.
 *
 * Input: the lock's bytes.  Checked on every call: an error is one line
 * naming package-lock.json; an accepted lock yields script names that
 * are valid package names (never an option, never a path), each once.
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz`; otherwise main() replays
 * files and directories (tests/fuzz/corpus/npm_lock/). */
#include <stdint.h>
#include <string.h>

#include "install/install_int.h"
#include "net.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct net_allow allow[2];
    static bool init;
    if (!init) {
        CHECK(!net_allow_parse("registry.npmjs.org", &allow[0]));
        CHECK(!net_allow_parse("registry.test:8081", &allow[1]));
        init = true;
    }
    struct install_lockcheck lc = {.allow = allow, .n_allow = 2};
    struct strvec sc = STRVEC_INIT;
    coco_err err = {0};
    int r = npm_lock_check((const char *)data, size, &lc, &sc, &err);
    if (r < 0) {
        CHECK(err.msg[0] && strstr(err.msg, "package-lock.json"));
        CHECK(!strchr(err.msg, '\n'));
        CHECK(sc.n == 0 || sc.n > 0);
    } else {
        CHECK(r == 0);
        for (size_t i = 0; i < sc.n; i++) {
            const char *n = sc.v[i];
            CHECK(n[0] && n[0] != '-' && n[0] != '.' && !strstr(n, ".."));
            CHECK(strlen(n) <= 214);
            for (size_t j = 0; j < i; j++)
                CHECK(strcmp(sc.v[j], n) != 0);
        }
    }
    strvec_clear(&sc);
    return 0;
}

#ifndef COCO_LIBFUZZER
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_args(argc, argv) ? 1 : 0;
}
#endif
