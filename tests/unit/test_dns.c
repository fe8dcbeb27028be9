/* test_dns.c — DNS wire code (net/dns.c): replies built by hand byte by
 * byte (CNAME chains, strangers' records, pointer loops, lies about
 * lengths and counts), resolv.conf and hosts text, the stub's queries
 * and its exact reply bytes, and the fake-address table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns.h"

/* --- a message builder ------------------------------------------------ */

struct msg {
    uint8_t b[2048];
    size_t n;
};

static void u8(struct msg *m, unsigned v)
{
    assert_true(m->n < sizeof m->b);
    m->b[m->n++] = (uint8_t)v;
}

static void u16(struct msg *m, unsigned v)
{
    u8(m, v >> 8);
    u8(m, v & 0xFF);
}

static void u32(struct msg *m, uint32_t v)
{
    u16(m, v >> 16);
    u16(m, v & 0xFFFF);
}

/* Labels of dotted NAME, without the root label (end with u8(m, 0) or
 * a pointer). */
static void labels(struct msg *m, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        u8(m, (unsigned)l);
        for (size_t i = 0; i < l; i++)
            u8(m, (uint8_t)name[i]);
        name += l + (dot ? 1 : 0);
    }
}

static void name(struct msg *m, const char *n)
{
    labels(m, n);
    u8(m, 0);
}

static void header(struct msg *m, unsigned id, unsigned flags, unsigned qd,
                   unsigned an)
{
    m->n = 0;
    u16(m, id);
    u16(m, flags);
    u16(m, qd);
    u16(m, an);
    u16(m, 0);
    u16(m, 0);
}

static void question(struct msg *m, const char *n, unsigned type)
{
    name(m, n);
    u16(m, type);
    u16(m, DNS_CLASS_IN);
}

/* Type, class IN, TTL, RDLENGTH after an owner already written. */
static void rr_tail(struct msg *m, unsigned type, uint32_t ttl, unsigned rdlen)
{
    u16(m, type);
    u16(m, DNS_CLASS_IN);
    u32(m, ttl);
    u16(m, rdlen);
}

static void rr_a(struct msg *m, const char *owner, uint32_t ttl,
                 const char *addr)
{
    uint8_t b[4];
    assert_int_equal(inet_pton(AF_INET, addr, b), 1);
    name(m, owner);
    rr_tail(m, DNS_TYPE_A, ttl, 4);
    for (int i = 0; i < 4; i++)
        u8(m, b[i]);
}

static void rr_aaaa(struct msg *m, const char *owner, uint32_t ttl,
                    const char *addr)
{
    uint8_t b[16];
    assert_int_equal(inet_pton(AF_INET6, addr, b), 1);
    name(m, owner);
    rr_tail(m, DNS_TYPE_AAAA, ttl, 16);
    for (int i = 0; i < 16; i++)
        u8(m, b[i]);
}

static void rr_cname(struct msg *m, const char *owner, uint32_t ttl,
                     const char *target)
{
    name(m, owner);
    rr_tail(m, DNS_TYPE_CNAME, ttl, (unsigned)strlen(target) + 2);
    name(m, target);
}

static const char *fmt(const struct net_addr *a)
{
    static char buf[4][INET6_ADDRSTRLEN];
    static int k;
    k = (k + 1) % 4;
    net_addr_format(a, buf[k], sizeof buf[k]);
    return buf[k];
}

#define REPLY (0x8000 | 0x0100 | 0x0080) /* QR RD RA */

static int parse(const struct msg *m, uint16_t id, const char *n, uint16_t type,
                 struct net_addr *out, size_t max, size_t *cnt,
                 struct dns_answer_info *info)
{
    return dns_parse_answer(m->b, m->n, id, n, type, out, max, cnt, info);
}

/* --- queries ---------------------------------------------------------- */

