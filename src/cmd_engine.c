/* cmd_engine.c — commands that drive podman/docker themselves:
 * `coco prune` (cache volumes) and `coco rebuild` (the default image). */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"
#include "install.h"
#include "paths.h"
#include "oci.h"
#include "supervise.h"
#include "sys.h"

extern char **environ;

/* Engines to act on: the one COCO_RUNTIME names, else every one found. */
static int engines(struct strvec *out, coco_err *err)
{
    enum runtime_kind only;
    if (policy_env_runtime(environ, &only, err) < 0)
        return -1;
    static const enum runtime_kind kinds[] = {RT_PODMAN, RT_DOCKER};
    for (size_t i = 0; i < 2; i++) {
        if (only != RT_UNSET && only != kinds[i])
            continue;
        char *bin = oci_find_engine(kinds[i]);
        if (bin)
            strvec_push_nodup(out, bin);
    }
    return 0;
}

int cmd_prune(int argc, char **argv)
{
    const char *tool = NULL;
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        coco_fail("usage: coco prune [TOOL]");
        return EXIT_COCO;
    }
    if (argc == 2) {
        tool = argv[1];
        if (!tool_name_valid(tool)) {
            coco_fail("prune: \"%s\" is not a valid tool name", tool);
            return EXIT_COCO;
        }
    }
    coco_err err = {0};
    int failed = 0;
    /* coco's installs (install.h): the tool's, or every tool's */
    _cleanup_strvec_ struct strvec envs = STRVEC_INIT;
    if (tool) {
        strvec_push(&envs, tool);
    } else {
        _cleanup_free_ char *dir = paths_envs_dir();
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL)
            if (tool_name_valid(de->d_name))
                strvec_push(&envs, de->d_name);
        if (d)
            closedir(d);
        strvec_sort(&envs);
    }
    for (size_t i = 0; i < envs.n; i++) {
        int r = install_remove(envs.v[i], &err);
        if (r < 0) {
            err_print(&err);
            memset(&err, 0, sizeof err);
            failed++;
        } else if (r > 0) {
            printf("%s: removed its install and caches\n", envs.v[i]);
        }
    }
    /* What tools share, so only a prune of all: the cache root's
     * podman and docker runs of "isolated": false tools use (run.c), and
     * the runtimes install.runtime names (node@22). */
    if (!tool) {
        static const struct {
            const char *name, *what;
        } shared[] = {
            {"cache-shared", "the shared cache of non-isolated tools"},
            {"runtimes", "the runtimes coco installed (install.runtime)"},
        };
        _cleanup_free_ char *data = paths_data_home();
        _cleanup_close_ int dfd = open(data, O_PATH | O_DIRECTORY |
                                                 O_CLOEXEC);
        for (size_t i = 0; dfd >= 0 && i < sizeof shared / sizeof shared[0]; i++) {
            struct stat st;
            if (fstatat(dfd, shared[i].name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                continue;
            if (remove_tree_at(dfd, shared[i].name) < 0) {
                warn("prune: cannot remove %s/%s: %s", data, shared[i].name,
                     strerror(errno));
                failed++;
            } else {
                printf("removed %s\n", shared[i].what);
            }
        }
    }
    _cleanup_strvec_ struct strvec eng = STRVEC_INIT;
    if (engines(&eng, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    if (!eng.n) {
        printf("no podman or docker found: no volumes to prune\n");
        return failed ? EXIT_COCO : 0;
    }
    /* Engine paths come from PATH: printed escaped, like everything else
     * coco did not write itself. */
    _cleanup_strvec_ struct strvec keep = STRVEC_INIT;
#define E(s) str_escape_keep(&keep, (s))
    for (size_t e = 0; e < eng.n; e++) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        char *ls[] = {eng.v[e], "volume", "ls", "--quiet", "--filter",
                      "name=coco-cache-", NULL};
        int code = spawn_capture(ls, &out, &len, 1u << 20, &err);
        if (code != 0) {
            if (code < 0)
                err_print(&err);
            warn("%s: cannot list volumes; skipped", eng.v[e]);
            continue;
        }
        _cleanup_strvec_ struct strvec rm = STRVEC_INIT;
        strvec_push(&rm, eng.v[e]);
        strvec_push(&rm, "volume");
        strvec_push(&rm, "rm");
        strvec_push(&rm, "--force");
        char *save = NULL;
        /* The one mapping run uses (cache_volume_name): exactly TOOL's
         * volume, or exactly the names coco makes; another program's
         * volume that merely starts with "coco-cache-" is left alone
         * ("name=" filters match substrings anyway). */
        _cleanup_free_ char *want = tool ? cache_volume_name(tool) : NULL;
        for (char *v = strtok_r(out, "\n", &save); v; v = strtok_r(NULL, "\n", &save)) {
            if (want ? strcmp(v, want) != 0 : !cache_volume_is_ours(v))
                continue;
            strvec_push(&rm, v);
        }
        if (rm.n == 4) {
            printf("%s: no coco volumes%s%s\n", E(eng.v[e]), tool ? " for " : "",
                   tool ? tool : "");
            continue;
        }
        int st = spawn_wait(rm.v, environ, true, false, &err);
        if (st < 0) {
            err_print(&err);
            failed++;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            coco_fail("prune: %s volume rm failed", eng.v[e]);
            failed++;
        } else {
            for (size_t i = 4; i < rm.n; i++)
                printf("%s: removed volume %s\n", E(eng.v[e]), rm.v[i]);
        }
    }
#undef E
    if (fflush(stdout) != 0)
        return EXIT_COCO;
    return failed ? EXIT_COCO : 0;
}

int cmd_rebuild(int argc, char **argv)
{
    const char *base = getenv("COCO_BASE_IMAGE");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--base") == 0 && i + 1 < argc) {
            base = argv[++i];
        } else if (str_has_prefix(argv[i], "--base=")) {
            base = argv[i] + 7;
        } else {
            coco_fail("usage: coco rebuild [--base IMAGE]");
            return EXIT_COCO;
        }
    }
    if (base && base[0] == '-') {
        coco_fail("rebuild: --base: \"%s\" is not an image", base);
        return EXIT_COCO;
    }
    coco_err err = {0};
    enum runtime_kind named;
    if (policy_env_runtime(environ, &named, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    enum runtime_kind kind = named != RT_UNSET ? named : RT_PODMAN;
    if (kind == RT_NATIVE) {
        printf("the native runtime uses the host's programs; no image to build\n");
        return 0;
    }
    _cleanup_free_ char *engine = oci_find_engine(kind);
    if (!engine && named == RT_UNSET) {
        kind = RT_DOCKER;
        engine = oci_find_engine(kind);
    }
    if (!engine) {
        coco_fail("rebuild: %s not found in PATH", runtime_name(kind));
        return EXIT_COCO;
    }
    _cleanup_free_ char *dir = paths_data_find("image");
    if (!dir) {
        coco_fail("rebuild: no image/Containerfile found (looked in "
                        "%s/image and beside the binary)", COCO_DATADIR);
        return EXIT_COCO;
    }
    _cleanup_free_ char *file = path_join(dir, "Containerfile");
    const char *image = getenv("COCO_IMAGE");
    if (!image || !*image)
        image = COCO_DEFAULT_IMAGE;
    _cleanup_strvec_ struct strvec av = STRVEC_INIT;
    strvec_push(&av, engine);
    strvec_push(&av, "build");
    strvec_pushf(&av, "--tag=%s", image);
    strvec_pushf(&av, "--file=%s", file);
    if (base && *base)
        strvec_pushf(&av, "--build-arg=BASE=%s", base);
    strvec_push(&av, dir);
    _cleanup_strvec_ struct strvec keep = STRVEC_INIT;
    printf("building %s from %s%s%s\n", str_escape_keep(&keep, image),
           str_escape_keep(&keep, file), base ? " on " : "",
           base ? str_escape_keep(&keep, base) : "");
    fflush(stdout);
    execv(av.v[0], av.v);
    coco_fail("rebuild: cannot run %s: %s", av.v[0], strerror(errno));
    return errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
}
