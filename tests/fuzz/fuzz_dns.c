/* fuzz_dns.c — libFuzzer target for the DNS wire code (net/dns.c): what
 * a server (or anyone spoofing one) sends the proxy's resolver, what a
 * hostile tool sends the stub, and the resolv.conf and hosts text.
 *
 * The first byte picks the parser (mod 6), the rest is its input:
 *   0  dns_parse_answer() for one of three names, A or AAAA (byte 1);
 *      the message's own first two bytes are the id, so the fuzzer can
 *      reach past the header.  Checked: *N <= MAX, every address of the
 *      asked family, nothing returned on -1, rcode 0..15.
 *   1  dns_stub_parse_query().  Checked: an accepted name is lower case
 *      [a-z0-9_-] labels of 1..63 bytes, at most 253; the stub's reply
 *      (A and AAAA) parses back through dns_parse_answer() for the same
 *      name with the same address and TTL; a refused query still gets a
 *      header-only FORMERR/NOTIMP reply.
 *   2  dns_resolv_conf_parse(): at most 3, families right.
 *   3  dns_hosts_lookup() for the first line's text: bounded, families
 *      right, no address twice.
 *   4  dns_fake_get() for each line: in 198.18.0.0/15, not .0/.255 or
 *      198.18.0.0/24, maps back to the name, same name same address,
 *      distinct names distinct addresses.
 *   5  dns_build_query() for the text: the query parses in the stub as
 *      the same (lower-cased, dot-less) name.
 *
 * Built with -DCOCO_LIBFUZZER by `make fuzz`; otherwise replay.h's
 * main() replays the corpus in `make check`. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "net/dns.h"
#include "fuzz.h"


static void check_stub_name(const char *s)
{
    size_t n = strlen(s), lab = 0;
    CHECK(n <= 253);
    if (n == 0)
        return;  /* the root */
    CHECK(s[0] != '.' && s[n - 1] != '.');
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            CHECK(lab > 0);
            lab = 0;
        } else {
            CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
            CHECK(++lab <= 63);
        }
    }
}

static void check_addrs(const struct net_addr *a, size_t n, size_t max, int family)
{
    CHECK(n <= max);
    for (size_t i = 0; i < n; i++) {
        CHECK(a[i].family == AF_INET || a[i].family == AF_INET6);
        CHECK(family == 0 || a[i].family == family);
    }
}

static void fuzz_answer(const uint8_t *d, size_t n)
{
    static const char *names[] = {"example.com", "a.b", "www.example.org"};
    if (n < 3)
        return;
    const char *name = names[(d[0] >> 1) % 3];
    uint16_t qtype = d[0] & 1 ? DNS_TYPE_AAAA : DNS_TYPE_A;
    const uint8_t *msg = d + 1;
    size_t len = n - 1;
    uint16_t id = (uint16_t)((msg[0] << 8) | msg[1]);
    struct net_addr out[4];
    size_t cnt = 99;
    struct dns_answer_info info;
    int r = dns_parse_answer(msg, len, id, name, qtype, out, 4, &cnt, &info);
    CHECK(r == 0 || r == -1);
    if (r < 0) {
        CHECK(cnt == 0);
        return;
    }
    check_addrs(out, cnt, 4, qtype == DNS_TYPE_A ? AF_INET : AF_INET6);
    CHECK(info.rcode >= 0 && info.rcode <= 15);
    CHECK(info.ttl <= 0x7FFFFFFFu);
    /* Another id never matches. */
    CHECK(dns_parse_answer(msg, len, (uint16_t)(id + 1), name, qtype, out, 4,
                           &cnt, &info) == -1);
}

static void round_trip(const struct dns_question *q0, const struct net_addr *a,
                       uint32_t ttl)
{
    struct dns_question q = *q0;
    q.qtype = a->family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;
    q.qclass = DNS_CLASS_IN;
    uint8_t buf[512];
    int len = dns_stub_reply(&q, DNS_RCODE_NOERROR, a, ttl, buf, sizeof buf);
    CHECK(len > 12 && len <= 299);
    struct net_addr out[2];
    size_t cnt;
    struct dns_answer_info info;
    CHECK(dns_parse_answer(buf, (size_t)len, q.id, q.name, q.qtype, out, 2,
                           &cnt, &info) == 0);
    CHECK(cnt == 1 && out[0].family == a->family &&
          memcmp(out[0].b, a->b, a->family == AF_INET ? 4 : 16) == 0);
    CHECK(info.rcode == 0 && !info.truncated && info.ttl == ttl);
    len = dns_stub_reply(&q, DNS_RCODE_REFUSED, NULL, 0, buf, sizeof buf);
    CHECK(len > 12);
    CHECK(dns_parse_answer(buf, (size_t)len, q.id, q.name, q.qtype, out, 2,
                           &cnt, &info) == 0);
    CHECK(cnt == 0 && info.rcode == DNS_RCODE_REFUSED);
}

