/* test_net_addr.c — IP literals in every spelling, and the blocked
 * ranges (net/addr.c): both sides of every range's edges, and spot
 * checks written out by hand so a wrong table row cannot pass both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "net.h"

static const char *canon(const char *s, int *rc)
{
    static char buf[INET6_ADDRSTRLEN];
    struct net_addr a;
    *rc = net_addr_parse(s, &a);
    if (*rc != 1)
        return NULL;
    net_addr_format(&a, buf, sizeof buf);
    return buf;
}

static void expect(const char *in, int want_rc, const char *want)
{
    int rc;
    const char *got = canon(in, &rc);
    if (rc != want_rc || (want && (!got || strcmp(got, want) != 0)))
        fail_msg("\"%s\": got %d %s, want %d %s", in, rc, got ? got : "-",
                 want_rc, want ? want : "-");
}

static void test_spellings(void **state)
{
    (void)state;
    /* Every spelling of loopback a URL parser accepts is one address. */
    const char *lo[] = {"127.0.0.1", "127.1", "127.0.1", "2130706433",
                        "0x7f000001", "0X7F000001", "0177.0.0.1", "0x7f.1",
                        "0x7f.0.0.0x1", "127.0.0.1.", "017700000001",
                        "[::ffff:127.0.0.1]", "::ffff:7f00:1",
                        "[::FFFF:7F00:0001]"};
    for (size_t i = 0; i < sizeof lo / sizeof lo[0]; i++)
        expect(lo[i], 1, "127.0.0.1");
    expect("4294967295", 1, "255.255.255.255");
    expect("0", 1, "0.0.0.0");
    expect("0x", 1, "0.0.0.0");
    expect("1.2.3.4", 1, "1.2.3.4");
    expect("[::1]", 1, "::1");
    expect("[2001:DB8:0:0::1]", 1, "2001:db8::1");
    expect("fd00:ec2::254", 1, "fd00:ec2::254");
    /* Names: the last label is not a number. */
    expect("example.com", 0, NULL);
    expect("1.2.3.x", 0, NULL);
    expect("0x7f.example", 0, NULL);
    expect("123abc", 0, NULL);
    /* Looks like an address, is none: never resolved as a name. */
    const char *bad[] = {"1.2.3.256", "256.1.2.3", "1.2.3.4.5", "4294967296",
                         "99999999999999999999", "1..2.3", ".1.2.3", "09.1.1.1",
                         "0x1g.1", "[fe80::1%eth0]", "fe80::1%25eth0",
                         "[::1", "[]", "[1.2.3.4]", "::g", "", "1.2.65536",
                         "1.16777216"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(bad[i], -1, NULL);
    expect("1.2.3.0x", 1, "1.2.3.0"); /* an empty hex part is 0 (URL standard) */
    expect("1.65535", 1, "1.0.255.255");
    expect("1.2.65535", 1, "1.2.255.255");
}

static const char *blocked(const char *s)
{
    struct net_addr a;
    if (net_addr_parse(s, &a) != 1)
        fail_msg("\"%s\" does not parse", s);
    const struct net_range *r = net_addr_blocked(&a);
    return r ? r->cidr : NULL;
}

static void is_blocked(const char *s, const char *range)
{
    const char *got = blocked(s);
    if (!got || strcmp(got, range) != 0)
        fail_msg("%s: got %s, want blocked by %s", s, got ? got : "public", range);
}

static void is_public(const char *s)
{
    const char *got = blocked(s);
    if (got)
        fail_msg("%s: blocked by %s, want public", s, got);
}

