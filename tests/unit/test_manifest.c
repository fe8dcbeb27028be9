/* test_manifest.c — the install manifest (install/manifest.c) on real
 * temporary trees: build → write → load gives the same manifest and a
 * clean check; each tamper is found by the check that is meant to find it
 * (the quick check: size, mtime, inode, mode, type, symlink target, added
 * and removed entries; the full check also: content rewritten with the
 * same size and the mtime put back); fifos, devices, setuid files and
 * trees deeper than 64 are refused; manifest_parse() refuses every kind
 * of damaged manifest.  Prints (does not assert) how long the quick and
 * full checks take on a tree of 1,500 files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "install.h"
#include "sys.h"

static char base[64];   /* the temp directory: tree/ and manifest.json */
static char tree[128];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    remove(p);
    return 0;
}

static void put(const char *rel, const char *content, mode_t mode)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tree, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        fail_msg("cannot create %s", p);
    size_t n = strlen(content);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void dir(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tree, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void link_(const char *target, const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tree, rel);
    assert_int_equal(symlink(target, p), 0);
}

static char *at(const char *rel)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", tree, rel);
    return p;
}

/* A small hostile tree: files, directories, symlinks pointing out of it
 * (absolute and ".."), a dangling one, names with a newline and a
 * backslash, a hard link to a file outside. */
