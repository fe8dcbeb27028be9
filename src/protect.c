/* protect.c — host-executed files in the tool's writable mounts: found
 * before the run, made read-only by the backends, compared after it.
 * See protect.h.
 *
 * Every walk goes by descriptor from the mount's root, one component at
 * a time with O_NOFOLLOW: a symlink in the workspace is recorded as what
 * it is and never followed, so nothing outside the mount is read, bound
 * or renamed.
 */
#include "protect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"

enum {
    K_HOOKS, K_CONFIG, K_GITFILE, K_GITMODULES, K_HUSKY, K_ENVRC, K_VSCODE,
    K_IDEA, K_CLAUDE, K_MCP, K_N,
};

static const char *const kind_names[K_N] = {
    [K_HOOKS] = ".git/hooks", [K_CONFIG] = ".git/config",
    [K_GITFILE] = ".git", [K_GITMODULES] = ".gitmodules",
    [K_HUSKY] = ".husky", [K_ENVRC] = ".envrc", [K_VSCODE] = ".vscode",
    [K_IDEA] = ".idea", [K_CLAUDE] = ".claude", [K_MCP] = ".mcp.json",
};

int protect_kind(const char *name)
{
    for (int k = 0; k < K_N; k++)
        if (streq(name, kind_names[k]))
            return k;
    return -1;
}

const char *protect_kind_name(int kind)
{
    return kind >= 0 && kind < K_N ? kind_names[kind] : "?";
}

/* A name found in a directory of the workspace (not below .git). */
static int plain_kind(const char *name)
{
    if (name[0] != '.')
        return -1;  /* every protected name is a dot file: most entries */
    int k = protect_kind(name);
    return k == K_HOOKS || k == K_CONFIG || k == K_GITFILE ? -1 : k;
}

/* ---- fingerprints ------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *d = data;
    for (size_t i = 0; i < n; i++) {
        h ^= d[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t fnv_stat(uint64_t h, const struct stat *st)
{
    uint64_t v[] = {
        (uint64_t)st->st_ino, (uint64_t)st->st_mode, (uint64_t)st->st_size,
        (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec,
        (uint64_t)st->st_ctim.tv_sec, (uint64_t)st->st_ctim.tv_nsec,
        (uint64_t)st->st_uid, (uint64_t)st->st_gid,
    };
    return fnv(h, v, sizeof v);
}

/* NAME beneath DFD (ST its lstat): its metadata, a symlink's text, and a
 * directory's entries recursively (bounded by *BUDGET entries). */
static uint64_t fingerprint(int dfd, const char *name, const struct stat *st,
                            int depth, size_t *budget)
{
    uint64_t h = fnv_stat(0xcbf29ce484222325ULL, st);
    if (S_ISLNK(st->st_mode)) {
        char buf[4096];
        ssize_t n = readlinkat(dfd, name, buf, sizeof buf);
        if (n > 0)
            h = fnv(h, buf, (size_t)n);
        return h;
    }
    if (!S_ISDIR(st->st_mode) || depth > 8)
        return h;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC);
    if (fd < 0)
        return h;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return h;
    }
    /* the entries in name order, so a rescan of the same tree agrees */
    _cleanup_strvec_ struct strvec names = STRVEC_INIT;
    struct dirent *de;
    while ((de = readdir(d)) && *budget > 0) {
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        (*budget)--;
        strvec_push(&names, de->d_name);
    }
    strvec_sort(&names);
    for (size_t i = 0; i < names.n; i++) {
        struct stat cst;
        if (fstatat(dirfd(d), names.v[i], &cst, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        h = fnv(h, names.v[i], strlen(names.v[i]) + 1);
        uint64_t c = fingerprint(dirfd(d), names.v[i], &cst, depth + 1,
                                 budget);
        h = fnv(h, &c, sizeof c);
    }
    closedir(d);
    return h;
}

/* ---- the scan ----------------------------------------------------------- */

struct plist {
    struct policy_protect *v;
    size_t n;
    bool truncated;
};

struct walk {
    const struct policy *p;
    struct plist *out;
    size_t root;         /* index in protect_roots */
    const char *src, *dst;
    int rootfd;          /* the mount's root (O_PATH) */
    size_t dirs;
};

static bool plist_has(const struct plist *l, size_t root, const char *rel)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].root == root && streq(l->v[i].rel, rel))
            return true;
    return false;
}

