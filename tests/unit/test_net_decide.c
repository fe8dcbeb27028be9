/* test_net_decide.c — the proxy's two decisions (net/decide.c): which
 * targets a tool may ask for in each mode, and which addresses may be
 * dialled (blocked ranges, the host's own addresses, private_ranges). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "net.h"

static const char *target(const struct egress_rules *r, const char *host,
                          uint16_t port, struct egress_target *t)
{
    return egress_target_check(r, host, strlen(host), port, t);
}

static void test_allowed_mode(void **state)
{
    (void)state;
    struct net_allow allow[2];
    assert_null(net_allow_parse("registry.npmjs.org", &allow[0]));
    assert_null(net_allow_parse("*.example.org:8443", &allow[1]));
    struct egress_rules r = {.mode = NET_ALLOWED, .allow = allow, .n_allow = 2};
    struct egress_target t;
    assert_null(target(&r, "Registry.NPMJS.org.", 443, &t));
    assert_string_equal(t.host, "registry.npmjs.org");
    assert_false(t.is_ip);
    assert_null(target(&r, "a.example.org", 8443, &t));
    assert_string_equal(target(&r, "example.org", 8443, &t), "not-allowlisted");
    assert_string_equal(target(&r, "a.example.org", 443, &t), "not-allowlisted");
    assert_string_equal(target(&r, "registry.npmjs.org", 22, &t), "not-allowlisted");
    assert_string_equal(target(&r, "evil.com", 443, &t), "not-allowlisted");
    /* An address in any spelling matches no name. */
    const char *lits[] = {"203.0.113.5", "127.1", "2130706433", "[::1]",
                          "0x7f000001", "１２７．０．０．１"};
    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        assert_string_equal(target(&r, lits[i], 443, &t),
                            "ip-literal-not-allowlisted");
        assert_true(t.is_ip);
    }
    assert_string_equal(target(&r, "1.2.3.256", 443, &t), "bad-host");
    assert_string_equal(target(&r, "a b", 443, &t), "bad-host");
    assert_string_equal(target(&r, "registry.npmjs.org", 0, &t), "bad-port");
}

static void test_full_and_none(void **state)
{
    (void)state;
    struct egress_rules full = {.mode = NET_FULL};
    struct egress_target t;
    assert_null(target(&full, "anything.example", 22, &t));
    assert_null(target(&full, "0177.0.0.1", 80, &t));
    assert_true(t.is_ip);
    assert_string_equal(t.host, "127.0.0.1");
    /* ... whose address check then refuses it. */
    char buf[64];
    assert_string_equal(egress_addr_check(&full, &t.ip, buf, sizeof buf),
                        "blocked-range:127.0.0.0/8");
    struct egress_rules none = {.mode = NET_NONE};
    assert_string_equal(target(&none, "a.org", 443, &t), "no-egress");
}

/* What the DNS stub asks: the allowlist's names on any port. */
static void test_name_allowed(void **state)
{
    (void)state;
    struct net_allow allow[3];
    assert_null(net_allow_parse("registry.npmjs.org", &allow[0]));
    assert_null(net_allow_parse("*.example.org:8443", &allow[1]));
    assert_null(net_allow_parse("git.test:*", &allow[2]));
    struct egress_rules r = {.mode = NET_ALLOWED, .allow = allow, .n_allow = 3};
    assert_true(egress_name_allowed(&r, "registry.npmjs.org"));
    assert_true(egress_name_allowed(&r, "a.example.org"));   /* on 8443 only */
    assert_true(egress_name_allowed(&r, "b.a.example.org"));
    assert_true(egress_name_allowed(&r, "git.test"));
    assert_false(egress_name_allowed(&r, "example.org"));    /* not the apex */
    assert_false(egress_name_allowed(&r, "evilexample.org"));
    assert_false(egress_name_allowed(&r, "npmjs.org"));
    assert_false(egress_name_allowed(&r, "x.registry.npmjs.org"));
    assert_false(egress_name_allowed(&r, "evil.com"));
    struct egress_rules empty = {.mode = NET_ALLOWED};
    assert_false(egress_name_allowed(&empty, "registry.npmjs.org"));
    struct egress_rules full = {.mode = NET_FULL};
    assert_true(egress_name_allowed(&full, "anything.example"));
    struct egress_rules none = {.mode = NET_NONE};
    assert_false(egress_name_allowed(&none, "registry.npmjs.org"));
}

static struct net_addr A(const char *s)
{
    struct net_addr a;
    if (net_addr_parse(s, &a) != 1)
        fail_msg("%s", s);
    return a;
}

static void test_addresses(void **state)
{
    (void)state;
    struct net_addr host[] = {A("198.51.100.1"), A("2001:db8::1")};
    struct net_cidr priv[2];
    const char *why;
    assert_int_equal(net_cidr_parse("10.20.0.0/16", &priv[0], &why), 0);
    /* Even named, these stay shut. */
    assert_int_equal(net_cidr_parse("169.254.0.0/16", &priv[1], &why), 0);
    struct egress_rules r = {.mode = NET_FULL, .host_addrs = host, .n_host = 2,
                             .private_ranges = priv, .n_private = 2};
    char buf[64];
    struct net_addr a;
    a = A("203.0.113.5");
    assert_null(egress_addr_check(&r, &a, buf, sizeof buf));
    a = A("198.51.100.2");
    assert_null(egress_addr_check(&r, &a, buf, sizeof buf));
    a = A("198.51.100.1");
    assert_string_equal(egress_addr_check(&r, &a, buf, sizeof buf), "host-address");
    a = A("::ffff:198.51.100.1");
    assert_string_equal(egress_addr_check(&r, &a, buf, sizeof buf), "host-address");
    a = A("2001:db8::1");
    assert_string_equal(egress_addr_check(&r, &a, buf, sizeof buf), "host-address");
    a = A("10.20.3.4");
    assert_null(egress_addr_check(&r, &a, buf, sizeof buf));
    a = A("10.21.0.1");
    assert_string_equal(egress_addr_check(&r, &a, buf, sizeof buf),
                        "blocked-range:10.0.0.0/8");
    a = A("169.254.169.254");
    assert_string_equal(egress_addr_check(&r, &a, buf, sizeof buf),
                        "blocked-range:169.254.169.254/32");
    a = A("169.254.1.1");  /* link-local, named in private_ranges */
    assert_null(egress_addr_check(&r, &a, buf, sizeof buf));
    a = A("::ffff:10.1.1.1");
    assert_string_equal(egress_addr_check(&r, &a, buf, sizeof buf),
                        "blocked-range:10.0.0.0/8");
    a = A("fd00:ec2::254");
    assert_string_equal(egress_addr_check(&r, &a, buf, sizeof buf),
                        "blocked-range:fd00:ec2::254/128");
    struct net_cidr lo;
    assert_int_equal(net_cidr_parse("127.0.0.0/8", &lo, &why), 0);
    struct egress_rules r2 = {.mode = NET_FULL, .private_ranges = &lo, .n_private = 1};
    a = A("127.0.0.1");
    assert_string_equal(egress_addr_check(&r2, &a, buf, sizeof buf),
                        "blocked-range:127.0.0.0/8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_mode),
        cmocka_unit_test(test_full_and_none),
        cmocka_unit_test(test_name_allowed),
        cmocka_unit_test(test_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
