/* test_cli.c — what the commands print and name: the display escaper and
 * the one-line error contract, sensitive host paths (issue 6 item 8);
 * cache volume names (item 15); a store's reply in words (item 18); the
 * tools directory's modes (item 19). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "hostpath.h"
#include "policy.h"
#include "store.h"
#include "util.h"

/* str_escape(IN) must be WANT. */
static void check_escape(const char *in, const char *want)
{
    char *got = str_escape(in);
    if (strcmp(got, want) != 0)
        fail_msg("str_escape(\"%s\") = \"%s\", want \"%s\"", in, got, want);
    free(got);
}

/* True when S holds a byte below 0x20 or 0x7f. */
static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static void test_escape_classes(void **state)
{
    (void)state;
    /* Plain text and UTF-8 text are unchanged. */
    check_escape("", "");
    check_escape("eslint --fix /workspace", "eslint --fix /workspace");
    check_escape("café ünïcødé 日本語 🙂", "café ünïcødé 日本語 🙂");
    check_escape("~/.cache/x y", "~/.cache/x y");
    /* ASCII controls and DEL. */
    check_escape("a\nb", "a\\nb");
    check_escape("a\tb\rc", "a\\tb\\rc");
    check_escape("\x1b[2Jclear", "\\x1b[2Jclear");
    check_escape("\x01\x07\x08\x0b\x0c\x1f\x7f", "\\x01\\x07\\x08\\x0b\\x0c\\x1f\\x7f");
    /* A backslash itself, so escapes read back unambiguously. */
    check_escape("a\\nb", "a\\\\nb");
    check_escape("\\", "\\\\");
    /* Invalid UTF-8: lone continuation, truncated, overlong, surrogate,
     * above U+10FFFF, bytes that never start a character. */
    check_escape("\x80", "\\x80");
    check_escape("a\xc3", "a\\xc3");
    check_escape("\xc3(", "\\xc3(");
    check_escape("\xc0\xaf", "\\xc0\\xaf");
    check_escape("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
    check_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");
    check_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
    check_escape("\xfe\xff", "\\xfe\\xff");
    check_escape("\xe2\x80", "\\xe2\\x80");
    /* Characters that reorder or hide text. */
    check_escape("\xc2\x9b" "2J", "\\u{009b}2J");            /* C1 CSI */
    check_escape("\xc2\x80\xc2\x9f", "\\u{0080}\\u{009f}");
    check_escape("a\xe2\x80\xae" "cba", "a\\u{202e}cba");     /* RLO */
    check_escape("\xe2\x80\xaa\xe2\x80\xac", "\\u{202a}\\u{202c}");
    check_escape("\xe2\x80\x8b\xe2\x80\x8f", "\\u{200b}\\u{200f}");
    check_escape("\xe2\x81\xa6x\xe2\x81\xa9", "\\u{2066}x\\u{2069}");
    check_escape("\xef\xbb\xbfx", "\\u{feff}x");
    check_escape("\xe2\x80\xa8", "\\u{2028}");
    /* Neighbours of those ranges stay as they are. */
    check_escape("\xc2\xa0", "\xc2\xa0");                 /* U+00A0 */
    check_escape("\xe2\x80\x90", "\xe2\x80\x90");         /* U+2010 */
    check_escape("\xe2\x80\xaf", "\xe2\x80\xaf");         /* U+202F */
    check_escape("\xef\xbb\xbe", "\xef\xbb\xbe");         /* U+FEFE */
}

static void test_escape_round_trip(void **state)
{
    (void)state;
    /* Every printable ASCII string but the backslash is a fixed point. */
    char s[96];
    size_t n = 0;
    for (int c = 0x20; c < 0x7f; c++)
        if (c != '\\')
            s[n++] = (char)c;
    s[n] = '\0';
    check_escape(s, s);
    /* No output of the escaper holds a control byte, whatever the input. */
    unsigned seed = 1;
    for (int i = 0; i < 2000; i++) {
        char in[64];
        size_t len = (size_t)(i % 63);
        for (size_t j = 0; j < len; j++) {
            seed = seed * 1103515245u + 12345u;
            in[j] = (char)((seed >> 16) % 255 + 1);
        }
        in[len] = '\0';
        char *e = str_escape(in);
        assert_false(has_control(e));
        /* Escaping escaped text again changes only backslashes. */
        char *e2 = str_escape(e);
        size_t bs = 0;
        for (const char *p = e; *p; p++)
            bs += *p == '\\';
        assert_int_equal(strlen(e2), strlen(e) + bs);
        free(e2);
        free(e);
    }
}

static void test_escape_buf(void **state)
{
    (void)state;
    char b[8];
    /* Cut before an escape that does not fit, never inside it. */
    assert_string_equal(str_escape_buf("abcd\n", b, 6), "abcd");
    assert_string_equal(str_escape_buf("abc\x1b", b, 7), "abc");
    assert_string_equal(str_escape_buf("ab\xe2\x80\xae", b, sizeof b), "ab");
    /* ... and before a UTF-8 character that does not fit. */
    assert_string_equal(str_escape_buf("abcd\xc3\xa9", b, 6), "abcd");
    assert_string_equal(str_escape_buf("ok", b, sizeof b), "ok");
    assert_string_equal(str_escape_buf("x", b, 1), "");
    struct strvec keep = STRVEC_INIT;
    assert_string_equal(str_escape_keep(&keep, "a\tb"), "a\\tb");
    assert_string_equal(str_escape_keep(&keep, NULL), "");
    assert_int_equal(keep.n, 2);
    strvec_clear(&keep);
}

/* Run FN with stderr going to a file; return what it printed. */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
    char path[] = "/tmp/coco-test-stderr.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    off_t len = lseek(fd, 0, SEEK_END);
    char *buf = xcalloc(1, (size_t)len + 1);
    assert_int_equal(pread(fd, buf, (size_t)len, 0), len);
    close(fd);
    return buf;
}

