/* mounts.c — the native sandbox's filesystem: one ordered plan of mount
 * operations (built without touching the OS, so it can be unit-tested and
 * printed by --dry-run), then carried out by init on a fresh tmpfs root
 * before pivot_root.
 *
 * Nothing of the host is visible except what the plan names: the host's
 * programs and libraries (/usr and the usr-merged links) and /etc,
 * read-only; a handful of device nodes; and the config's mounts.
 *
 * Binds use the new mount API (open_tree + mount_setattr + move_mount):
 * the flags (read-only, nosuid, nodev, idmap) are set on the detached
 * copy before it becomes visible, recursively and atomically, instead of
 * bind-then-remount.  The config's sources are the descriptors
 * policy_resolve() opened beneath the cwd or home without following any
 * symlink (never a path looked up again), and targets are walked one
 * component at a time with O_NOFOLLOW, so a symlink planted in the
 * workspace or swapped in after coco checked a path cannot redirect a
 * bind.  A target inside another config bind is never created: the
 * policy checked that it exists there.
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "native_int.h"
#include "sys.h"

/* ---- the plan ----------------------------------------------------------- */

static const char *const topdirs[NATIVE_N_TOPDIRS] = {
    "bin", "sbin", "lib", "lib64", "lib32", "libx32",
};

void host_layout_probe(struct host_layout out[NATIVE_N_TOPDIRS])
{
    for (size_t i = 0; i < NATIVE_N_TOPDIRS; i++) {
        char path[32], buf[256];
        struct stat st;

        snprintf(path, sizeof path, "/%s", topdirs[i]);
        out[i] = (struct host_layout){.name = topdirs[i]};
        if (lstat(path, &st) < 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(path, buf, sizeof buf - 1);
            if (n <= 0)
                continue;
            buf[n] = '\0';
            out[i].link = xstrdup(buf);
            out[i].present = true;
        } else if (S_ISDIR(st.st_mode)) {
            out[i].present = true;
        }
    }
}

void host_layout_free(struct host_layout l[NATIVE_N_TOPDIRS])
{
    for (size_t i = 0; i < NATIVE_N_TOPDIRS; i++) {
        free(l[i].link);
        l[i].link = NULL;
    }
}

static void add(struct mount_plan *plan, enum mop_kind kind, const char *src,
                const char *dst, unsigned flags, uint64_t size, unsigned mode,
                const char *why)
{
    plan->ops = xrealloc(plan->ops, (plan->n + 1) * sizeof *plan->ops);
    plan->ops[plan->n++] = (struct mop){
        .kind = kind,
        .srcfd = -1,
        .src = src ? xstrdup(src) : NULL,
        .dst = xstrdup(dst),
        .flags = flags,
        .size = size,
        .mode = mode,
        .why = why,
    };
}

/* Device nodes the sandbox gets, bound from the host's /dev: the harmless
 * ones every program expects.  No disks, no /dev/mem, no /dev/kmsg. */
static const char *const dev_nodes[] = {
    "null", "zero", "full", "random", "urandom", "tty",
};

