/* seccomp.c — the one table of system calls the sandboxed tool may not
 * make, and the libseccomp filter built from it.
 *
 * The filter allows by default and denies a list (as bubblewrap/flatpak
 * and the container runtimes do): developer tools use a wide and changing
 * set of calls, while the dangerous ones are few and known.  Denied calls
 * fail with EPERM so that a tool degrades ("operation not permitted")
 * instead of dying; clone3 fails with ENOSYS because its flags live in
 * memory a filter cannot inspect, and libc then falls back to clone(),
 * whose flags the filter can check.  Calls from another architecture
 * (32-bit int 0x80 on x86_64) kill the process: libseccomp's default for
 * a foreign architecture, which also closes the classic bypass.
 *
 * podman and docker get the same table as an OCI profile
 * (seccomp_oci_profile() at the end), which the engine loads itself.
 */
#include <jansson.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sched.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "native_int.h"
#include "seccomp_profile.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
/* fchmodat2 (Linux 6.6) and open_tree_attr (6.15) are newer than the
 * libseccomp this is built with;
 * new calls have one number on every architecture. */
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467
#endif

/* Namespace flags a tool may not use with clone/unshare: a new user
 * namespace would hand it capabilities again (and a huge kernel attack
 * surface), the others could undo isolation coco set up. */
static const unsigned long ns_flags[] = {
    CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
    CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME,
};

/* Ascending: the filters below deny the gaps between them and all above
 * the last.  Every other family (vsock, alg, packet, xdp, tipc, rds,
 * bluetooth, can ...) is kernel code no developer tool needs, and several
 * are reachable without privileges and have had exploitable bugs
 * (CVE-2021-26708 vsock, CVE-2019-8912 alg, CVE-2010-3904 rds); flatpak
 * keeps its apps to the same four. */
const int seccomp_socket_families[] = {AF_UNIX, AF_INET, AF_INET6,
                                       AF_NETLINK};
const size_t seccomp_socket_families_len =
    sizeof seccomp_socket_families / sizeof seccomp_socket_families[0];

/* The families below the last allowed one that are not allowed (the gaps
 * between them), into GAPS; returns how many.  Everything above the last
 * is denied by one comparison of its own. */
static size_t sockfam_gaps(uint64_t *gaps, size_t max)
{
    size_t n = 0;
    int v = 0;
    for (size_t f = 0; f < seccomp_socket_families_len; f++) {
        for (; v < seccomp_socket_families[f] && n < max; v++)
            gaps[n++] = (uint64_t)v;
        v = seccomp_socket_families[f] + 1;
    }
    return n;
}
#define SOCKFAM_ABOVE \
    ((uint64_t)seccomp_socket_families[seccomp_socket_families_len - 1] + 1)

