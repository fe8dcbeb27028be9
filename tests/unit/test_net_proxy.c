/* test_net_proxy.c — the egress proxy (net/proxy.c) against a small
 * internet built inside a network namespace of the test's own: no
 * packet leaves the machine.
 *
 * A user + network namespace gets a local default route, so that
 * 203.0.113.5 (a "public" server), 10.0.0.1, 169.254.169.254 and any
 * other address are all this namespace; an echo server listens on
 * *:7000, a one-request HTTP server on *:8080 that records what reached
 * it, a DNS server the test controls on 127.0.0.53:53 (pub.test is
 * public, priv.test is 10.0.0.1, meta.test the metadata address,
 * self.test the namespace's own address, rebind.test public on the
 * first query and loopback afterwards).  The proxy serves 127.0.0.1:3128
 * with an allowlist, and the checks are made from the client's side and
 * from what the servers and the audit log saw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/filter.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "net/dns.h"

#include "valgrind_shim.h"
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif
/* valgrind and ASan make system calls of their own that the proxy's
 * filter does not allow (the leak checker ptraces): there, the proxy
 * runs unconfined and test_confine says so. */
#define CAN_CONFINE (!RUNNING_ON_VALGRIND && !UNDER_ASAN)

static int failures;
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "line %d: ", __LINE__);                        \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
            failures++;                                                    \
        }                                                                  \
    } while (0)

static char dir[64];

static void netns_setup(void)
{
    int flags = CLONE_NEWNET | (geteuid() ? CLONE_NEWUSER : 0);
    if (unshare(flags) < 0) {
        perror("unshare");
        _exit(90);
    }
    coco_err lo_err = {0};
    if (net_lo_up(&lo_err) < 0) {
        fprintf(stderr, "%s\n", lo_err.msg);
        _exit(89);
    }
    coco_err err = {0};
    struct net_addr a;
    net_addr_parse("198.18.0.1", &a);
    if (net_local_default_route(AF_INET, &err) < 0 ||
        net_lo_add_addr(&a, 32, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        _exit(91);
    }
}

static int listen_on(const char *ip, int port, int type)
{
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        (type == SOCK_STREAM && listen(fd, 16) < 0)) {
        perror("bind");
        _exit(92);
    }
    return fd;
}

static pid_t start(void (*fn)(int), int fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        fn(fd);
        _exit(0);
    }
    return pid;
}

static void echo_server(int l)
{
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0)
            continue;
        char buf[65536];
        ssize_t n;
        while ((n = read(c, buf, sizeof buf)) > 0)
            if (write(c, buf, (size_t)n) != n)
                break;
        shutdown(c, SHUT_WR);  /* echo the half-close back */
        close(c);
    }
}

/* One request per connection: everything that arrives within 300 ms
 * after the response is recorded too (dir/http.N). */
static void http_server(int l)
{
    for (int k = 0;; k++) {
        int c = accept(l, NULL, NULL);
        if (c < 0)
            continue;
        char path[128];
        snprintf(path, sizeof path, "%s/http.%d", dir, k);
        int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        char buf[65536];
        size_t have = 0;
        while (have < sizeof buf - 1) {
            ssize_t n = read(c, buf + have, sizeof buf - 1 - have);
            if (n <= 0)
                break;
            have += (size_t)n;
            buf[have] = '\0';
            if (strstr(buf, "\r\n\r\n"))
                break;
        }
        static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        if (write(c, ok, sizeof ok - 1) < 0)
            break;
        struct pollfd p = {.fd = c, .events = POLLIN};
        while (poll(&p, 1, 300) > 0) {
            ssize_t n = read(c, buf + have, sizeof buf - 1 - have);
            if (n <= 0)
                break;
            have += (size_t)n;
        }
        if (write(out, buf, have) < 0)
            break;
        close(out);
        close(c);
    }
}

/* Reads a byte count up to the client's EOF, sends that many bytes at
 * once, then closes: an upstream that is done while its client may not
 * be reading. */
static void blast_server(int l)
{
    /* Its clients hang up mid-stream on purpose: a write then fails,
     * it must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0)
            continue;
        char line[32] = "";
        size_t have = 0;
        ssize_t n;
        while (have < sizeof line - 1 &&
               (n = read(c, line + have, sizeof line - 1 - have)) > 0)
            have += (size_t)n;
        size_t want = strtoul(line, NULL, 10), sent = 0;
        static char buf[1 << 16];
        while (sent < want) {
            size_t k = want - sent < sizeof buf ? want - sent : sizeof buf;
            ssize_t w = write(c, buf, k);
            if (w <= 0)
                break;
            sent += (size_t)w;
        }
        close(c);
    }
}

static void dns_server(int fd)
{
    int rebind = 0, lost = 0;
    int sticky = 0;
    for (;;) {
        uint8_t q[512], r[512];
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
        if (n <= 0)
            continue;
        struct dns_question qu;
        if (dns_stub_parse_query(q, (size_t)n, &qu) < 0)
            continue;
        const char *ip = NULL;
        int rcode = DNS_RCODE_NOERROR;
        if (strcmp(qu.name, "pub.test") == 0 || strcmp(qu.name, "a.wild.test") == 0)
            ip = "203.0.113.5";
        if (strcmp(qu.name, "sticky.test") == 0)
            ip = qu.qtype == DNS_TYPE_A && sticky++ > 0 ? "127.0.0.1"
                                                        : "203.0.113.5";
        else if (strcmp(qu.name, "priv.test") == 0)
            ip = "10.0.0.1";
        else if (strcmp(qu.name, "meta.test") == 0)
            ip = "169.254.169.254";
        else if (strcmp(qu.name, "self.test") == 0)
            ip = "198.18.0.1";
        else if (strcmp(qu.name, "lossy.test") == 0 && lost++ < 2)
            continue;  /* the first A and AAAA queries are lost */
        else if (strcmp(qu.name, "lossy.test") == 0)
            ip = "203.0.113.5";
        else if (strcmp(qu.name, "rebind.test") == 0)
            ip = qu.qtype == DNS_TYPE_A && rebind++ > 0 ? "127.0.0.1"
                                                        : "203.0.113.5";
        else
            rcode = DNS_RCODE_NXDOMAIN;
        struct net_addr a;
        bool answer = ip && qu.qtype == DNS_TYPE_A && net_addr_parse(ip, &a) == 1;
        /* rebind.test with TTL 0: the proxy caches answers for their
         * TTL, and a rebinding attacker's answers would say 0 */
        uint32_t ttl = strcmp(qu.name, "rebind.test") == 0 ? 0 : 5;
        int len = dns_stub_reply(&qu, rcode, answer ? &a : NULL, ttl, r, sizeof r);
        if (len > 0)
            sendto(fd, r, (size_t)len, 0, (struct sockaddr *)&from, fl);
    }
}

static const struct egress_proxy_cfg *proxy_cfg;
static pid_t proxy_pid;

/* CPU time (user + system, clock ticks) the proxy has used so far. */
static long proxy_ticks(void)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)proxy_pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld",
                     &ut, &st) != 2)
        return -1;
    return ut + st;
}

/* True when the proxy, otherwise idle, burns less than a fifth of a CPU
 * over half a second: nothing armed that fires without progress. */
