/* test_hostpath.c — every row of the one table of host paths, walked
 * through every part of coco that judges a host path: config validation,
 * policy resolution, the podman/docker argv builder, podman_args vetting
 * and the marks of `coco show` / `coco get`.  A row added to the table is
 * tested here without a line of this file changing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "engine_args.h"
#include "hostpath.h"
#include "oci.h"
#include "policy.h"

#define HOME "/home/u"
#define RUNDIR "/run/user/1000"

static char *row_path(const struct hostpath_row *r)
{
    char *p = hostpath_row_path(r, HOME, RUNDIR);
    if (!p)
        fail_msg("row %s: no path", r->path);
    return p;
}

static char *parent_of(const char *path)
{
    char *d = xstrdup(path);
    char *s = strrchr(d, '/');
    if (s == d)
        s[1] = '\0';
    else
        *s = '\0';
    return d;
}

/* Config validation: an engine socket's name is refused at load, naming
 * the file and the key; everything else in the table is allowed there. */
static void test_config(void **state)
{
    (void)state;
    for (size_t i = 0; i < hostpath_n; i++) {
        const struct hostpath_row *r = &hostpath_table[i];
        _cleanup_free_ char *path = row_path(r);
        _cleanup_free_ char *json = xasprintf(
            "{\"mounts\": [{\"src\": \"%s\", \"dst\": \"/s\"}]}", path);
        struct config c;
        coco_err err = {0};
        int rc = config_parse(json, strlen(json), "t", "t.json", &c, &err);
        if (r->kind == HP_ENGINE) {
            if (rc == 0 || !strstr(err.msg, "t.json: mounts[0].src: ") ||
                !strstr(err.msg, "container-engine socket"))
                fail_msg("row %s: config accepted it (%s)", r->path, err.msg);
        } else {
            if (rc < 0)
                fail_msg("row %s: refused: %s", r->path, err.msg);
            config_free(&c);
        }
    }
}

/* Policy resolution: the socket itself and the directory that holds it
 * are refused before anything is opened or created, the runtime
 * directory's rows through $XDG_RUNTIME_DIR.  The config is built for a
 * harmless source and then pointed at the row, so this checks the policy
 * layer on its own, not the config validation above. */
static void test_policy(void **state)
{
    (void)state;
    char *env[] = {"XDG_RUNTIME_DIR=" RUNDIR, NULL};
    for (size_t i = 0; i < hostpath_n; i++) {
        const struct hostpath_row *r = &hostpath_table[i];
        if (r->kind != HP_ENGINE)
            continue;
        _cleanup_free_ char *sock = row_path(r);
        _cleanup_free_ char *dir = parent_of(sock);
        const char *srcs[] = {sock, dir};
        for (size_t k = 0; k < 2; k++) {
            const char *json = "{\"mounts\": [{\"src\": \"x\", \"dst\": \"/s\"}]}";
            struct config c;
            coco_err err = {0};
            if (config_parse(json, strlen(json), "t", "t.json", &c, &err) < 0)
                fail_msg("%s", err.msg);
            free(c.mounts[0].src);
            c.mounts[0].src = xstrdup(srcs[k]);
            struct host_ctx ctx = {
                .cwd = "/nonexistent/cwd", .home = HOME, .uid = 1000,
                .gid = 1000, .environ = env, .pid = 1,
                .container_name = "coco-t", .podman_bin = "/usr/bin/podman",
            };
            struct run_flags fl = {.runtime = RT_PODMAN, .dry_run = true};
            struct policy p;
            int rc = policy_resolve(&c, &ctx, &fl, NULL, 0, &p, &err);
            config_free(&c);
            if (rc == 0) {
                policy_free(&p);
                fail_msg("row %s: policy accepted %s", r->path, srcs[k]);
            }
            if (!strstr(err.msg, "t.json: mounts[0].src: ") ||
                !strstr(err.msg, "container-engine socket"))
                fail_msg("row %s: %s: %s", r->path, srcs[k], err.msg);
        }
    }
}

/* The argv builder does not trust its policy: a socket or the directory
 * holding a rootful one is refused for podman and docker alike. */
