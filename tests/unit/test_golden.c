/* test_golden.c — every store config (store/NAME.json) through config_parse(),
 * policy_resolve() on a fake host and oci_build_argv(), under rootless
 * podman and under docker, compared with the golden files
 *
 *     tests/golden/podman/NAME.argv   one argument per line
 *     tests/golden/docker/NAME.argv
 *     tests/golden/{podman,docker}/NAME.err   when the config is refused
 *                                             (the one-line message)
 *
 * The fake host's home and working directory live in a mkdtemp directory;
 * their paths are written as @HOME@ and @CWD@ so the files do not depend
 * on where the test runs.
 *
 * COCO_UPDATE_GOLDEN=1 rewrites the files (and removes ones whose config
 * is gone) instead of comparing; review the diff before committing it.
 * COCO_SRCDIR names the source tree (default: the current directory, as
 * tests/run.sh runs from the top of the tree).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "oci.h"
#include "policy.h"

static const char *srcdir = ".";
static bool update;
static char *tmpbase;  /* realpath of the mkdtemp directory */
static char *home_dir, *cwd_dir;

static const char *const runtimes[] = {"podman", "docker"};

/* The fake host's environment: what a developer's shell might hold. */
static char *fake_environ[] = {
    "TERM=xterm-256color",
    "LANG=C.UTF-8",
    "NODE_ENV=test",
    "ANTHROPIC_API_KEY=sk-test",
    "NO_COLOR=1",
    "PATH=/usr/local/bin:/usr/bin:/bin",
    "USER=dev",
    "SHELL=/bin/bash",
    "CARGO_HOME=/nonexistent/cargo",
    "GOPATH=/nonexistent/go",
    "PYTHONPATH=/nonexistent/py",
    "VIRTUAL_ENV=/nonexistent/venv",
    "HTTPS_PROXY=http://proxy.invalid:3128",
    NULL, /* HOME=..., filled in at start */
    NULL,
};