static int setup(void **state)
{
    (void)state;
    snprintf(base, sizeof base, "/tmp/coco-mf.XXXXXX");
    if (!mkdtemp(base))
        return -1;
    snprintf(tree, sizeof tree, "%s/tree", base);
    if (mkdir(tree, 0755) < 0)
        return -1;
    put("a.txt", "hello", 0644);
    dir("bin");
    put("bin/tool", "#!/bin/sh\necho hi\n", 0755);
    dir("node_modules");
    dir("node_modules/.bin");
    dir("node_modules/eslint");
    dir("node_modules/eslint/bin");
    put("node_modules/eslint/bin/eslint.js", "console.log(1)\n", 0755);
    link_("../eslint/bin/eslint.js", "node_modules/.bin/eslint");
    link_("/etc/shadow", "abs");
    link_("../../..", "up");
    link_("nowhere", "dangling");
    put("new\nline", "x", 0600);
    put("back\\slash", "y", 0644);
    dir("empty");
    /* A hard link to a file outside the tree: recorded, fine. */
    char outside[128];
    snprintf(outside, sizeof outside, "%s/outside", base);
    int fd = open(outside, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    if (link(outside, at("hardlink")) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static int open_tree(void)
{
    int fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static void build(struct manifest *m)
{
    coco_err err = {0};
    int fd = open_tree();
    if (manifest_build(fd, m, &err) != 0)
        fail_msg("manifest_build: %s", err.msg);
    close(fd);
}

static const struct mf_entry *find(const struct manifest *m, const char *path)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->e[i].path, path))
            return &m->e[i];
    return NULL;
}

/* The quick (or full) check's verdict; *MSG receives its message. */
static int check_(const struct manifest *m, bool full, char **msg)
{
    coco_err err = {0};
    int fd = open_tree();
    char *changed = NULL;
    int r = full ? manifest_check_full(m, fd, &changed, &err)
                 : manifest_check_quick(m, fd, &changed, &err);
    close(fd);
    if (r < 0)
        fail_msg("check: %s", err.msg);
    if (r == 0)
        assert_null(changed);
    else
        assert_non_null(changed);
    *msg = changed;
    return r;
}

/* Both checks report a change whose message starts with WANT. */
static void expect_change(const struct manifest *m, bool quick_too,
                          const char *want)
{
    char *msg;
    if (quick_too) {
        assert_int_equal(check_(m, false, &msg), 1);
        if (strncmp(msg, want, strlen(want)) != 0)
            fail_msg("quick check: \"%s\", want \"%s...\"", msg, want);
        assert_null(strchr(msg, '\n'));
        free(msg);
    } else {
        assert_int_equal(check_(m, false, &msg), 0);
    }
    assert_int_equal(check_(m, true, &msg), 1);
    if (strncmp(msg, want, strlen(want)) != 0)
        fail_msg("full check: \"%s\", want \"%s...\"", msg, want);
    free(msg);
}

static void same_entries(const struct manifest *a, const struct manifest *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->total_size, b->total_size);
    for (size_t i = 0; i < a->n; i++) {
        const struct mf_entry *x = &a->e[i], *y = &b->e[i];
        assert_string_equal(x->path, y->path);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->mode, y->mode);
        assert_int_equal(x->size, y->size);
        assert_int_equal(x->mtime_ns, y->mtime_ns);
        assert_int_equal(x->ino, y->ino);
        assert_string_equal(x->sha256, y->sha256);
        if (x->target || y->target)
            assert_string_equal(x->target, y->target);
    }
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct manifest m, l;
    build(&m);
    /* Sorted, the root first, every kind recorded as it is. */
    assert_string_equal(m.e[0].path, "");
    assert_int_equal(m.e[0].type, MF_DIR);
    for (size_t i = 1; i < m.n; i++)
        assert_true(strcmp(m.e[i - 1].path, m.e[i].path) < 0);
    const struct mf_entry *e = find(&m, "a.txt");
    assert_non_null(e);
    assert_int_equal(e->type, MF_FILE);
    assert_int_equal(e->size, 5);
    assert_int_equal(e->mode, 0644);
    assert_string_equal(e->sha256,
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    e = find(&m, "abs");
    assert_int_equal(e->type, MF_SYMLINK);
    assert_string_equal(e->target, "/etc/shadow");
    assert_int_equal(e->size, 11);
    assert_string_equal(find(&m, "up")->target, "../../..");
    assert_string_equal(find(&m, "node_modules/.bin/eslint")->target,
                        "../eslint/bin/eslint.js");
    assert_int_equal(find(&m, "new\nline")->mode, 0600);
    assert_non_null(find(&m, "back\\slash"));
    assert_int_equal(find(&m, "empty")->type, MF_DIR);
    assert_int_equal(find(&m, "bin/tool")->mode, 0755);
    assert_non_null(find(&m, "hardlink"));
    assert_int_equal(m.n, 17);
    assert_int_equal(m.total_size, 5 + 18 + 15 + 1 + 1);

    /* Write with an extra key, load it back: the same entries. */
    char path[128];
    snprintf(path, sizeof path, "%s/manifest.json", base);
    json_t *extra = json_pack("{s:s}", "tool_version", "9.1.0");
    coco_err err = {0};
    assert_int_equal(manifest_write(&m, path, extra, &err), 0);
    json_decref(extra);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    void *x = NULL;
    if (manifest_load(path, &l, &x, &err) != 0)
        fail_msg("manifest_load: %s", err.msg);
    same_entries(&m, &l);
    assert_string_equal(json_string_value(json_object_get(x, "tool_version")),
                        "9.1.0");
    json_decref(x);
    /* EXTRA may not take over the manifest's own keys. */
    extra = json_pack("{s:i}", "version", 2);
    assert_int_equal(manifest_write(&m, path, extra, &err), -1);
    json_decref(extra);

    char *msg;
    assert_int_equal(check_(&l, false, &msg), 0);
    assert_int_equal(check_(&l, true, &msg), 0);
    /* The root given as an O_PATH descriptor works too, twice. */
    int fd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
    char *changed = NULL;
    assert_int_equal(manifest_check_quick(&l, fd, &changed, &err), 0);
    assert_int_equal(manifest_check_quick(&l, fd, &changed, &err), 0);
    close(fd);
    manifest_free(&l);
    manifest_free(&m);
}

