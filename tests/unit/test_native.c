/* test_native.c — the native sandbox's pure parts: the mount plan built
 * from a hand-filled policy and host layout, the environment, and the
 * seccomp table (every row resolves, has a reason, and the filter
 * builds).  Nothing here creates namespaces; tests/integration/native.bats
 * runs the real thing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/mman.h>

#include <sched.h>
#include <seccomp.h>
#include <string.h>

#include <jansson.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "native/native_int.h" /* and RUNNING_ON_VALGRIND */
#include "seccomp_profile.h"

/* A policy as policy_resolve() would leave it, filled by hand. */
static void fill_policy(struct policy *p, struct policy_mount *m, size_t n)
{
    memset(p, 0, sizeof *p);
    p->tool = "t";
    p->workdir = "/workspace";
    p->mounts = m;
    p->n_mounts = n;
    p->net.mode = NET_NONE;
    p->limits.memory = 512ULL << 20;
    p->limits.pids = 64;
    p->limits.tmp_size = 100ULL << 20;
}

static void merged_layout(struct host_layout l[NATIVE_N_TOPDIRS])
{
    static const char *const names[] = {"bin", "sbin", "lib", "lib64",
                                        "lib32", "libx32"};
    static char *const links[] = {"usr/bin", "usr/sbin", "usr/lib",
                                  "usr/lib64", NULL, NULL};
    for (size_t i = 0; i < NATIVE_N_TOPDIRS; i++)
        l[i] = (struct host_layout){.name = names[i], .link = links[i],
                                    .present = i < 4};
}

static const struct mop *find(const struct mount_plan *pl, const char *dst,
                              size_t *idx)
{
    for (size_t i = 0; i < pl->n; i++)
        if (strcmp(pl->ops[i].dst, dst) == 0) {
            if (idx)
                *idx = i;
            return &pl->ops[i];
        }
    return NULL;
}