static const struct {
    const char *target, *link;
} dev_links[] = {
    {"/proc/self/fd", "/dev/fd"},
    {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"},
    {"pts/ptmx", "/dev/ptmx"},
};

/* /proc entries that stay visible but read-only: they configure the
 * kernel (sysctls, IRQ affinity, bus devices, magic SysRq). */
static const char *const proc_ro[] = {
    "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus",
    "/proc/fs", "/proc/asound",
};

/* /proc entries hidden outright, as container runtimes do: kernel memory,
 * the keyring list, timers and scheduler internals that leak host
 * activity or addresses, and hardware tables. */
static const char *const proc_masked[] = {
    "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/latency_stats", "/proc/acpi", "/proc/scsi",
};

void mount_plan_build(const struct policy *p,
                      const struct host_layout layout[NATIVE_N_TOPDIRS],
                      bool idmap, struct mount_plan *plan)
{
    *plan = (struct mount_plan){0};

    add(plan, MOP_BIND, "/usr", "/usr", MOPF_RO | MOPF_DIR, 0, 0,
        "host programs and libraries, read-only");
    for (size_t i = 0; i < NATIVE_N_TOPDIRS; i++) {
        char dst[32];
        if (!layout[i].present)
            continue;
        snprintf(dst, sizeof dst, "/%s", layout[i].name);
        if (layout[i].link)
            add(plan, MOP_SYMLINK, layout[i].link, dst, 0, 0, 0,
                "usr-merged link, as on the host");
        else
            add(plan, MOP_BIND, dst, dst, MOPF_RO | MOPF_DIR | MOPF_OPTIONAL,
                0, 0, "host libraries, read-only");
    }
    add(plan, MOP_BIND, "/etc", "/etc", MOPF_RO | MOPF_DIR, 0, 0,
        "host configuration (users, resolver, certificates), read-only");
    if (native_egress(p)) {
        /* Every name the tool looks up goes to coco's DNS stub: none is
         * answered from the host's hosts file with an address the
         * transparent proxy would then refuse as a bare IP. */
        add(plan, MOP_FILE, NATIVE_HOSTS, "/etc/hosts", 0, 0, 0,
            "coco's: localhost only, every other name asks the DNS stub");
        add(plan, MOP_FILE, NATIVE_RESOLV_CONF, "/etc/resolv.conf", 0, 0, 0,
            "coco's: the DNS stub, which answers allowed names only");
    }

    add(plan, MOP_TMPFS, NULL, "/dev", MOPF_DEVNODES, NATIVE_DEV_SIZE, 0755,
        "minimal /dev: no disks, no kernel memory");
    for (size_t i = 0; i < sizeof dev_nodes / sizeof dev_nodes[0]; i++) {
        char src[32];
        snprintf(src, sizeof src, "/dev/%s", dev_nodes[i]);
        add(plan, MOP_DEV, src, src, 0, 0, 0, "harmless device node");
    }
    for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
        add(plan, MOP_SYMLINK, dev_links[i].target, dev_links[i].link, 0, 0,
            0, "standard /dev link");
    add(plan, MOP_DEVPTS, NULL, "/dev/pts", 0, 0, 0,
        "new devpts instance: the host's terminals are not visible");
    add(plan, MOP_TMPFS, NULL, "/dev/shm", MOPF_NOEXEC, p->limits.shm_size
        ? p->limits.shm_size : COCO_DEFAULT_SHM_SIZE, 01777,
        "private POSIX shared memory, size-limited");

    add(plan, MOP_TMPFS, NULL, "/tmp", 0, p->limits.tmp_size
        ? p->limits.tmp_size : COCO_DEFAULT_TMP_SIZE, 01777,
        "private /tmp, size-limited so it cannot fill memory");
    add(plan, MOP_TMPFS, NULL, COCO_CONTAINER_HOME, MOPF_OWNED,
        p->limits.home_size ? p->limits.home_size : COCO_DEFAULT_HOME_SIZE,
        0700,
        "private home: the host's home and its secrets are not visible");

    for (size_t i = 0; i < p->n_mounts; i++) {
        const struct policy_mount *m = &p->mounts[i];
        unsigned fl = MOPF_CONFIG;
        if (m->ro || (m->opts & MNT_RO))
            fl |= MOPF_RO;
        if (m->opts & MNT_NOEXEC)
            fl |= MOPF_NOEXEC;
        if (m->is_dir)
            fl |= MOPF_DIR;
        if (idmap)
            fl |= MOPF_IDMAP;
        /* (the policy sorted the mounts parents first) */
        for (size_t j = 0; j < i; j++)
            if (path_is_within(m->dst, p->mounts[j].dst))
                fl |= MOPF_NESTED;
        add(plan, MOP_BIND, m->src, m->dst, fl, 0, 0,
            fl & MOPF_RO ? "config mount, read-only" : "config mount");
        plan->ops[plan->n - 1].srcfd = m->fd;
    }

    /* Host-executed files the scan found in writable mounts
     * (protect.h), parents first: each directory above one bound onto
     * itself, so it cannot be renamed or removed with the protected path
     * in it, then the path itself read-only.  A symlink is left as it
     * is (nothing to bind over; compared after the run), an allowed
     * path stays writable. */
    for (size_t i = 0; i < p->n_protect; i++) {
        const struct policy_protect *e = &p->protect[i];
        if (e->is_link || e->allowed)
            continue;
        add(plan, MOP_PROTECT, NULL, e->ctr,
            (e->anchor ? 0 : MOPF_RO) | (e->is_dir ? MOPF_DIR : 0), 0, 0,
            e->anchor ? "holds a protected path: cannot be renamed away"
                      : "host-executed file, read-only for the tool");
    }

    /* The workdir exists even when no mount provides it, as with
     * `podman run -w`: an empty directory in the read-only root. */
    const char *wd = p->workdir ? p->workdir : COCO_DEFAULT_WORKDIR;
    bool covered = strcmp(wd, "/") == 0;
    for (size_t i = 0; i < plan->n && !covered; i++)
        covered = (plan->ops[i].kind == MOP_BIND ||
                   plan->ops[i].kind == MOP_TMPFS) &&
                  path_is_within(wd, plan->ops[i].dst);
    if (!covered && path_is_clean_absolute(wd))
        add(plan, MOP_DIR, NULL, wd, 0, 0, 0755, "working directory");

    add(plan, MOP_PROC, NULL, "/proc", 0, 0, 0,
        "new /proc: only the sandbox's own processes");
    for (size_t i = 0; i < sizeof proc_ro / sizeof proc_ro[0]; i++)
        add(plan, MOP_RO, NULL, proc_ro[i], MOPF_OPTIONAL, 0, 0,
            "kernel settings, read-only");
    for (size_t i = 0; i < sizeof proc_masked / sizeof proc_masked[0]; i++)
        add(plan, MOP_MASK, NULL, proc_masked[i], MOPF_OPTIONAL, 0, 0,
            "kernel internals, hidden");
}

void mount_plan_add_file(struct mount_plan *plan, const char *text,
                         const char *dst, const char *why)
{
    add(plan, MOP_FILE, text, dst, MOPF_CREATE, 0, 0, why);
}

void mount_plan_add_console(struct mount_plan *plan, const char *tty)
{
    /* Before /proc: after the /dev tmpfs and its nodes. */
    size_t at = plan->n;
    for (size_t i = 0; i < plan->n; i++)
        if (plan->ops[i].kind == MOP_DEVPTS) {
            at = i;
            break;
        }
    add(plan, MOP_DEV, tty, "/dev/console", MOPF_ALWAYSBIND, 0, 0,
        "the tool's own terminal (a pty coco relays)");
    struct mop op = plan->ops[plan->n - 1];
    memmove(&plan->ops[at + 1], &plan->ops[at],
            (plan->n - 1 - at) * sizeof op);
    plan->ops[at] = op;
}

void mount_plan_free(struct mount_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++) {
        free(plan->ops[i].src);
        free(plan->ops[i].dst);
    }
    free(plan->ops);
    *plan = (struct mount_plan){0};
}

