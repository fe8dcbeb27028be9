/* test_oci.c — the podman/docker argument builder, on policies built by
 * hand (no config file, no environment): hardened flags, where env values
 * go, user mapping, network modes, mounts, ports, X11, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>

#include "oci.h"

/* --- building policies ------------------------------------------------ */

static struct policy *base_policy(enum runtime_kind rt, bool rootless)
{
    struct policy *p = xcalloc(1, sizeof(*p));
    p->tool = xstrdup("eslint");
    p->config_path = xstrdup("/cfg/eslint.json");
    p->runtime = rt;
    p->engine_bin = xstrdup(rt == RT_DOCKER ? "/usr/bin/docker"
                                            : "/usr/bin/podman");
    p->rootless = rootless;
    p->image = xstrdup("localhost/coco:latest");
    strvec_push(&p->argv, "eslint");
    strvec_push(&p->argv, "--fix");
    strvec_push(&p->argv, ".");
    p->workdir = xstrdup("/workspace");
    p->net.mode = NET_NONE;
    p->limits.memory = 512ULL << 20;
    p->limits.pids = 256;
    p->limits.tmp_size = 64ULL << 20;
    p->isolated = true;
    p->volume = xstrdup("coco-cache-eslint");
    p->container_name = xstrdup("coco-test");
    p->uid = 1000;
    p->gid = 1001;
    p->interactive = true;
    return p;
}

static void add_mount(struct policy *p, const char *src, const char *dst,
                      bool ro, unsigned opts)
{
    p->mounts = xrealloc(p->mounts, (p->n_mounts + 1) * sizeof(*p->mounts));
    p->mounts[p->n_mounts++] = (struct policy_mount){
        .src = xstrdup(src), .dst = xstrdup(dst), .fd = -1, .ro = ro,
        .is_dir = true, .opts = opts};
}

static void add_env(struct policy *p, const char *name, const char *value,
                    bool from_host)
{
    p->env = xrealloc(p->env, (p->n_env + 1) * sizeof(*p->env));
    p->env[p->n_env++] = (struct policy_env){
        .name = xstrdup(name), .value = xstrdup(value),
        .from_host = from_host};
}

static void free_policy(struct policy *p)
{
    policy_free(p);
    free(p);
}

/* --- building and inspecting argv ------------------------------------- */

struct built {
    struct strvec argv, env, envfile;
    coco_err err;
    int rc;
};

static struct built *build(const struct policy *p)
{
    struct built *b = xcalloc(1, sizeof(*b));
    b->rc = oci_build_argv(p, NULL, &b->argv, &b->env, &b->envfile, &b->err);
    return b;
}

static void free_built(struct built *b)
{
    strvec_clear(&b->argv);
    strvec_clear(&b->env);
    strvec_clear(&b->envfile);
    free(b);
}

static ssize_t find(const struct strvec *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return (ssize_t)i;
    return -1;
}

static size_t count_prefix(const struct strvec *sv, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < sv->n; i++)
        n += str_has_prefix(sv->v[i], prefix);
    return n;
}

static bool any_contains(const struct strvec *sv, const char *needle)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strstr(sv->v[i], needle))
            return true;
    return false;
}

/* "-e NAME" appears as two consecutive arguments before the image. */
static bool has_env_flag(const struct strvec *argv, const char *name)
{
    ssize_t img = find(argv, "localhost/coco:latest");
    for (ssize_t i = 0; i + 1 < img; i++)
        if (strcmp(argv->v[i], "-e") == 0 &&
            strcmp(argv->v[i + 1], name) == 0)
            return true;
    return false;
}

static bool envfile_has(const struct strvec *ef, const char *line)
{
    _cleanup_free_ char *l = xasprintf("%s\n", line);
    return find(ef, l) >= 0;
}

/* --- tests -------------------------------------------------------------- */