/* Rewrite REL with CONTENT and put its mtime back. */
static void rewrite_keep_mtime(const char *rel, const char *content)
{
    struct stat st;
    assert_int_equal(lstat(at(rel), &st), 0);
    int fd = open(at(rel), O_WRONLY | O_TRUNC | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    assert_int_equal(futimens(fd, ts), 0);
    close(fd);
}

static void test_content_same_size_restored_mtime(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    /* Same size, same inode, mtime put back: only the full check sees it
     * (documented in install.h). */
    rewrite_keep_mtime("a.txt", "HELLO");
    expect_change(&m, false, "a.txt: content changed (sha256 2cf24dba");
    manifest_free(&m);
}

static void test_content_size(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    rewrite_keep_mtime("bin/tool", "#!/bin/sh\nrm -rf ~\n");
    expect_change(&m, true, "bin/tool: size 18 -> 19");
    manifest_free(&m);
}

static void test_mtime(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    struct timespec ts[2] = {{0, UTIME_OMIT}, {12345, 0}};
    assert_int_equal(utimensat(AT_FDCWD, at("a.txt"), ts, 0), 0);
    expect_change(&m, true, "a.txt: mtime ");
    manifest_free(&m);
}

static void test_added(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    put("node_modules/eslint/bin/evil.js", "x", 0644);
    expect_change(&m, true, "node_modules/eslint/bin/evil.js: not in the manifest");
    manifest_free(&m);
    /* An added directory is named, not its contents. */
    build(&m);
    dir("empty/x");
    put("empty/x/y", "z", 0644);
    expect_change(&m, true, "empty/x: not in the manifest");
    manifest_free(&m);
}

static void test_removed(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    assert_int_equal(unlink(at("node_modules/eslint/bin/eslint.js")), 0);
    expect_change(&m, true, "node_modules/eslint/bin/eslint.js: missing");
    manifest_free(&m);
}

static void test_replaced_by_rename(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    /* The same bytes, the same mode and mtime, renamed over: a new inode. */
    struct stat st;
    assert_int_equal(stat(at("a.txt"), &st), 0);
    put("a.tmp", "hello", 0644);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, at("a.tmp"), ts, 0), 0);
    char from[512];
    snprintf(from, sizeof from, "%s", at("a.tmp"));
    assert_int_equal(rename(from, at("a.txt")), 0);
    expect_change(&m, true, "a.txt: inode ");
    manifest_free(&m);
}

static void test_chmod(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    assert_int_equal(chmod(at("a.txt"), 0755), 0);
    expect_change(&m, true, "a.txt: mode 0644 -> 0755");
    manifest_free(&m);
    build(&m);
    assert_int_equal(chmod(at("bin"), 0777), 0);
    expect_change(&m, true, "bin: mode 0755 -> 0777");
    manifest_free(&m);
}

static void test_symlink_retargeted(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    /* Same length: only the target itself differs. */
    assert_int_equal(unlink(at("abs")), 0);
    link_("/etc/passwd", "abs");
    expect_change(&m, true, "abs: symlink target \"/etc/shadow\" -> \"/etc/passwd\"");
    manifest_free(&m);
}

static void test_file_replaced_by_symlink(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    assert_int_equal(unlink(at("bin/tool")), 0);
    link_("/bin/sh", "bin/tool");
    expect_change(&m, true, "bin/tool: type file -> symlink");
    manifest_free(&m);
    /* A directory replaced by a file is named, not its missing children. */
    build(&m);
    assert_int_equal(unlink(at("node_modules/eslint/bin/eslint.js")), 0);
    assert_int_equal(rmdir(at("node_modules/eslint/bin")), 0);
    put("node_modules/eslint/bin", "", 0644);
    expect_change(&m, true, "node_modules/eslint/bin: type dir -> file");
    manifest_free(&m);
}

static void test_hostile_name_escaped(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    assert_int_equal(chmod(at("new\nline"), 0644), 0);
    expect_change(&m, true, "new\\nline: mode 0600 -> 0644");
    manifest_free(&m);
}

static void test_many_changes_counted(void **state)
{
    (void)state;
    struct manifest m;
    build(&m);
    assert_int_equal(chmod(at("bin/tool"), 0700), 0);
    assert_int_equal(chmod(at("a.txt"), 0600), 0);
    assert_int_equal(unlink(at("back\\slash")), 0);
    char *msg;
    assert_int_equal(check_(&m, false, &msg), 1);
    /* The smallest path first; the root's mtime (a name removed) is the
     * least telling change and gives way. */
    assert_string_equal(msg, "a.txt: mode 0644 -> 0600 (and 3 more changes)");
    free(msg);
    manifest_free(&m);
}

/* manifest_build() fails, naming WANT. */
static void expect_refused(const char *want)
{
    struct manifest m;
    coco_err err = {0};
    int fd = open_tree();
    assert_int_equal(manifest_build(fd, &m, &err), -1);
    close(fd);
    assert_int_equal(m.n, 0);
    assert_null(m.e);
    if (!strstr(err.msg, want))
        fail_msg("error \"%s\" does not say \"%s\"", err.msg, want);
}

