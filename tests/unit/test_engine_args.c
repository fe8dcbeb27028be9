/* test_engine_args.c — the podman_args allowlist (src/engine_args.c):
 * every row accepts a valid value in each form it can be written and
 * refuses bad ones; the canonical "--opt=value" is what comes out.  The
 * attacks (options outside the table) are in test_config.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "engine_args.h"

/* Values for each row: GOOD are accepted as they are, BAD refused.  A
 * row of engine_opts without samples here fails the test, so a new
 * option cannot land untested. */
static const struct {
    const char *name;
    const char *good[8];
    const char *bad[20];
} samples[] = {
    {"--label",
     {"org.example.team=web", "a=", "Team_1.x-y=v:1/2@3+4=5", NULL},
     {"novalue", "=x", "1abc=x", ".a=x", "a b=x", "a=b c", "a=b\n",
      "io.containers.autoupdate=registry", "IO.Containers.x=1",
      "PODMAN_SYSTEMD_UNIT=x.service", "run.oci.keep_original_groups=1",
      "com.docker.compose.project=x", "coco.run=1", "a=$(x)", "a=b;c", NULL}},
    {"--tz",
     {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT-2",
      "Etc/GMT+5", NULL},
     {"local", "LOCAL", "/etc/localtime", "../../etc/shadow", "Etc/../../x",
      "Europe//Berlin", "Europe/", ".hidden", "a/b/c/d", "Europe/Ber lin",
      "1zone", "", NULL}},
    {"--shm-size",
     {"64m", "1g", "65536k", "1048576", "64g", NULL},
     {"0", "065m", "1t", "65g", "1.5g", "1G", "1gb", "1 g", "m", "1mm",
      "99999999999999", "", NULL}},
    {"--add-host",
     {"db.internal:127.0.0.1", "a:10.0.0.1", "v6.example:::1",
      "x-y.example.org:2001:db8::33", NULL},
     {"db.internal", "db.internal:host-gateway", "db:localhost", ":1.2.3.4",
      "1.2.3.4:1.2.3.4", "*.example:1.2.3.4", "a_b:1.2.3.4",
      "a;b:1.2.3.4", "db:[::1]", "db:127.1", "db:fe80::1%eth0", "-a:1.2.3.4",
      NULL}},
    {"--hostname",
     {"box", "build-1.example", "A1", NULL},
     {"a b", "a_b", "1.2.3.4", "-box", "box-", "a..b", "*.x",
      "a123456789012345678901234567890123456789012345678901234567890123",
      "", NULL}},
    {"--cpu-shares",
     {"2", "512", "1024", NULL},
     {"0", "1", "1025", "262144", "-2", "0512", "5x", "", NULL}},
};

static const struct engine_opt *row(const char *name)
{
    for (size_t i = 0; i < n_engine_opts; i++)
        if (strcmp(engine_opts[i].name, name) == 0)
            return &engine_opts[i];
    return NULL;
}

/* Vet ARGS (a NULL-terminated list); on success *CANON is the one
 * canonical option it gave. */
static int vet(const char *const *args, char **canon, coco_err *err)
{
    size_t n = 0, bad = 99;
    while (args[n])
        n++;
    struct strvec out = STRVEC_INIT;
    int r = engine_args_vet((char *const *)args, n, &out, &bad, err);
    if (r == 0) {
        assert_int_equal(out.n, 1);
        *canon = xstrdup(out.v[0]);
    } else {
        assert_int_equal(out.n, 0);
        assert_int_equal(bad, 0);
    }
    strvec_clear(&out);
    return r;
}

/* Every form of NAME/VALUE that must give CANON. */
static void accepted(const struct engine_opt *o, const char *value)
{
    _cleanup_free_ char *want = xasprintf("%s=%s", o->name, value);
    _cleanup_free_ char *joined = xasprintf("%s=%s", o->name, value);
    _cleanup_free_ char *ajoined = o->alias ? xasprintf("%s=%s", o->alias, value)
                                            : NULL;
    const char *forms[4][3] = {
        {joined, NULL}, {o->name, value, NULL},
        {o->alias ? ajoined : joined, NULL},
        {o->alias ? o->alias : o->name, value, NULL},
    };
    for (size_t f = 0; f < 4; f++) {
        char *canon = NULL;
        coco_err err = {0};
        if (vet(forms[f], &canon, &err) != 0)
            fail_msg("%s %s (form %zu) refused: %s", o->name, value, f, err.msg);
        assert_string_equal(canon, want);
        const char *val = NULL;
        assert_ptr_equal(engine_opt_of(canon, &val), o);
        assert_string_equal(val, value);
        free(canon);
    }
}

static void refused(const struct engine_opt *o, const char *value)
{
    _cleanup_free_ char *joined = xasprintf("%s=%s", o->name, value);
    const char *forms[2][3] = {{joined, NULL}, {o->name, value, NULL}};
    for (size_t f = 0; f < 2; f++) {
        char *canon = NULL;
        coco_err err = {0};
        if (vet(forms[f], &canon, &err) == 0)
            fail_msg("%s \"%s\" (form %zu) accepted as %s", o->name, value, f,
                     canon);
        if (!strstr(err.msg, "is refused: ") || strchr(err.msg, '\n') ||
            !strstr(err.msg, o->grammar))
            fail_msg("%s \"%s\": message %s", o->name, value, err.msg);
    }
    /* and a policy or a hand-built argv cannot carry it either */
    const char *val;
    assert_null(engine_opt_of(joined, &val));
}

