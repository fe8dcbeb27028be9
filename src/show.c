/* show.c — everything `coco show`, `coco run --dry-run` and `coco get`
 * print: the resolved policy, the command line a run would start, and a
 * config from the store before it is saved.  It sits above the policy
 * layer and the backends and asks each for its own part
 * (native_describe(), oci_build_argv(), and with the coming wings
 * net_describe() and install_describe()); nothing below calls up here.
 */
#include "idmap.h"
#include "run.h"
#include "show.h"
#include "install.h"

#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "engine_args.h"
#include "hostpath.h"
#include "native.h"
#include "net.h"
#include "oci.h"
#include "paths.h"
#include "protect.h"

/* ---- coco show: the resolved policy ---- */

/* Names that usually carry secrets: show marks them. */
static bool env_name_secret(const char *name)
{
    static const char *const words[] = {"TOKEN", "SECRET", "PASSWORD", "PASSWD",
                                        "API_KEY", "APIKEY", "PRIVATE",
                                        "CREDENTIAL", "AUTH", NULL};
    for (const char *const *w = words; *w; w++)
        if (strcasestr(name, *w))
            return true;
    return str_has_prefix(name, "AWS_") || strcmp(name, "SSH_AUTH_SOCK") == 0 ||
           str_has_suffix(name, "_KEY");
}

static char *tilde(const char *path, const char *home, char *buf, size_t len)
{
    if (path_is_within(path, home) && strcmp(home, "/") != 0)
        snprintf(buf, len, "~%s", path + strlen(home));
    else
        snprintf(buf, len, "%s", path);
    return buf;
}

