/* dnsserv.c — the egress tests' DNS server, and their witness of every
 * datagram and ping that reaches the test "internet".  Runs inside the
 * test's network namespace, as root there.
 *
 *   dnsserv SECONDS ADDR:PORT...      (ADDR a dotted quad or [v6])
 *
 * Binds a UDP socket on each ADDR:PORT and a raw ICMP and ICMPv6 socket,
 * prints "dnsserv: ready", then one line per thing it receives, flushed:
 *
 *   dnsserv: ADDR:PORT from SRC: query NAME TYPE -> ANSWER
 *   dnsserv: ADDR:PORT from SRC: datagram "FIRST-BYTES"
 *   dnsserv: icmp echo to DST from SRC "PAYLOAD"
 *   dnsserv: icmp6 echo from SRC "PAYLOAD"
 *
 * so a test can tell, from the host side, whether a lookup, a datagram
 * or a ping ever left the sandbox.  DNS answers (class IN) by the name's
 * first label, TTL 0, for names under dns.test:
 *
 *   public*    A 198.51.100.10
 *   private*   A 10.253.1.5
 *   rebind*    A 198.51.100.10 the first time this name is asked for an
 *              A record, A 10.253.1.5 every later time
 *   both*      A 198.51.100.10 and A 10.253.1.5 in one answer
 *   mixed*     A 198.51.100.10, AAAA fd53::5 (a private IPv6 address)
 *   mapped*    A 198.51.100.10, AAAA ::ffff:10.253.1.5 (the LAN, mapped)
 *   many*      nine A: 198.51.100.10, .16 to .22, then 10.253.1.5
 *   anything else, and other types: NXDOMAIN / no answer
 *
 * Exits after SECONDS.
 */
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addrspec.h"

#define MAX_FDS 32

static char names[64][256];
static unsigned counts[64];
static size_t n_names;

/* How often NAME was asked for an A record before (and count this). */
static unsigned asked_before(const char *name)
{
    for (size_t i = 0; i < n_names; i++)
        if (strcasecmp(names[i], name) == 0)
            return counts[i]++;
    if (n_names < 64) {
        snprintf(names[n_names], sizeof names[0], "%s", name);
        counts[n_names++] = 1;
    }
    return 0;
}

static void printable(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, p[i] >= 0x20 && p[i] < 0x7f &&
                              p[i] != '"' && p[i] != '\\' ? "%c" : "\\x%02x",
                              p[i]);
    out[o] = '\0';
}

static int bind_udp(const char *spec, char *label, size_t llen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int family;
    if (addrspec_parse(spec, &ss, &sl, &family) < 0)
        return -1;
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0) {
        perror(spec);
        return -1;
    }
    snprintf(label, llen, "%s", spec);
    return fd;
}

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
    char a[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
        snprintf(out, len, "[%s]:%u", a, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
        snprintf(out, len, "%s:%u", a, ntohs(s4->sin_port));
    }
}

/* Append a record for the question's name (a pointer to offset 12). */
static size_t put_rr(uint8_t *out, size_t o, uint16_t type, const void *rdata,
                     uint16_t rdlen)
{
    uint8_t rr[12] = {0xc0, 12, (uint8_t)(type >> 8), (uint8_t)type, 0, 1,
                      0, 0, 0, 0, (uint8_t)(rdlen >> 8), (uint8_t)rdlen};
    memcpy(out + o, rr, sizeof rr);
    memcpy(out + o + sizeof rr, rdata, rdlen);
    return o + sizeof rr + rdlen;
}

/* Answer the query Q (N bytes) into OUT; returns its length, or 0 when Q
 * is no query.  Writes the log's description into WHAT. */
