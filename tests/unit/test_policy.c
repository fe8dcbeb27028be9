/* test_policy.c — config + environment + flags -> policy, and the `run`
 * command-line parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"
#include "net.h"
#include "policy.h"
#include "show.h"

static char tmpdir[64];
static char home[128], cwd[160];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/coco-policy-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(home, sizeof home, "%s/home", tmpdir);
    snprintf(cwd, sizeof cwd, "%s/home/proj", tmpdir);
    mkdir(home, 0700);
    mkdir(cwd, 0700);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char *argv[] = {"rm", "-rf", tmpdir, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    return 0;
}

static void ctx_init(struct host_ctx *ctx, char **env)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->cwd = cwd;
    ctx->home = home;
    ctx->uid = 1000;
    ctx->gid = 1000;
    ctx->environ = env;
    ctx->pid = 42;
    ctx->podman_rootless = true;
    ctx->container_name = "coco-test";
    ctx->podman_bin = "/usr/bin/podman";
    ctx->docker_bin = "/usr/bin/docker";
}

/* Parse JSON and resolve; returns policy_resolve's result. */
static int resolve(const char *json, char **env, const struct run_flags *fl,
                   char *const *args, size_t nargs, struct policy *p, coco_err *err)
{
    struct config c;
    if (config_parse(json, strlen(json), "tool", "tool.json", &c, err) < 0)
        fail_msg("config: %s", err->msg);
    struct host_ctx ctx;
    ctx_init(&ctx, env);
    struct run_flags none = {0};
    int r = policy_resolve(&c, &ctx, fl ? fl : &none, args, nargs, p, err);
    config_free(&c);
    return r;
}