const struct sc_deny seccomp_table[] = {
    /* the filesystem view coco built */
    {"mount", EPERM, SC_ALL, 0, "could remount binds writable or cover coco's mounts"},
    {"umount2", EPERM, SC_ALL, 0, "could reveal what coco's mounts cover"},
    {"pivot_root", EPERM, SC_ALL, 0, "changes the root coco set up"},
    {"chroot", EPERM, SC_ALL, 0, "classic escape helper, not needed by tools"},
    {"open_tree", EPERM, SC_ALL, 0, "new mount API: clones mounts"},
    {"move_mount", EPERM, SC_ALL, 0, "new mount API: attaches mounts"},
    {"fsopen", EPERM, SC_ALL, 0, "new mount API: creates filesystems"},
    {"fsconfig", EPERM, SC_ALL, 0, "new mount API: configures filesystems"},
    {"fsmount", EPERM, SC_ALL, 0, "new mount API: creates mounts"},
    {"fspick", EPERM, SC_ALL, 0, "new mount API: reconfigures mounts"},
    {"mount_setattr", EPERM, SC_ALL, 0, "new mount API: changes mount flags"},
    {"open_tree_attr", EPERM, SC_ALL, 0, "new mount API: clones mounts with new flags", __NR_open_tree_attr},
    /* namespaces */
    {"unshare", EPERM, SC_NSFLAGS0, 0, "new namespaces could regain capabilities"},
    {"clone", EPERM, SC_NSFLAGS0, 0, "clone with CLONE_NEW* creates namespaces"},
    {"clone3", ENOSYS, SC_ALL, 0, "flags are in memory the filter cannot see; libc falls back to clone"},
    {"setns", EPERM, SC_ALL, 0, "could join another namespace"},
    /* kernel keyrings */
    {"keyctl", EPERM, SC_ALL, 0, "kernel keyrings are not namespaced"},
    {"add_key", EPERM, SC_ALL, 0, "kernel keyrings are not namespaced"},
    {"request_key", EPERM, SC_ALL, 0, "kernel keyrings are not namespaced"},
    /* large kernel attack surface, not needed by developer tools */
    {"bpf", EPERM, SC_ALL, 0, "eBPF: large attack surface, kernel introspection"},
    {"perf_event_open", EPERM, SC_ALL, 0, "performance counters leak host activity"},
    {"userfaultfd", EPERM, SC_ALL, 0, "widely used to win kernel race exploits"},
    {"io_uring_setup", EPERM, SC_ALL, 0, "io_uring: bypasses seccomp for its operations"},
    {"io_uring_enter", EPERM, SC_ALL, 0, "io_uring: bypasses seccomp for its operations"},
    {"io_uring_register", EPERM, SC_ALL, 0, "io_uring: bypasses seccomp for its operations"},
    /* other processes */
    {"ptrace", EPERM, SC_ALL, 0, "tracing could tamper with coco's init"},
    {"process_vm_readv", EPERM, SC_ALL, 0, "reads another process's memory"},
    {"process_vm_writev", EPERM, SC_ALL, 0, "writes another process's memory"},
    {"kcmp", EPERM, SC_ALL, 0, "compares kernel objects of other processes"},
    {"pidfd_getfd", EPERM, SC_ALL, 0, "steals descriptors from another process"},
    /* the machine itself */
    {"init_module", EPERM, SC_ALL, 0, "loads kernel code"},
    {"finit_module", EPERM, SC_ALL, 0, "loads kernel code"},
    {"delete_module", EPERM, SC_ALL, 0, "unloads kernel code"},
    {"kexec_load", EPERM, SC_ALL, 0, "replaces the running kernel"},
    {"kexec_file_load", EPERM, SC_ALL, 0, "replaces the running kernel"},
    {"reboot", EPERM, SC_ALL, 0, "reboots the machine"},
    {"swapon", EPERM, SC_ALL, 0, "changes the host's swap"},
    {"swapoff", EPERM, SC_ALL, 0, "changes the host's swap"},
    {"acct", EPERM, SC_ALL, 0, "process accounting writes host files"},
    {"syslog", EPERM, SC_ALL, 0, "kernel log leaks addresses and host activity"},
    {"open_by_handle_at", EPERM, SC_ALL, 0, "opens files outside the mounts (the shocker escape)"},
    {"name_to_handle_at", EPERM, SC_ALL, 0, "pairs with open_by_handle_at"},
    {"settimeofday", EPERM, SC_ALL, 0, "the host clock"},
    {"clock_settime", EPERM, SC_ALL, 0, "the host clock"},
    {"clock_adjtime", EPERM, SC_ALL, 0, "the host clock"},
    {"adjtimex", EPERM, SC_ALL, 0, "the host clock"},
    {"quotactl", EPERM, SC_ALL, 0, "filesystem quotas of the host"},
    {"quotactl_fd", EPERM, SC_ALL, 0, "filesystem quotas of the host"},
    {"nfsservctl", EPERM, SC_ALL, 0, "kernel NFS server"},
    {"vhangup", EPERM, SC_ALL, 0, "hangs up the terminal for everyone"},
    {"lookup_dcookie", EPERM, SC_ALL, 0, "kernel profiling internals"},
    {"uselib", EPERM, SC_ALL, 0, "obsolete loader, old exploit vector"},
    {"personality", EPERM, SC_PERSONA0, 0, "could disable ASLR or make data executable"},
    /* Files the host will run.  The tool's files in a read-write mount
     * land on the host as the invoking user -- as root when root runs
     * coco -- so a setuid or setgid bit set inside would hand any local
     * user that identity (`cp /bin/sh x; chmod 6755 x`).  nosuid on the
     * sandbox's mounts protects nothing outside.  Every call that takes a
     * mode is refused when it carries either bit, however the file is
     * made or changed.  (mkdir needs no row: the kernel drops both bits
     * from its mode; a directory gets S_ISGID only from its parent, which
     * the invoking user made so.) */
    {"chmod", EPERM, SC_MODE, 1, "setuid/setgid bits on a file the host may run"},
    {"fchmod", EPERM, SC_MODE, 1, "setuid/setgid bits on a file the host may run"},
    {"fchmodat", EPERM, SC_MODE, 2, "setuid/setgid bits on a file the host may run"},
    {"fchmodat2", EPERM, SC_MODE, 2, "setuid/setgid bits on a file the host may run", __NR_fchmodat2},
    {"open", EPERM, SC_MODE, 2, "creating a file with setuid/setgid bits"},
    {"openat", EPERM, SC_MODE, 3, "creating a file with setuid/setgid bits"},
    {"creat", EPERM, SC_MODE, 1, "creating a file with setuid/setgid bits"},
    {"mknod", EPERM, SC_MODE, 1, "creating a file with setuid/setgid bits"},
    {"mknodat", EPERM, SC_MODE, 2, "creating a file with setuid/setgid bits"},
    {"openat2", ENOSYS, SC_ALL, 0, "its mode is in memory the filter cannot see; libc falls back to openat"},
    /* terminal injection */
    {"ioctl", EPERM, SC_IOCTL1, TIOCSTI, "TIOCSTI pushes keystrokes into the user's terminal"},
    {"ioctl", EPERM, SC_IOCTL1, TIOCLINUX, "TIOCLINUX can paste console selections"},
    /* kernel attack surface, reachable without privileges: EAFNOSUPPORT,
     * as if the kernel lacked the family, so a tool that probes falls
     * back */
    {"socket", EAFNOSUPPORT, SC_SOCKFAM0, 0, "socket families other than unix, inet, inet6 and netlink: kernel code no tool needs (vsock, alg, rds ...)"},
};
const size_t seccomp_table_len = sizeof seccomp_table / sizeof seccomp_table[0];

