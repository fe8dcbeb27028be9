/* manifest.c — the manifest of an installed tree: build it by walking the
 * tree, write and parse it as JSON, and check a tree against it (see
 * install.h).
 *
 * One walker serves the build and both checks: getdents64 on a directory
 * descriptor, fstatat(AT_SYMLINK_NOFOLLOW) per name, openat(O_NOFOLLOW)
 * through the parent's descriptor for directories and files, readlinkat
 * for symlinks.  Nothing is ever resolved from the root again and no
 * symlink is followed, so nothing outside the tree is read, whatever the
 * tree's symlinks say.  A directory or file is checked after it is opened
 * (fstat on the descriptor: same inode as the name had), so one swapped in
 * between the two is noticed, not walked. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "install.h"
#include "sys.h"

#define MF_MAX_DEPTH 64                /* components below the root */
#define MF_MAX_FILE ((size_t)64 << 20) /* manifest_load(): 64 MiB */
#define MF_NAME_MAX 255
/* A path one level deeper than allowed still fits (the check reports it). */
#define MF_PATH_MAX ((MF_MAX_DEPTH + 1) * (MF_NAME_MAX + 1))
#define MF_TARGET_MAX 4095
#define DENTS_BUF (32 * 1024)

/* ---- small helpers ----------------------------------------------------- */

/* Valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF) of
 * LEN bytes: what a JSON string can hold. */
static bool utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

static const char *type_word(enum mf_type t)
{
    return t == MF_DIR ? "dir" : t == MF_SYMLINK ? "symlink" : "file";
}

/* What st_mode is, in words, for messages: the three kinds a manifest
 * holds and the ones it refuses. */
static const char *mode_word(mode_t m)
{
    if (S_ISREG(m))
        return "file";
    if (S_ISDIR(m))
        return "dir";
    if (S_ISLNK(m))
        return "symlink";
    if (S_ISFIFO(m))
        return "fifo";
    if (S_ISSOCK(m))
        return "socket";
    if (S_ISCHR(m))
        return "character device";
    if (S_ISBLK(m))
        return "block device";
    return "special file";
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* openat() below DIRFD, never following a symlink, with O_NOATIME where
 * the kernel allows it (the owner or CAP_FOWNER). */
static int open_below(int dirfd, const char *name, int flags)
{
    flags |= O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(dirfd, name, flags | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = openat(dirfd, name, flags);
    return fd;
}

/* A path for messages: escaped, and the root as ".". */
static char *shown(const char *path)
{
    return str_escape(*path ? path : ".");
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct mf_entry *)a)->path,
                  ((const struct mf_entry *)b)->path);
}

static int cmp_key(const void *key, const void *e)
{
    return strcmp(key, ((const struct mf_entry *)e)->path);
}

static struct mf_entry *lookup(const struct manifest *m, const char *path)
{
    if (!m->n)
        return NULL;
    return bsearch(path, m->e, m->n, sizeof *m->e, cmp_key);
}

void manifest_free(struct manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].path);
        free(m->e[i].target);
    }
    free(m->e);
    m->e = NULL;
    m->n = 0;
    m->total_size = 0;
}

/* ---- the walker ---------------------------------------------------------- */

enum walk_mode { W_BUILD, W_QUICK, W_FULL };

struct walk {
    enum walk_mode mode;
    coco_err *err;
    char path[MF_PATH_MAX + 1];
    char *bufs[MF_MAX_DEPTH + 2];  /* a getdents64 buffer per depth */
    /* W_BUILD */
    struct manifest *out;
    size_t cap;
    bool meta_only;                /* describe, hash nothing (fingerprint) */
    /* W_QUICK, W_FULL */
    const struct manifest *m;
    uint8_t *seen;
    char *change_path;             /* the change reported (note_change) */
    char *change_what;
    bool change_weak;
    size_t nchanges;
};

struct dent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int visit(struct walk *w, int dirfd, const char *name, size_t len,
                 int depth);

/* Every name in the directory open at FD (its path is w->path[0..LEN)),
 * at DEPTH (the root is 0). */