static void test_hardened_podman_rootless(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_PODMAN, true);
    struct built *b = build(p);

    assert_int_equal(b->rc, 0);
    assert_string_equal(b->argv.v[0], "/usr/bin/podman");
    assert_string_equal(b->argv.v[1], "run");
    assert_string_equal(b->argv.v[2], "--rm");
    assert_string_equal(b->argv.v[3], "--init");
    assert_string_equal(b->argv.v[4], "--pull=never"); /* never fetch code */
    assert_string_equal(b->argv.v[5], "--name=coco-test");
    assert_true(find(&b->argv, "--cap-drop=ALL") > 0);
    assert_true(find(&b->argv, "--security-opt=no-new-privileges") > 0);
    assert_true(find(&b->argv, "--read-only") > 0);
    assert_true(find(&b->argv, "--tmpfs=/tmp:rw,nosuid,nodev,size=67108864,"
                               "mode=1777") > 0);
    assert_int_equal(count_prefix(&b->argv, "--tmpfs=" COCO_CONTAINER_HOME
                                             ":rw,nosuid,nodev,"),
                     1);
    assert_true(find(&b->argv, "--pids-limit=256") > 0);
    assert_true(find(&b->argv, "--memory=536870912") > 0);
    assert_true(find(&b->argv, "--network=none") > 0);
    assert_true(find(&b->argv, "--http-proxy=false") > 0);
    assert_true(find(&b->argv, "--userns=keep-id") > 0);
    assert_int_equal(count_prefix(&b->argv, "--user="), 0);
    assert_int_equal(count_prefix(&b->argv, "--cpus"), 0);
    assert_true(find(&b->argv, "--workdir=/workspace") > 0);
    assert_true(find(&b->argv, "-i") > 0);
    assert_int_equal(find(&b->argv, "-t"), -1);
    /* coco's seccomp table, as a profile the engine loads itself */
    assert_true(find(&b->argv, "--security-opt=seccomp=/dev/fd/4") > 0);
    /* image, then the command exactly as given */
    size_t n = b->argv.n;
    assert_string_equal(b->argv.v[n - 4], "localhost/coco:latest");
    assert_string_equal(b->argv.v[n - 3], "eslint");
    assert_string_equal(b->argv.v[n - 2], "--fix");
    assert_string_equal(b->argv.v[n - 1], ".");
    assert_null(b->argv.v[n]);
    /* never the docker socket, never privileged anything */
    assert_false(any_contains(&b->argv, "docker.sock"));
    assert_false(any_contains(&b->argv, "--privileged"));
    assert_false(any_contains(&b->argv, "--cap-add"));
    free_built(b);
    free_policy(p);
}

static void test_podman_rootful_user(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_PODMAN, false);
    struct built *b = build(p);
    assert_int_equal(b->rc, 0);
    assert_true(find(&b->argv, "--user=1000:1001") > 0);
    assert_int_equal(find(&b->argv, "--userns=keep-id"), -1);
    assert_true(find(&b->argv, "--http-proxy=false") > 0);
    free_built(b);
    free_policy(p);
}

static void test_docker_differences(void **state)
{
    (void)state;
    /* rootless is a podman notion: docker always maps with --user */
    struct policy *p = base_policy(RT_DOCKER, true);
    add_mount(p, "/src/proj", "/workspace", false, 0);
    struct built *b = build(p);
    assert_int_equal(b->rc, 0);
    assert_string_equal(b->argv.v[0], "/usr/bin/docker");
    assert_true(find(&b->argv, "--user=1000:1001") > 0);
    assert_int_equal(find(&b->argv, "--userns=keep-id"), -1);
    /* docker has no --http-proxy flag */
    assert_int_equal(count_prefix(&b->argv, "--http-proxy"), 0);
    assert_true(find(&b->argv, "--cap-drop=ALL") > 0);
    assert_true(find(&b->argv, "--security-opt=no-new-privileges") > 0);
    /* docker's home tmpfs is chowned with kernel options, podman's with U */
    assert_int_equal(count_prefix(&b->argv, "--tmpfs=" COCO_CONTAINER_HOME),
                     1);
    assert_true(any_contains(&b->argv, ",uid=1000,gid=1001"));
    assert_false(any_contains(&b->argv, ",U,"));
    /* docker's --mount cannot say nosuid/nodev */
    assert_true(find(&b->argv,
                     "--mount=type=bind,src=/src/proj,dst=/workspace") > 0);
    free_built(b);
    free_policy(p);

    p = base_policy(RT_PODMAN, false);
    add_mount(p, "/src/proj", "/workspace", false, 0);
    b = build(p);
    assert_int_equal(b->rc, 0);
    assert_true(any_contains(&b->argv, ",mode=0700,U,"));
    assert_false(any_contains(&b->argv, "uid=1000"));
    assert_true(find(&b->argv, "--mount=type=bind,src=/src/proj,"
                               "dst=/workspace,nosuid,nodev") > 0);
    free_built(b);
    free_policy(p);
}

