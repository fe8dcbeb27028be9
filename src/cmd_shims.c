/* cmd_shims.c — `coco up` / `coco down`: the links that make `eslint .`
 * run the sandboxed eslint.
 *
 * Safety: `up` never replaces a file or a link it did not make, and
 * records each link it makes (its path and the identity of the link
 * itself) in $XDG_DATA_HOME/coco/links; `down` removes only recorded
 * links that are still the ones `up` made and still point to this coco,
 * never one named coco.  A link the user made by hand (`coco` itself, an
 * alias `lint -> coco`) survives `down`.
 *
 * A link in COCO_BIN_DIR stands in for every program of the same name
 * later on PATH.  That is the point for node or cargo; for the programs
 * below it is a trap, so `up` refuses those names unless the user names
 * them after --force.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "paths.h"
#include "sys.h"

/* Commands people rely on for security or recovery: a tool of that name
 * would see the passwords and passphrases typed into them, or break the
 * shell and the few commands used to look at and repair a system.  Any
 * setuid or setgid program on PATH is refused the same way (it is
 * privileged for a reason, and a user typing its name expects it). */
static const struct {
    const char *name;
    const char *why;
} protected_cmds[] = {
    {"sudo", "asks for your password and runs commands as root"},
    {"su", "asks for a password and switches users"},
    {"doas", "asks for your password and runs commands as root"},
    {"pkexec", "asks for your password and runs commands as root"},
    {"passwd", "asks for and changes your password"},
    {"login", "asks for a password and starts sessions"},
    {"newgrp", "asks for a group password and switches groups"},
    {"ssh", "handles your keys and passphrases"},
    {"scp", "handles your keys and passphrases"},
    {"sftp", "handles your keys and passphrases"},
    {"ssh-add", "handles your keys and passphrases"},
    {"ssh-agent", "holds your unlocked keys"},
    {"ssh-keygen", "makes your keys and asks for their passphrases"},
    {"gpg", "handles your keys and passphrases"},
    {"sh", "runs scripts and sessions; without it you cannot repair much"},
    {"bash", "runs scripts and sessions; without it you cannot repair much"},
    {"dash", "runs scripts; without it you cannot repair much"},
    {"zsh", "runs scripts and sessions"},
    {"fish", "runs scripts and sessions"},
    {"env", "starts the interpreter of scripts (#!/usr/bin/env)"},
    {"ls", "is how you look at a system you are repairing"},
    {"cat", "is how you look at a system you are repairing"},
    {"cp", "is how you repair a system"},
    {"mv", "is how you repair a system (and undo coco up)"},
    {"rm", "is how you repair a system (and undo coco up)"},
    {"ln", "is how you repair a system"},
    {"chmod", "is how you repair a system"},
    {"chown", "is how you repair a system"},
    {"kill", "is how you stop a runaway process"},
    {"ps", "is how you find a runaway process"},
    {"id", "tells you who you are"},
};

static const char *protected_why(const char *name)
{
    for (size_t i = 0; i < sizeof protected_cmds / sizeof *protected_cmds; i++)
        if (strcmp(protected_cmds[i].name, name) == 0)
            return protected_cmds[i].why;
    return NULL;
}

/* True when the link at PATH points to the coco binary EXE (same file). */
static bool link_is_ours(const char *path, const struct stat *exe_st)
{
    struct stat lst, tst;
    if (lstat(path, &lst) < 0 || !S_ISLNK(lst.st_mode))
        return false;
    if (stat(path, &tst) < 0)
        return false;
    return tst.st_dev == exe_st->st_dev && tst.st_ino == exe_st->st_ino;
}

/* ---- the record of links `up` made ---- */

/* One link `up` made: where, and which link (device, inode and change
 * time of the link itself), so that a link made later by hand at the
 * same path is not taken for it. */
struct link_rec {
    char *path;
    uintmax_t dev, ino;
    long long ctime_s;
    long ctime_ns;
};

struct link_record {
    char *file;  /* $XDG_DATA_HOME/coco/links */
    struct link_rec *v;
    size_t n;
    bool changed;
};

static void record_free(struct link_record *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].path);
    free(r->v);
    free(r->file);
    memset(r, 0, sizeof *r);
}

