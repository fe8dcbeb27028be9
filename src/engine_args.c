/* engine_args.c — the allowlist of engine options a config may add.
 *
 * podman_args used to be vetted by a denylist, and attackers walked past
 * it: "--pid=ns:/proc/1/ns/pid" joined the host's processes, a relative
 * "--security-opt=seccomp=prof.json" replaced the filter with one from
 * the project, "--conmon-pidfile" and "--log-opt=path=" wrote host files,
 * "--env=*" copied the host's environment.  podman and docker have well
 * over a hundred run options and add more every release; a list of the
 * bad ones is never finished.  So the table below is the other way round:
 * a few options whose worst case we have thought through, each with a
 * value grammar strict enough that the value cannot name a path, a
 * namespace, another container or another option.  Anything not in it is
 * refused, naming the config key to use where one exists.
 *
 * Left out on purpose: --ulimit (in podman 4.3 one --ulimit replaces all
 * of containers.conf's default_ulimits, so "core=0" lifts nproc to
 * 1048576), --stop-signal and --stop-timeout (coco stops the tool at its
 * limits itself), --annotation (the OCI runtime acts on annotations),
 * --platform (runs binaries of another architecture through the host's
 * binfmt handlers), --memory-reservation (nothing a tool needs).
 */
#include "engine_args.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ---- value grammars ---- */

/* A decimal number without sign or leading zeros, at most MAX. */
static bool plain_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (s[0] == '0' && s[1])
        return false;
    return parse_uint(s, max, out) == 0;
}

static bool chars_in(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || strchr(extra, s[i])))
            return false;
    return true;
}

/* Label keys the engines, the OCI runtime or coco itself act on: podman
 * reads io.containers.* (auto-update pulls and restarts, capabilities),
 * PODMAN_SYSTEMD_UNIT names the unit auto-update restarts, crun reads
 * run.oci.*, docker and compose read com.docker.*, and coco may find its
 * own containers by coco.* labels.  Compared without case. */
static const char *const reserved_label_prefixes[] = {
    "io.containers.", "io.podman.", "io.buildah.", "podman", "run.oci.",
    "com.docker.", "org.opencontainers.", "io.kubernetes.", "io.k8s.",
    "io.cri-o.", "coco.", "io.coco.", NULL,
};

static const char *check_label(const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq)
        return "expected KEY=VALUE";
    size_t kl = (size_t)(eq - v);
    if (kl == 0 || kl > 128 || !isalpha((unsigned char)v[0]) ||
        !chars_in(v, kl, "._-"))
        return "the key must start with a letter and hold only letters, "
               "digits and . _ - (at most 128)";
    for (const char *const *r = reserved_label_prefixes; *r; r++)
        if (strncasecmp(v, *r, strlen(*r)) == 0)
            return "keys in the engines' and coco's own namespaces "
                   "(io.containers., io.podman., podman..., run.oci., "
                   "com.docker., org.opencontainers., io.kubernetes., "
                   "coco. ...) change what the engine or coco does";
    if (strlen(eq + 1) > 256 || !chars_in(eq + 1, strlen(eq + 1), "._-:/@+="))
        return "the value may hold only letters, digits and . _ - : / @ + = "
               "(at most 256)";
    return NULL;
}

static const char *check_tz(const char *v)
{
    if (strcasecmp(v, "local") == 0)
        return "\"local\" copies the host's own /etc/localtime; name the "
               "zone, like Europe/Berlin";
    if (strlen(v) > 64)
        return "longer than 64 characters";
    int parts = 0;
    for (const char *p = v;; parts++) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        /* Starts with a letter: no "..", no empty part, no leading '/'. */
        if (n == 0 || n > 30 || !isalpha((unsigned char)p[0]) ||
            !chars_in(p, n, "_+-"))
            return "a zone name like UTC, Europe/Berlin or Etc/GMT-2 "
                   "(letters, digits, _ + -, parts separated by '/')";
        if (!slash)
            break;
        p = slash + 1;
    }
    if (parts + 1 > 3)
        return "a zone name has at most three parts";
    return NULL;
}

#define SHM_MAX (64ULL << 30)

static const char *check_shm_size(const char *v)
{
    size_t n = strspn(v, "0123456789");
    uint64_t bytes;
    /* Digits and at most one unit letter: the form both engines read
     * alike (they also take "1.5g", "1GiB", "1 g"). */
    if (n == 0 || n > 12 || v[0] == '0' ||
        (v[n] && (!strchr("kmg", v[n]) || v[n + 1])) ||
        parse_size(v, &bytes) < 0)
        return "a size like 64m or 1g (a number, then k, m or g)";
    if (bytes > SHM_MAX)
        return "larger than 64g";
    return NULL;
}

/* A host name (no wildcard, no IP literal), at most MAX characters. */
static const char *host_name_check(const char *s, size_t max)
{
    if (strlen(s) > max)
        return "host name too long";
    if (strchr(s, '*'))
        return "host names may hold only letters, digits, '-' and '.'";
    return host_pattern_check(s);
}

