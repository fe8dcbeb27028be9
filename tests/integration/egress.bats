#!/usr/bin/env bats
# egress.bats — allowed_hosts and "full" on the native backend, attacked
# from inside and judged from the host.
#
# The "internet" is a network namespace this file creates: a veth pair
# from the host (10.253.0.1) into it (10.253.0.2), and behind it test
# hosts of our own choosing, each answered by tests/helpers/webserv.c
# with the address that took the connection:
#   198.51.100.10   a public-looking host (documentation range: allowed)
#   10.253.1.5      a host on "the LAN"
#   169.254.169.254 a "metadata service"
# The host routes exactly those addresses into the namespace; no test
# sends a packet anywhere else.  Names come from a hosts file bound over
# /etc/hosts in a private mount namespace of each coco run (coco is
# static: it reads /etc/hosts itself), so the host's own file is never
# touched.
#
# Every wall is shown to fall without coco: the same request from the
# host reaches the LAN host and the metadata service.  Each case runs as
# root and as a normal user.

bats_require_minimum_version 1.5.0
load helpers

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

# as WHO CMD...: CMD as root (in the test's home) or as the test user.
as() {
    local who=$1
    shift
    if [[ $who == root ]]; then
        with_hosts "$@"
    else
        (cd "$UWORK" && with_hosts runuser -u "$TESTUSER" -- env -i \
            PATH=/usr/bin:/bin HOME="$UHOME" XDG_DATA_HOME="$UDATA" \
            TERM=dumb "$@")
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

@test "egress: the test network works without coco (every wall below can fail)" {
    local who
    for who in root user; do
        run as "$who" $CURL http://good.test/
        assert_line "hello from 198.51.100.10:80"
        run as "$who" $CURL http://lan.test/
        assert_line "hello from 10.253.1.5:80"
        run as "$who" $CURL http://meta.test/latest/meta-data/
        assert_line "hello from 169.254.169.254:80"
        run as "$who" $CURL http://169.254.169.254/
        assert_line "hello from 169.254.169.254:80"
    done
}

@test "egress: an allowlisted name is reached through the proxy; any other is refused with 403 and one notice" {
    net_config web '"allowed_hosts": ["good.test", "good.test:8443"]'
    local who
    for who in root user; do
        run coco_sh "$who" web "$CURL http://good.test/; $CURL -k http://good.test:8443/"
        assert_status 0
        assert_line "hello from 198.51.100.10:80"
        assert_line "hello from 198.51.100.10:8443"
        # another name on the same address; another port of an allowed name
        run --separate-stderr coco_sh "$who" web \
            "$CURL -o /dev/null -w '%{http_code}\n' http://other.test/;
             $CURL -o /dev/null -w '%{http_code}\n' http://other.test/again;
             $CURL -i http://good.test:9000/ | tr -d '\\r' | grep -i '^x-coco-egress'"
        assert_line 403
        assert_line "X-Coco-Egress: not-allowlisted"
        refute_contains "hello from"
        # one notice per refused host, however often it was asked
        [[ $(grep -c 'egress to other.test port 80 refused (not-allowlisted)' <<<"$stderr") -eq 1 ]] || {
            echo "stderr: $stderr"
            return 1
        }
        grep -q 'egress to good.test port 9000 refused' <<<"$stderr"
    done
}

@test "egress: an allowlisted name that resolves into the LAN or to the metadata service is refused" {
    net_config web '"allowed_hosts": ["lan.test", "meta.test"]'
    local who
    for who in root user; do
        run --separate-stderr coco_sh "$who" web "$CURL -i http://lan.test/ | tr -d '\\r'; $CURL -i http://meta.test/ | tr -d '\\r'"
        refute_contains "hello from"
        assert_line "X-Coco-Egress: blocked-range:10.0.0.0/8"
        assert_line "X-Coco-Egress: blocked-range:169.254.169.254/32"
        # the same through SOCKS5, and with an IP literal in every spelling
        run coco_sh "$who" web "$CURL --socks5-hostname 127.0.0.1:3128 http://lan.test/;
            for a in 169.254.169.254 2852039166 0xa9fea9fe 0251.0376.0251.0376 10.253.1.5 '[::ffff:10.253.1.5]'; do
                $CURL -o /dev/null -w '%{http_code}\n' http://\$a/; done"
        refute_contains "hello from"
        [[ $(grep -c '^403$' <<<"$output") -eq 6 ]] || {
            echo "$output"
            return 1
        }
    done
}

@test "egress: network full reaches public addresses by name and literal, never the LAN or the metadata service" {
    net_config web '"network": "full"'
    local who
    for who in root user; do
        run coco_sh "$who" web "$CURL http://other.test/; $CURL http://198.51.100.10:9000/"
        assert_line "hello from 198.51.100.10:80"
        assert_line "hello from 198.51.100.10:9000"
        run coco_sh "$who" web "$CURL -i http://lan.test/ | tr -d '\\r'; $CURL -i http://169.254.169.254/ | tr -d '\\r'; $CURL -i http://10.253.0.1/ | tr -d '\\r'"
        refute_contains "hello from"
        assert_line "X-Coco-Egress: blocked-range:10.0.0.0/8"
        assert_line "X-Coco-Egress: blocked-range:169.254.169.254/32"
    done
    # COCO_ALLOW_NETWORK=1 means full, filtered the same way
    install_config plain '{"command": "sh", "runtime": "native"}'
    run as root env COCO_ALLOW_NETWORK=1 "$COCO" run plain -c "$CURL http://good.test/; $CURL -i http://lan.test/ | tr -d '\\r'"
    assert_line "hello from 198.51.100.10:80"
    assert_line "X-Coco-Egress: blocked-range:10.0.0.0/8"
}

@test "egress: transparent capture: clients that ignore proxy variables reach allowlisted names, nothing else" {
    # 64g: a normal user on cgroup v1 gets the memory limit as RLIMIT_AS,
    # and node's fetch reserves about 10 GiB of address space for its
    # WebAssembly HTTP parser.
    net_config web '"allowed_hosts": ["good.test"], "limits": {"memory": "64g"}'
    local who js
    js='fetch(process.argv[1]).then(r => r.text()).then(t => process.stdout.write(t), e => { console.log("fetch failed: " + (e.cause ? e.cause.code || e.cause.message : e.message)); })'
    for who in root user; do
        run coco_sh "$who" web "unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
            $CURL http://good.test/; $CURL http://good.test:443/"
        assert_line "hello from 198.51.100.10:80"
        assert_line "hello from 198.51.100.10:443"
        if command -v node >/dev/null; then
            run coco_sh "$who" web "node -e '$js' http://good.test/; node -e '$js' http://other.test/"
            assert_line "hello from 198.51.100.10:80"
            assert_contains "fetch failed"
        fi
        # no name but the allowlist's resolves; no address is reached bare
        run coco_sh "$who" web "unset HTTP_PROXY http_proxy ALL_PROXY all_proxy
            $CURL http://other.test/; $CURL http://198.51.100.10/; $CURL http://10.253.1.5/; $CURL http://169.254.169.254/"
        refute_contains "hello from"
    done
}

@test "egress: the DNS stub answers allowlisted names with addresses from 198.18.0.0/15 and refuses the rest" {
    net_config web '"allowed_hosts": ["good.test", "*.good.test"]'
    local who
    for who in root user; do
        run coco_sh "$who" web 'getent ahostsv4 good.test; getent ahostsv4 www.good.test; getent ahostsv4 good.test; echo other:; getent hosts other.test || echo "other: $?"'
        # a fake address, the same for the same name, another for another
        local a b c
        a=$(awk 'NR==1 {print $1}' <<<"$output")
        [[ $a == 198.1[89].* ]] || { echo "$output"; return 1; }
        assert_line "other: 2"
        b=$(grep -m1 -A0 STREAM <<<"$output" | awk '{print $1}')
        [[ -n $b ]]
        c=$(awk '$1 != "'"$a"'" && /STREAM/ {print $1; exit}' <<<"$output")
        [[ -n $c && $c != "$a" ]] || { echo "$output"; return 1; }
    done
    run audit_log root
    assert_contains '"how":"dns"'
    assert_contains '"reason":"dns-not-allowlisted"'
}

@test "egress: private_ranges opens exactly the LAN range it names, never the metadata service" {
    net_config web '"allowed_hosts": ["lan.test", "meta.test"], "private_ranges": ["10.253.1.0/24"]'
    local who
    for who in root user; do
        run coco_sh "$who" web "$CURL http://lan.test/; $CURL -i http://meta.test/ | tr -d '\\r'"
        assert_line "hello from 10.253.1.5:80"
        assert_line "X-Coco-Egress: blocked-range:169.254.169.254/32"
        refute_contains "hello from 169.254"
    done
    # the host's own addresses stay closed whatever the range
    net_config web2 '"network": "full", "private_ranges": ["10.253.0.0/16"]'
    run coco_sh root web2 "$CURL http://10.253.1.5/; $CURL -i http://10.253.0.1/ | tr -d '\\r'"
    assert_line "hello from 10.253.1.5:80"
    assert_line "X-Coco-Egress: host-address"
}

@test "egress: the audit log records each decision, allowed and refused" {
    net_config web '"allowed_hosts": ["good.test"]'
    local who
    for who in root user; do
        run coco_sh "$who" web "$CURL http://good.test/ >/dev/null; $CURL http://lan.test/ >/dev/null"
        run audit_log "$who"
        assert_contains '"host":"good.test","port":80,"verdict":"allow","resolved":["198.51.100.10"],"dialed":"198.51.100.10"'
        assert_contains '"host":"lan.test","port":80,"verdict":"deny","reason":"not-allowlisted"'
        assert_contains '"tool":"web","backend":"native"'
    done
    [[ $(stat -c %a "$UHOME/.local/state/coco/egress.jsonl") == 600 ]]
    [[ $(stat -c %U "$UHOME/.local/state/coco/egress.jsonl") == "$TESTUSER" ]]
}

@test "egress: the proxy never outlives the run, and when it dies the tool loses the network" {
    net_config web '"allowed_hosts": ["good.test"]'
    # A run that keeps going after its proxy was killed: the next request
    # fails (refused, not around the proxy) and does not hang.
    with_hosts "$COCO" run web -c "sleep 1.5; $CURL http://good.test/; echo curl=\$?" \
        >"$TEST_TMP/out" 2>&1 &
    local bg=$! i proxy=''
    BG_PIDS=$bg
    for ((i = 0; i < 150; i++)); do
        proxy=$(egress_proxy_of "$bg")
        [[ -z $proxy ]] || break
        sleep 0.02
    done
    [[ -n $proxy ]] || { ps -ef --forest | grep -v grep | grep -A3 coco; return 1; }
    kill -KILL "$proxy"
    wait "$bg" || true
    run cat "$TEST_TMP/out"
    refute_contains "hello from"
    assert_contains "curl=7"
    # kill -9 of coco itself takes the proxy with it (its stop pipe
    # closes; the parent-death signal too, set again after a root run's
    # proxy dropped to nobody).
    local who
    for who in root user; do
        as "$who" "$COCO" run web -c "sleep 30 # egress-orphan-$who" \
            >/dev/null 2>&1 &
        bg=$!
        BG_PIDS="$BG_PIDS $bg"
        proxy=''
        for ((i = 0; i < 150; i++)); do
            proxy=$(egress_proxy_of "$bg")
            [[ -z $proxy ]] || break
            sleep 0.02
        done
        [[ -n $proxy ]]
        kill -KILL "$(cat /proc/$proxy/status | awk '/^PPid/ {print $2}')"
        wait_gone 50 "egress-orphan-$who"
    done
    # After a normal run, no proxy is left.
    with_hosts "$COCO" run web -c 'echo $PPID' >/dev/null &
    bg=$!
    wait "$bg"
    run pgrep -f "coco run web"
    assert_status 1
}

@test "egress: show says allowed_hosts and full are filtered on native" {
    net_config web '"allowed_hosts": ["good.test"]'
    run "$COCO" show web
    assert_status 0
    assert_contains good.test
    refute_contains "not enforced"
}
