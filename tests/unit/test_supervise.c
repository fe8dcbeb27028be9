/* test_supervise.c — the generic supervisor with real child processes
 * (/bin/sh, /bin/sleep): exit codes, signals, exec failures, the
 * timeout, the output cap, descriptor passing and signal forwarding.
 * Nothing here asserts how long anything took. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "supervise.h"

extern char **environ;

/* Run ARGV under the supervisor with LIM; stdout and stderr of the
 * supervisor (where captured output is copied) go to temp files whose
 * contents are returned in OUT/ERR when non-NULL. */
struct run {
    int rc;
    coco_err err;
    struct sup_result res;
    char out[8192];
    size_t out_len;
    char errbuf[8192];
    size_t err_len;
};

static size_t slurp(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t r;
    lseek(fd, 0, SEEK_SET);
    while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    return n;
}

static void run(struct run *r, char *const argv[], bool capture,
                const struct sup_limits *lim, const struct sup_fd *fds,
                size_t n_fds, int raise_sig)
{
    struct supervisor s;
    int out = memfd_create("out", MFD_CLOEXEC);
    int err = memfd_create("err", MFD_CLOEXEC);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);

    memset(r, 0, sizeof(*r));
    assert_true(out >= 0 && err >= 0 && saved_out >= 0 && saved_err >= 0);
    fflush(stdout);
    fflush(stderr);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);

    r->rc = supervise_init(&s, capture, &r->err);
    if (r->rc == 0) {
        r->rc = supervise_spawn(&s, argv, environ, fds, n_fds, &r->err);
        if (r->rc == 0) {
            if (raise_sig)
                kill(getpid(), raise_sig);
            r->rc = supervise_wait(&s, lim, &r->res, &r->err);
        }
        supervise_release(&s);
    }

    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    r->out_len = slurp(out, r->out, sizeof(r->out));
    r->err_len = slurp(err, r->errbuf, sizeof(r->errbuf));
    close(out);
    close(err);
}

static void test_exit_code_passes_through(void **state)
{
    (void)state;
    struct run r;
    struct sup_limits lim = {0};
    run(&r, (char *[]){"/bin/sh", "-c", "exit 7", NULL}, false, &lim, NULL,
        0, 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.reason, SUP_EXITED);
    assert_int_equal(r.res.exit_code, 7);
    assert_int_equal(supervise_exit_code(&r.res), 7);
}

static void test_killed_by_signal(void **state)
{
    (void)state;
    struct run r;
    struct sup_limits lim = {0};
    run(&r, (char *[]){"/bin/sh", "-c", "kill -KILL $$", NULL}, false, &lim,
        NULL, 0, 0);
    assert_int_equal(r.rc, 0);
    assert_true(WIFSIGNALED(r.res.status));
    assert_int_equal(r.res.exit_code, 128 + SIGKILL);
}

static void test_exec_failures(void **state)
{
    (void)state;
    struct run r;
    struct sup_limits lim = {0};
    run(&r, (char *[]){"/nonexistent/coco-test-prog", NULL}, false, &lim,
        NULL, 0, 0);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.err.errnum, ENOENT);
    assert_non_null(strstr(r.err.msg, "/nonexistent/coco-test-prog"));

    char tmpl[] = "/tmp/coco-test-sup.XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    close(fd);
    chmod(tmpl, 0644);
    run(&r, (char *[]){tmpl, NULL}, false, &lim, NULL, 0, 0);
    unlink(tmpl);
    /* execve needs an execute bit even for root: EACCES for everyone. */
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.err.errnum, EACCES);
}

static int stop_calls;
static enum sup_reason stop_why;

static void stop_cb(void *data, enum sup_reason why, pid_t child)
{
    (void)data;
    stop_calls++;
    stop_why = why;
    kill(child, SIGKILL);
}

