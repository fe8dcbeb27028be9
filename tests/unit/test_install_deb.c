/* test_install_deb.c — the deb: driver's pure parts: the host's apt
 * sources (one-line and deb822) into phase F's allowlist, and the names
 * of the .deb files apt downloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "install/install_int.h"
#include "sys.h"

static void hosts_are(const char *text, bool deb822, const char *want)
{
    struct strvec h = STRVEC_INIT;
    coco_err err = {0};
    int r = apt_sources_parse(text, strlen(text), deb822, "s", &h, &err);
    if (r < 0)
        fail_msg("%s: %s", text, err.msg);
    char got[512] = "";
    for (size_t i = 0; i < h.n; i++) {
        if (i)
            strcat(got, " ");
        strcat(got, h.v[i]);
    }
    assert_string_equal(got, want);
    strvec_clear(&h);
}

static void refused(const char *text, bool deb822, const char *want)
{
    struct strvec h = STRVEC_INIT;
    coco_err err = {0};
    assert_int_equal(apt_sources_parse(text, strlen(text), deb822, "s", &h,
                                       &err), -1);
    if (!strstr(err.msg, want))
        fail_msg("got \"%s\", want \"%s\"", err.msg, want);
    strvec_clear(&h);
}

static void test_oneline(void **state)
{
    (void)state;
    hosts_are("deb http://deb.debian.org/debian bookworm main\n"
              "deb-src http://src.example.org/debian bookworm main\n"
              "# deb http://commented.example.org/debian bookworm main\n"
              "deb [arch=amd64 signed-by=/k.gpg] https://Mirror.Example.org/debian bookworm main # tail\n"
              "deb [ trusted=no ] http://deb.debian.org/debian-security bookworm-security main\n"
              "deb http://m.example.net:8080/debian bookworm main\n"
              "deb http://m2.example.net:80/debian bookworm main\n"
              "deb file:/srv/repo ./\n"
              "deb cdrom:[Debian]/ bookworm main\n"
              "deb mirror+http://list.example.org/mirrors.txt bookworm main\n"
              "\n   \n",
              false,
              "deb.debian.org mirror.example.org m.example.net:8080 m2.example.net");
    hosts_are("", false, "");
    refused("deb [arch=amd64 http://x.example.org/ bookworm main\n", false,
            "s:1: an option list \"[\" without \"]\"");
    refused("\ndeb\n", false, "s:2: a \"deb\" line without a URI");
    refused("deb http://user@x.example.org/ bookworm main\n", false,
            "s:1: \"http://user@x.example.org/\" has no host name");
    refused("deb http://10.0.0.1/debian bookworm main\n", false,
            "s:1: mirror \"10.0.0.1\"");
    refused("deb http://x.example.org:99999/ bookworm main\n", false,
            "not a port");
    {
        struct strvec h = STRVEC_INIT;
        coco_err err = {0};
        assert_int_equal(apt_sources_parse("deb http://a\0b/ x\n", 16, false,
                                           "s", &h, &err), -1);
        assert_non_null(strstr(err.msg, "s: holds a NUL byte"));
    }
}

static void test_deb822(void **state)
{
    (void)state;
    hosts_are("Types: deb\n"
              "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
              "URIs: http://deb.debian.org/debian\n"
              "Suites: bookworm bookworm-updates\n"
              "Components: main\n"
              "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
              "\n"
              "Types: deb deb-src\n"
              "URIs: http://a.example.org/debian\n"
              "  https://b.example.org/debian\n"
              "Suites: bookworm\n"
              "\n"
              "Types: deb-src\n"
              "URIs: http://src-only.example.org/debian\n"
              "\n"
              "Types: deb\n"
              "Enabled: no\n"
              "URIs: http://disabled.example.org/debian\n"
              "\n\n"
              "uris: http://lower.example.org/\n"
              "types: deb\n",
              true,
              "deb.debian.org a.example.org b.example.org lower.example.org");
    refused("Types: deb\nnot a field\n", true,
            "s:2: not a \"Field: value\" line");
    refused("Types: deb\nURIs: http://[::1]/debian\n", true,
            "s:2: \"http://[::1]/debian\" has no host name");
}

/* The directory: sources.list and sources.list.d/ *.list|*.sources; a
 * file with another name (apt ignores "x.list.disabled") is ignored. */