static void fuzz_stub(const uint8_t *d, size_t n)
{
    struct dns_question q;
    int r = dns_stub_parse_query(d, n, &q);
    uint8_t buf[512];
    if (r == -1) {
        CHECK(n < 12);
        return;
    }
    if (r == -2) {
        CHECK(q.qclass == 0);
        int rc = dns_stub_error_rcode(d, n);
        CHECK(rc == DNS_RCODE_FORMERR || rc == DNS_RCODE_NOTIMP);
        CHECK(dns_stub_reply(&q, rc, NULL, 0, buf, sizeof buf) == 12);
        return;
    }
    CHECK(r == 0);
    check_stub_name(q.name);
    CHECK(q.qtype != 0 && q.qclass != 0);
    /* The reply echoes the question as it was asked. */
    int len = dns_stub_reply(&q, DNS_RCODE_NXDOMAIN, NULL, 0, buf, sizeof buf);
    CHECK(len > 12);
    struct dns_question q2;
    buf[2] &= 0x7F;  /* as a query again */
    CHECK(dns_stub_parse_query(buf, (size_t)len, &q2) == 0);
    CHECK(strcmp(q.name, q2.name) == 0 && q.qtype == q2.qtype &&
          q.qclass == q2.qclass && q.id == q2.id && q.rd == q2.rd);
    if (q.name[0] == '\0')
        return;  /* the proxy never asks for the root */
    struct net_addr a = {.family = AF_INET};
    uint32_t ttl = 0;
    for (size_t i = 0; i < 16 && i < n; i++)
        a.b[i] = d[n - 1 - i];
    for (size_t i = 0; i < 4 && i < n; i++)
        ttl = (ttl << 8) | d[i];
    ttl &= 0x7FFFFFFFu;
    struct net_addr v4 = a;
    memset(v4.b + 4, 0, 12);
    round_trip(&q, &v4, ttl);
    a.family = AF_INET6;
    round_trip(&q, &a, ttl);
}

static void fuzz_resolv(const uint8_t *d, size_t n)
{
    struct net_addr s[3];
    size_t cnt = 99;
    CHECK(dns_resolv_conf_parse((const char *)d, n, s, 3, &cnt) == 0);
    check_addrs(s, cnt, 3, 0);
}

static void fuzz_hosts(const uint8_t *d, size_t n)
{
    char name[300];
    size_t l = 0;
    while (l < n && l < sizeof name - 1 && d[l] != '\n' && d[l] != '\0')
        l++;
    memcpy(name, d, l);
    name[l] = '\0';
    struct net_addr out[4];
    size_t cnt = 99;
    CHECK(dns_hosts_lookup((const char *)d, n, name, out, 4, &cnt) == 0);
    check_addrs(out, cnt, 4, 0);
    for (size_t i = 0; i < cnt; i++)
        for (size_t j = i + 1; j < cnt; j++)
            CHECK(out[i].family != out[j].family || memcmp(out[i].b, out[j].b, 16) != 0);
}

static struct dns_fake fake;

static bool fake_ok(const struct net_addr *a)
{
    return a->family == AF_INET && a->b[0] == 198 && (a->b[1] == 18 || a->b[1] == 19) &&
           a->b[3] != 0 && a->b[3] != 255 && !(a->b[1] == 18 && a->b[2] == 0);
}

static void fuzz_fake(const uint8_t *d, size_t n)
{
    dns_fake_init(&fake);
    struct net_addr got[64];
    char names[64][300];
    size_t k = 0, pos = 0;
    while (pos < n && k < 64) {
        size_t l = 0;
        while (pos + l < n && d[pos + l] != '\n' && l < 299)
            l++;
        memcpy(names[k], d + pos, l);
        names[k][l] = '\0';
        pos += l + 1;
        if (dns_fake_get(&fake, names[k], &got[k]) != 0)
            continue;
        CHECK(fake_ok(&got[k]));
        const char *back = dns_fake_name(&fake, &got[k]);
        CHECK(back != NULL);
        /* Back to the name, case folded, one trailing dot dropped. */
        size_t bl = strlen(back), nl = strlen(names[k]);
        if (nl && names[k][nl - 1] == '.')
            nl--;
        CHECK(bl == nl && strncasecmp(back, names[k], nl) == 0);
        for (size_t j = 0; j < k; j++) {
            bool same_addr = memcmp(&got[j], &got[k], sizeof got[k]) == 0;
            bool same_name = strcmp(dns_fake_name(&fake, &got[j]), back) == 0;
            CHECK(same_addr == same_name);
        }
        k++;
    }
}

static void fuzz_build(const uint8_t *d, size_t n)
{
    char name[300];
    if (n >= sizeof name)
        return;
    memcpy(name, d, n);
    name[n] = '\0';
    uint8_t buf[512];
    int len = dns_build_query(buf, sizeof buf, 0x5151, name, DNS_TYPE_A);
    if (len < 0)
        return;
    CHECK(len <= 12 + 255 + 4);
    struct dns_question q;
    CHECK(dns_stub_parse_query(buf, (size_t)len, &q) == 0);
    check_stub_name(q.name);
    size_t nl = strlen(name);
    if (nl && name[nl - 1] == '.')
        nl--;
    CHECK(strlen(q.name) == nl && strncasecmp(q.name, name, nl) == 0);
    CHECK(q.id == 0x5151 && q.rd && q.qtype == DNS_TYPE_A && q.qclass == DNS_CLASS_IN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] % 6) {
    case 0: fuzz_answer(d, n); break;
    case 1: fuzz_stub(d, n); break;
    case 2: fuzz_resolv(d, n); break;
    case 3: fuzz_hosts(d, n); break;
    case 4: fuzz_fake(d, n); break;
    default: fuzz_build(d, n); break;
    }
    return 0;
}

#ifndef COCO_LIBFUZZER
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_args(argc, argv);
}
#endif
