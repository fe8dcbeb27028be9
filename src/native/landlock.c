/* landlock.c — a second wall behind the mounts.  Where the kernel has
 * Landlock, the tool is restricted to reading (and executing) what the
 * sandbox shows and writing only where the mount plan made something
 * writable: /tmp, its home, /dev/shm, the read-write config mounts, and
 * device files.  If a mount were ever left writable by mistake, the
 * ruleset still refuses the write.  Without Landlock (or with it
 * disabled) this is a no-op: the mounts remain the first wall.
 */
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/syscall.h>

#include "native_int.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

#define LL_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
                 LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE |                         \
                  LANDLOCK_ACCESS_FS_REMOVE_DIR |                         \
                  LANDLOCK_ACCESS_FS_REMOVE_FILE |                        \
                  LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
                  LANDLOCK_ACCESS_FS_MAKE_SOCK |                          \
                  LANDLOCK_ACCESS_FS_MAKE_FIFO |                          \
                  LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |  \
                  LANDLOCK_ACCESS_FS_TRUNCATE)
#define LL_DEV (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
                LANDLOCK_ACCESS_FS_IOCTL_DEV)

int landlock_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
                     LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? 0 : (int)v;
}

/* Access rights this ABI knows about. */
static uint64_t handled_for(int abi)
{
    uint64_t h = LL_READ | (LL_WRITE & ~(LANDLOCK_ACCESS_FS_REFER |
                                         LANDLOCK_ACCESS_FS_TRUNCATE)) |
                 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK;
    if (abi >= 2)
        h |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        h |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return h;
}

static int allow(int rfd, const char *path, uint64_t access, uint64_t handled)
{
    struct landlock_path_beneath_attr pb = {.allowed_access = access & handled};
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    pb.parent_fd = fd;
    long r = syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
                     &pb, 0);
    int e = errno;
    close(fd);
    errno = e;
    return r < 0 ? -1 : 0;
}

int landlock_apply(const struct mount_plan *plan, const struct policy *p,
                   coco_err *err)
{
    (void)p;
    int abi = landlock_abi();
    if (abi <= 0)
        return 0;
    uint64_t handled = handled_for(abi);
    struct { uint64_t handled_access_fs; } attr = {handled};
    _cleanup_close_ int rfd = (int)syscall(SYS_landlock_create_ruleset, &attr,
                                           sizeof attr, 0);
    if (rfd < 0)
        return err_set(err, errno, "landlock: create ruleset");

    if (allow(rfd, "/", LL_READ, handled) < 0 ||
        allow(rfd, "/dev", LL_DEV, handled) < 0 ||
        allow(rfd, "/proc", LANDLOCK_ACCESS_FS_WRITE_FILE |
              LANDLOCK_ACCESS_FS_TRUNCATE, handled) < 0)
        return err_set(err, errno, "landlock: add rule");
    for (size_t i = 0; i < plan->n; i++) {
        const struct mop *op = &plan->ops[i];
        bool writable = (op->kind == MOP_TMPFS && strcmp(op->dst, "/dev")) ||
                        (op->kind == MOP_BIND && !(op->flags & MOPF_RO));
        if (!writable)
            continue;
        if (allow(rfd, op->dst, op->flags & MOPF_DIR || op->kind == MOP_TMPFS
                  ? LL_WRITE
                  : LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE,
                  handled) < 0)
            return err_set(err, errno, "landlock: rule for %s", op->dst);
    }
    if (syscall(SYS_landlock_restrict_self, rfd, 0) < 0)
        return err_set(err, errno, "landlock: restrict");
    return 0;
}
