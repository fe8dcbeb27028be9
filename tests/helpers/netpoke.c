/* netpoke.c — a small static network client that behaves like a hostile
 * tool probing its way out of the egress sandbox, one attempt per run
 * (tests/integration/egress-attack.bats).  Run outside coco to show an
 * attempt works there, inside to show it fails; the test "internet"
 * (webserv, dnsserv) logs what actually reached it.
 *
 *   netpoke tcp HOST PORT [DATA]     connect; send DATA ("\r\n" escapes);
 *                                    print the reply (EOF or 2 s idle)
 *   netpoke tcphalf HOST PORT DATA   the same, half-closing after DATA
 *   netpoke udp HOST PORT DATA       send one datagram; wait 1 s for one
 *   netpoke dns SERVER NAME          an A query to SERVER:53
 *   netpoke ping HOST PAYLOAD        ICMP echo, by a ping socket and by
 *                                    a raw socket (each reported)
 *   netpoke packet                   open an AF_PACKET socket
 *   netpoke echo via|direct HOST PORT MIB
 *                                    MIB MiB of a pseudo-random stream to
 *                                    webserv's echo mode (via: CONNECT
 *                                    HOST:PORT through 127.0.0.1:3128),
 *                                    reading the echo as it goes; then a
 *                                    half-close, the rest of the echo,
 *                                    the trailer "EOF N HASH", EOF
 *   netpoke socks5 CMD ATYP TARGET PORT [DATA]
 *                                    a SOCKS5 request to 127.0.0.1:3128:
 *                                    CMD connect|bind|udp, ATYP
 *                                    domain|ipv4|ipv6; on success DATA is
 *                                    sent and the reply printed
 *
 * Output: "netpoke: WHAT: ok[ DETAIL]" or "netpoke: WHAT: blocked: ERRNO
 * (message)" and the like, then any reply.  Exit 0 when the attempt
 * worked, 1 when it did not, 2 for a usage error.  Every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_PACKET
#define AF_PACKET 17
#endif

static const char *what = "?";

static int blocked(const char *how)
{
    int e = errno;
    printf("netpoke: %s: blocked: %s%s%s (%s)\n", what, how ? how : "",
           how ? ": " : "", strerrorname_np(e) ? strerrorname_np(e) : "?",
           strerror(e));
    return 1;
}

static int say(const char *fmt, ...)
{
    va_list ap;
    printf("netpoke: %s: ", what);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return 0;
}

/* HOST (a literal, v4 or v6, brackets allowed) and PORT into SS. */
static socklen_t parse_addr(const char *host, int port,
                            struct sockaddr_storage *ss)
{
    char h[64];
    snprintf(h, sizeof h, "%s", host);
    if (h[0] == '[') {
        memmove(h, h + 1, strlen(h));
        h[strcspn(h, "]")] = '\0';
    }
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, h, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        return sizeof *s4;
    }
    if (inet_pton(AF_INET6, h, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        return sizeof *s6;
    }
    fprintf(stderr, "netpoke: %s is no address literal\n", host);
    exit(2);
}

/* S with "\r", "\n" and "\xHH" decoded into OUT; returns its length. */
static size_t unescape(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n < cap; s++) {
        if (s[0] == '\\' && s[1] == 'r') {
            out[n++] = '\r';
            s++;
        } else if (s[0] == '\\' && s[1] == 'n') {
            out[n++] = '\n';
            s++;
        } else if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
            char hx[3] = {s[2], s[3], 0};
            out[n++] = (char)strtol(hx, NULL, 16);
            s += 3;
        } else {
            out[n++] = *s;
        }
    }
    return n;
}

/* A TCP connection to SS, within 3 s; -1 with errno. */
static int tcp_connect(struct sockaddr_storage *ss, socklen_t sl)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)ss, sl) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int e = 0;
    socklen_t el = sizeof e;
    if (poll(&p, 1, 3000) <= 0) {
        close(fd);
        errno = ETIMEDOUT;
        return -1;
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
    if (e) {
        close(fd);
        errno = e;
        return -1;
    }
    fcntl(fd, F_SETFL, 0);
    return fd;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Everything FD sends until EOF or IDLE_MS without a byte, to stdout. */
static size_t dump_reply(int fd, int idle_ms)
{
    char buf[4096];
    size_t total = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, idle_ms) > 0) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            break;
        fwrite(buf, 1, (size_t)r, stdout);
        total += (size_t)r;
    }
    fflush(stdout);
    return total;
}

