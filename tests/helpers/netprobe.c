/* netprobe.c — a tiny static HTTP client for the container egress tests
 * (the test images have no curl): bound into a container, it asks the
 * way a tool would and prints what came back, carriage returns dropped.
 *
 *   netprobe get URL             plain HTTP through $HTTP_PROXY
 *   netprobe connect HOST:PORT   CONNECT through $HTTPS_PROXY, then GET /
 *   netprobe socks5 HOST PORT    SOCKS5 (name resolved by the proxy)
 *                                through $ALL_PROXY, then GET /
 *   netprobe direct ADDR PORT    straight to ADDR:PORT, no proxy, GET /
 *   netprobe resolve NAME [ADDR] one DNS query (A, class IN) over UDP to
 *                                ADDR:53 (default 127.0.0.1, the relay),
 *                                no libc resolver: prints "resolve: rcode
 *                                N" and "resolve: A ADDR" per answer, or
 *                                "netprobe: resolve: ..." (exit 1) when
 *                                nothing came back in 3 s
 *
 * Proxy variables are read as http://127.0.0.1:PORT (or socks5h://...).
 * Prints "netprobe: ..." and exits 1 when it cannot connect; otherwise
 * prints the response (status line, headers, body) and exits 0.  Every
 * wait is bounded (10 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int die(const char *what)
{
    printf("netprobe: %s: %s\n", what, strerror(errno));
    return 1;
}

/* A connection to ADDR:PORT (dotted quad), or -1. */
static int dial(const char *addr, unsigned port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The proxy named by environment variable NAME: "scheme://ADDR:PORT". */
static int dial_proxy(const char *name)
{
    const char *v = getenv(name);
    const char *p = v ? strstr(v, "://") : NULL;
    char addr[64];
    unsigned port;
    if (!p || sscanf(p + 3, "%63[0-9.]:%u", addr, &port) != 2) {
        printf("netprobe: %s is not set to a proxy (\"%s\")\n", name,
               v ? v : "");
        exit(1);
    }
    return dial(addr, port);
}

static void send_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Copy FD to stdout until end of file, without '\r'. */
static void print_all(int fd)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != '\r')
                putchar(buf[i]);
    fflush(stdout);
}

/* Read a response head (to the blank line) into BUF; its length. */
static size_t read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0)
            break;
        n++;
        buf[n] = '\0';
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    buf[n] = '\0';
    return n;
}

static void get_root(int fd, const char *host)
{
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET / HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n",
                     host);
    send_all(fd, req, (size_t)n);
    print_all(fd);
}