static void test_timeout(void **state)
{
    (void)state;
    struct run r;
    struct sup_limits lim = {.timeout_ms = 50, .stop = stop_cb};
    stop_calls = 0;
    run(&r, (char *[]){"/bin/sleep", "1000", NULL}, false, &lim, NULL, 0, 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(stop_calls, 1);
    assert_int_equal(stop_why, SUP_TIMEOUT);
    assert_int_equal(r.res.reason, SUP_TIMEOUT);
    assert_int_equal(r.res.exit_code, EXIT_TIMEOUT);

    /* without a callback the child gets SIGTERM */
    struct sup_limits lim2 = {.timeout_ms = 50};
    run(&r, (char *[]){"/bin/sleep", "1000", NULL}, false, &lim2, NULL, 0, 0);
    assert_int_equal(r.res.reason, SUP_TIMEOUT);
    assert_true(WIFSIGNALED(r.res.status));
    assert_int_equal(WTERMSIG(r.res.status), SIGTERM);
    assert_int_equal(r.res.exit_code, EXIT_TIMEOUT);
}

static void test_output_cap(void **state)
{
    (void)state;
    struct run r;
    struct sup_limits lim = {.output_max = 1000, .stop = stop_cb};
    stop_calls = 0;
    run(&r, (char *[]){"/bin/sh", "-c", "while :; do echo yyyyyyyyy; done",
                       NULL},
        true, &lim, NULL, 0, 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(stop_calls, 1);
    assert_int_equal(stop_why, SUP_OUTPUT);
    assert_int_equal(r.res.reason, SUP_OUTPUT);
    assert_int_equal(r.res.exit_code, EXIT_COCO);
    /* exactly the cap reached the real stdout, nothing more */
    assert_int_equal(r.res.output_bytes, 1000);
    assert_int_equal(r.out_len, 1000);
    assert_memory_equal(r.out, "yyyyyyyyy\nyyyyyyyyy\n", 20);
}

static void test_output_under_cap(void **state)
{
    (void)state;
    struct run r;
    struct sup_limits lim = {.output_max = 1000, .stop = stop_cb};
    stop_calls = 0;
    run(&r, (char *[]){"/bin/sh", "-c", "echo out; echo err >&2; exit 3",
                       NULL},
        true, &lim, NULL, 0, 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(stop_calls, 0);
    assert_int_equal(r.res.reason, SUP_EXITED);
    assert_int_equal(r.res.exit_code, 3);
    assert_string_equal(r.out, "out\n");
    assert_string_equal(r.errbuf, "err\n");
    assert_int_equal(r.res.output_bytes, 8);
}

static void test_fd_passing(void **state)
{
    (void)state;
    struct run r;
    struct sup_limits lim = {.output_max = 4096};
    int mfd = memfd_create("envfile", MFD_CLOEXEC);
    assert_true(mfd >= 0);
    assert_int_equal(write(mfd, "A=1\n", 4), 4);
    lseek(mfd, 0, SEEK_SET);
    struct sup_fd fds[] = {{mfd, 3}};
    run(&r, (char *[]){"/bin/sh", "-c", "cat /dev/fd/3", NULL}, true, &lim,
        fds, 1, 0);
    close(mfd);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.exit_code, 0);
    assert_string_equal(r.out, "A=1\n");
}

static void test_signal_forwarded(void **state)
{
    (void)state;
    struct run r;
    struct sup_limits lim = {0};
    /* SIGTERM sent to coco alone (kill(2), not the terminal) reaches the
     * child, which dies of it. */
    run(&r, (char *[]){"/bin/sleep", "1000", NULL}, false, &lim, NULL, 0,
        SIGTERM);
    assert_int_equal(r.rc, 0);
    assert_true(WIFSIGNALED(r.res.status));
    assert_int_equal(WTERMSIG(r.res.status), SIGTERM);
    assert_int_equal(r.res.exit_code, 128 + SIGTERM);
}

static void test_status_exit_code(void **state)
{
    (void)state;
    assert_int_equal(status_exit_code(0), 0);
    assert_int_equal(status_exit_code(42 << 8), 42);
    assert_int_equal(status_exit_code(SIGSYS), 128 + SIGSYS);
}

static void test_spawn_wait(void **state)
{
    (void)state;
    coco_err err = {0};
    int st = spawn_wait((char *[]){"/bin/sh", "-c", "echo hidden; exit 4",
                                   NULL},
                        environ, true, true, &err);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 4);
    assert_int_equal(spawn_wait((char *[]){"/nonexistent/x", NULL}, environ,
                                true, true, &err),
                     -1);
    assert_int_equal(err.errnum, ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_code_passes_through),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_exec_failures),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_output_under_cap),
        cmocka_unit_test(test_fd_passing),
        cmocka_unit_test(test_signal_forwarded),
        cmocka_unit_test(test_status_exit_code),
        cmocka_unit_test(test_spawn_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
