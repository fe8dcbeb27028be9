/* egress_bench.c — what coco's egress proxy costs, measured in one run
 * inside a user + network namespace of its own (a local default route:
 * 203.0.113.5 is this namespace; no packet leaves the machine).
 *
 *   throughput  BYTES through a CONNECT tunnel vs straight to the sink
 *   latency     connect + first byte, N times, through the proxy (an IP
 *               literal in "full" mode: no DNS) vs direct; medians
 *   idle RSS    the proxy's resident memory holding IDLE open tunnels
 *
 * Built by `make bench/egress` (linked with coco's objects); run by
 * bench/egress.sh, which prints the figures README records. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "egress_bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int listen_on(const char *ip, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 2048) < 0)
        die("listen");
    return fd;
}

static int dial(const char *ip, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("connect");
    return fd;
}

/* Port 7000: read everything, then say "k" (the sink).  Port 7001:
 * answer one byte at once, then hold the connection (latency, idle). */
static void servers(int sink, int hold)
{
    if (fork() == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;) {
            int c = accept(sink, NULL, NULL);
            static char buf[1 << 20];
            while (read(c, buf, sizeof buf) > 0)
                ;
            if (write(c, "k", 1) < 0)
                break;
            close(c);
        }
        _exit(0);
    }
    if (fork() == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;) {
            int c = accept(hold, NULL, NULL);
            if (c >= 0 && write(c, "h", 1) < 0)
                close(c);
        }
    }
}

/* CONNECT through the proxy; the descriptor, tunnel standing. */
static int tunnel(int port)
{
    int fd = dial("127.0.0.1", 3128);
    char req[128], resp[256];
    int n = snprintf(req, sizeof req,
                     "CONNECT 203.0.113.5:%d HTTP/1.1\r\nHost: 203.0.113.5:%d\r\n\r\n",
                     port, port);
    if (write(fd, req, (size_t)n) != n)
        die("write CONNECT");
    size_t have = 0;
    while (have < sizeof resp - 1) {
        ssize_t r = read(fd, resp + have, 1);
        if (r <= 0)
            die("read CONNECT reply");
        have++;
        if (have >= 4 && memcmp(resp + have - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    if (strncmp(resp, "HTTP/1.1 200", 12) != 0) {
        resp[have] = '\0';
        fprintf(stderr, "egress_bench: CONNECT refused: %s\n", resp);
        exit(1);
    }
    return fd;
}

static double send_bytes(int fd, size_t total)
{
    static char buf[1 << 20];
    memset(buf, 'x', sizeof buf);
    double t0 = now_s();
    for (size_t sent = 0; sent < total;) {
        size_t k = total - sent < sizeof buf ? total - sent : sizeof buf;
        ssize_t w = write(fd, buf, k);
        if (w <= 0)
            die("write");
        sent += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    char k;
    if (read(fd, &k, 1) != 1)
        die("sink reply");
    double dt = now_s() - t0;
    close(fd);
    return dt;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_connect(bool via_proxy, int n)
{
    double *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++) {
        double t0 = now_s();
        int fd = via_proxy ? tunnel(7001) : dial("203.0.113.5", 7001);
        char h;
        if (read(fd, &h, 1) != 1)
            die("first byte");
        t[i] = now_s() - t0;
        close(fd);
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    double m = t[n / 2];
    free(t);
    return m;
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

int main(int argc, char **argv)
{
    size_t bytes = argc > 1 ? strtoull(argv[1], NULL, 10) : (1ull << 30);
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    int idle = argc > 3 ? atoi(argv[3]) : 1000;

    if (unshare(CLONE_NEWNET | (geteuid() ? CLONE_NEWUSER : 0)) < 0)
        die("unshare (user namespaces needed)");
    coco_err err = {0};
    struct net_addr lo;
    net_addr_parse("198.18.0.1", &lo);
    if (net_lo_up(&err) < 0 || net_local_default_route(AF_INET, &err) < 0 ||
        net_lo_add_addr(&lo, 32, &err) < 0) {
        fprintf(stderr, "egress_bench: %s\n", err.msg);
        return 1;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    servers(listen_on("0.0.0.0", 7000), listen_on("0.0.0.0", 7001));
    int lfd = listen_on("127.0.0.1", 3128);
    struct egress_proxy_cfg cfg = {
        .rules = {.mode = NET_FULL},
        .audit = {.fd = -1},
        .listen_fds = &lfd,
        .n_listen = 1,
        .stop_fd = -1,
        .max_conns = (unsigned)(idle + n) + 64,  /* held latency tunnels too */
        .confine = true,
    };
    pid_t proxy = fork();
    if (proxy == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (egress_proxy_run(&cfg, &err) < 0)
            fprintf(stderr, "egress_bench: proxy: %s\n", err.msg);
        _exit(1);
    }
    close(lfd);
    usleep(100000);

    /* Warm both paths, then measure them one after the other. */
    send_bytes(dial("203.0.113.5", 7000), 64u << 20);
    send_bytes(tunnel(7000), 64u << 20);
    double direct = send_bytes(dial("203.0.113.5", 7000), bytes);
    double proxied = send_bytes(tunnel(7000), bytes);
    double gb = (double)bytes / 1e9;
    printf("throughput  direct %.2f GB/s   through the proxy %.2f GB/s   "
           "ratio %.2f\n", gb / direct, gb / proxied, direct / proxied);

    long before = rss_kib(proxy);
    double cd = median_connect(false, n), cp = median_connect(true, n);
    printf("connect     direct %.3f ms   through the proxy %.3f ms   "
           "added %.3f ms (median of %d, no DNS)\n", cd * 1e3, cp * 1e3,
           (cp - cd) * 1e3, n);

    int *fds = calloc((size_t)idle, sizeof *fds);
    for (int i = 0; i < idle; i++) {
        fds[i] = tunnel(7001);
        char h;
        if (read(fds[i], &h, 1) != 1)
            die("idle tunnel");
    }
    long after = rss_kib(proxy);
    /* The latency phase's tunnels stay open too (its server never
     * closes): N + IDLE tunnels are held here. */
    printf("idle        proxy RSS %.1f MiB holding %d idle tunnels (%.1f MiB "
           "before any)\n", (double)after / 1024, idle + n,
           (double)before / 1024);
    for (int i = 0; i < idle; i++)
        close(fds[i]);
    free(fds);
    kill(proxy, SIGKILL);
    waitpid(proxy, NULL, 0);
    return 0;
}