static void push(struct walk *w, const char *rel, int kind, bool anchor,
                 const struct stat *st, uint64_t fp, bool via)
{
    struct plist *l = w->out;
    if (plist_has(l, w->root, rel))
        return;
    l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = (struct policy_protect){
        .host = path_join(w->src, rel),
        .ctr = path_join(w->dst, rel),
        .rel = xstrdup(rel),
        .root = w->root,
        .kind = kind,
        .anchor = anchor,
        .is_dir = S_ISDIR(st->st_mode),
        .is_link = S_ISLNK(st->st_mode),
        .allowed = !anchor &&
                   strvec_contains(&w->p->protect_allow, kind_names[kind]),
        .via_gitdir = via,
        .dev = st->st_dev,
        .ino = st->st_ino,
        .fp = fp,
    };
}

/* The symlink NAME beneath DFD (at REL) points into the mount: the file
 * or directory it names there is what the host runs through it, so it is
 * protected as KIND too.  Resolved beneath the mount's root only
 * (RESOLVE_BENEATH: a link out of it, or through "..", is not followed;
 * an absolute link into the mount's source is taken relative to it). */
static void link_target(struct walk *w, int dfd, const char *name,
                        const char *rel, int kind, bool via)
{
    char text[PATH_MAX];
    ssize_t n = readlinkat(dfd, name, text, sizeof text - 1);
    if (n <= 0)
        return;
    text[n] = '\0';
    _cleanup_free_ char *start = NULL;
    if (text[0] == '/') {
        _cleanup_free_ char *norm = path_normalize(text);
        if (!norm || !path_is_within(norm, w->src) || streq(norm, w->src))
            return;
        start = xstrdup(norm + strlen(w->src) + (strcmp(w->src, "/") != 0));
    } else {
        start = xstrdup(rel);
    }
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    _cleanup_close_ int fd = (int)syscall(SYS_openat2, w->rootfd, start, &how,
                                          sizeof how);
    /* no openat2 (Linux < 5.6, valgrind): an O_PATH open that may follow
     * the link anywhere, which reads nothing; where it landed is checked
     * below, from the descriptor, as for openat2 */
    if (fd < 0 && errno == ENOSYS)
        fd = openat(w->rootfd, start, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return;
    char proc[64], real[PATH_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    n = readlink(proc, real, sizeof real - 1);
    if (n <= 0)
        return;
    real[n] = '\0';
    if (!path_is_within(real, w->src) || streq(real, w->src))
        return;
    const char *trel = real + strlen(w->src) + (strcmp(w->src, "/") != 0);
    struct stat st;
    if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
        return;
    if (plist_has(w->out, w->root, trel))
        return;
    _cleanup_free_ char *tdir = xstrdup(trel);
    char *slash = strrchr(tdir, '/');
    const char *tbase = trel;
    _cleanup_close_ int tdfd = -1;
    if (slash) {
        *slash = '\0';
        tbase = slash + 1;
        tdfd = open_nofollow(w->rootfd, tdir, -1);
    } else {
        tdfd = openat(w->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    if (tdfd < 0)
        return;
    size_t budget = 4096;
    push(w, trel, kind, false, &st, fingerprint(tdfd, tbase, &st, 0, &budget),
         via);
    w->out->v[w->out->n - 1].link_target = true;
}

/* Record NAME beneath DFD (at REL in the mount) as KIND, when it exists;
 * returns true when it did. */
static bool record(struct walk *w, int dfd, const char *name, const char *rel,
                   int kind, bool via)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return false;
    size_t budget = 4096;
    push(w, rel, kind, false, &st, fingerprint(dfd, name, &st, 0, &budget),
         via);
    if (S_ISLNK(st.st_mode))
        link_target(w, dfd, name, rel, kind, via);
    return true;
}

static char *rel_join(const char *rel, const char *name)
{
    return *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
}

/* The hooks and config of the git directory GFD (at GREL). */
static void git_dir(struct walk *w, int gfd, const char *grel, bool via)
{
    _cleanup_free_ char *hooks = rel_join(grel, "hooks");
    _cleanup_free_ char *config = rel_join(grel, "config");
    record(w, gfd, "hooks", hooks, K_HOOKS, via);
    record(w, gfd, "config", config, K_CONFIG, via);
}

/* A ".git" file at REL (in the directory DFD at DREL): "gitdir: PATH".
 * That git directory's hooks and config, when it lies inside the mount
 * (outside every mount it is not visible to the tool at all). */
static void git_file(struct walk *w, int dfd, const char *drel)
{
    int fd = openat(dfd, ".git", O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                    O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4097];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    if (strncmp(buf, "gitdir:", 7) != 0)
        return;
    char *v = buf + 7;
    v += strspn(v, " \t");
    v[strcspn(v, "\r\n")] = '\0';
    if (!*v)
        return;
    _cleanup_free_ char *dir = *drel ? path_join(w->src, drel)
                                     : xstrdup(w->src);
    _cleanup_free_ char *joined = v[0] == '/' ? xstrdup(v)
                                              : path_join(dir, v);
    _cleanup_free_ char *norm = path_normalize(joined);
    if (!norm || !path_is_within(norm, w->src))
        return;
    const char *grel = norm + strlen(w->src);
    grel += *grel == '/';
    if (strcmp(w->src, "/") == 0)
        grel = norm + 1;
    /* no symlink on the way: what it names must be a directory inside */
    _cleanup_close_ int gp = open_nofollow(w->rootfd, *grel ? grel : ".", -1);
    if (gp < 0)
        return;
    _cleanup_close_ int gfd = openat(gp, ".", O_RDONLY | O_DIRECTORY |
                                     O_CLOEXEC);
    if (gfd < 0)
        return;
    git_dir(w, gfd, grel, true);
}

static bool skip_dir(const char *name)
{
    return streq(name, PROTECT_SKIP_DIRS);
}

/* The directory DFD (readable) at REL, DEPTH below the root. */
static void walk_dir(struct walk *w, int dfd, const char *rel, int depth)
{
    if (++w->dirs > PROTECT_MAX_DIRS) {
        w->out->truncated = true;
        return;
    }
    /* getdents64 on DFD itself: no second descriptor, none of
     * fdopendir's fcntl and fstat (a run walks every directory twice) */
    _cleanup_strvec_ struct strvec subs = STRVEC_INIT;
    char buf[8192] __attribute__((aligned(8)));
    ssize_t got;
    while ((got = getdents64(dfd, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < got;) {
            struct dirent64 *de = (struct dirent64 *)(void *)(buf + off);
            off += de->d_reclen;
            const char *name = de->d_name;
            if (streq(name, ".") || streq(name, ".."))
                continue;
            int k = plain_kind(name);
            bool git = streq(name, ".git");
            /* the path only for what is recorded: a run walks every entry */
            _cleanup_free_ char *crel = git || k >= 0 ? rel_join(rel, name)
                                                       : NULL;
            if (git) {
                struct stat st;
                if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                    continue;
                if (S_ISDIR(st.st_mode)) {
                    _cleanup_close_ int g = openat(dfd, name, O_RDONLY |
                                                   O_DIRECTORY | O_NOFOLLOW |
                                                   O_CLOEXEC);
                    if (g >= 0)
                        git_dir(w, g, crel, false);
                } else {
                    /* a gitdir: file (or a symlink, recorded as what it is):
                     * rewriting it would point the host's git elsewhere */
                    record(w, dfd, name, crel, K_GITFILE, false);
                    if (S_ISREG(st.st_mode))
                        git_file(w, dfd, rel);
                }
                continue;
            }
            if (k >= 0) {
                record(w, dfd, name, crel, k, false);
                continue;
            }
            if (depth >= PROTECT_MAX_DEPTH || skip_dir(name))
                continue;
            if (de->d_type == DT_DIR)
                strvec_push(&subs, name);
            else if (de->d_type == DT_UNKNOWN) {
                struct stat st;
                if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISDIR(st.st_mode))
                    strvec_push(&subs, name);
            }
        }
    }
    strvec_sort(&subs);
    for (size_t i = 0; i < subs.n; i++) {
        _cleanup_close_ int sfd = openat(dfd, subs.v[i], O_RDONLY |
                                         O_DIRECTORY | O_NOFOLLOW |
                                         O_CLOEXEC);
        if (sfd < 0)
            continue;
        _cleanup_free_ char *crel = rel_join(rel, subs.v[i]);
        walk_dir(w, sfd, crel, depth + 1);
    }
}

static bool mount_scanned(const struct policy_mount *m)
{
    return m->is_dir && !m->missing && m->fd >= 0 && !m->ro &&
           !(m->opts & MNT_RO);
}

static int cmp_ctr(const void *a, const void *b)
{
    const struct policy_protect *x = a, *y = b;
    return strcmp(x->ctr, y->ctr);
}

/* Scan root ROOT (mount M) into OUT. */
static void scan_root(const struct policy *p, const struct policy_mount *m,
                      size_t root, struct plist *out)
{
    _cleanup_close_ int rfd = openat(m->fd, ".", O_RDONLY | O_DIRECTORY |
                                     O_CLOEXEC);
    if (rfd < 0)
        return;
    struct walk w = {
        .p = p, .out = out, .root = root, .src = m->src, .dst = m->dst,
        .rootfd = m->fd,
    };
    walk_dir(&w, rfd, "", 0);
}

/* Mount of P whose source is SRC (a root), or NULL. */
static const struct policy_mount *root_mount(const struct policy *p,
                                             const char *src)
{
    for (size_t i = 0; i < p->n_mounts; i++)
        if (mount_scanned(&p->mounts[i]) && streq(p->mounts[i].src, src))
            return &p->mounts[i];
    return NULL;
}

/* Drop what a later (nested) mount covers in the sandbox: the tool sees
 * that mount there, not this one's files. */
static void drop_covered(const struct policy *p, struct plist *l)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct policy_mount *m =
            root_mount(p, p->protect_roots.v[l->v[i].root]);
        bool covered = false;
        for (size_t j = 0; m && j < p->n_mounts && !covered; j++) {
            const char *d = p->mounts[j].dst;
            covered = !streq(d, m->dst) && path_is_within(d, m->dst) &&
                      path_is_within(l->v[i].ctr, d);
        }
        if (covered) {
            free(l->v[i].host);
            free(l->v[i].ctr);
            free(l->v[i].rel);
        } else {
            l->v[k++] = l->v[i];
        }
    }
    l->n = k;
}

/* Every protected (not allowed, not symlink) path's directories between
 * it and the root, as anchors. */
static void add_anchors(const struct policy *p, struct plist *l)
{
    size_t n = l->n;
    for (size_t i = 0; i < n; i++) {
        if (l->v[i].allowed || l->v[i].is_link)
            continue;
        _cleanup_free_ char *rel = xstrdup(l->v[i].rel);
        size_t root = l->v[i].root;
        const struct policy_mount *m = root_mount(p, p->protect_roots.v[root]);
        if (!m)
            continue;
        char *slash;
        while ((slash = strrchr(rel, '/'))) {
            *slash = '\0';
            struct stat st;
            _cleanup_close_ int fd = open_nofollow(m->fd, rel, -1);
            if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
                break;
            struct walk w = {.p = p, .out = l, .root = root, .src = m->src,
                             .dst = m->dst};
            push(&w, rel, -1, true, &st, 0, false);
        }
    }
}

static void plist_free(struct plist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].host);
        free(l->v[i].ctr);
        free(l->v[i].rel);
    }
    free(l->v);
    *l = (struct plist){0};
}