static int do_tcp(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    struct sockaddr_storage ss;
    socklen_t sl = parse_addr(argv[2], atoi(argv[3]), &ss);
    int fd = tcp_connect(&ss, sl);
    if (fd < 0)
        return blocked("connect");
    say("ok connected");
    if (argc > 4) {
        static char data[65536];
        size_t n = unescape(argv[4], data, sizeof data);
        if (write_all(fd, data, n) < 0)
            return blocked("send");
        if (strcmp(what, "tcphalf") == 0)
            shutdown(fd, SHUT_WR);
    }
    size_t got = dump_reply(fd, 2000);
    printf("\nnetpoke: %s: %zu bytes of reply\n", what, got);
    close(fd);
    return 0;
}

static int do_udp(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    struct sockaddr_storage ss;
    socklen_t sl = parse_addr(argv[2], atoi(argv[3]), &ss);
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return blocked("socket");
    if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
        return blocked("connect");
    if (send(fd, argv[4], strlen(argv[4]), 0) < 0)
        return blocked("send");
    say("sent");
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[1500];
    if (poll(&p, 1, 1000) > 0) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r < 0)
            return blocked("recv");
        say("reply of %zd bytes", r);
    } else {
        say("no reply");
    }
    return 0;
}

static int do_dns(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    struct sockaddr_storage ss;
    socklen_t sl = parse_addr(argv[2], 53, &ss);
    uint8_t q[300] = {0x4e, 0x50, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t n = 12;
    const char *name = argv[3];
    while (*name && n < 280) {
        size_t l = strcspn(name, ".");
        if (l == 0 || l > 63)
            return 2;
        q[n++] = (uint8_t)l;
        memcpy(q + n, name, l);
        n += l;
        name += l;
        if (*name == '.')
            name++;
    }
    q[n++] = 0;
    q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1;  /* A, IN */
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return blocked("socket");
    if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
        return blocked("connect");
    if (send(fd, q, n, 0) < 0)
        return blocked("send");
    struct pollfd p = {.fd = fd, .events = POLLIN};
    uint8_t r[1500];
    if (poll(&p, 1, 2000) <= 0) {
        say("no reply");
        return 1;
    }
    ssize_t rn = recv(fd, r, sizeof r, 0);
    if (rn < 12)
        return rn < 0 ? blocked("recv") : say("short reply"), 1;
    char ans[256] = "";
    size_t al = 0;
    /* Answers after the question: A records with a pointer name. */
    size_t o = n;
    for (unsigned k = 0; k < r[7] && o + 12 <= (size_t)rn; k++) {
        uint16_t type = (uint16_t)(r[o + 2] << 8 | r[o + 3]);
        uint16_t rdl = (uint16_t)(r[o + 10] << 8 | r[o + 11]);
        if (type == 1 && rdl == 4 && o + 16 <= (size_t)rn && al < 200)
            al += (size_t)snprintf(ans + al, sizeof ans - al, " %u.%u.%u.%u",
                                   r[o + 12], r[o + 13], r[o + 14], r[o + 15]);
        o += 12 + rdl;
    }
    say("rcode %u answers%s", r[3] & 0x0f, al ? ans : " none");
    return (r[3] & 0x0f) == 0 && al ? 0 : 1;
}

static uint16_t cksum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)(p[n - 1] << 8);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* One echo request to SS by a socket of TYPE; 0 when it was sent. */
static int ping_one(const char *label, struct sockaddr_storage *ss,
                    socklen_t sl, int type, const char *payload)
{
    what = label;
    bool v6 = ss->ss_family == AF_INET6;
    int fd = socket(ss->ss_family, type | SOCK_CLOEXEC,
                    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    if (fd < 0)
        return blocked("socket");
    uint8_t pkt[128] = {v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO, 0, 0, 0,
                        0x12, 0x34, 0, 1};
    size_t pl = strlen(payload) < 100 ? strlen(payload) : 100;
    memcpy(pkt + 8, payload, pl);
    if (!v6) {
        uint16_t c = cksum(pkt, 8 + pl);
        pkt[2] = (uint8_t)(c >> 8), pkt[3] = (uint8_t)c;
    }
    if (sendto(fd, pkt, 8 + pl, 0, (struct sockaddr *)ss, sl) < 0) {
        int r = blocked("sendto");
        close(fd);
        return r;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    uint8_t buf[1500];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    if (poll(&p, 1, 1000) > 0 &&
        recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) > 0) {
        char a[INET6_ADDRSTRLEN] = "?";
        inet_ntop(from.ss_family,
                  from.ss_family == AF_INET6
                      ? (void *)&((struct sockaddr_in6 *)&from)->sin6_addr
                      : (void *)&((struct sockaddr_in *)&from)->sin_addr,
                  a, sizeof a);
        say("ok sent; a reply from %s", a);
    } else {
        say("ok sent; no reply");
    }
    close(fd);
    return 0;
}

static int do_ping(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    struct sockaddr_storage ss;
    socklen_t sl = parse_addr(argv[2], 0, &ss);
    int a = ping_one("ping-dgram", &ss, sl, SOCK_DGRAM, argv[3]);
    int b = ping_one("ping-raw", &ss, sl, SOCK_RAW, argv[3]);
    fflush(stdout);
    return a == 0 || b == 0 ? 0 : 1;
}

static int do_packet(void)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x0003));
    if (fd < 0)
        return blocked("socket");
    return say("ok");
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint8_t next_byte(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (uint8_t)(*state >> 24);
}