static int add_rules(scmp_filter_ctx ctx, coco_err *err)
{
    int n = 0;

    for (size_t i = 0; i < seccomp_table_len; i++) {
        const struct sc_deny *d = &seccomp_table[i];
        int nr = seccomp_syscall_resolve_name(d->name);
        uint32_t act = SCMP_ACT_ERRNO((uint32_t)d->errnum);
        int r = 0;

        if (nr == __NR_SCMP_ERROR && d->nr > 0)
            nr = d->nr;  /* newer than libseccomp: by number */
        if (nr == __NR_SCMP_ERROR)
            continue;  /* not a call on this architecture */
        switch (d->rule) {
        case SC_ALL:
            r = seccomp_rule_add(ctx, act, nr, 0);
            n++;
            break;
        case SC_NSFLAGS0:
            for (size_t f = 0; f < sizeof ns_flags / sizeof ns_flags[0] &&
                               r == 0; f++) {
                r = seccomp_rule_add(ctx, act, nr, 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[f],
                                             ns_flags[f]));
                n++;
            }
            break;
        case SC_IOCTL1:
            /* The request is an int: compare only the low 32 bits, so a
             * caller cannot dodge the rule by setting the high ones
             * (CVE-2019-10063 in flatpak). */
            r = seccomp_rule_add(ctx, act, nr, 1,
                                 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL,
                                         d->arg));
            n++;
            break;
        case SC_MODE:
            /* Two rules, one per bit: a filter can test "these bits are
             * all set" but not "any of them is".  The mode is an int
             * (umode_t in the kernel): the masks see only its low bits,
             * so high garbage cannot hide a bit. */
            for (unsigned long bit = S_ISGID; bit <= S_ISUID && r == 0;
                 bit <<= 1) {
                r = seccomp_rule_add(ctx, act, nr, 1,
                                     (struct scmp_arg_cmp){
                                         .arg = (unsigned)d->arg,
                                         .op = SCMP_CMP_MASKED_EQ,
                                         .datum_a = bit, .datum_b = bit});
                n++;
            }
            break;
        case SC_SOCKFAM0: {
            /* The comparisons see all 64 bits: a family with high bits
             * set is never equal to an allowed one and is above the
             * last, so it is denied (the kernel reads an int). */
            uint64_t gaps[32];
            size_t ng = sockfam_gaps(gaps, sizeof gaps / sizeof gaps[0]);
            for (size_t g = 0; g < ng && r == 0; g++, n++)
                r = seccomp_rule_add(ctx, act, nr, 1,
                                     SCMP_A0(SCMP_CMP_EQ, gaps[g]));
            if (r == 0) {
                r = seccomp_rule_add(ctx, act, nr, 1,
                                     SCMP_A0(SCMP_CMP_GE, SOCKFAM_ABOVE));
                n++;
            }
            break;
        }
        case SC_PERSONA0:
            /* PER_LINUX and the 0xffffffff query stay allowed (libc and
             * some runtimes ask); anything that sets flags is refused. */
            r = seccomp_rule_add(ctx, act, nr, 2,
                                 SCMP_A0(SCMP_CMP_NE, 0),
                                 SCMP_A0(SCMP_CMP_NE, 0xffffffffUL));
            if (r == -EINVAL) {
                /* older libseccomp: one comparison per argument */
                r = seccomp_rule_add(ctx, act, nr, 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, 0x0fffff00UL,
                                             0x00040000UL /* ADDR_NO_RANDOMIZE */));
            }
            n++;
            break;
        }
        if (r < 0)
            return err_set(err, -r, "seccomp rule for %s", d->name);
    }
    return n;
}