static void plan_system_parts(void **state)
{
    (void)state;
    struct policy p;
    struct host_layout l[NATIVE_N_TOPDIRS];
    struct mount_plan pl;

    fill_policy(&p, NULL, 0);
    merged_layout(l);
    mount_plan_build(&p, l, false, &pl);

    const struct mop *usr = find(&pl, "/usr", NULL);
    assert_non_null(usr);
    assert_int_equal(usr->kind, MOP_BIND);
    assert_true(usr->flags & MOPF_RO);
    const struct mop *etc = find(&pl, "/etc", NULL);
    assert_non_null(etc);
    assert_true(etc->flags & MOPF_RO);
    /* usr-merged: /bin is a symlink, not a bind of the host's /bin */
    const struct mop *bin = find(&pl, "/bin", NULL);
    assert_non_null(bin);
    assert_int_equal(bin->kind, MOP_SYMLINK);
    assert_string_equal(bin->src, "usr/bin");
    assert_null(find(&pl, "/lib32", NULL));  /* absent on the host */

    /* /tmp is size-limited with the policy's size, home is private */
    const struct mop *tmp = find(&pl, "/tmp", NULL);
    assert_non_null(tmp);
    assert_int_equal(tmp->kind, MOP_TMPFS);
    assert_int_equal(tmp->size, 100ULL << 20);
    const struct mop *home = find(&pl, COCO_CONTAINER_HOME, NULL);
    assert_non_null(home);
    assert_int_equal(home->kind, MOP_TMPFS);
    assert_true(home->flags & MOPF_OWNED);
    assert_int_equal(home->mode, 0700);

    /* nothing else of the host: no /home, /root, /var, /run, /sys */
    const char *const absent[] = {"/home", "/root", "/var", "/run", "/sys",
                                  "/dev/mem", "/dev/kmsg", "/dev/sda"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        assert_null(find(&pl, absent[i], NULL));
    for (size_t i = 0; i < pl.n; i++)
        if (pl.ops[i].kind == MOP_BIND)
            assert_true(pl.ops[i].flags & MOPF_RO);  /* no config mounts */
    mount_plan_free(&pl);
}

static void plan_dev_and_proc(void **state)
{
    (void)state;
    struct policy p;
    struct host_layout l[NATIVE_N_TOPDIRS];
    struct mount_plan pl;
    size_t idev = 0, inull = 0, iproc = 0, isys = 0, ikcore = 0;

    fill_policy(&p, NULL, 0);
    merged_layout(l);
    mount_plan_build(&p, l, false, &pl);

    const char *const nodes[] = {"/dev/null", "/dev/zero", "/dev/full",
                                 "/dev/random", "/dev/urandom", "/dev/tty"};
    for (size_t i = 0; i < 6; i++) {
        const struct mop *m = find(&pl, nodes[i], NULL);
        assert_non_null(m);
        assert_int_equal(m->kind, MOP_DEV);
    }
    assert_int_equal(find(&pl, "/dev/pts", NULL)->kind, MOP_DEVPTS);
    assert_int_equal(find(&pl, "/dev/shm", NULL)->kind, MOP_TMPFS);
    assert_non_null(find(&pl, "/dev", &idev));
    assert_non_null(find(&pl, "/dev/null", &inull));
    assert_true(idev < inull);  /* the tmpfs first, then the nodes */

    assert_non_null(find(&pl, "/proc", &iproc));
    const struct mop *sys = find(&pl, "/proc/sys", &isys);
    assert_non_null(sys);
    assert_int_equal(sys->kind, MOP_RO);
    assert_int_equal(find(&pl, "/proc/sysrq-trigger", NULL)->kind, MOP_RO);
    assert_int_equal(find(&pl, "/proc/irq", NULL)->kind, MOP_RO);
    assert_int_equal(find(&pl, "/proc/bus", NULL)->kind, MOP_RO);
    const struct mop *kcore = find(&pl, "/proc/kcore", &ikcore);
    assert_non_null(kcore);
    assert_int_equal(kcore->kind, MOP_MASK);
    assert_int_equal(find(&pl, "/proc/keys", NULL)->kind, MOP_MASK);
    assert_true(iproc < isys && iproc < ikcore);  /* proc before its masks */
    mount_plan_free(&pl);
}

static void plan_config_mounts(void **state)
{
    (void)state;
    struct policy p;
    struct host_layout l[NATIVE_N_TOPDIRS];
    struct mount_plan pl;
    struct policy_mount m[2] = {
        {.src = "/home/u/proj", .dst = "/workspace", .is_dir = true},
        {.src = "/home/u/.npmrc", .dst = "/home/coco/.npmrc", .ro = true,
         .opts = MNT_RO | MNT_NOEXEC},
    };
    size_t ihome = 0, iws = 0, inpmrc = 0, iproc = 0;

    fill_policy(&p, m, 2);
    merged_layout(l);
    mount_plan_build(&p, l, true, &pl);

    const struct mop *ws = find(&pl, "/workspace", &iws);
    assert_non_null(ws);
    assert_int_equal(ws->kind, MOP_BIND);
    assert_string_equal(ws->src, "/home/u/proj");
    assert_true(ws->flags & MOPF_CONFIG);
    assert_true(ws->flags & MOPF_DIR);
    assert_false(ws->flags & MOPF_RO);
    assert_true(ws->flags & MOPF_IDMAP);  /* root run: idmapped */

    const struct mop *npmrc = find(&pl, "/home/coco/.npmrc", &inpmrc);
    assert_non_null(npmrc);
    assert_true(npmrc->flags & MOPF_RO);
    assert_true(npmrc->flags & MOPF_NOEXEC);
    assert_false(npmrc->flags & MOPF_DIR);

    /* the home tmpfs must exist before a mount inside it */
    assert_non_null(find(&pl, COCO_CONTAINER_HOME, &ihome));
    assert_true(ihome < inpmrc);
    assert_non_null(find(&pl, "/proc", &iproc));
    assert_true(iws < iproc);
    mount_plan_free(&pl);

    /* a normal user's run: no idmap */
    mount_plan_build(&p, l, false, &pl);
    assert_false(find(&pl, "/workspace", NULL)->flags & MOPF_IDMAP);
    mount_plan_free(&pl);
}

static void plan_unmerged_host(void **state)
{
    (void)state;
    struct policy p;
    struct host_layout l[NATIVE_N_TOPDIRS];
    struct mount_plan pl;

    fill_policy(&p, NULL, 0);
    merged_layout(l);
    l[0].link = NULL;  /* /bin is a real directory */
    mount_plan_build(&p, l, false, &pl);
    const struct mop *bin = find(&pl, "/bin", NULL);
    assert_non_null(bin);
    assert_int_equal(bin->kind, MOP_BIND);
    assert_true(bin->flags & MOPF_RO);
    mount_plan_free(&pl);
}

static void plan_console(void **state)
{
    (void)state;
    struct policy p;
    struct host_layout l[NATIVE_N_TOPDIRS];
    struct mount_plan pl;
    size_t icons = 0, idev = 0, iproc = 0;

    fill_policy(&p, NULL, 0);
    merged_layout(l);
    mount_plan_build(&p, l, true, &pl);
    mount_plan_add_console(&pl, "/dev/pts/7");
    const struct mop *c = find(&pl, "/dev/console", &icons);
    assert_non_null(c);
    assert_int_equal(c->kind, MOP_DEV);
    assert_string_equal(c->src, "/dev/pts/7");
    assert_true(c->flags & MOPF_ALWAYSBIND);  /* a pty is bound, not mknod'ed */
    assert_non_null(find(&pl, "/dev", &idev));
    assert_non_null(find(&pl, "/proc", &iproc));
    assert_true(idev < icons && icons < iproc);
    mount_plan_free(&pl);
}

static void env_is_minimal(void **state)
{
    (void)state;
    struct policy p;
    struct policy_env pe[2] = {
        {.name = "NO_COLOR", .value = "1", .from_host = true},
        {.name = "TERM", .value = "dumb"},
    };
    char *host[] = {"TERM=xterm", "LANG=C.UTF-8", "LC_ALL=C", "SECRET=x",
                    "SSH_AUTH_SOCK=/tmp/agent", "HOME=/root", NULL};
    struct strvec env = STRVEC_INIT;

    fill_policy(&p, NULL, 0);
    p.env = pe;
    p.n_env = 2;
    native_build_env(&p, host, &env);
    assert_true(strvec_contains(&env, "PATH=" NATIVE_PATH));
    assert_true(strvec_contains(&env, "HOME=" COCO_CONTAINER_HOME));
    assert_true(strvec_contains(&env, "LANG=C.UTF-8"));
    assert_true(strvec_contains(&env, "LC_ALL=C"));
    assert_true(strvec_contains(&env, "NO_COLOR=1"));
    assert_true(strvec_contains(&env, "TERM=dumb"));     /* policy wins */
    assert_false(strvec_contains(&env, "TERM=xterm"));
    assert_false(strvec_contains(&env, "SECRET=x"));
    assert_false(strvec_contains(&env, "SSH_AUTH_SOCK=/tmp/agent"));
    assert_false(strvec_contains(&env, "HOME=/root"));
    assert_int_equal(env.n, 6);
    strvec_clear(&env);
}

static bool table_has(const char *name)
{
    for (size_t i = 0; i < seccomp_table_len; i++)
        if (strcmp(seccomp_table[i].name, name) == 0)
            return true;
    return false;
}

static void seccomp_table_rows(void **state)
{
    (void)state;
    /* the minimum list */
    const char *const required[] = {
        "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
        "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr", "unshare",
        "setns", "clone", "clone3", "keyctl", "add_key", "request_key", "bpf",
        "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
        "io_uring_register", "ptrace", "process_vm_readv",
        "process_vm_writev", "init_module", "finit_module", "delete_module",
        "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct",
        "syslog", "open_by_handle_at", "personality", "ioctl",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!table_has(required[i]))
            fail_msg("seccomp table lacks %s", required[i]);
    }
    for (size_t i = 0; i < seccomp_table_len; i++) {
        const struct sc_deny *d = &seccomp_table[i];
        /* every row explains itself and resolves on this architecture */
        assert_non_null(d->why);
        assert_true(strlen(d->why) > 8);
        if (d->nr == 0)
            assert_int_not_equal(seccomp_syscall_resolve_name(d->name),
                                 __NR_SCMP_ERROR);
        if (strcmp(d->name, "clone3") == 0 || strcmp(d->name, "openat2") == 0)
            assert_int_equal(d->errnum, ENOSYS);  /* libc falls back */
        else if (strcmp(d->name, "socket") == 0)
            assert_int_equal(d->errnum, EAFNOSUPPORT);  /* as if absent */
        else
            assert_int_equal(d->errnum, EPERM);
    }
}

