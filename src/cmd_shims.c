/* cmd_shims.c — `coco up` / `coco down`: the links that make `eslint .`
 * run the sandboxed eslint.
 *
 * Safety: `up` never replaces a file or a link it did not make, and
 * `down` removes only links that point to this coco.  Either would
 * otherwise let a config name (say "ls") clobber a real program.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "sys.h"

static char *bin_dir(void)
{
    const char *d = getenv("COCO_BIN_DIR");
    if (d && *d)
        return xstrdup(d);
    const char *h = getenv("HOME");
    return path_join(h && *h ? h : "/", ".local/bin");
}

/* True when the link at PATH points to the coco binary EXE (same file). */
static bool link_is_ours(const char *path, const struct stat *exe_st)
{
    struct stat lst, tst;
    if (lstat(path, &lst) < 0 || !S_ISLNK(lst.st_mode))
        return false;
    if (stat(path, &tst) < 0)
        return false;
    return tst.st_dev == exe_st->st_dev && tst.st_ino == exe_st->st_ino;
}

/* Warn when DIR is not on PATH, or when an earlier PATH entry holds a
 * NAME that would shadow the link. */
static void check_path(const char *dir, const struct strvec *names)
{
    const char *path = getenv("PATH");
    _cleanup_free_ char *copy = xstrdup(path ? path : "");
    _cleanup_free_ char *rdir = realpath(dir, NULL);
    bool found = false;
    struct strvec earlier = STRVEC_INIT;
    char *save = NULL;
    for (char *e = strtok_r(copy, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
        _cleanup_free_ char *re = realpath(e, NULL);
        if (streq(e, dir) || (re && rdir && strcmp(re, rdir) == 0)) {
            found = true;
            break;
        }
        strvec_push(&earlier, e);
    }
    if (!found) {
        warn("%s is not on PATH; add it (e.g. export PATH=\"%s:$PATH\") so the "
             "tool names run coco", dir, dir);
    } else {
        for (size_t i = 0; i < names->n; i++)
            for (size_t j = 0; j < earlier.n; j++) {
                _cleanup_free_ char *cand = path_join(earlier.v[j], names->v[i]);
                if (access(cand, X_OK) == 0) {
                    warn("%s shadows %s/%s: `%s` runs the unsandboxed program; "
                         "put %s earlier in PATH", cand, dir, names->v[i],
                         names->v[i], dir);
                    break;
                }
            }
    }
    strvec_clear(&earlier);
}

/* The configured tools, without "coco" itself (a link named coco would
 * be this binary, not a tool). */
static int tool_names(struct strvec *out, coco_err *err)
{
    _cleanup_free_ char *dir = config_dir();
    if (config_list(dir, out, err) < 0)
        return -1;
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->v[i], "coco") == 0) {
            free(out->v[i]);
            memmove(out->v + i, out->v + i + 1, (out->n - i) * sizeof *out->v);
            out->n--;
            break;
        }
    return 0;
}

int cmd_up(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        coco_fail("usage: coco up");
        return EXIT_COCO;
    }
    coco_err err = {0};
    _cleanup_free_ char *exe = self_exe();
    _cleanup_free_ char *dir = bin_dir();
    _cleanup_strvec_ struct strvec names = STRVEC_INIT;
    struct stat exe_st;
    if (stat(exe, &exe_st) < 0) {
        coco_fail("up: cannot find this coco binary (%s): %s", exe,
                strerror(errno));
        return EXIT_COCO;
    }
    if (tool_names(&names, &err) < 0 || mkdir_parents(dir, 0755, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    int refused = 0;
    for (size_t i = 0; i < names.n; i++) {
        _cleanup_free_ char *link = path_join(dir, names.v[i]);
        struct stat st;
        if (lstat(link, &st) == 0) {
            if (link_is_ours(link, &exe_st)) {
                printf("%s: already linked\n", names.v[i]);
                continue;
            }
            warn("%s exists and is not a coco link; leaving it alone", link);
            refused++;
            continue;
        }
        if (symlink(exe, link) < 0) {
            coco_fail("up: cannot create %s: %s", link, strerror(errno));
            refused++;
            continue;
        }
        printf("%s -> %s\n", link, exe);
    }
    check_path(dir, &names);
    if (fflush(stdout) != 0)
        return EXIT_COCO;
    return refused ? EXIT_COCO : 0;
}

int cmd_down(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        coco_fail("usage: coco down");
        return EXIT_COCO;
    }
    _cleanup_free_ char *exe = self_exe();
    _cleanup_free_ char *dir = bin_dir();
    struct stat exe_st;
    if (stat(exe, &exe_st) < 0) {
        coco_fail("down: cannot find this coco binary (%s): %s", exe,
                strerror(errno));
        return EXIT_COCO;
    }
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        coco_fail("down: %s: %s", dir, strerror(errno));
        return EXIT_COCO;
    }
    int failed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        _cleanup_free_ char *link = path_join(dir, e->d_name);
        if (!link_is_ours(link, &exe_st))
            continue;
        if (unlink(link) < 0) {
            coco_fail("down: cannot remove %s: %s", link, strerror(errno));
            failed++;
        } else {
            printf("removed %s\n", link);
        }
    }
    closedir(d);
    if (fflush(stdout) != 0)
        return EXIT_COCO;
    return failed ? EXIT_COCO : 0;
}