static void test_env_values_never_in_argv(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_PODMAN, true);
    add_env(p, "ANTHROPIC_API_KEY", "sk-very-secret", true);
    add_env(p, "NODE_ENV", "production-secret-ish", false);
    add_env(p, "MULTI", "line1\nline2", false);
    struct built *b = build(p);

    assert_int_equal(b->rc, 0);
    assert_false(any_contains(&b->argv, "sk-very-secret"));
    assert_false(any_contains(&b->argv, "production-secret-ish"));
    assert_false(any_contains(&b->argv, "line1"));
    assert_true(has_env_flag(&b->argv, "ANTHROPIC_API_KEY"));
    assert_true(has_env_flag(&b->argv, "NODE_ENV"));
    assert_true(has_env_flag(&b->argv, "MULTI"));
    assert_true(find(&b->env, "ANTHROPIC_API_KEY=sk-very-secret") >= 0);
    assert_true(find(&b->env, "NODE_ENV=production-secret-ish") >= 0);
    /* a newline is fine for names that travel in the environment */
    assert_true(find(&b->env, "MULTI=line1\nline2") >= 0);
    assert_false(any_contains(&b->envfile, "secret"));
    free_built(b);
    free_policy(p);
}

static void test_reserved_names_go_to_envfile(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_DOCKER, false);
    add_env(p, "LD_PRELOAD", "/evil.so", false);
    add_env(p, "DOCKER_HOST", "tcp://1.2.3.4:2375", false);
    add_env(p, "http_proxy", "http://p:3128", false);
    add_env(p, "CONTAINERS_CONF", "/x.conf", false);
    add_env(p, "PATH", "/opt/bin:/usr/bin", false);
    add_env(p, "GODEBUG", "x=1", false);
    add_env(p, "TERM", "xterm", true);
    add_env(p, "_OCI_SYNCPIPE", "5", false);
    add_env(p, "SSH_AUTH_SOCK", "/tmp/agent", true);
    add_env(p, "No_Proxy", "localhost", false);
    /* near misses of exact names travel normally */
    add_env(p, "HOMEBREW_PREFIX", "/opt/brew", false);
    add_env(p, "PATHEXT", ".X", false);
    add_env(p, "TZDIR", "/zi", false);
    struct built *b = build(p);

    assert_int_equal(b->rc, 0);
    const char *reserved[] = {"LD_PRELOAD", "DOCKER_HOST", "http_proxy",
                              "CONTAINERS_CONF", "PATH", "GODEBUG", "HOME",
                              "XDG_CACHE_HOME", "_OCI_SYNCPIPE",
                              "SSH_AUTH_SOCK", "No_Proxy"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        /* (docker's proxy names are also named bare, "-e http_proxy", so
         * its client does not fill them in: test_docker_proxy_vars) */
        if (strcmp(reserved[i], "http_proxy") != 0)
            assert_false(has_env_flag(&b->argv, reserved[i]));
        _cleanup_free_ char *pfx = xasprintf("%s=", reserved[i]);
        assert_int_equal(count_prefix(&b->env, pfx), 0);
        assert_int_equal(count_prefix(&b->envfile, pfx), 1);
    }
    assert_true(envfile_has(&b->envfile, "LD_PRELOAD=/evil.so"));
    assert_true(envfile_has(&b->envfile, "DOCKER_HOST=tcp://1.2.3.4:2375"));
    assert_true(envfile_has(&b->envfile, "HOME=" COCO_CONTAINER_HOME));
    assert_true(envfile_has(&b->envfile, "XDG_CACHE_HOME=" COCO_CACHE_DIR));
    /* the first line is a comment, so a value is never on line one */
    assert_true(b->envfile.v[0][0] == '#');
    assert_int_equal(count_prefix(&b->argv, "--env-file="), 1);
    assert_true(find(&b->argv, "--env-file=/dev/fd/3") > 0);
    /* TERM is not read by the engine: plain -e */
    assert_true(has_env_flag(&b->argv, "TERM"));
    assert_true(has_env_flag(&b->argv, "HOMEBREW_PREFIX"));
    assert_true(has_env_flag(&b->argv, "PATHEXT"));
    assert_true(has_env_flag(&b->argv, "TZDIR"));
    assert_true(find(&b->env, "PATHEXT=.X") >= 0);
    assert_true(find(&b->env, "TERM=xterm") >= 0);
    free_built(b);
    free_policy(p);
}

static void test_reserved_name_newline_rejected(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_PODMAN, true);
    add_env(p, "SSL_CERT_FILE", "/a\n/b", false);
    struct built *b = build(p);
    assert_int_equal(b->rc, -1);
    assert_non_null(strstr(b->err.msg, "SSL_CERT_FILE"));
    assert_non_null(strstr(b->err.msg, "line break"));
    free_built(b);
    free_policy(p);
}

static void test_config_env_overrides_defaults(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_PODMAN, true);
    add_env(p, "HOME", "/workspace", false);
    struct built *b = build(p);
    assert_int_equal(b->rc, 0);
    assert_int_equal(count_prefix(&b->envfile, "HOME="), 1);
    assert_true(envfile_has(&b->envfile, "HOME=/workspace"));
    free_built(b);
    free_policy(p);
}

