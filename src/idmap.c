/* idmap.c — idmapped attachments for podman and docker runs root
 * invokes; see idmap.h. */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "sys.h"

int idmap_open(struct idmap_set *s, coco_err *err)
{
    /* Always /tmp, never $XDG_RUNTIME_DIR: root's environment may name a
     * user's (sudo -E), and whoever owns the parent could rename this
     * directory away and put a link in its place before the engine
     * resolves the path, binding what they chose.  In sticky /tmp only
     * root can rename root's directory. */
    char *t = xstrdup(IDMAP_DIR_SHOWN);
    if (!mkdtemp(t)) {
        int e = errno;
        free(t);
        return err_set(err, e, "make a directory for idmapped mounts in /tmp");
    }
    s->dir = t;
    s->userns_fd = make_idmap_userns(0, 0, COCO_ROOT_TOOL_UID,
                                     COCO_ROOT_TOOL_GID, &s->helper, err);
    return s->userns_fd < 0 ? -1 : 0;
}

const char *idmap_attach(struct idmap_set *s, int fd, const char *path,
                         dev_t dev, ino_t ino, const char *what,
                         coco_err *err)
{
    unsigned fl = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;
    _cleanup_close_ int mfd = fd >= 0
        ? open_tree(fd, "", fl | AT_EMPTY_PATH)
        : open_tree(AT_FDCWD, path, fl | AT_SYMLINK_NOFOLLOW);
    struct stat st;
    _cleanup_free_ char *e = str_escape(path);

    if (mfd < 0 || fstat(mfd, &st) < 0) {
        err_set(err, errno, "%s %s: cannot clone it for an idmapped bind",
                what, e);
        return NULL;
    }
    if (dev && (st.st_dev != dev || st.st_ino != ino)) {
        err_set(err, 0, "%s %s was replaced since coco looked at it; run "
                "again", what, e);
        return NULL;
    }
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP,
                              .userns_fd = (uint64_t)s->userns_fd};
    if (mount_setattr(mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                      sizeof attr) < 0) {
        int x = errno;
        err_set(err, x, "%s %s: %s, and without that the tool would run "
                "as host root; run coco as a normal user", what, e,
                x == EINVAL || x == EPERM || x == EOPNOTSUPP
                    ? "its file system (or one mounted below it) cannot "
                      "be idmapped"
                    : "cannot idmap it");
        return NULL;
    }
    char *point = xasprintf("%s/%zu", s->dir, s->points.n);
    int r;
    /* Mode 0: an engine that binds the placeholder instead (one in
     * another mount namespace) gives the tool nothing it can use. */
    if (S_ISDIR(st.st_mode)) {
        r = mkdir(point, 0);
    } else {
        r = open(point, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                 0);
        if (r >= 0)
            r = close(r);
    }
    if (r < 0 || move_mount(mfd, "", AT_FDCWD, point,
                            MOVE_MOUNT_F_EMPTY_PATH) < 0) {
        err_set(err, errno, "%s %s: attach its idmapped bind at %s", what, e,
                point);
        if (r == 0 && rmdir(point) < 0)
            unlink(point);
        free(point);
        return NULL;
    }
    strvec_push_nodup(&s->points, point);
    return point;
}

void idmap_detach_all(const char *dir, char *const *points)
{
    for (; points && *points; points++) {
        if (umount2(*points, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 &&
            errno != EINVAL)
            debug("idmap: detach %s: %s", *points, strerror(errno));
        if (rmdir(*points) < 0 && errno == ENOTDIR)
            unlink(*points);
    }
    if (dir && rmdir(dir) < 0)
        debug("idmap: remove %s: %s", dir, strerror(errno));
}

void idmap_attached(struct idmap_set *s)
{
    if (s->userns_fd >= 0)
        close(s->userns_fd);
    s->userns_fd = -1;
    if (s->helper > 0)
        while (waitpid(s->helper, NULL, 0) < 0 && errno == EINTR)
            ;
    s->helper = 0;
}

void idmap_close(struct idmap_set *s)
{
    if (s->dir)
        idmap_detach_all(s->dir, s->points.v);
    strvec_clear(&s->points);
    free(s->dir);
    s->dir = NULL;
    idmap_attached(s);
}
