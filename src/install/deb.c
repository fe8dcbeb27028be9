/* deb.c — the deb: driver: Debian packages from the host's configured
 * apt mirrors, for a user without root, and no maintainer script ever.
 *
 * F  apt-get install --download-only --reinstall --no-install-recommends
 *        NAME   (or NAME=VERSION ... from the recorded lock)
 *    apt resolves against the host's own dpkg status (mounted read-only
 *    with the package lists): it fetches the package and those of its
 *    Depends/Pre-Depends the host lacks (or has too old), nothing the
 *    host has.  Its resolver honours versions, alternatives and virtual
 *    packages, which `apt-cache depends --recurse` only lists.  apt checks
 *    the archive's signatures and each file's hash (never
 *    --allow-unauthenticated); the downloads land in the tool's own cache
 *    (archives/), which is emptied of older .debs first.  Egress: only the
 *    mirrors of /etc/apt/sources.list* (apt.c), through coco's proxy
 *    (apt reads http_proxy).
 * B  find ARCHIVES -maxdepth 1 -type f -name *.deb
 *         -exec dpkg-deb -x {} /opt/coco/env ;
 *    no network; dpkg-deb -x unpacks the data only: no preinst, no
 *    postinst, no triggers.
 * The lock (deb-lock.json, in the root and beside it) lists every .deb
 * with package, version, architecture, file name and SHA-256; `coco
 * install TOOL` reinstalls those versions, offline when the cache still
 * holds them, and refuses a cached file whose bytes differ from the
 * lock's. */
#include "install_int.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys.h"

#define DEB_LOCK "deb-lock.json"
#define DEB_ARCHIVES "archives"
#define DEB_ARCHIVES_MOUNT INSTALL_CACHE_MOUNT "/" DEB_ARCHIVES

#if defined(__x86_64__)
#define DEB_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define DEB_MULTIARCH "aarch64-linux-gnu"
#else
#define DEB_MULTIARCH "unknown-linux-gnu"
#endif

static bool name_ok(const char *s)
{
    /* Debian policy 5.6.1: [a-z0-9][a-z0-9.+-]+ */
    size_t n = strlen(s);
    if (n < 2 || n > 128 || !(islower((unsigned char)s[0]) ||
                              isdigit((unsigned char)s[0])))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
              strchr(".+-", s[i])))
            return false;
    return true;
}

static bool version_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || strchr(".+-~:", s[i])))
            return false;
    return true;
}

static bool arch_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
              s[i] == '-'))
            return false;
    return true;
}

int deb_file_parse(const char *file, char **name, char **version, char **arch)
{
    size_t fl = strlen(file);
    if (fl < 9 || fl > 300 || strcmp(file + fl - 4, ".deb") != 0)
        return -1;
    _cleanup_free_ char *base = xstrndup(file, fl - 4);
    char *u1 = strchr(base, '_');
    char *u2 = strrchr(base, '_');
    if (!u1 || u1 == u2)
        return -1;
    *u1 = *u2 = '\0';
    /* the version, url-decoded: apt writes ':' as "%3a" */
    char ver[200];
    size_t o = 0;
    for (const char *p = u1 + 1; *p; p++) {
        if (o + 1 >= sizeof ver)
            return -1;
        if (p[0] == '%' && (strncmp(p, "%3a", 3) == 0 ||
                            strncmp(p, "%3A", 3) == 0)) {
            ver[o++] = ':';
            p += 2;
        } else if (*p == '%') {
            return -1;
        } else {
            ver[o++] = *p;
        }
    }
    ver[o] = '\0';
    if (!name_ok(base) || !version_ok(ver) || !arch_ok(u2 + 1))
        return -1;
    *name = xstrdup(base);
    *version = xstrdup(ver);
    *arch = xstrdup(u2 + 1);
    return 0;
}

char *deb_version_dirname(const char *version)
{
    if (!version || !version_ok(version))
        return NULL;
    char *v = xstrdup(version);
    for (char *p = v; *p; p++)
        if (*p == ':' || *p == '~')
            *p = '_';
    return v;
}

/* The lock in the tree at ROOTFD: its "packages" array (checked), or
 * NULL with ERR set; 0 in *ABSENT when there is no lock at all. */
