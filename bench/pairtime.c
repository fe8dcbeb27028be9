/* pairtime.c — the benchmarks' timer (bench/launch.sh, bench/tool.sh):
 *   pairtime N CMDFILE...
 * runs the command of each file (one argument per line) in turn, N rounds
 * after 3 warm-up rounds, and prints one line per command: median and mean
 * microseconds.  Paired rounds, so machine noise hits every command alike;
 * a non-zero exit of any command stops it (exit 1). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
extern char **environ;
static int cmp(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}
int main(int argc, char **argv)
{
    int n = atoi(argv[1]), k = argc - 2;
    char **av[16];
    long *t[16];
    for (int j = 0; j < k; j++) {
        FILE *f = fopen(argv[2 + j], "r");
        char line[4096];
        int c = 0;
        av[j] = calloc(256, sizeof(char *));
        while (f && fgets(line, sizeof line, f) && c < 255) {
            line[strcspn(line, "\n")] = 0;
            av[j][c++] = strdup(line);
        }
        if (f)
            fclose(f);
        t[j] = calloc((size_t)n, sizeof(long));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    for (int i = -3; i < n; i++)
        for (int j = 0; j < k; j++) {
            struct timespec a, b;
            pid_t p;
            int st;
            clock_gettime(CLOCK_MONOTONIC, &a);
            if (posix_spawn(&p, av[j][0], &fa, NULL, av[j], environ) != 0)
                return 2;
            waitpid(p, &st, 0);
            clock_gettime(CLOCK_MONOTONIC, &b);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "pairtime: %s failed (status %d)\n", av[j][0], st);
                return 1;
            }
            if (i >= 0)
                t[j][i] = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000;
        }
    for (int j = 0; j < k; j++) {
        long s = 0;
        for (int i = 0; i < n; i++)
            s += t[j][i];
        qsort(t[j], (size_t)n, sizeof(long), cmp);
        printf("%ld %ld\n", n % 2 ? t[j][n / 2] : (t[j][n / 2 - 1] + t[j][n / 2]) / 2, s / n);
    }
    return 0;
}