static bool proxy_quiet(void)
{
    long a = proxy_ticks();
    usleep(500000);
    long b = proxy_ticks();
    long hz = sysconf(_SC_CLK_TCK);
    return a >= 0 && b >= 0 && (b - a) * 10 < hz;
}

static void proxy_main(int stop_w)
{
    close(stop_w);  /* only the test holds the stop pipe's write end */
    coco_err err = {0};
    if (egress_proxy_run(proxy_cfg, &err) < 0)
        fprintf(stderr, "proxy: %s\n", err.msg);
}

static int dial_proxy(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(3128)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static bool send_str(int fd, const char *s)
{
    return write(fd, s, strlen(s)) == (ssize_t)strlen(s);
}

/* Read until the end of a response head (or EOF) into BUF. */
static size_t read_head(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    buf[0] = '\0';
    while (have < cap - 1) {
        ssize_t n = read(fd, buf + have, 1);
        if (n <= 0)
            break;
        have++;
        buf[have] = '\0';
        if (have >= 4 && memcmp(buf + have - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    return have;
}

/* CONNECT HOSTPORT: the connected descriptor, or -1 with the response
 * head in RESP. */
static int connect_via(const char *hostport, char *resp, size_t cap)
{
    int fd = dial_proxy();
    if (fd < 0)
        return -1;
    char req[512];
    snprintf(req, sizeof req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
             hostport, hostport);
    send_str(fd, req);
    read_head(fd, resp, cap);
    if (strncmp(resp, "HTTP/1.1 200", 12) == 0)
        return fd;
    close(fd);
    return -1;
}

/* Send LEN bytes of a pattern and half-close, reading the echo at the
 * same time; true when exactly the same bytes came back and then EOF. */
static bool echo_intact(int fd, size_t len)
{
    size_t sent = 0, got = 0;
    bool ok = true, shut = false;
    unsigned char out[65536], in[65536];
    fcntl(fd, F_SETFL, O_NONBLOCK);
    for (int spins = 0; spins < 200000; spins++) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
        if (poll(&p, 1, 5000) <= 0)
            return false;
        if (sent < len && (p.revents & POLLOUT)) {
            size_t k = len - sent < sizeof out ? len - sent : sizeof out;
            for (size_t i = 0; i < k; i++)
                out[i] = (unsigned char)((sent + i) * 7 + 3);
            ssize_t w = write(fd, out, k);
            if (w > 0)
                sent += (size_t)w;
        }
        if (sent == len && !shut) {
            shutdown(fd, SHUT_WR);
            shut = true;
        }
        if (p.revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(fd, in, sizeof in);
            if (n == 0)
                return ok && got == len;
            if (n < 0 && errno != EAGAIN)
                return false;
            for (ssize_t i = 0; i < n; i++)
                ok = ok && in[i] == (unsigned char)((got + (size_t)i) * 7 + 3);
            if (n > 0)
                got += (size_t)n;
        }
    }
    return false;
}

static bool refused_with(const char *resp, const char *reason)
{
    char want[128];
    snprintf(want, sizeof want, "X-Coco-Egress: %s\r\n", reason);
    return strncmp(resp, "HTTP/1.1 403", 12) == 0 && strstr(resp, want);
}

/* CONNECT TARGET must be let through (WHAT says why it should); the
 * tunnel is closed again. */
static void check_connects(const char *target, const char *what)
{
    char resp[2048];
    int fd = connect_via(target, resp, sizeof resp);
    CHECK(fd >= 0, "%s: %s", what, resp);
    if (fd >= 0)
        close(fd);
}

static void check_connect(void)
{
    char resp[2048];
    int fd = connect_via("pub.test:7000", resp, sizeof resp);
    CHECK(fd >= 0, "CONNECT pub.test: %s", resp);
    if (fd >= 0) {
        CHECK(echo_intact(fd, 16u << 20), "16 MiB each way through a tunnel, half-close echoed");
        close(fd);
    }
    check_connects("PUB.Test.:7000", "CONNECT with case and trailing dot");
    check_connects("a.wild.test:7000", "wildcard subdomain");
    /* the resolver loses the first queries: asked again, answered */
    check_connects("lossy.test:7000", "a lost DNS query is sent again");
    static const struct {
        const char *target, *reason;
    } refused[] = {
        {"evil.test:7000", "not-allowlisted"},
        {"wild.test:7000", "not-allowlisted"},         /* not the apex */
        {"evilwild.test:7000", "not-allowlisted"},
        {"meta.test:22", "not-allowlisted"},           /* port not listed */
        {"priv.test:7000", "blocked-range:10.0.0.0/8"},
        {"meta.test:7000", "blocked-range:169.254.169.254/32"},
        {"self.test:7000", "host-address"},
        {"203.0.113.5:7000", "ip-literal-not-allowlisted"},
        {"127.1:7000", "ip-literal-not-allowlisted"},
        {"2130706433:7000", "ip-literal-not-allowlisted"},
        {"0x7f000001:7000", "ip-literal-not-allowlisted"},
        {"0177.0.0.1:7000", "ip-literal-not-allowlisted"},
        {"[::ffff:127.0.0.1]:7000", "ip-literal-not-allowlisted"},
        {"nx.test:7000", "not-allowlisted"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        fd = connect_via(refused[i].target, resp, sizeof resp);
        CHECK(fd < 0 && refused_with(resp, refused[i].reason),
              "CONNECT %s: want 403 %s, got: %.200s", refused[i].target,
              refused[i].reason, resp);
        if (fd >= 0)
            close(fd);
    }
    /* Rebinding: public on the first lookup (allowed, dialled), loopback
     * on the next (refused): never the second answer on the first check. */
    check_connects("rebind.test:7000", "rebind first");
    fd = connect_via("rebind.test:7000", resp, sizeof resp);
    CHECK(fd < 0 && refused_with(resp, "blocked-range:127.0.0.0/8"),
          "rebind second: %.200s", resp);
    if (fd >= 0)
        close(fd);
    /* An answer with a TTL is reused for it (a package manager's burst
     * asks once): the second CONNECT dials the first, checked answer,
     * though the server would now say loopback. */
    check_connects("sticky.test:7000", "cached first");
    check_connects("sticky.test:7000", "cached second, within the TTL");
    /* Through an allowed tunnel the tool speaks to the host it named,
     * nothing else: a CONNECT inside it is just bytes to the echo. */
    fd = connect_via("pub.test:7000", resp, sizeof resp);
    if (fd >= 0) {
        send_str(fd, "CONNECT evil.test:7000 HTTP/1.1\r\n\r\n");
        char back[64] = "";
        ssize_t n = read(fd, back, 9);
        CHECK(n == 9 && memcmp(back, "CONNECT e", 9) == 0, "tunnel is opaque");
        close(fd);
    }
}

/* Hostile stalls: each must leave the proxy idle, never spinning. */
static void check_stalls(void)
{
    char resp[2048];
    CHECK(proxy_quiet(), "the proxy is idle to begin with");
    /* An upstream that sent everything and closed, to a client that
     * half-closed and reads nothing: the upstream socket hangs up with
     * bytes still queued for the client (how many fit where depends on
     * the kernel's buffers: a few sizes). */
    static const size_t sizes[] = {1u << 20, 2u << 20, 3u << 20, 4u << 20, 6u << 20};
    int fds[5];
    for (size_t k = 0; k < 5; k++) {
        int fd = fds[k] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int small = 4096;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(3128)};
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "dial the proxy");
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        send_str(fd, "CONNECT pub.test:7001 HTTP/1.1\r\nHost: pub.test:7001\r\n\r\n");
        read_head(fd, resp, sizeof resp);
        CHECK(strncmp(resp, "HTTP/1.1 200", 12) == 0, "CONNECT to the blaster: %s", resp);
        char n[32];
        snprintf(n, sizeof n, "%zu\n", sizes[k]);
        send_str(fd, n);
        shutdown(fd, SHUT_WR);
    }
    usleep(500000);
    CHECK(proxy_quiet(), "no spin: upstream hung up, client not reading");
    /* ... and then reset, with those bytes unread: the proxy's next
     * splice to them must not raise SIGPIPE in it. */
    for (size_t k = 0; k < 5; k++)
        close(fds[k]);
    /* A download the client half-closed, then abandons mid-stream: the
     * reset lands on a socket in CLOSE_WAIT (EPIPE, not ECONNRESET)
     * while the proxy is splicing into it. */
    for (int k = 0; k < 20; k++) {
        int fd = connect_via("pub.test:7001", resp, sizeof resp);
        if (fd < 0)
            break;
        send_str(fd, "67108864\n");
        shutdown(fd, SHUT_WR);
        char buf[65536];
        for (size_t got = 0; got < (size_t)k * 65536;) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(fd);
    }
    usleep(300000);
    siginfo_t si = {0};
    CHECK(waitid(P_PID, (id_t)proxy_pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
              si.si_pid == 0,
          "the proxy survives clients that reset (signal %d)", si.si_status);
    CHECK(proxy_quiet(), "the proxy is idle at the end");
}

static char *slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    static char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static char audit_path[128];

static int count_closes(void)
{
    char *log = slurp(audit_path);
    int n = 0;
    for (char *p = log; p && (p = strstr(p, "\"event\":\"close\"")); p++)
        n++;
    return n;
}

static void check_http(void)
{
    int fd = dial_proxy();
    /* Two requests on one connection: the second (another host) must
     * never reach the upstream, which may host that name too. */
    send_str(fd, "GET http://pub.test:8080/a?q=secret HTTP/1.1\r\n"
                 "Host: pub.test:8080\r\nProxy-Authorization: Basic eDp5\r\n"
                 "X-Keep: 1\r\n\r\n"
                 "GET http://evil.test:8080/b HTTP/1.1\r\nHost: evil.test:8080\r\n\r\n");
    /* ... and one more once the first is on its way (the upstream is
     * still reading, for 300 ms). */
    usleep(100000);
    send_str(fd, "GET http://evil.test:8080/c HTTP/1.1\r\nHost: evil.test:8080\r\n\r\n");
    char resp[2048];
    read_head(fd, resp, sizeof resp);
    CHECK(strncmp(resp, "HTTP/1.1 200", 12) == 0, "plain GET: %s", resp);
    char body[8] = "";
    CHECK(read(fd, body, 2) == 2 && memcmp(body, "ok", 2) == 0, "body");
    CHECK(read(fd, body, 1) == 0, "connection closed after one response");
    close(fd);
    usleep(400000);
    char path[128];
    snprintf(path, sizeof path, "%s/http.0", dir);
    char *seen = slurp(path);
    CHECK(seen && strncmp(seen, "GET /a?q=secret HTTP/1.1\r\n", 26) == 0,
          "upstream got origin-form: %.100s", seen ? seen : "(nothing)");
    CHECK(seen && !strstr(seen, "Proxy-Authorization"), "Proxy-Authorization stripped");
    CHECK(seen && strstr(seen, "X-Keep: 1\r\n"), "other headers kept");
    CHECK(seen && !strstr(seen, "evil.test"), "second request not forwarded");

    /* A body that came whole with the head: once the response has
     * ended the connection is over, even if the client keeps its end
     * open (it must not wait for the idle timeout). */
    int before = count_closes();
    fd = dial_proxy();
    send_str(fd, "POST http://pub.test:8080/p HTTP/1.1\r\nHost: pub.test:8080\r\n"
                 "Content-Length: 5\r\n\r\nhello");
    read_head(fd, resp, sizeof resp);
    CHECK(strncmp(resp, "HTTP/1.1 200", 12) == 0, "POST: %s", resp);
    CHECK(read(fd, body, 2) == 2 && read(fd, body, 1) == 0, "POST response, then EOF");
    usleep(500000);
    CHECK(count_closes() == before + 1, "POST with its body in the head: closed "
          "once the response ended (%d -> %d)", before, count_closes());
    close(fd);
    usleep(400000);
    snprintf(path, sizeof path, "%s/http.1", dir);
    seen = slurp(path);
    CHECK(seen && strstr(seen, "\r\n\r\nhello") && !strstr(seen, "hellohello"),
          "the POST body reached the upstream once: %.200s", seen ? seen : "(nothing)");

    static const struct {
        const char *req, *reason;
    } bad[] = {
        {"GET http://pub.test:8080/ HTTP/1.1\r\nHost: evil.test:8080\r\n\r\n",
         "host-mismatch"},
        {"GET /x HTTP/1.1\r\nHost: pub.test\r\n\r\n", "origin-form"},
        {"GET https://pub.test/ HTTP/1.1\r\nHost: pub.test\r\n\r\n", "https-url"},
        {"GET http://priv.test:8080/ HTTP/1.1\r\nHost: priv.test:8080\r\n\r\n",
         "blocked-range:10.0.0.0/8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fd = dial_proxy();
        send_str(fd, bad[i].req);
        read_head(fd, resp, sizeof resp);
        CHECK(strstr(resp, bad[i].reason) && strncmp(resp, "HTTP/1.1 200", 12) != 0,
              "%s: want %s, got %.200s", bad[i].req, bad[i].reason, resp);
        close(fd);
    }
}

static int socks5_via(const uint8_t *req, size_t len, uint8_t *rep)
{
    int fd = dial_proxy();
    const uint8_t hello[] = {5, 1, 0};
    if (write(fd, hello, 3) != 3 || read(fd, rep, 2) != 2 || rep[1] != 0) {
        close(fd);
        return -1;
    }
    if (write(fd, req, len) != (ssize_t)len || read(fd, rep, 10) != 10) {
        close(fd);
        return -1;
    }
    if (rep[1] != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void check_socks5(void)
{
    uint8_t rep[16];
    uint8_t dom[64] = {5, 1, 0, 3, 8};
    memcpy(dom + 5, "pub.test", 8);
    dom[13] = 7000 >> 8;
    dom[14] = 7000 & 0xff;
    int fd = socks5_via(dom, 15, rep);
    CHECK(fd >= 0, "SOCKS5 domain CONNECT");
    if (fd >= 0) {
        CHECK(echo_intact(fd, 50000), "SOCKS5 tunnel echo");
        close(fd);
    }
    memcpy(dom + 5, "priv.test", 9);
    dom[4] = 9;
    dom[14] = 7000 >> 8;
    dom[15] = 7000 & 0xff;
    fd = socks5_via(dom, 16, rep);
    CHECK(fd < 0 && rep[1] == 0x02, "SOCKS5 private: REP %u", rep[1]);
    const uint8_t v4[] = {5, 1, 0, 1, 203, 0, 113, 5, 7000 >> 8, 7000 & 0xff};
    fd = socks5_via(v4, sizeof v4, rep);
    CHECK(fd < 0 && rep[1] == 0x02, "SOCKS5 IPv4 literal refused: REP %u", rep[1]);
    const uint8_t bind[] = {5, 2, 0, 3, 8, 'p', 'u', 'b', '.', 't', 'e', 's', 't', 0, 80};
    fd = socks5_via(bind, sizeof bind, rep);
    CHECK(fd < 0 && rep[1] == 0x07, "SOCKS5 BIND refused: REP %u", rep[1]);
}

static void check_audit(const char *path)
{
    char *log = slurp(path);
    CHECK(log && strstr(log, "\"reason\":\"blocked-range:10.0.0.0/8\""),
          "audit names the blocked range");
    CHECK(log && strstr(log, "\"dialed\":\"203.0.113.5\""), "audit names the dialled address");
    CHECK(log && strstr(log, "\"event\":\"close\""), "audit closes connections");
    CHECK(log && !strstr(log, "secret") && !strstr(log, "eDp5"),
          "no query string or credential in the audit log");
}

static void scenario(void)
{
    netns_setup();
    pid_t kids[5];
    kids[0] = start(echo_server, listen_on("0.0.0.0", 7000, SOCK_STREAM));
    kids[1] = start(http_server, listen_on("0.0.0.0", 8080, SOCK_STREAM));
    kids[2] = start(dns_server, listen_on("127.0.0.53", 53, SOCK_DGRAM));
    kids[4] = start(blast_server, listen_on("0.0.0.0", 7001, SOCK_STREAM));

    static struct net_allow allow[4];
    net_allow_parse("pub.test:*", &allow[0]);
    net_allow_parse("*.wild.test:*", &allow[1]);
    net_allow_parse("priv.test:*", &allow[2]);
    net_allow_parse("meta.test:7000", &allow[3]);
    static struct net_allow more[3];
    net_allow_parse("self.test:*", &more[0]);
    net_allow_parse("rebind.test:*", &more[1]);
    net_allow_parse("lossy.test:*", &more[2]);
    static struct net_allow all[8];
    memcpy(all, allow, sizeof allow);
    memcpy(all + 4, more, 3 * sizeof *more);
    net_allow_parse("sticky.test:*", &all[7]);
    static struct net_addr host;
    net_addr_parse("198.18.0.1", &host);
    char *audit = audit_path;
    snprintf(audit, sizeof audit_path, "%s/egress.jsonl", dir);
    coco_err err = {0};
    int afd = egress_audit_open(audit, &err);
    static int lfd, dnsq;
    lfd = listen_on("127.0.0.1", 3128, SOCK_STREAM);
    struct sockaddr_un su = {.sun_family = AF_UNIX};
    snprintf(su.sun_path, sizeof su.sun_path, "%s/dns.sock", dir);
    dnsq = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (dnsq < 0 || bind(dnsq, (struct sockaddr *)&su, sizeof su) < 0 ||
        listen(dnsq, 128) < 0)
        _exit(91);
    int stop[2];
    if (pipe(stop) < 0)
        _exit(93);
    static struct egress_proxy_cfg cfg;
    cfg.rules = (struct egress_rules){.mode = NET_ALLOWED, .allow = all,
                                      .n_allow = 8, .host_addrs = &host,
                                      .n_host = 1};
    cfg.audit = (struct egress_audit_ctx){.fd = afd, .run_id = "t",
                                          .tool = "test", .backend = "test"};
    cfg.confine = CAN_CONFINE;
    cfg.listen_fds = &lfd;
    cfg.n_listen = 1;
    cfg.stop_fd = stop[0];
    net_addr_parse("127.0.0.53", &cfg.dns[0]);
    cfg.n_dns = 1;
    proxy_cfg = &cfg;
    kids[3] = start(proxy_main, stop[1]);
    proxy_pid = kids[3];
    close(lfd);
    close(stop[0]);

    check_connect();
    check_http();
    check_socks5();
    check_stalls();

    /* Fail closed: with the proxy gone, nothing answers. */
    close(stop[1]);
    int st;
    CHECK(waitpid(kids[3], &st, 0) == kids[3] && WIFEXITED(st) &&
              WEXITSTATUS(st) == 0, "the proxy stops when told (status 0x%x)", st);
    CHECK(dial_proxy() < 0, "no proxy, no connection");
    close(afd);
    check_audit(audit);
    for (int i = 0; i < 5; i++) {
        if (i == 3)
            continue;
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    _exit(failures ? 1 : 0);
}

static void test_proxy(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/coco-test-proxy-XXXXXX");
    assert_non_null(mkdtemp(dir));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        scenario();
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    char cmd[128];
    for (int k = 0; k < 8; k++) {
        snprintf(cmd, sizeof cmd, "%s/http.%d", dir, k);
        unlink(cmd);
    }
    snprintf(cmd, sizeof cmd, "%s/egress.jsonl", dir);
    unlink(cmd);
    rmdir(dir);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* --- transparent capture and the DNS stub ----------------------------
 *
 * Two namespaces, as in a run: the "sandbox" (ns_b) with a local default
 * route for IPv4 and IPv6, where the transparent listeners and the
 * stub's sockets are made and the tool's sockets live; the "host"
 * (ns_a, also with a local default route) with the upstream echo
 * servers and the proxies.  A sandbox socket is made by stepping into
 * ns_b and back. */

static int ns_a = -1, ns_b = -1;

static void enter(int ns)
{
    if (setns(ns, CLONE_NEWNET) < 0) {
        perror("setns");
        _exit(94);
    }
}

static int sandbox_socket(int family, int type)
{
    enter(ns_b);
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    enter(ns_a);
    return fd;
}

/* A and PORT as a socket address. */
static socklen_t sockaddr_of(const char *ip, int port, struct sockaddr_storage *ss)
{
    struct net_addr a;
    memset(ss, 0, sizeof *ss);
    if (net_addr_parse(ip, &a) != 1)
        _exit(95);
    if (a.family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        memcpy(&s4->sin_addr, a.b, 4);
        return sizeof *s4;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    memcpy(&s6->sin6_addr, a.b, 16);
    return sizeof *s6;
}

/* In the sandbox: [::]:PORT, TYPE, dual-stack unless V6ONLY. */
static int sandbox_listen6(int port, int type, int v6only)
{
    int fd = sandbox_socket(AF_INET6, type);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
                              .sin6_port = htons((uint16_t)port)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        (type == SOCK_STREAM && listen(fd, 16) < 0)) {
        perror("bind in the sandbox");
        _exit(96);
    }
    return fd;
}

/* The tool connects to IP:PORT from the sandbox: the socket, or -1. */
static int tool_dial(const char *ip, int port)
{
    struct sockaddr_storage ss;
    socklen_t sl = sockaddr_of(ip, port, &ss);
    int fd = sandbox_socket(ss.ss_family, SOCK_STREAM);
    if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {.tv_sec = 3};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* True when the proxy ended the tool's connection (a reset or EOF)
 * without a byte, rather than leaving it open. */
static bool tool_cut_off(const char *ip, int port)
{
    int fd = tool_dial(ip, port);
    if (fd < 0)
        return true;
    char b;
    errno = 0;
    ssize_t n = read(fd, &b, 1);
    bool cut = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    close(fd);
    return cut;
}

/* The tool asks the stub at SERVER (port 53) for NAME, QTYPE, from a
 * socket connected to SERVER (which takes replies from SERVER only):
 * the rcode with the addresses in OUT[0..*N), or -1 with no reply in
 * half a second. */
static int tool_ask(const char *server, const char *name, uint16_t qtype,
                    struct net_addr *out, size_t *n)
{
    struct sockaddr_storage ss;
    socklen_t sl = sockaddr_of(server, 53, &ss);
    int fd = sandbox_socket(ss.ss_family, SOCK_DGRAM);
    struct timeval tv = {.tv_usec = 500000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    *n = 0;
    uint8_t q[512], r[1500];
    static uint16_t id = 0x4200;
    id++;
    int ql = dns_build_query(q, sizeof q, id, name, qtype);
    int rc = -1;
    if (ql > 0 && connect(fd, (struct sockaddr *)&ss, sl) == 0 &&
        send(fd, q, (size_t)ql, 0) == ql) {
        ssize_t rl = recv(fd, r, sizeof r, 0);
        struct dns_answer_info info;
        if (rl > 0 &&
            dns_parse_answer(r, (size_t)rl, id, name, qtype, out, 8, n, &info) == 0)
            rc = info.rcode;
    }
    close(fd);
    return rc;
}

/* The rcode of the stub's reply to raw bytes Q (LEN), or -1 for none. */
static int tool_send_raw(const uint8_t *q, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sockaddr_of("10.9.9.9", 53, &ss);
    int fd = sandbox_socket(AF_INET, SOCK_DGRAM);
    struct timeval tv = {.tv_usec = 300000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint8_t r[1500];
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&ss, sl) == 0 &&
        send(fd, q, len, 0) == (ssize_t)len) {
        ssize_t rl = recv(fd, r, sizeof r, 0);
        if (rl >= 12)
            rc = r[3] & 0x0f;
    }
    close(fd);
    return rc;
}

/* True when one line of the audit log holds every one of the (up to
 * four, NULL-ended) strings. */
static bool audit_line(const char *a, const char *b, const char *c, const char *d)
{
    int fd = open(audit_path, O_RDONLY);
    if (fd < 0)
        return false;
    size_t cap = 1 << 16, len = 0;
    char *log = malloc(cap);
    ssize_t n;
    while (log && (n = read(fd, log + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (len + 1 == cap)
            log = realloc(log, cap *= 2);
    }
    close(fd);
    if (!log)
        return false;
    log[len] = '\0';
    bool found = false;
    for (char *line = log; !found && line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        found = strstr(line, a) && (!b || strstr(line, b)) &&
                (!c || strstr(line, c)) && (!d || strstr(line, d));
        line = end ? end + 1 : NULL;
    }
    free(log);
    return found;
}

static char fake_tp[INET6_ADDRSTRLEN];  /* tp.test's fake address */

static void check_stub(void)
{
    struct net_addr a[8], b[8], c[8];
    size_t n = 0, nb = 0, nc = 0;
    int rc = tool_ask("10.9.9.9", "tp.test", DNS_TYPE_A, a, &n);
    CHECK(rc == DNS_RCODE_NOERROR && n == 1 && a[0].family == AF_INET &&
              a[0].b[0] == 198 && (a[0].b[1] & 0xfe) == 18,
          "stub: A tp.test: rcode %d, %zu answers", rc, n);
    if (n)
        net_addr_format(&a[0], fake_tp, sizeof fake_tp);
    /* From wherever it was asked: the reply comes from that address. */
    rc = tool_ask("127.0.0.53", "tp.test", DNS_TYPE_A, b, &nb);
    CHECK(rc == DNS_RCODE_NOERROR && nb == 1 && n == 1 &&
              memcmp(a[0].b, b[0].b, 4) == 0,
          "stub at 127.0.0.53: same name, same address (rcode %d)", rc);
    rc = tool_ask("::1", "tp.test", DNS_TYPE_A, b, &nb);
    CHECK(rc == DNS_RCODE_NOERROR && nb == 1 && n == 1 &&
              memcmp(a[0].b, b[0].b, 4) == 0,
          "stub at ::1: same address (rcode %d)", rc);
    /* An address on no interface: IPv6 replies from it only with
     * FREEBIND. */
    rc = tool_ask("2001:db8::53", "TP.test", DNS_TYPE_A, b, &nb);
    CHECK(rc == DNS_RCODE_NOERROR && nb == 1 && n == 1 &&
              memcmp(a[0].b, b[0].b, 4) == 0,
          "stub over IPv6, case folded: same address (rcode %d)", rc);
    rc = tool_ask("10.9.9.9", "tp2.test", DNS_TYPE_A, c, &nc);
    CHECK(rc == DNS_RCODE_NOERROR && nc == 1 && n == 1 &&
              memcmp(a[0].b, c[0].b, 4) != 0,
          "stub: two names, two addresses (rcode %d)", rc);
    rc = tool_ask("10.9.9.9", "tp.test", DNS_TYPE_AAAA, b, &nb);
    CHECK(rc == DNS_RCODE_NOERROR && nb == 0, "stub: AAAA NOERROR, no answer "
          "(rcode %d, %zu)", rc, nb);
    rc = tool_ask("10.9.9.9", "evil.test", DNS_TYPE_A, b, &nb);
    CHECK(rc == DNS_RCODE_REFUSED && nb == 0, "stub: other name refused (%d)", rc);
    rc = tool_ask("10.9.9.9", "x.tp.test", DNS_TYPE_A, b, &nb);
    CHECK(rc == DNS_RCODE_REFUSED, "stub: a subdomain is another name (%d)", rc);
    rc = tool_ask("10.9.9.9", "_x.tp.test", DNS_TYPE_A, b, &nb);
    CHECK(rc == DNS_RCODE_REFUSED, "stub: no host name, refused (%d)", rc);
    /* Malformed: a header without a question gets FORMERR, less than a
     * header nothing. */
    const uint8_t noq[12] = {0x12, 0x34, 0x01, 0x00};
    rc = tool_send_raw(noq, sizeof noq);
    CHECK(rc == DNS_RCODE_FORMERR, "stub: no question: rcode %d", rc);
    rc = tool_send_raw(noq, 5);
    CHECK(rc == -1, "stub: a short datagram gets no reply (%d)", rc);
    CHECK(audit_line("\"how\":\"dns\"", "\"host\":\"tp.test\"",
                     "\"verdict\":\"allow\"", NULL),
          "audit: an allowed lookup");
    CHECK(audit_line("\"how\":\"dns\"", "\"requested\":\"evil.test\"",
                     "\"reason\":\"dns-not-allowlisted\"", NULL),
          "audit: a refused lookup");
}

static void check_transparent(void)
{
    int fd = tool_dial(fake_tp, 7100);
    CHECK(fd >= 0, "transparent: dial tp.test's fake %s", fake_tp);
    if (fd >= 0) {
        CHECK(echo_intact(fd, 1u << 20), "transparent: 1 MiB each way to tp.test");
        close(fd);
    }
    char req[64];
    snprintf(req, sizeof req, "\"requested\":\"%s\"", fake_tp);
    CHECK(audit_line("\"how\":\"transparent\"", req, "\"host\":\"tp.test\"",
                     "\"dialed\":\"203.0.113.5\""),
          "audit: the fake address decided as tp.test and dialled");
    static const struct {
        const char *ip;
        int port;
        const char *reason;
    } refused[] = {
        {"198.18.200.200", 7100, "ip-literal-not-allowlisted"},  /* not handed out */
        {"198.18.200.200", 7102, "blocked-range:198.18.0.0/15"}, /* NET_FULL */
        {"10.1.2.3", 7100, "ip-literal-not-allowlisted"},
        {"10.1.2.3", 7102, "blocked-range:10.0.0.0/8"},
        {"198.51.100.7", 7100, "ip-literal-not-allowlisted"},
        {NULL, 7101, "not-allowlisted"},  /* tp.test, on a port not listed */
        {"::1", 7102, "blocked-range:::1/128"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *ip = refused[i].ip ? refused[i].ip : fake_tp;
        CHECK(tool_cut_off(ip, refused[i].port), "transparent %s:%d: cut off",
              ip, refused[i].port);
        char r1[64], r2[96];
        snprintf(r1, sizeof r1, "\"requested\":\"%s\"", ip);
        snprintf(r2, sizeof r2, "\"reason\":\"%s\"", refused[i].reason);
        CHECK(audit_line("\"how\":\"transparent\"", r1, r2, "\"verdict\":\"deny\""),
              "audit: transparent %s:%d refused as %s", ip, refused[i].port,
              refused[i].reason);
    }
    /* NET_FULL dials any public address. */
    fd = tool_dial("198.51.100.7", 7102);
    CHECK(fd >= 0, "transparent (full): dial 198.51.100.7");
    if (fd >= 0) {
        CHECK(echo_intact(fd, 100000), "transparent (full): public literal dialled");
        close(fd);
    }
}

/* NET_FULL's stub: any host name, and only host names. */
static void check_stub_full(void)
{
    struct net_addr a[8];
    size_t n;
    int rc = tool_ask("127.0.0.54", "anything.example", DNS_TYPE_A, a, &n);
    CHECK(rc == DNS_RCODE_NOERROR && n == 1, "full stub: any name (rcode %d)", rc);
    static const char *odd[] = {"_sip._tcp.example", "1.2.3.4", "a.-b.example"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        rc = tool_ask("127.0.0.54", odd[i], DNS_TYPE_A, a, &n);
        CHECK(rc == DNS_RCODE_REFUSED, "full stub: %s refused (rcode %d)", odd[i], rc);
    }
}

/* A proxy variable with the stub's address in it: decided as the name. */
static void check_fake_literals(void)
{
    char resp[2048], hp[64];
    snprintf(hp, sizeof hp, "%s:7100", fake_tp);
    int fd = connect_via(hp, resp, sizeof resp);
    CHECK(fd >= 0, "CONNECT to tp.test's fake address: %.200s", resp);
    if (fd >= 0) {
        CHECK(echo_intact(fd, 50000), "CONNECT to the fake address: echo");
        close(fd);
    }
    char req[64];
    snprintf(req, sizeof req, "\"requested\":\"%s\"", fake_tp);
    CHECK(audit_line("\"how\":\"connect\"", req, "\"host\":\"tp.test\"",
                     "\"verdict\":\"allow\""),
          "audit: CONNECT keeps what the tool wrote, decides the name");
    fd = connect_via("198.18.200.200:7100", resp, sizeof resp);
    CHECK(fd < 0 && refused_with(resp, "ip-literal-not-allowlisted"),
          "CONNECT to a fake address not handed out: %.200s", resp);
    if (fd >= 0)
        close(fd);
    struct net_addr a;
    net_addr_parse(fake_tp, &a);
    const uint8_t v4[] = {5, 1, 0, 1, a.b[0], a.b[1], a.b[2], a.b[3],
                          7100 >> 8, 7100 & 0xff};
    uint8_t rep[16];
    fd = socks5_via(v4, sizeof v4, rep);
    CHECK(fd >= 0, "SOCKS5 to tp.test's fake address: REP %u", rep[1]);
    if (fd >= 0) {
        CHECK(echo_intact(fd, 50000), "SOCKS5 to the fake address: echo");
        close(fd);
    }
    /* Plain HTTP: the echo server sends the forwarded head back. */
    fd = dial_proxy();
    char get[256];
    snprintf(get, sizeof get, "GET http://%s/x HTTP/1.1\r\nHost: %s\r\n\r\n", hp, hp);
    send_str(fd, get);
    read_head(fd, resp, sizeof resp);
    CHECK(strncmp(resp, "GET /x HTTP/1.1\r\n", 17) == 0,
          "plain HTTP to the fake address reached tp.test: %.200s", resp);
    close(fd);
}

/* The table is full: SERVFAIL, and the audit log says why. */
static void check_fake_full(void)
{
    int rc = DNS_RCODE_NOERROR;
    size_t k;
    for (k = 0; k < DNS_FAKE_MAX + 2 && rc == DNS_RCODE_NOERROR; k++) {
        char name[64];
        snprintf(name, sizeof name, "n%zu.many.test", k);
        struct net_addr a[8];
        size_t n;
        rc = tool_ask("10.9.9.9", name, DNS_TYPE_A, a, &n);
    }
    /* tp.test and tp2.test hold two entries already. */
    CHECK(rc == DNS_RCODE_SERVFAIL && k == DNS_FAKE_MAX - 1,
          "a full table: SERVFAIL at name %zu (rcode %d)", k, rc);
    char req[64];
    snprintf(req, sizeof req, "\"requested\":\"n%zu.many.test\"", k - 1);
    CHECK(audit_line("\"how\":\"dns\"", req, "\"reason\":\"dns-fake-table-full\"",
                     NULL),
          "audit: dns-fake-table-full");
}

/* --- the stub over the container relay's unix socket ------------------
 * podman and docker's relay opens one SOCK_SEQPACKET connection to
 * dns.sock per query.  The test is the relay, and a hostile one. */

#define DNSQ_CAP 4     /* the scenario's max_dns_conns */
#define DNSQ_MS 400    /* and dns_conn_ms */

static int dnsq_dial(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/dns.sock", dir);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* What the proxy does with one packet Q (LEN bytes) on a fresh
 * connection: the reply's length in R (CAP), 0 when it closed without
 * one, -1 when it did neither in 2 s (or the dial failed). */
static ssize_t dnsq_packet(const void *q, size_t len, uint8_t *r, size_t cap)
{
    int fd = dnsq_dial();
    if (fd < 0)
        return -1;
    ssize_t n = -1;
    if (send(fd, q, len, MSG_NOSIGNAL) == (ssize_t)len) {
        n = recv(fd, r, cap, 0);
        /* one packet, then the end */
        uint8_t more[16];
        if (n > 0 && recv(fd, more, sizeof more, 0) != 0)
            n = -2;
    }
    close(fd);
    return n < 0 ? -1 : n;
}

/* NAME, QTYPE asked over dns.sock: the rcode, the addresses in OUT. */
static int dnsq_ask(const char *name, uint16_t qtype, struct net_addr *out,
                    size_t *n)
{
    uint8_t q[512], r[1500];
    static uint16_t id = 0x5300;
    id++;
    *n = 0;
    int ql = dns_build_query(q, sizeof q, id, name, qtype);
    ssize_t rl = ql > 0 ? dnsq_packet(q, (size_t)ql, r, sizeof r) : -1;
    struct dns_answer_info info;
    if (rl > 0 &&
        dns_parse_answer(r, (size_t)rl, id, name, qtype, out, 8, n, &info) == 0)
        return info.rcode;
    return -1;
}

/* True when the proxy closes FD (reads end of file) within MS. */
static bool closed_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return false;
    uint8_t b[16];
    return recv(fd, b, sizeof b, MSG_DONTWAIT) == 0;
}

static void check_dns_conn(void)
{
    struct net_addr a[8];
    size_t n = 0;
    int rc = dnsq_ask("tp.test", DNS_TYPE_A, a, &n);
    char got[INET6_ADDRSTRLEN] = "";
    if (n)
        net_addr_format(&a[0], got, sizeof got);
    CHECK(rc == DNS_RCODE_NOERROR && n == 1 && strcmp(got, fake_tp) == 0,
          "dns.sock: A tp.test is the stub's fake %s (rcode %d, %s)", fake_tp,
          rc, got);
    rc = dnsq_ask("tp.test", DNS_TYPE_AAAA, a, &n);
    CHECK(rc == DNS_RCODE_NOERROR && n == 0, "dns.sock: AAAA, no answer (%d)", rc);
    rc = dnsq_ask("relay-evil.test", DNS_TYPE_A, a, &n);
    CHECK(rc == DNS_RCODE_REFUSED && n == 0, "dns.sock: other name refused (%d)",
          rc);
    CHECK(audit_line("\"how\":\"dns\"", "\"requested\":\"relay-evil.test\"",
                     "\"reason\":\"dns-not-allowlisted\"", NULL),
          "audit: the relay's refused lookup, how dns");

    /* Garbage: less than a header gets no reply, just the close; a
     * header without a question FORMERR, like a datagram. */
    uint8_t r[1500];
    CHECK(dnsq_packet("\x12\x34\x01", 3, r, sizeof r) == 0,
          "dns.sock: 3 bytes: closed, no reply");
    const uint8_t noq[12] = {0x12, 0x34, 0x01, 0x00};
    ssize_t rl = dnsq_packet(noq, sizeof noq, r, sizeof r);
    CHECK(rl >= 12 && (r[3] & 0x0f) == DNS_RCODE_FORMERR,
          "dns.sock: no question: FORMERR (%zd)", rl);
    /* A huge packet: a valid query, then 60 KiB more.  Cut to what the
     * stub reads, answered as the query it starts with, never more
     * than 512 bytes back. */
    static uint8_t big[61440];
    memset(big, 'A', sizeof big);
    int ql = dns_build_query(big, sizeof big, 0x7777, "tp.test", DNS_TYPE_A);
    rl = dnsq_packet(big, sizeof big, r, sizeof r);
    CHECK(ql > 0 && rl >= 12 && rl <= 512 && r[0] == 0x77,
          "dns.sock: 60 KiB packet: one short reply (%zd)", rl);
    /* An empty packet reads as end of file: closed. */
    CHECK(dnsq_packet("", 0, r, sizeof r) == 0, "dns.sock: empty packet: closed");
    /* A client that hangs up before the answer is no matter. */
    int fd = dnsq_dial();
    if (fd >= 0) {
        uint8_t q[512];
        int l = dns_build_query(q, sizeof q, 1, "tp.test", DNS_TYPE_A);
        send(fd, q, (size_t)l, MSG_NOSIGNAL);
        close(fd);
    }

    /* Never sending, as many as it may: the cap holds, the next one is
     * closed at once, and the silent ones go at the deadline. */
    int idle[DNSQ_CAP];
    for (int k = 0; k < DNSQ_CAP; k++)
        idle[k] = dnsq_dial();
    usleep(100000);  /* all accepted */
    int extra = dnsq_dial();
    CHECK(extra >= 0 && closed_within(extra, 300),
          "dns.sock: past the cap (%d): closed at once", DNSQ_CAP);
    if (extra >= 0)
        close(extra);
    /* The tunnels' side is untouched by DNS at its cap. */
    int t = dial_proxy();
    CHECK(t >= 0 && send_str(t, "CONNECT 10.1.1.1:80 HTTP/1.1\r\n\r\n"),
          "the proxy serves its HTTP listener with DNS at its cap");
    if (t >= 0) {
        char head[512];
        read_head(t, head, sizeof head);
        CHECK(strstr(head, " 403 ") != NULL, "... and answers it: %s", head);
        close(t);
    }
    bool all = true;
    for (int k = 0; k < DNSQ_CAP; k++) {
        all = all && idle[k] >= 0 && closed_within(idle[k], DNSQ_MS + 1000);
        if (idle[k] >= 0)
            close(idle[k]);
    }
    CHECK(all, "dns.sock: silent connections closed after %d ms", DNSQ_MS);
    rc = dnsq_ask("tp.test", DNS_TYPE_A, a, &n);
    CHECK(rc == DNS_RCODE_NOERROR && n == 1, "dns.sock: answers again (%d)", rc);

    /* Many at once, each sending: every one is answered or closed, none
     * is left hanging, and the proxy idles afterwards. */
    int many[64], answered = 0, closed = 0;
    uint8_t q[512];
    int l = dns_build_query(q, sizeof q, 9, "tp.test", DNS_TYPE_A);
    for (int k = 0; k < 64; k++) {
        many[k] = dnsq_dial();
        if (many[k] >= 0)
            send(many[k], q, (size_t)l, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    for (int k = 0; k < 64; k++) {
        if (many[k] < 0) {
            closed++;  /* the backlog was full: refused, the same */
            continue;
        }
        ssize_t g = recv(many[k], r, sizeof r, 0);
        if (g > 0)
            answered++;
        else if (g == 0)
            closed++;
        close(many[k]);
    }
    CHECK(answered + closed == 64 && answered > 0,
          "dns.sock: 64 at once: %d answered, %d closed", answered, closed);
    CHECK(proxy_quiet(), "the proxy idles after the DNS flood");
}

static void transparent_scenario(void)
{
    netns_setup();
    ns_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns_a < 0 || unshare(CLONE_NEWNET) < 0)
        _exit(97);
    coco_err err = {0};
    if (net_lo_up(&err) < 0 || net_local_default_route(AF_INET, &err) < 0 ||
        net_local_default_route(AF_INET6, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        _exit(98);
    }
    ns_b = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    enter(ns_a);
    /* The sandbox's side: capture on 7100 (allowed for tp.test), 7101
     * (not), 7102 (a NET_FULL proxy's), and the stub on port 53. */
    static int tfds[2], tfull, stub[2], stub_full;
    tfds[0] = sandbox_listen6(7100, SOCK_STREAM, 0);
    tfds[1] = sandbox_listen6(7101, SOCK_STREAM, 0);
    tfull = sandbox_listen6(7102, SOCK_STREAM, 0);
    enter(ns_b);
    stub[0] = listen_on("0.0.0.0", 53, SOCK_DGRAM);
    stub_full = listen_on("127.0.0.54", 53, SOCK_DGRAM);  /* the NET_FULL run's */
    enter(ns_a);
    stub[1] = sandbox_listen6(53, SOCK_DGRAM, 1);

    pid_t kids[4];
    kids[0] = start(echo_server, listen_on("0.0.0.0", 7100, SOCK_STREAM));
    kids[1] = start(echo_server, listen_on("0.0.0.0", 7102, SOCK_STREAM));

    static struct net_allow allow[3];
    net_allow_parse("tp.test:7100", &allow[0]);
    net_allow_parse("tp2.test:7100", &allow[1]);
    net_allow_parse("*.many.test:7100", &allow[2]);
    static const char hosts[] = "203.0.113.5 tp.test tp2.test\n";
    static struct dns_fake fake;
    dns_fake_init(&fake);
    snprintf(audit_path, sizeof audit_path, "%s/egress.jsonl", dir);
    int afd = egress_audit_open(audit_path, &err);
    static int lfd, dnsq;
    lfd = listen_on("127.0.0.1", 3128, SOCK_STREAM);
    struct sockaddr_un su = {.sun_family = AF_UNIX};
    snprintf(su.sun_path, sizeof su.sun_path, "%s/dns.sock", dir);
    dnsq = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (dnsq < 0 || bind(dnsq, (struct sockaddr *)&su, sizeof su) < 0 ||
        listen(dnsq, 128) < 0)
        _exit(91);
    int stop[2];
    if (pipe(stop) < 0)
        _exit(93);
    static struct egress_proxy_cfg cfg, full;
    cfg.rules = (struct egress_rules){.mode = NET_ALLOWED, .allow = allow,
                                      .n_allow = 3};
    cfg.audit = (struct egress_audit_ctx){.fd = afd, .run_id = "t",
                                          .tool = "test", .backend = "test"};
    cfg.confine = CAN_CONFINE;
    cfg.listen_fds = &lfd;
    cfg.n_listen = 1;
    cfg.transparent_fds = tfds;
    cfg.n_transparent = 2;
    cfg.dns_stub_fds = stub;
    cfg.n_dns_stub = 2;
    cfg.dns_conn_fds = &dnsq;
    cfg.n_dns_conn = 1;
    cfg.max_dns_conns = DNSQ_CAP;
    cfg.dns_conn_ms = DNSQ_MS;
    cfg.fake = &fake;
    cfg.stop_fd = stop[0];
    cfg.hosts_text = hosts;
    cfg.hosts_len = sizeof hosts - 1;
    full = cfg;
    full.rules = (struct egress_rules){.mode = NET_FULL};
    full.listen_fds = NULL;
    full.n_listen = 0;
    full.transparent_fds = &tfull;
    full.n_transparent = 1;
    full.dns_stub_fds = &stub_full;
    full.n_dns_stub = 1;
    full.dns_conn_fds = NULL;
    full.n_dns_conn = 0;
    proxy_cfg = &cfg;
    kids[2] = start(proxy_main, stop[1]);
    proxy_cfg = &full;
    kids[3] = start(proxy_main, stop[1]);
    proxy_pid = kids[2];
    close(lfd);
    close(dnsq);
    close(stop[0]);

    check_stub();
    check_dns_conn();
    check_stub_full();
    check_transparent();
    check_fake_literals();
    check_fake_full();

    close(stop[1]);
    for (int k = 2; k < 4; k++) {
        int st;
        CHECK(waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st) &&
                  WEXITSTATUS(st) == 0, "proxy %d stops when told (0x%x)", k, st);
    }
    close(afd);
    for (int k = 0; k < 2; k++) {
        kill(kids[k], SIGKILL);
        waitpid(kids[k], NULL, 0);
    }
    _exit(failures ? 1 : 0);
}

static void test_transparent(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/coco-test-proxy-XXXXXX");
    assert_non_null(mkdtemp(dir));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        transparent_scenario();
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    char path[128];
    snprintf(path, sizeof path, "%s/egress.jsonl", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/egress.jsonl.1", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/dns.sock", dir);
    unlink(path);
    rmdir(dir);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* The proxy's filter compiled into coco at build time is exactly what
 * libseccomp builds from confine.c's table now: a stale one fails here.
 * (Pure: runs under valgrind and ASan too.) */
static void test_confine_compiled(void **state)
{
    (void)state;
    if (RUNNING_ON_VALGRIND) {
        /* libseccomp probes the kernel's filter actions with seccomp(2),
         * which memcheck does not pass on: it cannot build a KILL_PROCESS
         * filter there.  The plain and ASan runs check it. */
        print_message("skipped under valgrind: libseccomp cannot probe "
                      "seccomp actions there\n");
        skip();
    }
    coco_err err = {0};
    int fd = memfd_create("bpf", MFD_CLOEXEC);
    assert_true(fd >= 0);
    if (egress_confine_export_fd(fd, &err) < 0)
        fail_msg("export: %s", err.msg);
    off_t size = lseek(fd, 0, SEEK_END);
    size_t len;
    const struct sock_filter *prog = egress_confine_compiled(&len);
    assert_true(len > 0);
    assert_int_equal((size_t)size, len * sizeof *prog);
    void *fresh = malloc((size_t)size);
    assert_int_equal(pread(fd, fresh, (size_t)size, 0), size);
    assert_memory_equal(fresh, prog, (size_t)size);
    free(fresh);
    close(fd);
}

/* In a child: confine, then try WHAT; the exit status or signal. */
static int confined(int what)
{
    pid_t pid = fork();
    if (pid == 0) {
        coco_err err = {0};
        if (egress_proxy_confine(&err) < 0)
            _exit(50);
        int r = -1;
        switch (what) {
        case 0: r = socket(AF_INET, SOCK_STREAM, 0); break;
        case 1: r = socket(AF_INET6, SOCK_DGRAM, 0); break;
        case 2: r = socket(AF_UNIX, SOCK_STREAM, 0); break;
        case 3: r = open("/etc/hostname", O_RDONLY); break;
        case 4: {
            char *argv[] = {"/bin/true", NULL};
            r = execv(argv[0], argv);
            break;
        }
        case 5: r = (int)fork(); break;
        case 6: r = socket(AF_NETLINK, SOCK_RAW, 0); break;
        }
        _exit(r >= 0 ? 0 : 51);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

static void test_confine(void **state)
{
    (void)state;
    if (!CAN_CONFINE) {
        printf("# skip: under valgrind or ASan, whose own system calls the "
               "proxy's filter would kill\n");
        skip();
    }
    assert_int_equal(confined(0), 0);
    assert_int_equal(confined(1), 0);
    /* The walls: each kills the process. */
    for (int w = 2; w <= 6; w++)
        if (confined(w) != -SIGSYS)
            fail_msg("case %d: got %d, want SIGSYS", w, confined(w));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proxy),
        cmocka_unit_test(test_transparent),
        cmocka_unit_test(test_confine),
        cmocka_unit_test(test_confine_compiled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