/* Every call that takes a mode has a setuid/setgid row, with the mode's
 * argument index (issue 6: files the host will run). */
static void seccomp_mode_rows(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        unsigned long arg;
    } want[] = {
        {"chmod", 1}, {"fchmod", 1}, {"fchmodat", 2}, {"fchmodat2", 2},
        {"open", 2}, {"openat", 3}, {"creat", 1}, {"mknod", 1},
        {"mknodat", 2},
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        bool found = false;
        for (size_t i = 0; i < seccomp_table_len; i++) {
            const struct sc_deny *d = &seccomp_table[i];
            if (d->rule == SC_MODE && strcmp(d->name, want[w].name) == 0) {
                assert_int_equal(d->arg, want[w].arg);
                found = true;
            }
        }
        if (!found)
            fail_msg("no setuid/setgid row for %s", want[w].name);
    }
    /* openat2's mode is in memory: the call is refused as a whole */
    assert_true(table_has("openat2"));
}

static void seccomp_ioctl_rows(void **state)
{
    (void)state;
    bool sti = false, linux_ = false;
    for (size_t i = 0; i < seccomp_table_len; i++) {
        const struct sc_deny *d = &seccomp_table[i];
        if (strcmp(d->name, "ioctl") != 0)
            continue;
        assert_int_equal(d->rule, SC_IOCTL1);  /* only those requests */
        if (d->arg == 0x5412)
            sti = true;   /* TIOCSTI */
        if (d->arg == 0x541C)
            linux_ = true;  /* TIOCLINUX */
    }
    assert_true(sti);
    assert_true(linux_);
}