static void test_refuses_fifo(void **state)
{
    (void)state;
    assert_int_equal(mkfifo(at("bin/pipe"), 0644), 0);
    expect_refused("bin/pipe: a fifo");
}

static void test_refuses_device(void **state)
{
    (void)state;
    if (mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)) < 0)
        skip();  /* not root, or no CAP_MKNOD */
    expect_refused("null: a character device");
}

static void test_refuses_socket(void **state)
{
    (void)state;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    const char *sp = at("sock");
    assert_true(strlen(sp) < sizeof a.sun_path);
    memcpy(a.sun_path, sp, strlen(sp) + 1);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    close(s);
    expect_refused("sock: a socket");
}

static void test_refuses_setuid(void **state)
{
    (void)state;
    assert_int_equal(chmod(at("bin/tool"), 04755), 0);
    expect_refused("bin/tool: a setuid file");
    assert_int_equal(chmod(at("bin/tool"), 02755), 0);
    expect_refused("bin/tool: a setgid file");
}

static void test_refuses_deep(void **state)
{
    (void)state;
    /* 64 levels below the root are fine, 65 are not. */
    char rel[512] = "d";
    dir(rel);
    for (int i = 2; i <= 64; i++) {
        strcat(rel, "/d");
        dir(rel);
    }
    struct manifest m;
    build(&m);
    manifest_free(&m);
    strcat(rel, "/d");
    dir(rel);
    expect_refused("deeper than 64 directories");
}

static void test_refuses_non_utf8(void **state)
{
    (void)state;
    put("bad\xff", "x", 0644);
    expect_refused("not valid UTF-8");
}

/* ---- manifest_parse ----------------------------------------------------- */

#define ROOT "{\"path\":\"\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime_ns\":1,\"ino\":2}"
#define HASH "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define FILE_(p) "{\"path\":\"" p "\",\"type\":\"file\",\"mode\":\"0644\",\"size\":5," \
                 "\"mtime_ns\":1,\"ino\":3,\"sha256\":\"" HASH "\"}"
#define DIR_(p) "{\"path\":\"" p "\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime_ns\":1,\"ino\":4}"
#define MF(...) "{\"version\":1,\"entries\":[" ROOT __VA_ARGS__ "]}"

static void parse_ok(const char *text)
{
    struct manifest m;
    coco_err err = {0};
    void *x = NULL;
    if (manifest_parse(text, strlen(text), "m.json", &m, &x, &err) != 0)
        fail_msg("refused %s: %s", text, err.msg);
    assert_non_null(x);
    json_decref(x);
    manifest_free(&m);
}

static void parse_bad(const char *text, const char *want)
{
    struct manifest m;
    coco_err err = {0};
    void *x = (void *)1;
    assert_int_equal(manifest_parse(text, strlen(text), "m.json", &m, &x, &err), -1);
    assert_null(x);
    assert_null(m.e);
    assert_int_equal(m.n, 0);
    if (!str_has_prefix(err.msg, "m.json: ") || !strstr(err.msg, want) ||
        !strstr(err.msg, "reinstall the tool"))
        fail_msg("%s: error \"%s\" does not say \"%s\"", text, err.msg, want);
}