static int walk_dir(struct walk *w, int fd, size_t len, int depth)
{
    if (depth > MF_MAX_DEPTH)   /* a hand-made manifest deeper than parsed ones */
        return err_set(w->err, 0, "the manifest is deeper than %d directories",
                       MF_MAX_DEPTH);
    if (!w->bufs[depth])
        w->bufs[depth] = xmalloc(DENTS_BUF);
    char *buf = w->bufs[depth];
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, DENTS_BUF);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            w->path[len] = '\0';
            _cleanup_free_ char *p = shown(w->path);
            return err_set(w->err, e, "cannot list the directory %s of the install", p);
        }
        if (n == 0)
            return 0;
        for (long off = 0; off < n;) {
            struct dent64 *d = (struct dent64 *)(buf + off);
            off += d->d_reclen;
            const char *nm = d->d_name;
            if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2])))
                continue;
            if (visit(w, fd, nm, len, depth + 1) < 0)
                return -1;
        }
    }
}

/* Note a change at PATH (WHAT is taken).  The one reported is the
 * smallest path's, except that a directory whose only change is its
 * mtime (WEAK: a name in it was added, removed or renamed) gives way to
 * any other change, which says more: "x/y: missing" rather than "x:
 * mtime ...". */
static void note_change_weak(struct walk *w, const char *path, char *what,
                             bool weak)
{
    w->nchanges++;
    if (w->change_path &&
        (weak > w->change_weak ||
         (weak == w->change_weak && strcmp(path, w->change_path) >= 0))) {
        free(what);
        return;
    }
    free(w->change_path);
    free(w->change_what);
    w->change_path = xstrdup(path);
    w->change_what = what;
    w->change_weak = weak;
}

static void note_change(struct walk *w, const char *path, char *what)
{
    note_change_weak(w, path, what, false);
}

static int add_entry(struct walk *w, const char *path, enum mf_type type,
                     const struct stat *st, coco_err *err)
{
    struct manifest *o = w->out;
    if (o->n >= MF_MAX_ENTRIES)
        return err_set(err, 0, "the install holds more than %d entries; "
                       "coco refuses a tree that large", MF_MAX_ENTRIES);
    if (o->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 256;
        o->e = xrealloc(o->e, w->cap * sizeof *o->e);
    }
    struct mf_entry *e = &o->e[o->n++];
    memset(e, 0, sizeof *e);
    e->path = xstrdup(path);
    e->type = type;
    e->mode = st->st_mode & 07777;
    e->size = type == MF_DIR ? 0 : (uint64_t)st->st_size;
    e->mtime_ns = mtime_ns(st);
    e->ino = st->st_ino;
    if (type == MF_FILE)
        o->total_size += e->size;
    return 0;
}

/* The target of the symlink NAME below DIRFD into BUF (MF_TARGET_MAX + 1
 * bytes), NUL-terminated: its length, or -1 with errno. */
