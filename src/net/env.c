/* env.c — the environment a tool gets under egress, on every backend:
 * the proxy variables and the host's CA settings.  See net.h. */
#include "net.h"

#include <string.h>

#include "policy.h"

void egress_env(const struct policy *p, uint16_t port,
                bool (*ca_visible)(const char *path), struct strvec *out)
{
    static const char *const names[] = {
        "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!policy_has_env(p, names[i]))
            strvec_pushf(out, "%s=http://127.0.0.1:%u", names[i], port);
    /* socks5h: the proxy resolves names, never the client. */
    if (!policy_has_env(p, "ALL_PROXY"))
        strvec_pushf(out, "ALL_PROXY=socks5h://127.0.0.1:%u", port);
    if (!policy_has_env(p, "all_proxy"))
        strvec_pushf(out, "all_proxy=socks5h://127.0.0.1:%u", port);
    static const char no_proxy[] = "localhost,127.0.0.1,::1";
    if (!policy_has_env(p, "NO_PROXY"))
        strvec_pushf(out, "NO_PROXY=%s", no_proxy);
    if (!policy_has_env(p, "no_proxy"))
        strvec_pushf(out, "no_proxy=%s", no_proxy);
    /* The CA settings of the host (behind an intercepting proxy, what
     * it trusts), pointing where the files are in the sandbox. */
    for (size_t i = 0; i < p->net.ca_env.n; i++) {
        const char *e = p->net.ca_env.v[i], *path = strchr(e, '=') + 1;
        _cleanup_free_ char *name = xstrndup(e, (size_t)(path - 1 - e));
        if (policy_has_env(p, name))
            continue;
        if (ca_visible && ca_visible(path))
            strvec_push(out, e);
        else
            strvec_pushf(out, "%s=" EGRESS_CA_DIR "/%s", name, name);
    }
    /* Node 24 and later read the variables when told to. */
    if (!policy_has_env(p, "NODE_USE_ENV_PROXY"))
        strvec_push(out, "NODE_USE_ENV_PROXY=1");
}