static void test_dir(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/coco-apt-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char p[256];
    coco_err err = {0};
    struct strvec h = STRVEC_INIT;
    assert_int_equal(apt_mirror_hosts(tmpl, &h, &err), -1);
    assert_non_null(strstr(err.msg, "no http or https \"deb\" source"));
    snprintf(p, sizeof p, "%s/sources.list.d", tmpl);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/sources.list.d/debian.sources", tmpl);
    const char *a = "Types: deb\nURIs: http://deb.debian.org/debian\n";
    assert_int_equal(write_file_atomic(p, a, strlen(a), 0644, false, &err), 0);
    snprintf(p, sizeof p, "%s/sources.list.d/g.list.disabled-by-farm", tmpl);
    const char *b = "deb https://packages.cloud.google.com/apt x main\n";
    assert_int_equal(write_file_atomic(p, b, strlen(b), 0644, false, &err), 0);
    snprintf(p, sizeof p, "%s/sources.list.d/z.list", tmpl);
    const char *c = "deb http://z.example.org/ x main\n";
    assert_int_equal(write_file_atomic(p, c, strlen(c), 0644, false, &err), 0);
    memset(&err, 0, sizeof err);
    assert_int_equal(apt_mirror_hosts(tmpl, &h, &err), 0);
    assert_int_equal(h.n, 2);
    assert_string_equal(h.v[0], "deb.debian.org");
    assert_string_equal(h.v[1], "z.example.org");
    strvec_clear(&h);
    /* a broken file is named */
    snprintf(p, sizeof p, "%s/sources.list", tmpl);
    const char *d = "deb [x http://y.example.org/ a b\n";
    assert_int_equal(write_file_atomic(p, d, strlen(d), 0644, false, &err), 0);
    assert_int_equal(apt_mirror_hosts(tmpl, &h, &err), -1);
    assert_non_null(strstr(err.msg, "/sources.list:1: an option list"));
    strvec_clear(&h);
    int tfd = open("/tmp", O_RDONLY | O_DIRECTORY);
    assert_int_equal(remove_tree_at(tfd, tmpl + 5), 0);
    close(tfd);
}

static void test_deb_files(void **state)
{
    (void)state;
    char *n, *v, *a;
    assert_int_equal(deb_file_parse("ripgrep_13.0.0-4+b2_amd64.deb", &n, &v,
                                    &a), 0);
    assert_string_equal(n, "ripgrep");
    assert_string_equal(v, "13.0.0-4+b2");
    assert_string_equal(a, "amd64");
    free(n), free(v), free(a);
    assert_int_equal(deb_file_parse("libc6-dev_1%3a2.36~rc1-9_amd64.deb", &n,
                                    &v, &a), 0);
    assert_string_equal(v, "1:2.36~rc1-9");
    char *dn = deb_version_dirname(v);
    assert_string_equal(dn, "1_2.36_rc1-9");
    free(dn), free(n), free(v), free(a);
    const char *bad[] = {
        "x.deb", "ripgrep_13_amd64.tar", "ripgrep_amd64.deb",
        "Rip_1_amd64.deb", "rg_1%2f..%2f_amd64.deb", "rg_1 2_amd64.deb",
        "rg_1_AMD64.deb", "../rg_1_amd64.deb", "rg_/1_amd64.deb",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (deb_file_parse(bad[i], &n, &v, &a) == 0)
            fail_msg("%s: accepted", bad[i]);
    assert_null(deb_version_dirname("1/2"));
    assert_null(deb_version_dirname(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oneline),
        cmocka_unit_test(test_deb822),
        cmocka_unit_test(test_dir),
        cmocka_unit_test(test_deb_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