void show_policy(const struct policy *p, FILE *o)
{
    char b1[64], b2[PATH_MAX + 2];
    int risks = 0;
    /* Every string that comes from the config, the environment or the
     * command line is printed escaped (E): this screen is the review a
     * user gets, and a newline or an escape sequence must not forge or
     * hide a line of it. */
    _cleanup_strvec_ struct strvec keep = STRVEC_INIT;
#define E(s) str_escape_keep(&keep, (s))
    fprintf(o, "tool       %s\n", E(p->tool));
    fprintf(o, "config     %s\n", E(p->config_path));
    if (p->spec)
        risks += install_describe(p, o);
    fprintf(o, "command   ");
    for (size_t i = 0; i < p->argv.n; i++)
        fprintf(o, " %s", E(p->argv.v[i]));
    fprintf(o, "\nruntime    %s (%s)", runtime_name(p->runtime), p->runtime_source);
    if (p->runtime != RT_NATIVE)
        fprintf(o, ", image %s (%s)%s", E(p->image), p->image_source,
                p->rootless ? ", rootless" : "");
    fprintf(o, "\nidentity   ");
    if (p->runtime == RT_NATIVE ? p->uid == 0 : p->idmap)
        fprintf(o, "nobody (uid %u) on the host, never root; its binds are "
                   "idmapped, so what it writes is root's\n",
                (unsigned)COCO_ROOT_TOOL_UID);
    else if (p->rootless)
        fprintf(o, "your uid %u, mapped in by rootless podman\n",
                (unsigned)p->uid);
    else
        fprintf(o, "your uid %u\n", (unsigned)p->uid);
    fprintf(o, "workdir    %s\n", E(p->workdir));
    /* A tag can be moved to other code by whoever controls the registry;
     * a digest cannot.  Local images (localhost/) are built here. */
    if (p->runtime != RT_NATIVE && !image_pinned(p->image)) {
        fprintf(o, "  ! RISK: image %s is not pinned by digest; its tag can be "
                   "moved to other code (pin it as NAME@sha256:...)\n", E(p->image));
        risks++;
    }

    fprintf(o, "files      everything else of the host is invisible\n");
    for (size_t i = 0; i < p->n_mounts; i++) {
        const struct policy_mount *m = &p->mounts[i];
        fprintf(o, "  %s %-11s %s -> %s%s%s\n", m->risky ? "!" : " ",
                m->ro ? "read" : "read+write", E(tilde(m->src, p->home, b2, sizeof b2)),
                E(m->dst), m->missing ? "  (missing: a run creates it)" : "",
                m->risky ? "   RISK: sensitive host path" : "");
        risks += m->risky;
    }
    if (p->runtime != RT_NATIVE && p->volume) {
        fprintf(o, "    read+write  volume %s -> %s (%s)\n", E(p->volume),
                COCO_CACHE_DIR, p->isolated ? "this tool only" : "shared with "
                "other non-isolated tools");
    } else if (p->runtime != RT_NATIVE && p->cache_dir) {
        fprintf(o, "    read+write  %s -> %s (%s)\n",
                E(tilde(p->cache_dir, p->home, b2, sizeof b2)), COCO_CACHE_DIR,
                p->isolated ? "this tool only" : "shared with other "
                "non-isolated tools");
    }
    if (!p->isolated) {
        fprintf(o, "  ! RISK: \"isolated\": false shares the cache volume with "
                   "other tools, which can tamper with each other\n");
        risks++;
    }
    risks += protect_describe(p, o);

    fprintf(o, "network    ");
    switch (p->net.mode) {
    case NET_NONE:
        fprintf(o, "none: loopback only");
        break;
    case NET_ALLOWED:
        fprintf(o, "only these hosts, through the egress proxy:");
        for (size_t i = 0; i < p->net.allowed_hosts.n; i++)
            fprintf(o, " %s", E(p->net.allowed_hosts.v[i]));
        break;
    case NET_FULL:
        fprintf(o, "full: any public address");
        /* Only published ports on an engine keep "full" off the proxy. */
        if (!net_policy_proxied(p)) {
            fprintf(o, "\n  ! RISK: unfiltered egress on %s (published "
                       "ports keep the engine's network); private and "
                       "link-local ranges (your LAN, cloud metadata) are "
                       "reachable", runtime_name(p->runtime));
            risks++;
        }
        break;
    case NET_HOST:
        fprintf(o, "host: the host's network, unfiltered\n  ! RISK: reaches "
                   "everything the host reaches, loopback services included");
        risks++;
        break;
    default:
        break;
    }
    fprintf(o, " (%s)\n", p->net.source);
    if (p->net.private_ranges.n) {
        fprintf(o, "  ! RISK: private_ranges opens part of your LAN to the "
                   "tool:");
        for (size_t i = 0; i < p->net.private_ranges.n; i++)
            fprintf(o, " %s", E(p->net.private_ranges.v[i]));
        fprintf(o, "\n");
        risks++;
    }
    char nb[512];
    const char *missing = net_mode_missing(p->runtime, p->net.mode, p->tool, nb,
                                           sizeof nb);
    if (missing) {
        fprintf(o, "  ! REFUSED: a run stops here: %s: %s\n",
                net_mode_key(p->net.mode, p->net.source), missing);
        risks++;
    }
    for (size_t i = 0; i < p->net.ports.n; i++)
        fprintf(o, "  ! publishes port %s (listens on the host)\n", E(p->net.ports.v[i]));
    risks += (int)p->net.ports.n;

    fprintf(o, "env        %s\n", p->n_env ? "only these variables of yours:"
                                           : "nothing from the host");
    for (size_t i = 0; i < p->n_env; i++) {
        bool secret = env_name_secret(p->env[i].name);
        fprintf(o, "  %s %s (%s)%s\n", secret ? "!" : " ", E(p->env[i].name),
                p->env[i].from_host ? "from the host" : "set by the config",
                secret ? "   RISK: looks like a secret" : "");
        risks += secret;
    }
    if (p->x11) {
        fprintf(o, "x11        ! RISK: display %s shared: the tool can read "
                   "keystrokes and screen contents of other windows\n",
                E(p->x11_display));
        risks++;
    }
    if (p->extra_args.n)
        fprintf(o, "extra args %s options from the config, each on coco's "
                   "allowlist:\n", runtime_name(p->runtime));
    for (size_t i = 0; i < p->extra_args.n; i++) {
        const char *val;
        const struct engine_opt *eo = engine_opt_of(p->extra_args.v[i], &val);
        bool risky = !eo || eo->risky;
        fprintf(o, "  %s %s: %s%s\n", risky ? "!" : " ", E(p->extra_args.v[i]),
                risky ? "RISK: " : "", eo ? eo->what : "not on the allowlist");
        risks += risky;
    }
    const struct policy_limits *l = &p->limits;
    fprintf(o, "limits     memory %s%s", fmt_size(l->memory, b1, sizeof b1),
            l->memory_default ? " (default)" : "");
    fprintf(o, ", pids %" PRIu64 "%s", l->pids, l->pids_default ? " (default)" : "");
    if (l->cpus_milli)
        fprintf(o, ", cpus %" PRIu64 ".%03" PRIu64, l->cpus_milli / 1000,
                l->cpus_milli % 1000);
    else
        fprintf(o, ", cpus unlimited");
    if (l->timeout_ms)
        fprintf(o, ", timeout %s", fmt_duration(l->timeout_ms, b1, sizeof b1));
    else
        fprintf(o, ", no timeout");
    if (l->output)
        fprintf(o, ", output %s", fmt_size(l->output, b1, sizeof b1));
    else
        fprintf(o, ", output unlimited");
    fprintf(o, ", /tmp %s\n", fmt_size(l->tmp_size, b1, sizeof b1));
    if (p->limits_note) {
        fprintf(o, "  ! %s\n", p->limits_note);
        risks++;
    }
    /* What the backend itself adds, from the backend. */
    if (p->runtime == RT_NATIVE)
        native_describe(p, o);
    fprintf(o, "risks      %d%s\n", risks, risks ? " (marked with !)" : "");
#undef E
}