static void test_network_modes(void **state)
{
    (void)state;
    struct {
        enum net_mode net;
        const char *flag;  /* NULL: no --network at all */
        bool proxied;
    } cases[] = {
        {NET_NONE, "--network=none", false},
        {NET_UNSET, "--network=none", false},
        {NET_HOST, "--network=host", false},
        {NET_FULL, "--network=none", true},
        {NET_ALLOWED, "--network=none", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int rt = 0; rt < 2; rt++) {
            struct policy *p = base_policy(rt ? RT_DOCKER : RT_PODMAN, !rt);
            p->net.mode = cases[i].net;
            struct built *b = build(p);
            assert_int_equal(b->rc, 0);
            assert_true(find(&b->argv, cases[i].flag) > 0);
            assert_int_equal(count_prefix(&b->argv, "--network"), 1);
            /* Under egress: the relay is the entrypoint and starts the
             * tool; coco and the socket's directory are bound in. */
            ssize_t ep = find(&b->argv, "--entrypoint=/run/coco/coco");
            ssize_t fw = find(&b->argv, "_egress-forward");
            if (cases[i].proxied) {
                ssize_t img = find(&b->argv, p->image);
                assert_true(ep > 0 && img == ep + 1 && fw == img + 1);
                assert_string_equal(b->argv.v[fw + 1],
                                    "/run/coco/egress/proxy.sock");
                assert_string_equal(b->argv.v[fw + 2], "3128");
                assert_string_equal(b->argv.v[fw + 3],
                                    "/run/coco/egress/dns.sock");
                assert_string_equal(b->argv.v[fw + 4], "--");
                assert_string_equal(b->argv.v[fw + 5], p->argv.v[0]);
                /* DNS: the relay on 127.0.0.1:53 as the container's
                 * only resolver, loopback-only hosts, port 53 for an
                 * unprivileged user in the container's own netns. */
                assert_true(count_prefix(&b->argv, "--mount=type=bind,src="
                                         OCI_EGRESS_DIR_SHOWN "/resolv.conf,"
                                         "dst=/etc/resolv.conf,ro") == 1);
                assert_true(count_prefix(&b->argv, "--mount=type=bind,src="
                                         OCI_EGRESS_DIR_SHOWN "/hosts,"
                                         "dst=/etc/hosts,ro") == 1);
                assert_true(find(&b->argv, "--sysctl=net.ipv4.ip_unprivileged_"
                                           "port_start=53") > 0);
                assert_true(count_prefix(&b->argv, "--mount=type=bind,src="
                                         OCI_COCO_SHOWN ",dst=/run/coco/coco,"
                                         "ro") == 1);
                assert_true(count_prefix(&b->argv, "--mount=type=bind,src="
                                         OCI_EGRESS_DIR_SHOWN ",dst=/run/"
                                         "coco/egress,ro") == 1);
                /* The proxy variables, as native sets them. */
                assert_true(strvec_contains(&b->envfile,
                                            "HTTPS_PROXY=http://127.0.0.1:"
                                            "3128\n"));
                assert_true(strvec_contains(&b->envfile,
                                            "ALL_PROXY=socks5h://127.0.0.1:"
                                            "3128\n"));
            } else {
                assert_true(ep < 0 && fw < 0);
                assert_int_equal(count_prefix(&b->argv, "--entrypoint"), 0);
                assert_int_equal(count_prefix(&b->argv, "--sysctl"), 0);
            }
            free_built(b);
            free_policy(p);
        }
    }
    /* The run's own egress replaces what stands in for it. */
    struct policy *p = base_policy(RT_PODMAN, true);
    p->net.mode = NET_ALLOWED;
    strvec_push(&p->net.ca_env, "SSL_CERT_FILE=/etc/corp/ca.pem");
    struct egress eg = {.dir = "/run/user/1000/coco-egress.abc",
                        .self_exe = "/opt/coco/bin/coco"};
    struct strvec a = STRVEC_INIT, e = STRVEC_INIT, ef = STRVEC_INIT;
    coco_err err = {0};
    assert_int_equal(oci_build_argv(p, &eg, &a, &e, &ef, &err), 0);
    assert_true(find(&a, "--mount=type=bind,src=/opt/coco/bin/coco,"
                         "dst=/run/coco/coco,ro,nosuid,nodev") > 0);
    assert_true(find(&a, "--mount=type=bind,src=/run/user/1000/"
                         "coco-egress.abc,dst=/run/coco/egress,ro,nosuid,"
                         "nodev") > 0);
    assert_true(find(&a, "--mount=type=bind,src=/run/user/1000/"
                         "coco-egress.abc/resolv.conf,dst=/etc/resolv.conf,"
                         "ro,nosuid,nodev") > 0);
    /* The host's CA file at /run/coco/ca/NAME: the image has its own /etc. */
    assert_true(find(&a, "--mount=type=bind,src=/etc/corp/ca.pem,"
                         "dst=/run/coco/ca/SSL_CERT_FILE,ro,nosuid,nodev") > 0);
    assert_true(strvec_contains(&ef, "SSL_CERT_FILE=/run/coco/ca/"
                                     "SSL_CERT_FILE\n"));
    strvec_clear(&a);
    strvec_clear(&e);
    strvec_clear(&ef);
    /* Published ports need the engine's network: "full" keeps it
     * (unfiltered), allowed_hosts cannot have them. */
    strvec_push(&p->net.ports, "8080:80");
    assert_int_equal(oci_build_argv(p, &eg, &a, &e, &ef, &err), -1);
    assert_non_null(strstr(err.msg, "ports"));
    p->net.mode = NET_FULL;
    assert_int_equal(oci_build_argv(p, &eg, &a, &e, &ef, &err), 0);
    assert_int_equal(count_prefix(&a, "--network"), 0);
    assert_int_equal(count_prefix(&a, "--entrypoint"), 0);
    strvec_clear(&a);
    strvec_clear(&e);
    strvec_clear(&ef);
    free_policy(p);
}

