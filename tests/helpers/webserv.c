/* webserv.c — the egress tests' "internet": a tiny HTTP server that runs
 * inside a network namespace the test creates, listening on the test's
 * own addresses (a public-looking 198.51.100.x, a LAN 10.x, a fake
 * metadata 169.254.169.254, and IPv6 ones).  Every answer names the
 * address and port that took the connection, so a test sees exactly
 * which host a request reached, from the host side.
 *
 *   webserv SECONDS [MODE:]ADDR:PORT...      (ADDR a dotted quad or [v6])
 *
 * where MODE is ka, echo or files=DIR (below).
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
 *   files=DIR
 *           a static file server for the files under DIR (a fake npm
 *           registry, say): GET (and HEAD) of /P answers DIR/P, or
 *           DIR/P/index.json (else DIR/P/index.html, text/html: a fake
 *           PyPI simple index) when that is a directory, as "HTTP/1.1 200"
 *           with a Content-Length; anything else (another method, a
 *           missing file, a path with "..", a NUL or a backslash) is a
 *           404.  The path is percent-decoded first, so a scoped npm
 *           name's "/@scope%2fname" is DIR/@scope/name; a query string
 *           is dropped.  Content-Type: application/octet-stream for
 *           .tgz, application/json for .json and for names without an
 *           extension, text/plain otherwise.  Keep-alive: requests on a
 *           connection are answered until the client closes, says
 *           "Connection: close" (or speaks HTTP/1.0), or is idle 2 s.
 *           Each connection is served by a forked child (at most 32 at
 *           once), so parallel clients (npm) are served in parallel.
 *           E.g. files=/srv/reg:198.51.100.10:8081 (DIR up to the first
 *           colon).
 *
 * Exits after SECONDS: never left running by a test that forgot it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addrspec.h"

#define MAX_LISTEN 32
#define MAX_CHILDREN 32

enum mode { M_HELLO, M_KA, M_ECHO, M_FILES };

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

/* Percent-decode the request target's path (up to '?', '#' or its end)
 * from T (length N) into OUT; -1 when it is not a plain safe relative
 * path once its leading '/' is gone: empty, absolute, a ".." component,
 * a NUL, a backslash, a bad escape, too long. */
static int decode_path(const char *t, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (n == 0 || t[0] != '/')
        return -1;
    for (size_t i = 1; i < n && t[i] != '?' && t[i] != '#'; i++) {
        char ch = t[i];
        if (ch == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)t[i + 1]) ||
                !isxdigit((unsigned char)t[i + 2]))
                return -1;
            char hex[3] = {t[i + 1], t[i + 2], 0};
            ch = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        if (ch == '\0' || ch == '\\' || o + 1 >= cap)
            return -1;
        out[o++] = ch;
    }
    out[o] = '\0';
    if (o == 0 || out[0] == '/')
        return -1;
    for (char *c = out; c; c = strchr(c, '/')) {
        if (*c == '/')
            c++;
        if (strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == '\0'))
            return -1;
    }
    return 0;
}

/* Open DIRFD's REL (or REL/index.json when a directory) for reading:
 * a regular file or -1, its stat in *ST. */