static void seccomp_filter_builds(void **state)
{
    (void)state;
    coco_err err = {0};
    int n = seccomp_check(&err);
    if (n < 0)
        fail_msg("seccomp filter: %s", err.msg);
    /* one rule per SC_ALL row, eight per namespace row, ... */
    assert_true((size_t)n > seccomp_table_len);
    /* The filter compiled into coco at build time is exactly what
     * libseccomp builds from the table now: a stale one would fail here. */
    int fd = memfd_create("bpf", MFD_CLOEXEC);
    assert_true(fd >= 0);
    if (seccomp_export_fd(fd, &err) < 0)
        fail_msg("export: %s", err.msg);
    off_t size = lseek(fd, 0, SEEK_END);
    size_t len;
    const struct sock_filter *prog = seccomp_compiled(&len);
    assert_int_equal((size_t)size, len * sizeof *prog);
    struct sock_filter *fresh = malloc((size_t)size);
    assert_int_equal(pread(fd, fresh, (size_t)size, 0), size);
    assert_memory_equal(fresh, prog, (size_t)size);
    free(fresh);
    close(fd);
}

static void limit_names(void **state)
{
    (void)state;
    assert_string_equal(limit_how_name(LIM_CGROUP1), "cgroup v1");
    assert_string_equal(limit_how_name(LIM_CGROUP2), "cgroup v2");
    assert_string_equal(limit_how_name(LIM_RLIMIT), "rlimit");
    assert_string_equal(limit_how_name(LIM_NONE), "not enforced");
}