static void test_ports(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_DOCKER, false);
    p->net.mode = NET_FULL;
    strvec_push(&p->net.ports, "127.0.0.1:8080:80");
    strvec_push(&p->net.ports, "9000:9000/udp");
    struct built *b = build(p);
    assert_int_equal(b->rc, 0);
    ssize_t i = find(&b->argv, "127.0.0.1:8080:80");
    assert_true(i > 0);
    assert_string_equal(b->argv.v[i - 1], "-p");
    i = find(&b->argv, "9000:9000/udp");
    assert_true(i > 0);
    assert_string_equal(b->argv.v[i - 1], "-p");
    free_built(b);

    /* no network: nothing to publish on */
    p->net.mode = NET_NONE;
    b = build(p);
    assert_int_equal(b->rc, -1);
    assert_non_null(strstr(b->err.msg, "ports"));
    free_built(b);
    free_policy(p);
}

static void test_x11(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_PODMAN, true);
    p->x11 = true;
    p->x11_display = xstrdup(":0");
    p->x11_socket_dir = xstrdup("/tmp/.X11-unix");
    p->x11_xauthority = xstrdup("/home/u/.Xauthority");
    struct built *b = build(p);
    assert_int_equal(b->rc, 0);
    assert_true(find(&b->argv, "--mount=type=bind,src=/tmp/.X11-unix,"
                               "dst=/tmp/.X11-unix,ro") > 0);
    assert_true(find(&b->argv, "--mount=type=bind,src=/home/u/.Xauthority,"
                               "dst=/tmp/.coco-Xauthority,ro") > 0);
    assert_true(has_env_flag(&b->argv, "DISPLAY"));
    assert_true(has_env_flag(&b->argv, "XAUTHORITY"));
    assert_true(find(&b->env, "DISPLAY=:0") >= 0);
    assert_true(find(&b->env, "XAUTHORITY=/tmp/.coco-Xauthority") >= 0);
    free_built(b);
    free_policy(p);

    /* without x11 nothing of it appears */
    p = base_policy(RT_PODMAN, true);
    b = build(p);
    assert_false(any_contains(&b->argv, "X11"));
    assert_false(has_env_flag(&b->argv, "DISPLAY"));
    free_built(b);
    free_policy(p);
}

static void test_limits(void **state)
{
    (void)state;
    struct {
        uint64_t milli;
        const char *flag;
    } cpus[] = {
        {1500, "--cpus=1.500"}, {250, "--cpus=0.250"}, {2000, "--cpus=2.000"},
        {1, "--cpus=0.001"},
    };
    for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
        struct policy *p = base_policy(RT_DOCKER, false);
        p->limits.cpus_milli = cpus[i].milli;
        struct built *b = build(p);
        assert_int_equal(b->rc, 0);
        assert_true(find(&b->argv, cpus[i].flag) > 0);
        free_built(b);
        free_policy(p);
    }
    /* unset limits fall back to the documented defaults */
    struct policy *p = base_policy(RT_PODMAN, true);
    p->limits.memory = 0;
    p->limits.pids = 0;
    p->limits.tmp_size = 0;
    struct built *b = build(p);
    _cleanup_free_ char *mem = xasprintf("--memory=%llu",
                                         (unsigned long long)COCO_DEFAULT_MEMORY);
    _cleanup_free_ char *pids = xasprintf("--pids-limit=%llu",
                                          (unsigned long long)COCO_DEFAULT_PIDS);
    _cleanup_free_ char *tmp = xasprintf(
        "--tmpfs=/tmp:rw,nosuid,nodev,size=%llu,mode=1777",
        (unsigned long long)COCO_DEFAULT_TMP_SIZE);
    assert_true(find(&b->argv, mem) > 0);
    assert_true(find(&b->argv, pids) > 0);
    assert_true(find(&b->argv, tmp) > 0);
    free_built(b);
    free_policy(p);
}