const char *mop_kind_name(enum mop_kind k)
{
    static const char *const names[] = {
        [MOP_BIND] = "bind", [MOP_DEV] = "device", [MOP_SYMLINK] = "symlink",
        [MOP_TMPFS] = "tmpfs", [MOP_PROC] = "proc", [MOP_DEVPTS] = "devpts",
        [MOP_RO] = "read-only", [MOP_MASK] = "masked", [MOP_DIR] = "dir",
        [MOP_FILE] = "file", [MOP_PROTECT] = "protect",
    };
    return (size_t)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* ---- carrying it out ---------------------------------------------------- */

/* Where init builds the new root before pivot_root: any directory of the
 * host works since the mount namespace is private; the config's sources
 * were opened before it is covered. */
#define NEWROOT "/tmp"

static int open_target(int dirfd, const char *rel, bool dir, bool create);

int mount_sources_open(const struct mount_plan *plan, int *srcfds,
                       coco_err *err)
{
    for (size_t i = 0; i < plan->n; i++)
        srcfds[i] = -1;
    for (size_t i = 0; i < plan->n; i++) {
        const struct mop *op = &plan->ops[i];
        struct stat want, got;

        if (!(op->flags & MOPF_CONFIG))
            continue;
        if (op->srcfd < 0 || op->src[0] != '/')
            return err_set(err, 0, "mount source %s (for %s) was not opened "
                           "by the policy", op->src, op->dst);
        if (fstat(op->srcfd, &want) < 0)
            return err_set(err, errno, "mount source %s", op->src);
        /* The policy's descriptor belongs to the host's mount namespace,
         * which open_tree() cannot clone from here.  So the source is
         * opened again in ours, by the kernel's name for that descriptor
         * (which has no symlinks) without following any, and must be the
         * very inode coco checked: a symlink or another directory put in
         * its place since is refused. */
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY |
                                        O_CLOEXEC);
        int fd = root < 0 ? -1 : open_nofollow(root, op->src + 1, -1);
        if (fd < 0 && (errno == ELOOP || errno == ENOENT || errno == ENOTDIR))
            return err_set(err, errno, "mount source %s (for %s) changed "
                           "since coco checked it (now a symlink or gone); "
                           "refusing to mount it", op->src, op->dst);
        if (fd < 0)
            return err_set(err, errno, "mount source %s (for %s): cannot "
                           "open it in the sandbox", op->src, op->dst);
        srcfds[i] = fd;
        if (fstat(fd, &got) < 0)
            return err_set(err, errno, "mount source %s", op->src);
        if (got.st_dev != want.st_dev || got.st_ino != want.st_ino)
            return err_set(err, 0, "mount source %s (for %s) was replaced "
                           "since coco checked it; refusing to mount it",
                           op->src, op->dst);
        if (!!S_ISDIR(got.st_mode) != !!(op->flags & MOPF_DIR))
            return err_set(err, 0, "mount source %s changed type since coco "
                           "checked it; refusing to mount it", op->src);
        /* init's copy of the policy's descriptor has served. */
        close(op->srcfd);
    }
    return 0;
}

