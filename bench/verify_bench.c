/* verify_bench.c — how long the install manifest's checks take on a real
 * tree (bench/verify.sh): builds the manifest of DIR once, then times
 * RUNS quick checks (the one before every run) and a few full checks
 * (`coco verify`), each on a fresh descriptor of DIR, and prints the
 * median and the minimum of each.  Warm page cache: what a run sees when
 * the tool was used lately.
 *
 *   build/bench/verify_bench DIR [RUNS]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "install.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Time N checks; print the median and minimum.  Exits on a change. */
static void time_checks(const struct manifest *m, const char *dir, int n,
                        bool full)
{
    double *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            perror(dir);
            exit(1);
        }
        coco_err err = {0};
        char *changed = NULL;
        double t0 = now_ms();
        int r = full ? manifest_check_full(m, fd, &changed, &err)
                     : manifest_check_quick(m, fd, &changed, &err);
        t[i] = now_ms() - t0;
        close(fd);
        if (r != 0) {
            fprintf(stderr, "verify_bench: %s\n", r < 0 ? err.msg : changed);
            exit(1);
        }
    }
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    printf("%s check: median %.2f ms, min %.2f ms (%d runs)\n",
           full ? "full " : "quick", t[n / 2], t[0], n);
    free(t);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: verify_bench DIR [RUNS]\n");
        return 2;
    }
    int runs = argc == 3 ? atoi(argv[2]) : 200;
    if (runs < 1 || runs > 100000) {
        fprintf(stderr, "verify_bench: RUNS must be 1..100000\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    struct manifest m;
    coco_err err = {0};
    double t0 = now_ms();
    if (manifest_build(fd, &m, &err) < 0) {
        err_print(&err);
        return 1;
    }
    double tb = now_ms() - t0;
    close(fd);
    size_t files = 0, dirs = 0, links = 0;
    for (size_t i = 0; i < m.n; i++)
        m.e[i].type == MF_FILE ? files++ : m.e[i].type == MF_DIR ? dirs++ : links++;
    char sz[32];
    printf("tree: %s: %zu entries (%zu files, %zu dirs, %zu symlinks), %s\n",
           argv[1], m.n, files, dirs, links, fmt_size(m.total_size, sz, sizeof sz));
    printf("build (walk + hash): %.2f ms\n", tb);
    time_checks(&m, argv[1], runs, false);
    time_checks(&m, argv[1], runs < 20 ? runs : 20, true);
    manifest_free(&m);
    return 0;
}