static void scan_all(const struct policy *p, struct plist *out)
{
    for (size_t r = 0; r < p->protect_roots.n; r++) {
        const struct policy_mount *m = root_mount(p, p->protect_roots.v[r]);
        if (m)
            scan_root(p, m, r, out);
    }
    drop_covered(p, out);
}

void protect_scan(struct policy *p)
{
    protect_free(p);
    for (size_t i = 0; i < p->n_mounts; i++)
        if (mount_scanned(&p->mounts[i]) &&
            !strvec_contains(&p->protect_roots, p->mounts[i].src))
            strvec_push(&p->protect_roots, p->mounts[i].src);
    struct plist l = {0};
    scan_all(p, &l);
    add_anchors(p, &l);
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, cmp_ctr);
    p->protect = l.v;
    p->n_protect = l.n;
    p->protect_truncated = l.truncated;
}

void protect_free(struct policy *p)
{
    struct plist l = {.v = p->protect, .n = p->n_protect};
    plist_free(&l);
    p->protect = NULL;
    p->n_protect = 0;
    p->protect_truncated = false;
    strvec_clear(&p->protect_roots);
}

/* ---- after the run ------------------------------------------------------ */

static const struct policy_protect *before(const struct policy *p,
                                           const struct policy_protect *a)
{
    for (size_t i = 0; i < p->n_protect; i++)
        if (!p->protect[i].anchor && p->protect[i].root == a->root &&
            streq(p->protect[i].rel, a->rel))
            return &p->protect[i];
    return NULL;
}