/* Open (creating as needed) the target REL (no leading '/') beneath DIRFD,
 * one component at a time, never following a symlink.  The last component
 * is a directory when DIR, else a regular file.  Returns an O_PATH fd. */
static int open_target(int dirfd, const char *rel, bool dir, bool create)
{
    _cleanup_free_ char *copy = xstrdup(rel);
    _cleanup_close_ int cur = -1;
    char *save = NULL, *comp, *next;
    int base = dirfd;

    comp = strtok_r(copy, "/", &save);
    if (!comp) {
        /* the root itself */
        return openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    for (; comp; comp = next) {
        next = strtok_r(NULL, "/", &save);
        bool last = next == NULL;
        int fd;

        if (!last || dir) {
            /* mkdir first: the new root is empty, so this usually creates
             * (EEXIST otherwise), and the open below never misses. */
            if (create && mkdirat(base, comp, 0755) < 0 && errno != EEXIST &&
                errno != EROFS)
                return -1;
            fd = openat(base, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW |
                        O_CLOEXEC);
        } else {
            fd = openat(base, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0 && errno == ENOENT && create) {
                if (mknodat(base, comp, S_IFREG | 0644, 0) < 0 &&
                    errno != EEXIST)
                    return -1;
                fd = openat(base, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            }
            if (fd >= 0) {
                struct stat st;
                /* A symlink opened with O_PATH|O_NOFOLLOW is the link
                 * itself: mounting onto it is refused, not followed. */
                if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode) ||
                    S_ISDIR(st.st_mode)) {
                    close(fd);
                    errno = ELOOP;
                    return -1;
                }
            }
        }
        if (fd < 0)
            return -1;
        if (cur >= 0)
            close(cur);
        cur = fd;
        base = cur;
    }
    return steal_fd(&cur);
}

static const char *fdpath(int fd, char *buf, size_t len)
{
    snprintf(buf, len, "/proc/self/fd/%d", fd);
    return buf;
}

/* Clone the tree at (DFD, PATH), set ATTR on it, and attach it on TFD. */
static int bind_tree(int dfd, const char *path, bool recursive,
                     uint64_t attr_set, int idmap_fd, int tfd)
{
    unsigned oflags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
    if (recursive)
        oflags |= AT_RECURSIVE;
    if (!*path)
        oflags |= AT_EMPTY_PATH;
    _cleanup_close_ int mfd = open_tree(dfd, path, oflags);
    if (mfd < 0)
        return -1;
    struct mount_attr attr = {.attr_set = attr_set};
    if (attr_set & MOUNT_ATTR_IDMAP)
        attr.userns_fd = (uint64_t)idmap_fd;
    if (attr_set && mount_setattr(mfd, "", AT_EMPTY_PATH |
                                  (recursive ? AT_RECURSIVE : 0),
                                  &attr, sizeof attr) < 0)
        return -1;
    return move_mount(mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH |
                      MOVE_MOUNT_T_EMPTY_PATH);
}

