# egress_net.bash — the egress tests' "internet" and how they run coco
# against it: see egress.bats for the layout.  Load after helpers.
#
# setup_file/teardown_file build and remove a network namespace holding
# the test hosts (tests/helpers/webserv.c) and a DNS server
# (tests/helpers/dnsserv.c) behind a veth; setup gives each test root's
# and the test user's config, home and work dirs.
#
# Addresses in the namespace, each routed from the host by a /32 or
# /128 of its own (nothing else goes there, nothing of ours goes
# anywhere else):
#   198.51.100.10      webserv (80, 443, 8443, 9000; 8080 keep-alive;
#                      7000 echo; 8081 the files under $EG_DIR/registry:
#                      registry.test, the fake npm registry of
#                      npm_registry.bash), dnsserv UDP 53 and 5353
#                      (witnesses)
#   198.51.100.53      dnsserv: the test resolver (resolv.conf)
#   198.51.100.16/28   routed there, held by nobody (extra DNS answers)
#   10.253.1.5         webserv 80: the LAN
#   169.254.169.254    webserv 80: the metadata service
#   2001:db8:100::10   webserv 80, 9000, dnsserv UDP 53: public IPv6
#   fd53::5            webserv 80: a private (ULA) IPv6 host
# dnsserv also logs every ICMP/ICMPv6 echo request that arrives.

# shellcheck disable=SC2034  # used by the .bats files that load this
TESTUSER=${COCO_TEST_USER:-cocotest}

