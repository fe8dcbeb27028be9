/* test_paths.c — where coco keeps and finds its files (paths.c): the XDG
 * variables when absolute, the home otherwise, never a relative path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "paths.h"
#include "util.h"

static void check(char *got, const char *want)
{
    if (!got || strcmp(got, want) != 0)
        fail_msg("got %s, want %s", got ? got : "(null)", want);
    free(got);
}

static void test_xdg_and_home(void **state)
{
    (void)state;
    setenv("HOME", "/h/u", 1);
    unsetenv("XDG_DATA_HOME");
    unsetenv("XDG_STATE_HOME");
    unsetenv("COCO_BIN_DIR");
    check(paths_home(), "/h/u");
    check(paths_data_home(), "/h/u/.local/share/coco");
    check(paths_tools_dir(), "/h/u/.local/share/coco/tools");
    check(paths_links_file(), "/h/u/.local/share/coco/links");
    check(paths_envs_dir(), "/h/u/.local/share/coco/envs");
    check(paths_state_dir(), "/h/u/.local/state/coco");
    check(paths_bin_dir(), "/h/u/.local/bin");
    setenv("XDG_DATA_HOME", "/x/data", 1);
    setenv("XDG_STATE_HOME", "/x/state", 1);
    setenv("COCO_BIN_DIR", "/x/bin", 1);
    check(paths_tools_dir(), "/x/data/coco/tools");
    check(paths_state_dir(), "/x/state/coco");
    check(paths_bin_dir(), "/x/bin");
    /* A relative XDG variable is ignored (the XDG spec says so; a
     * relative one would follow the current directory, a project's). */
    setenv("XDG_DATA_HOME", "rel/data", 1);
    check(paths_tools_dir(), "/h/u/.local/share/coco/tools");
}

static void test_home_fallback(void **state)
{
    (void)state;
    unsetenv("XDG_DATA_HOME");
    /* A relative or missing HOME: /etc/passwd's home for the uid. */
    setenv("HOME", "relative", 1);
    char *pw = paths_passwd_home(getuid());
    char *h = paths_home();
    if (pw)
        assert_string_equal(h, pw);
    else
        assert_null(h);
    free(h);
    free(pw);
    unsetenv("HOME");
    h = paths_home();
    assert_true(!h || h[0] == '/');
    free(h);
    char *t = paths_tools_dir();
    assert_true(t[0] == '/');
    free(t);
    assert_null(paths_passwd_home((uid_t)4000000000u));
}

static void test_self(void **state)
{
    (void)state;
    char *exe = paths_self_exe();
    assert_true(exe[0] == '/');
    assert_non_null(strstr(exe, "test_paths"));
    free(exe);
    assert_null(paths_data_find("no-such-data-dir-here"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xdg_and_home),
        cmocka_unit_test(test_home_fallback),
        cmocka_unit_test(test_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