static void rec_of(struct link_rec *e, const struct stat *st)
{
    e->dev = (uintmax_t)st->st_dev;
    e->ino = (uintmax_t)st->st_ino;
    e->ctime_s = (long long)st->st_ctim.tv_sec;
    e->ctime_ns = st->st_ctim.tv_nsec;
}

static bool rec_matches(const struct link_rec *e, const struct stat *st)
{
    struct link_rec now;
    rec_of(&now, st);
    return e->dev == now.dev && e->ino == now.ino && e->ctime_s == now.ctime_s &&
           e->ctime_ns == now.ctime_ns;
}

/* Read the record; a missing one is empty.  Lines are
 * "DEV INO CTIME_S.CTIME_NS PATH"; anything else is dropped when the
 * record is written again. */
static int record_read(struct link_record *r, coco_err *err)
{
    memset(r, 0, sizeof *r);
    r->file = paths_links_file();
    _cleanup_close_ int fd = open(r->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? 0 : err_set(err, errno, "%s", r->file);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (read_fd(fd, r->file, &buf, &len, 1u << 20, err) < 0)
        return -1;
    char *save = NULL;
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        struct link_rec e = {0};
        int off = 0;
        if (sscanf(l, "%ju %ju %lld.%ld %n", &e.dev, &e.ino, &e.ctime_s,
                   &e.ctime_ns, &off) != 4 || off == 0 || l[off] != '/') {
            r->changed = true;
            continue;
        }
        r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
        e.path = xstrdup(l + off);
        r->v[r->n++] = e;
    }
    return 0;
}

static void record_drop(struct link_record *r, size_t i)
{
    free(r->v[i].path);
    memmove(r->v + i, r->v + i + 1, (r->n - i - 1) * sizeof *r->v);
    r->n--;
    r->changed = true;
}

static void record_add(struct link_record *r, const char *path, const struct stat *st)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].path, path) == 0)
            record_drop(r, i--);
    r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
    struct link_rec *e = &r->v[r->n++];
    memset(e, 0, sizeof *e);
    e->path = xstrdup(path);
    rec_of(e, st);
    r->changed = true;
}

/* Write the record back (temporary file and rename, mode 0600), or remove
 * it when it is empty. */
static int record_write(struct link_record *r, coco_err *err)
{
    if (!r->changed)
        return 0;
    if (r->n == 0) {
        if (unlink(r->file) < 0 && errno != ENOENT)
            return err_set(err, errno, "cannot remove %s", r->file);
        return 0;
    }
    _cleanup_free_ char *dir = xstrdup(r->file);
    *strrchr(dir, '/') = '\0';
    if (mkdir_parents(dir, 0700, err) < 0)
        return -1;
    _cleanup_strvec_ struct strvec lines = STRVEC_INIT;
    size_t len = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct link_rec *e = &r->v[i];
        strvec_pushf(&lines, "%ju %ju %lld.%09ld %s\n", e->dev, e->ino,
                     e->ctime_s, e->ctime_ns, e->path);
        len += strlen(lines.v[i]);
    }
    _cleanup_free_ char *data = xmalloc(len + 1);
    char *p = data;
    for (size_t i = 0; i < lines.n; i++)
        p = stpcpy(p, lines.v[i]);
    return write_file_atomic(r->file, data, len, 0600, true, err);
}

/* ---- PATH ---- */

/* Where a link in DIR stands on PATH: the entries before DIR (which win
 * over the link) and after it (which the link wins over).  When DIR is
 * not on PATH every entry counts as after: the advice is to put DIR
 * first. */
struct path_view {
    struct strvec before, after;
    bool on_path;
};

