/* net.h — the network a tool gets: which modes each backend can give,
 * and (with the egress wing, src/net/) the proxy that gives them.
 *
 * Every refusal of a network mode, every "not enforced" in `coco show`
 * and every backend's own check asks net_mode_missing() here, so the day
 * a backend gains a mode one row changes, not six call sites.
 */
#ifndef COCO_NET_H
#define COCO_NET_H

#include "config.h"

/* Why runtime RT cannot give network mode MODE to TOOL (its name, or
 * NULL), written to BUF of LEN bytes (512 is enough), or NULL when it
 * can.  Reads after the config key (see net_mode_key()):
 * "network: \"full\" needs ...". */
const char *net_mode_missing(enum runtime_kind rt, enum net_mode mode,
                             const char *tool, char *buf, size_t len);

/* The key a user changes to change MODE, set from SOURCE ("config",
 * "default", "COCO_ALLOW_NETWORK"): "allowed_hosts", "network" or the
 * environment variable. */
const char *net_mode_key(enum net_mode mode, const char *source);

/* 0 when RT can give MODE; else -1 with ERR "CFG_PATH: KEY: why". */
int net_mode_check(enum runtime_kind rt, enum net_mode mode,
                   const char *source, const char *cfg_path, const char *tool,
                   coco_err *err);

/* True when what RT gives for MODE passes coco's address filter (no
 * private, loopback or link-local address of the host's networks):
 * `coco show` marks the mode a risk otherwise. */
bool net_mode_filtered(enum runtime_kind rt, enum net_mode mode);

#endif