static void test_ranges_by_hand(void **state)
{
    (void)state;
    is_public("9.255.255.255");
    is_blocked("10.0.0.0", "10.0.0.0/8");
    is_blocked("10.255.255.255", "10.0.0.0/8");
    is_public("11.0.0.0");
    is_public("100.63.255.255");
    is_blocked("100.64.0.0", "100.64.0.0/10");
    is_blocked("100.127.255.255", "100.64.0.0/10");
    is_public("100.128.0.0");
    is_blocked("127.0.0.1", "127.0.0.0/8");
    is_blocked("169.254.169.254", "169.254.169.254/32");
    is_blocked("169.254.0.1", "169.254.0.0/16");
    is_public("172.15.255.255");
    is_blocked("172.16.0.0", "172.16.0.0/12");
    is_blocked("172.31.255.255", "172.16.0.0/12");
    is_public("172.32.0.0");
    is_blocked("192.0.0.8", "192.0.0.0/24");
    is_public("192.0.1.0");
    is_blocked("192.168.1.1", "192.168.0.0/16");
    is_public("198.17.255.255");
    is_blocked("198.18.0.0", "198.18.0.0/15");
    is_blocked("198.19.255.255", "198.18.0.0/15");
    is_public("198.20.0.0");
    is_public("223.255.255.255");
    is_blocked("224.0.0.1", "224.0.0.0/4");
    is_blocked("239.255.255.255", "224.0.0.0/4");
    is_blocked("240.0.0.0", "240.0.0.0/4");
    is_blocked("255.255.255.254", "240.0.0.0/4");
    is_blocked("255.255.255.255", "255.255.255.255/32");
    is_blocked("0.0.0.0", "0.0.0.0/8");
    is_blocked("0.255.255.255", "0.0.0.0/8");
    is_public("1.0.0.0");
    /* The documentation ranges stay reachable (this machine's registries
     * resolve into 203.0.113/24). */
    is_public("192.0.2.1");
    is_public("198.51.100.7");
    is_public("203.0.113.5");
    is_public("8.8.8.8");
    /* IPv6 */
    is_blocked("::", "::/128");
    is_blocked("::1", "::1/128");
    is_blocked("::2", "::/96");
    is_blocked("::10.0.0.1", "::/96");
    is_blocked("::8.8.8.8", "::/96");
    is_public("::1:0:0:0");
    is_blocked("::ffff:10.0.0.1", "10.0.0.0/8");
    is_blocked("::ffff:169.254.169.254", "169.254.169.254/32");
    is_public("::ffff:8.8.8.8");
    is_blocked("64:ff9b::8.8.8.8", "64:ff9b::/96");
    is_blocked("64:ff9b:1::1", "64:ff9b:1::/48");
    is_public("64:ff9b:2::1");
    is_blocked("100::1", "100::/64");
    is_public("100:0:0:1::1");
    is_blocked("2001::1", "2001::/32");
    is_blocked("2001:0:ffff:ffff::1", "2001::/32");
    is_public("2001:1::1");
    is_public("2001:db8::1");
    is_blocked("2002:a00:1::1", "2002::/16");
    is_public("2003::1");
    is_public("2606:4700::1111");
    is_public("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    is_blocked("fc00::", "fc00::/7");
    is_blocked("fd12:3456::1", "fc00::/7");
    is_blocked("fd00:ec2::254", "fd00:ec2::254/128");
    is_public("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    is_blocked("fe80::1", "fe80::/10");
    is_blocked("febf:ffff::1", "fe80::/10");
    is_blocked("fec0::1", "fec0::/10");
    is_blocked("feff::1", "fec0::/10");
    is_blocked("ff02::1", "ff00::/8");
}

/* BASE/PREFIX's first address minus one, first, last and last plus one. */
static void edges(const struct net_range *r, struct net_addr out[4])
{
    size_t n = r->family == AF_INET ? 4 : 16;
    struct net_addr first = {.family = r->family}, last;
    memcpy(first.b, r->base, n);
    last = first;
    for (unsigned bit = r->prefix; bit < n * 8; bit++)
        last.b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
    out[1] = first;
    out[2] = last;
    out[0] = first;
    for (size_t i = n; i-- > 0;)
        if (out[0].b[i]-- != 0)
            break;
    out[3] = last;
    for (size_t i = n; i-- > 0;)
        if (++out[3].b[i] != 0)
            break;
}

/* Every row, walked: its first and last address are blocked (by it or a
 * narrower row listed before it), and the address just outside each
 * edge is blocked only if another row holds it. */
static void test_every_edge(void **state)
{
    (void)state;
    for (size_t i = 0; i < net_n_blocked; i++) {
        const struct net_range *r = &net_blocked[i];
        struct net_addr e[4];
        char s[INET6_ADDRSTRLEN];
        edges(r, e);
        for (int k = 0; k < 4; k++) {
            const struct net_range *got = net_addr_blocked(&e[k]);
            net_addr_format(&e[k], s, sizeof s);
            bool inside = k == 1 || k == 2;
            bool wrapped = (k == 0 && r->prefix == 0) ||
                           (k == 3 && memcmp(e[3].b, e[1].b, 16) == 0);
            if (inside && !got)
                fail_msg("%s (edge of %s) is not blocked", s, r->cidr);
            if (inside && got != r && (size_t)(got - net_blocked) > i)
                fail_msg("%s: %s shadows %s", s, got->cidr, r->cidr);
            if (!inside && got && !wrapped) {
                /* Outside R: only another row may hold it. */
                bool other = false;
                for (size_t j = 0; j < net_n_blocked; j++)
                    if (j != i && &net_blocked[j] == got)
                        other = true;
                if (!other)
                    fail_msg("%s (outside %s) blocked by it", s, r->cidr);
                if (net_addr_in(&e[k], r->family, r->base, r->prefix))
                    fail_msg("%s is inside %s: edge arithmetic", s, r->cidr);
            }
        }
        /* The row's own text names its base and prefix. */
        char want[64];
        net_addr_format(&e[1], s, sizeof s);
        snprintf(want, sizeof want, "%s/%u", s, r->prefix);
        assert_string_equal(r->cidr, want);
    }
}

/* What private_ranges may name: inside a range it may open, touching
 * none it may never open. */
static void test_private_ranges(void **state)
{
    (void)state;
    static const struct {
        const char *cidr, *why;  /* why: a piece of the refusal, or NULL */
    } cases[] = {
        {"10.20.0.0/16", NULL},
        {"10.0.0.0/8", NULL},
        {"192.168.1.0/24", NULL},
        {"172.16.0.0/12", NULL},
        {"100.64.0.0/10", NULL},
        {"fd12:3456::/32", NULL},
        {"169.254.0.0/24", NULL},
        {"169.254.169.0/24", "169.254.169.254/32 (cloud metadata)"},
        {"169.254.0.0/16", "169.254.169.254/32 (cloud metadata)"},
        {"127.0.0.0/8", "127.0.0.0/8 (loopback)"},
        {"127.0.0.1/32", "127.0.0.0/8 (loopback)"},
        {"0.0.0.0/8", "0.0.0.0/8 (this network)"},
        {"0.0.0.0/1", "this network"},
        {"8.0.0.0/7", "is not inside a blocked range"},
        {"8.8.8.0/24", "is not inside a blocked range"},
        {"203.0.113.0/24", "is not inside a blocked range"},
        {"10.0.0.0/7", "is not inside a blocked range"},
        {"fc00::/6", "cloud metadata"},
        {"fc00::/7", "cloud metadata"},
        {"fd00:ec2::/32", "cloud metadata"},
        {"::/96", "::/128 (unspecified)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct net_cidr c;
        const char *why = NULL;
        char buf[256];
        if (net_cidr_parse(cases[i].cidr, &c, &why) < 0)
            fail_msg("%s: %s", cases[i].cidr, why);
        why = net_private_range_check(&c, buf, sizeof buf);
        if (!cases[i].why && why)
            fail_msg("%s refused: %s", cases[i].cidr, why);
        if (cases[i].why && (!why || !strstr(why, cases[i].why)))
            fail_msg("%s: want \"%s\", got \"%s\"", cases[i].cidr,
                     cases[i].why, why ? why : "(allowed)");
    }
}

static void test_cidr(void **state)
{
    (void)state;
    struct net_cidr c;
    const char *why = NULL;
    assert_int_equal(net_cidr_parse("10.20.0.0/16", &c, &why), 0);
    struct net_addr a;
    assert_int_equal(net_addr_parse("10.20.255.255", &a), 1);
    assert_true(net_cidr_contains(&c, &a));
    assert_int_equal(net_addr_parse("[::ffff:10.20.1.1]", &a), 1);
    assert_true(net_cidr_contains(&c, &a));
    assert_int_equal(net_addr_parse("10.21.0.0", &a), 1);
    assert_false(net_cidr_contains(&c, &a));
    assert_int_equal(net_cidr_parse("fd00:1::/32", &c, &why), 0);
    assert_int_equal(net_addr_parse("fd00:1:ffff::1", &a), 1);
    assert_true(net_cidr_contains(&c, &a));
    const char *bad[] = {"10.20.0.0", "10.20.0.1/16", "0.0.0.0/0", "::/0",
                         "10.0.0.0/33", "fd00::/129", "10.1/16", "x/8",
                         "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08a",
                         "/8", "10.0.0.0/1234"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (net_cidr_parse(bad[i], &c, &why) == 0)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_non_null(why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_ranges_by_hand),
        cmocka_unit_test(test_every_edge),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_private_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
