/* run.c — one run of a tool: load its config, resolve the policy, hand
 * it to a backend, report.  `coco run`, a link made by `coco up` and
 * `coco show` (which stops after resolving) all come through here.
 *
 *     load → resolve → [install check] → [egress start] → backend
 *          → [egress stop, report]
 *
 * The bracketed steps are the coming wings' (LAYOUT.md); each plugs in
 * here, so no backend needs to know about them. */
#include "run.h"

#include <string.h>

#include "install.h"
#include "native.h"
#include "net.h"
#include "oci.h"
#include "paths.h"
#include "protect.h"
#include "sys.h"
#include "show.h"

int run_load_policy(const char *tool, const struct run_flags *flags,
                    char *const *args, size_t n_args, struct policy *p,
                    struct host_ctx *ctx)
{
    coco_err err = {0};
    _cleanup_free_ char *path = config_path_for(tool, &err);
    struct config cfg;
    if (!path || config_load(path, tool, &cfg, &err) < 0) {
        err_print(&err);
        return -1;
    }
    int r = host_ctx_from_process(ctx, &err);
    if (r == 0) {
        /* Whether the native sandbox works here is a probe (a clone):
         * only made when nothing else chose the runtime. */
        enum runtime_kind envrt;
        r = policy_env_runtime(ctx->environ, &envrt, &err);
        if (r == 0 && flags->runtime == RT_UNSET && cfg.runtime == RT_UNSET &&
            envrt == RT_UNSET)
            ctx->native_available = native_available();
        if (r == 0)
            r = policy_resolve(&cfg, ctx, flags, args, n_args, p, &err);
        /* The host-executed files in its writable mounts, before the
         * tool can touch them: what the backends make read-only and
         * protect_after() compares with. */
        if (r == 0)
            protect_scan(p);
        /* The mount sources are resolved: the cwd's descriptor has served
         * (and a run should not carry it, nor spend a descriptor on it). */
        if (ctx->have_cwd_fd) {
            close(ctx->cwd_fd);
            ctx->have_cwd_fd = false;
        }
    }
    config_free(&cfg);
    if (r < 0) {
        err_print(&err);
        host_ctx_release(ctx);
        return -1;
    }
    return 0;
}

/* The tool's install (when coco installs it: install_applies()),
 * checked against its manifest, read-only at INSTALL_MOUNT and first on
 * PATH: natively, and on podman and docker (a bind mount of the host's
 * directory, so the bytes checked are the bytes run). */
static int run_prepare_install(struct policy *p, const struct host_ctx *ctx,
                               struct install_env *ie, coco_err *err)
{
    if (!p->spec || !install_applies(p, NULL))
        return 0;
    if (install_ensure(p, ctx, INSTALL_IF_NEEDED, ie, err) < 0 ||
        policy_add_mount(p, ie->root, INSTALL_MOUNT, true, err) < 0)
        return -1;
    _cleanup_free_ char *bin = path_join(INSTALL_MOUNT, ie->bin);
    /* prepended in reverse, so BIN comes first */
    for (size_t i = 0; ie->more_bin && ie->more_bin[i]; i++) {
        _cleanup_free_ char *more = path_join(INSTALL_MOUNT, ie->more_bin[i]);
        policy_prepend_path(p, more);
    }
    policy_prepend_path(p, bin);
    /* the runtime (install.runtime) before the tool's own programs: its
     * `#!/usr/bin/env node` finds this node */
    if (ie->runtime) {
        _cleanup_free_ char *rbin = path_join(RUNTIME_MOUNT, ie->runtime->bin);
        if (policy_add_mount(p, ie->runtime->root, RUNTIME_MOUNT, true,
                             err) < 0)
            return -1;
        policy_prepend_path(p, rbin);
    }
    for (size_t i = 0; i < ie->run_env.n; i++) {
        const char *e = ie->run_env.v[i], *eq = strchr(e, '=');
        _cleanup_free_ char *name = xstrndup(e, (size_t)(eq - e));
        _cleanup_free_ char *dir = path_join(INSTALL_MOUNT, eq + 1);
        policy_prepend_env(p, name, dir);
    }
    p->installed = true;
    return 0;
}

