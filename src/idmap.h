/* idmap.h — the tool never holds host uid 0.
 *
 * When root invokes coco, the tool runs as "nobody" (65534) on the host
 * on every backend that allows it: natively in its user namespace, under
 * rootful podman and docker as the container's --user.  Its binds are
 * idmapped (MOUNT_ATTR_IDMAP) so that files root owns appear as nobody's
 * to the tool, and what the tool writes lands on disk as root's: the
 * workspace stays the caller's.
 *
 * Natively the binds are made inside the sandbox (native/mounts.c).  An
 * engine makes its own mounts, so for podman and docker coco clones each
 * source (open_tree), idmaps the clone and attaches it in a fresh 0700
 * directory of root's; the engine binds that instead of the source (a
 * bind of an idmapped mount keeps its idmapping; runc and the kernel need
 * nothing else).  The attachments are detached after the run, by coco or,
 * when coco is killed, by its guardian. */
#ifndef COCO_IDMAP_H
#define COCO_IDMAP_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

/* Host ids the tool runs as when root invokes coco. */
#define COCO_ROOT_TOOL_UID 65534
#define COCO_ROOT_TOOL_GID 65534

/* A user namespace mapping DISK_UID/GID to TOOL_UID/GID only, for
 * MOUNT_ATTR_IDMAP: returns a descriptor of it (close-on-exec), or -1
 * with ERR.  *HELPER is set once the helper process exists, also on
 * failure: the caller reaps it (it ends by itself).  (native/userns.c) */
int make_idmap_userns(uid_t disk_uid, gid_t disk_gid, uid_t tool_uid,
                      gid_t tool_gid, pid_t *helper, coco_err *err);

/* The attachments of one engine run. */
struct idmap_set {
    char *dir;              /* the 0700 directory holding them */
    struct strvec points;   /* attached mount points, in order */
    int userns_fd;          /* the idmapping, -1 before idmap_open() */
    pid_t helper;           /* make_idmap_userns()'s helper, to reap */
};

#define IDMAP_SET_INIT {NULL, STRVEC_INIT, -1, 0}

/* Where the attachments go (a fresh 0700 directory in /tmp), and what
 * --dry-run shows in their place. */
#define IDMAP_DIR_SHOWN "/tmp/coco-idmap.XXXXXX"

/* Make S's directory and idmapping (disk root -> nobody).  0, or -1 with
 * ERR; idmap_close() is safe either way. */
int idmap_open(struct idmap_set *s, coco_err *err);

/* Clone the tree at FD (an O_PATH descriptor) or, when FD < 0, at PATH
 * (its last component not followed), recursively; idmap it and attach
 * it under S's directory.  When DEV/INO are non-zero the clone's root
 * must be that inode (a path inside a writable mount can be swapped).
 * Returns the attachment's path (S owns it), or NULL with ERR naming
 * WHAT and PATH. */
const char *idmap_attach(struct idmap_set *s, int fd, const char *path,
                         dev_t dev, ino_t ino, const char *what,
                         coco_err *err);

/* Every attachment is made: release the idmapping (a descriptor fewer
 * while the engine runs) and reap its helper. */
void idmap_attached(struct idmap_set *s);

/* Detach every attachment of S (lazily: an engine's own copies stay
 * until its container is gone), remove the directory, reap the helper. */
void idmap_close(struct idmap_set *s);

/* Detach and remove what idmap_attach() made under DIR, given the list
 * of POINTS (for the guardian: no allocation). */
void idmap_detach_all(const char *dir, char *const *points);

#endif