static ssize_t read_target(int dirfd, const char *name, char *buf)
{
    ssize_t n = readlinkat(dirfd, name, buf, MF_TARGET_MAX + 1);
    if (n < 0)
        return -1;
    if (n > MF_TARGET_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    buf[n] = '\0';
    return n;
}

/* Fail with "PATH: MSG" for the entry at w->path (escaped). */
__attribute__((format(printf, 3, 4)))
static int werr(struct walk *w, int errnum, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    _cleanup_free_ char *p = shown(w->path);
    return err_set(w->err, errnum, "%s: %s", p, msg);
}

#define CHANGED_WHILE_READ "changed while the install was read; nothing may " \
    "write to it while the manifest is built"

/* The build's part of a visit: describe, hash, recurse. */
static int build_visit(struct walk *w, int dirfd, const char *name,
                       size_t len, int depth, const struct stat *st)
{
    const char *path = w->path;
    if (depth > MF_MAX_DEPTH)
        return werr(w, 0, "deeper than %d directories; coco refuses an install "
                    "that deep", MF_MAX_DEPTH);
    if (!utf8_valid(name, strlen(name)))
        return werr(w, 0, "the name is not valid UTF-8; coco records only "
                    "UTF-8 names in a manifest");
    if (S_ISDIR(st->st_mode)) {
        _cleanup_close_ int fd = open_below(dirfd, name, O_RDONLY | O_DIRECTORY);
        struct stat fst;
        if (fd < 0 || fstat(fd, &fst) < 0)
            return werr(w, errno, "cannot open this directory of the install");
        if (fst.st_ino != st->st_ino || fst.st_dev != st->st_dev)
            return werr(w, 0, CHANGED_WHILE_READ);
        if (add_entry(w, path, MF_DIR, &fst, w->err) < 0)
            return -1;
        return walk_dir(w, fd, len, depth);
    }
    if (S_ISLNK(st->st_mode)) {
        char target[MF_TARGET_MAX + 1];
        ssize_t n = read_target(dirfd, name, target);
        if (n < 0)
            return werr(w, errno, "cannot read this symlink of the install");
        if ((uint64_t)n != (uint64_t)st->st_size)
            return werr(w, 0, CHANGED_WHILE_READ);
        if (!utf8_valid(target, (size_t)n))
            return werr(w, 0, "the symlink's target is not valid UTF-8; coco "
                        "records only UTF-8 targets in a manifest");
        if (add_entry(w, path, MF_SYMLINK, st, w->err) < 0)
            return -1;
        w->out->e[w->out->n - 1].target = xstrdup(target);
        return 0;
    }
    if (!S_ISREG(st->st_mode))
        return werr(w, 0, "a %s; an install may hold only files, directories "
                    "and symlinks: the package that made it cannot be installed",
                    mode_word(st->st_mode));
    if (st->st_mode & (S_ISUID | S_ISGID))
        return werr(w, 0, "a set%cid file (mode %04o); coco refuses setuid and "
                    "setgid files in an install", st->st_mode & S_ISUID ? 'u' : 'g',
                    (unsigned)(st->st_mode & 07777));
    if (w->meta_only)
        return add_entry(w, path, MF_FILE, st, w->err);
    /* O_NONBLOCK: a fifo swapped in after the fstatat() does not block. */
    _cleanup_close_ int fd = open_below(dirfd, name, O_RDONLY | O_NONBLOCK);
    struct stat fst, after;
    if (fd < 0 || fstat(fd, &fst) < 0)
        return werr(w, errno, "cannot open this file of the install");
    if (fst.st_ino != st->st_ino || fst.st_dev != st->st_dev ||
        fst.st_mode != st->st_mode)
        return werr(w, 0, CHANGED_WHILE_READ);
    uint8_t d[32];
    if (sha256_fd(fd, d, w->err) < 0) {
        _cleanup_free_ char *p = shown(path);
        return err_prefix(w->err, "%s", p);
    }
    if (fstat(fd, &after) < 0)
        return werr(w, errno, "cannot stat this file of the install");
    if (after.st_size != fst.st_size || mtime_ns(&after) != mtime_ns(&fst) ||
        after.st_mode != fst.st_mode)
        return werr(w, 0, CHANGED_WHILE_READ);
    if (add_entry(w, path, MF_FILE, &fst, w->err) < 0)
        return -1;
    sha256_hex(d, w->out->e[w->out->n - 1].sha256);
    return 0;
}

/* The checks' part of a visit: compare with the manifest, recurse. */
static int check_visit(struct walk *w, int dirfd, const char *name,
                       size_t len, int depth, const struct stat *name_st)
{
    const char *path = w->path;
    struct mf_entry *e = lookup(w->m, path);
    if (!e) {
        note_change(w, path, xstrdup("not in the manifest"));
        return 0;
    }
    w->seen[e - w->m->e] = 1;
    struct stat st = *name_st;
    enum mf_type t;
    if (S_ISDIR(st.st_mode))
        t = MF_DIR;
    else if (S_ISREG(st.st_mode))
        t = MF_FILE;
    else if (S_ISLNK(st.st_mode))
        t = MF_SYMLINK;
    else {
        note_change(w, path, xasprintf("type %s -> %s", type_word(e->type),
                                       mode_word(st.st_mode)));
        return 0;
    }
    if (t != e->type) {
        note_change(w, path, xasprintf("type %s -> %s", type_word(e->type),
                                       type_word(t)));
        return 0;
    }
    _cleanup_close_ int fd = -1;
    if (t == MF_DIR || (t == MF_FILE && w->mode == W_FULL)) {
        fd = open_below(dirfd, name, O_RDONLY | O_NONBLOCK |
                        (t == MF_DIR ? O_DIRECTORY : 0));
        if (fd < 0 && (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)) {
            note_change(w, path, xstrdup("changed during the check"));
            return 0;
        }
        if (fd < 0 || fstat(fd, &st) < 0) {
            int en = errno;
            _cleanup_free_ char *p = shown(path);
            return err_set(w->err, en, "cannot open %s of the install to check it", p);
        }
        if ((st.st_mode & S_IFMT) != (name_st->st_mode & S_IFMT)) {
            note_change(w, path, xstrdup("changed during the check"));
            return 0;
        }
    }
    if (t == MF_SYMLINK) {
        char target[MF_TARGET_MAX + 1];
        ssize_t n = read_target(dirfd, name, target);
        if (n < 0 && errno != ENAMETOOLONG) {
            if (errno == ENOENT || errno == EINVAL) {
                note_change(w, path, xstrdup("changed during the check"));
                return 0;
            }
            int en = errno;
            _cleanup_free_ char *p = shown(path);
            return err_set(w->err, en, "cannot read the symlink %s of the install", p);
        }
        if (n < 0 || strcmp(target, e->target ? e->target : "") != 0) {
            _cleanup_free_ char *a = str_escape(e->target ? e->target : "");
            _cleanup_free_ char *b = str_escape(n < 0 ? "(too long)" : target);
            note_change(w, path, xasprintf("symlink target \"%s\" -> \"%s\"", a, b));
            return 0;
        }
    }
    if (t != MF_DIR && (uint64_t)st.st_size != e->size) {
        note_change(w, path, xasprintf("size %" PRIu64 " -> %" PRIu64, e->size,
                                       (uint64_t)st.st_size));
    } else if ((st.st_mode & 07777) != e->mode) {
        note_change(w, path, xasprintf("mode %04o -> %04o", (unsigned)e->mode,
                                       (unsigned)(st.st_mode & 07777)));
    } else if ((uint64_t)st.st_ino != e->ino) {
        note_change(w, path, xasprintf("inode %" PRIu64 " -> %" PRIu64
                                       " (replaced)", e->ino, (uint64_t)st.st_ino));
    } else if (mtime_ns(&st) != e->mtime_ns) {
        note_change_weak(w, path, xasprintf("mtime %" PRId64 " -> %" PRId64
                                            " (ns)", e->mtime_ns, mtime_ns(&st)),
                         t == MF_DIR);
    } else if (t == MF_FILE && w->mode == W_FULL) {
        uint8_t d[32];
        char hex[65];
        if (sha256_fd(fd, d, w->err) < 0) {
            _cleanup_free_ char *p = shown(path);
            return err_prefix(w->err, "%s", p);
        }
        sha256_hex(d, hex);
        if (strcmp(hex, e->sha256) != 0)
            note_change(w, path, xasprintf("content changed (sha256 %s -> %s)",
                                           e->sha256, hex));
    }
    if (t == MF_DIR)
        return walk_dir(w, fd, len, depth);
    return 0;
}

/* One name below the directory open at DIRFD, whose path is
 * w->path[0..LEN). */
static int visit(struct walk *w, int dirfd, const char *name, size_t len,
                 int depth)
{
    size_t nl = strlen(name);
    if (nl > MF_NAME_MAX || len + 1 + nl > MF_PATH_MAX) {
        w->path[len] = '\0';
        _cleanup_free_ char *p = shown(w->path);
        return err_set(w->err, 0, "%s: holds a name longer than %d bytes", p,
                       MF_NAME_MAX);
    }
    size_t nlen = len;
    if (len)
        w->path[nlen++] = '/';
    memcpy(w->path + nlen, name, nl + 1);
    nlen += nl;
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        int e = errno;
        if (e == ENOENT && w->mode != W_BUILD)
            return 0;   /* gone: "missing" if it is in the manifest */
        _cleanup_free_ char *p = shown(w->path);
        if (e == ENOENT)
            return err_set(w->err, 0, "%s: removed while the install was read; "
                           "nothing may write to it while the manifest is built", p);
        return err_set(w->err, e, "cannot stat %s of the install", p);
    }
    int r = w->mode == W_BUILD ? build_visit(w, dirfd, name, nlen, depth, &st)
                               : check_visit(w, dirfd, name, nlen, depth, &st);
    w->path[len] = '\0';
    return r;
}