static void test_every_row(void **state)
{
    (void)state;
    assert_true(n_engine_opts >= 5);
    for (size_t i = 0; i < n_engine_opts; i++) {
        const struct engine_opt *o = &engine_opts[i];
        size_t s = 0;
        while (s < sizeof samples / sizeof *samples &&
               strcmp(samples[s].name, o->name) != 0)
            s++;
        if (s == sizeof samples / sizeof *samples)
            fail_msg("row %s has no samples in test_engine_args.c", o->name);
        /* A row says what it does and why it is safe, for show and the
         * man page. */
        assert_true(o->what && *o->what && o->safe && *o->safe && o->grammar);
        assert_true(o->engines & (ENG_PODMAN | ENG_DOCKER));
        assert_true(samples[s].good[0] && samples[s].bad[0]);
        for (const char *const *g = samples[s].good; *g; g++)
            accepted(o, *g);
        for (const char *const *b = samples[s].bad; *b; b++)
            refused(o, *b);
    }
}

static void test_forms(void **state)
{
    (void)state;
    coco_err err = {0};
    char *canon = NULL;
    /* a value that is itself an option, in both forms */
    assert_int_equal(vet((const char *[]){"--hostname", "--privileged", NULL},
                         &canon, &err), -1);
    assert_non_null(strstr(err.msg, "\"--privileged\" of --hostname: is an option"));
    assert_int_equal(vet((const char *[]){"--label=-x=1", NULL}, &canon, &err), -1);
    /* a missing value */
    assert_int_equal(vet((const char *[]){"--tz", NULL}, &canon, &err), -1);
    assert_non_null(strstr(err.msg, "needs a value (--tz ZONE)"));
    /* clusters and glued short values */
    assert_int_equal(vet((const char *[]){"-hbox", NULL}, &canon, &err), -1);
    assert_non_null(strstr(err.msg, "combined short options"));
    assert_int_equal(vet((const char *[]){"-lc", NULL}, &canon, &err), -1);
    /* names are exact: no prefixes, no case folding */
    assert_int_equal(vet((const char *[]){"--lab=a=b", NULL}, &canon, &err), -1);
    assert_int_equal(vet((const char *[]){"--labels=a=b", NULL}, &canon, &err), -1);
    assert_int_equal(vet((const char *[]){"--LABEL=a=b", NULL}, &canon, &err), -1);
    assert_int_equal(vet((const char *[]){"---label=a=b", NULL}, &canon, &err), -1);
    /* a long entry is cut in the message, which stays one line */
    char longer[600];
    memset(longer, 'x', sizeof longer - 1);
    longer[0] = longer[1] = '-';
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(vet((const char *[]){longer, NULL}, &canon, &err), -1);
    assert_true(strlen(err.msg) < 400);
    assert_int_equal(vet((const char *[]){"--x\n\033[2J", NULL}, &canon, &err), -1);
    assert_null(strchr(err.msg, '\n'));
    assert_null(strchr(err.msg, '\033'));

    /* several options: the index of the bad one */
    struct strvec out = STRVEC_INIT;
    size_t bad = 0;
    char *args[] = {"--tz", "UTC", "-l", "a=b", "--env=*", NULL};
    assert_int_equal(engine_args_vet(args, 5, &out, &bad, &err), -1);
    assert_int_equal(bad, 4);
    assert_int_equal(out.n, 0); /* nothing of a refused list is kept */
    assert_non_null(strstr(err.msg, "\"--env=*\" is refused"));
    assert_non_null(strstr(err.msg, "use the config key \"env\" instead"));
    strvec_clear(&out);
    char *good[] = {"--tz", "UTC", "-l", "a=b", "--cpu-shares=2", NULL};
    assert_int_equal(engine_args_vet(good, 5, &out, &bad, &err), 0);
    assert_int_equal(out.n, 3);
    assert_string_equal(out.v[0], "--tz=UTC");
    assert_string_equal(out.v[1], "--label=a=b");
    assert_string_equal(out.v[2], "--cpu-shares=2");
    strvec_clear(&out);
}

static void test_engines(void **state)
{
    (void)state;
    const struct engine_opt *tz = row("--tz"), *label = row("--label");
    assert_non_null(tz);
    assert_non_null(label);
    assert_true(engine_opt_has(tz, RT_PODMAN));
    assert_false(engine_opt_has(tz, RT_DOCKER));
    assert_false(engine_opt_has(tz, RT_NATIVE));
    assert_true(engine_opt_has(label, RT_DOCKER));
    assert_false(engine_opt_has(label, RT_NATIVE));
    assert_string_equal(engine_opt_engines(tz), "podman");
    assert_string_equal(engine_opt_engines(label), "podman and docker");
    /* engine_opt_of takes only the canonical form */
    const char *v;
    assert_null(engine_opt_of("--tz", &v));
    assert_null(engine_opt_of("-l=a=b", &v));
    assert_null(engine_opt_of("--privileged=true", &v));
    assert_null(engine_opt_of("--tz=-x", &v));
    assert_ptr_equal(engine_opt_of("--tz=UTC", &v), tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row),
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_engines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
