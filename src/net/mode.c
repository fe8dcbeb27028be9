/* mode.c — which network modes each backend can give: see net.h. */
#include "net.h"

#include <string.h>

#include "policy.h"

/* One row per mode a backend cannot give yet, with the reason: the
 * tool's name goes between its two halves.  None today: podman and
 * docker reach coco's egress proxy through the relay in the container
 * (net/forward.c) as native does through its listeners.  The table ends
 * at the row without a reason. */
static const struct {
    enum net_mode mode;
    bool native, podman, docker;  /* the runtimes that lack it */
    const char *why, *why2;
} missing[] = {
    {NET_UNSET, false, false, false, NULL, NULL},
};

const char *net_mode_missing(enum runtime_kind rt, enum net_mode mode,
                             const char *tool, char *buf, size_t len)
{
    for (size_t i = 0; missing[i].why; i++) {
        if (missing[i].mode != mode)
            continue;
        if ((rt == RT_NATIVE && missing[i].native) ||
            (rt == RT_PODMAN && missing[i].podman) ||
            (rt == RT_DOCKER && missing[i].docker)) {
            _cleanup_free_ char *t = str_escape(tool ? tool : "the tool");
            snprintf(buf, len, "%s%s%s", missing[i].why, t, missing[i].why2);
            return buf;
        }
    }
    return NULL;
}

const char *net_mode_key(enum net_mode mode, const char *source)
{
    if (mode == NET_ALLOWED)
        return "allowed_hosts";
    if (source && strcmp(source, "COCO_ALLOW_NETWORK") == 0)
        return "COCO_ALLOW_NETWORK";
    return "network";
}

int net_mode_check(enum runtime_kind rt, enum net_mode mode,
                   const char *source, const char *cfg_path, const char *tool,
                   coco_err *err)
{
    char buf[512];
    const char *why = net_mode_missing(rt, mode, tool, buf, sizeof buf);
    if (!why)
        return 0;
    return err_set(err, 0, "%s: %s: %s", cfg_path, net_mode_key(mode, source),
                   why);
}

bool net_mode_filtered(enum runtime_kind rt, enum net_mode mode)
{
    /* "host" never is; the proxy filters allowed_hosts and "full" on
     * every backend (native: its listeners are the only way out of the
     * network namespace; podman and docker: --network=none and the
     * relay to its unix socket).  net_policy_proxied() knows the one
     * exception: published ports. */
    (void)rt;
    return mode != NET_HOST;
}

bool net_policy_proxied(const struct policy *p)
{
    if (p->net.mode != NET_ALLOWED && p->net.mode != NET_FULL)
        return false;
    /* Published ports need the engine's network: "full" keeps it there,
     * unfiltered (allowed_hosts with ports is refused: oci.c). */
    return p->runtime == RT_NATIVE || p->net.ports.n == 0;
}