/* ---- coco run --dry-run ---- */

int show_dry_run(const struct policy *p)
{
    if (p->runtime == RT_NATIVE) {
        native_describe(p, stdout);
        return 0;
    }
    coco_err err = {0};
    _cleanup_strvec_ struct strvec argv = STRVEC_INIT;
    _cleanup_strvec_ struct strvec env = STRVEC_INIT;
    _cleanup_strvec_ struct strvec envfile = STRVEC_INIT;
    /* Under egress: coco's own binary, and where a run's socket goes. */
    _cleanup_free_ char *self = paths_self_exe();
    struct egress shown = {.dir = (char *)OCI_EGRESS_DIR_SHOWN,
                           .self_exe = self ? self : (char *)OCI_COCO_SHOWN};
    if (oci_build_argv(p, &shown, &argv, &env, &envfile, &err) < 0) {
        err_print(&err);
        return EXIT_COCO;
    }
    /* One argument per line, escaped: an argument holding a newline
     * (a config value, a user argument) must not read as two. */
    for (size_t i = 0; i < argv.n; i++) {
        _cleanup_free_ char *e = str_escape(argv.v[i]);
        printf("%s\n", e);
    }
    return fflush(stdout) == 0 ? 0 : EXIT_COCO;
}

/* ---- coco get: a config before it is saved ---- */

/* What a config grants, in the words `coco show` uses, before it is
 * saved: the user sees mounts, network, env and extra arguments first.
 * This is the only review a config from the store gets, so every string
 * of it is printed escaped (E): a newline, an escape sequence or a bidi
 * control in a value must not forge or hide a line. */
