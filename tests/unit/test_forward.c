/* test_forward.c — the in-container relay (net/forward.c): a fake "proxy"
 * (a unix server that reads a request to its end and echoes it back), a
 * client through the relay on 127.0.0.1, half-close passed on both ways,
 * a proxy that is gone closes the client's connection, the command's exit
 * status (127/126 like a shell, a death signal raised again), and signals
 * passed on to the command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "util.h"

static char dir[64];
static char sock_path[128];
static pid_t echo_pid;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The fake proxy: per connection, read to end of file, then write it all
 * back and close.  At most 64 connections, then it exits. */
static void echo_server(int lfd)
{
    static char buf[4 << 20];
    for (int k = 0; k < 64; k++) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            _exit(1);
        size_t n = 0;
        ssize_t r;
        while (n < sizeof buf && (r = read(c, buf + n, sizeof buf - n)) > 0)
            n += (size_t)r;
        for (size_t off = 0; off < n;) {
            ssize_t w = write(c, buf + off, n - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        close(c);
    }
    _exit(0);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/coco-test-forward-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(sock_path, sizeof sock_path, "%s/proxy.sock", dir);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(lfd, 16) < 0)
        return -1;
    echo_pid = fork();
    if (echo_pid == 0)
        echo_server(lfd);
    close(lfd);
    return echo_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (echo_pid > 0) {
        kill(echo_pid, SIGKILL);
        waitpid(echo_pid, NULL, 0);
    }
    char p[160];
    snprintf(p, sizeof p, "%s/ready", dir);
    unlink(p);
    unlink(sock_path);
    rmdir(dir);
    return 0;
}

/* A port nobody listens on right now. */
static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* The relay in a child process: `coco _egress-forward SOCK PORT -- CMD`. */
static pid_t start_relay(const char *sock, uint16_t port, char *const *cmd)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char ps[8];
        snprintf(ps, sizeof ps, "%u", port);
        char *argv[32] = {"_egress-forward", (char *)sock, ps, "--"};
        size_t n = 4;
        for (size_t i = 0; cmd[i] && n < 31; i++)
            argv[n++] = cmd[i];
        argv[n] = NULL;
        _exit(egress_forward_main((int)n, argv));
    }
    return pid;
}

/* A connection to the relay, retried while it starts (at most 5 s). */
static int connect_relay(uint16_t port)
{
    for (int i = 0; i < 500; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        close(fd);
        sleep_ms(10);
    }
    fail_msg("the relay never listened on port %u", port);
    return -1;
}

static int wait_status(pid_t pid)
{
    int st;
    for (int i = 0; i < 1000; i++) {  /* at most 10 s */
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    fail_msg("the relay did not end");
    return -1;
}

/* Send LEN bytes of a pattern, half-close, read everything back. */
static void echo_through(int fd, size_t len)
{
    char *out = xmalloc(len), *in = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        out[i] = (char)('a' + i % 23);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, out + off, len - off);
        assert_true(w > 0);
        off += (size_t)w;
    }
    /* The half-close reaches the proxy, which answers only then. */
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd, in + n, len + 1 - n)) > 0)
        n += (size_t)r;
    assert_int_equal(r, 0);
    assert_int_equal(n, len);
    assert_memory_equal(in, out, len);
    free(out);
    free(in);
}

static void wait_ready(void)
{
    char p[160];
    snprintf(p, sizeof p, "%s/ready", dir);
    for (int i = 0; i < 500 && access(p, F_OK) < 0; i++)
        sleep_ms(10);
    assert_int_equal(access(p, F_OK), 0);
    unlink(p);
}

static void test_relays_and_passes_signals(void **state)
{
    (void)state;
    uint16_t port = free_port();
    char script[256];
    /* Ends 42 on SIGUSR2, once it is ready for it. */
    snprintf(script, sizeof script,
             "trap 'exit 42' USR2; touch %s/ready; i=0; "
             "while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; exit 3",
             dir);
    pid_t relay = start_relay(sock_path, port, (char *[]){"sh", "-c", script,
                                                          NULL});
    wait_ready();
    /* Small, then more than any pipe holds, then several at once. */
    int fd = connect_relay(port);
    echo_through(fd, 5);
    close(fd);
    fd = connect_relay(port);
    echo_through(fd, 3 << 20);
    close(fd);
    int a = connect_relay(port), b = connect_relay(port);
    assert_int_equal(write(b, "second", 6), 6);
    echo_through(a, 1000);
    shutdown(b, SHUT_WR);
    char buf[16];
    assert_int_equal(read(b, buf, sizeof buf), 6);
    assert_memory_equal(buf, "second", 6);
    close(a);
    close(b);

    assert_int_equal(kill(relay, SIGUSR2), 0);
    int st = wait_status(relay);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 42);
}

static void test_no_proxy_closes_the_connection(void **state)
{
    (void)state;
    uint16_t port = free_port();
    char gone[160];
    snprintf(gone, sizeof gone, "%s/gone.sock", dir);
    char script[160];
    snprintf(script, sizeof script, "touch %s/ready; sleep 5", dir);
    pid_t relay = start_relay(gone, port,
                              (char *[]){"sh", "-c", script, NULL});
    wait_ready();
    int fd = connect_relay(port);
    (void)!write(fd, "GET / HTTP/1.0\r\n\r\n", 18);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 5000), 1);
    char buf[16];
    assert_true(read(fd, buf, sizeof buf) <= 0);
    close(fd);
    /* SIGTERM goes on to sh, which dies of it; so does the relay. */
    kill(relay, SIGTERM);
    int st = wait_status(relay);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
}

static void test_exit_status(void **state)
{
    (void)state;
    int st = wait_status(start_relay(sock_path, free_port(),
                                     (char *[]){"sh", "-c", "exit 7", NULL}));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 7);

    st = wait_status(start_relay(sock_path, free_port(),
                                 (char *[]){"coco-no-such-program", NULL}));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 127);

    st = wait_status(start_relay(sock_path, free_port(),
                                 (char *[]){"/dev/null", NULL}));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 126);

    /* Death by a signal: the relay dies of the same one. */
    st = wait_status(start_relay(sock_path, free_port(),
                                 (char *[]){"sh", "-c", "kill -USR1 $$",
                                            NULL}));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGUSR1);
}

static void test_usage(void **state)
{
    (void)state;
    char *no_dashes[] = {"_egress-forward", sock_path, "3128", "true", "x",
                         NULL};
    assert_int_equal(egress_forward_main(5, no_dashes), EXIT_COCO);
    char *bad_port[] = {"_egress-forward", sock_path, "70000", "--", "true",
                        NULL};
    assert_int_equal(egress_forward_main(5, bad_port), EXIT_COCO);
    char *no_cmd[] = {"_egress-forward", sock_path, "3128", "--", NULL};
    assert_int_equal(egress_forward_main(4, no_cmd), EXIT_COCO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relays_and_passes_signals),
        cmocka_unit_test(test_no_proxy_closes_the_connection),
        cmocka_unit_test(test_exit_status),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