static void test_parse(void **state)
{
    (void)state;
    parse_ok(MF());
    parse_ok(MF("," DIR_("a") "," FILE_("a-b") "," FILE_("a/b")));
    parse_ok(MF("," FILE_("new\\nline")));
    parse_ok("{\"version\":1,\"tool\":\"eslint\",\"entries\":[" ROOT "]}");
    parse_ok(MF(",{\"path\":\"l\",\"type\":\"symlink\",\"mode\":\"0777\",\"size\":8,"
                "\"mtime_ns\":-5,\"ino\":-1,\"target\":\"../../..\"}"));

    parse_bad("", "not valid JSON");
    parse_bad("{\"version\":1,", "not valid JSON");
    parse_bad("[]", "not a JSON object");
    parse_bad("{\"entries\":[" ROOT "]}", "\"version\"");
    parse_bad("{\"version\":\"1\",\"entries\":[" ROOT "]}", "\"version\"");
    parse_bad("{\"version\":2,\"entries\":[" ROOT "]}", "\"version\"");
    parse_bad("{\"version\":1}", "\"entries\"");
    parse_bad("{\"version\":1,\"entries\":{}}", "\"entries\"");
    parse_bad("{\"version\":1,\"entries\":[]}", "\"entries\"");
    parse_bad("{\"version\":1,\"version\":1,\"entries\":[" ROOT "]}", "not valid JSON");
    parse_bad("{\"version\":1,\"entries\":[" FILE_("a") "]}", "root directory");
    parse_bad(MF("," FILE_("../x")), "\"..\"");
    parse_bad(MF("," FILE_("a/../x")), "\"..\"");
    parse_bad(MF("," FILE_("./x")), "\".\"");
    parse_bad(MF("," FILE_("/abs")), "absolute");
    parse_bad(MF("," DIR_("a") "," FILE_("a//b")), "\"//\"");
    parse_bad(MF("," DIR_("a") "," FILE_("a/")), "ends in");
    parse_bad(MF("," FILE_("")), "duplicate");
    parse_bad(MF("," FILE_("a") "," FILE_("a")), "duplicate");
    parse_bad(MF("," FILE_("b") "," FILE_("a")), "not sorted");
    parse_bad(MF("," FILE_("a/b")), "parent");
    parse_bad(MF("," FILE_("a") "," FILE_("a/b")), "parent");
    parse_bad(MF("," FILE_("a\\u0000b")), "NUL");
    parse_bad(MF(",7"), "not an object");
    parse_bad(MF(",{\"type\":\"file\"}"), "\"path\"");
    parse_bad(MF(",{\"path\":1}"), "\"path\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"fifo\"}"), "\"type\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime_ns\":1}"),
              "\"ino\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"dir\",\"mode\":755,\"mtime_ns\":1,\"ino\":1}"),
              "\"mode\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0855\",\"mtime_ns\":1,\"ino\":1}"),
              "\"mode\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"file\",\"mode\":\"4755\",\"size\":1,"
                 "\"mtime_ns\":1,\"ino\":1,\"sha256\":\"" HASH "\"}"), "setuid");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime_ns\":1.5,\"ino\":1}"),
              "\"mtime_ns\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime_ns\":1,"
                 "\"ino\":1,\"size\":4096}"), "unexpected key \"size\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime_ns\":1,"
                 "\"ino\":1,\"x\":1}"), "unexpected key");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"file\",\"mode\":\"0644\","
                 "\"mtime_ns\":1,\"ino\":1,\"sha256\":\"" HASH "\"}"), "\"size\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"file\",\"mode\":\"0644\",\"size\":-1,"
                 "\"mtime_ns\":1,\"ino\":1,\"sha256\":\"" HASH "\"}"), "\"size\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"file\",\"mode\":\"0644\",\"size\":1,"
                 "\"mtime_ns\":1,\"ino\":1}"), "\"sha256\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"file\",\"mode\":\"0644\",\"size\":1,"
                 "\"mtime_ns\":1,\"ino\":1,\"sha256\":\"" HASH "0\"}"), "\"sha256\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"file\",\"mode\":\"0644\",\"size\":1,"
                 "\"mtime_ns\":1,\"ino\":1,\"sha256\":\"2CF24DBA5FB0A30E26E83B2AC5B9E29E"
                 "1B161E5C1FA7425E73043362938B9824\"}"), "\"sha256\"");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"file\",\"mode\":\"0644\",\"size\":1,"
                 "\"mtime_ns\":1,\"ino\":1,\"sha256\":\"" HASH "\",\"target\":\"x\"}"),
              "unexpected key \"target\"");
    parse_bad(MF(",{\"path\":\"l\",\"type\":\"symlink\",\"mode\":\"0777\",\"size\":1,"
                 "\"mtime_ns\":1,\"ino\":1}"), "\"target\"");
    parse_bad(MF(",{\"path\":\"l\",\"type\":\"symlink\",\"mode\":\"0777\",\"size\":0,"
                 "\"mtime_ns\":1,\"ino\":1,\"target\":\"\"}"), "\"target\"");
    parse_bad(MF(",{\"path\":\"l\",\"type\":\"symlink\",\"mode\":\"0777\",\"size\":3,"
                 "\"mtime_ns\":1,\"ino\":1,\"target\":\"ab\"}"), "target's length");
    /* Huge numbers: beyond int64 jansson refuses; sizes that add up past
     * 2^64 are refused here. */
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime_ns\":1,"
                 "\"ino\":99999999999999999999}"), "not valid JSON");
    parse_bad(MF(",{\"path\":\"a\",\"type\":\"file\",\"mode\":\"0644\",\"size\":9223372036854775807,"
                 "\"mtime_ns\":1,\"ino\":1,\"sha256\":\"" HASH "\"},"
                 "{\"path\":\"b\",\"type\":\"file\",\"mode\":\"0644\",\"size\":9223372036854775807,"
                 "\"mtime_ns\":1,\"ino\":1,\"sha256\":\"" HASH "\"},"
                 "{\"path\":\"c\",\"type\":\"file\",\"mode\":\"0644\",\"size\":9223372036854775807,"
                 "\"mtime_ns\":1,\"ino\":1,\"sha256\":\"" HASH "\"}"), "2^64");
    /* A hostile name is escaped in the message. */
    parse_bad(MF("," FILE_("../\\n\\u001b[31m")), "../\\n\\x1b[31m");
    /* Too deep: 65 components. */
    char p[400] = "";
    for (int i = 0; i < 65; i++)
        strcat(p, i ? "/d" : "d");
    char text[4096];
    snprintf(text, sizeof text, "{\"version\":1,\"entries\":[" ROOT ",{\"path\":\"%s\","
             "\"type\":\"dir\",\"mode\":\"0755\",\"mtime_ns\":1,\"ino\":1}]}", p);
    parse_bad(text, "64 components");
    /* Bounded size: more than 64 MiB is refused before parsing. */
    struct manifest m;
    coco_err err = {0};
    assert_int_equal(manifest_parse("{}", (size_t)65 << 20, "m.json", &m, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "larger than"));
}