static void print_err(void *arg) { err_print(arg); }
static void print_warn(void *arg) { warn("value \"%s\" ignored", (const char *)arg); }
static void print_fail(void *arg) { coco_fail("get: \"%s\" is bad", (const char *)arg); }

static void test_errors_one_line(void **state)
{
    (void)state;
    const char *hostile = "a\nb\rc\x1b[2J\xe2\x80\xae" "d\\e\xff";
    /* Backslashes stay as they are in messages (JSON errors quote them). */
    const char *want = "a\\nb\\rc\\x1b[2J\\u{202e}d\\e\\xff";
    coco_err err = {0};
    err_set(&err, 0, "%s", hostile);
    assert_string_equal(err.msg, want);
    err_prefix(&err, "f.json: %s", "k\ney");
    char *expect = xasprintf("f.json: k\\ney: %s", want);
    assert_string_equal(err.msg, expect);
    /* err_print escapes nothing twice (the message is clean) ... */
    char *out = capture_stderr(print_err, &err);
    char *line = xasprintf("coco: %s\n", expect);
    assert_string_equal(out, line);
    free(out);
    free(line);
    free(expect);
    /* ... and catches a message that was not escaped (the native
     * sandbox's child sends its own). */
    coco_err raw = {.errnum = ENOENT};
    snprintf(raw.msg, sizeof raw.msg, "x\ny\x1b");
    out = capture_stderr(print_err, &raw);
    assert_string_equal(out, "coco: x\\ny\\x1b: No such file or directory\n");
    free(out);
    out = capture_stderr(print_warn, (void *)hostile);
    line = xasprintf("coco: warning: value \"%s\" ignored\n", want);
    assert_string_equal(out, line);
    free(out);
    free(line);
    out = capture_stderr(print_fail, (void *)hostile);
    line = xasprintf("coco: get: \"%s\" is bad\n", want);
    assert_string_equal(out, line);
    free(out);
    free(line);
    /* A message that fills the buffer with escapes stays one line. */
    char big[3000];
    memset(big, '\n', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    err_set(&err, EIO, "%s", big);
    out = capture_stderr(print_err, &err);
    assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
    assert_true(str_has_suffix(out, ": Input/output error\n"));
    free(out);
}

static void test_hostpath(void **state)
{
    (void)state;
    const char *home = "/home/u";
    /* The credential and system paths, what lies below and above them. */
    static const char *const yes[] = {
        "/", "/home", "/home/u", "/home/u/.ssh", "/home/u/.ssh/id_ed25519",
        "/home/u/.aws", "/home/u/.local/share/coco/tools", "/home/u/.local",
        "/etc", "/etc/passwd", "/usr/bin", "/var/run/docker.sock", "/root",
        NULL,
    };
    static const char *const no[] = {
        "/home/u/src", "/home/u/.cache/npm", "/tmp/x", "/home/v/.ssh",
        "/home/u/.sshx", "/etcetera", "/opt/tool", NULL,
    };
    for (const char *const *p = yes; *p; p++)
        if (!hostpath_sensitive(*p, home))
            fail_msg("%s should be sensitive", *p);
    for (const char *const *p = no; *p; p++)
        if (hostpath_sensitive(*p, home))
            fail_msg("%s should not be sensitive", *p);
    /* Expansion is lexical: ~, ., relative, absolute, .. collapsed. */
    static const char *const exp[][2] = {
        {"~", "/home/u"}, {"~/.ssh", "/home/u/.ssh"}, {".", "/w/p"},
        {"./a/../b", "/w/p/b"}, {"rel", "/w/p/rel"}, {"/etc/", "/etc"},
        {"../..", "/"}, {"~/../../..", "/"}, {"~x", "/w/p/~x"},
    };
    for (size_t i = 0; i < sizeof exp / sizeof *exp; i++) {
        char *e = hostpath_expand(exp[i][0], home, "/w/p");
        assert_non_null(e);
        assert_string_equal(e, exp[i][1]);
        free(e);
    }
    assert_null(hostpath_expand(".", home, "relative"));
}

/* Control characters in a mount's src or dst are refused at load, in one
 * line naming the key. */
static void test_mount_controls(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"{\"mounts\": [{\"src\": \"a\\nb\", \"dst\": \"/w\"}]}",
         "t.json: mounts[0].src: \"a\\nb\" holds a control character"},
        {"{\"mounts\": [{\"src\": \"a\\u001b[2J\", \"dst\": \"/w\"}]}",
         "t.json: mounts[0].src: \"a\\x1b[2J\" holds a control character"},
        {"{\"mounts\": [{\"src\": \".\", \"dst\": \"/w\\r\"}]}",
         "t.json: mounts[0].dst: \"/w\\r\" holds a control character"},
        {"{\"mounts\": [{\"src\": \"a\\u007f\", \"dst\": \"/w\"}]}",
         "mounts[0].src: \"a\\x7f\" holds a control character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct config c;
        coco_err err = {0};
        assert_int_equal(config_parse(bad[i][0], strlen(bad[i][0]), "t", "t.json",
                                      &c, &err), -1);
        if (!strstr(err.msg, bad[i][1]))
            fail_msg("%s: got \"%s\", want \"%s\"", bad[i][0], err.msg, bad[i][1]);
        assert_false(has_control(err.msg));
    }
    /* Text that is only unusual stays allowed (and is escaped on output). */
    const char *ok = "{\"mounts\": [{\"src\": \"./caf\u00e9 \\u202e\", \"dst\": \"/w x\"}]}";
    struct config c;
    coco_err err = {0};
    assert_int_equal(config_parse(ok, strlen(ok), "t", "t.json", &c, &err), 0);
    config_free(&c);
}