static void path_view_build(const char *dir, struct path_view *pv)
{
    memset(pv, 0, sizeof *pv);
    const char *path = getenv("PATH");
    _cleanup_free_ char *copy = xstrdup(path ? path : "");
    _cleanup_free_ char *rdir = realpath(dir, NULL);
    char *save = NULL;
    for (char *e = strtok_r(copy, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
        _cleanup_free_ char *re = realpath(e, NULL);
        if (streq(e, dir) || (re && rdir && strcmp(re, rdir) == 0)) {
            pv->on_path = true;
            continue; /* a second mention of DIR is the same directory */
        }
        strvec_push(pv->on_path ? &pv->after : &pv->before, e);
    }
    if (!pv->on_path) {
        strvec_pushv(&pv->after, pv->before.v);
        strvec_clear(&pv->before);
    }
}

static void path_view_free(struct path_view *pv)
{
    strvec_clear(&pv->before);
    strvec_clear(&pv->after);
}

/* The first executable NAME in the entries of SV, or NULL. */
static char *find_exec(const struct strvec *sv, const char *name)
{
    for (size_t i = 0; i < sv->n; i++) {
        char *cand = path_join(sv->v[i], name);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
    }
    return NULL;
}

/* A setuid or setgid NAME anywhere on PATH (before or after the link:
 * PATH orders change between shells), or NULL. */
static char *find_privileged(const struct path_view *pv, const char *name)
{
    const struct strvec *all[] = {&pv->before, &pv->after};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < all[k]->n; i++) {
            char *cand = path_join(all[k]->v[i], name);
            struct stat st;
            if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
                (st.st_mode & (S_ISUID | S_ISGID)))
                return cand;
            free(cand);
        }
    return NULL;
}

/* Why a link named NAME is refused without --force, as one line into
 * BUF, or NULL when it may be made. */
static const char *shadow_refusal(const struct path_view *pv, const char *name,
                                  const char *shadowed, char *buf, size_t len)
{
    _cleanup_free_ char *priv = find_privileged(pv, name);
    const char *why = protected_why(name);
    if (priv)
        snprintf(buf, len, "it would stand in for %s, which is setuid or "
                           "setgid (a privileged program)", priv);
    else if (why)
        snprintf(buf, len, "it would stand in for %s, which %s",
                 shadowed ? shadowed : name, why);
    else
        return NULL;
    return buf;
}

/* The configured tools, without "coco" itself (a link named coco would
 * be this binary, not a tool). */
static int tool_names(struct strvec *out, coco_err *err)
{
    _cleanup_free_ char *dir = paths_tools_dir();
    if (config_list(dir, out, err) < 0)
        return -1;
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->v[i], "coco") == 0) {
            free(out->v[i]);
            memmove(out->v + i, out->v + i + 1, (out->n - i) * sizeof *out->v);
            out->n--;
            break;
        }
    return 0;
}

/* `coco up [--force NAME...]`: the names after --force are linked even
 * when they would stand in for a protected or privileged program. */
static int up_args(int argc, char **argv, const struct strvec *names,
                   struct strvec *forced)
{
    int i = 1;
    if (i < argc && strcmp(argv[i], "--force") == 0) {
        if (++i >= argc)
            return coco_fail("up: --force needs the NAMEs to link anyway "
                             "(usage: coco up [--force NAME...])");
        for (; i < argc; i++) {
            if (!strvec_contains(names, argv[i]))
                return coco_fail("up: --force %s: no configured tool has that "
                                 "name (`coco list` shows them)", argv[i]);
            strvec_push(forced, argv[i]);
        }
    }
    if (i < argc)
        return coco_fail("up: unknown argument \"%s\" (usage: coco up "
                         "[--force NAME...])", argv[i]);
    return 0;
}

/* Link NAME in DIR to EXE, unless something is there already or the
 * name is refused.  Returns 0, or EXIT_COCO when NAME was not linked. */
static int up_one(const char *dir, const char *name, const char *exe,
                  const struct stat *exe_st, const struct path_view *pv,
                  bool forced, struct link_record *rec)
{
    _cleanup_free_ char *link = path_join(dir, name);
    _cleanup_free_ char *earlier = find_exec(&pv->before, name);
    _cleanup_free_ char *shadowed = find_exec(&pv->after, name);
    struct stat st;
    if (lstat(link, &st) == 0) {
        if (!link_is_ours(link, exe_st)) {
            warn("%s exists and is not a coco link; leaving it alone", link);
            return EXIT_COCO;
        }
        printf("%s: already linked\n", name);
    } else {
        char buf[PATH_MAX + 256];
        const char *why = shadow_refusal(pv, name, shadowed, buf, sizeof buf);
        if (why && !forced) {
            coco_fail("up: not linking %s: %s; if you mean it, run `coco up "
                      "--force %s`", link, why, name);
            return EXIT_COCO;
        }
        if (symlink(exe, link) < 0 || lstat(link, &st) < 0) {
            coco_fail("up: cannot create %s: %s", link, strerror(errno));
            return EXIT_COCO;
        }
        record_add(rec, link, &st);
        _cleanup_free_ char *el = str_escape(link), *ee = str_escape(exe);
        printf("%s -> %s\n", el, ee);
    }
    if (earlier)
        warn("%s shadows %s: `%s` runs the unsandboxed program; put %s "
             "earlier in PATH", earlier, link, name, dir);
    else if (shadowed && pv->on_path)
        warn("%s now runs the sandboxed tool instead of %s", name, shadowed);
    else if (shadowed)
        warn("%s would run the sandboxed tool instead of %s once %s is on "
             "PATH", name, shadowed, dir);
    return 0;
}