/* The directory last used as a parent ("dev", "proc"), kept open so the
 * many nodes, links and masks below it do not walk the path again. */
struct parent_cache {
    char rel[256];
    int fd;
};

/* Open REL's parent (created as needed, beneath ROOTFD) through CACHE;
 * *BASE gets the last component.  The fd belongs to the cache. */
static int cached_parent(struct parent_cache *c, int rootfd, const char *rel,
                         const char **base)
{
    const char *slash = strrchr(rel, '/');
    if (!slash) {
        *base = rel;
        return rootfd;
    }
    size_t n = (size_t)(slash - rel);
    *base = slash + 1;
    if (c->fd >= 0 && n == strlen(c->rel) && strncmp(c->rel, rel, n) == 0)
        return c->fd;
    if (n >= sizeof c->rel) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (c->fd >= 0)
        close(c->fd);
    memcpy(c->rel, rel, n);
    c->rel[n] = '\0';
    c->fd = open_target(rootfd, c->rel, true, true);
    if (c->fd < 0)
        c->rel[0] = '\0';
    return c->fd;
}

/* Open the existing target REL (file or directory, never a symlink)
 * through the parent cache.  *ST gets its type. */
static int open_existing(struct parent_cache *pc, int rootfd, const char *rel,
                         struct stat *st)
{
    const char *base;
    int dfd = cached_parent(pc, rootfd, rel, &base);
    if (dfd < 0)
        return -1;
    int fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) < 0 || S_ISLNK(st->st_mode)) {
        close(fd);
        errno = ELOOP;
        return -1;
    }
    return fd;
}

/* Attach a read-only file holding TEXT on TFD: written into the new
 * root's tmpfs under a staging name, bound, and unlinked, so nothing in
 * the sandbox can reach it but through TFD's path.  (A tmpfs of its own
 * per file cost a superblock each; the root's size counts these bytes,
 * see mount_plan_apply().) */
static int file_over(int rootfd, const char *text, int tfd)
{
    static unsigned seq;
    char name[32];
    snprintf(name, sizeof name, ".coco-file-%u", seq++);
    _cleanup_close_ int f = openat(rootfd, name, O_WRONLY | O_CREAT | O_EXCL |
                                   O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0)
        return -1;
    size_t len = strlen(text);
    int r = -1;
    if (write(f, text, len) == (ssize_t)len && fchmod(f, 0644) == 0)
        r = bind_tree(rootfd, name, false, MOUNT_ATTR_RDONLY |
                      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                      MOUNT_ATTR_NOEXEC, -1, tfd);
    int e = errno;
    unlinkat(rootfd, name, 0);
    errno = e;
    return r;
}

static int apply_op(const struct mop *op, int rootfd, int srcfd, int idmap_fd,
                    uid_t uid, gid_t gid, bool can_mknod,
                    struct parent_cache *pc, const char **what)
{
    const char *rel = op->dst + 1;
    char pbuf[64], data[128];
    _cleanup_close_ int tfd = -1;