static const char *check_add_host(const char *v)
{
    const char *colon = strchr(v, ':');
    if (!colon)
        return "expected NAME:IP";
    _cleanup_free_ char *name = xstrndup(v, (size_t)(colon - v));
    const char *why = host_name_check(name, 253);
    if (why)
        return why;
    /* An address literal only: "host-gateway" would be the host itself. */
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, colon + 1, &a4) != 1 &&
        inet_pton(AF_INET6, colon + 1, &a6) != 1)
        return "the address must be an IP literal like 127.0.0.1 or ::1 "
               "(not host-gateway)";
    return NULL;
}

static const char *check_hostname(const char *v)
{
    /* The kernel keeps at most 64 bytes of a host name. */
    return host_name_check(v, 63);
}

static const char *check_cpu_shares(const char *v)
{
    uint64_t n;
    if (!plain_uint(v, 1024, &n) || n < 2)
        return "a number from 2 to 1024 (1024 is the default weight)";
    return NULL;
}

/* ---- the table ---- */

const struct engine_opt engine_opts[] = {
    {"--label", "-l", ENG_PODMAN | ENG_DOCKER, check_label, "KEY=VALUE",
     "label on the container (metadata; programs that watch the engine, "
     "such as traefik or watchtower, may act on labels)", true,
     "metadata the engine stores; keys in the engines' and coco's own "
     "namespaces are refused because those act on them"},
    {"--tz", NULL, ENG_PODMAN, check_tz, "ZONE",
     "time zone of the container's clock", false,
     "a zone name, never a path or \"local\": podman copies that zone "
     "from the host's /usr/share/zoneinfo"},
    {"--shm-size", NULL, ENG_PODMAN | ENG_DOCKER, check_shm_size, "SIZE",
     "size of /dev/shm (counted in the memory limit)", false,
     "/dev/shm is a tmpfs whose pages count in the container's memory "
     "limit; at most 64g"},
    {"--add-host", NULL, ENG_PODMAN | ENG_DOCKER, check_add_host, "NAME:IP",
     "an /etc/hosts entry inside the container", false,
     "changes only the tool's own name lookups; it opens no route, and an "
     "IP literal is required (host-gateway, the host itself, is not one)"},
    {"--hostname", "-h", ENG_PODMAN | ENG_DOCKER, check_hostname, "NAME",
     "the container's host name", false,
     "set in the container's own UTS namespace, never the host's"},
    {"--cpu-shares", "-c", ENG_PODMAN | ENG_DOCKER, check_cpu_shares, "2-1024",
     "CPU weight when CPUs are busy (1024 is the default)", false,
     "at most the default weight: it can only lower the tool's share"},
};
const size_t n_engine_opts = sizeof engine_opts / sizeof *engine_opts;

/* Refused options worth a word more than "not on the allowlist": the
 * config key that does it properly, or why a plausible option is left
 * out. */
static const struct {
    const char *opt;
    const char *key;  /* use this config key instead, or NULL */
    const char *why;  /* else: why it is refused */
} refused_hints[] = {
    {"-e", "env", NULL}, {"--env", "env", NULL}, {"--env-file", "env", NULL},
    {"--env-merge", "env", NULL}, {"--env-host", "env_passthrough", NULL},
    {"-v", "mounts", NULL}, {"--volume", "mounts", NULL},
    {"--mount", "mounts", NULL}, {"--tmpfs", "mounts", NULL},
    {"-p", "ports", NULL}, {"--publish", "ports", NULL}, {"-P", "ports", NULL},
    {"--publish-all", "ports", NULL}, {"--expose", "ports", NULL},
    {"-w", "workdir", NULL}, {"--workdir", "workdir", NULL},
    {"--entrypoint", "command", NULL},
    {"--network", "network", NULL}, {"--net", "network", NULL},
    {"--pull", "image", NULL},
    {"-m", "limits.memory", NULL}, {"--memory", "limits.memory", NULL},
    {"--memory-swap", "limits.memory", NULL},
    {"--pids-limit", "limits.pids", NULL},
    {"--cpus", "limits.cpus", NULL}, {"--cpu-quota", "limits.cpus", NULL},
    {"--cpu-period", "limits.cpus", NULL},
    {"--timeout", "limits.timeout", NULL},
    {"--privileged", NULL, "it gives the container every capability and "
                           "every host device"},
    {"--security-opt", NULL, "it would replace coco's seccomp, AppArmor, "
                             "SELinux or no-new-privileges settings"},
    {"--annotation", NULL, "annotations configure the OCI runtime "
                           "(run.oci.*, io.kubernetes.*)"},
    /* Seen in podman 4.3: one --ulimit replaces every default_ulimits
     * entry of containers.conf, and nproc then defaults to 1048576. */
    {"--ulimit", NULL, "one --ulimit makes podman drop every default "
                       "limit of containers.conf, nproc included"},
    {"--stop-signal", NULL, "coco stops the tool at its limits; a signal "
                            "the tool ignores would stretch that"},
};