/* Issue 6 item 15: the names that shared a cache volume before. */
static void test_volume_pairs(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"a+b", "a-b"}, {"a_b", "a-b"}, {"A", "a"}, {"shared", NULL},
        {"a+b", "a_2bb"}, {"x.y", "x-y"}, {"C++", "c--"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        char *a = cache_volume_name(pairs[i][0]);
        char *b = cache_volume_name(pairs[i][1]);
        if (strcmp(a, b) == 0)
            fail_msg("%s and %s share %s", pairs[i][0],
                     pairs[i][1] ? pairs[i][1] : "(isolated: false)", a);
        free(a);
        free(b);
    }
    char *v = cache_volume_name("a+b");
    assert_string_equal(v, "coco-cache-t-a_2bb");
    free(v);
    v = cache_volume_name(NULL);
    assert_string_equal(v, "coco-cache-shared");
    assert_true(cache_volume_is_ours(v));
    assert_null(cache_volume_tool(v));
    free(v);
    /* Names coco never makes are not coco's to prune. */
    static const char *const foreign[] = {
        "coco-cache-eslint", "coco-cache-t-", "coco-cache-t-A", "coco-cache-t-a_2d",
        "coco-cache-t-a_2B", "coco-cache-t-a_2", "coco-cache-t-_00", "coco-cache-t-_2f",
        "coco-cache-t-a_2e_2e", "coco-cache-sharedx", "mydata", "coco-cache-t-..",
        NULL,
    };
    for (const char *const *f = foreign; *f; f++)
        if (cache_volume_is_ours(*f))
            fail_msg("%s should not be coco's", *f);
}