/* Read a CONNECT reply head from FD; its status, or -1. */
static int read_connect_reply(int fd)
{
    char head[1024];
    size_t n = 0;
    /* Byte by byte: nothing of the tunnel may be read into the head. */
    while (n < sizeof head - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0 || read(fd, head + n, 1) != 1)
            return -1;
        n++;
        head[n] = '\0';
        if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    int status = -1;
    if (sscanf(head, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    return status;
}

static int do_echo(int argc, char **argv)
{
    if (argc < 6)
        return 2;
    bool via = strcmp(argv[2], "via") == 0;
    uint64_t total = (uint64_t)atoi(argv[5]) << 20;
    struct sockaddr_storage ss;
    socklen_t sl = via ? parse_addr("127.0.0.1", 3128, &ss)
                       : parse_addr(argv[3], atoi(argv[4]), &ss);
    int fd = tcp_connect(&ss, sl);
    if (fd < 0)
        return blocked("connect");
    if (via) {
        char req[512];
        int n = snprintf(req, sizeof req, "CONNECT %s:%s HTTP/1.1\r\nHost: "
                         "%s:%s\r\n\r\n", argv[3], argv[4], argv[3], argv[4]);
        if (write_all(fd, req, (size_t)n) < 0)
            return blocked("send");
        int st = read_connect_reply(fd);
        if (st != 200) {
            say("CONNECT answered %d", st);
            return 1;
        }
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    uint64_t sent = 0, got = 0, tx = rng, rx = rng, bad_at = UINT64_MAX;
    uint64_t h = 1469598103934665603ULL;
    static uint8_t out[1 << 16], in[1 << 16];
    size_t out_len = 0, out_off = 0;
    bool shut = false, eof = false;
    char trailer[128] = "";
    size_t tl = 0;
    time_t end = time(NULL) + 60;
    while (!eof && time(NULL) < end) {
        if (out_off == out_len && sent < total) {
            out_len = sizeof out < total - sent ? sizeof out : (size_t)(total - sent);
            for (size_t k = 0; k < out_len; k++) {
                out[k] = next_byte(&tx);
                h ^= out[k];
                h *= 1099511628211ULL;
            }
            out_off = 0;
        }
        if (out_off == out_len && sent == total && !shut) {
            shutdown(fd, SHUT_WR);  /* the half-close under test */
            shut = true;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN |
                           (out_off < out_len ? POLLOUT : 0)};
        if (poll(&p, 1, 10000) <= 0) {
            say("stalled: sent %" PRIu64 " received %" PRIu64, sent, got);
            return 1;
        }
        if (p.revents & POLLOUT) {
            ssize_t w = send(fd, out + out_off, out_len - out_off, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN)
                return blocked("send");
            if (w > 0)
                out_off += (size_t)w, sent += (uint64_t)w;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, in, sizeof in, 0);
            if (r < 0 && errno != EAGAIN)
                return blocked("recv");
            if (r == 0)
                eof = true;
            for (ssize_t k = 0; k < r; k++) {
                if (got < total) {
                    if (in[k] != next_byte(&rx) && bad_at == UINT64_MAX)
                        bad_at = got;
                    got++;
                } else if (tl < sizeof trailer - 1) {
                    trailer[tl++] = (char)in[k];
                }
            }
        }
    }
    trailer[tl] = '\0';
    trailer[strcspn(trailer, "\n")] = '\0';
    char want[128];
    snprintf(want, sizeof want, "EOF %" PRIu64 " %016" PRIx64, total, h);
    bool good = eof && got == total && bad_at == UINT64_MAX &&
                strcmp(trailer, want) == 0;
    say("%s sent %" PRIu64 " hash %016" PRIx64 "; echoed %" PRIu64 " %s; "
        "after the half-close: \"%s\"%s", good ? "ok" : "FAILED", sent, h, got,
        bad_at == UINT64_MAX ? "identical" : "DIFFERENT", trailer,
        eof ? ", then EOF" : ", no EOF");
    return good ? 0 : 1;
}

static int do_socks5(int argc, char **argv)
{
    if (argc < 6)
        return 2;
    static const char *cmds[] = {"connect", "bind", "udp"};
    int cmd = 0;
    for (int k = 0; k < 3; k++)
        if (strcmp(argv[2], cmds[k]) == 0)
            cmd = k + 1;
    if (!cmd)
        return 2;
    uint8_t req[300] = {5, (uint8_t)cmd, 0};
    size_t n = 3;
    if (strcmp(argv[3], "domain") == 0) {
        size_t l = strlen(argv[4]);
        if (l > 255)
            return 2;
        req[n++] = 3;
        req[n++] = (uint8_t)l;
        memcpy(req + n, argv[4], l);
        n += l;
    } else if (strcmp(argv[3], "ipv4") == 0) {
        req[n++] = 1;
        if (inet_pton(AF_INET, argv[4], req + n) != 1)
            return 2;
        n += 4;
    } else if (strcmp(argv[3], "ipv6") == 0) {
        req[n++] = 4;
        if (inet_pton(AF_INET6, argv[4], req + n) != 1)
            return 2;
        n += 16;
    } else {
        return 2;
    }
    int port = atoi(argv[5]);
    req[n++] = (uint8_t)(port >> 8);
    req[n++] = (uint8_t)port;
    struct sockaddr_storage ss;
    socklen_t sl = parse_addr("127.0.0.1", 3128, &ss);
    int fd = tcp_connect(&ss, sl);
    if (fd < 0)
        return blocked("connect");
    uint8_t greet[3] = {5, 1, 0}, r[262];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (write_all(fd, greet, 3) < 0 || poll(&p, 1, 3000) <= 0 ||
        read(fd, r, 2) != 2 || r[0] != 5 || r[1] != 0) {
        say("no SOCKS5 greeting reply");
        return 1;
    }
    if (write_all(fd, req, n) < 0)
        return blocked("send");
    /* The reply: VER REP RSV ATYP ADDR PORT; REP is what counts. */
    ssize_t got = 0;
    while (got < 2 && poll(&p, 1, 5000) > 0) {
        ssize_t k = read(fd, r + got, 2 - (size_t)got);
        if (k <= 0)
            break;
        got += k;
    }
    if (got < 2) {
        say("no reply (closed)");
        return 1;
    }
    if (r[1] != 0) {
        say("refused: reply 0x%02x", r[1]);
        return 1;
    }
    /* The rest of the reply: RSV ATYP, a 4-byte address, a port (coco
     * answers with an IPv4 zero address). */
    uint8_t rest[8];
    size_t want = 8, have = 0;
    while (have < want && poll(&p, 1, 3000) > 0) {
        ssize_t k = read(fd, rest + have, want - have);
        if (k <= 0)
            break;
        have += (size_t)k;
    }
    say("ok reply 0x00");
    if (argc > 6) {
        static char data[4096];
        size_t dl = unescape(argv[6], data, sizeof data);
        if (write_all(fd, data, dl) < 0)
            return blocked("send");
        dump_reply(fd, 2000);
        printf("\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: see netpoke.c\n");
        return 2;
    }
    what = argv[1];
    int r = 2;
    if (strcmp(what, "tcp") == 0 || strcmp(what, "tcphalf") == 0)
        r = do_tcp(argc, argv);
    else if (strcmp(what, "udp") == 0)
        r = do_udp(argc, argv);
    else if (strcmp(what, "dns") == 0)
        r = do_dns(argc, argv);
    else if (strcmp(what, "ping") == 0)
        r = do_ping(argc, argv);
    else if (strcmp(what, "packet") == 0)
        r = do_packet();
    else if (strcmp(what, "echo") == 0)
        r = do_echo(argc, argv);
    else if (strcmp(what, "socks5") == 0)
        r = do_socks5(argc, argv);
    if (r == 2)
        fprintf(stderr, "netpoke: usage error (see netpoke.c)\n");
    return r;
}