void show_config(const struct config *c, const char *home, const char *cwd,
                 FILE *o)
{
    char b[64];
    _cleanup_strvec_ struct strvec keep = STRVEC_INIT;
#define E(s) str_escape_keep(&keep, (s))
    fprintf(o, "%s grants:\n", E(c->name));
    fprintf(o, "  command   %s\n", E(c->command ? c->command : c->name));
    if (c->tool) {
        const char *spec = install_pick(c->tool, &c->tools);
        const char *plan = install_plan(spec);
        bool engine = c->runtime == RT_PODMAN || c->runtime == RT_DOCKER;
        bool native_only = install_native_only(spec);
        if (!plan) {
            fprintf(o, "  install   %s: not installed by coco (the program "
                       "comes from %s)\n", E(spec),
                    engine ? "the image"
                           : "the host's PATH on native, the image on "
                             "podman and docker");
        } else if (engine && c->image) {
            fprintf(o, "  install   %s: not installed by coco (the config "
                       "names its image: the program comes from it)\n",
                    E(spec));
        } else if (engine && native_only) {
            fprintf(o, "  install   %s: coco installs it on the native "
                       "runtime only; a %s run refuses it\n", E(spec),
                    runtime_name(c->runtime));
        } else {
            fprintf(o, "  install   %s: the first run installs it, sandboxed:"
                       "\n            %s\n", E(spec), plan);
            if (native_only)
                fprintf(o, "            (native runtime only: on podman and "
                           "docker the run refuses it)\n");
            else if (c->image)
                fprintf(o, "            (on native; on podman and docker "
                           "the config's image supplies the program)\n");
            else
                fprintf(o, "            (on native with the host's "
                           "installer; on podman and docker in containers\n"
                           "            of the run's image, COCO_IMAGE or "
                           "the default, with the image's)\n");
            for (size_t i = 0; i < c->allow_scripts.n; i++)
                fprintf(o, "            ! install.allow_scripts: %s's install "
                           "scripts run too\n", E(c->allow_scripts.v[i]));
            for (size_t i = 0; i < c->install_hosts.n; i++)
                fprintf(o, "            ! install.allowed_hosts: the install "
                           "also fetches from %s\n", E(c->install_hosts.v[i]));
        }
        if (c->tools.n > 1) {
            fprintf(o, "            (of");
            for (size_t k = 0; k < c->tools.n; k++)
                fprintf(o, " %s", E(c->tools.v[k]));
            fprintf(o, ": the first coco installs)\n");
        }
    }
    if (!c->n_mounts)
        fprintf(o, "  files     none of the host's\n");
    for (size_t i = 0; i < c->n_mounts; i++) {
        /* The rule `coco show` marks with: the source as it would expand
         * here (lexically, touching nothing). */
        _cleanup_free_ char *abs = hostpath_expand(c->mounts[i].src, home, cwd);
        bool risky = !abs || hostpath_sensitive(abs, home);
        fprintf(o, "  %-9s %s%s -> %s (%s)%s\n", i ? "" : "files",
                risky ? "! " : "", E(c->mounts[i].src), E(c->mounts[i].dst),
                c->mounts[i].opts & MNT_RO ? "read-only" : "read+write",
                risky ? ": a sensitive host path" : "");
    }
    for (size_t i = 0; i < c->protect_allow.n; i++)
        fprintf(o, "  %-9s ! protect.allow: the tool may write %s, which "
                   "your host runs\n", i ? "" : "protect",
                E(c->protect_allow.v[i]));
    switch (c->network) {
    case NET_ALLOWED:
        fprintf(o, "  network   only:");
        for (size_t i = 0; i < c->allowed_hosts.n; i++)
            fprintf(o, " %s", E(c->allowed_hosts.v[i]));
        fprintf(o, "\n");
        break;
    case NET_FULL:
        fprintf(o, "  network   ! full (any address)\n");
        break;
    case NET_HOST:
        fprintf(o, "  network   ! host (the host's network, unfiltered)\n");
        break;
    default:
        fprintf(o, "  network   none\n");
    }
    for (size_t i = 0; i < c->private_ranges.n; i++)
        fprintf(o, "  %-9s ! %s (part of your LAN, reachable)\n",
                i ? "" : "private", E(c->private_ranges.v[i]));
    for (size_t i = 0; i < c->env_passthrough.n; i++)
        fprintf(o, "  %-9s %s (from your environment)\n", i ? "" : "env",
                E(c->env_passthrough.v[i]));
    for (size_t i = 0; i < c->n_env; i++)
        fprintf(o, "  %-9s %s=%s\n", i || c->env_passthrough.n ? "" : "env",
                E(c->env[i].name), E(c->env[i].value));
    for (size_t i = 0; i < c->ports.n; i++)
        fprintf(o, "  ports     ! %s\n", E(c->ports.v[i]));
    if (c->x11)
        fprintf(o, "  x11       ! your display (keystrokes, screen)\n");
    /* Each engine option in the allowlist's plain words (engine_args.c). */
    for (size_t i = 0; i < c->podman_args.n; i++) {
        const char *val;
        const struct engine_opt *eo = engine_opt_of(c->podman_args.v[i], &val);
        bool risky = !eo || eo->risky;
        fprintf(o, "  %-9s %s%s: %s\n", i ? "" : "engine", risky ? "! " : "",
                E(c->podman_args.v[i]), eo ? eo->what : "not on the allowlist");
    }
    if (c->image) {
        bool pinned = image_pinned(c->image);
        fprintf(o, "  image     %s%s\n", pinned ? "" : "! ", E(c->image));
        if (!pinned)
            fprintf(o, "            (not pinned by digest: its tag can be moved to "
                       "other code)\n");
    }
    if (c->isolated == 0)
        fprintf(o, "  cache     ! shared with other tools (isolated: false)\n");
    if (c->limits.memory)
        fprintf(o, "  memory    %s\n", fmt_size(c->limits.memory, b, sizeof b));
    if (c->limits.timeout_ms)
        fprintf(o, "  timeout   %s\n", fmt_duration(c->limits.timeout_ms, b, sizeof b));
#undef E
}