static scmp_filter_ctx build(int *nrules, coco_err *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        err_set(err, ENOMEM, "seccomp_init");
        return NULL;
    }
    /* A binary tree of syscall numbers instead of a linear list: every
     * system call the tool makes walks the filter. */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    int n = add_rules(ctx, err);
    if (n < 0) {
        seccomp_release(ctx);
        return NULL;
    }
    *nrules = n;
    return ctx;
}

int seccomp_export_fd(int fd, coco_err *err)
{
    int n;
    scmp_filter_ctx ctx = build(&n, err);
    if (!ctx)
        return -1;
    int r = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    if (r < 0)
        return err_set(err, -r, "export the seccomp filter");
    return 0;
}

int seccomp_check(coco_err *err)
{
    int n;
    scmp_filter_ctx ctx = build(&n, err);
    if (!ctx)
        return -1;
    seccomp_release(ctx);
    return n;
}

/* ---- the same table for podman and docker (seccomp_profile.h) --------- */

static json_t *cmp_json(unsigned idx, uint64_t value, uint64_t value2,
                        const char *op)
{
    return json_pack("{s:I, s:I, s:I, s:s}", "index", (json_int_t)idx,
                     "value", (json_int_t)value, "valueTwo",
                     (json_int_t)value2, "op", op);
}

/* One profile entry: NAME allowed (ERRNUM 0) or failing with ERRNUM, and
 * at most one comparison ARG (stolen; NULL for none).  One comparison per
 * entry: engines differ in how they combine several on one argument.
 * Nothing is written that repeats the default action (EPERM): libseccomp
 * refuses such a rule, and the default denies it anyway. */