static void walk_free(struct walk *w)
{
    for (size_t i = 0; i < sizeof w->bufs / sizeof *w->bufs; i++)
        free(w->bufs[i]);
    free(w->seen);
    free(w->change_path);
    free(w->change_what);
    free(w);
}

/* A fresh descriptor of the root directory (ROOTFD may be O_PATH, and its
 * offset is the caller's). */
static int open_root(int rootfd, struct stat *st, coco_err *err)
{
    int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return err_set(err, e, "cannot open the install's root directory");
    }
    return fd;
}

static int build(int rootfd, bool meta_only, struct manifest *out,
                 coco_err *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    _cleanup_close_ int fd = open_root(rootfd, &st, err);
    if (fd < 0)
        return -1;
    struct walk *w = xcalloc(1, sizeof *w);
    w->mode = W_BUILD;
    w->meta_only = meta_only;
    w->err = err;
    w->out = out;
    int r = add_entry(w, "", MF_DIR, &st, err);
    if (r == 0)
        r = walk_dir(w, fd, 0, 0);
    walk_free(w);
    if (r < 0) {
        manifest_free(out);
        return -1;
    }
    qsort(out->e, out->n, sizeof *out->e, cmp_entry);
    return 0;
}

int manifest_build(int rootfd, struct manifest *out, coco_err *err)
{
    return build(rootfd, false, out, err);
}