static size_t answer(const uint8_t *q, size_t n, uint8_t *out, char *what,
                     size_t wlen)
{
    if (n < 17 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1)
        return 0;
    char name[256];
    size_t o = 12, nl = 0;
    while (o < n && q[o]) {
        size_t l = q[o];
        if (l > 63 || o + 1 + l >= n || nl + l + 2 > sizeof name)
            return 0;
        if (nl)
            name[nl++] = '.';
        memcpy(name + nl, q + o + 1, l);
        nl += l;
        o += 1 + l;
    }
    name[nl] = '\0';
    if (o + 5 > n)
        return 0;
    uint16_t type = (uint16_t)(q[o + 1] << 8 | q[o + 2]);
    size_t qend = o + 5;
    memcpy(out, q, qend);
    out[2] = 0x84 | (q[2] & 0x01);  /* response, authoritative, RD copied */
    out[3] = 0x80;                  /* RA, NOERROR */
    out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
    size_t len = qend;
    unsigned an = 0;
    uint8_t pub[4] = {198, 51, 100, 10}, lan[4] = {10, 253, 1, 5};
    uint8_t ula[16] = {0xfd, 0x53, [15] = 5};
    const char *label = name;
    size_t dot = strcspn(name, ".");
    const char *zone = name + dot;
    bool ours = strcasecmp(zone, ".dns.test") == 0;
    const char *desc = "NXDOMAIN";
    if (!ours) {
        out[3] = 0x83;
    } else if (type == 1 && strncasecmp(label, "public", 6) == 0) {
        len = put_rr(out, len, 1, pub, 4), an = 1, desc = "198.51.100.10";
    } else if (type == 1 && strncasecmp(label, "private", 7) == 0) {
        len = put_rr(out, len, 1, lan, 4), an = 1, desc = "10.253.1.5";
    } else if (type == 1 && strncasecmp(label, "rebind", 6) == 0) {
        bool first = asked_before(name) == 0;
        len = put_rr(out, len, 1, first ? pub : lan, 4), an = 1;
        desc = first ? "198.51.100.10" : "10.253.1.5";
    } else if (type == 1 && strncasecmp(label, "both", 4) == 0) {
        len = put_rr(out, len, 1, pub, 4);
        len = put_rr(out, len, 1, lan, 4), an = 2;
        desc = "198.51.100.10 10.253.1.5";
    } else if (type == 1 && strncasecmp(label, "mixed", 5) == 0) {
        len = put_rr(out, len, 1, pub, 4), an = 1, desc = "198.51.100.10";
    } else if (type == 28 && strncasecmp(label, "mixed", 5) == 0) {
        len = put_rr(out, len, 28, ula, 16), an = 1, desc = "fd53::5";
    } else if (type == 1 && strncasecmp(label, "mapped", 6) == 0) {
        len = put_rr(out, len, 1, pub, 4), an = 1, desc = "198.51.100.10";
    } else if (type == 28 && strncasecmp(label, "mapped", 6) == 0) {
        uint8_t m6[16] = {[10] = 0xff, [11] = 0xff, 10, 253, 1, 5};
        len = put_rr(out, len, 28, m6, 16), an = 1, desc = "::ffff:10.253.1.5";
    } else if (type == 1 && strncasecmp(label, "many", 4) == 0) {
        len = put_rr(out, len, 1, pub, 4);
        for (uint8_t k = 16; k <= 22; k++) {
            uint8_t a[4] = {198, 51, 100, k};
            len = put_rr(out, len, 1, a, 4);
        }
        len = put_rr(out, len, 1, lan, 4), an = 9;
        desc = "198.51.100.10 198.51.100.16-22 10.253.1.5";
    } else if (strncasecmp(label, "public", 6) == 0 ||
               strncasecmp(label, "private", 7) == 0 ||
               strncasecmp(label, "rebind", 6) == 0 ||
               strncasecmp(label, "both", 4) == 0 ||
               strncasecmp(label, "mixed", 5) == 0 ||
               strncasecmp(label, "mapped", 6) == 0 ||
               strncasecmp(label, "many", 4) == 0) {
        desc = "no records of this type";
    } else {
        out[3] = 0x83;
    }
    out[7] = (uint8_t)an;
    snprintf(what, wlen, "query %s %u -> %s", name, type, desc);
    return len;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: dnsserv SECONDS ADDR:PORT...\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int secs = atoi(argv[1]);
    struct pollfd fds[MAX_FDS];
    char labels[MAX_FDS][80];
    int n = 0;
    for (int i = 2; i < argc && n < MAX_FDS - 2; i++) {
        int fd = bind_udp(argv[i], labels[n], sizeof labels[0]);
        if (fd < 0) {
            fprintf(stderr, "dnsserv: cannot bind %s\n", argv[i]);
            return 1;
        }
        fds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
    int icmp = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    int icmp6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (icmp < 0 || icmp6 < 0) {
        perror("dnsserv: raw ICMP socket");
        return 1;
    }
    int ni = n;
    fds[n++] = (struct pollfd){.fd = icmp, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = icmp6, .events = POLLIN};
    printf("dnsserv: ready\n");
    time_t end = time(NULL) + secs;
    while (time(NULL) < end) {
        if (poll(fds, (nfds_t)n, 500) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (!(fds[i].revents & POLLIN))
                continue;
            uint8_t buf[1500], out[1500];
            struct sockaddr_storage from;
            socklen_t fl = sizeof from;
            ssize_t r = recvfrom(fds[i].fd, buf, sizeof buf, 0,
                                 (struct sockaddr *)&from, &fl);
            if (r < 0)
                continue;
            char src[80], text[200];
            addr_text(&from, src, sizeof src);
            if (i == ni) {
                /* The IP header, then ICMP: echo requests only. */
                size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
                if ((size_t)r < ihl + 8 || buf[ihl] != ICMP_ECHO)
                    continue;
                char dst[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, buf + 16, dst, sizeof dst);
                printable(buf + ihl + 8, (size_t)r - ihl - 8, text, 100);
                printf("dnsserv: icmp echo to %s from %.*s \"%s\"\n", dst,
                       (int)strcspn(src, ":"), src, text);
                continue;
            }
            if (i == ni + 1) {
                if (r < 8 || buf[0] != ICMP6_ECHO_REQUEST)
                    continue;
                printable(buf + 8, (size_t)r - 8, text, 100);
                printf("dnsserv: icmp6 echo from %s \"%s\"\n", src, text);
                continue;
            }
            char what[400];
            size_t ol = answer(buf, (size_t)r, out, what, sizeof what);
            if (ol) {
                printf("dnsserv: %s from %s: %s\n", labels[i], src, what);
                sendto(fds[i].fd, out, ol, 0, (struct sockaddr *)&from, fl);
            } else {
                printable(buf, (size_t)r < 60 ? (size_t)r : 60, text,
                          sizeof text);
                printf("dnsserv: %s from %s: datagram \"%s\"\n", labels[i],
                       src, text);
            }
        }
    }
    return 0;
}
