/* test_net_allow.c — one canonical form per host (net/allow.c): case,
 * trailing dot, IDNA, IP spellings; allowlist entries with ports and
 * wildcards, and what they match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "net.h"

static void canon_is(const char *in, int want_rc, const char *want)
{
    char out[256] = "";
    const char *why = NULL;
    int rc = net_host_canon(in, strlen(in), out, sizeof out, NULL, &why);
    if (rc != want_rc || (want && strcmp(out, want) != 0))
        fail_msg("\"%s\": got %d \"%s\" (%s), want %d \"%s\"", in, rc, out,
                 why ? why : "-", want_rc, want ? want : "-");
    if (rc < 0 && !why)
        fail_msg("\"%s\": refused without a reason", in);
}

static void test_canonical_names(void **state)
{
    (void)state;
    canon_is("Registry.NPMJS.org", 0, "registry.npmjs.org");
    canon_is("registry.npmjs.org.", 0, "registry.npmjs.org");
    /* IDNA: U-labels become A-labels; upper case folds first. */
    canon_is("münchen.de", 0, "xn--mnchen-3ya.de");
    canon_is("MÜNCHEN.DE", 0, "xn--mnchen-3ya.de");
    canon_is("xn--mnchen-3ya.de", 0, "xn--mnchen-3ya.de");
    canon_is("XN--MNCHEN-3YA.de", 0, "xn--mnchen-3ya.de");
    canon_is("bücher.example", 0, "xn--bcher-kva.example");
    canon_is("пример.рф", 0, "xn--e1afmkfd.xn--p1ai");
    canon_is("ПРИМЕР.рф", 0, "xn--e1afmkfd.xn--p1ai");
    canon_is("δοκιμή.gr", 0, "xn--jxalpdlp.gr");
    canon_is("例え.テスト", 0, "xn--r8jz45g.xn--zckzah");
    canon_is("ü-a.org", 0, "xn---a-wka.org");
    /* Full-width forms and other dots spell the ASCII name. */
    canon_is("ＥＸＡＭＰＬＥ．ｃｏｍ", 0, "example.com");
    canon_is("example。com", 0, "example.com");
    /* ... and addresses: a full-width 127.0.0.1 is loopback. */
    canon_is("１２７．０．０．１", 1, "127.0.0.1");
    canon_is("127.1", 1, "127.0.0.1");
    canon_is("0x7f000001", 1, "127.0.0.1");
    canon_is("[::ffff:127.0.0.1]", 1, "127.0.0.1");
    canon_is("[::1]", 1, "::1");
    /* Refused, each with a reason. */
    const char *bad[] = {"", ".", "a..b", ".a", "-a.org", "a-.org", "a_b.org",
                         "a b.org", "a\tb", "a/b", "a@b", "\xc3\x28.org",
                         "\xed\xa0\x80.org", "a\xe2\x80\x8b.org" /* ZWSP */,
                         "a\xe2\x80\xae.org" /* RLO */, "a\xc2\xa0.org",
                         "xn--.org", "xn--zz.org", "xn--abc-.org",
                         "xn--mnchen-psa.org" /* decodes to mÜnchen: not canonical */,
                         "xn--ab-g1t.org" /* a zero-width space inside */,
                         "1.2.3.256", "[fe80::1%25eth0]", "[::1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        canon_is(bad[i], -1, NULL);
    /* Too long: 254 characters, and a 64-byte label. */
    char longname[300];
    memset(longname, 'a', sizeof longname);
    for (size_t i = 63; i < 254; i += 64)
        longname[i] = '.';
    longname[254] = '\0';
    canon_is(longname, -1, NULL);
    longname[253] = '\0';
    canon_is(longname, 0, longname);
    char label[70];
    memset(label, 'b', 64);
    memcpy(label + 64, ".org", 5);
    canon_is(label, -1, NULL);
}

