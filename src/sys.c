/* sys.c — see sys.h. */
#include "sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

int write_all_fd(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int write_string(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = strlen(s);
    ssize_t w = write(fd, s, len);
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)len ? 0 : -1;
}

ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    int e = errno;
    close(fd);
    errno = e;
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return n;
}

int mkdir_parents(const char *path, mode_t mode, coco_err *err)
{
    _cleanup_free_ char *p = xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return err_set(err, errno, "cannot create directory %s", p);
        if (!c)
            break;
        *s = c;
    }
    return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len,
                      mode_t mode, bool replace, coco_err *err)
{
    _cleanup_free_ char *tmp = NULL;
    const char *slash = strrchr(path, '/');
    if (slash)
        tmp = xasprintf("%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
    else
        tmp = xasprintf(".%s.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return err_set(err, errno, "cannot create a temporary file beside %s", path);
    const char *p = data;
    size_t left = len;
    int saved = 0;
    if (fchmod(fd, mode) < 0)
        saved = errno;
    while (!saved && left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            saved = errno;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (!saved && fsync(fd) < 0)
        saved = errno;
    if (close(fd) < 0 && !saved)
        saved = errno;
    if (saved) {
        unlink(tmp);
        return err_set(err, saved, "cannot write %s", path);
    }
    if (replace) {
        if (rename(tmp, path) < 0) {
            saved = errno;
            unlink(tmp);
            return err_set(err, saved, "cannot rename into %s", path);
        }
        return 0;
    }
    /* link() fails with EEXIST instead of replacing: no race between a
     * check for PATH and the write. */
    if (link(tmp, path) < 0) {
        saved = errno;
        unlink(tmp);
        if (saved == EEXIST)
            return err_set(err, 0, "%s already exists; use --force to replace it",
                           path);
        return err_set(err, saved, "cannot create %s", path);
    }
    unlink(tmp);
    return 0;
}

int read_fd(int fd, const char *path, char **out, size_t *len, size_t max,
            coco_err *err)
{
    /* Read to EOF rather than trusting st_size: the file may change
     * between fstat and read, and the bound must hold anyway. */
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max + 1) {
                free(buf);
                return err_set(err, 0, "%s: larger than %zu bytes", path, max);
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            return err_set(err, e, "%s", path);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        free(buf);
        return err_set(err, 0, "%s: larger than %zu bytes", path, max);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int read_file(const char *path, char **out, size_t *len, size_t max,
              coco_err *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return err_set(err, errno, "%s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return err_set(err, errno, "%s", path);
    if (!S_ISREG(st.st_mode))
        return err_set(err, 0, "%s: not a regular file", path);
    return read_fd(fd, path, out, len, max, err);
}

/* One component at a time: the fallback for kernels (and valgrind)
 * without openat2, and the way to create what is missing. */
static int walk_nofollow(int dirfd, const char *rel, int mkdir_mode)
{
    _cleanup_free_ char *copy = xstrdup(rel);
    _cleanup_close_ int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
    char *save = NULL;

    if (cur < 0)
        return -1;
    for (char *c = strtok_r(copy, "/", &save); c;
         c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        int fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && mkdir_mode != -1 &&
            strcmp(c, "..") != 0) {
            if (mkdirat(cur, c, (mode_t)mkdir_mode) < 0 && errno != EEXIST)
                return -1;
            fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_DIRECTORY |
                        O_CLOEXEC);
        }
        if (fd < 0)
            return -1;
        struct stat st;
        if (fstat(fd, &st) < 0) {
            close(fd);
            return -1;
        }
        /* O_PATH|O_NOFOLLOW opens a symlink itself: refuse it. */
        if (S_ISLNK(st.st_mode)) {
            close(fd);
            errno = ELOOP;
            return -1;
        }
        close(cur);
        cur = fd;
    }
    return steal_fd(&cur);
}

int open_nofollow(int dirfd, const char *rel, int mkdir_mode)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    const char *r = *rel ? rel : ".";
    int fd = (int)syscall(SYS_openat2, dirfd, r, &how, sizeof how);
    if (fd >= 0) {
        /* With O_PATH|O_NOFOLLOW a trailing symlink is opened itself
         * rather than refused: refuse it here. */
        struct stat st;
        if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
            close(fd);
            errno = ELOOP;
            return -1;
        }
        return fd;
    }
    if (errno != ENOSYS && !(errno == ENOENT && mkdir_mode != -1))
        return -1;
    return walk_nofollow(dirfd, rel, mkdir_mode);
}

int find_symlink(int dirfd, const char *rel, char *comp, size_t comp_len,
                 char *target, size_t target_len)
{
    _cleanup_free_ char *copy = xstrdup(rel);
    _cleanup_close_ int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
    size_t used = 0;
    char *save = NULL;

    if (cur < 0 || comp_len == 0 || target_len == 0)
        return -1;
    comp[0] = '\0';
    for (char *c = strtok_r(copy, "/", &save); c;
         c = strtok_r(NULL, "/", &save)) {
        int n = snprintf(comp + used, comp_len - used, "%s%s",
                         used ? "/" : "", c);
        if (n < 0 || (size_t)n >= comp_len - used)
            return -1;
        used += (size_t)n;
        struct stat st;
        if (fstatat(cur, c, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return -1;
        if (S_ISLNK(st.st_mode)) {
            ssize_t t = readlinkat(cur, c, target, target_len - 1);
            if (t < 0)
                return -1;
            target[t] = '\0';
            return 0;
        }
        int fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return -1;
        close(cur);
        cur = fd;
    }
    return -1;
}

int seccomp_load_prog(const struct sock_filter *prog, size_t len)
{
    struct sock_fprog fp = {.len = (unsigned short)len,
                            .filter = (struct sock_filter *)prog};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) == 0)
        return 0;
    if (errno == ENOSYS && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) == 0)
        return 0;
    return -1;
}

static int remove_tree_depth(int dirfd, const char *name, int depth)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -1;
    if (depth > 256) {
        errno = ELOOP;
        return -1;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700)
        (void)fchmod(fd, (st.st_mode & 07777) | 0700);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    /* Names first, then removals: removing while reading would skip
     * entries. */
    struct strvec names = STRVEC_INIT;
    int ret = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno)
                ret = -1;
            break;
        }
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            strvec_push(&names, de->d_name);
    }
    for (size_t i = 0; ret == 0 && i < names.n; i++)
        if (remove_tree_depth(fd, names.v[i], depth + 1) < 0)
            ret = -1;
    int e = errno;
    strvec_clear(&names);
    closedir(d);
    if (ret < 0) {
        errno = e;
        return -1;
    }
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

int remove_tree_at(int dirfd, const char *name)
{
    return remove_tree_depth(dirfd, name, 0);
}