void manifest_fingerprint(const struct manifest *m, char out[65])
{
    struct sha256 s;
    sha256_init(&s);
    for (size_t i = 0; i < m->n; i++) {
        const struct mf_entry *e = &m->e[i];
        /* NUL-terminated path and target: no two trees hash alike by
         * moving bytes between fields */
        uint64_t rec[5] = {(uint64_t)e->type, e->mode, e->size,
                           (uint64_t)e->mtime_ns, e->ino};
        sha256_update(&s, e->path, strlen(e->path) + 1);
        sha256_update(&s, rec, sizeof rec);
        if (e->type == MF_SYMLINK && e->target)
            sha256_update(&s, e->target, strlen(e->target) + 1);
    }
    uint8_t d[32];
    sha256_final(&s, d);
    sha256_hex(d, out);
}

int manifest_tree_fingerprint(int rootfd, char out[65], coco_err *err)
{
    struct manifest m;
    if (build(rootfd, true, &m, err) < 0)
        return -1;
    manifest_fingerprint(&m, out);
    manifest_free(&m);
    return 0;
}

static int check(const struct manifest *m, int rootfd, enum walk_mode mode,
                 char **changed, coco_err *err)
{
    *changed = NULL;
    struct stat st;
    _cleanup_close_ int fd = open_root(rootfd, &st, err);
    if (fd < 0)
        return -1;
    struct walk *w = xcalloc(1, sizeof *w);
    w->mode = mode;
    w->err = err;
    w->m = m;
    w->seen = xcalloc(m->n ? m->n : 1, 1);
    struct mf_entry *root = lookup(m, "");
    int r = 0;
    if (!root || root->type != MF_DIR) {
        note_change(w, "", xstrdup("type ? -> dir"));
    } else {
        w->seen[root - m->e] = 1;
        if ((st.st_mode & 07777) != root->mode)
            note_change(w, "", xasprintf("mode %04o -> %04o", (unsigned)root->mode,
                                         (unsigned)(st.st_mode & 07777)));
        else if ((uint64_t)st.st_ino != root->ino)
            note_change(w, "", xasprintf("inode %" PRIu64 " -> %" PRIu64
                                         " (replaced)", root->ino,
                                         (uint64_t)st.st_ino));
        else if (mtime_ns(&st) != root->mtime_ns)
            note_change_weak(w, "", xasprintf("mtime %" PRId64 " -> %" PRId64
                                              " (ns)", root->mtime_ns,
                                              mtime_ns(&st)), true);
        r = walk_dir(w, fd, 0, 0);
    }
    if (r == 0)
        for (size_t i = 0; i < m->n; i++)
            if (!w->seen[i])
                note_change(w, m->e[i].path, xstrdup("missing"));
    if (r == 0 && w->nchanges) {
        _cleanup_free_ char *p = shown(w->change_path);
        if (w->nchanges > 1)
            *changed = xasprintf("%s: %s (and %zu more change%s)", p,
                                 w->change_what, w->nchanges - 1,
                                 w->nchanges > 2 ? "s" : "");
        else
            *changed = xasprintf("%s: %s", p, w->change_what);
        r = 1;
    }
    walk_free(w);
    return r;
}

