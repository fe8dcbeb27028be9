/* test_spawn.c — the one way coco starts a host program (spawn.c): the
 * one PATH rule (absolute entries, regular executables), exec failures
 * reported with their errno, descriptors placed, output capped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"

static char dir[64];

/* A scratch directory holding an executable "prog" (a copy of
 * /bin/true), a non-executable "plain" and a directory "sub". */
static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/coco-test-spawn-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char p[128];
    snprintf(p, sizeof p, "%s/prog", dir);
    int in = open("/bin/true", O_RDONLY), out = open(p, O_WRONLY | O_CREAT, 0755);
    char buf[65536];
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            return -1;
    close(in);
    close(out);
    snprintf(p, sizeof p, "%s/plain", dir);
    close(open(p, O_WRONLY | O_CREAT, 0644));
    snprintf(p, sizeof p, "%s/sub", dir);
    return mkdir(p, 0755);
}

static int teardown(void **state)
{
    (void)state;
    char p[128];
    const char *names[] = {"prog", "plain"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/sub", dir);
    rmdir(p);
    rmdir(dir);
    return 0;
}

static void test_find_program(void **state)
{
    (void)state;
    char path[256], want[128];
    snprintf(path, sizeof path, "PATH=/nonexistent:%s", dir);
    char *env[] = {path, NULL};
    snprintf(want, sizeof want, "%s/prog", dir);
    char *got = spawn_find_program(env, "prog");
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    /* Not executable, a directory, a name with a slash: not found. */
    assert_null(spawn_find_program(env, "plain"));
    assert_null(spawn_find_program(env, "sub"));
    assert_null(spawn_find_program(env, "sub/prog"));
    assert_null(spawn_find_program(env, ""));
    /* Relative and empty entries are the current directory, where a
     * project could plant its own program: never searched. */
    assert_int_equal(chdir(dir), 0);
    char *rel[] = {"PATH=.:prog-dir::", NULL};
    assert_null(spawn_find_program(rel, "prog"));
    char *empty_entry[] = {"PATH=:/nonexistent", NULL};
    assert_null(spawn_find_program(empty_entry, "prog"));
    assert_int_equal(chdir("/"), 0);
    /* No PATH at all: the standard directories. */
    char *none[] = {"HOME=/", NULL};
    got = spawn_find_program(none, "sh");
    assert_non_null(got);
    assert_true(strcmp(got, "/usr/local/bin/sh") == 0 ||
                strcmp(got, "/usr/bin/sh") == 0 || strcmp(got, "/bin/sh") == 0);
    free(got);
}

static void test_start_reports_exec_errors(void **state)
{
    (void)state;
    coco_err err = {0};
    char missing[128], plain[128];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    snprintf(plain, sizeof plain, "%s/plain", dir);
    char *a1[] = {missing, NULL};
    assert_int_equal(spawn_start(a1, NULL, &err), -1);
    assert_int_equal(err.errnum, ENOENT);
    assert_non_null(strstr(err.msg, "cannot run"));
    assert_non_null(strstr(err.msg, "missing"));
    char *a2[] = {plain, NULL};
    assert_int_equal(spawn_start(a2, NULL, &err), -1);
    assert_int_equal(err.errnum, EACCES);
    char *a3[] = {"", NULL};
    assert_int_equal(spawn_start(a3, NULL, &err), -1);
    /* No zombie left behind by the failures. */
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static int fail_setup(void *data)
{
    (void)data;
    errno = EPERM;
    return -1;
}

static void test_setup_hook_fails_the_spawn(void **state)
{
    (void)state;
    coco_err err = {0};
    char *argv[] = {"/bin/true", NULL};
    struct spawn_opts o = {.setup = fail_setup};
    assert_int_equal(spawn_start(argv, &o, &err), -1);
    assert_int_equal(err.errnum, EPERM);
}

static void test_fds_and_env_reach_the_child(void **state)
{
    (void)state;
    coco_err err = {0};
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    struct spawn_fd fd = {p[1], STDOUT_FILENO};
    char *env[] = {"COCO_SPAWN_TEST=yes", NULL};
    char *argv[] = {"/usr/bin/env", NULL};
    struct spawn_opts o = {.envp = env, .null_stdin = true, .fds = &fd, .n_fds = 1};
    pid_t pid = spawn_start(argv, &o, &err);
    assert_true(pid > 0);
    close(p[1]);
    char buf[256] = {0};
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    close(p[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* Exactly the environment given, nothing of the test's own. */
    assert_string_equal(buf, "COCO_SPAWN_TEST=yes\n");
}

static void test_capture(void **state)
{
    (void)state;
    coco_err err = {0};
    char *out = NULL;
    size_t len = 0;
    char *echo[] = {"echo", "hello", NULL};
    assert_int_equal(spawn_capture(echo, &out, &len, 100, &err), 0);
    assert_string_equal(out, "hello\n");
    assert_int_equal(len, 6);
    free(out);
    char *big[] = {"/usr/bin/head", "-c", "100000", "/dev/zero", NULL};
    assert_int_equal(spawn_capture(big, &out, &len, 1000, &err), SPAWN_TOO_BIG);
    char *st[] = {"/bin/false", NULL};
    assert_int_equal(spawn_capture(st, &out, &len, 100, &err), 1);
    free(out);
    /* The same PATH rule as spawn_find_program(): a program planted in a
     * relative PATH entry is not run. */
    const char *old = getenv("PATH");
    char *saved = old ? xstrdup(old) : NULL;
    assert_int_equal(chdir(dir), 0);
    setenv("PATH", ".", 1);
    char *planted[] = {"prog", NULL};
    assert_int_equal(spawn_capture(planted, &out, &len, 100, &err), -1);
    assert_int_equal(err.errnum, ENOENT);
    assert_int_equal(chdir("/"), 0);
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_program),
        cmocka_unit_test(test_start_reports_exec_errors),
        cmocka_unit_test(test_setup_hook_fails_the_spawn),
        cmocka_unit_test(test_fds_and_env_reach_the_child),
        cmocka_unit_test(test_capture),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