/* Move REL (beneath the root ROOTFD) aside; *TO gets the new name. */
static int move_aside(int rootfd, const char *rel, char **to)
{
    _cleanup_free_ char *dir = xstrdup(rel);
    char *slash = strrchr(dir, '/');
    const char *base = rel;
    if (slash) {
        *slash = '\0';
        base = slash + 1;
    }
    _cleanup_close_ int dfd = open_nofollow(rootfd, slash ? dir : ".", -1);
    if (dfd < 0)
        return -1;
    for (int n = 0; n < 100; n++) {
        char *name = n ? xasprintf("%s%s.%d", base, PROTECT_BLOCKED_SUFFIX, n)
                       : xasprintf("%s%s", base, PROTECT_BLOCKED_SUFFIX);
        /* RENAME_NOREPLACE: an existing NAME.coco-blocked is never
         * overwritten; the link itself is moved, never its target */
        if (renameat2(dfd, base, dfd, name, RENAME_NOREPLACE) == 0) {
            *to = name;
            return 0;
        }
        int e = errno;
        free(name);
        if (e != EEXIST) {
            errno = e;
            return -1;
        }
    }
    errno = EEXIST;
    return -1;
}

int protect_after(const struct policy *p, FILE *o)
{
    if (p->protect_roots.n == 0) {
        if (p->report) {
            _cleanup_free_ char *t = str_escape(p->tool);
            fprintf(o, "coco: %s: host-executed files report: no writable "
                       "mount, nothing could be written\n", t);
        }
        return 0;
    }
    struct plist now = {0};
    scan_all(p, &now);
    _cleanup_strvec_ struct strvec keep = STRVEC_INIT;
#define E(s) str_escape_keep(&keep, (s))
    _cleanup_strvec_ struct strvec blocked = STRVEC_INIT;
    _cleanup_strvec_ struct strvec report = STRVEC_INIT;
    int moved = 0;

    for (size_t i = 0; i < now.n; i++) {
        const struct policy_protect *a = &now.v[i];
        const struct policy_protect *b = before(p, a);
        /* A symlink had no bind over it: another link in its place (on
         * a reused inode number) counts as replaced too. */
        bool created = !b || b->dev != a->dev || b->ino != a->ino ||
                       b->is_dir != a->is_dir || b->is_link != a->is_link ||
                       (b->is_link && b->fp != a->fp);
        if (!created) {
            if (b->fp != a->fp)
                strvec_pushf(&report, "changed%s  %s",
                             a->allowed ? " (allowed by the config)" : "",
                             E(a->host));
            continue;
        }
        const char *what = b ? "replaced" : "created";
        if (a->allowed) {
            strvec_pushf(&report, "%s (allowed by the config)  %s", what,
                         E(a->host));
            continue;
        }
        const struct policy_mount *m = root_mount(p, p->protect_roots.v[a->root]);
        char *to = NULL;
        errno = ENOENT;  /* (no mount: its source is gone) */
        if (m && move_aside(m->fd, a->rel, &to) == 0) {
            _cleanup_free_ char *dir = xstrdup(a->host);
            *strrchr(dir, '/') = '\0';
            _cleanup_free_ char *toh = path_join(*dir ? dir : "/", to);
            strvec_pushf(&blocked, "%s %s -> %s", what, E(a->host), E(toh));
            strvec_pushf(&report, "%s, moved aside to %s  %s", what, E(to),
                         E(a->host));
            moved++;
            free(to);
        } else {
            strvec_pushf(&blocked, "%s %s (could NOT be moved aside: %s; "
                         "remove it before your host runs it)", what,
                         E(a->host), strerror(errno));
            strvec_pushf(&report, "%s, NOT moved aside  %s", what, E(a->host));
        }
    }
    /* a protected path that went away (a symlink the tool removed ...) */
    for (size_t i = 0; i < p->n_protect; i++) {
        const struct policy_protect *b = &p->protect[i];
        bool found = b->anchor;
        for (size_t j = 0; j < now.n && !found; j++)
            found = now.v[j].root == b->root && streq(now.v[j].rel, b->rel);
        if (!found)
            strvec_pushf(&report, "removed  %s", E(b->host));
    }

    if (blocked.n) {
        fprintf(o, "coco: %s: the tool created files your host would run "
                   "(git hooks, git config, direnv, editor or AI settings); "
                   "each is moved aside so nothing runs it:\n", E(p->tool));
        for (size_t i = 0; i < blocked.n; i++)
            fprintf(o, "coco:   %s\n", blocked.v[i]);
        fprintf(o, "coco: review them; to let %s write such a path, name it "
                   "in its config's \"protect\": {\"allow\": [...]}\n",
                E(p->tool));
    }
    if (p->report) {
        size_t n = 0;
        for (size_t i = 0; i < p->n_protect; i++)
            n += !p->protect[i].anchor;
        if (report.n == 0)
            fprintf(o, "coco: %s: host-executed files report: none created "
                       "or changed (%zu protected)\n", E(p->tool), n);
        else {
            fprintf(o, "coco: %s: host-executed files report:\n", E(p->tool));
            for (size_t i = 0; i < report.n; i++)
                fprintf(o, "coco:   %s\n", report.v[i]);
        }
    }
    if (now.truncated || p->protect_truncated)
        fprintf(o, "coco: %s: note: more than %d directories in a mount; "
                   "protected files were searched in the first %d only\n",
                E(p->tool), PROTECT_MAX_DIRS, PROTECT_MAX_DIRS);
#undef E
    plist_free(&now);
    return moved;
}