/* Canonicalising twice changes nothing. */
static void test_idempotent(void **state)
{
    (void)state;
    const char *in[] = {"MÜNCHEN.de.", "ＥＸＡＭＰＬＥ．ｃｏｍ", "0177.0.0.1",
                        "[2001:DB8::0:1]", "xn--r8jz45g.xn--zckzah"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char a[256], b[256];
        const char *why;
        int r1 = net_host_canon(in[i], strlen(in[i]), a, sizeof a, NULL, &why);
        int r2 = net_host_canon(a, strlen(a), b, sizeof b, NULL, &why);
        assert_true(r1 >= 0);
        assert_int_equal(r1, r2);
        assert_string_equal(a, b);
    }
}

static void entry_is(const char *spec, const char *want)
{
    struct net_allow e;
    const char *why = net_allow_parse(spec, &e);
    if (why)
        fail_msg("\"%s\": %s", spec, why);
    char buf[300];
    net_allow_format(&e, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void entry_bad(const char *spec, const char *want_why)
{
    struct net_allow e;
    const char *why = net_allow_parse(spec, &e);
    if (!why || !strstr(why, want_why))
        fail_msg("\"%s\": got %s, want \"%s\"", spec, why ? why : "accepted",
                 want_why);
}

static void test_entries(void **state)
{
    (void)state;
    entry_is("API.Anthropic.com", "api.anthropic.com");
    entry_is("registry.npmjs.org.", "registry.npmjs.org");
    entry_is("*.Example.org", "*.example.org");
    entry_is("example.org:8443", "example.org:8443");
    entry_is("example.org:*", "example.org:*");
    entry_is("*.example.org:22", "*.example.org:22");
    entry_is("bücher.example:443", "xn--bcher-kva.example:443");
    entry_bad("*", "wildcard is only allowed as the whole first label");
    entry_bad("*.org", "at least two labels");
    entry_bad("*.", "needs a domain");
    entry_bad("a.*.org", "whole first label");
    entry_bad("*a.org", "whole first label");
    entry_bad("10.0.0.1", "IP addresses are not allowed");
    entry_bad("127.1", "IP addresses are not allowed");
    entry_bad("2130706433", "IP addresses are not allowed");
    entry_bad("0x7f.1:80", "IP addresses are not allowed");
    entry_bad("::1", "IP addresses are not allowed");
    entry_bad("[::1]:443", "IP addresses are not allowed");
    entry_bad("example.org:0", "1-65535");
    entry_bad("example.org:65536", "1-65535");
    entry_bad("example.org:", "1-65535");
    entry_bad("example.org:+1", "1-65535");
    entry_bad("example.org:http", "1-65535");
    entry_bad("", "empty");
    entry_bad("a..org", "empty label");
}

static bool allows(const char *const *specs, size_t n, const char *host,
                   uint16_t port)
{
    struct net_allow list[8];
    for (size_t i = 0; i < n; i++)
        assert_null(net_allow_parse(specs[i], &list[i]));
    return net_allow_match(list, n, host, port);
}

static void test_matching(void **state)
{
    (void)state;
    const char *plain[] = {"example.org"};
    assert_true(allows(plain, 1, "example.org", 443));
    assert_true(allows(plain, 1, "example.org", 80));
    assert_false(allows(plain, 1, "example.org", 8080));
    assert_false(allows(plain, 1, "www.example.org", 443));
    assert_false(allows(plain, 1, "evilexample.org", 443));
    assert_false(allows(plain, 1, "example.org.evil.com", 443));
    assert_false(allows(plain, 1, "example.or", 443));

    const char *wild[] = {"*.example.org"};
    assert_true(allows(wild, 1, "www.example.org", 443));
    assert_true(allows(wild, 1, "a.b.example.org", 80));
    assert_false(allows(wild, 1, "example.org", 443));      /* not the apex */
    assert_false(allows(wild, 1, "evilexample.org", 443));  /* not a look-alike */
    assert_false(allows(wild, 1, ".example.org", 443));
    assert_false(allows(wild, 1, "www.example.org", 22));

    const char *ports[] = {"a.org:8443", "b.org:*"};
    assert_true(allows(ports, 2, "a.org", 8443));
    assert_false(allows(ports, 2, "a.org", 443));
    assert_true(allows(ports, 2, "b.org", 22));
    assert_true(allows(ports, 2, "b.org", 443));
    assert_false(allows(ports, 2, "c.org", 443));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_names),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_entries),
        cmocka_unit_test(test_matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