static void test_build_query(void **state)
{
    (void)state;
    uint8_t buf[512];
    int n = dns_build_query(buf, sizeof buf, 0xBEEF, "example.com", DNS_TYPE_A);
    static const uint8_t want[] = {
        0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
        7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
        0, 1, 0, 1};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    /* One trailing dot is the same name; upper case folds. */
    uint8_t b2[512];
    assert_int_equal(dns_build_query(b2, sizeof b2, 0xBEEF, "Example.COM.", DNS_TYPE_A), n);
    assert_memory_equal(buf, b2, (size_t)n);
    assert_int_equal(dns_build_query(buf, sizeof buf, 1, "_dmarc.x-y.org", DNS_TYPE_AAAA), 12 + 16 + 4);
    assert_int_equal(buf[12 + 16 + 1], 28);

    char lab63[64], lab64[65], long254[300];
    memset(lab63, 'a', 63);
    lab63[63] = '\0';
    memset(lab64, 'a', 64);
    lab64[64] = '\0';
    assert_true(dns_build_query(buf, sizeof buf, 1, lab63, DNS_TYPE_A) > 0);
    assert_int_equal(dns_build_query(buf, sizeof buf, 1, lab64, DNS_TYPE_A), -1);
    /* 4 x 63 + 3 dots = 255 > 253; 253 exactly is fine. */
    snprintf(long254, sizeof long254, "%s.%s.%s.%.61s", lab63, lab63, lab63, lab63);
    assert_int_equal(strlen(long254), 253);
    assert_int_equal(dns_build_query(buf, sizeof buf, 1, long254, DNS_TYPE_A), 12 + 255 + 4);
    strcat(long254, "a");
    assert_int_equal(dns_build_query(buf, sizeof buf, 1, long254, DNS_TYPE_A), -1);
    const char *bad[] = {"", ".", "a..b", ".a", "a.b..", "a b", "a\\.b", "é.com", "a/b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dns_build_query(buf, sizeof buf, 1, bad[i], DNS_TYPE_A) != -1)
            fail_msg("\"%s\" built a query", bad[i]);
    /* Too small a buffer: -1, not a short write. */
    assert_int_equal(dns_build_query(buf, 28, 1, "example.com", DNS_TYPE_A), -1);
    assert_int_equal(dns_build_query(buf, 29, 1, "example.com", DNS_TYPE_A), 29);
}

/* --- replies ---------------------------------------------------------- */

static void test_answer_simple(void **state)
{
    (void)state;
    struct msg m;
    header(&m, 7, REPLY, 1, 2);
    question(&m, "example.com", DNS_TYPE_A);
    /* Owner as a pointer to the question, as servers write it. */
    u16(&m, 0xC00C);
    rr_tail(&m, DNS_TYPE_A, 300, 4);
    u32(&m, 0x5DB8D822); /* 93.184.216.34 */
    rr_a(&m, "EXAMPLE.com", 60, "93.184.216.35");
    struct net_addr out[4];
    size_t n = 99;
    struct dns_answer_info info;
    assert_int_equal(parse(&m, 7, "example.com", DNS_TYPE_A, out, 4, &n, &info), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].family, AF_INET);
    assert_string_equal(fmt(&out[0]), "93.184.216.34");
    assert_string_equal(fmt(&out[1]), "93.184.216.35");
    assert_int_equal(info.rcode, 0);
    assert_false(info.truncated);
    assert_int_equal(info.ttl, 60);
    /* MAX bounds what is written. */
    assert_int_equal(parse(&m, 7, "example.com", DNS_TYPE_A, out, 1, &n, &info), 0);
    assert_int_equal(n, 1);
    assert_int_equal(info.ttl, 300);
}

static void test_answer_cname_chain(void **state)
{
    (void)state;
    struct msg m;
    header(&m, 9, REPLY, 1, 6);
    question(&m, "www.example.com", DNS_TYPE_A);
    /* Out of order on purpose, with a stranger's record in the middle. */
    rr_a(&m, "edge.cdn.net", 30, "203.0.113.7");
    rr_a(&m, "evil.attacker.org", 5, "10.0.0.1");
    rr_cname(&m, "www.example.com", 3600, "lb.example.net");
    rr_cname(&m, "lb.example.net", 120, "edge.cdn.net");
    rr_a(&m, "www.example.com.evil", 5, "10.0.0.2");
    rr_cname(&m, "other.example.com", 5, "evil.attacker.org");
    struct net_addr out[4];
    size_t n;
    struct dns_answer_info info;
    assert_int_equal(parse(&m, 9, "www.example.com", DNS_TYPE_A, out, 4, &n, &info), 0);
    assert_int_equal(n, 1);
    assert_string_equal(fmt(&out[0]), "203.0.113.7");
    assert_int_equal(info.ttl, 30);

    /* A chain one link longer than DNS_CNAME_CHAIN_MAX is not followed to
     * its end. */
    char a[16], b[16];
    for (int len = DNS_CNAME_CHAIN_MAX; len <= DNS_CNAME_CHAIN_MAX + 1; len++) {
        header(&m, 9, REPLY, 1, (unsigned)len + 1);
        question(&m, "c0.x", DNS_TYPE_A);
        for (int i = 0; i < len; i++) {
            snprintf(a, sizeof a, "c%d.x", i);
            snprintf(b, sizeof b, "c%d.x", i + 1);
            rr_cname(&m, a, 100, b);
        }
        rr_a(&m, b, 100, "192.0.2.1");
        assert_int_equal(parse(&m, 9, "c0.x", DNS_TYPE_A, out, 4, &n, &info), 0);
        assert_int_equal(n, len <= DNS_CNAME_CHAIN_MAX ? 1 : 0);
    }

    /* A CNAME loop ends too. */
    header(&m, 9, REPLY, 1, 2);
    question(&m, "a.x", DNS_TYPE_A);
    rr_cname(&m, "a.x", 1, "b.x");
    rr_cname(&m, "b.x", 1, "a.x");
    assert_int_equal(parse(&m, 9, "a.x", DNS_TYPE_A, out, 4, &n, &info), 0);
    assert_int_equal(n, 0);
}