setup_file() {
    if [[ $(id -u) -ne 0 ]]; then
        export EGRESS_SKIP="these tests create a network namespace and a user: run as root"
        return 0
    fi
    local c
    for c in ip curl unshare runuser; do
        command -v "$c" >/dev/null || {
            export EGRESS_SKIP="$c is not installed (scripts/install-deps.sh)"
            return 0
        }
    done
    for c in webserv dnsserv netpoke; do
        [[ -x $COCO_TEST_HELPERS/$c ]] || {
            export EGRESS_SKIP="$COCO_TEST_HELPERS/$c is not built (make tests-bin)"
            return 0
        }
    done
    id "$TESTUSER" >/dev/null 2>&1 || useradd -m "$TESTUSER" || {
        export EGRESS_SKIP="useradd $TESTUSER failed"
        return 0
    }
    local n=$(($$ % 100000))
    export EG_NS=coco-egress-$n EG_HV=ceg${n}h EG_NV=ceg${n}n
    export EG_DIR
    EG_DIR=$(mktemp -d /tmp/coco-egress.XXXXXX)
    chmod 0755 "$EG_DIR"
    # Nothing may already route there.  Another run of these files (from
    # another checkout) holds the same addresses for a minute or so: wait
    # for it, bounded, rather than collide.
    local w
    for ((w = 0; w < 240; w++)); do
        ip route show | grep -Eq '^(198\.51\.100\.|10\.253\.|169\.254\.169\.254)' || break
        sleep 0.5
    done
    if ip route show | grep -Eq '^(198\.51\.100\.|10\.253\.|169\.254\.169\.254)'; then
        export EGRESS_SKIP="the host already routes a test range: $(ip route show | grep -E '198\.51\.100|10\.253|169\.254\.169\.254' | head -1)"
        return 0
    fi
    if ip -6 route show 2>/dev/null | grep -Eq '^(2001:db8:100:|fd53:|fd99:253:)'; then
        export EGRESS_SKIP="the host already routes a test IPv6 range"
        return 0
    fi
    ip netns add "$EG_NS"
    ip link add "$EG_HV" type veth peer name "$EG_NV"
    ip link set "$EG_NV" netns "$EG_NS"
    ip addr add 10.253.0.1/30 dev "$EG_HV"
    ip link set "$EG_HV" up
    ip -n "$EG_NS" link set lo up
    ip -n "$EG_NS" addr add 10.253.0.2/30 dev "$EG_NV"
    ip -n "$EG_NS" link set "$EG_NV" up
    ip -n "$EG_NS" addr add 198.51.100.10/32 dev lo
    ip -n "$EG_NS" addr add 10.253.1.5/32 dev lo
    ip -n "$EG_NS" addr add 169.254.169.254/32 dev lo
    ip -n "$EG_NS" route add default via 10.253.0.1
    ip route add 198.51.100.10/32 via 10.253.0.2 dev "$EG_HV"
    ip route add 10.253.1.5/32 via 10.253.0.2 dev "$EG_HV"
    ip route add 169.254.169.254/32 via 10.253.0.2 dev "$EG_HV"
    ip -n "$EG_NS" addr add 198.51.100.53/32 dev lo
    ip route add 198.51.100.53/32 via 10.253.0.2 dev "$EG_HV"
    # More public addresses (a DNS answer's extras): routed into the
    # namespace, held by nobody there.
    ip route add 198.51.100.16/28 via 10.253.0.2 dev "$EG_HV"
    # IPv6 (when the host has it): a link of its own, no DAD to wait for.
    EG_V6=
    if ip -6 addr add fd99:253::1/64 dev "$EG_HV" nodad 2>/dev/null; then
        ip -n "$EG_NS" -6 addr add fd99:253::2/64 dev "$EG_NV" nodad
        ip -n "$EG_NS" -6 addr add 2001:db8:100::10/128 dev lo
        ip -n "$EG_NS" -6 addr add fd53::5/128 dev lo
        ip -n "$EG_NS" -6 route add default via fd99:253::1
        ip -6 route add 2001:db8:100::10/128 via fd99:253::2 dev "$EG_HV"
        ip -6 route add fd53::5/128 via fd99:253::2 dev "$EG_HV"
        EG_V6=1
    fi
    export EG_V6
    local v6web=() v6dns=()
    [[ -z $EG_V6 ]] || {
        v6web=('[2001:db8:100::10]:80' '[2001:db8:100::10]:9000' '[fd53::5]:80')
        v6dns=('[2001:db8:100::10]:53')
    }
    # The fake npm registry, built before webserv serves it: only for a
    # file that loads npm_registry (its tests call npm_registry_require).
    mkdir -p "$EG_DIR/registry"
    export EG_REGISTRY_SKIP='' EG_REGISTRY_ERROR=''
    if ! declare -F npm_registry_build >/dev/null; then
        EG_REGISTRY_SKIP="this file does not load npm_registry"
    elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        EG_REGISTRY_SKIP="node and npm are needed to build the test npm registry"
    elif ! npm_registry_build "$EG_DIR/registry" http://registry.test:8081 \
        >"$EG_DIR/registry.log" 2>&1; then
        EG_REGISTRY_ERROR=$(tail -n 20 "$EG_DIR/registry.log")
    fi
    cp "$COCO_TEST_HELPERS/webserv" "$EG_DIR/webserv"
    cp "$COCO_TEST_HELPERS/dnsserv" "$EG_DIR/dnsserv"
    ip netns exec "$EG_NS" "$EG_DIR/webserv" 900 198.51.100.10:80 \
        198.51.100.10:443 198.51.100.10:8443 198.51.100.10:9000 \
        ka:198.51.100.10:8080 echo:198.51.100.10:7000 \
        "files=$EG_DIR/registry:198.51.100.10:8081" \
        10.253.1.5:80 169.254.169.254:80 "${v6web[@]}" \
        >"$EG_DIR/webserv.log" 2>&1 &
    echo $! >"$EG_DIR/webserv.pid"
    ip netns exec "$EG_NS" "$EG_DIR/dnsserv" 900 198.51.100.53:53 \
        198.51.100.10:53 198.51.100.10:5353 "${v6dns[@]}" \
        >"$EG_DIR/dnsserv.log" 2>&1 &
    echo $! >"$EG_DIR/dnsserv.pid"
    local i s
    for s in webserv dnsserv; do
        for ((i = 0; i < 100; i++)); do
            grep -q ready "$EG_DIR/$s.log" && break
            sleep 0.05
        done
        grep -q ready "$EG_DIR/$s.log" || {
            export EGRESS_SKIP="$s did not start: $(cat "$EG_DIR/$s.log")"
            return 0
        }
    done
    # Names for DNS (*.dns.test) stay out of the hosts file: the proxy
    # reads it first.
    cat >"$EG_DIR/hosts" <<'EOF'
127.0.0.1 localhost
198.51.100.10 good.test other.test www.good.test evilgood.test
10.253.1.5 lan.test
169.254.169.254 meta.test
198.51.100.10 registry.test
EOF
    echo 'nameserver 198.51.100.53' >"$EG_DIR/resolv.conf"
    chmod 0644 "$EG_DIR/hosts" "$EG_DIR/resolv.conf"
}

# engine_setup_file: setup_file for files whose runs go out through
# podman: the relay in the container is coco itself, so only a static
# coco (the sanitizer build is dynamic, and coco refuses it); then the
# test network; then podman.  EGRESS_SKIP says why not.  The file renames
# this file's setup_file to egress_net_setup_file first.
engine_setup_file() {
    if coco_is_dynamic; then
        export EGRESS_SKIP="$COCO is linked dynamically (the sanitizer build): it cannot be the relay in a container; the static build runs these tests"
        return 0
    fi
    egress_net_setup_file
    [[ -z ${EGRESS_SKIP:-} ]] || return 0
    if ! command -v podman >/dev/null; then
        export EGRESS_SKIP="podman is not installed"
    fi
}

