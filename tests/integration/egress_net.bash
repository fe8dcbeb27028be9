# egress_net.bash — the egress tests' "internet" and how they run coco
# against it: see egress.bats for the layout.  Load after helpers.
#
# setup_file/teardown_file build and remove a network namespace holding
# the test hosts (tests/helpers/webserv.c) behind a veth; setup gives
# each test root's and the test user's config, home and work dirs.

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
    [[ -x $COCO_TEST_HELPERS/webserv ]] || {
        export EGRESS_SKIP="$COCO_TEST_HELPERS/webserv is not built (make tests-bin)"
        return 0
    }
    id "$TESTUSER" >/dev/null 2>&1 || useradd -m "$TESTUSER" || {
        export EGRESS_SKIP="useradd $TESTUSER failed"
        return 0
    }
    local n=$(($$ % 100000))
    export EG_NS=coco-egress-$n EG_HV=ceg${n}h EG_NV=ceg${n}n
    export EG_DIR
    EG_DIR=$(mktemp -d /tmp/coco-egress.XXXXXX)
    chmod 0755 "$EG_DIR"
    # Nothing of ours may already route there.
    if ip route show | grep -Eq '^(198\.51\.100\.|10\.253\.|169\.254\.169\.254)'; then
        export EGRESS_SKIP="the host already routes a test range: $(ip route show | grep -E '198\.51\.100|10\.253|169\.254\.169\.254' | head -1)"
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
    cp "$COCO_TEST_HELPERS/webserv" "$EG_DIR/webserv"
    ip netns exec "$EG_NS" "$EG_DIR/webserv" 900 198.51.100.10:80 \
        198.51.100.10:443 198.51.100.10:8443 198.51.100.10:9000 \
        10.253.1.5:80 169.254.169.254:80 >"$EG_DIR/webserv.log" 2>&1 &
    echo $! >"$EG_DIR/webserv.pid"
    local i
    for ((i = 0; i < 100; i++)); do
        grep -q ready "$EG_DIR/webserv.log" && break
        sleep 0.05
    done
    grep -q ready "$EG_DIR/webserv.log" || {
        export EGRESS_SKIP="webserv did not start: $(cat "$EG_DIR/webserv.log")"
        return 0
    }
    cat >"$EG_DIR/hosts" <<'EOF'
127.0.0.1 localhost
198.51.100.10 good.test other.test www.good.test
10.253.1.5 lan.test
169.254.169.254 meta.test
EOF
    chmod 0644 "$EG_DIR/hosts"
}

teardown_file() {
    [[ -n ${EG_DIR:-} ]] || return 0
    if [[ -f $EG_DIR/webserv.pid ]]; then
        kill "$(cat "$EG_DIR/webserv.pid")" 2>/dev/null || true
    fi
    ip route del 198.51.100.10/32 2>/dev/null || true
    ip route del 10.253.1.5/32 2>/dev/null || true
    ip route del 169.254.169.254/32 2>/dev/null || true
    ip link del "$EG_HV" 2>/dev/null || true
    ip netns del "$EG_NS" 2>/dev/null || true
    rm -rf -- "$EG_DIR"
}

setup() {
    [[ -z ${EGRESS_SKIP:-} ]] || skip "$EGRESS_SKIP"
    common_setup
    export COCO_RUNTIME=native
    chmod 0755 "$TEST_TMP"
    UDATA=$TEST_TMP/udata
    UHOME=$TEST_TMP/uhome
    UWORK=$TEST_TMP/uwork
    mkdir -p "$UDATA/coco/tools" "$UHOME" "$UWORK"
    chown -R "$TESTUSER:" "$UDATA" "$UHOME" "$UWORK"
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

# with_hosts CMD...: CMD in a private mount namespace whose /etc/hosts is
# the test's.
with_hosts() {
    unshare -m --propagation private sh -c \
        'mount --bind "$0" /etc/hosts && exec "$@"' "$EG_DIR/hosts" "$@"
}

# as WHO CMD...: CMD as root (in $WORK) or as the test user (in $UWORK,
# with a clean environment but the CA setting a user behind an
# intercepting proxy has).
as() {
    local who=$1
    shift
    if [[ $who == root ]]; then
        with_hosts "$@"
    else
        (cd "$UWORK" && with_hosts runuser -u "$TESTUSER" -- env -i \
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

CURL='curl -sS -m 10'