static void add_entry(json_t *calls, const char *name, int errnum, json_t *arg)
{
    if (errnum == EPERM) {
        json_decref(arg);
        return;
    }
    json_t *e = json_pack("{s:[s], s:s}", "names", name, "action",
                          errnum ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW");
    if (errnum)
        json_object_set_new(e, "errnoRet", json_integer(errnum));
    if (arg)
        json_object_set_new(e, "args", json_pack("[o]", arg));
    json_array_append_new(calls, e);
}

/* Allow entries for every low-32-bit value of argument IDX except the
 * N values in EX: the complement of a few points, written as masked
 * prefixes (at most 32 per excluded value).  Only the low 32 bits are
 * compared, as the kernel reads an int request. */
static void allow_all_but(json_t *calls, const char *name, unsigned idx,
                          const uint32_t *ex, size_t n, uint32_t prefix,
                          int depth)
{
    uint32_t mask = depth ? ~0u << (32 - depth) : 0;
    bool hit = false;
    for (size_t i = 0; i < n; i++)
        hit |= (ex[i] & mask) == prefix;
    if (!hit) {
        add_entry(calls, name, 0, cmp_json(idx, mask, prefix,
                                           "SCMP_CMP_MASKED_EQ"));
        return;
    }
    if (depth == 32)
        return;  /* one of the excluded values itself */
    uint32_t bit = 1u << (31 - depth);
    allow_all_but(calls, name, idx, ex, n, prefix, depth + 1);
    allow_all_but(calls, name, idx, ex, n, prefix | bit, depth + 1);
}

static const char *native_arch_name(void)
{
#if defined(__x86_64__)
    return "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
    return "SCMP_ARCH_AARCH64";
#elif defined(__i386__)
    return "SCMP_ARCH_X86";
#else
#error "coco: name this architecture for the OCI seccomp profile"
#endif
}

char *seccomp_oci_profile_build(coco_err *err)
{
    json_t *calls = json_array();
    json_t *allowed = json_array();
    uint32_t arch = seccomp_arch_native();
    unsigned long all_ns = 0;
    uint32_t ioctl_ex[8];
    size_t n_ioctl = 0;

    for (size_t f = 0; f < sizeof ns_flags / sizeof ns_flags[0]; f++)
        all_ns |= ns_flags[f];
    /* Every call of this architecture libseccomp can name, unless the
     * table has a row for it. */
    for (int nr = 0; nr < 1024; nr++) {
        char *name = seccomp_syscall_resolve_num_arch(arch, nr);
        if (!name)
            continue;
        bool in_table = false;
        for (size_t i = 0; i < seccomp_table_len && !in_table; i++)
            in_table = strcmp(seccomp_table[i].name, name) == 0;
        if (!in_table)
            json_array_append_new(allowed, json_string(name));
        free(name);
    }
    if (json_array_size(allowed) < 200) {
        json_decref(calls);
        json_decref(allowed);
        err_set(err, 0, "libseccomp names only %zu system calls here; "
                "cannot build the seccomp profile", json_array_size(allowed));
        return NULL;
    }
    json_array_append_new(calls, json_pack("{s:o, s:s}", "names", allowed,
                                           "action", "SCMP_ACT_ALLOW"));

    for (size_t i = 0; i < seccomp_table_len; i++) {
        const struct sc_deny *d = &seccomp_table[i];
        switch (d->rule) {
        case SC_ALL:
            add_entry(calls, d->name, d->errnum, NULL);
            break;
        case SC_NSFLAGS0:
            add_entry(calls, d->name, 0, cmp_json(0, all_ns, 0,
                                                  "SCMP_CMP_MASKED_EQ"));
            for (size_t f = 0; f < sizeof ns_flags / sizeof ns_flags[0]; f++)
                add_entry(calls, d->name, d->errnum,
                          cmp_json(0, ns_flags[f], ns_flags[f],
                                   "SCMP_CMP_MASKED_EQ"));
            break;
        case SC_MODE:
            add_entry(calls, d->name, 0, cmp_json((unsigned)d->arg,
                                                  S_ISUID | S_ISGID, 0,
                                                  "SCMP_CMP_MASKED_EQ"));
            add_entry(calls, d->name, d->errnum,
                      cmp_json((unsigned)d->arg, S_ISUID, S_ISUID,
                               "SCMP_CMP_MASKED_EQ"));
            add_entry(calls, d->name, d->errnum,
                      cmp_json((unsigned)d->arg, S_ISGID, S_ISGID,
                               "SCMP_CMP_MASKED_EQ"));
            break;
        case SC_IOCTL1:
            /* gathered: one set of allow entries for all of them */
            if (n_ioctl < sizeof ioctl_ex / sizeof ioctl_ex[0])
                ioctl_ex[n_ioctl++] = (uint32_t)d->arg;
            add_entry(calls, d->name, d->errnum,
                      cmp_json(1, 0xffffffffUL, d->arg, "SCMP_CMP_MASKED_EQ"));
            break;
        case SC_SOCKFAM0: {
            /* the allowed families, exactly; the others fail with the
             * row's errno (not the default EPERM), as natively */
            uint64_t gaps[32];
            size_t ng = sockfam_gaps(gaps, sizeof gaps / sizeof gaps[0]);
            for (size_t f = 0; f < seccomp_socket_families_len; f++)
                add_entry(calls, d->name, 0,
                          cmp_json(0, (uint64_t)seccomp_socket_families[f],
                                   0, "SCMP_CMP_EQ"));
            for (size_t g = 0; g < ng; g++)
                add_entry(calls, d->name, d->errnum,
                          cmp_json(0, gaps[g], 0, "SCMP_CMP_EQ"));
            add_entry(calls, d->name, d->errnum,
                      cmp_json(0, SOCKFAM_ABOVE, 0, "SCMP_CMP_GE"));
            break;
        }
        case SC_PERSONA0:
            /* PER_LINUX and the query; anything else is refused by the
             * default action */
            add_entry(calls, d->name, 0, cmp_json(0, 0xffffffffUL, 0,
                                                  "SCMP_CMP_MASKED_EQ"));
            add_entry(calls, d->name, 0, cmp_json(0, 0xffffffffUL,
                                                  0xffffffffUL,
                                                  "SCMP_CMP_MASKED_EQ"));
            break;
        }
    }
    if (n_ioctl)
        allow_all_but(calls, "ioctl", 1, ioctl_ex, n_ioctl, 0, 0);

    /* EPERM by default, as the table's rows and docker's own profile:
     * docker 20.10 ignores defaultErrnoRet and would say EPERM anyway, so
     * the ENOSYS rows (clone3, openat2: libc falls back) are explicit. */
    json_t *root = json_pack("{s:s, s:i, s:[s], s:o}", "defaultAction",
                             "SCMP_ACT_ERRNO", "defaultErrnoRet", EPERM,
                             "architectures", native_arch_name(), "syscalls",
                             calls);
    char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!s)
        err_set(err, ENOMEM, "build the seccomp profile");
    return s;
}