/* A property over many generated names: the mapping is injective (it
 * decodes back to the name), gives names both engines accept, and never
 * the shared volume. */
static void test_volume_property(void **state)
{
    (void)state;
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-";
    unsigned seed = 7;
    struct strvec names = STRVEC_INIT, vols = STRVEC_INIT;
    for (int i = 0; i < 20000; i++) {
        char name[65];
        seed = seed * 1103515245u + 12345u;
        size_t len = 1 + (seed >> 16) % 12;
        for (size_t j = 0; j < len; j++) {
            seed = seed * 1103515245u + 12345u;
            /* Few letters, so that near-collisions are frequent. */
            const char *pool = (seed >> 20) % 2 ? "aA_+-.b" : alphabet;
            size_t pl = pool == alphabet ? sizeof alphabet - 1 : 7;
            name[j] = pool[(seed >> 8) % pl];
        }
        name[len] = '\0';
        if (!tool_name_valid(name))
            continue;
        char *v = cache_volume_name(name);
        assert_true(str_has_prefix(v, "coco-cache-t-"));
        for (const char *c = v; *c; c++)
            assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                        *c == '.' || *c == '-' || *c == '_');
        assert_string_not_equal(v, "coco-cache-shared");
        char *back = cache_volume_tool(v);
        assert_non_null(back);
        assert_string_equal(back, name);
        assert_true(cache_volume_is_ours(v));
        free(back);
        strvec_push(&names, name);
        strvec_push_nodup(&vols, v);
    }
    /* Distinct names, distinct volumes. */
    strvec_sort(&names);
    strvec_sort(&vols);
    size_t dn = 0, dv = 0;
    for (size_t i = 0; i < names.n; i++)
        dn += i == 0 || strcmp(names.v[i], names.v[i - 1]) != 0;
    for (size_t i = 0; i < vols.n; i++)
        dv += i == 0 || strcmp(vols.v[i], vols.v[i - 1]) != 0;
    assert_true(dn > 5000);
    assert_int_equal(dn, dv);
    strvec_clear(&names);
    strvec_clear(&vols);
}