/* ---- the OCI profile podman and docker load (seccomp_profile.h) ------ */

static enum scmp_compare op_of(const char *s)
{
    return strcmp(s, "SCMP_CMP_MASKED_EQ") == 0 ? SCMP_CMP_MASKED_EQ
         : strcmp(s, "SCMP_CMP_EQ") == 0 ? SCMP_CMP_EQ
         : strcmp(s, "SCMP_CMP_NE") == 0 ? SCMP_CMP_NE
         : strcmp(s, "SCMP_CMP_GE") == 0 ? SCMP_CMP_GE : _SCMP_CMP_MIN;
}

/* Load PROFILE the way an engine does (one rule per entry and name, its
 * comparisons ANDed) into the calling process.  Exits 90 on a profile the
 * test cannot read. */
static void load_profile(const char *profile)
{
    json_error_t je;
    json_t *root = json_loads(profile, 0, &je);
    if (!root)
        _exit(90);
    json_t *deflt = json_object_get(root, "defaultErrnoRet");
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(
        (uint32_t)json_integer_value(deflt)));
    size_t i, j;
    json_t *e, *n;
    json_array_foreach(json_object_get(root, "syscalls"), i, e) {
        const char *act = json_string_value(json_object_get(e, "action"));
        uint32_t a = strcmp(act, "SCMP_ACT_ALLOW") == 0
                         ? SCMP_ACT_ALLOW
                         : SCMP_ACT_ERRNO((uint32_t)json_integer_value(
                               json_object_get(e, "errnoRet")));
        struct scmp_arg_cmp cmp[6];
        unsigned nc = 0;
        json_t *args = json_object_get(e, "args"), *c;
        json_array_foreach(args, j, c) {
            if (nc >= 6)
                _exit(90);
            cmp[nc++] = (struct scmp_arg_cmp){
                .arg = (unsigned)json_integer_value(json_object_get(c, "index")),
                .op = op_of(json_string_value(json_object_get(c, "op"))),
                .datum_a = (scmp_datum_t)json_integer_value(json_object_get(c, "value")),
                .datum_b = (scmp_datum_t)json_integer_value(json_object_get(c, "valueTwo")),
            };
        }
        json_array_foreach(json_object_get(e, "names"), j, n) {
            int nr = seccomp_syscall_resolve_name(json_string_value(n));
            if (nr == __NR_SCMP_ERROR)
                continue;
            int rr = seccomp_rule_add_array(ctx, a, nr, nc, cmp);
            if (rr < 0) {
                fprintf(stderr, "rule %s: %s\n", json_string_value(n),
                        strerror(-rr));
                _exit(91);
            }
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0)
        _exit(92);
    seccomp_release(ctx);
    json_decref(root);
}

/* errno of a call in a child under the profile (0: it succeeded) */
#define UNDER_PROFILE(prof, expr)                                         \
    ({                                                                    \
        int st_, r_ = -1;                                                 \
        pid_t pid_ = fork();                                              \
        if (pid_ == 0) {                                                  \
            load_profile(prof);                                           \
            errno = 0;                                                    \
            long v_ = (long)(expr);                                       \
            _exit(v_ < 0 ? (errno & 0x7f) : 0);                           \
        }                                                                 \
        if (pid_ > 0 && waitpid(pid_, &st_, 0) == pid_ && WIFEXITED(st_)) \
            r_ = WEXITSTATUS(st_);                                        \
        r_;                                                               \
    })