static void test_mount_expansion(void **state)
{
    (void)state;
    char *env[] = {"PATH=/usr/bin", NULL};
    struct policy p;
    coco_err err = {0};
    const char *j = "{\"mounts\": [{\"src\": \".\", \"dst\": \"/workspace\"},"
                    "{\"src\": \"~/cfg/new\", \"dst\": \"/c\", \"opts\": \"ro\"},"
                    "{\"src\": \"sub/dir\", \"dst\": \"/s\"}]}";
    if (resolve(j, env, NULL, NULL, 0, &p, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(p.mounts[0].src, cwd);
    char want[256];
    snprintf(want, sizeof want, "%s/cfg/new", home);
    assert_string_equal(p.mounts[1].src, want);
    assert_true(p.mounts[1].ro);
    assert_false(p.mounts[0].ro);
    struct stat st;
    /* A missing source directory is created, private to the user. */
    assert_int_equal(stat(want, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(want, sizeof want, "%s/sub/dir", cwd);
    assert_string_equal(p.mounts[2].src, want);
    assert_string_equal(p.workdir, "/workspace");
    policy_free(&p);
}

/* Issue 6 item 2: a tool that can write a mount source (the workspace,
 * ~/.cache/x) replaces it, or a directory on its path, with a symlink;
 * the next run must refuse it, not bind whatever it points to. */
static void test_mount_symlink_refused(void **state)
{
    (void)state;
    char link[256], target[256], mid[256];
    snprintf(target, sizeof target, "%s/real", home);
    snprintf(link, sizeof link, "%s/ln", cwd);
    mkdir(target, 0700);
    assert_int_equal(symlink(target, link), 0);
    char *env[] = {NULL};
    struct policy p;
    coco_err err = {0};
    assert_int_equal(resolve("{\"mounts\": [{\"src\": \"ln\", \"dst\": \"/x\"}]}",
                             env, NULL, NULL, 0, &p, &err), -1);
    char want[600];
    snprintf(want, sizeof want, "tool.json: mounts[0].src: %s: the component "
             "ln is a symbolic link (to %s)", link, target);
    if (!strstr(err.msg, want))
        fail_msg("got: %s\nwant: %s", err.msg, want);
    /* a symlink in the middle of a home path, even to a directory below
     * home, and even for a path that a run would create */
    snprintf(mid, sizeof mid, "%s/cache", home);
    assert_int_equal(symlink(target, mid), 0);
    assert_int_equal(resolve("{\"mounts\": [{\"src\": \"~/cache/x\", \"dst\": \"/x\"}]}",
                             env, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "the component cache is a symbolic link"));
    struct stat st;
    snprintf(want, sizeof want, "%s/x", target);
    assert_int_equal(stat(want, &st), -1);  /* nothing created through it */
    /* the dry run says the same */
    struct run_flags dry = {.dry_run = true};
    assert_int_equal(resolve("{\"mounts\": [{\"src\": \"~/cache\", \"dst\": \"/x\"}]}",
                             env, &dry, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "is a symbolic link"));
    unlink(mid);
    unlink(link);
}

/* What was checked is what is mounted: the policy holds a descriptor of
 * the source, and swapping the path afterwards changes nothing. */
static void test_mount_fd_is_the_source(void **state)
{
    (void)state;
    char dir[256], moved[256];
    snprintf(dir, sizeof dir, "%s/fdsrc", cwd);
    snprintf(moved, sizeof moved, "%s/fdsrc.moved", cwd);
    mkdir(dir, 0700);
    char *env[] = {NULL};
    struct policy p;
    coco_err err = {0};
    if (resolve("{\"mounts\": [{\"src\": \"fdsrc\", \"dst\": \"/x\"}]}", env,
                NULL, NULL, 0, &p, &err))
        fail_msg("%s", err.msg);
    assert_true(p.mounts[0].fd >= 0);
    struct stat a, b;
    assert_int_equal(stat(dir, &a), 0);
    assert_int_equal(rename(dir, moved), 0);
    assert_int_equal(symlink("/etc", dir), 0);
    assert_int_equal(fstat(p.mounts[0].fd, &b), 0);
    assert_int_equal(a.st_ino, b.st_ino);
    policy_free(&p);
    unlink(dir);
    rmdir(moved);
}

/* Red team F2: the current directory is the descriptor coco opened at
 * start, not its name looked up again: swapping a directory on that path
 * for a symlink (to /etc) afterwards changes nothing. */
static void test_cwd_is_a_descriptor(void **state)
{
    (void)state;
    char dir[256], moved[256];
    snprintf(dir, sizeof dir, "%s/cwdswap", home);
    snprintf(moved, sizeof moved, "%s/cwdswap.real", home);
    mkdir(dir, 0700);
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(rename(dir, moved), 0);
    assert_int_equal(symlink("/etc", dir), 0);
    struct config c;
    coco_err err = {0};
    const char *j = "{\"mounts\": [{\"src\": \".\", \"dst\": \"/w\"}]}";
    assert_int_equal(config_parse(j, strlen(j), "tool", "tool.json", &c, &err), 0);
    char *env[] = {NULL};
    struct host_ctx ctx;
    ctx_init(&ctx, env);
    ctx.cwd = dir;          /* the name, now a symlink to /etc */
    ctx.cwd_fd = fd;        /* the directory itself */
    ctx.have_cwd_fd = true;
    struct policy p;
    struct run_flags none = {0};
    if (policy_resolve(&c, &ctx, &none, NULL, 0, &p, &err) < 0)
        fail_msg("%s", err.msg);
    assert_string_equal(p.mounts[0].src, moved);
    policy_free(&p);
    config_free(&c);
    close(fd);
    unlink(dir);
    rmdir(moved);
}

/* Issue 6 item 12: describing (show, --dry-run) must not change the file
 * system: a missing source is marked, not created. */
static void test_describe_creates_nothing(void **state)
{
    (void)state;
    char *env[] = {NULL};
    struct policy p;
    coco_err err = {0};
    struct run_flags dry = {.dry_run = true};
    if (resolve("{\"mounts\": [{\"src\": \"~/.ssh-squat\", \"dst\": \"/s\"}]}",
                env, &dry, NULL, 0, &p, &err))
        fail_msg("%s", err.msg);
    char want[256];
    snprintf(want, sizeof want, "%s/.ssh-squat", home);
    struct stat st;
    assert_int_equal(stat(want, &st), -1);
    assert_true(p.mounts[0].missing);
    assert_int_equal(p.mounts[0].fd, -1);
    assert_string_equal(p.mounts[0].src, want);
    policy_free(&p);
}

/* Issue 6 item 13: parents first whatever the config's order, and a
 * mount inside another needs its mount point to exist there already
 * (nothing is created in the user's files). */
static void test_nested_mounts(void **state)
{
    (void)state;
    char *env[] = {NULL};
    struct policy p;
    coco_err err = {0};
    char path[256];
    snprintf(path, sizeof path, "%s/nest", cwd);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/nest/mp", cwd);
    const char *j = "{\"mounts\": [{\"src\": \"~\", \"dst\": \"/w/mp\"},"
                    "{\"src\": \"nest\", \"dst\": \"/w\"}]}";
    assert_int_equal(resolve(j, env, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "tool.json: mounts[0].dst: /w/mp lies "
                                    "inside mounts[1] (/w)"));
    assert_non_null(strstr(err.msg, "does not exist"));
    struct stat st;
    assert_int_equal(stat(path, &st), -1);  /* not created */
    mkdir(path, 0700);
    if (resolve(j, env, NULL, NULL, 0, &p, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(p.mounts[0].dst, "/w");     /* parent first */
    assert_string_equal(p.mounts[1].dst, "/w/mp");
    assert_int_equal(p.mounts[0].index, 1);
    policy_free(&p);
    /* a file where a directory is mounted */
    rmdir(path);
    close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    assert_int_equal(resolve(j, env, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "is a file, but the source is a directory"));
    unlink(path);
}

static void test_mount_refusals(void **state)
{
    (void)state;
    char *env[] = {NULL};
    struct policy p;
    coco_err err = {0};
    assert_int_equal(resolve("{\"mounts\": [{\"src\": \"/\", \"dst\": \"/h\"}]}",
                             env, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "tool.json: mounts[0].src: / holds the "
                                    "container-engine socket"));
    assert_int_equal(resolve("{\"mounts\": [{\"src\": \"/run\", \"dst\": \"/h\"}]}",
                             env, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "container-engine socket"));
    assert_int_equal(resolve("{\"mounts\": [{\"src\": \".\", \"dst\": \"/tmp\"}]}",
                             env, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "mounts[0].dst: /tmp is managed by coco"));
    assert_int_equal(resolve("{\"mounts\": [{\"src\": \"/dev/null\", \"dst\": \"/n\"}]}",
                             env, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "neither a directory nor a regular file"));
}

static void test_sensitive_marked(void **state)
{
    (void)state;
    char *env[] = {NULL};
    struct policy p;
    coco_err err = {0};
    if (resolve("{\"mounts\": [{\"src\": \"~\", \"dst\": \"/h\"},"
                "{\"src\": \"~/.ssh\", \"dst\": \"/s\"},{\"src\": \".\", \"dst\": \"/w\"}]}",
                env, NULL, NULL, 0, &p, &err))
        fail_msg("%s", err.msg);
    assert_true(p.mounts[0].risky);
    assert_true(p.mounts[1].risky);
    assert_false(p.mounts[2].risky);
    policy_free(&p);
}

static void test_env(void **state)
{
    (void)state;
    char *env[] = {"TERM=xterm", "SECRET=s3", "A=host", NULL};
    struct policy p;
    coco_err err = {0};
    if (resolve("{\"env_passthrough\": [\"TERM\", \"MISSING\", \"A\"],"
                " \"env\": {\"A\": \"config\", \"B\": \"b\"}}",
                env, NULL, NULL, 0, &p, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(p.n_env, 3);
    assert_string_equal(p.env[0].name, "TERM");
    assert_true(p.env[0].from_host);
    assert_string_equal(p.env[1].name, "A");
    assert_string_equal(p.env[1].value, "config"); /* config wins */
    assert_false(p.env[1].from_host);
    assert_string_equal(p.env[2].name, "B");
    for (size_t i = 0; i < p.n_env; i++)
        assert_string_not_equal(p.env[i].name, "SECRET");
    policy_free(&p);
}

static void test_network(void **state)
{
    (void)state;
    char *env[] = {NULL};
    char *allow[] = {"COCO_ALLOW_NETWORK=true", NULL};
    struct policy p;
    coco_err err = {0};
    assert_int_equal(resolve("{}", env, NULL, NULL, 0, &p, &err), 0);
    assert_int_equal(p.net.mode, NET_NONE); /* the default: no network */
    assert_string_equal(p.net.source, "default");
    policy_free(&p);
    assert_int_equal(resolve("{}", allow, NULL, NULL, 0, &p, &err), 0);
    assert_int_equal(p.net.mode, NET_FULL);
    assert_string_equal(p.net.source, "COCO_ALLOW_NETWORK");
    policy_free(&p);
    /* allowed_hosts runs on native, where the proxy enforces it ... */
    struct run_flags nat = {.runtime = RT_NATIVE};
    assert_int_equal(resolve("{\"allowed_hosts\": [\"a.org\"]}", env, &nat,
                             NULL, 0, &p, &err), 0);
    assert_int_equal(p.net.mode, NET_ALLOWED);
    policy_free(&p);
    /* ... and on podman and docker, through the relay in the container
     * (no backend lacks a mode today) ... */
    struct run_flags pod = {.runtime = RT_PODMAN};
    assert_int_equal(resolve("{\"allowed_hosts\": [\"a.org\"]}", env, &pod,
                             NULL, 0, &p, &err), 0);
    assert_int_equal(p.net.mode, NET_ALLOWED);
    assert_true(net_policy_proxied(&p));
    assert_true(net_mode_filtered(RT_PODMAN, NET_FULL));
    assert_true(net_mode_filtered(RT_DOCKER, NET_ALLOWED));
    assert_false(net_mode_filtered(RT_DOCKER, NET_HOST));
    char b[512];
    assert_null(net_mode_missing(RT_DOCKER, NET_ALLOWED, "t", b, sizeof b));
    policy_free(&p);
    /* ... and `coco show` describes it. */
    struct run_flags show = {.show = true, .runtime = RT_PODMAN};
    assert_int_equal(resolve("{\"allowed_hosts\": [\"a.org\"]}", env, &show, NULL,
                             0, &p, &err), 0);
    assert_int_equal(p.net.mode, NET_ALLOWED);
    policy_free(&p);
}

static void test_extra_ports(void **state)
{
    (void)state;
    char *bad[] = {"COCO_EXTRA_PORTS=8080", NULL};
    char *good[] = {"COCO_EXTRA_PORTS=8080:80, 127.0.0.1:9000:9000/udp", NULL};
    struct policy p;
    coco_err err = {0};
    assert_int_equal(resolve("{\"network\": \"full\"}", bad, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "COCO_EXTRA_PORTS: \"8080\""));
    assert_int_equal(resolve("{}", good, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "COCO_EXTRA_PORTS: tool has network \"none\""));
    assert_int_equal(resolve("{\"network\": \"full\"}", good, NULL, NULL, 0, &p, &err), 0);
    assert_int_equal(p.net.ports.n, 2);
    assert_string_equal(p.net.ports.v[1], "127.0.0.1:9000:9000/udp");
    policy_free(&p);
}

static void test_runtime_choice(void **state)
{
    (void)state;
    char *env[] = {NULL};
    char *envd[] = {"COCO_RUNTIME=docker", NULL};
    char *envbad[] = {"COCO_RUNTIME=lxc", NULL};
    struct policy p;
    coco_err err = {0};
    struct run_flags fl = {.runtime = RT_PODMAN};
    assert_int_equal(resolve("{\"runtime\": \"docker\"}", env, NULL, NULL, 0, &p, &err), 0);
    assert_int_equal(p.runtime, RT_DOCKER);
    assert_string_equal(p.runtime_source, "config");
    assert_string_equal(p.engine_bin, "/usr/bin/docker");
    policy_free(&p);
    assert_int_equal(resolve("{\"runtime\": \"podman\"}", envd, NULL, NULL, 0, &p, &err), 0);
    assert_int_equal(p.runtime, RT_DOCKER);
    assert_string_equal(p.runtime_source, "COCO_RUNTIME");
    policy_free(&p);
    assert_int_equal(resolve("{}", envd, &fl, NULL, 0, &p, &err), 0);
    assert_int_equal(p.runtime, RT_PODMAN);
    assert_string_equal(p.runtime_source, "--runtime");
    assert_true(p.rootless);
    policy_free(&p);
    assert_int_equal(resolve("{}", envbad, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "COCO_RUNTIME: \"lxc\" is not a runtime"));
}

/* Issue 6 item 11: /tmp, the home and /dev/shm are tmpfs, which an
 * rlimit does not count: each gets at most a quarter of the memory limit,
 * so together they cannot take more than three quarters of it. */
static void test_tmpfs_sizes_follow_memory(void **state)
{
    (void)state;
    struct policy p;
    coco_err err = {0};
    assert_int_equal(resolve("{\"command\": \"x\", \"limits\": "
                             "{\"memory\": \"64m\"}}",
                             NULL, NULL, NULL, 0, &p, &err), 0);
    assert_int_equal(p.limits.tmp_size, 16ULL << 20);
    assert_int_equal(p.limits.home_size, 16ULL << 20);
    assert_int_equal(p.limits.shm_size, 16ULL << 20);
    policy_free(&p);
    /* a large limit keeps the defaults */
    assert_int_equal(resolve("{\"command\": \"x\"}", NULL, NULL, NULL, 0,
                             &p, &err), 0);
    assert_int_equal(p.limits.tmp_size, COCO_DEFAULT_TMP_SIZE);
    assert_int_equal(p.limits.home_size, COCO_DEFAULT_HOME_SIZE);
    assert_int_equal(p.limits.shm_size, COCO_DEFAULT_SHM_SIZE);
    policy_free(&p);
}

static void test_limits_and_names(void **state)
{
    (void)state;
    char *env[] = {"COCO_IMAGE=localhost/other:1", NULL};
    struct policy p;
    coco_err err = {0};
    char *args[] = {"--fix", "-x", "--", "."};
    assert_int_equal(resolve("{\"command\": \"eslint\", \"isolated\": false,"
                             " \"limits\": {\"memory\": \"1g\"}}",
                             env, NULL, args, 4, &p, &err), 0);
    assert_int_equal(p.limits.memory, 1ULL << 30);
    assert_false(p.limits.memory_default);
    assert_int_equal(p.limits.pids, COCO_DEFAULT_PIDS);
    assert_true(p.limits.pids_default);
    assert_int_equal(p.limits.tmp_size, 256ULL << 20); /* a quarter of 1g */
    assert_string_equal(p.volume, "coco-cache-shared");
    assert_string_equal(p.image, "localhost/other:1");
    assert_string_equal(p.image_source, "COCO_IMAGE");
    assert_int_equal(p.argv.n, 5);
    assert_string_equal(p.argv.v[0], "eslint");
    assert_string_equal(p.argv.v[3], "--");
    policy_free(&p);
    assert_int_equal(resolve("{}", env, NULL, NULL, 0, &p, &err), 0);
    assert_string_equal(p.volume, "coco-cache-t-tool");
    assert_string_equal(p.argv.v[0], "tool");
    assert_int_equal(p.limits.memory, COCO_DEFAULT_MEMORY);
    policy_free(&p);
}

static void test_default_runtime(void **state)
{
    (void)state;
    char *env[] = {NULL};
    struct config c;
    struct host_ctx ctx;
    struct policy p;
    coco_err err = {0};
    struct run_flags none = {0};
    const char *j = "{\"image\": \"localhost/x:1\"}";
    assert_int_equal(config_parse(j, strlen(j), "t", "t.json", &c, &err), 0);
    ctx_init(&ctx, env);
    ctx.native_available = true;
    /* A config that names an image runs in a container by default ... */
    assert_int_equal(policy_resolve(&c, &ctx, &none, NULL, 0, &p, &err), 0);
    assert_int_equal(p.runtime, RT_PODMAN);
    /* ... and rootless podman on cgroup v1 says its limits do not hold. */
    assert_non_null(p.limits_note);
    policy_free(&p);
    ctx.cgroup2_controllers = true;
    assert_int_equal(policy_resolve(&c, &ctx, &none, NULL, 0, &p, &err), 0);
    assert_null(p.limits_note);
    policy_free(&p);
    config_free(&c);
    /* Without an image, native where it is available. */
    assert_int_equal(config_parse("{}", 2, "t", "t.json", &c, &err), 0);
    assert_int_equal(policy_resolve(&c, &ctx, &none, NULL, 0, &p, &err), 0);
    assert_int_equal(p.runtime, RT_NATIVE);
    policy_free(&p);
    config_free(&c);
    /* network full and allowed_hosts go through the proxy on native:
     * the default picks native for them too. */
    j = "{\"network\": \"full\"}";
    assert_int_equal(config_parse(j, strlen(j), "t", "t.json", &c, &err), 0);
    assert_int_equal(policy_resolve(&c, &ctx, &none, NULL, 0, &p, &err), 0);
    assert_int_equal(p.runtime, RT_NATIVE);
    policy_free(&p);
    config_free(&c);
    j = "{\"allowed_hosts\": [\"a.org\"]}";
    assert_int_equal(config_parse(j, strlen(j), "t", "t.json", &c, &err), 0);
    assert_int_equal(policy_resolve(&c, &ctx, &none, NULL, 0, &p, &err), 0);
    assert_int_equal(p.runtime, RT_NATIVE);
    policy_free(&p);
    config_free(&c);
}

static void test_show_marks_unpinned_image(void **state)
{
    (void)state;
    char *env[] = {NULL};
    struct policy p;
    coco_err err = {0};
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(resolve("{\"image\": \"docker.io/library/node:20\"}", env,
                             NULL, NULL, 0, &p, &err), 0);
    FILE *f = open_memstream(&buf, &len);
    show_policy(&p, f);
    fclose(f);
    assert_non_null(strstr(buf, "RISK: image docker.io/library/node:20 is not pinned"));
    free(buf);
    policy_free(&p);
    assert_int_equal(resolve("{\"image\": \"localhost/coco:latest\"}", env,
                             NULL, NULL, 0, &p, &err), 0);
    f = open_memstream(&buf, &len);
    show_policy(&p, f);
    fclose(f);
    assert_null(strstr(buf, "not pinned"));
    free(buf);
    policy_free(&p);
}

/* podman_args: the chosen engine must have each option, and show says
 * what each one does instead of "passed as they are". */
static void test_podman_args_runtime_and_show(void **state)
{
    (void)state;
    char *env[] = {NULL};
    struct policy p;
    coco_err err = {0};
    const char *j = "{\"podman_args\": [\"--tz=Europe/Berlin\", \"-l\", \"team=web\"]}";
    struct run_flags docker = {.runtime = RT_DOCKER};
    assert_int_equal(resolve(j, env, &docker, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "tool.json: podman_args: \"--tz=Europe/Berlin\": "
                                    "--tz is a podman option and the runtime is "
                                    "docker (--runtime)"));
    struct run_flags native = {.runtime = RT_NATIVE};
    assert_int_equal(resolve(j, env, &native, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "tool.json: podman_args:"));
    assert_non_null(strstr(err.msg, "native"));

    struct run_flags podman = {.runtime = RT_PODMAN};
    assert_int_equal(resolve(j, env, &podman, NULL, 0, &p, &err), 0);
    assert_int_equal(p.extra_args.n, 2);
    assert_string_equal(p.extra_args.v[0], "--tz=Europe/Berlin");
    assert_string_equal(p.extra_args.v[1], "--label=team=web");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    show_policy(&p, f);
    fclose(f);
    assert_null(strstr(buf, "as they are"));
    assert_non_null(strstr(buf, "\n    --tz=Europe/Berlin: time zone of the container's clock\n"));
    assert_non_null(strstr(buf, "\n  ! --label=team=web: RISK: label on the container"));
    free(buf);
    policy_free(&p);
}

static void test_x11(void **state)
{
    (void)state;
    char *env[] = {NULL};
    char *envx[] = {"DISPLAY=:0", NULL};
    struct policy p;
    coco_err err = {0};
    assert_int_equal(resolve("{\"x11\": true}", env, NULL, NULL, 0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "tool.json: x11: DISPLAY is not set"));
    assert_int_equal(resolve("{\"x11\": true}", envx, NULL, NULL, 0, &p, &err), 0);
    assert_string_equal(p.x11_display, ":0");
    policy_free(&p);
}

static void test_cli_parse(void **state)
{
    (void)state;
    struct run_cmd rc;
    coco_err err = {0};
    char *a1[] = {"run", "--runtime", "native", "--dry-run", "eslint", "--fix", "--runtime", "x"};
    assert_int_equal(cli_parse_run(8, a1, &rc, &err), 0);
    assert_int_equal(rc.flags.runtime, RT_NATIVE);
    assert_true(rc.flags.dry_run);
    assert_string_equal(rc.tool, "eslint");
    assert_int_equal(rc.n_args, 3); /* everything after TOOL is the tool's */
    assert_string_equal(rc.args[0], "--fix");
    char *a2[] = {"run", "--", "-weird", "-h"};
    assert_int_equal(cli_parse_run(4, a2, &rc, &err), 0);
    assert_string_equal(rc.tool, "-weird");
    assert_int_equal(rc.n_args, 1);
    char *a3[] = {"run", "--runtime=lxc", "t"};
    assert_int_equal(cli_parse_run(3, a3, &rc, &err), -1);
    assert_non_null(strstr(err.msg, "\"lxc\" is not a runtime"));
    char *a4[] = {"run", "--dry-run"};
    assert_int_equal(cli_parse_run(2, a4, &rc, &err), -1);
    assert_non_null(strstr(err.msg, "which tool?"));
    char *a5[] = {"run", "--bogus", "t"};
    assert_int_equal(cli_parse_run(3, a5, &rc, &err), -1);
    assert_non_null(strstr(err.msg, "unknown option \"--bogus\""));
    char *a6[] = {"run", "--runtime"};
    assert_int_equal(cli_parse_run(2, a6, &rc, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mount_expansion),
        cmocka_unit_test(test_mount_symlink_refused),
        cmocka_unit_test(test_mount_fd_is_the_source),
        cmocka_unit_test(test_cwd_is_a_descriptor),
        cmocka_unit_test(test_describe_creates_nothing),
        cmocka_unit_test(test_nested_mounts),
        cmocka_unit_test(test_mount_refusals),
        cmocka_unit_test(test_sensitive_marked),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_network),
        cmocka_unit_test(test_extra_ports),
        cmocka_unit_test(test_runtime_choice),
        cmocka_unit_test(test_limits_and_names),
        cmocka_unit_test(test_tmpfs_sizes_follow_memory),
        cmocka_unit_test(test_default_runtime),
        cmocka_unit_test(test_show_marks_unpinned_image),
        cmocka_unit_test(test_podman_args_runtime_and_show),
        cmocka_unit_test(test_x11),
        cmocka_unit_test(test_cli_parse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