/* Issue 6 item 19: config_load() judges the directories above a config. */
static void test_config_dir_modes(void **state)
{
    (void)state;
    char base[] = "/tmp/coco-test-dirs.XXXXXX";
    assert_non_null(mkdtemp(base));
    char *real = realpath(base, NULL);
    char *tools = path_join(real, "s/tools");
    char *sticky = path_join(real, "s");
    char *file = path_join(tools, "t.json");
    assert_int_equal(mkdir(sticky, 0700), 0);
    assert_int_equal(mkdir(tools, 0700), 0);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("{\"command\": \"true\"}\n", f);
    fclose(f);
    assert_int_equal(chmod(file, 0644), 0);
    struct config c;
    coco_err err = {0};
    /* tools dir mode, sticky parent mode, expected to load */
    static const struct { mode_t tools, parent; bool ok; } rows[] = {
        {0700, 0700, true}, {0755, 0755, true}, {0755, 01777, true},
        {0775, 0755, false}, {0757, 0755, false}, {01777, 0755, false},
        {0755, 0777, false}, {0755, 0775, false}, {0755, 01775, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        assert_int_equal(chmod(tools, rows[i].tools), 0);
        assert_int_equal(chmod(sticky, rows[i].parent), 0);
        int r = config_load(file, "t", &c, &err);
        if (rows[i].ok != (r == 0))
            fail_msg("tools %04o, parent %04o: got %d (%s)", (unsigned)rows[i].tools,
                     (unsigned)rows[i].parent, r, err.msg);
        if (r == 0) {
            config_free(&c);
        } else {
            const char *bad = rows[i].tools & 022 ? tools : sticky;
            char *want = xasprintf("run `chmod go-w %s`", bad);
            assert_non_null(strstr(err.msg, want));
            assert_true(str_has_prefix(err.msg, file));
            free(want);
        }
    }
    /* A missing directory is a missing config, not a permission error. */
    char *missing = path_join(real, "nope/t.json");
    assert_int_equal(config_load(missing, "t", &c, &err), -1);
    assert_non_null(strstr(err.msg, "no such config"));
    unlink(file);
    rmdir(tools);
    rmdir(sticky);
    rmdir(real);
    free(missing);
    free(file);
    free(sticky);
    free(tools);
    free(real);
}

/* Issue 6 item 18: curl's exit status and the trailer, in words. */
static void test_store_reply_words(void **state)
{
    (void)state;
    static const struct {
        int status;
        const char *out;
        const char *want; /* substring of the one-line error; NULL: success */
    } rows[] = {
        {0, "{}" STORE_REPLY_MARK "200 https://s/t.json", NULL},
        {STORE_TOO_LARGE, "", "the store's reply is larger than 1 MiB"},
        {63, STORE_REPLY_MARK "200 https://s/t.json", "the store's reply is larger than 1 MiB"},
        {1, STORE_REPLY_MARK "302 http://s/t.json",
         "the store redirected to http://s/t.json; coco follows store redirects only to https://"},
        {1, STORE_REPLY_MARK "000 https://s/t.json", "(curl exit 1)"},
        {22, STORE_REPLY_MARK "404 https://s/t.json", "the store has no tool \"t\" (HTTP 404)"},
        {22, STORE_REPLY_MARK "503 https://s/t.json", "the store answered HTTP 503 (a server error"},
        {22, STORE_REPLY_MARK "401 https://s/t.json", "the store answered HTTP 401 (access refused)"},
        {22, STORE_REPLY_MARK "418 https://s/t.json", "the store answered HTTP 418"},
        {6, STORE_REPLY_MARK "000 https://s/t.json", "cannot resolve the store's host name"},
        {7, STORE_REPLY_MARK "000 https://s/t.json", "cannot connect to the store"},
        {28, "{\"comm" STORE_REPLY_MARK "000 https://s/t.json", "no complete reply within 60 seconds (curl exit 28)"},
        {60, STORE_REPLY_MARK "000 https://s/t.json", "TLS certificate is not trusted"},
        {47, "", "redirected more than 5 times"},
        {52, "", "closed the connection without a reply"},
        {137, "{", "curl was killed by signal 9"},
        {99, "", "curl failed with exit status 99"},
        {0, "{}", "ends without the status line"},
        {0, "<html>" STORE_REPLY_MARK "301 https://s/t.json", "the store answered HTTP 301, not a config"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        coco_err err = {0};
        size_t body = 99;
        int r = store_reply_body("t", "https://s/t.json", rows[i].status, rows[i].out,
                                 strlen(rows[i].out), &body, &err);
        if (!rows[i].want) {
            assert_int_equal(r, 0);
            assert_int_equal(body, 2);
            continue;
        }
        if (r != -1 || !strstr(err.msg, rows[i].want))
            fail_msg("status %d, \"%s\": got %d \"%s\", want \"%s\"", rows[i].status,
                     rows[i].out, r, err.msg, rows[i].want);
        assert_true(str_has_prefix(err.msg, "get t: https://s/t.json: "));
        /* never blamed on a missing curl unless it is missing */
        assert_null(strstr(err.msg, "installed"));
    }
    /* A body over 1 MiB with a trailer (chunked, nothing told curl the
     * size) gets the same words. */
    size_t big = STORE_MAX_BYTES + 10;
    char *out = xasprintf("%*s" STORE_REPLY_MARK "200 https://s/t.json", (int)big, "");
    coco_err err = {0};
    size_t body;
    assert_int_equal(store_reply_body("t", "https://s/t.json", 0, out, strlen(out),
                                      &body, &err), -1);
    assert_non_null(strstr(err.msg, "the store's reply is larger than 1 MiB"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_classes),
        cmocka_unit_test(test_escape_round_trip),
        cmocka_unit_test(test_escape_buf),
        cmocka_unit_test(test_errors_one_line),
        cmocka_unit_test(test_hostpath),
        cmocka_unit_test(test_mount_controls),
        cmocka_unit_test(test_volume_pairs),
        cmocka_unit_test(test_volume_property),
        cmocka_unit_test(test_config_dir_modes),
        cmocka_unit_test(test_store_reply_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