/* --- small file helpers ------------------------------------------------ */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Atomic write: temp file + rename. */
static void write_file(const char *path, const char *data)
{
    _cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    assert_non_null(f);
    assert_int_equal(fputs(data, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

/* Replace every occurrence of FROM in S by TO; new string. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from);
    struct strvec parts = STRVEC_INIT;
    const char *p = s, *hit;
    size_t total = 0;
    while ((hit = strstr(p, from))) {
        char *part = xstrndup(p, (size_t)(hit - p));
        total += strlen(part) + strlen(to);
        strvec_push_nodup(&parts, part);
        p = hit + fl;
    }
    char *out = xmalloc(total + strlen(p) + 1);
    out[0] = '\0';
    for (size_t i = 0; i < parts.n; i++) {
        strcat(out, parts.v[i]);
        strcat(out, to);
    }
    strcat(out, p);
    strvec_clear(&parts);
    return out;
}

static char *neutralize(const char *s)
{
    _cleanup_free_ char *a = replace_all(s, home_dir, "@HOME@");
    return replace_all(a, cwd_dir, "@CWD@");
}

/* --- one config under one runtime -------------------------------------- */

/* Produce the golden text for NAME under RT: the argv (one per line) or
 * the error.  *IS_ERR tells which. */
static char *render(const char *name, const char *buf, size_t len,
                    enum runtime_kind rt, bool *is_err)
{
    struct config cfg;
    struct policy pol;
    struct strvec argv = STRVEC_INIT, env = STRVEC_INIT, ef = STRVEC_INIT;
    coco_err err = {0};
    _cleanup_free_ char *path = xasprintf("store/%s.json", name);
    char *out = NULL;

    struct host_ctx ctx = {
        .cwd = cwd_dir,
        .home = home_dir,
        .uid = 1000,
        .gid = 1000,
        .environ = fake_environ,
        .pid = 4242,
        .podman_rootless = true,
        .container_name = "coco-golden",
        .podman_bin = "/usr/bin/podman",
        .docker_bin = "/usr/bin/docker",
    };
    struct run_flags flags = {.runtime = rt};

    *is_err = false;
    if (config_parse(buf, len, name, path, &cfg, &err) < 0) {
        *is_err = true;
        return xasprintf("%s\n", err.msg);
    }
    if (policy_resolve(&cfg, &ctx, &flags, NULL, 0, &pol, &err) < 0) {
        config_free(&cfg);
        *is_err = true;
        _cleanup_free_ char *m = neutralize(err.msg);
        return xasprintf("%s\n", m);
    }
    if (oci_build_argv(&pol, NULL, &argv, &env, &ef, &err) < 0) {
        *is_err = true;
        _cleanup_free_ char *m = neutralize(err.msg);
        out = xasprintf("%s\n", m);
    } else {
        /* Env values must never reach the argv: check it on every store
         * config, with the fake host's secrets. */
        for (size_t i = 0; i < argv.n; i++)
            assert_null(strstr(argv.v[i], "sk-test"));
        size_t total = 1;
        for (size_t i = 0; i < argv.n; i++) {
            /* one argument per line: a newline inside one would make the
             * file ambiguous */
            assert_null(strchr(argv.v[i], '\n'));
            total += strlen(argv.v[i]) + 1;
        }
        _cleanup_free_ char *joined = xmalloc(total);
        joined[0] = '\0';
        for (size_t i = 0; i < argv.n; i++) {
            strcat(joined, argv.v[i]);
            strcat(joined, "\n");
        }
        out = neutralize(joined);
    }
    strvec_clear(&argv);
    strvec_clear(&env);
    strvec_clear(&ef);
    policy_free(&pol);
    config_free(&cfg);
    return out;
}

static void check_one(const char *name, const char *rtname,
                      enum runtime_kind rt)
{
    _cleanup_free_ char *cfgpath = xasprintf("%s/store/%s.json", srcdir,
                                             name);
    size_t len;
    _cleanup_free_ char *buf = read_file(cfgpath, &len);
    assert_non_null(buf);

    bool is_err;
    _cleanup_free_ char *got = render(name, buf, len, rt, &is_err);
    _cleanup_free_ char *argv_path = xasprintf("%s/tests/golden/%s/%s.argv",
                                               srcdir, rtname, name);
    _cleanup_free_ char *err_path = xasprintf("%s/tests/golden/%s/%s.err",
                                              srcdir, rtname, name);
    const char *want_path = is_err ? err_path : argv_path;
    const char *other_path = is_err ? argv_path : err_path;

    if (update) {
        _cleanup_free_ char *dir = xasprintf("%s/tests/golden/%s", srcdir,
                                             rtname);
        mkdir(dir, 0755);
        write_file(want_path, got);
        unlink(other_path);
        return;
    }
    _cleanup_free_ char *want = read_file(want_path, NULL);
    if (!want) {
        _cleanup_free_ char *other = read_file(other_path, NULL);
        if (other)
            fail_msg("%s under %s: got %s, but the golden file is %s "
                     "(COCO_UPDATE_GOLDEN=1 to regenerate):\n%s",
                     name, rtname, is_err ? "an error" : "an argv",
                     other_path, got);
        fail_msg("%s: missing (COCO_UPDATE_GOLDEN=1 to create it); got:\n%s",
                 want_path, got);
    }
    if (strcmp(want, got) != 0) {
        /* Point at the first differing line, then show all of it. */
        size_t line = 1, i = 0, start = 0;
        while (want[i] && want[i] == got[i]) {
            if (want[i] == '\n') {
                line++;
                start = i + 1;
            }
            i++;
        }
        int wl = (int)strcspn(want + start, "\n");
        int gl = (int)strcspn(got + start, "\n");
        print_error("%s: line %zu: want \"%.*s\", got \"%.*s\" "
                    "(COCO_UPDATE_GOLDEN=1 to accept)\n--- got\n%s",
                    want_path, line, wl, want + start, gl, got + start, got);
        fail();
    }
}

static void test_config(void **state)
{
    const char *name = *state;
    for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
        check_one(name, runtimes[i], runtime_parse(runtimes[i]));
}

/* Golden files whose store config is gone: an error, or removed when
 * updating. */
static void test_no_stale_goldens(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
        _cleanup_free_ char *dir = xasprintf("%s/tests/golden/%s", srcdir,
                                             runtimes[i]);
        DIR *d = opendir(dir);
        if (!d)
            continue;
        struct dirent *de;
        while ((de = readdir(d))) {
            const char *n = de->d_name;
            const char *dot = strrchr(n, '.');
            if (n[0] == '.' || !dot ||
                (strcmp(dot, ".argv") != 0 && strcmp(dot, ".err") != 0))
                continue;
            _cleanup_free_ char *base = xstrndup(n, (size_t)(dot - n));
            _cleanup_free_ char *cfg = xasprintf("%s/store/%s.json", srcdir,
                                                 base);
            if (access(cfg, F_OK) == 0)
                continue;
            _cleanup_free_ char *stale = xasprintf("%s/%s", dir, n);
            if (update) {
                unlink(stale);
            } else {
                closedir(d);
                fail_msg("%s has no store config (COCO_UPDATE_GOLDEN=1 "
                         "removes it)", stale);
            }
        }
        closedir(d);
    }
}

/* --- setup --------------------------------------------------------------- */

static int rm_cb(const char *path, const struct stat *sb, int flag,
                 struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    const char *s = getenv("COCO_SRCDIR");
    if (s && *s)
        srcdir = s;
    update = getenv("COCO_UPDATE_GOLDEN") &&
             strcmp(getenv("COCO_UPDATE_GOLDEN"), "1") == 0;

    _cleanup_free_ char *storedir = xasprintf("%s/store", srcdir);
    struct strvec names = STRVEC_INIT;
    DIR *d = opendir(storedir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] != '.' && str_has_suffix(de->d_name, ".json"))
                strvec_push_nodup(&names,
                                  xstrndup(de->d_name,
                                           strlen(de->d_name) - 5));
        }
        closedir(d);
    }
    if (names.n > 1)
        qsort(names.v, names.n, sizeof(char *), cmp_names);
    if (names.n == 0)
        printf("# SKIP golden: no configs in %s (run from the top of the "
               "tree or set COCO_SRCDIR)\n", storedir);

    char tmpl[] = "/tmp/coco-golden.XXXXXX";
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 1;
    }
    /* realpath: policy_resolve resolves symlinks in mount sources */
    tmpbase = realpath(tmpl, NULL);
    home_dir = path_join(tmpbase, "home");
    cwd_dir = path_join(tmpbase, "work");
    mkdir(home_dir, 0700);
    mkdir(cwd_dir, 0700);
    _cleanup_free_ char *home_env = xasprintf("HOME=%s", home_dir);
    size_t nenv = sizeof(fake_environ) / sizeof(fake_environ[0]);
    fake_environ[nenv - 2] = home_env;

    struct CMUnitTest *tests = xcalloc(names.n + 1, sizeof(*tests));
    for (size_t i = 0; i < names.n; i++)
        tests[i] = (struct CMUnitTest){.name = names.v[i],
                                       .test_func = test_config,
                                       .initial_state = names.v[i]};
    tests[names.n] = (struct CMUnitTest){.name = "no_stale_goldens",
                                         .test_func = test_no_stale_goldens};
    int rc = _cmocka_run_group_tests("golden", tests, names.n + 1, NULL,
                                     NULL);

    nftw(tmpbase, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(tests);
    strvec_clear(&names);
    free(home_dir);
    free(cwd_dir);
    free(tmpbase);
    return rc;
}
