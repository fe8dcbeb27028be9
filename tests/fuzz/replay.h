/* replay.h — the replay main() shared by every fuzz target: without
 * libFuzzer, `make check` runs each file (or every file of each
 * directory) given on the command line through LLVMFuzzerTestOneInput. */
#ifndef COCO_FUZZ_REPLAY_H
#define COCO_FUZZ_REPLAY_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "sys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_replay(const char *path, int *count)
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
                r |= fuzz_replay(p, count);
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

/* Replay every argument; 0 when all could be read. */
static int fuzz_replay_args(int argc, char **argv)
{
    int count = 0, r = 0;
    for (int i = 1; i < argc; i++)
        r |= fuzz_replay(argv[i], &count);
    printf("replayed %d inputs\n", count);
    return r;
}

#endif