static void test_mounts(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_PODMAN, true);
    add_mount(p, "/home/u/proj", "/workspace", false, 0);
    add_mount(p, "/home/u/.npmrc", "/home/coco/.npmrc", true, MNT_RO);
    add_mount(p, "/data:with:colons", "/data", true, 0);
    add_mount(p, "/shared", "/shared", false, MNT_Z_SHARED);
    add_mount(p, "/priv", "/priv", true, MNT_Z_PRIVATE | MNT_NOEXEC);
    struct built *b = build(p);
    assert_int_equal(b->rc, 0);
    assert_true(find(&b->argv, "--mount=type=bind,src=/home/u/proj,"
                               "dst=/workspace,nosuid,nodev") > 0);
    assert_true(find(&b->argv, "--mount=type=bind,src=/home/u/.npmrc,"
                               "dst=/home/coco/.npmrc,ro,nosuid,nodev") > 0);
    /* --mount carries colons without confusion */
    assert_true(find(&b->argv, "--mount=type=bind,src=/data:with:colons,"
                               "dst=/data,ro,nosuid,nodev") > 0);
    assert_true(find(&b->argv, "--mount=type=bind,src=/shared,dst=/shared,"
                               "nosuid,nodev,relabel=shared") > 0);
    assert_true(find(&b->argv, "--mount=type=bind,src=/priv,dst=/priv,ro,"
                               "nosuid,nodev,relabel=private,noexec") > 0);
    free_built(b);
    free_policy(p);

    /* docker: relabel needs the -v form, noexec is impossible */
    p = base_policy(RT_DOCKER, false);
    add_mount(p, "/shared", "/shared", true, MNT_Z_SHARED);
    b = build(p);
    assert_int_equal(b->rc, 0);
    ssize_t i = find(&b->argv, "/shared:/shared:ro,z");
    assert_true(i > 0);
    assert_string_equal(b->argv.v[i - 1], "-v");
    free_built(b);
    free_policy(p);

    p = base_policy(RT_DOCKER, false);
    add_mount(p, "/a:b", "/ab", false, MNT_Z_PRIVATE);
    b = build(p);
    assert_int_equal(b->rc, -1);
    assert_non_null(strstr(b->err.msg, "':'"));
    free_built(b);
    free_policy(p);

    p = base_policy(RT_DOCKER, false);
    add_mount(p, "/bin", "/bin2", true, MNT_NOEXEC);
    b = build(p);
    assert_int_equal(b->rc, -1);
    assert_non_null(strstr(b->err.msg, "noexec"));
    free_built(b);
    free_policy(p);
}

static void test_bad_path_characters(void **state)
{
    (void)state;
    struct {
        const char *src, *dst, *needle;
    } cases[] = {
        {"/home/u/a,b", "/w", "','"},
        {"/home/u/ok", "/w,ro=false", "','"},
        {"/home/u/q\"uote", "/w", "'\"'"},
        {"/home/u/new\nline", "/w", "control character"},
        {"/home/u/tab\there", "/w", "control character"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int rt = RT_PODMAN; rt <= RT_DOCKER; rt++) {
            struct policy *p = base_policy((enum runtime_kind)rt, false);
            add_mount(p, cases[i].src, cases[i].dst, false, 0);
            struct built *b = build(p);
            assert_int_equal(b->rc, -1);
            assert_non_null(strstr(b->err.msg, cases[i].needle));
            assert_non_null(strstr(b->err.msg, "/cfg/eslint.json: mounts"));
            free_built(b);
            free_policy(p);
        }
    }
}

static void test_engine_socket_refused(void **state)
{
    (void)state;
    const char *srcs[] = {"/var/run/docker.sock", "/run/docker.sock", "/run",
                          "/var/run", "/", "/home/u/.docker/run/docker.sock",
                          "/run/podman"};
    for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
        struct policy *p = base_policy(RT_DOCKER, false);
        add_mount(p, srcs[i], "/x", true, MNT_RO);
        struct built *b = build(p);
        assert_int_equal(b->rc, -1);
        assert_non_null(strstr(b->err.msg, "engine socket"));
        free_built(b);
        free_policy(p);
    }
}