static void test_answer_types(void **state)
{
    (void)state;
    struct msg m;
    header(&m, 1, REPLY, 1, 3);
    question(&m, "h.example", DNS_TYPE_AAAA);
    rr_a(&m, "h.example", 10, "192.0.2.1");
    rr_aaaa(&m, "h.example", 10, "2001:db8::1");
    rr_aaaa(&m, "h.example", 10, "2001:db8::1"); /* once only */
    struct net_addr out[4];
    size_t n;
    struct dns_answer_info info;
    assert_int_equal(parse(&m, 1, "h.example", DNS_TYPE_AAAA, out, 4, &n, &info), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].family, AF_INET6);
    assert_string_equal(fmt(&out[0]), "2001:db8::1");
    /* The same reply is no answer to an A query (question mismatch). */
    assert_int_equal(parse(&m, 1, "h.example", DNS_TYPE_A, out, 4, &n, &info), -1);

    /* A with RDLENGTH 5, AAAA with 4: malformed. */
    header(&m, 1, REPLY, 1, 1);
    question(&m, "h.example", DNS_TYPE_A);
    name(&m, "h.example");
    rr_tail(&m, DNS_TYPE_A, 10, 5);
    u32(&m, 0x01020304);
    u8(&m, 5);
    assert_int_equal(parse(&m, 1, "h.example", DNS_TYPE_A, out, 4, &n, &info), -1);
    header(&m, 1, REPLY, 1, 1);
    question(&m, "h.example", DNS_TYPE_AAAA);
    name(&m, "h.example");
    rr_tail(&m, DNS_TYPE_AAAA, 10, 4);
    u32(&m, 0x01020304);
    assert_int_equal(parse(&m, 1, "h.example", DNS_TYPE_AAAA, out, 4, &n, &info), -1);
}

