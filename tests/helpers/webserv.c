/* webserv.c — the egress tests' "internet": a tiny HTTP server that runs
 * inside a network namespace the test creates, listening on the test's
 * own addresses (a public-looking 198.51.100.x, a LAN 10.x, a fake
 * metadata 169.254.169.254, and IPv6 ones).  Every answer names the
 * address and port that took the connection, so a test sees exactly
 * which host a request reached, from the host side.
 *
 *   webserv SECONDS [MODE:]ADDR:PORT...      (ADDR a dotted quad or [v6])
 *
 * Prints "webserv: ready" once every listener is bound, then one line
 * per request it reads, "webserv: ADDR:PORT got REQUEST-LINE", so a test
 * can tell from its log whether a request ever arrived.  Modes:
 *
 *   (none)  answers "HTTP/1.0 200 OK" with the body "hello from
 *           ADDR:PORT\n" (after reading the request head, at most 8 KiB
 *           or 2 s), one connection at a time.  The path /redirect-lan
 *           is answered "302 Location: http://10.253.1.5/" instead.
 *   ka      keep-alive, and then some: HTTP/1.1 answers, and further
 *           requests on the same connection are read, logged and
 *           answered until the client closes, 8 requests, or 1 s passes
 *           without one — even after a "Connection: close", so the log
 *           shows every request whose bytes arrived.
 *   echo    a forked child echoes every byte until the client's
 *           half-close, then writes "EOF BYTES HASH\n" (HASH: FNV-1a 64
 *           of what it read, in hex), logs the same line and closes: a
 *           volume and half-close check judged from this side.
 *
 * Exits after SECONDS: never left running by a test that forgot it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addrspec.h"

#define MAX_LISTEN 32

enum mode { M_HELLO, M_KA, M_ECHO };

static int listen_on(const char *spec)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int family;
    if (addrspec_parse(spec, &ss, &sl, &family) < 0)
        return -1;
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
        perror(spec);
        return -1;
    }
    return fd;
}

/* The address and port that took connection C, as "ADDR:PORT". */
static void local_name(int c, char *out, size_t len)
{
    struct sockaddr_storage me;
    socklen_t ml = sizeof me;
    char addr[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(c, (struct sockaddr *)&me, &ml) == 0) {
        if (me.ss_family == AF_INET6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&me;
            inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
            port = ntohs(s6->sin6_port);
        } else {
            struct sockaddr_in *s4 = (struct sockaddr_in *)&me;
            inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
            port = ntohs(s4->sin_port);
        }
    }
    snprintf(out, len, "%s:%u", addr, port);
}

static void write_all(int c, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(c, p, n);
        if (w <= 0) {
            perror("write");
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Read one request head from C into BUF (with whatever follows it);
 * returns its length (0: none within WAIT_MS). */
static size_t read_head(int c, char *buf, size_t cap, size_t have, int wait_ms)
{
    size_t n = have;
    struct pollfd p = {.fd = c, .events = POLLIN};
    buf[n] = '\0';
    while (!strstr(buf, "\r\n\r\n") && n < cap - 1 && poll(&p, 1, wait_ms) > 0) {
        ssize_t r = read(c, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
    }
    return n;
}

static void serve(int c, enum mode mode)
{
    char buf[8192];
    char me[80];
    local_name(c, me, sizeof me);
    size_t n = 0;
    for (int req = 0; req < (mode == M_KA ? 8 : 1); req++) {
        n = read_head(c, buf, sizeof buf, n, req == 0 ? 2000 : 1000);
        if (n == 0)
            return;
        char *end = strstr(buf, "\r\n\r\n");
        size_t hl = end ? (size_t)(end - buf) + 4 : n;
        size_t ll = strcspn(buf, "\r\n");
        printf("webserv: %s got %.*s\n", me, (int)(ll < 200 ? ll : 200), buf);
        fflush(stdout);
        bool close_it = mode != M_KA || !end;
        char body[128], out[512];
        int bl = snprintf(body, sizeof body, "hello from %s\n", me);
        int ol;
        char *rd = strstr(buf, "/redirect-lan HTTP/");
        if (rd && rd < buf + ll)
            ol = snprintf(out, sizeof out, "HTTP/1.0 302 Found\r\nLocation: "
                          "http://10.253.1.5/\r\nContent-Length: 0\r\n"
                          "Connection: close\r\n\r\n");
        else
            ol = snprintf(out, sizeof out, "HTTP/1.%d 200 OK\r\nContent-Length: "
                          "%d\r\nConnection: %s\r\n\r\n%s", mode == M_KA,
                          bl, close_it ? "close" : "keep-alive", body);
        write_all(c, out, (size_t)ol);
        if (close_it)
            return;
        memmove(buf, buf + hl, n - hl);
        n -= hl;
    }
}

/* Echo C until its half-close; then the trailer.  In a child. */
static void echo(int c)
{
    char me[80];
    local_name(c, me, sizeof me);
    static char buf[1 << 16];
    uint64_t h = 1469598103934665603ULL, total = 0;
    struct pollfd p = {.fd = c, .events = POLLIN};
    for (;;) {
        if (poll(&p, 1, 20000) <= 0) {
            printf("webserv: %s echo: timeout after %" PRIu64 " bytes\n", me,
                   total);
            return;
        }
        ssize_t r = read(c, buf, sizeof buf);
        if (r < 0) {
            printf("webserv: %s echo: read: %s\n", me, strerror(errno));
            return;
        }
        if (r == 0)
            break;
        for (ssize_t k = 0; k < r; k++) {
            h ^= (uint8_t)buf[k];
            h *= 1099511628211ULL;
        }
        total += (uint64_t)r;
        write_all(c, buf, (size_t)r);
    }
    char line[128];
    int l = snprintf(line, sizeof line, "EOF %" PRIu64 " %016" PRIx64 "\n",
                     total, h);
    write_all(c, line, (size_t)l);
    printf("webserv: %s echo: %s", me, line);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: webserv SECONDS [MODE:]ADDR:PORT...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_IGN);  /* echo children reap themselves */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int secs = atoi(argv[1]);
    struct pollfd fds[MAX_LISTEN];
    enum mode modes[MAX_LISTEN];
    int n = 0;
    for (int i = 2; i < argc && n < MAX_LISTEN; i++) {
        const char *spec = argv[i];
        enum mode m = M_HELLO;
        if (strncmp(spec, "ka:", 3) == 0) {
            m = M_KA;
            spec += 3;
        } else if (strncmp(spec, "echo:", 5) == 0) {
            m = M_ECHO;
            spec += 5;
        }
        int fd = listen_on(spec);
        if (fd < 0) {
            fprintf(stderr, "webserv: cannot listen on %s\n", argv[i]);
            return 1;
        }
        modes[n] = m;
        fds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
    printf("webserv: ready\n");
    fflush(stdout);
    time_t end = time(NULL) + secs;
    while (time(NULL) < end) {
        if (poll(fds, (nfds_t)n, 500) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (!(fds[i].revents & POLLIN))
                continue;
            int c = accept4(fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0)
                continue;
            if (modes[i] == M_ECHO) {
                pid_t pid = fork();
                if (pid == 0) {
                    alarm(60);
                    echo(c);
                    _exit(0);
                }
            } else {
                serve(c, modes[i]);
            }
            close(c);
        }
    }
    return 0;
}