static void test_volume(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_PODMAN, true);
    struct built *b = build(p);
    assert_true(find(&b->argv, "--mount=type=volume,src=coco-cache-eslint,"
                               "dst=" COCO_CACHE_DIR) > 0);
    assert_true(envfile_has(&b->envfile, "XDG_CACHE_HOME=" COCO_CACHE_DIR));
    free_built(b);

    free(p->volume);
    p->volume = xstrdup("coco-cache-shared");
    p->isolated = false;
    b = build(p);
    assert_true(find(&b->argv, "--mount=type=volume,src=coco-cache-shared,"
                               "dst=" COCO_CACHE_DIR) > 0);
    free_built(b);

    free(p->volume);
    p->volume = NULL;
    b = build(p);
    assert_int_equal(count_prefix(&b->argv, "--mount=type=volume"), 0);
    assert_int_equal(count_prefix(&b->envfile, "XDG_CACHE_HOME="), 0);
    free_built(b);

    p->volume = xstrdup("bad/volume");
    b = build(p);
    assert_int_equal(b->rc, -1);
    free_built(b);
    free_policy(p);
}

static void test_extra_args_and_order(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_PODMAN, true);
    strvec_push(&p->extra_args, "--shm-size=1g");
    p->tty = true;
    struct built *b = build(p);
    ssize_t extra = find(&b->argv, "--shm-size=1g");
    ssize_t img = find(&b->argv, "localhost/coco:latest");
    ssize_t wd = find(&b->argv, "--workdir=/workspace");
    assert_true(extra > 0 && img > extra && wd < extra);
    assert_true(find(&b->argv, "-t") > 0);
    free_built(b);

    /* The builder checks the allowlist itself: a hand-built policy with
     * an option outside it, or one this engine lacks, builds nothing. */
    strvec_push(&p->extra_args, "--security-opt=seccomp=unconfined");
    b = build(p);
    assert_int_equal(b->rc, -1);
    assert_non_null(strstr(b->err.msg, "podman_args: \"--security-opt=seccomp=unconfined\""));
    free_built(b);
    strvec_clear(&p->extra_args);
    strvec_push(&p->extra_args, "--tz=UTC");
    b = build(p);
    assert_int_equal(b->rc, 0);
    free_built(b);
    p->runtime = RT_DOCKER;
    b = build(p);
    assert_int_equal(b->rc, -1);
    assert_non_null(strstr(b->err.msg, "\"--tz=UTC\" is not an engine option coco allows on docker"));
    free_built(b);
    p->runtime = RT_PODMAN;
    strvec_clear(&p->extra_args);

    /* an image that would be read as an option */
    free(p->image);
    p->image = xstrdup("--privileged");
    b = build(p);
    assert_int_equal(b->rc, -1);
    assert_non_null(strstr(b->err.msg, "image"));
    free_built(b);
    free_policy(p);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_NATIVE, false);
    struct built *b = build(p);
    assert_int_equal(b->rc, -1);
    free_built(b);
    free_policy(p);

    p = base_policy(RT_PODMAN, false);
    free(p->container_name);
    p->container_name = xstrdup("-rm");
    b = build(p);
    assert_int_equal(b->rc, -1);
    free_built(b);
    free(p->engine_bin);
    p->engine_bin = NULL;
    free(p->container_name);
    p->container_name = xstrdup("ok");
    b = build(p);
    assert_int_equal(b->rc, -1);
    assert_non_null(strstr(b->err.msg, "not found"));
    free_built(b);
    free_policy(p);
}

static void test_find_engine(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/coco-test-oci.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    _cleanup_free_ char *fake = path_join(tmpl, "podman");
    FILE *f = fopen(fake, "w");
    assert_non_null(f);
    fclose(f);
    const char *old = getenv("PATH");
    _cleanup_free_ char *saved = old ? xstrdup(old) : NULL;

    /* not executable: skipped */
    chmod(fake, 0644);
    _cleanup_free_ char *p1 = xasprintf("relative:%s", tmpl);
    setenv("PATH", p1, 1);
    char *found = oci_find_engine(RT_PODMAN);
    assert_true(found == NULL || strcmp(found, fake) != 0);
    free(found);

    chmod(fake, 0755);
    found = oci_find_engine(RT_PODMAN);
    assert_non_null(found);
    assert_string_equal(found, fake);
    free(found);
    assert_null(oci_find_engine(RT_NATIVE));

    if (saved)
        setenv("PATH", saved, 1);
    else
        unsetenv("PATH");
    unlink(fake);
    rmdir(tmpl);
}

/* Protected host-executed files: the anchor (a directory above one)
 * bound writable onto itself, the path read-only, after the workspace;
 * an allowed path and a symlink get no mount; a path the mount syntax
 * cannot carry is refused, never silently left writable. */