teardown_file() {
    [[ -n ${EG_DIR:-} ]] || return 0
    local s
    for s in webserv dnsserv; do
        if [[ -f $EG_DIR/$s.pid ]]; then
            kill "$(cat "$EG_DIR/$s.pid")" 2>/dev/null || true
        fi
    done
    # Our routes all go through our veth and leave with it; deleting
    # them by address could take another run's.
    ip link del "$EG_HV" 2>/dev/null || true
    ip netns del "$EG_NS" 2>/dev/null || true
    rm -rf -- "$EG_DIR"
}

setup() {
    [[ -z ${EGRESS_SKIP:-} ]] || skip "$EGRESS_SKIP"
    common_setup
    export COCO_RUNTIME=native
    user_dirs
    # the attack client, in both workspaces (net_config_ws mounts it);
    # WORK is common_setup's
    # shellcheck disable=SC2153
    cp "$COCO_TEST_HELPERS/netpoke" "$WORK/netpoke"
    cp "$COCO_TEST_HELPERS/netpoke" "$UWORK/netpoke"
    chown "$TESTUSER:" "$UWORK/netpoke"
}

teardown() {
    local p
    for p in ${BG_PIDS:-}; do kill -KILL "$p" 2>/dev/null || true; done
    common_teardown
}

# net_config NAME NETWORK-JSON: a config running sh, for root and the user.
net_config() {
    local name=$1 json='{"command": "sh", "runtime": "native", '$2'}'
    install_config "$name" "$json"
    printf '%s\n' "$json" >"$UDATA/coco/tools/$name.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/$name.json"
    chmod 0644 "$UDATA/coco/tools/$name.json"
}

# net_config_ws NAME NETWORK-JSON: the same with the working directory
# (holding netpoke) mounted on /workspace.
net_config_ws() {
    net_config "$1" '"mounts": [{"src": ".", "dst": "/workspace"}], '"$2"
}

# with_hosts CMD...: CMD in a private mount namespace whose /etc/hosts
# and /etc/resolv.conf are the test's: no name is ever asked of the
# host's resolver.
with_hosts() {
    unshare -m --propagation private sh -c \
        'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf &&
         shift && exec "$@"' "$EG_DIR/hosts" "$EG_DIR/resolv.conf" "$@"
}

# as WHO CMD...: CMD as root (in $WORK) or as the test user (in $UWORK,
# with a clean environment but the CA setting a user behind an
# intercepting proxy has).
as() {
    local who=$1 wrap=with_hosts
    shift
    # AS_REAL=1: the host's own resolver and hosts file (the real world)
    [[ -z ${AS_REAL:-} ]] || wrap=env
    if [[ $who == root ]]; then
        "$wrap" "$@"
    else
        (cd "$UWORK" && "$wrap" runuser -u "$TESTUSER" -- env -i \
            PATH=/usr/bin:/bin HOME="$UHOME" XDG_DATA_HOME="$UDATA" \
            TERM=dumb \
            ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS} \
            "$@")
    fi
}

# coco_sh WHO CONFIG SCRIPT: SCRIPT run by sh inside CONFIG's sandbox.
coco_sh() { as "$1" "$COCO" run "$2" -c "$3"; }

# The audit log of WHO.
audit_log() {
    if [[ $1 == root ]]; then
        cat "$HOME/.local/state/coco/egress.jsonl"
    else
        cat "$UHOME/.local/state/coco/egress.jsonl"
    fi
}

# egress_proxy_of PID: the egress proxy among PID's descendants: a
# process named coco whose parent is coco, in the host's network
# namespace (init, the other such child, has a namespace of its own).
egress_proxy_of() {
    local pid=$1 kids k
    kids=$(pgrep -P "$pid") || return 0
    for k in $kids; do
        if [[ $(cat /proc/$k/comm 2>/dev/null) == coco &&
            $(cat /proc/$pid/comm 2>/dev/null) == coco &&
            $(readlink /proc/$k/ns/net) == "$(readlink /proc/self/ns/net)" ]]; then
            echo "$k"
            return 0
        fi
        egress_proxy_of "$k"
    done
}

# wait_proxy PID: the egress proxy of the run PID started, as soon as it
# exists (3 s at most); nothing when none came.
wait_proxy() {
    local i proxy=''
    for ((i = 0; i < 150; i++)); do
        proxy=$(egress_proxy_of "$1")
        [[ -z $proxy ]] || break
        sleep 0.02
    done
    echo "$proxy"
}

CURL='curl -sS -m 10'
