/* test_supervise.c — the generic supervisor with real child processes
 * (/bin/sh, /bin/sleep): exit codes, signals, exec failures, the
 * timeout, the output cap, descriptor passing and signal forwarding; a
 * child that dies with its supervisor, and the guardian that cleans up
 * after a supervisor killed by SIGKILL.  Nothing here asserts how long
 * anything took (waits are bounded only so a failure cannot hang). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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
                const struct sup_limits *lim, const struct spawn_fd *fds,
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

/* What the stop callback saw, in memory shared with the process that
 * runs it (supervise runs it in a child of its own). */
struct stop_seen {
    int calls;
    enum sup_reason why;
    int child_gone;
};
static struct stop_seen *seen;
#define stop_calls (seen->calls)
#define stop_why (seen->why)

static void stop_cb(void *data, enum sup_reason why, pid_t child)
{
    (void)data;
    stop_calls++;
    stop_why = why;
    kill(child, SIGKILL);
}

/* Like "docker stop": ask the child to end (SIGTERM), then wait, up to
 * 5 s, until it has -- a child that writes on its way out finishes only
 * while the supervisor keeps draining its output. */
static void stop_and_wait_cb(void *data, enum sup_reason why, pid_t child)
{
    char path[64];
    (void)data;
    stop_calls++;
    stop_why = why;
    kill(child, SIGTERM);
    snprintf(path, sizeof path, "/proc/%d/stat", (int)child);
    for (int i = 0; i < 500; i++) {
        char buf[256] = "";
        FILE *f = fopen(path, "re");
        if (f) {
            if (!fgets(buf, sizeof buf, f))
                buf[0] = '\0';
            fclose(f);
        }
        const char *st = strrchr(buf, ')');
        if (!f || (st && st[1] == ' ' && st[2] == 'Z')) {
            seen->child_gone = 1;
            return;
        }
        usleep(10000);
    }
}

/* A child that writes a lot when told to stop (a container's last
 * output, which docker's client must write before the daemon lets the
 * container end): the stop must not keep the supervisor from draining
 * it.  Before the fix the stop ran in the loop, the child blocked on a
 * full pipe, and the stop waited out its whole grace. */
