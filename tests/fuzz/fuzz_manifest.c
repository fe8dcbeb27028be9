/* fuzz_manifest.c — libFuzzer target for manifest_parse()
 * (install/manifest.c), which reads manifest.json from the user's data
 * directory, where anything that can write there can put anything.
 *
 * Input: the manifest's bytes.  Checked on every call: an error is one
 * line (no control character) naming the file, and leaves nothing
 * behind; a manifest that parses has the root directory "" first, paths
 * strictly sorted, none absolute, empty-componented, "." or "..", at most
 * 64 deep, every parent a directory entry before it, files with 64 hex
 * digits, symlinks with a target as long as their size, no setuid or
 * setgid mode, and total_size the sum of the file sizes.
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz`; otherwise main() replays
 * files and directories (tests/fuzz/corpus/manifest/). */
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "install.h"
#include "fuzz.h"

static void check_path(const char *p)
{
    if (!*p)
        return;
    CHECK(p[0] != '/');
    int depth = 0;
    for (const char *s = p;;) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        CHECK(n > 0 && n <= 255);
        CHECK(!(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.'));
        CHECK(++depth <= 64);
        if (!slash)
            break;
        s = slash + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct manifest m;
    coco_err err = {0};
    void *extra = (void *)1;
    int r = manifest_parse((const char *)data, size, "fuzz.json", &m, &extra, &err);
    if (r < 0) {
        CHECK(r == -1 && m.e == NULL && m.n == 0 && extra == NULL);
        CHECK(strncmp(err.msg, "fuzz.json: ", 11) == 0);
        for (const char *c = err.msg; *c; c++)
            CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
        return 0;
    }
    CHECK(r == 0 && m.n >= 1 && json_is_object((json_t *)extra));
    CHECK(m.e[0].path[0] == '\0' && m.e[0].type == MF_DIR);
    uint64_t total = 0;
    for (size_t i = 0; i < m.n; i++) {
        const struct mf_entry *e = &m.e[i];
        check_path(e->path);
        CHECK(!(e->mode & ~07777u) && !(e->mode & (S_ISUID | S_ISGID)));
        if (i) {
            CHECK(strcmp(m.e[i - 1].path, e->path) < 0);
            /* The parent is a directory entry, earlier in the order. */
            const char *slash = strrchr(e->path, '/');
            size_t pl = slash ? (size_t)(slash - e->path) : 0;
            bool found = false;
            for (size_t j = 0; j < i && !found; j++)
                found = strlen(m.e[j].path) == pl &&
                        !strncmp(m.e[j].path, e->path, pl) && m.e[j].type == MF_DIR;
            CHECK(found);
        }
        switch (e->type) {
        case MF_FILE:
            CHECK(strlen(e->sha256) == 64 && !e->target);
            total += e->size;
            break;
        case MF_SYMLINK:
            CHECK(e->target && strlen(e->target) == e->size && e->size > 0);
            break;
        case MF_DIR:
            CHECK(!e->target && e->size == 0);
            break;
        default:
            CHECK(0);
        }
    }
    CHECK(total == m.total_size);
    json_decref(extra);
    manifest_free(&m);
    return 0;
}

#ifndef COCO_LIBFUZZER
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_args(argc, argv) ? 1 : 0;
}
#endif