static json_t *lock_load(int rootfd, bool *absent, coco_err *err)
{
    if (absent)
        *absent = false;
    _cleanup_close_ int fd = openat(rootfd, DEB_LOCK, O_RDONLY | O_NOFOLLOW |
                                    O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && absent)
            *absent = true;
        err_set(err, errno, DEB_LOCK ": cannot open it");
        return NULL;
    }
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (read_fd(fd, DEB_LOCK, &text, &len, 4u << 20, err) < 0)
        return NULL;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    json_t *pk = json_object_get(root, "packages");
    if (!json_is_array(pk) || !json_array_size(pk)) {
        json_decref(root);
        err_set(err, 0, DEB_LOCK ": not a lock coco wrote (no \"packages\")");
        return NULL;
    }
    size_t i;
    json_t *e;
    json_array_foreach(pk, i, e) {
        const char *n = json_string_value(json_object_get(e, "package"));
        const char *v = json_string_value(json_object_get(e, "version"));
        const char *a = json_string_value(json_object_get(e, "architecture"));
        const char *f = json_string_value(json_object_get(e, "filename"));
        const char *h = json_string_value(json_object_get(e, "sha256"));
        char *pn = NULL, *pv = NULL, *pa = NULL;
        bool ok = n && v && a && f && h && strlen(h) == 64 &&
                  strspn(h, "0123456789abcdef") == 64 &&
                  deb_file_parse(f, &pn, &pv, &pa) == 0 && streq(pn, n) &&
                  streq(pv, v) && streq(pa, a);
        free(pn);
        free(pv);
        free(pa);
        if (!ok) {
            json_decref(root);
            err_set(err, 0, DEB_LOCK ": packages[%zu] is not a package "
                    "coco recorded (package, version, architecture, "
                    "filename, sha256)", i);
            return NULL;
        }
    }
    json_incref(pk);
    json_decref(root);
    return pk;
}

/* The .deb files in the directory open at DIRFD, sorted. */
static int list_debs(int dirfd, struct strvec *out, coco_err *err)
{
    int dfd = dup(dirfd);
    DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return err_set(err, errno, "install: read the download cache");
    }
    rewinddir(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] != '.' && l > 4 &&
            strcmp(de->d_name + l - 4, ".deb") == 0)
            strvec_push(out, de->d_name);
    }
    closedir(d);
    strvec_sort(out);
    return 0;
}