/* Native runs: the install, and the tool's own cache at /coco/cache when
 * its env points there (the store's configs do, for npm, pip, go ...;
 * podman and docker give a volume): the mount costs a run ~0.5 ms. */
static int run_prepare_native(struct policy *p, const struct host_ctx *ctx,
                              struct install_env *ie, coco_err *err)
{
    _cleanup_free_ char *py = NULL;
    if (python_host_check(p->spec, NULL, &py, err) < 0) {
        err_prefix(err, "%s", p->tool);
        return -1;
    }
    if (run_prepare_install(p, ctx, ie, err) < 0)
        return -1;
    bool wants_cache = false;
    for (size_t i = 0; i < p->n_env && !wants_cache; i++)
        wants_cache = strstr(p->env[i].value, COCO_CACHE_DIR) != NULL;
    if (!wants_cache)
        return 0;
    _cleanup_free_ char *cache = policy_cache_dir(p);
    if (mkdir_parents(cache, 0700, err) < 0)
        return -1;
    return policy_add_mount(p, cache, COCO_CACHE_DIR, false, err);
}

/* The cache at /coco/cache of an engine run root invokes: the tool is
 * nobody there (idmap.h), and a volume's files would be root's, so it
 * is a directory of root's bound idmapped, as natively: the tool's own,
 * or with "isolated": false the one every such tool shares. */
static int run_prepare_idmap_cache(struct policy *p, coco_err *err)
{
    /* build_argv binds it (the dry run shows it too) */
    return p->cache_dir ? mkdir_parents(p->cache_dir, 0700, err) : 0;
}

int run_tool(const struct run_cmd *rc)
{
    struct policy p;
    struct host_ctx ctx;
    if (run_load_policy(rc->tool, &rc->flags, rc->args, rc->n_args, &p, &ctx) < 0)
        return EXIT_COCO;
    int code;
    if (rc->flags.dry_run) {
        code = show_dry_run(&p);
    } else {
        coco_err err = {0};
        debug("running %s with %s", p.tool, runtime_name(p.runtime));
        /* The install check and the egress proxy plug in here, around
         * the backend: see LAYOUT.md.  The proxy stops, and its socket
         * goes, whatever way the backend ended. */
        bool proxied = net_policy_proxied(&p);
        struct install_env ie = INSTALL_ENV_INIT;
        if (p.runtime == RT_NATIVE) {
            code = run_prepare_native(&p, &ctx, &ie, &err) < 0
                       ? -1
                       : native_run(&p, &err);  /* it starts its own proxy */
        } else {
            /* podman and docker: the proxy on a unix socket, the relay
             * in the container (net/forward.c). */
            code = run_prepare_install(&p, &ctx, &ie, &err) < 0 ||
                           run_prepare_idmap_cache(&p, &err) < 0
                       ? -1
                       : oci_run_egress(&p, &err);
        }
        install_env_free(&ie);
        if (code < 0) {
            err_print(&err);
            code = err_exit_code(&err);
        }
        /* Whatever the tool created that the host would run is moved
         * aside; the exit code stays the tool's. */
        protect_after(&p, stderr);
        /* With the proxy, it reports as it stops (net/session.c). */
        if (p.report && !proxied)
            fprintf(stderr, "coco: %s: egress report: %s\n", p.tool,
                    p.net.mode == NET_NONE || p.net.mode == NET_UNSET
                        ? "network \"none\": nothing could leave the sandbox"
                        : "this network is not filtered by coco's proxy; "
                          "nothing was recorded");
    }
    policy_free(&p);
    host_ctx_release(&ctx);
    return code;
}