static void test_answer_pointers(void **state)
{
    (void)state;
    struct msg m;
    struct net_addr out[4];
    size_t n;
    struct dns_answer_info info;

    /* Owner is a pointer to itself. */
    header(&m, 2, REPLY, 1, 1);
    question(&m, "p.example", DNS_TYPE_A);
    size_t here = m.n;
    u16(&m, 0xC000 | (unsigned)here);
    rr_tail(&m, DNS_TYPE_A, 10, 4);
    u32(&m, 0x01020304);
    assert_int_equal(parse(&m, 2, "p.example", DNS_TYPE_A, out, 4, &n, &info), -1);

    /* A label, then a pointer back to that label: a loop through a
     * backwards pointer. */
    header(&m, 2, REPLY, 1, 1);
    question(&m, "p.example", DNS_TYPE_A);
    here = m.n;
    labels(&m, "p");
    u16(&m, 0xC000 | (unsigned)here);
    rr_tail(&m, DNS_TYPE_A, 10, 4);
    u32(&m, 0x01020304);
    assert_int_equal(parse(&m, 2, "p.example", DNS_TYPE_A, out, 4, &n, &info), -1);

    /* Forward pointer to a valid name later in the message. */
    header(&m, 2, REPLY, 1, 1);
    question(&m, "p.example", DNS_TYPE_A);
    here = m.n;
    u16(&m, 0xC000 | (unsigned)(here + 16));
    rr_tail(&m, DNS_TYPE_A, 10, 4);
    u32(&m, 0x01020304);
    assert_int_equal(m.n, here + 16);
    name(&m, "p.example");
    assert_int_equal(parse(&m, 2, "p.example", DNS_TYPE_A, out, 4, &n, &info), -1);

    /* Pointer to a suffix, and a pointer to a pointer: fine. */
    header(&m, 2, REPLY, 1, 2);
    question(&m, "p.example", DNS_TYPE_A);
    size_t first = m.n;
    labels(&m, "p");
    u16(&m, 0xC00C + 2);          /* p + "example" of the question */
    rr_tail(&m, DNS_TYPE_A, 10, 4);
    u32(&m, 0xC0000201);
    u16(&m, 0xC000 | (unsigned)first);
    rr_tail(&m, DNS_TYPE_A, 10, 4);
    u32(&m, 0xC0000202);
    assert_int_equal(parse(&m, 2, "p.example", DNS_TYPE_A, out, 4, &n, &info), 0);
    assert_int_equal(n, 2);
    assert_string_equal(fmt(&out[1]), "192.0.2.2");

    /* Long names built of pointers into an opaque TXT record's RDATA:
     * 193 wire bytes are fine, 257 are refused. */
    char lab[64];
    memset(lab, 'a', 63);
    lab[63] = '\0';
    for (int longer = 0; longer <= 1; longer++) {
        header(&m, 2, REPLY, 1, 2);
        question(&m, "p.example", DNS_TYPE_A);
        u16(&m, 0xC00C);
        size_t rdlen_at = m.n + 8;
        rr_tail(&m, 16, 1, 0);
        size_t blob = m.n;
        size_t l1 = m.n;
        name(&m, lab);                    /* 65 wire bytes */
        size_t l2 = m.n;
        labels(&m, lab);
        u16(&m, 0xC000 | (unsigned)l1);   /* 129 */
        size_t l3 = m.n;
        labels(&m, lab);
        u16(&m, 0xC000 | (unsigned)l2);   /* 193 */
        size_t l4 = m.n;
        labels(&m, lab);
        u16(&m, 0xC000 | (unsigned)l3);   /* 257 */
        m.b[rdlen_at] = (uint8_t)((m.n - blob) >> 8);
        m.b[rdlen_at + 1] = (uint8_t)(m.n - blob);
        u16(&m, 0xC000 | (unsigned)(longer ? l4 : l3));
        rr_tail(&m, DNS_TYPE_A, 1, 4);
        u32(&m, 1);
        assert_int_equal(parse(&m, 2, "p.example", DNS_TYPE_A, out, 4, &n, &info),
                         longer ? -1 : 0);
    }
}

static void test_answer_truncated(void **state)
{
    (void)state;
    struct msg m, full;
    struct net_addr out[4];
    size_t n;
    struct dns_answer_info info;
    header(&full, 3, REPLY, 1, 1);
    question(&full, "t.example", DNS_TYPE_A);
    rr_a(&full, "t.example", 10, "192.0.2.9");
    assert_int_equal(parse(&full, 3, "t.example", DNS_TYPE_A, out, 4, &n, &info), 0);
    /* Every cut of the message is refused, never read past. */
    for (size_t cut = 0; cut < full.n; cut++) {
        m = full;
        m.n = cut;
        if (parse(&m, 3, "t.example", DNS_TYPE_A, out, 4, &n, &info) != -1)
            fail_msg("cut at %zu parsed", cut);
    }
    /* ANCOUNT claims more records than there are. */
    m = full;
    m.b[7] = 2;
    assert_int_equal(parse(&m, 3, "t.example", DNS_TYPE_A, out, 4, &n, &info), -1);
    m.b[6] = 0xFF;
    m.b[7] = 0xFF;
    assert_int_equal(parse(&m, 3, "t.example", DNS_TYPE_A, out, 4, &n, &info), -1);
    /* RDLENGTH running past the end. */
    header(&m, 3, REPLY, 1, 1);
    question(&m, "t.example", DNS_TYPE_CNAME);
    name(&m, "t.example");
    rr_tail(&m, DNS_TYPE_CNAME, 10, 40);
    name(&m, "u.example");
    assert_int_equal(parse(&m, 3, "t.example", DNS_TYPE_CNAME, out, 4, &n, &info), -1);
    /* A CNAME target spilling out of its RDATA. */
    header(&m, 3, REPLY, 1, 2);
    question(&m, "t.example", DNS_TYPE_A);
    name(&m, "t.example");
    rr_tail(&m, DNS_TYPE_CNAME, 10, 3);
    name(&m, "u.example");
    assert_int_equal(parse(&m, 3, "t.example", DNS_TYPE_A, out, 4, &n, &info), -1);

    /* TC set: reported; the caller asks again over TCP. */
    header(&m, 3, REPLY | 0x0200, 1, 0);
    question(&m, "t.example", DNS_TYPE_A);
    assert_int_equal(parse(&m, 3, "t.example", DNS_TYPE_A, out, 4, &n, &info), 0);
    assert_true(info.truncated);
    assert_int_equal(n, 0);
}