int manifest_check_quick(const struct manifest *m, int rootfd,
                         char **changed, coco_err *err)
{
    return check(m, rootfd, W_QUICK, changed, err);
}

int manifest_check_full(const struct manifest *m, int rootfd,
                        char **changed, coco_err *err)
{
    return check(m, rootfd, W_FULL, changed, err);
}

/* ---- JSON ------------------------------------------------------------------ */

int manifest_write(const struct manifest *m, const char *path,
                   const void *extra, coco_err *err)
{
    json_t *x = (json_t *)extra;
    if (x && !json_is_object(x))
        return err_set(err, 0, "%s: the extra manifest fields must be a JSON object", path);
    json_t *root = json_object();
    json_t *entries = json_array();
    json_object_set_new(root, "version", json_integer(1));
    if (x) {
        const char *k;
        json_t *v;
        json_object_foreach(x, k, v) {
            if (!strcmp(k, "version") || !strcmp(k, "entries")) {
                json_decref(root);
                json_decref(entries);
                return err_set(err, 0, "%s: the extra manifest fields may not "
                               "hold \"%s\"", path, k);
            }
            json_object_set(root, k, v);
        }
    }
    json_object_set_new(root, "entries", entries);
    for (size_t i = 0; i < m->n; i++) {
        const struct mf_entry *e = &m->e[i];
        json_t *o = json_object();
        json_t *ps = json_stringn(e->path, strlen(e->path));
        json_t *ts = e->type == MF_SYMLINK && e->target
                         ? json_stringn(e->target, strlen(e->target)) : NULL;
        if (!ps || (e->type == MF_SYMLINK && !ts) || e->size > INT64_MAX) {
            json_decref(ps);
            json_decref(ts);
            json_decref(o);
            json_decref(root);
            _cleanup_free_ char *p = shown(e->path);
            return err_set(err, 0, "%s: cannot record %s: its name or target "
                           "is not valid UTF-8, or its size is out of range", path, p);
        }
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", (unsigned)(e->mode & 07777));
        json_object_set_new(o, "path", ps);
        json_object_set_new(o, "type", json_string(type_word(e->type)));
        json_object_set_new(o, "mode", json_string(mode));
        if (e->type != MF_DIR)
            json_object_set_new(o, "size", json_integer((json_int_t)e->size));
        json_object_set_new(o, "mtime_ns", json_integer(e->mtime_ns));
        json_object_set_new(o, "ino", json_integer((json_int_t)e->ino));
        if (e->type == MF_FILE)
            json_object_set_new(o, "sha256", json_string(e->sha256));
        if (ts)
            json_object_set_new(o, "target", ts);
        json_array_append_new(entries, o);
    }
    char *s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!s)
        return err_set(err, 0, "%s: cannot serialise the manifest", path);
    size_t n = strlen(s);
    s = xrealloc(s, n + 2);
    s[n++] = '\n';
    s[n] = '\0';
    int r = write_file_atomic(path, s, n, 0600, true, err);
    free(s);
    return r;
}

/* A manifest path: "" (the root, first entry only) or "/"-separated
 * components, none empty, "." or "..", none longer than MF_NAME_MAX, at
 * most MF_MAX_DEPTH of them.  NULL when fine, else what is wrong. */