int protect_describe(const struct policy *p, FILE *o)
{
    _cleanup_strvec_ struct strvec keep = STRVEC_INIT;
#define E(s) str_escape_keep(&keep, (s))
    int risks = 0;
    if (p->protect_roots.n == 0) {
        fprintf(o, "protected  no writable mount: nothing the host runs can "
                   "be written\n");
        return 0;
    }
    fprintf(o, "protected  host-executed files in writable mounts (%s, %d "
               "levels down): read-only for the tool; any it creates is "
               "moved aside after the run\n", PROTECT_NAMES_TEXT,
            PROTECT_MAX_DEPTH);
    size_t shown = 0;
    for (size_t i = 0; i < p->n_protect; i++) {
        const struct policy_protect *e = &p->protect[i];
        if (e->anchor)
            continue;
        shown++;
        fprintf(o, "  %s %-11s %s%s%s\n", e->allowed ? "!" : " ",
                e->allowed ? "read+write" : e->is_link ? "compared"
                                                       : "read-only",
                E(e->host),
                e->is_link ? " (a symlink: replacing it is caught after "
                             "the run; followed only inside the mount)"
                : e->link_target ? " (what a protected symlink names)" : "",
                e->via_gitdir ? " (through a .git file's gitdir:)" : "");
    }
    if (!shown)
        fprintf(o, "    (none exist yet)\n");
    for (size_t i = 0; i < p->protect_allow.n; i++) {
        fprintf(o, "  ! RISK: protect.allow \"%s\": the tool may write %s, "
                   "which your host runs (git, direnv, an editor, an AI "
                   "CLI)\n", E(p->protect_allow.v[i]),
                E(p->protect_allow.v[i]));
        risks++;
    }
    if (p->protect_truncated)
        fprintf(o, "  note: more than %d directories in a mount; searched "
                   "the first %d\n", PROTECT_MAX_DIRS, PROTECT_MAX_DIRS);
#undef E
    return risks;
}
