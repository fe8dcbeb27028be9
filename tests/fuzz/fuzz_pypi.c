/* fuzz_pypi.c — libFuzzer target for the pipx:/uv: driver's parsers
 * (install/pypi.c): a wheel's file name (what pip saved, named by the
 * index: as hostile as the index) and pypi-lock.txt (on disk in the
 * user's data directory).
 *
 * Input: the first byte picks the parser, the rest is its input.
 * Checked on every call: a wheel name accepted yields a normalized name
 * and a version that are never options or paths; a lock accepted yields
 * pins with valid names, versions and 64 lowercase hex digits, each name
 * once; an error is one line naming pypi-lock.txt.
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz`; otherwise main() replays
 * files and directories (tests/fuzz/corpus/pypi/). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "install/install_int.h"
#include "fuzz.h"

static bool plain(const char *s)
{
    return s[0] && s[0] != '-' && s[0] != '.' && !strchr(s, '/') &&
           !strchr(s, '\n') && !strchr(s, ' ');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] & 1) {
        char *s = malloc(len + 1);
        memcpy(s, text, len);
        s[len] = '\0';
        char *n = NULL, *v = NULL;
        if (pypi_wheel_parse(s, &n, &v) == 0) {
            CHECK(plain(n) && plain(v));
            CHECK(pypi_name_ok(n, strlen(n)));
            char *again = pypi_normalize(n, strlen(n));
            CHECK(strcmp(again, n) == 0);
            free(again);
            free(n);
            free(v);
        }
        free(s);
        return 0;
    }
    struct pypi_pin *p = NULL;
    size_t n = 0;
    coco_err err = {0};
    if (pypi_lock_parse(text, len, &p, &n, &err) < 0) {
        CHECK(err.msg[0] && strstr(err.msg, "pypi-lock.txt"));
        CHECK(!strchr(err.msg, '\n'));
        CHECK(p == NULL && n == 0);
        return 0;
    }
    CHECK(n > 0);
    for (size_t i = 0; i < n; i++) {
        CHECK(plain(p[i].name) && plain(p[i].version));
        CHECK(strlen(p[i].sha256) == 64 &&
              strspn(p[i].sha256, "0123456789abcdef") == 64);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(p[i].name, p[j].name) != 0);
    }
    pypi_lock_free(p, n);
    return 0;
}

#ifndef COCO_LIBFUZZER
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_args(argc, argv) ? 1 : 0;
}
#endif