static void test_oci(void **state)
{
    (void)state;
    for (size_t i = 0; i < hostpath_n; i++) {
        const struct hostpath_row *r = &hostpath_table[i];
        if (r->kind != HP_ENGINE)
            continue;
        _cleanup_free_ char *sock = row_path(r);
        _cleanup_free_ char *dir = parent_of(sock);
        /* The builder has no runtime directory: only the socket's name
         * tells it a rootless one. */
        bool rootful = r->path[0] == '/';
        const char *srcs[] = {sock, rootful ? dir : sock};
        for (int rt = RT_PODMAN; rt <= RT_DOCKER; rt++)
            for (size_t k = 0; k < 2; k++) {
                struct policy p = {0};
                p.tool = xstrdup("t");
                p.runtime = (enum runtime_kind)rt;
                p.engine_bin = xstrdup("/usr/bin/podman");
                p.image = xstrdup("localhost/coco:latest");
                strvec_push(&p.argv, "t");
                p.workdir = xstrdup("/workspace");
                p.net.mode = NET_NONE;
                p.limits.memory = 1ULL << 30;
                p.limits.pids = 100;
                p.limits.tmp_size = 1 << 20;
                p.container_name = xstrdup("coco-t");
                p.home = xstrdup(HOME);
                p.mounts = xcalloc(1, sizeof *p.mounts);
                p.n_mounts = 1;
                p.mounts[0] = (struct policy_mount){
                    .src = xstrdup(srcs[k]), .dst = xstrdup("/s"), .fd = -1,
                    .is_dir = k == 1};
                _cleanup_strvec_ struct strvec a = STRVEC_INIT;
                _cleanup_strvec_ struct strvec e = STRVEC_INIT;
                _cleanup_strvec_ struct strvec ef = STRVEC_INIT;
                coco_err err = {0};
                int rc = oci_build_argv(&p, NULL, &a, &e, &ef, &err);
                policy_free(&p);
                if (rc == 0 || !strstr(err.msg, "container-engine socket"))
                    fail_msg("row %s: %s: argv built (%s)", r->path, srcs[k],
                             err.msg);
            }
    }
}

/* podman_args is an allowlist whose options take no host path: no way
 * of spelling a bind of a row gets through. */
static void test_podman_args(void **state)
{
    (void)state;
    for (size_t i = 0; i < hostpath_n; i++) {
        _cleanup_free_ char *path = row_path(&hostpath_table[i]);
        _cleanup_free_ char *v1 = xasprintf("%s:/s", path);
        _cleanup_free_ char *v2 = xasprintf("--volume=%s:/s", path);
        _cleanup_free_ char *v3 = xasprintf("--mount=type=bind,src=%s,dst=/s", path);
        char *const tries[][2] = {{"-v", v1}, {v2, NULL}, {v3, NULL},
                                  {"--security-opt", v1}};
        for (size_t k = 0; k < sizeof tries / sizeof tries[0]; k++) {
            _cleanup_strvec_ struct strvec out = STRVEC_INIT;
            size_t bad;
            coco_err err = {0};
            if (engine_args_vet(tries[k], tries[k][1] ? 2 : 1, &out, &bad,
                                &err) == 0)
                fail_msg("row %s: podman_args %s accepted", path, tries[k][0]);
        }
    }
}

/* show and get mark every row, what lies below it and what lies above
 * it. */
static void test_marked(void **state)
{
    (void)state;
    for (size_t i = 0; i < hostpath_n; i++) {
        _cleanup_free_ char *path = hostpath_row_path(&hostpath_table[i], HOME, NULL);
        if (!path)
            continue;  /* the runtime directory's rows: below /run */
        _cleanup_free_ char *below = path_join(path, "x");
        _cleanup_free_ char *above = parent_of(path);
        assert_true(hostpath_sensitive(path, HOME));
        assert_true(hostpath_sensitive(below, HOME));
        assert_true(hostpath_sensitive(above, HOME));
        assert_non_null(hostpath_table[i].what);
    }
    assert_true(hostpath_sensitive(RUNDIR "/podman/podman.sock", HOME));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),      cmocka_unit_test(test_policy),
        cmocka_unit_test(test_oci),         cmocka_unit_test(test_podman_args),
        cmocka_unit_test(test_marked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