/* errno of socket(FAMILY) in a child under PROF (the OCI profile), or
 * under the compiled native filter when PROF is NULL (0: it worked). */
static int socket_errno(const char *prof, unsigned long family, int type)
{
    int st, r = -1;
    pid_t pid = fork();
    if (pid == 0) {
        coco_err err = {0};
        if (prof)
            load_profile(prof);
        else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                 seccomp_load_compiled(&err) < 0)
            _exit(92);
        errno = 0;
        long fd = syscall(SYS_socket, family, type | SOCK_CLOEXEC, 0);
        _exit(fd < 0 ? (errno & 0x7f) : 0);
    }
    if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
        r = WEXITSTATUS(st);
    return r;
}

/* unix, inet, inet6 and netlink open; any other family fails with
 * EAFNOSUPPORT before the kernel sees it -- vsock (which this kernel may
 * not even have: the filter answers first), alg, packet, a family above
 * the last allowed one, and vsock with high bits the kernel would drop.
 * The same under the native filter and the OCI profile. */
static void socket_families_behave(const char *prof)
{
    assert_int_equal(socket_errno(prof, AF_UNIX, SOCK_STREAM), 0);
    assert_int_equal(socket_errno(prof, AF_INET, SOCK_DGRAM), 0);
    assert_int_equal(socket_errno(prof, AF_INET6, SOCK_DGRAM), 0);
    assert_int_equal(socket_errno(prof, AF_NETLINK, SOCK_RAW), 0);
    assert_int_equal(socket_errno(prof, AF_VSOCK, SOCK_STREAM), EAFNOSUPPORT);
    assert_int_equal(socket_errno(prof, AF_ALG, SOCK_SEQPACKET), EAFNOSUPPORT);
    assert_int_equal(socket_errno(prof, AF_PACKET, SOCK_DGRAM), EAFNOSUPPORT);
    assert_int_equal(socket_errno(prof, AF_UNSPEC, SOCK_STREAM), EAFNOSUPPORT);
    assert_int_equal(socket_errno(prof, 3 /* AF_AX25 */, SOCK_SEQPACKET),
                     EAFNOSUPPORT);
    assert_int_equal(socket_errno(prof, AF_MAX + 5, SOCK_STREAM), EAFNOSUPPORT);
    assert_int_equal(socket_errno(prof, (1UL << 32) | AF_VSOCK, SOCK_STREAM),
                     EAFNOSUPPORT);
    /* the kernel would read this one as AF_UNIX: refused all the same */
    assert_int_not_equal(socket_errno(prof, (1UL << 32) | AF_UNIX,
                                      SOCK_STREAM), 0);
}

static void native_socket_families(void **state)
{
    (void)state;
    if (RUNNING_ON_VALGRIND) {
        print_message("skipped under valgrind: loading the filter\n");
        return;
    }
    socket_families_behave(NULL);
}

/* The profile denies what the native filter denies -- setuid/setgid
 * modes, namespaces, keyrings, TIOCSTI even with high bits -- allows what
 * tools need, and refuses calls libseccomp cannot name (fchmodat2 on
 * libseccomp 2.5) instead of letting them through unfiltered. */