static const struct engine_opt *find_opt(const char *name, size_t n)
{
    for (size_t i = 0; i < n_engine_opts; i++) {
        const struct engine_opt *o = &engine_opts[i];
        if ((strlen(o->name) == n && strncmp(o->name, name, n) == 0) ||
            (o->alias && strlen(o->alias) == n && strncmp(o->alias, name, n) == 0))
            return o;
    }
    return NULL;
}

static int refuse(coco_err *err, const char *entry, const char *why)
{
    /* At most 64 characters of the entry: the message stays one short
     * line whatever the config holds (err_set masks control characters). */
    return err_set(err, 0, "\"%.64s%s\" is refused: %s", entry,
                   strlen(entry) > 64 ? "..." : "", why);
}

/* ENTRY's option (its first NL characters) is not in the table. */
static int refuse_unknown(coco_err *err, const char *entry, size_t nl)
{
    char list[256] = "";
    for (size_t i = 0; i < n_engine_opts; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "",
                 engine_opts[i].name);
    }
    char why[512], hint[160] = "";
    for (size_t i = 0; i < sizeof refused_hints / sizeof *refused_hints; i++) {
        if (strlen(refused_hints[i].opt) != nl ||
            strncmp(refused_hints[i].opt, entry, nl) != 0)
            continue;
        if (refused_hints[i].key)
            snprintf(hint, sizeof hint, "; use the config key \"%s\" instead",
                     refused_hints[i].key);
        else
            snprintf(hint, sizeof hint, "; %s", refused_hints[i].why);
    }
    snprintf(why, sizeof why, "coco allows only these engine options in "
             "podman_args: %s (see coco.json(5))%s", list, hint);
    return refuse(err, entry, why);
}

int engine_args_vet(char *const *args, size_t n, struct strvec *out,
                    size_t *bad, coco_err *err)
{
    /* Into OUT only when every entry passed: nothing half-vetted. */
    _cleanup_strvec_ struct strvec vetted = STRVEC_INIT;
    for (size_t i = 0; i < n; i++) {
        const char *a = args[i];
        *bad = i;
        if (a[0] != '-' || a[1] == '\0')
            return refuse(err, a, "is not an option; podman_args holds only "
                                  "engine options, like \"--label=KEY=VALUE\"");
        /* "-it", "-lfoo": a cluster could hide an option, and a glued
         * value is read differently by different parsers. */
        if (a[1] != '-' && a[2] != '\0' && a[2] != '=')
            return refuse(err, a, "combined short options, or a value glued "
                                  "to a short option, are not accepted; "
                                  "write \"-l\", \"VALUE\" as two entries");
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        const struct engine_opt *o = find_opt(a, nl);
        if (!o)
            return refuse_unknown(err, a, nl);
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= n) {
                char why[128];
                snprintf(why, sizeof why, "needs a value (%s %s)", o->name,
                         o->grammar);
                return refuse(err, a, why);
            }
            value = args[++i];
        }
        /* A value that is itself an option: the config meant to smuggle
         * it in, or lost track of its entries. */
        const char *bad_value = value[0] == '-' ? "is an option, not a value"
                                                : o->check(value);
        if (bad_value) {
            char why[512];
            snprintf(why, sizeof why, "the value \"%.64s\" of %s: %s (%s %s)",
                     value, o->name, bad_value, o->name, o->grammar);
            return refuse(err, a, why);
        }
        strvec_pushf(&vetted, "%s=%s", o->name, value);
    }
    for (size_t i = 0; i < vetted.n; i++)
        strvec_push(out, vetted.v[i]);
    return 0;
}

const struct engine_opt *engine_opt_of(const char *canonical, const char **value)
{
    const char *eq = strchr(canonical, '=');
    if (!str_has_prefix(canonical, "--") || !eq)
        return NULL;
    size_t nl = (size_t)(eq - canonical);
    for (size_t i = 0; i < n_engine_opts; i++) {
        const struct engine_opt *o = &engine_opts[i];
        if (strlen(o->name) == nl && strncmp(o->name, canonical, nl) == 0) {
            if (eq[1] == '-' || o->check(eq + 1))
                return NULL;
            *value = eq + 1;
            return o;
        }
    }
    return NULL;
}

bool engine_opt_has(const struct engine_opt *o, enum runtime_kind rt)
{
    return (rt == RT_PODMAN && (o->engines & ENG_PODMAN)) ||
           (rt == RT_DOCKER && (o->engines & ENG_DOCKER));
}

const char *engine_opt_engines(const struct engine_opt *o)
{
    switch (o->engines) {
    case ENG_PODMAN: return "podman";
    case ENG_DOCKER: return "docker";
    default: return "podman and docker";
    }
}