static int open_archives(int cachefd, coco_err *err)
{
    int fd = openat(cachefd, DEB_ARCHIVES, O_RDONLY | O_DIRECTORY |
                    O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        err_set(err, errno, "install: the download cache has no %s/",
                DEB_ARCHIVES);
    return fd;
}

int deb_prepare(int rootfd, int cachefd, bool from_lock, coco_err *err)
{
    if ((mkdirat(cachefd, DEB_ARCHIVES, 0700) < 0 && errno != EEXIST))
        return err_set(err, errno, "install: create the download cache's "
                       DEB_ARCHIVES "/");
    _cleanup_close_ int afd = open_archives(cachefd, err);
    if (afd < 0)
        return -1;
    if (mkdirat(afd, "partial", 0700) < 0 && errno != EEXIST)
        return err_set(err, errno, "install: create the download cache's "
                       DEB_ARCHIVES "/partial/");
    json_t *lock = NULL;
    if (from_lock && !(lock = lock_load(rootfd, NULL, err)))
        return -1;
    _cleanup_strvec_ struct strvec have = STRVEC_INIT;
    if (list_debs(afd, &have, err) < 0) {
        json_decref(lock);
        return -1;
    }
    /* what this install does not name goes: B unpacks every .deb here */
    size_t i, cached = 0;
    json_t *e;
    for (size_t k = 0; k < have.n; k++) {
        bool keep = false;
        json_array_foreach(lock, i, e)
            if (streq(json_string_value(json_object_get(e, "filename")),
                      have.v[k]))
                keep = true;
        if (keep)
            cached++;
        else if (unlinkat(afd, have.v[k], 0) < 0 && errno != ENOENT) {
            json_decref(lock);
            return err_set(err, errno, "install: remove the old download "
                           "%s", have.v[k]);
        }
    }
    int r = lock && cached == json_array_size(lock) ? 1 : 0;
    json_decref(lock);
    return r;
}

int deb_fetch_argv(const struct tool_spec *ts, int rootfd, bool from_lock,
                   struct strvec *argv, coco_err *err)
{
    struct strvec locked = STRVEC_INIT;  /* "PACKAGE VERSION" */
    if (from_lock && deb_lock_list(rootfd, &locked, err) < 0)
        return -1;
    strvec_push(argv, "apt-get");
    strvec_push(argv, "install");
    strvec_push(argv, "--download-only");
    strvec_push(argv, "--reinstall");
    strvec_push(argv, "--no-install-recommends");
    strvec_push(argv, "--yes");
    strvec_push(argv, "--quiet");
    /* the host's lists and status, read-only; the tool's own cache */
    strvec_push(argv, "-oDebug::NoLocking=true");
    strvec_push(argv, "-oDir::Cache=" INSTALL_CACHE_MOUNT);
    strvec_push(argv, "-oDir::Cache::archives=" DEB_ARCHIVES_MOUNT "/");
    strvec_push(argv, "-oDir::Cache::pkgcache=");
    strvec_push(argv, "-oDir::Cache::srcpkgcache=");
    /* in the sandbox there is no _apt user to drop to */
    strvec_push(argv, "-oAPT::Sandbox::User=root");
    /* signatures and hashes checked, whatever the host's apt.conf says */
    strvec_push(argv, "-oAPT::Get::AllowUnauthenticated=false");
    strvec_push(argv, "-oAcquire::AllowInsecureRepositories=false");
    strvec_push(argv, "-oAcquire::AllowDowngradeToInsecureRepositories=false");
    /* an unreachable mirror fails fast */
    strvec_push(argv, "-oAcquire::Retries=0");
    strvec_push(argv, "-oAcquire::http::Timeout=20");
    strvec_push(argv, "-oAcquire::https::Timeout=20");
    strvec_push(argv, "--");
    if (from_lock) {
        /* exactly the versions recorded: apt's PACKAGE=VERSION */
        for (size_t i = 0; i < locked.n; i++) {
            *strchr(locked.v[i], ' ') = '=';
            strvec_push(argv, locked.v[i]);
        }
        strvec_clear(&locked);
    } else if (ts->version) {
        strvec_pushf(argv, "%s=%s", ts->name, ts->version);
    } else {
        strvec_push(argv, ts->name);
    }
    return 0;
}

void deb_build_argv(const struct strvec *names, struct strvec *argv)
{
    (void)names;
    const char *const a[] = {
        "find", DEB_ARCHIVES_MOUNT, "-maxdepth", "1", "-type", "f",
        "-name", "*.deb", "-exec", "dpkg-deb", "-x", "{}", INSTALL_MOUNT,
        ";", NULL,
    };
    for (size_t i = 0; a[i]; i++)
        strvec_push(argv, a[i]);
}

int deb_check_lock(int rootfd, int cachefd, const struct install_lockcheck *lc,
                   struct strvec *scripts, coco_err *err)
{
    (void)lc;      /* the mirrors were phase F's allowlist; the lock names
                      files, not URLs */
    (void)scripts; /* maintainer scripts never run */
    _cleanup_close_ int afd = open_archives(cachefd, err);
    if (afd < 0)
        return -1;
    _cleanup_strvec_ struct strvec files = STRVEC_INIT;
    if (list_debs(afd, &files, err) < 0)
        return -1;
    if (!files.n)
        return err_set(err, 0, "apt downloaded no package");
    bool absent;
    coco_err lerr = {0};
    json_t *want = lock_load(rootfd, &absent, &lerr);
    if (!want && !absent) {
        *err = lerr;
        return -1;
    }
    json_t *pk = json_array();
    int ret = -1;
    for (size_t k = 0; k < files.n; k++) {
        char *n = NULL, *v = NULL, *a = NULL;
        _cleanup_free_ char *en = str_escape(files.v[k]);
        if (deb_file_parse(files.v[k], &n, &v, &a) < 0) {
            err_set(err, 0, "apt downloaded %s: not a NAME_VERSION_ARCH.deb "
                    "name", en);
            goto out;
        }
        _cleanup_close_ int fd = openat(afd, files.v[k], O_RDONLY |
                                        O_NOFOLLOW | O_CLOEXEC);
        uint8_t d[32];
        char hex[65];
        if (fd < 0 || sha256_fd(fd, d, err) < 0) {
            if (!err->msg[0])
                err_set(err, errno, "%s: cannot read it", en);
            free(n), free(v), free(a);
            goto out;
        }
        sha256_hex(d, hex);
        json_t *e = json_object();
        json_object_set_new(e, "package", json_string(n));
        json_object_set_new(e, "version", json_string(v));
        json_object_set_new(e, "architecture", json_string(a));
        json_object_set_new(e, "filename", json_string(files.v[k]));
        json_object_set_new(e, "sha256", json_string(hex));
        json_array_append_new(pk, e);
        free(n), free(v), free(a);
    }
    if (want) {
        /* a reinstall: exactly the recorded files, byte for byte */
        size_t i;
        json_t *w;
        json_array_foreach(want, i, w) {
            const char *f = json_string_value(json_object_get(w, "filename"));
            const char *h = json_string_value(json_object_get(w, "sha256"));
            _cleanup_free_ char *ef = str_escape(f);
            bool found = false;
            size_t j;
            json_t *g;
            json_array_foreach(pk, j, g)
                if (streq(json_string_value(json_object_get(g, "filename")),
                          f)) {
                    found = true;
                    const char *gh = json_string_value(json_object_get(g,
                                                                "sha256"));
                    if (!streq(gh, h)) {
                        err_set(err, 0, "%s/%s: its SHA-256 is %s, the "
                                "lock says %s; not unpacking it (remove it "
                                "from the cache and run `coco install` "
                                "again, or --upgrade to resolve anew)",
                                DEB_ARCHIVES, ef, gh, h);
                        goto out;
                    }
                }
            if (!found) {
                err_set(err, 0, "apt did not download %s, which the lock "
                        "names (the mirror may no longer carry that "
                        "version: --upgrade resolves anew)", ef);
                goto out;
            }
        }
        if (json_array_size(pk) != json_array_size(want)) {
            err_set(err, 0, "apt downloaded more packages than the lock "
                    "names (the host lacks more of them now); --upgrade "
                    "resolves anew");
            goto out;
        }
    } else {
        json_t *root = json_object();
        json_object_set_new(root, "version", json_integer(1));
        json_object_set(root, "packages", pk);
        _cleanup_free_ char *text = json_dumps(root, JSON_INDENT(1) |
                                               JSON_PRESERVE_ORDER);
        json_decref(root);
        _cleanup_close_ int fd = openat(rootfd, DEB_LOCK, O_WRONLY |
                                        O_CREAT | O_EXCL | O_NOFOLLOW |
                                        O_CLOEXEC, 0644);
        if (fd < 0 || write_all_fd(fd, text, strlen(text)) < 0 ||
            write_all_fd(fd, "\n", 1) < 0) {
            err_set(err, errno, "install: write " DEB_LOCK);
            goto out;
        }
    }
    ret = 0;
out:
    json_decref(pk);
    json_decref(want);
    return ret;
}

int deb_version(int rootfd, const struct tool_spec *ts, char **out,
                coco_err *err)
{
    json_t *lock = lock_load(rootfd, NULL, err);
    if (!lock)
        return -1;
    size_t i;
    json_t *e;
    const char *v = NULL;
    json_array_foreach(lock, i, e)
        if (streq(json_string_value(json_object_get(e, "package")), ts->name))
            v = json_string_value(json_object_get(e, "version"));
    *out = v ? deb_version_dirname(v) : NULL;
    json_decref(lock);
    if (!*out)
        return err_set(err, 0, DEB_LOCK ": no version of %s (apt did not "
                       "download it)", ts->name);
    return 0;
}

int deb_find_hosts(struct strvec *hosts, coco_err *err)
{
    return apt_mirror_hosts("/etc/apt", hosts, err);
}

void deb_run_env(int rootfd, struct strvec *env)
{
    struct stat st;
    const char *const dirs[][2] = {
        {"LD_LIBRARY_PATH", "usr/lib/" DEB_MULTIARCH},
        {"PYTHONPATH", "usr/lib/python3/dist-packages"},
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (fstatat(rootfd, dirs[i][1], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISDIR(st.st_mode))
            strvec_pushf(env, "%s=%s", dirs[i][0], dirs[i][1]);
}

int deb_lock_list(int dirfd, struct strvec *out, coco_err *err)
{
    json_t *pk = lock_load(dirfd, NULL, err);
    if (!pk)
        return -1;
    size_t i;
    json_t *e;
    json_array_foreach(pk, i, e)
        strvec_pushf(out, "%s %s",
                     json_string_value(json_object_get(e, "package")),
                     json_string_value(json_object_get(e, "version")));
    json_decref(pk);
    strvec_sort(out);
    return 0;
}