    switch (op->kind) {
    case MOP_BIND: {
        uint64_t attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        if (op->flags & MOPF_RO)
            attr |= MOUNT_ATTR_RDONLY;
        if (op->flags & MOPF_NOEXEC)
            attr |= MOUNT_ATTR_NOEXEC;
        if (op->flags & MOPF_IDMAP)
            attr |= MOUNT_ATTR_IDMAP;
        if (!(op->flags & MOPF_CONFIG)) {
            struct stat st;
            if ((op->flags & MOPF_OPTIONAL) && lstat(op->src, &st) < 0)
                return 0;
        }
        *what = op->flags & MOPF_NESTED ? "open the mount point (it must "
                "exist inside the outer mount)" : "create mount point";
        tfd = open_target(rootfd, rel, op->flags & MOPF_DIR,
                          !(op->flags & MOPF_NESTED));
        if (tfd < 0)
            return -1;
        *what = op->flags & MOPF_IDMAP ? "idmapped bind mount" : "bind mount";
        if (op->flags & MOPF_CONFIG)
            return bind_tree(srcfd, "", true, attr, idmap_fd, tfd);
        return bind_tree(AT_FDCWD, op->src, true, attr, -1, tfd);
    }
    case MOP_DEV: {
        const char *base;
        int dfd = cached_parent(pc, rootfd, rel, &base);
        if (dfd < 0)
            return -1;
        if (can_mknod && !(op->flags & MOPF_ALWAYSBIND)) {
            /* Real root: the same device number, no extra mount. */
            struct stat st;
            *what = "create device node";
            if (stat(op->src, &st) < 0 || !S_ISCHR(st.st_mode))
                return -1;
            if (mknodat(dfd, base, S_IFCHR | 0666, st.st_rdev) < 0)
                return -1;
            /* mknod applies the umask; the nodes must be 0666. */
            return fchmodat(dfd, base, 0666, 0);
        }
        *what = "create device mount point";
        if (mknodat(dfd, base, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
            return -1;
        tfd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (tfd < 0)
            return -1;
    }
        *what = "bind device node";
        return bind_tree(AT_FDCWD, op->src, false,
                         MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, -1, tfd);
    case MOP_SYMLINK: {
        const char *base;
        *what = "create symlink";
        int dfd = cached_parent(pc, rootfd, rel, &base);
        if (dfd < 0)
            return -1;
        return symlinkat(op->src, dfd, base);
    }
    case MOP_TMPFS: {
        *what = "create mount point";
        tfd = open_target(rootfd, rel, true, true);
        if (tfd < 0)
            return -1;
        if (op->flags & MOPF_OWNED)
            snprintf(data, sizeof data, "size=%llu,mode=%04o,uid=%u,gid=%u",
                     (unsigned long long)op->size, op->mode, (unsigned)uid,
                     (unsigned)gid);
        else
            snprintf(data, sizeof data, "size=%llu,mode=%04o",
                     (unsigned long long)op->size, op->mode);
        *what = "mount tmpfs";
        unsigned long fl = MS_NOSUID;
        if (!(op->flags & MOPF_DEVNODES) || !can_mknod)
            fl |= MS_NODEV;
        if (op->flags & (MOPF_NOEXEC | MOPF_DEVNODES))
            fl |= MS_NOEXEC;
        return mount("tmpfs", fdpath(tfd, pbuf, sizeof pbuf), "tmpfs", fl,
                     data);
    }
    case MOP_DIR:
        *what = "create directory";
        tfd = open_target(rootfd, rel, true, true);
        return tfd < 0 ? -1 : 0;
    case MOP_PROC:
        *what = "create mount point";
        tfd = open_target(rootfd, rel, true, true);
        if (tfd < 0)
            return -1;
        *what = "mount proc";
        return mount("proc", fdpath(tfd, pbuf, sizeof pbuf), "proc",
                     MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    case MOP_DEVPTS:
        *what = "create mount point";
        tfd = open_target(rootfd, rel, true, true);
        if (tfd < 0)
            return -1;
        *what = "mount devpts";
        return mount("devpts", fdpath(tfd, pbuf, sizeof pbuf), "devpts",
                     MS_NOSUID | MS_NOEXEC,
                     "newinstance,ptmxmode=0666,mode=0620");
    case MOP_RO: {
        struct stat st;
        tfd = open_existing(pc, rootfd, rel, &st);
        if (tfd < 0)
            return (op->flags & MOPF_OPTIONAL) && errno == ENOENT ? 0 : -1;
        *what = "make read-only";
        return bind_tree(tfd, "", true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                         MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, -1, tfd);
    }
    case MOP_PROTECT: {
        /* Inside the user's files: opened without creating anything and
         * without following a symlink; gone since the scan is refused
         * (the tool would get it writable). */
        *what = "open the protected path";
        tfd = open_target(rootfd, rel, op->flags & MOPF_DIR, false);
        if (tfd < 0)
            return -1;
        *what = op->flags & MOPF_RO ? "make the protected path read-only"
                                    : "bind the protected path's directory";
        return bind_tree(tfd, "", true, op->flags & MOPF_RO
                         ? MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                               MOUNT_ATTR_NODEV
                         : 0, -1, tfd);
    }
    case MOP_FILE: {
        struct stat st;
        if (op->flags & MOPF_CREATE) {
            *what = "create mount point";
            tfd = open_target(rootfd, rel, false, true);
            if (tfd < 0)
                return -1;
        } else {
            tfd = open_existing(pc, rootfd, rel, &st);
            if (tfd < 0)
                return errno == ENOENT || errno == ELOOP ? 0 : -1;
            if (!S_ISREG(st.st_mode))
                return 0;
        }
        *what = "write";
        return file_over(rootfd, op->src, tfd);
    }
    case MOP_MASK: {
        struct stat st;
        tfd = open_existing(pc, rootfd, rel, &st);
        if (tfd < 0)
            return (op->flags & MOPF_OPTIONAL) && errno == ENOENT ? 0 : -1;
        *what = "mask";
        if (S_ISDIR(st.st_mode))
            return mount("tmpfs", fdpath(tfd, pbuf, sizeof pbuf), "tmpfs",
                         MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                         "size=4k,nr_inodes=1");
        return bind_tree(AT_FDCWD, "/dev/null", false,
                         MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                         MOUNT_ATTR_NOEXEC, -1, tfd);
    }
    }
    errno = EINVAL;
    return -1;
}

int mount_plan_apply(const struct mount_plan *plan, const int *srcfds,
                     int idmap_fd, uid_t tool_uid, gid_t tool_gid,
                     bool can_mknod, coco_err *err)
{
    struct parent_cache pc = {.fd = -1};
    char data[64];

    /* Nothing done below may propagate back to the host's mounts. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return err_set(err, errno, "make mounts private");
    /* Room for the files coco writes (MOP_FILE), besides mount points. */
    uint64_t size = NATIVE_ROOT_SIZE;
    for (size_t i = 0; i < plan->n; i++)
        if (plan->ops[i].kind == MOP_FILE)
            size += strlen(plan->ops[i].src) + 4096;
    snprintf(data, sizeof data, "size=%llu,mode=0755",
             (unsigned long long)size);
    if (mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, data) < 0)
        return err_set(err, errno, "mount the new root tmpfs on %s", NEWROOT);
    _cleanup_close_ int rootfd = open(NEWROOT, O_PATH | O_DIRECTORY |
                                      O_CLOEXEC);
    if (rootfd < 0)
        return err_set(err, errno, "open the new root");

    for (size_t i = 0; i < plan->n; i++) {
        const struct mop *op = &plan->ops[i];
        const char *what = "mount";
        if (apply_op(op, rootfd, srcfds[i], idmap_fd, tool_uid, tool_gid,
                     can_mknod, &pc, &what) < 0) {
            int e = errno;
            if (pc.fd >= 0)
                close(pc.fd);
            if ((op->flags & MOPF_IDMAP) && (e == EINVAL || e == EPERM))
                return err_set(err, e, "%s %s on %s: the filesystem may not "
                               "support idmapped mounts; run coco as a normal "
                               "user instead of root", what,
                               op->src ? op->src : "", op->dst);
            return err_set(err, e, "%s%s%s on %s", what, op->src ? " " : "",
                           op->src ? op->src : "", op->dst);
        }
    }

    if (pc.fd >= 0)
        close(pc.fd);

    /* pivot_root(".", ".") stacks the old root on top of the new one;
     * detaching it leaves no path back to the host's tree. */
    if (fchdir(rootfd) < 0)
        return err_set(err, errno, "enter the new root");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return err_set(err, errno, "pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
        return err_set(err, errno, "detach the old root");
    if (chdir("/") < 0)
        return err_set(err, errno, "chdir /");
    /* The root tmpfs holds only mount points: read-only, so the tool
     * cannot create files outside /tmp, its home and its mounts. */
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
              MS_NODEV, NULL) < 0)
        return err_set(err, errno, "make the new root read-only");
    /* Likewise /dev once its nodes and links exist (its tmpfs belongs to
     * the tool's uid in a user namespace). */
    if (mount(NULL, "/dev", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
              MS_NOSUID | MS_NOEXEC | (can_mknod ? 0 : MS_NODEV), NULL) < 0)
        return err_set(err, errno, "make /dev read-only");
    return 0;
}