static void test_answer_mismatch(void **state)
{
    (void)state;
    struct msg m;
    struct net_addr out[4];
    size_t n;
    struct dns_answer_info info;
    header(&m, 4, REPLY, 1, 1);
    question(&m, "m.example", DNS_TYPE_A);
    rr_a(&m, "m.example", 10, "192.0.2.4");
    assert_int_equal(parse(&m, 4, "m.example", DNS_TYPE_A, out, 4, &n, &info), 0);
    assert_int_equal(n, 1);
    /* 0x20-style case in the echoed question is the same question. */
    m.b[13] = 'M';
    assert_int_equal(parse(&m, 4, "m.example", DNS_TYPE_A, out, 4, &n, &info), 0);
    assert_int_equal(parse(&m, 4, "m.example.", DNS_TYPE_A, out, 4, &n, &info), 0);
    assert_int_equal(parse(&m, 5, "m.example", DNS_TYPE_A, out, 4, &n, &info), -1);
    assert_int_equal(n, 0);
    assert_int_equal(parse(&m, 4, "n.example", DNS_TYPE_A, out, 4, &n, &info), -1);
    assert_int_equal(parse(&m, 4, "m.example.com", DNS_TYPE_A, out, 4, &n, &info), -1);
    assert_int_equal(parse(&m, 4, "example", DNS_TYPE_A, out, 4, &n, &info), -1);
    assert_int_equal(parse(&m, 4, "m.example", DNS_TYPE_AAAA, out, 4, &n, &info), -1);
    struct msg c = m;
    c.b[2] &= 0x7F; /* QR clear: a query, not a reply */
    assert_int_equal(parse(&c, 4, "m.example", DNS_TYPE_A, out, 4, &n, &info), -1);
    c = m;
    c.b[2] |= 0x10; /* opcode 2 */
    assert_int_equal(parse(&c, 4, "m.example", DNS_TYPE_A, out, 4, &n, &info), -1);
    c = m;
    c.b[5] = 2; /* QDCOUNT 2 */
    assert_int_equal(parse(&c, 4, "m.example", DNS_TYPE_A, out, 4, &n, &info), -1);
    c = m;
    c.b[5] = 0;
    assert_int_equal(parse(&c, 4, "m.example", DNS_TYPE_A, out, 4, &n, &info), -1);
    c = m;
    c.b[12 + 11 + 3] = 3; /* class CH */
    assert_int_equal(parse(&c, 4, "m.example", DNS_TYPE_A, out, 4, &n, &info), -1);

    /* NXDOMAIN: a reply, no addresses. */
    header(&m, 4, REPLY | DNS_RCODE_NXDOMAIN, 1, 0);
    question(&m, "m.example", DNS_TYPE_A);
    assert_int_equal(parse(&m, 4, "m.example", DNS_TYPE_A, out, 4, &n, &info), 0);
    assert_int_equal(info.rcode, DNS_RCODE_NXDOMAIN);
    assert_int_equal(n, 0);
    assert_int_equal(info.ttl, 0);
}

/* --- resolv.conf and hosts -------------------------------------------- */

