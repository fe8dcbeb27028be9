/* sys.h — helpers that touch the OS: atomic file writes, capturing a
 * program's output, directory creation. */
#ifndef COCO_SYS_H
#define COCO_SYS_H

#include <sys/types.h>

#include "util.h"

/* Write LEN bytes to PATH atomically: a temp file in the same directory
 * with MODE, fsync, then rename (or, when !REPLACE, a link that fails if
 * PATH exists).  Nothing half-written is ever visible at PATH. */
int write_file_atomic(const char *path, const void *data, size_t len,
                      mode_t mode, bool replace, coco_err *err);

/* Write all LEN bytes of BUF to FD (retrying short writes and EINTR).
 * 0, or -1 with errno set. */
int write_all_fd(int fd, const void *buf, size_t len);

/* Write the string S to the existing file PATH in one write(2), as for
 * /proc and /sys knobs.  0, or -1 with errno set. */
int write_string(const char *path, const char *s);

/* Read at most LEN-1 bytes of the small file PATH (a /proc or /sys knob)
 * into BUF, NUL-terminated, without touching the heap.  Returns the
 * length, or -1 when it cannot be opened or read or is empty. */
ssize_t read_small(const char *path, char *buf, size_t len);

/* mkdir -p with MODE for the directories it creates. */
int mkdir_parents(const char *path, mode_t mode, coco_err *err);

/* Read FD to its end, at most MAX bytes (PATH names it in errors);
 * *OUT is NUL-terminated. */
int read_fd(int fd, const char *path, char **out, size_t *len, size_t max,
            coco_err *err);
/* Read a whole regular file of at most MAX bytes. */
int read_file(const char *path, char **out, size_t *len, size_t max,
              coco_err *err);

/* Open REL (relative, no leading '/'; "" or "." is DIRFD itself) beneath
 * the directory DIRFD as an O_PATH descriptor without following any
 * symbolic link in any component -- openat2(RESOLVE_NO_SYMLINKS), or one
 * component at a time with O_NOFOLLOW where openat2 is missing.  ".."
 * components are walked physically.  When MKDIR_MODE is not -1, missing
 * components are created as directories with that mode, each through the
 * descriptor of its parent.  Returns the descriptor (close-on-exec), or -1
 * with errno (ELOOP: a component is a symlink; ENOENT; ENOTDIR ...). */
int open_nofollow(int dirfd, const char *rel, int mkdir_mode);

/* After open_nofollow() failed with ELOOP: the first component of REL
 * beneath DIRFD that is a symlink, into COMP (the path up to and including
 * it), and its target into TARGET.  0, or -1 when none is found. */
int find_symlink(int dirfd, const char *rel, char *comp, size_t comp_len,
                 char *target, size_t target_len);

/* Remove NAME beneath the directory DIRFD and, when it is a directory,
 * everything in it, without following any symbolic link (a link is
 * removed, never its target) and without leaving the tree; a directory
 * without write permission (npm packages ship some) is made writable
 * first.  A missing NAME is no error.  0, or -1 with errno. */
int remove_tree_at(int dirfd, const char *name);

/* Load the BPF program PROG (LEN instructions) as the calling thread's
 * seccomp filter: seccomp(2), or prctl where that is missing.  0, or -1
 * with errno.  no_new_privs (or CAP_SYS_ADMIN) must be in force. */
struct sock_filter;
int seccomp_load_prog(const struct sock_filter *prog, size_t len);

#endif