static void add_protect(struct policy *p, const char *rel, bool anchor,
                        bool allowed, bool is_link)
{
    p->protect = xrealloc(p->protect, (p->n_protect + 1) * sizeof(*p->protect));
    p->protect[p->n_protect++] = (struct policy_protect){
        .host = xasprintf("/home/u/proj/%s", rel),
        .ctr = xasprintf("/workspace/%s", rel), .rel = xstrdup(rel),
        .anchor = anchor, .allowed = allowed, .is_link = is_link,
        .kind = anchor ? -1 : 0};
}

static void test_protect_mounts(void **state)
{
    (void)state;
    for (int d = 0; d < 2; d++) {
        struct policy *p = base_policy(d ? RT_DOCKER : RT_PODMAN, false);
        add_mount(p, "/home/u/proj", "/workspace", false, 0);
        add_protect(p, ".envrc", false, false, true);
        add_protect(p, ".git", true, false, false);
        add_protect(p, ".git/config", false, true, false);
        add_protect(p, ".git/hooks", false, false, false);
        struct built *b = build(p);
        assert_int_equal(b->rc, 0);
        const char *sfx = d ? "" : ",nosuid,nodev";
        _cleanup_free_ char *ws = xasprintf(
            "--mount=type=bind,src=/home/u/proj,dst=/workspace%s", sfx);
        _cleanup_free_ char *git = xasprintf(
            "--mount=type=bind,src=/home/u/proj/.git,dst=/workspace/.git%s", sfx);
        _cleanup_free_ char *hooks = xasprintf(
            "--mount=type=bind,src=/home/u/proj/.git/hooks,"
            "dst=/workspace/.git/hooks,ro%s", sfx);
        ssize_t iw = find(&b->argv, ws), ig = find(&b->argv, git),
                ih = find(&b->argv, hooks);
        assert_true(iw >= 0 && ig > iw && ih > ig);
        assert_false(any_contains(&b->argv, "dst=/workspace/.git/config"));
        assert_false(any_contains(&b->argv, "dst=/workspace/.envrc"));
        free_built(b);
        /* a comma in a directory's name: refused with the path */
        add_protect(p, "a,b/.envrc", false, false, false);
        b = build(p);
        assert_int_equal(b->rc, -1);
        assert_non_null(strstr(b->err.msg, "protected path \"/home/u/proj/a,b/.envrc\" contains ','"));
        free_built(b);
        free_policy(p);
    }
}

/* docker fills every proxy variable a run does not name with -e from the
 * "proxies" of ~/.docker/config.json (a value in the env file does not
 * count): each is named ("-e NAME", set to nothing: the client's
 * environment lacks it); one the config sets has its value in the env
 * file.  podman gets --http-proxy=false. */
static void test_docker_proxy_vars(void **state)
{
    (void)state;
    struct policy *p = base_policy(RT_DOCKER, false);
    add_env(p, "HTTPS_PROXY", "http://127.0.0.1:9", false);
    struct built *b = build(p);
    assert_int_equal(b->rc, 0);
    const char *names[] = {"HTTP_PROXY", "http_proxy", "https_proxy",
                           "NO_PROXY", "no_proxy", "FTP_PROXY", "ftp_proxy",
                           "ALL_PROXY", "all_proxy"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_true(has_env_flag(&b->argv, names[i]));
    assert_true(has_env_flag(&b->argv, "HTTPS_PROXY"));
    assert_true(envfile_has(&b->envfile, "HTTPS_PROXY=http://127.0.0.1:9"));
    /* never a value in the argv or the client's environment */
    assert_false(any_contains(&b->argv, "_PROXY="));
    assert_false(any_contains(&b->env, "PROXY="));
    free_built(b);
    free_policy(p);

    p = base_policy(RT_PODMAN, false);
    b = build(p);
    assert_false(has_env_flag(&b->argv, "HTTP_PROXY"));
    assert_true(find(&b->argv, "--http-proxy=false") >= 0);
    free_built(b);
    free_policy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hardened_podman_rootless),
        cmocka_unit_test(test_podman_rootful_user),
        cmocka_unit_test(test_docker_differences),
        cmocka_unit_test(test_env_values_never_in_argv),
        cmocka_unit_test(test_reserved_names_go_to_envfile),
        cmocka_unit_test(test_reserved_name_newline_rejected),
        cmocka_unit_test(test_config_env_overrides_defaults),
        cmocka_unit_test(test_network_modes),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_x11),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_mounts),
        cmocka_unit_test(test_bad_path_characters),
        cmocka_unit_test(test_engine_socket_refused),
        cmocka_unit_test(test_volume),
        cmocka_unit_test(test_extra_args_and_order),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_find_engine),
        cmocka_unit_test(test_protect_mounts),
        cmocka_unit_test(test_docker_proxy_vars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