int cmd_up(int argc, char **argv)
{
    coco_err err = {0};
    _cleanup_free_ char *exe = paths_self_exe();
    _cleanup_free_ char *dir = paths_bin_dir();
    _cleanup_strvec_ struct strvec names = STRVEC_INIT;
    _cleanup_strvec_ struct strvec forced = STRVEC_INIT;
    struct stat exe_st;
    if (tool_names(&names, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    if (up_args(argc, argv, &names, &forced) != 0)
        return EXIT_COCO;
    if (stat(exe, &exe_st) < 0)
        return coco_fail("up: cannot find this coco binary (%s): %s", exe,
                         strerror(errno));
    /* The record holds one path per line. */
    for (const char *c = dir; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return coco_fail("COCO_BIN_DIR: \"%s\" holds a control character; "
                             "choose a plain directory", dir);
    struct link_record rec;
    if (record_read(&rec, &err) < 0 || mkdir_parents(dir, 0755, &err) < 0) {
        err_print(&err);
        record_free(&rec);
        return EXIT_COCO;
    }
    struct path_view pv;
    path_view_build(dir, &pv);
    int refused = 0;
    for (size_t i = 0; i < names.n; i++)
        refused += up_one(dir, names.v[i], exe, &exe_st, &pv,
                          strvec_contains(&forced, names.v[i]), &rec) != 0;
    if (!pv.on_path)
        warn("%s is not on PATH; add it (e.g. export PATH=\"%s:$PATH\") so the "
             "tool names run coco", dir, dir);
    path_view_free(&pv);
    int r = record_write(&rec, &err);
    record_free(&rec);
    if (r < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    if (fflush(stdout) != 0)
        return EXIT_COCO;
    return refused ? EXIT_COCO : 0;
}

int cmd_down(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return coco_fail("usage: coco down");
    coco_err err = {0};
    _cleanup_free_ char *exe = paths_self_exe();
    struct stat exe_st;
    if (stat(exe, &exe_st) < 0)
        return coco_fail("down: cannot find this coco binary (%s): %s", exe,
                         strerror(errno));
    struct link_record rec;
    if (record_read(&rec, &err) < 0) {
        err_print(&err);
        record_free(&rec);
        return EXIT_COCO;
    }
    int failed = 0;
    for (size_t i = 0; i < rec.n;) {
        const char *link = rec.v[i].path;
        const char *base = strrchr(link, '/');
        struct stat st;
        if (strcmp(base ? base + 1 : link, "coco") == 0 || lstat(link, &st) < 0) {
            /* Never coco itself; a link that is gone is forgotten. */
            record_drop(&rec, i);
            continue;
        }
        if (!rec_matches(&rec.v[i], &st)) {
            /* Someone made another file or link there since. */
            if (link_is_ours(link, &exe_st)) {
                _cleanup_free_ char *el = str_escape(link);
                printf("kept %s: a link to coco that coco up did not make\n", el);
            }
            record_drop(&rec, i);
            continue;
        }
        if (!link_is_ours(link, &exe_st)) {
            /* Made by up, but of another coco: that one's down removes it. */
            i++;
            continue;
        }
        if (unlink(link) < 0) {
            coco_fail("down: cannot remove %s: %s", link, strerror(errno));
            failed++;
            i++;
            continue;
        }
        _cleanup_free_ char *el = str_escape(link);
        printf("removed %s\n", el);
        record_drop(&rec, i);
    }
    if (record_write(&rec, &err) < 0) {
        err_print(&err);
        failed++;
    }
    record_free(&rec);
    if (fflush(stdout) != 0)
        return EXIT_COCO;
    return failed ? EXIT_COCO : 0;
}