static const char *path_problem(const char *p, size_t len)
{
    if (len == 0)
        return NULL;
    if (p[0] == '/')
        return "is absolute";
    if (len > MF_PATH_MAX)
        return "is too long";
    size_t depth = 0;
    for (const char *s = p;;) {
        const char *slash = strchr(s, '/');
        size_t cl = slash ? (size_t)(slash - s) : strlen(s);
        if (cl == 0)
            return slash ? "has an empty component (\"//\")" : "ends in \"/\"";
        if ((cl == 1 && s[0] == '.') || (cl == 2 && s[0] == '.' && s[1] == '.'))
            return "has a \".\" or \"..\" component";
        if (cl > MF_NAME_MAX)
            return "has a component longer than 255 bytes";
        if (++depth > MF_MAX_DEPTH)
            return "is more than 64 components deep";
        if (!slash)
            return NULL;
        s = slash + 1;
    }
}

/* One entry from the JSON object O into E; on error WHY says what. */
static int parse_entry(json_t *o, struct mf_entry *e, char *why, size_t whylen)
{
#define BAD(...) (snprintf(why, whylen, __VA_ARGS__), -1)
    if (!json_is_object(o))
        return BAD("not an object");
    json_t *v = json_object_get(o, "path");
    if (!json_is_string(v))
        return BAD("\"path\" is missing or not a string");
    const char *s = json_string_value(v);
    size_t sl = json_string_length(v);
    if (strlen(s) != sl)
        return BAD("\"path\" holds a NUL byte");
    e->path = xstrdup(s);
    const char *pp = path_problem(s, sl);
    if (pp)
        return BAD("the path %s", pp);
    v = json_object_get(o, "type");
    const char *t = json_is_string(v) ? json_string_value(v) : NULL;
    if (!t)
        return BAD("\"type\" is missing or not a string");
    if (!strcmp(t, "file"))
        e->type = MF_FILE;
    else if (!strcmp(t, "dir"))
        e->type = MF_DIR;
    else if (!strcmp(t, "symlink"))
        e->type = MF_SYMLINK;
    else
        return BAD("\"type\" is not \"file\", \"dir\" or \"symlink\"");
    /* Every key known and belonging to this type. */
    const char *k;
    json_object_foreach(o, k, v) {
        bool ok = !strcmp(k, "path") || !strcmp(k, "type") || !strcmp(k, "mode") ||
                  !strcmp(k, "mtime_ns") || !strcmp(k, "ino") ||
                  (!strcmp(k, "size") && e->type != MF_DIR) ||
                  (!strcmp(k, "sha256") && e->type == MF_FILE) ||
                  (!strcmp(k, "target") && e->type == MF_SYMLINK);
        if (!ok) {
            _cleanup_free_ char *ek = str_escape(k);
            return BAD("unexpected key \"%s\" for a %s", ek, t);
        }
    }
    v = json_object_get(o, "mode");
    s = json_is_string(v) ? json_string_value(v) : NULL;
    if (!s)
        return BAD("\"mode\" is missing or not a string");
    if (strlen(s) != 4 || strspn(s, "01234567") != 4)
        return BAD("\"mode\" is not four octal digits");
    e->mode = (uint32_t)strtoul(s, NULL, 8);
    if (e->mode & (S_ISUID | S_ISGID))
        return BAD("\"mode\" %s is setuid or setgid", s);
    v = json_object_get(o, "mtime_ns");
    if (!json_is_integer(v))
        return BAD("\"mtime_ns\" is missing or not an integer");
    e->mtime_ns = json_integer_value(v);
    v = json_object_get(o, "ino");
    if (!json_is_integer(v))
        return BAD("\"ino\" is missing or not an integer");
    e->ino = (uint64_t)json_integer_value(v);
    if (e->type == MF_DIR)
        return 0;
    v = json_object_get(o, "size");
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return BAD("\"size\" is missing or not an integer >= 0");
    e->size = (uint64_t)json_integer_value(v);
    if (e->type == MF_FILE) {
        v = json_object_get(o, "sha256");
        s = json_is_string(v) ? json_string_value(v) : NULL;
        if (!s || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64)
            return BAD("\"sha256\" is missing or not 64 lower-case hex digits");
        memcpy(e->sha256, s, 65);
        return 0;
    }
    v = json_object_get(o, "target");
    s = json_is_string(v) ? json_string_value(v) : NULL;
    if (!s)
        return BAD("\"target\" is missing or not a string");
    sl = json_string_length(v);
    if (strlen(s) != sl || sl == 0 || sl > MF_TARGET_MAX)
        return BAD("\"target\" is empty, too long or holds a NUL byte");
    if (e->size != sl)
        return BAD("\"size\" is not the target's length");
    e->target = xstrdup(s);
    return 0;
#undef BAD
}

