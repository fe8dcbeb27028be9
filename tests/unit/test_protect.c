/* test_protect.c — protect_scan() on a real directory tree: which
 * host-executed paths it finds, the anchors above them, the bounds (depth,
 * node_modules), a .git file's gitdir: inside and outside the mount, and
 * symlinks recorded, never followed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protect.h"
#include "sys.h"

static char tmp[] = "/tmp/coco-test-protect.XXXXXX";

static void mk(const char *rel, const char *text)
{
    _cleanup_free_ char *path = path_join(tmp, rel);
    _cleanup_free_ char *dir = xstrdup(path);
    *strrchr(dir, '/') = '\0';
    coco_err err = {0};
    assert_int_equal(mkdir_parents(dir, 0755, &err), 0);
    if (!text) {
        assert_int_equal(mkdir(path, 0755), 0);
        return;
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const struct policy_protect *find(const struct policy *p,
                                         const char *rel)
{
    for (size_t i = 0; i < p->n_protect; i++)
        if (strcmp(p->protect[i].rel, rel) == 0)
            return &p->protect[i];
    return NULL;
}

static void test_scan(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(tmp));
    _cleanup_free_ char *ws = path_join(tmp, "ws");
    mk("ws/.git/hooks", NULL);
    mk("ws/.git/config", "[core]\n");
    mk("ws/.envrc", "x\n");
    mk("ws/a/b/c/d/.vscode", NULL);          /* depth 4: found */
    mk("ws/a/b/c/d/e/.envrc", "deep\n");     /* depth 5: beyond the bound */
    mk("ws/node_modules/x/.envrc", "nm\n");  /* never searched */
    mk("ws/sub/.git", "gitdir: ../.git/modules/sub\n");
    mk("ws/.git/modules/sub/hooks", NULL);
    mk("ws/.git/modules/sub/config", "[core]\n");
    mk("outside/.git/hooks", NULL);
    mk("outside/.git/config", "[core]\n");
    mk("ws/wt/.git", "gitdir: ../../outside/.git\n");  /* outside: not visible */
    _cleanup_free_ char *lnk = path_join(tmp, "ws/.mcp.json");
    assert_int_equal(symlink("/etc/passwd", lnk), 0);
    mk("ws/conf/claude/settings.json", "{}\n");
    _cleanup_free_ char *cl = path_join(tmp, "ws/.claude");
    assert_int_equal(symlink("conf/claude", cl), 0);  /* inside: its target too */
    _cleanup_free_ char *esc = path_join(tmp, "ws/sub/.envrc");
    assert_int_equal(symlink("../../outside/.git/config", esc), 0);  /* out */
    _cleanup_free_ char *ldir = path_join(tmp, "ws/linked");
    _cleanup_free_ char *out = path_join(tmp, "outside");
    assert_int_equal(symlink(out, ldir), 0);  /* never descended into */

    struct policy p = {0};
    p.tool = xstrdup("t");
    p.mounts = xcalloc(2, sizeof *p.mounts);
    p.mounts[0] = (struct policy_mount){
        .src = xstrdup(ws), .dst = xstrdup("/workspace"),
        .fd = open(ws, O_PATH | O_DIRECTORY | O_CLOEXEC), .is_dir = true};
    /* a read-only mount is not searched */
    p.mounts[1] = (struct policy_mount){
        .src = xstrdup(out), .dst = xstrdup("/out"),
        .fd = open(out, O_PATH | O_DIRECTORY | O_CLOEXEC), .is_dir = true,
        .ro = true};
    p.n_mounts = 2;
    strvec_push(&p.protect_allow, ".git/config");
    protect_scan(&p);

    assert_int_equal(p.protect_roots.n, 1);
    const struct policy_protect *e;
    assert_non_null(e = find(&p, ".git/hooks"));
    assert_true(e->is_dir && !e->anchor && !e->allowed);
    assert_string_equal(e->ctr, "/workspace/.git/hooks");
    assert_non_null(e = find(&p, ".git/config"));
    assert_true(e->allowed);
    assert_non_null(e = find(&p, ".git"));
    assert_true(e->anchor);
    assert_non_null(find(&p, ".envrc"));
    assert_non_null(e = find(&p, ".mcp.json"));
    assert_true(e->is_link);
    assert_non_null(find(&p, "a/b/c/d/.vscode"));
    assert_non_null(e = find(&p, "a/b/c/d"));
    assert_true(e->anchor);
    assert_null(find(&p, "a/b/c/d/e/.envrc"));
    assert_null(find(&p, "node_modules/x/.envrc"));
    assert_non_null(e = find(&p, "sub/.git"));
    assert_true(!e->is_dir && !e->anchor);
    assert_non_null(e = find(&p, ".git/modules/sub/hooks"));
    assert_true(e->via_gitdir);
    assert_non_null(find(&p, ".git/modules/sub/config"));
    assert_non_null(find(&p, "wt/.git"));
    assert_non_null(e = find(&p, ".claude"));
    assert_true(e->is_link);
    assert_non_null(e = find(&p, "conf/claude"));
    assert_true(e->link_target && e->is_dir && !e->is_link);
    assert_non_null(e = find(&p, "conf"));
    assert_true(e->anchor);
    assert_non_null(e = find(&p, "sub/.envrc"));
    assert_true(e->is_link);
    for (size_t i = 0; i < p.n_protect; i++) {
        assert_null(strstr(p.protect[i].rel, "outside"));
        assert_null(strstr(p.protect[i].rel, "linked"));
        assert_null(strstr(p.protect[i].host, "/outside"));
        /* parents first */
        if (i)
            assert_true(strcmp(p.protect[i - 1].ctr, p.protect[i].ctr) < 0);
    }

    /* after an unchanged run: nothing created, nothing moved */
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    assert_int_equal(protect_after(&p, o), 0);
    fclose(o);
    assert_int_equal(len, 0);
    free(buf);

    /* created: moved aside, named; allowed: kept */
    mk("ws/.idea", NULL);
    _cleanup_free_ char *cfg = path_join(ws, ".git/config");
    unlink(cfg);
    mk("ws/.git/config", "[core]\n\tfsmonitor = x\n");
    p.report = true;
    o = open_memstream(&buf, &len);
    assert_int_equal(protect_after(&p, o), 1);
    fclose(o);
    assert_non_null(strstr(buf, "created "));
    assert_non_null(strstr(buf, "/ws/.idea -> "));
    assert_non_null(strstr(buf, "/ws/.idea.coco-blocked"));
    /* (replaced, or changed when the file system reused the inode) */
    assert_non_null(strstr(buf, " (allowed by the config)  "));
    assert_non_null(strstr(buf, "/ws/.git/config\n"));
    free(buf);
    _cleanup_free_ char *moved = path_join(ws, ".idea.coco-blocked");
    struct stat st;
    assert_int_equal(stat(moved, &st), 0);
    assert_int_equal(access(cfg, F_OK), 0);

    policy_free(&p);
    _cleanup_close_ int t = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
    remove_tree_at(t, tmp + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
