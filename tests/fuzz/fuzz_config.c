/* fuzz_config.c — libFuzzer target for the config loader (untrusted input:
 * configs come from the store and from other people).
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz` (clang -fsanitize=fuzzer);
 * otherwise the main() below replays files and directories given on the
 * command line, so `make check` runs the seed corpus on every build. */
#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "engine_args.h"
#include "sys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config c;
    coco_err err = {0};
    if (config_parse((const char *)data, size, "fuzz", "fuzz.json", &c, &err) == 0) {
        /* Exercise what consumers read from a loaded config. */
        for (size_t i = 0; i < c.n_mounts; i++)
            if (!c.mounts[i].src || c.mounts[i].dst[0] != '/')
                __builtin_trap();
        for (size_t i = 0; i < c.n_env; i++)
            if (!env_name_valid(c.env[i].name))
                __builtin_trap();
        /* podman_args holds only allowlisted options, each canonical. */
        for (size_t i = 0; i < c.podman_args.n; i++) {
            const char *v;
            if (!engine_opt_of(c.podman_args.v[i], &v))
                __builtin_trap();
        }
        config_free(&c);
    } else if (!err.msg[0] || strchr(err.msg, '\n') ||
               strncmp(err.msg, "fuzz.json: ", 11) != 0) {
        /* Every refusal is one line naming the file. */
        __builtin_trap();
    }
    return 0;
}

#ifndef COCO_LIBFUZZER
static int replay(const char *path, int *count)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        perror(path);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return -1;
        struct dirent *e;
        int r = 0;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') {
                char *p = path_join(path, e->d_name);
                r |= replay(p, count);
                free(p);
            }
        closedir(d);
        return r;
    }
    char *buf;
    size_t len;
    coco_err err = {0};
    if (read_file(path, &buf, &len, 1u << 22, &err) < 0) {
        err_print(&err);
        return -1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
    free(buf);
    printf("ok %s\n", path);
    (*count)++;
    return 0;
}

int main(int argc, char **argv)
{
    int count = 0, r = 0;
    for (int i = 1; i < argc; i++)
        r |= replay(argv[i], &count);
    printf("replayed %d inputs\n", count);
    return r ? 1 : 0;
}
#endif