static void test_resolv_conf(void **state)
{
    (void)state;
    static const char text[] =
        "# generated by NetworkManager\n"
        "search example.org\n"
        "; nameserver 9.9.9.9\n"
        "nameserver 192.0.2.53 # office\n"
        "nameserver\tfe80::1%eth0\n"
        "nameserver dns.example\n"
        "nameservers 192.0.2.99\n"
        "nameserver 2001:db8::53;x\n"
        "  nameserver   192.0.2.54  \r\n"
        "nameserver 192.0.2.55\n"
        "nameserver 192.0.2.56";
    struct net_addr s[3];
    size_t n;
    assert_int_equal(dns_resolv_conf_parse(text, strlen(text), s, 3, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(fmt(&s[0]), "192.0.2.53");
    assert_string_equal(fmt(&s[1]), "2001:db8::53");
    assert_int_equal(s[1].family, AF_INET6);
    assert_string_equal(fmt(&s[2]), "192.0.2.54");
    struct net_addr s5[5];
    assert_int_equal(dns_resolv_conf_parse(text, strlen(text), s5, 5, &n), 0);
    assert_int_equal(n, 5);
    assert_string_equal(fmt(&s5[4]), "192.0.2.56"); /* no final newline */
    /* LEN is honoured: the text need not end in NUL. */
    assert_int_equal(dns_resolv_conf_parse(text, strlen(text) - 1, s5, 5, &n), 0);
    assert_string_equal(fmt(&s5[4]), "192.0.2.5");
    assert_int_equal(dns_resolv_conf_parse("", 0, s, 3, &n), 0);
    assert_int_equal(n, 0);
    static const char nul[] = "nameserver 192.0.2.1\0x\nnameserver 1.1.1.1";
    assert_int_equal(dns_resolv_conf_parse(nul, sizeof nul - 1, s, 3, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(fmt(&s[0]), "1.1.1.1");
}

static void test_hosts(void **state)
{
    (void)state;
    static const char text[] =
        "127.0.0.1\tlocalhost\n"
        "::1 localhost ip6-localhost ip6-loopback\n"
        "# 10.0.0.1 box.lan\n"
        "192.0.2.10 box.lan box # the box\n"
        "192.0.2.11 other.lan notbox.lan boxes\n"
        "2001:db8::10 BOX.lan.\n"
        "192.0.2.10 box\n"
        "bogus box\n"
        "fe80::1%eth0 box\n"
        "192.0.2.12\n";
    struct net_addr out[4];
    size_t n;
    assert_int_equal(dns_hosts_lookup(text, strlen(text), "box", out, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(fmt(&out[0]), "192.0.2.10");
    assert_int_equal(dns_hosts_lookup(text, strlen(text), "Box.Lan.", out, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(fmt(&out[0]), "192.0.2.10");
    assert_string_equal(fmt(&out[1]), "2001:db8::10");
    assert_int_equal(dns_hosts_lookup(text, strlen(text), "localhost", out, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(fmt(&out[1]), "::1");
    assert_int_equal(dns_hosts_lookup(text, strlen(text), "ip6-loopback", out, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(dns_hosts_lookup(text, strlen(text), "localhost", out, 1, &n), 0);
    assert_int_equal(n, 1);
    const char *none[] = {"the", "lan", "bo", "192.0.2.12", "", ".", "bogus"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        assert_int_equal(dns_hosts_lookup(text, strlen(text), none[i], out, 4, &n), 0);
        if (n != 0)
            fail_msg("\"%s\" found %zu", none[i], n);
    }
}

/* --- the stub --------------------------------------------------------- */

static void test_stub_query(void **state)
{
    (void)state;
    struct msg m;
    struct dns_question q;
    header(&m, 0x1234, 0x0100, 1, 0);
    m.b[11] = 1; /* ARCOUNT 1: an EDNS OPT record follows */
    question(&m, "WWW.Example.com", DNS_TYPE_AAAA);
    u8(&m, 0);
    u16(&m, 41);
    u16(&m, 1232);
    u32(&m, 0);
    u16(&m, 0);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), 0);
    assert_int_equal(q.id, 0x1234);
    assert_string_equal(q.name, "www.example.com");
    assert_int_equal(q.qtype, DNS_TYPE_AAAA);
    assert_int_equal(q.qclass, DNS_CLASS_IN);
    assert_true(q.rd);

    /* The root. */
    header(&m, 1, 0, 1, 0);
    question(&m, "", 2);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), 0);
    assert_string_equal(q.name, "");
    assert_false(q.rd);

    /* Two questions. */
    header(&m, 0x4242, 0x0100, 2, 0);
    question(&m, "a.example", DNS_TYPE_A);
    question(&m, "b.example", DNS_TYPE_A);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), -2);
    assert_int_equal(q.id, 0x4242);
    assert_true(q.rd);
    assert_int_equal(q.qclass, 0);
    assert_int_equal(dns_stub_error_rcode(m.b, m.n), DNS_RCODE_FORMERR);
    /* QR set. */
    header(&m, 5, 0x8100, 1, 0);
    question(&m, "a.example", DNS_TYPE_A);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), -2);
    assert_int_equal(q.id, 5);
    /* Opcode 2 (STATUS): NOTIMP. */
    header(&m, 5, 0x1000, 1, 0);
    question(&m, "a.example", DNS_TYPE_A);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), -2);
    assert_int_equal(dns_stub_error_rcode(m.b, m.n), DNS_RCODE_NOTIMP);
    /* A pointer in the query (to its own header). */
    header(&m, 6, 0, 1, 0);
    labels(&m, "a");
    u16(&m, 0xC000);
    u16(&m, DNS_TYPE_A);
    u16(&m, DNS_CLASS_IN);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), -2);
    assert_int_equal(q.id, 6);
    /* A pointer whose bytes would also read as a long label of name
     * bytes (0xC0 'a' then 191 x 'a'): refused as a pointer, not as a
     * label running past the end. */
    header(&m, 6, 0, 1, 0);
    u8(&m, 0xC0);
    for (int i = 0; i < 192; i++)
        u8(&m, 'a');
    u8(&m, 0);
    u16(&m, DNS_TYPE_A);
    u16(&m, DNS_CLASS_IN);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), -2);
    /* A 64-byte label. */
    char lab[65];
    memset(lab, 'a', 64);
    lab[64] = '\0';
    header(&m, 7, 0, 1, 0);
    question(&m, lab, DNS_TYPE_A);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), -2);
    lab[63] = '\0';
    header(&m, 7, 0, 1, 0);
    question(&m, lab, DNS_TYPE_A);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), 0);
    /* 254 bytes of text (4 labels: 63+63+63+62 + 3 dots). */
    char big[300];
    snprintf(big, sizeof big, "%s.%s.%s.%.62s", lab, lab, lab, lab);
    header(&m, 7, 0, 1, 0);
    question(&m, big, DNS_TYPE_A);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), -2);
    big[strlen(big) - 1] = '\0';
    header(&m, 7, 0, 1, 0);
    question(&m, big, DNS_TYPE_A);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), 0);
    assert_int_equal(strlen(q.name), 253);
    /* Bytes no host name holds: a dot inside a label, a NUL, a space. */
    const char *odd[] = {"a.b", "a\001b", "a b", "a*"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        header(&m, 8, 0, 1, 0);
        u8(&m, (unsigned)strlen(odd[i]));
        for (const char *p = odd[i]; *p; p++)
            u8(&m, (uint8_t)*p);
        u8(&m, 0);
        u16(&m, 1);
        u16(&m, 1);
        assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), -2);
    }
    /* Cut short: the header is there (-2), or not (-1). */
    header(&m, 9, 0, 1, 0);
    question(&m, "a.example", DNS_TYPE_A);
    for (size_t cut = 0; cut < m.n; cut++)
        assert_int_equal(dns_stub_parse_query(m.b, cut, &q), cut < 12 ? -1 : -2);
    /* Type or class 0. */
    header(&m, 9, 0, 1, 0);
    question(&m, "a.example", 0);
    assert_int_equal(dns_stub_parse_query(m.b, m.n, &q), -2);
}