static void test_stop_while_draining(void **state)
{
    (void)state;
    struct run r;
    struct sup_limits lim = {.output_max = 1000, .stop = stop_and_wait_cb};
    memset(seen, 0, sizeof *seen);
    run(&r, (char *[]){"/bin/sh", "-c",
                       "trap 'head -c 2000000 /dev/zero; exit 0' TERM; "
                       "head -c 2000 /dev/zero; while :; do sleep 0.01; done",
                       NULL},
        true, &lim, NULL, 0, 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(stop_calls, 1);
    assert_int_equal(r.res.reason, SUP_OUTPUT);
    assert_int_equal(seen->child_gone, 1);
    assert_int_equal(r.res.output_bytes, 1000);
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
    struct spawn_fd fds[] = {{mfd, 3}};
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

/* --- coco dies: its child and its guardian ------------------------------
 * The test process becomes a child subreaper, so the orphans of a
 * stand-in "coco" (a forked child of ours that dies) are reparented to us
 * and can be reaped and checked. */

/* Wait (bounded, 10 s) for PID, an orphan reparented to us; its status,
 * or -1 when it is still running (it is then killed). */
static int wait_orphan(pid_t pid)
{
    int st;
    for (int i = 0; i < 1000; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

static void test_child_dies_with_supervisor(void **state)
{
    (void)state;
    int p[2];
    pid_t coco, child = 0;
    int st;

    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    assert_int_equal(pipe(p), 0);
    coco = fork();
    assert_true(coco >= 0);
    if (coco == 0) {
        struct supervisor s;
        coco_err e = {0};
        if (supervise_init(&s, false, &e) < 0 ||
            supervise_spawn(&s, (char *[]){"/bin/sleep", "1000", NULL},
                            environ, NULL, 0, &e) < 0)
            _exit(1);
        if (write(p[1], &s.pid, sizeof(s.pid)) != sizeof(s.pid))
            _exit(1);
        kill(getpid(), SIGKILL);  /* coco dies, the child must follow */
        _exit(1);
    }
    close(p[1]);
    assert_int_equal(read(p[0], &child, sizeof(child)), sizeof(child));
    close(p[0]);
    assert_int_equal(waitpid(coco, &st, 0), coco);
    assert_true(WIFSIGNALED(st));
    st = wait_orphan(child);
    assert_int_not_equal(st, -1);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* A cleanup command for the guardian: append a line with its session id
 * and where its stdout goes to FILE. */
static char *const *guard_probe(const char *file)
{
    static char script[512];
    static char *argv[] = {"/bin/sh", "-c", script, NULL};
    snprintf(script, sizeof(script),
             "echo \"$(cut -d' ' -f6 /proc/$$/stat) "
             "$(readlink /proc/$$/fd/1)\" >>%s",
             file);
    return argv;
}

static int count_lines(const char *file, char *first, size_t len)
{
    FILE *f = fopen(file, "r");
    char line[256];
    int n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        if (n++ == 0 && first)
            snprintf(first, len, "%s", line);
    }
    fclose(f);
    return n;
}

static void test_guard_release(void **state)
{
    (void)state;
    char file[] = "/tmp/coco-test-guard.XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    unlink(file);

    struct guard g;
    coco_err e = {0};
    struct guard_spec spec = {.argv = guard_probe(file), .envp = environ};
    assert_int_equal(guard_start(&g, &spec, &e), 0);
    assert_true(g.pid > 0);
    guard_release(&g);
    /* reaped, and it ran nothing */
    assert_int_equal(g.pid, 0);
    assert_int_equal(g.fd, -1);
    assert_int_equal(count_lines(file, NULL, 0), 0);
    assert_true(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
    guard_release(&g);  /* twice is harmless */
}

static void test_guard_runs_when_coco_dies(void **state)
{
    (void)state;
    char file[] = "/tmp/coco-test-guard.XXXXXX";
    char first[256] = "";
    int fd = mkstemp(file);
    pid_t coco, guardian = 0;
    int p[2], st, n = 0;

    assert_true(fd >= 0);
    close(fd);
    unlink(file);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    assert_int_equal(pipe(p), 0);
    coco = fork();
    assert_true(coco >= 0);
    if (coco == 0) {
        struct guard g;
        coco_err e = {0};
        struct guard_spec spec = {.argv = guard_probe(file),
                                  .envp = environ,
                                  .again_after_ms = 50};
        if (guard_start(&g, &spec, &e) < 0)
            _exit(1);
        if (write(p[1], &g.pid, sizeof(g.pid)) != sizeof(g.pid))
            _exit(1);
        kill(getpid(), SIGKILL);
        _exit(1);
    }
    close(p[1]);
    assert_int_equal(read(p[0], &guardian, sizeof(guardian)),
                     sizeof(guardian));
    close(p[0]);
    assert_int_equal(waitpid(coco, &st, 0), coco);
    assert_true(WIFSIGNALED(st));
    /* It ran the command twice (again_after_ms) and exited. */
    st = wait_orphan(guardian);
    assert_int_not_equal(st, -1);
    assert_true(WIFEXITED(st));
    n = count_lines(file, first, sizeof(first));
    unlink(file);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    assert_int_equal(n, 2);
    /* In a session of its own (a kill of coco's group or session, a
     * hangup, does not reach it), stdio on /dev/null. */
    char want[64];
    snprintf(want, sizeof(want), "%d /dev/null\n", (int)guardian);
    assert_string_equal(first, want);
}

static void test_guard_bounded(void **state)
{
    (void)state;
    pid_t coco, guardian = 0;
    int p[2], st;

    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    assert_int_equal(pipe(p), 0);
    coco = fork();
    assert_true(coco >= 0);
    if (coco == 0) {
        struct guard g;
        coco_err e = {0};
        /* A cleanup that hangs: the guardian ends it after timeout_ms. */
        struct guard_spec spec = {
            .argv = (char *[]){"/bin/sleep", "1000", NULL},
            .envp = environ,
            .timeout_ms = 100,
        };
        if (guard_start(&g, &spec, &e) < 0)
            _exit(1);
        if (write(p[1], &g.pid, sizeof(g.pid)) != sizeof(g.pid))
            _exit(1);
        _exit(0);  /* without guard_release: as good as dead */
    }
    close(p[1]);
    assert_int_equal(read(p[0], &guardian, sizeof(guardian)),
                     sizeof(guardian));
    close(p[0]);
    assert_int_equal(waitpid(coco, &st, 0), coco);
    st = wait_orphan(guardian);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    assert_int_not_equal(st, -1);
    assert_true(WIFEXITED(st));
}

int main(void)
{
    seen = mmap(NULL, sizeof *seen, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (seen == MAP_FAILED)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_code_passes_through),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_exec_failures),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_output_under_cap),
        cmocka_unit_test(test_stop_while_draining),
        cmocka_unit_test(test_fd_passing),
        cmocka_unit_test(test_signal_forwarded),
        cmocka_unit_test(test_status_exit_code),
        cmocka_unit_test(test_spawn_wait),
        cmocka_unit_test(test_child_dies_with_supervisor),
        cmocka_unit_test(test_guard_release),
        cmocka_unit_test(test_guard_runs_when_coco_dies),
        cmocka_unit_test(test_guard_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
