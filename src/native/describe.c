/* describe.c — the native sandbox in plain words, for --dry-run and
 * `coco show`: the same mount plan, environment, limits and seccomp
 * table a run would use, built by the same functions. */
#include <string.h>

#include "native.h"
#include "net.h"
#include "native_int.h"


static const char *errno_name(int e)
{
    switch (e) {
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    default: return "errno";
    }
}

static void describe_limit(FILE *out, const char *name, const char *value,
                           enum limit_how how, bool set)
{
    if (!set) {
        fprintf(out, "    %-8s none\n", name);
        return;
    }
    fprintf(out, "    %-8s %s (%s)%s\n", name, value, limit_how_name(how),
            how == LIM_NONE ? "  WARNING: cannot be enforced on this host"
                            : "");
}

void native_describe(const struct policy *p, FILE *out)
{
    bool root = geteuid() == 0;
    struct host_layout layout[NATIVE_N_TOPDIRS];
    struct mount_plan plan;
    struct strvec env = STRVEC_INIT;
    struct cgroup_run cg;
    char b1[32];
    /* Config, environment and command-line strings are printed escaped:
     * a newline or an escape sequence in them must not forge a line. */
    _cleanup_strvec_ struct strvec keep = STRVEC_INIT;
#define E(s) str_escape_keep(&keep, (s))

    host_layout_probe(layout);
    mount_plan_build(p, layout, root, &plan);
    native_egress_plan(p, &plan);
    host_layout_free(layout);
    native_build_env(p, p->locale_env.v, &env);
    cgroup_probe(&p->limits, &cg);

    fprintf(out, "native sandbox (coco's own namespaces, no daemon)\n");
    fprintf(out, "  namespaces: %smount pid ipc uts cgroup%s\n",
            root ? "" : "user ", p->net.mode == NET_HOST ? "" : " net");
    if (root)
        fprintf(out, "  identity:   runs as uid %d gid %d (nobody), never host "
                "root; config mounts idmapped so writes belong to uid %u\n",
                NATIVE_ROOT_TOOL_UID, NATIVE_ROOT_TOOL_GID, (unsigned)p->uid);
    else
        fprintf(out, "  identity:   uid %u gid %u, mapped to itself in a new "
                "user namespace\n", (unsigned)getuid(), (unsigned)getgid());
    char nb[512];
    const char *missing = net_mode_missing(RT_NATIVE, p->net.mode, p->tool, nb,
                                           sizeof nb);
    fprintf(out, "  network:    %s%s\n",
            p->net.mode == NET_HOST ? "host (shares the host's network, "
                                 "unfiltered)"
            : p->net.mode == NET_NONE || p->net.mode == NET_UNSET
                ? "none (new network namespace, loopback only)"
            : missing ? "refused: "
                      : "new network namespace with no route out; coco's "
                        "egress proxy (outside, confined) serves its "
                        "listeners:",
            missing ? missing : "");
    if (!missing && native_egress(p)) {
        uint16_t ports[NATIVE_MAX_TPORTS], pp;
        size_t np = native_egress_ports(p, ports, NATIVE_MAX_TPORTS, &pp);
        fprintf(out, "              explicit proxy 127.0.0.1:%u (HTTP CONNECT, "
                "plain HTTP, SOCKS5; HTTP_PROXY, HTTPS_PROXY, ALL_PROXY set)\n"
                "              transparent capture of TCP ports", pp);
        for (size_t i = 0; i < np; i++)
            fprintf(out, "%s%u", i ? ", " : " ", ports[i]);
        fprintf(out, " to any address (other ports: the explicit proxy "
                "only)\n"
                "              DNS stub on port 53: allowed names get "
                "addresses from 198.18.0.0/15, others REFUSED, nothing "
                "asked upstream\n"
                "              never: private, loopback, link-local, "
                "metadata or the host's own addresses; every decision in "
                "the audit log (egress.jsonl in coco's state directory)\n");
    }
    fprintf(out, "  terminal:   a pty of its own when coco runs on a terminal "
            "(relayed; yours is never handed over), else none\n");
    fprintf(out, "  command:   ");
    for (size_t i = 0; i < p->argv.n; i++)
        fprintf(out, " %s", E(p->argv.v[i]));
    fprintf(out, "\n  workdir:    %s\n",
            E(p->workdir ? p->workdir : COCO_DEFAULT_WORKDIR));

    fprintf(out, "  filesystem: new tmpfs root (read-only), then:\n");
    for (size_t i = 0; i < plan.n; i++) {
        const struct mop *op = &plan.ops[i];
        char extra[64] = "";
        if (op->kind == MOP_PROTECT)
            snprintf(extra, sizeof extra, "%s",
                     op->flags & MOPF_RO ? " ro" : " rw");
        else if (op->kind == MOP_BIND)
            snprintf(extra, sizeof extra, "%s%s%s",
                     op->flags & MOPF_RO ? " ro" : " rw",
                     op->flags & MOPF_NOEXEC ? ",noexec" : "",
                     op->flags & MOPF_IDMAP ? ",idmapped" : "");
        else if (op->kind == MOP_TMPFS)
            snprintf(extra, sizeof extra, " %s", fmt_size(op->size, b1,
                                                          sizeof b1));
        fprintf(out, "    %-20s %-9s%-12s %s%s%s\n", E(op->dst),
                mop_kind_name(op->kind), extra,
                op->src && op->kind != MOP_DEV && op->kind != MOP_FILE
                    ? E(op->src) : "",
                op->src && op->kind != MOP_DEV && op->kind != MOP_FILE
                    ? "  " : "", op->why);
    }

    fprintf(out, "  environment (everything else is cleared):\n   ");
    for (size_t i = 0; i < env.n; i++) {
        _cleanup_free_ char *name = xstrndup(env.v[i], strcspn(env.v[i], "="));
        fprintf(out, " %s", E(name));
    }
    fprintf(out, "\n");

    fprintf(out, "  limits:\n");
    const struct policy_limits *l = &p->limits;
    char b2[32], b3[32], b4[32];
    if (cg.memory == LIM_RLIMIT && l->memory > 0)
        /* Say what an rlimit is: not the sandbox's total. */
        fprintf(out, "    %-8s RLIMIT_AS %s per process, not a total (no "
                "memory cgroup here); tmpfs /tmp %s, home %s, /dev/shm %s\n",
                "memory", fmt_size(l->memory, b1, sizeof b1),
                fmt_size(l->tmp_size, b2, sizeof b2),
                fmt_size(l->home_size, b3, sizeof b3),
                fmt_size(l->shm_size, b4, sizeof b4));
    else
        describe_limit(out, "memory", fmt_size(l->memory, b1, sizeof b1),
                       cg.memory, l->memory > 0);
    if (cg.pids == LIM_RLIMIT && l->pids > 0)
        fprintf(out, "    %-8s RLIMIT_NPROC %llu processes and threads of "
                "the tool's uid (no pids cgroup here)\n",
                "pids", (unsigned long long)l->pids);
    else {
        snprintf(b1, sizeof b1, "%llu", (unsigned long long)l->pids);
        describe_limit(out, "pids", b1, cg.pids, l->pids > 0);
    }
    snprintf(b1, sizeof b1, "%llu.%03llu",
             (unsigned long long)p->limits.cpus_milli / 1000,
             (unsigned long long)p->limits.cpus_milli % 1000);
    describe_limit(out, "cpus", b1, cg.cpus, p->limits.cpus_milli > 0);
    if (p->limits.timeout_ms)
        fprintf(out, "    %-8s %s (SIGTERM, SIGKILL %ds later, exit 124)\n",
                "timeout", fmt_duration(p->limits.timeout_ms, b1, sizeof b1),
                NATIVE_GRACE_MS / 1000);
    else
        fprintf(out, "    %-8s none\n", "timeout");
    if (p->limits.output)
        fprintf(out, "    %-8s %s of stdout+stderr (then stopped, exit 125)\n",
                "output", fmt_size(p->limits.output, b1, sizeof b1));
    else
        fprintf(out, "    %-8s none\n", "output");

    int abi = landlock_abi();
    if (abi > 0)
        fprintf(out, "  landlock:   ABI %d: writes only where the mounts "
                "allow them\n", abi);
    else
        fprintf(out, "  landlock:   not available on this kernel (mounts "
                "only)\n");
    fprintf(out, "  capabilities: all dropped (bounding, ambient, effective, "
            "permitted, inheritable); no_new_privs\n");
    fprintf(out, "  seccomp:    default allow; denied:\n");
    for (size_t i = 0; i < seccomp_table_len; i++) {
        const struct sc_deny *d = &seccomp_table[i];
        const char *cond = d->rule == SC_NSFLAGS0 ? " (CLONE_NEW* flags)"
                         : d->rule == SC_IOCTL1 ? (d->arg == 0x5412
                                                   ? " (TIOCSTI)"
                                                   : " (TIOCLINUX)")
                         : d->rule == SC_PERSONA0 ? " (changing flags)"
                         : d->rule == SC_MODE ? " (setuid/setgid mode)"
                         : d->rule == SC_SOCKFAM0 ? " (other families)" : "";
        char name[80];
        snprintf(name, sizeof name, "%s%s", d->name, cond);
        fprintf(out, "    %-30s %-6s %s\n", name, errno_name(d->errnum),
                d->why);
    }

    for (size_t i = 0; i < cg.n; i++)
        free(cg.paths[i]);
    strvec_clear(&env);
    mount_plan_free(&plan);
#undef E
}