static void oci_profile_behaves(void **state)
{
    (void)state;
    coco_err err = {0};
    /* what coco hands the engines is what the table builds today */
    char *prof = seccomp_oci_profile_build(&err);
    if (!prof)
        fail_msg("%s", err.msg);
    assert_string_equal(seccomp_oci_profile(), prof);
    json_error_t je;
    json_t *root = json_loads(prof, 0, &je);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "defaultAction")),
                        "SCMP_ACT_ERRNO");
    json_decref(root);
    if (RUNNING_ON_VALGRIND) {
        /* memcheck cannot follow a process into its own seccomp filter */
        print_message("skipped under valgrind: loading the profile\n");
        free(prof);
        return;
    }
    char dir[] = "/tmp/coco-prof-XXXXXX", f[64];
    assert_non_null(mkdtemp(dir));
    snprintf(f, sizeof f, "%s/f", dir);
    close(open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));

    assert_int_equal(UNDER_PROFILE(prof, chmod(f, 0755)), 0);
    assert_int_equal(UNDER_PROFILE(prof, chmod(f, 04755)), EPERM);
    assert_int_equal(UNDER_PROFILE(prof, chmod(f, 02755)), EPERM);
    assert_int_equal(UNDER_PROFILE(prof, syscall(SYS_chmod, f,
                                                 0xffffffff00000000UL | 06755)),
                     EPERM);
    assert_int_equal(UNDER_PROFILE(prof, open(f, O_WRONLY | O_CLOEXEC)) , 0);
    assert_int_not_equal(UNDER_PROFILE(prof, syscall(SYS_openat, AT_FDCWD,
                                                     f, O_CREAT | O_WRONLY,
                                                     04755)), 0);
    assert_int_not_equal(UNDER_PROFILE(prof, syscall(452 /* fchmodat2 */,
                                                     AT_FDCWD, f, 06755, 0)),
                         0);
    struct open_how how = {.flags = O_RDONLY};
    assert_int_equal(UNDER_PROFILE(prof, syscall(SYS_openat2, AT_FDCWD, f,
                                                 &how, sizeof how)), ENOSYS);
    assert_int_equal(UNDER_PROFILE(prof, unshare(CLONE_NEWUSER)), EPERM);
    assert_int_equal(UNDER_PROFILE(prof, syscall(SYS_keyctl, 0, 0, 0, 0, 0)),
                     EPERM);
    assert_int_equal(UNDER_PROFILE(prof, syscall(SYS_mount, "none", dir,
                                                 "tmpfs", 0, NULL)), EPERM);
    int tty = open("/dev/null", O_RDONLY | O_CLOEXEC);
    char ch = 'x';
    assert_int_equal(UNDER_PROFILE(prof, syscall(SYS_ioctl, tty,
                                                 0x100000000UL | TIOCSTI,
                                                 &ch)), EPERM);
    assert_int_equal(UNDER_PROFILE(prof, ioctl(tty, TIOCSTI, &ch)), EPERM);
    /* other requests pass: /dev/null is no terminal */
    struct winsize ws;
    assert_int_equal(UNDER_PROFILE(prof, ioctl(tty, TIOCGWINSZ, &ws)), ENOTTY);
    assert_int_equal(UNDER_PROFILE(prof, ioctl(tty, FIONREAD, &ws)), ENOTTY);
    close(tty);
    assert_int_equal(UNDER_PROFILE(prof, personality(0xffffffff)), 0);
    assert_int_equal(UNDER_PROFILE(prof, personality(ADDR_NO_RANDOMIZE)), EPERM);
    /* clone3 says ENOSYS, so libc creates threads with clone */
    assert_int_equal(UNDER_PROFILE(prof, syscall(SYS_clone3, NULL, 0)), ENOSYS);
    assert_int_equal(UNDER_PROFILE(prof, getpid()), 0);
    assert_int_equal(UNDER_PROFILE(prof, fork() >= 0 ? 0 : -1), 0);
    socket_families_behave(prof);
    unlink(f);
    rmdir(dir);
    free(prof);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_system_parts),
        cmocka_unit_test(plan_dev_and_proc),
        cmocka_unit_test(plan_config_mounts),
        cmocka_unit_test(plan_unmerged_host),
        cmocka_unit_test(plan_console),
        cmocka_unit_test(env_is_minimal),
        cmocka_unit_test(seccomp_table_rows),
        cmocka_unit_test(seccomp_ioctl_rows),
        cmocka_unit_test(seccomp_mode_rows),
        cmocka_unit_test(oci_profile_behaves),
        cmocka_unit_test(seccomp_filter_builds),
        cmocka_unit_test(native_socket_families),
        cmocka_unit_test(limit_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