static int open_file(int dirfd, const char *rel, struct stat *st)
{
    int fd = openat(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && fstat(fd, st) == 0 && S_ISDIR(st->st_mode)) {
        int f2 = openat(fd, "index.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (f2 < 0)
            f2 = openat(fd, "index.html", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = f2;
        if (fd >= 0 && fstat(fd, st) != 0) {
            close(fd);
            return -1;
        }
    }
    if (fd >= 0 && !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

static const char *content_type(int dirfd, const char *rel, bool dir_index)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    const char *dot = strrchr(base, '.');
    if (dir_index) {
        /* a directory: its index.json, or else its index.html */
        int dfd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        bool json = dfd >= 0 && faccessat(dfd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
        if (dfd >= 0)
            close(dfd);
        return json ? "application/json" : "text/html";
    }
    if (dot && strcmp(dot, ".html") == 0)
        return "text/html";
    if (!dot || strcmp(dot, ".json") == 0)
        return "application/json";
    if (strcmp(dot, ".tgz") == 0)
        return "application/octet-stream";
    return "text/plain";
}

/* Does the head H (length N, lines after the first) carry header NAME
 * with a value containing VAL (both case-insensitive)? */
static bool header_has(const char *h, size_t n, const char *name, const char *val)
{
    size_t nl = strlen(name), vl = strlen(val);
    const char *p = h, *end = h + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            for (const char *v = p + nl + 1; v + vl <= eol; v++)
                if (strncasecmp(v, val, vl) == 0)
                    return true;
        }
        p = eol + 1;
    }
    return false;
}

/* Serve files under DIRFD on C until the client closes, asks to, or is
 * idle 2 s.  In a child. */
static void serve_files(int c, int dirfd)
{
    char buf[16384];
    char me[80];
    local_name(c, me, sizeof me);
    size_t n = 0;
    for (;;) {
        n = read_head(c, buf, sizeof buf, n, 2000);
        char *end = strstr(buf, "\r\n\r\n");
        if (n == 0 || !end)
            return;  /* idle, closed, or a head too big: done */
        size_t hl = (size_t)(end - buf) + 4;
        size_t ll = strcspn(buf, "\r\n");
        printf("webserv: %s got %.*s\n", me, (int)(ll < 200 ? ll : 200), buf);
        fflush(stdout);
        /* METHOD SP TARGET SP VERSION */
        const char *sp1 = memchr(buf, ' ', ll);
        const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', ll - (size_t)(sp1 + 1 - buf)) : NULL;
        bool get = sp1 && (size_t)(sp1 - buf) == 3 && strncmp(buf, "GET", 3) == 0;
        bool head = sp1 && (size_t)(sp1 - buf) == 4 && strncmp(buf, "HEAD", 4) == 0;
        bool http10 = sp2 && strncmp(sp2 + 1, "HTTP/1.0", 8) == 0;
        bool close_it = http10 || !(get || head) ||
                        header_has(buf + ll, hl - ll, "Connection", "close") ||
                        header_has(buf + ll, hl - ll, "Content-Length", "") ||
                        header_has(buf + ll, hl - ll, "Transfer-Encoding", "");
        char rel[4096];
        struct stat st;
        int fd = -1;
        bool dir_index = false;
        if ((get || head) && sp2 &&
            decode_path(sp1 + 1, (size_t)(sp2 - sp1 - 1), rel, sizeof rel) == 0) {
            fd = open_file(dirfd, rel, &st);
            struct stat ds;
            dir_index = fd >= 0 && fstatat(dirfd, rel, &ds, AT_SYMLINK_NOFOLLOW) == 0 &&
                        S_ISDIR(ds.st_mode);
        }
        char out[512];
        int ol;
        if (fd < 0)
            ol = snprintf(out, sizeof out, "HTTP/1.1 404 Not Found\r\nContent-Type: "
                          "text/plain\r\nContent-Length: 10\r\nConnection: %s\r\n\r\n%s",
                          close_it ? "close" : "keep-alive", head ? "" : "not found\n");
        else
            ol = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
                          "Content-Length: %lld\r\nConnection: %s\r\n\r\n",
                          content_type(dirfd, rel, dir_index), (long long)st.st_size,
                          close_it ? "close" : "keep-alive");
        write_all(c, out, (size_t)ol);
        if (fd >= 0) {
            static char fb[1 << 16];
            off_t left = head ? 0 : st.st_size;
            while (left > 0) {
                ssize_t r = read(fd, fb, sizeof fb);
                if (r <= 0)
                    break;
                write_all(c, fb, (size_t)r);
                left -= r;
            }
            close(fd);
            if (left > 0)
                return;  /* the file shrank: the Content-Length lied */
        }
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
    setvbuf(stdout, NULL, _IOLBF, 0);
    int secs = atoi(argv[1]);
    struct pollfd fds[MAX_LISTEN];
    enum mode modes[MAX_LISTEN];
    int dirs[MAX_LISTEN];
    int n = 0, children = 0;
    for (int i = 2; i < argc && n < MAX_LISTEN; i++) {
        const char *spec = argv[i];
        enum mode m = M_HELLO;
        int dirfd = -1;
        if (strncmp(spec, "files=", 6) == 0) {
            const char *colon = strchr(spec + 6, ':');
            char dir[4096];
            if (!colon || colon == spec + 6 || (size_t)(colon - spec - 6) >= sizeof dir) {
                fprintf(stderr, "webserv: bad files spec %s\n", argv[i]);
                return 2;
            }
            snprintf(dir, sizeof dir, "%.*s", (int)(colon - spec - 6), spec + 6);
            dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dirfd < 0) {
                perror(dir);
                return 1;
            }
            m = M_FILES;
            spec = colon + 1;
        } else if (strncmp(spec, "ka:", 3) == 0) {
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
        dirs[n] = dirfd;
        fds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
    printf("webserv: ready\n");
    fflush(stdout);
    time_t end = time(NULL) + secs;
    while (time(NULL) < end) {
        while (children > 0 && waitpid(-1, NULL, WNOHANG) > 0)
            children--;
        if (poll(fds, (nfds_t)n, 500) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (!(fds[i].revents & POLLIN))
                continue;
            int c = accept4(fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0)
                continue;
            if (modes[i] == M_ECHO || modes[i] == M_FILES) {
                /* bounded: wait for one to end before another */
                if (children >= MAX_CHILDREN && waitpid(-1, NULL, 0) > 0)
                    children--;
                pid_t pid = fork();
                if (pid == 0) {
                    alarm(60);
                    if (modes[i] == M_ECHO)
                        echo(c);
                    else
                        serve_files(c, dirs[i]);
                    _exit(0);
                }
                if (pid > 0)
                    children++;
            } else {
                serve(c, modes[i]);
            }
            close(c);
        }
    }
    return 0;
}
