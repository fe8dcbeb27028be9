/* test_install_pypi.c — the pipx:/uv: driver's pure parts: wheel file
 * names, PEP 503 names, pypi-lock.txt, and phase F's argv from a spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "install/install_int.h"
#include "sys.h"

static void wheel_is(const char *file, const char *name, const char *ver)
{
    char *n = NULL, *v = NULL;
    if (pypi_wheel_parse(file, &n, &v) < 0)
        fail_msg("refused %s", file);
    assert_string_equal(n, name);
    assert_string_equal(v, ver);
    free(n);
    free(v);
}

static void wheel_refused(const char *file)
{
    char *n = NULL, *v = NULL;
    if (pypi_wheel_parse(file, &n, &v) == 0)
        fail_msg("accepted %s as %s %s", file, n, v);
}

static void test_wheel_names(void **state)
{
    (void)state;
    wheel_is("ruff-0.6.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
             "ruff", "0.6.9");
    wheel_is("Typing_Extensions-4.12.2-py3-none-any.whl", "typing-extensions",
             "4.12.2");
    wheel_is("zope.interface-7.0-1-cp311-cp311-linux_x86_64.whl",
             "zope-interface", "7.0");          /* a build tag */
    wheel_is("a-1.0_post1-py3-none-any.whl", "a", "1.0_post1");
    /* sdists, other archives, paths, options, odd shapes */
    wheel_refused("ruff-0.6.9.tar.gz");
    wheel_refused("ruff-0.6.9.zip");
    wheel_refused("ruff-0.6.9-py3-none.whl");    /* too few parts */
    wheel_refused("a-1-2-3-4-5-6.whl");          /* too many */
    wheel_refused("a-1.0-x-py3-none-any.whl");   /* build tag not a digit */
    wheel_refused("-a-1.0-py3-none-any.whl");
    wheel_refused("../a-1.0-py3-none-any.whl");
    wheel_refused("a/b-1.0-py3-none-any.whl");
    wheel_refused("a-v1.0-py3-none-any.whl");    /* version not a digit */
    wheel_refused("a-1.0-py3-none-any.whl\n");
    wheel_refused(".whl");
    wheel_refused("a--1.0-py3-none-any.whl");
}

static void test_normalize(void **state)
{
    (void)state;
    char *n = pypi_normalize("Foo__Bar.-baz", 13);
    assert_string_equal(n, "foo-bar-baz");
    free(n);
    assert_true(pypi_name_ok("ruff", 4));
    assert_false(pypi_name_ok("-ruff", 5));
    assert_false(pypi_name_ok("ruff-", 5));
    assert_false(pypi_name_ok("a/b", 3));
    assert_false(pypi_name_ok("a b", 3));
}

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_lock(void **state)
{
    (void)state;
    const char *ok = "# coco\n"
                     "coco-t-dep==1.0 --hash=sha256:" H64 "\n"
                     "ruff==0.6.9 --hash=sha256:" H64 "\n";
    struct pypi_pin *p;
    size_t n;
    coco_err err = {0};
    assert_int_equal(pypi_lock_parse(ok, strlen(ok), &p, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(p[1].name, "ruff");
    assert_string_equal(p[1].version, "0.6.9");
    assert_string_equal(p[1].sha256, H64);
    pypi_lock_free(p, n);
    static const char *const bad[] = {
        "",                                                   /* empty */
        "# only a comment\n",
        "ruff==0.6.9\n",                                      /* no hash */
        "ruff==0.6.9 --hash=sha256:" H64 "0\n",                /* long */
        "ruff==0.6.9 --hash=md5:" H64 "\n",
        "Ruff==0.6.9 --hash=sha256:" H64 "\n",                 /* not normal */
        "ruff>=0.6.9 --hash=sha256:" H64 "\n",
        "ruff==0.6.9 --hash=sha256:" H64 "\nruff==0.7 --hash=sha256:" H64 "\n",
        "ruff==0.6.9 --hash=sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
        "-r==1 --hash=sha256:" H64 "\n",
        "ruff==0.6.9 --index-url=http://evil/ --hash=sha256:" H64 "\n",
        "ruff==x --hash=sha256:" H64 "\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        if (pypi_lock_parse(bad[i], strlen(bad[i]), &p, &n, &err) == 0)
            fail_msg("accepted %s", bad[i]);
        assert_non_null(strstr(err.msg, "pypi-lock.txt"));
    }
    /* a NUL inside */
    char nul[] = "ruff==0.6.9 --hash=sha256:" H64 "\n";
    nul[3] = '\0';
    assert_int_equal(pypi_lock_parse(nul, sizeof nul - 1, &p, &n, &err), -1);
}

static void argv_is(const char *spec, const char *last)
{
    struct tool_spec ts;
    assert_int_equal(tool_spec_parse(spec, &ts), 0);
    char dir[] = "/tmp/coco-pypi-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    struct strvec a = STRVEC_INIT;
    coco_err err = {0};
    if (pypi_fetch_argv(&ts, fd, false, &a, &err) < 0)
        fail_msg("%s: %s", spec, err.msg);
    assert_string_equal(a.v[0], PYPI_PYTHON);
    assert_true(strvec_contains(&a, "--only-binary=:all:"));
    assert_string_equal(a.v[a.n - 2], "--");
    assert_string_equal(a.v[a.n - 1], last);
    strvec_clear(&a);
    remove_tree_at(fd, ".wheels");
    close(fd);
    rmdir(dir);
    tool_spec_free(&ts);
}

static void test_fetch_argv(void **state)
{
    (void)state;
    argv_is("pipx:black", "black");
    argv_is("pipx:black@latest", "black");
    argv_is("uv:black@24", "black==24.*");
    argv_is("pipx:black@24.8", "black==24.8.*");
    argv_is("pipx:black@24.8.0", "black==24.8.0");
}

static void test_python_host(void **state)
{
    (void)state;
    char dir[] = "/tmp/coco-py-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *const exes[] = {"python3", "python3.11", "python3.9"};
    for (size_t i = 0; i < 3; i++) {
        char *p = path_join(dir, exes[i]);
        int fd = open(p, O_WRONLY | O_CREAT, 0755);
        assert_true(fd >= 0);
        close(fd);
        free(p);
    }
    char *p = NULL;
    coco_err err = {0};
    assert_int_equal(python_host_check("npm:eslint", dir, &p, &err), 0);
    assert_int_equal(python_host_check("python@3.11", dir, &p, &err), 1);
    assert_non_null(strstr(p, "/python3.11"));
    free(p);
    assert_int_equal(python_host_check("core:python@3", dir, &p, &err), 1);
    free(p);
    assert_int_equal(python_host_check("python", dir, &p, &err), 1);
    free(p);
    assert_int_equal(python_host_check("python@3.12", dir, &p, &err), -1);
    assert_null(p);
    /* what is missing, and what the host has instead */
    assert_non_null(strstr(err.msg, "python3.12"));
    assert_non_null(strstr(err.msg, "it has 3.9, 3.11"));
    static const char *const bad[] = {"python@3.11.2", "python@2.7",
                                      "python@3.x", "python@>=3"};
    for (size_t i = 0; i < 4; i++) {
        memset(&err, 0, sizeof err);
        if (python_host_check(bad[i], dir, &p, &err) != -1 &&
            strchr(bad[i], '>') == NULL)
            fail_msg("accepted %s", bad[i]);
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    for (size_t i = 0; i < 3; i++)
        unlinkat(dfd, exes[i], 0);
    close(dfd);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wheel_names),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_fetch_argv),
        cmocka_unit_test(test_python_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