/* One A query for NAME to SERVER:53 over UDP; prints what came back. */
static int resolve(const char *name, const char *server)
{
    unsigned char q[512] = {0x4e, 0x50, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t n = 12;
    for (const char *l = name; *l;) {
        const char *dot = strchr(l, '.');
        size_t len = dot ? (size_t)(dot - l) : strlen(l);
        if (len == 0 || len > 63 || n + len + 6 > sizeof q) {
            printf("netprobe: resolve: bad name %s\n", name);
            return 1;
        }
        q[n++] = (unsigned char)len;
        memcpy(q + n, l, len);
        n += len;
        l += len + (dot ? 1 : 0);
    }
    q[n++] = 0;
    q[n++] = 0, q[n++] = 1;  /* A */
    q[n++] = 0, q[n++] = 1;  /* IN */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
    if (inet_pton(AF_INET, server, &sa.sin_addr) != 1) {
        errno = EINVAL;
        return die("resolve: server");
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (sendto(fd, q, n, 0, (struct sockaddr *)&sa, sizeof sa) != (ssize_t)n)
        return die("resolve: send");
    unsigned char r[1500];
    ssize_t got = recv(fd, r, sizeof r, 0);
    if (got < 0)
        return die("resolve: no answer");
    if (got < 12 || r[0] != 0x4e || r[1] != 0x50) {
        printf("netprobe: resolve: not an answer (%zd bytes)\n", got);
        return 1;
    }
    printf("resolve: rcode %u\n", r[3] & 0x0f);
    size_t an = (size_t)(r[6] << 8 | r[7]), off = 12;
    /* the question: skip its name (uncompressed) and type, class */
    while (off < (size_t)got && r[off])
        off += r[off] + 1u;
    off += 5;
    for (size_t i = 0; i < an && off < (size_t)got; i++) {
        if ((r[off] & 0xc0) == 0xc0)
            off += 2;
        else {
            while (off < (size_t)got && r[off])
                off += r[off] + 1u;
            off++;
        }
        if (off + 10 > (size_t)got)
            break;
        unsigned type = (unsigned)(r[off] << 8 | r[off + 1]);
        size_t rdlen = (size_t)(r[off + 8] << 8 | r[off + 9]);
        off += 10;
        if (off + rdlen > (size_t)got)
            break;
        if (type == 1 && rdlen == 4)
            printf("resolve: A %u.%u.%u.%u\n", r[off], r[off + 1],
                   r[off + 2], r[off + 3]);
        off += rdlen;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "get") == 0) {
        int fd = dial_proxy("HTTP_PROXY");
        if (fd < 0)
            return die("connect to the proxy");
        const char *h = strstr(argv[2], "://");
        char host[256] = "";
        if (h)
            sscanf(h + 3, "%255[^/]", host);
        char req[1024];
        int n = snprintf(req, sizeof req,
                         "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: "
                         "close\r\n\r\n", argv[2], host);
        send_all(fd, req, (size_t)n);
        print_all(fd);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "connect") == 0) {
        int fd = dial_proxy("HTTPS_PROXY");
        if (fd < 0)
            return die("connect to the proxy");
        char req[512];
        int n = snprintf(req, sizeof req,
                         "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", argv[2],
                         argv[2]);
        send_all(fd, req, (size_t)n);
        char head[8192];
        read_head(fd, head, sizeof head);
        for (char *c = head; *c; c++)
            if (*c != '\r')
                putchar(*c);
        if (strncmp(head, "HTTP/1.1 200", 12) == 0 ||
            strncmp(head, "HTTP/1.0 200", 12) == 0)
            get_root(fd, argv[2]);
        else
            print_all(fd);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "socks5") == 0) {
        int fd = dial_proxy("ALL_PROXY");
        if (fd < 0)
            return die("connect to the proxy");
        unsigned char hello[] = {5, 1, 0}, r[10];
        send_all(fd, hello, sizeof hello);
        if (read(fd, r, 2) != 2 || r[0] != 5 || r[1] != 0) {
            printf("netprobe: socks5: no greeting\n");
            return 1;
        }
        size_t hl = strlen(argv[2]);
        unsigned port = (unsigned)atoi(argv[3]);
        unsigned char req[300] = {5, 1, 0, 3, (unsigned char)hl};
        memcpy(req + 5, argv[2], hl);
        req[5 + hl] = (unsigned char)(port >> 8);
        req[6 + hl] = (unsigned char)port;
        send_all(fd, req, 7 + hl);
        ssize_t got = read(fd, r, 10);
        if (got < 2) {
            printf("netprobe: socks5: no reply\n");
            return 1;
        }
        printf("socks5: reply %u\n", r[1]);
        if (r[1] == 0)
            get_root(fd, argv[2]);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "direct") == 0) {
        int fd = dial(argv[2], (unsigned)atoi(argv[3]));
        if (fd < 0)
            return die("connect");
        get_root(fd, argv[2]);
        return 0;
    }
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "resolve") == 0)
        return resolve(argv[2], argc == 4 ? argv[3] : "127.0.0.1");
    fprintf(stderr, "usage: netprobe get URL | connect HOST:PORT | "
            "socks5 HOST PORT | direct ADDR PORT | resolve NAME [ADDR]\n");
    return 2;
}