static void test_stub_reply(void **state)
{
    (void)state;
    struct dns_question q = {.id = 0xABCD, .name = "api.example.com",
                             .qtype = DNS_TYPE_A, .qclass = DNS_CLASS_IN,
                             .rd = true};
    struct net_addr a;
    assert_int_equal(net_addr_parse("198.18.1.2", &a), 1);
    uint8_t out[512];
    int n = dns_stub_reply(&q, DNS_RCODE_NOERROR, &a, 60, out, sizeof out);
    static const uint8_t want[] = {
        0xAB, 0xCD, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
        3, 'a', 'p', 'i', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
        0, 1, 0, 1,
        0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 1, 2};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    /* It answers the query the proxy would have built. */
    struct net_addr got[2];
    size_t cnt;
    struct dns_answer_info info;
    assert_int_equal(dns_parse_answer(out, (size_t)n, 0xABCD, "api.example.com",
                                      DNS_TYPE_A, got, 2, &cnt, &info), 0);
    assert_int_equal(cnt, 1);
    assert_string_equal(fmt(&got[0]), "198.18.1.2");
    assert_int_equal(info.ttl, 60);
    /* One byte short: -1. */
    assert_int_equal(dns_stub_reply(&q, 0, &a, 60, out, sizeof want - 1), -1);

    q.rd = false;
    q.qtype = DNS_TYPE_AAAA;
    n = dns_stub_reply(&q, DNS_RCODE_REFUSED, NULL, 0, out, sizeof out);
    static const uint8_t refused[] = {
        0xAB, 0xCD, 0x80, 0x85, 0, 1, 0, 0, 0, 0, 0, 0,
        3, 'a', 'p', 'i', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
        0, 28, 0, 1};
    assert_int_equal(n, sizeof refused);
    assert_memory_equal(out, refused, sizeof refused);

    /* AAAA round trip. */
    q.rd = true;
    assert_int_equal(net_addr_parse("2001:db8::7", &a), 1);
    n = dns_stub_reply(&q, 0, &a, 5, out, sizeof out);
    assert_int_equal(n, 33 + 28);
    assert_int_equal(dns_parse_answer(out, (size_t)n, 0xABCD, "api.example.com",
                                      DNS_TYPE_AAAA, got, 2, &cnt, &info), 0);
    assert_int_equal(cnt, 1);
    assert_string_equal(fmt(&got[0]), "2001:db8::7");

    /* The FORMERR for a refused query: no question. */
    struct dns_question e = {.id = 3, .rd = true};
    n = dns_stub_reply(&e, DNS_RCODE_FORMERR, NULL, 0, out, sizeof out);
    static const uint8_t formerr[] = {0, 3, 0x81, 0x81, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(n, sizeof formerr);
    assert_memory_equal(out, formerr, sizeof formerr);
    assert_int_equal(dns_stub_reply(&e, 0, &a, 5, out, sizeof out), -1);
    assert_int_equal(dns_stub_reply(&q, 16, NULL, 0, out, sizeof out), -1);
    a.family = 0;
    assert_int_equal(dns_stub_reply(&q, 0, &a, 5, out, sizeof out), -1);
}

/* --- fake addresses --------------------------------------------------- */

static struct dns_fake fa, fb;

static bool usable(const struct net_addr *a)
{
    return a->family == AF_INET && a->b[0] == 198 && (a->b[1] == 18 || a->b[1] == 19) &&
           a->b[3] != 0 && a->b[3] != 255 && !(a->b[1] == 18 && a->b[2] == 0);
}

static void test_fake(void **state)
{
    (void)state;
    dns_fake_init(&fa);
    dns_fake_init(&fb);
    struct net_addr a, b, c;
    assert_int_equal(dns_fake_get(&fa, "api.example.com", &a), 0);
    assert_true(usable(&a));
    assert_string_equal(dns_fake_name(&fa, &a), "api.example.com");
    /* Same name, same address; case and one trailing dot fold. */
    assert_int_equal(dns_fake_get(&fa, "API.example.com.", &b), 0);
    assert_memory_equal(&a, &b, sizeof a);
    /* Deterministic: a fresh table gives the same address. */
    assert_int_equal(dns_fake_get(&fb, "api.example.com", &c), 0);
    assert_memory_equal(&a, &c, sizeof a);
    assert_int_equal(dns_fake_get(&fa, "", &c), -1);

    /* Not ours: other addresses, other families, free fakes. */
    struct net_addr x;
    assert_int_equal(net_addr_parse("198.18.0.1", &x), 1);
    assert_null(dns_fake_name(&fa, &x));
    assert_int_equal(net_addr_parse("10.0.0.1", &x), 1);
    assert_null(dns_fake_name(&fa, &x));
    x = a;
    x.b[3] ^= 1;
    if (usable(&x))
        assert_null(dns_fake_name(&fa, &x));
    x = a;
    x.family = AF_INET6;
    assert_null(dns_fake_name(&fa, &x));

    /* Fill it: every name a distinct usable address, each maps back. */
    static struct net_addr all[DNS_FAKE_MAX];
    char nm[32];
    all[0] = a;
    for (int i = 1; i < DNS_FAKE_MAX; i++) {
        snprintf(nm, sizeof nm, "h%d.example", i);
        if (dns_fake_get(&fa, nm, &all[i]) != 0)
            fail_msg("%s: full at %d", nm, i);
        if (!usable(&all[i]))
            fail_msg("%s: %s", nm, fmt(&all[i]));
    }
    static uint8_t seen[1 << 17];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < DNS_FAKE_MAX; i++) {
        uint32_t k = ((uint32_t)(all[i].b[1] - 18) << 16) | ((uint32_t)all[i].b[2] << 8) | all[i].b[3];
        if (seen[k]++)
            fail_msg("%s handed out twice", fmt(&all[i]));
        const char *back = dns_fake_name(&fa, &all[i]);
        assert_non_null(back);
        if (i > 0) {
            snprintf(nm, sizeof nm, "h%d.example", i);
            assert_string_equal(back, nm);
        }
    }
    /* Full: a new name is refused, an old one still answers. */
    assert_int_equal(dns_fake_get(&fa, "one.more.example", &c), -1);
    assert_int_equal(dns_fake_get(&fa, "h77.example", &c), 0);
    assert_memory_equal(&c, &all[77], sizeof c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_query),
        cmocka_unit_test(test_answer_simple),
        cmocka_unit_test(test_answer_cname_chain),
        cmocka_unit_test(test_answer_types),
        cmocka_unit_test(test_answer_pointers),
        cmocka_unit_test(test_answer_truncated),
        cmocka_unit_test(test_answer_mismatch),
        cmocka_unit_test(test_resolv_conf),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_stub_query),
        cmocka_unit_test(test_stub_reply),
        cmocka_unit_test(test_fake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