static void test_load_errors(void **state)
{
    (void)state;
    struct manifest m;
    coco_err err = {0};
    char path[128];
    snprintf(path, sizeof path, "%s/none.json", base);
    assert_int_equal(manifest_load(path, &m, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "none.json"));
    snprintf(path, sizeof path, "%s/bad.json", base);
    assert_int_equal(write_file_atomic(path, "{", 1, 0600, true, &err), 0);
    assert_int_equal(manifest_load(path, &m, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "bad.json: not valid JSON"));
}

/* Not an assertion: how long the checks take on 1,500 files in 150
 * directories (eslint 9's tree has about 1,400 entries). */
static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_timing_1500(void **state)
{
    (void)state;
    for (int d = 0; d < 150; d++) {
        char rel[64];
        snprintf(rel, sizeof rel, "p%03d", d);
        dir(rel);
        for (int f = 0; f < 10; f++) {
            char fr[64];
            snprintf(fr, sizeof fr, "p%03d/f%d.js", d, f);
            put(fr, "module.exports = function () { return 42; };\n", 0644);
        }
    }
    struct manifest m;
    build(&m);
    assert_true(m.n > 1500);
    char *msg;
    double best_q = 1e9, best_f = 1e9;
    for (int i = 0; i < 5; i++) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(check_(&m, false, &msg), 0);
        double q = ms_since(&t0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(check_(&m, true, &msg), 0);
        double f = ms_since(&t0);
        best_q = q < best_q ? q : best_q;
        best_f = f < best_f ? f : best_f;
    }
    printf("# manifest: %zu entries: quick check %.2f ms, full check %.2f ms "
           "(best of 5)\n", m.n, best_q, best_f);
    manifest_free(&m);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_roundtrip),
        T(test_content_same_size_restored_mtime),
        T(test_content_size),
        T(test_mtime),
        T(test_added),
        T(test_removed),
        T(test_replaced_by_rename),
        T(test_chmod),
        T(test_symlink_retargeted),
        T(test_file_replaced_by_symlink),
        T(test_hostile_name_escaped),
        T(test_many_changes_counted),
        T(test_refuses_fifo),
        T(test_refuses_device),
        T(test_refuses_socket),
        T(test_refuses_setuid),
        T(test_refuses_deep),
        T(test_refuses_non_utf8),
        T(test_parse),
        T(test_load_errors),
        T(test_timing_1500),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