int manifest_parse(const char *text, size_t len, const char *name,
                   struct manifest *out, void **extra_out, coco_err *err)
{
    memset(out, 0, sizeof *out);
    if (extra_out)
        *extra_out = NULL;
    _cleanup_free_ char *nm = str_escape(name ? name : "manifest");
    const char *fix = "the install is damaged: reinstall the tool";
    if (len > MF_MAX_FILE)
        return err_set(err, 0, "%s: larger than %zu bytes; %s", nm, MF_MAX_FILE, fix);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return err_set(err, 0, "%s: not valid JSON (line %d: %s); %s", nm,
                       je.line, je.text, fix);
    json_t *v = json_object_get(root, "version");
    if (!json_is_object(root)) {
        json_decref(root);
        return err_set(err, 0, "%s: not a JSON object; %s", nm, fix);
    }
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        json_decref(root);
        return err_set(err, 0, "%s: \"version\" is missing or not 1; %s", nm, fix);
    }
    json_t *entries = json_object_get(root, "entries");
    if (!json_is_array(entries) || json_array_size(entries) == 0 ||
        json_array_size(entries) > MF_MAX_ENTRIES) {
        json_decref(root);
        return err_set(err, 0, "%s: \"entries\" is missing, not an array, empty "
                       "or longer than %d; %s", nm, MF_MAX_ENTRIES, fix);
    }
    size_t n = json_array_size(entries);
    out->e = xcalloc(n, sizeof *out->e);
    char why[512] = "";
    size_t i;
    for (i = 0; i < n; i++) {
        struct mf_entry *e = &out->e[i];
        out->n = i + 1;
        if (parse_entry(json_array_get(entries, i), e, why, sizeof why) < 0)
            break;
        if (i == 0 && (e->path[0] || e->type != MF_DIR)) {
            snprintf(why, sizeof why, "the first entry is not the root directory \"\"");
            break;
        }
        if (i > 0) {
            int c = strcmp(out->e[i - 1].path, e->path);
            if (c == 0) {
                snprintf(why, sizeof why, "a duplicate path");
                break;
            }
            if (c > 0) {
                snprintf(why, sizeof why, "not sorted by path");
                break;
            }
        }
        if (e->type == MF_FILE) {
            if (out->total_size > UINT64_MAX - e->size) {
                snprintf(why, sizeof why, "the sizes add up to more than 2^64");
                break;
            }
            out->total_size += e->size;
        }
    }
    /* Every entry's parent is a directory entry. */
    if (i == n) {
        for (i = 1; i < n; i++) {
            const char *p = out->e[i].path;
            const char *slash = strrchr(p, '/');
            _cleanup_free_ char *parent = xstrndup(p, slash ? (size_t)(slash - p) : 0);
            struct mf_entry *pe = lookup(out, parent);
            if (!pe || pe->type != MF_DIR) {
                snprintf(why, sizeof why, "its parent is not a directory entry");
                break;
            }
        }
    }
    if (i < n) {
        const char *p = out->e[i].path;
        _cleanup_free_ char *ep = p ? shown(p) : NULL;
        if (ep)
            err_set(err, 0, "%s: entry %zu (%s): %s; %s", nm, i, ep, why, fix);
        else
            err_set(err, 0, "%s: entry %zu: %s; %s", nm, i, why, fix);
        manifest_free(out);
        json_decref(root);
        return -1;
    }
    if (extra_out)
        *extra_out = root;
    else
        json_decref(root);
    return 0;
}

int manifest_load(const char *path, struct manifest *out, void **extra_out,
                  coco_err *err)
{
    memset(out, 0, sizeof *out);
    if (extra_out)
        *extra_out = NULL;
    char *buf;
    size_t len;
    if (read_file(path, &buf, &len, MF_MAX_FILE, err) < 0)
        return err_prefix(err, "cannot read the install manifest");
    int r = manifest_parse(buf, len, path, out, extra_out, err);
    free(buf);
    return r;
}
