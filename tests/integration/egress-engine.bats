#!/usr/bin/env bats
# egress-engine.bats — allowed_hosts and "full" on podman (and docker when
# a private dockerd starts, as docker.bats does it): the container has no
# network (--network=none); coco's relay in it (coco _egress-forward) is
# the only way out, to coco's egress proxy on the host through a unix
# socket.  The "internet" is egress_net.bash's namespace (see egress.bats):
#   198.51.100.10 public (good.test, other.test), 10.253.1.5 the LAN
#   (lan.test), 169.254.169.254 a metadata service (meta.test).
# The base image has no curl: tests/helpers/netprobe (static) is bound in
# and asks the way a tool would, through HTTP_PROXY, HTTPS_PROXY (CONNECT)
# and ALL_PROXY (SOCKS5), and asks DNS with one raw UDP query (netprobe
# resolve: no libc resolver in between).  The container's DNS is the
# relay on 127.0.0.1:53, answered by the proxy's stub through dns.sock:
# fake addresses from 198.18.0.0/15 for allowlisted names, REFUSED for
# the rest; the test's resolver (198.51.100.53, dnsserv) logs every query
# that reaches it, and must see none.  Runs as root (rootful podman,
# runc).

bats_require_minimum_version 1.5.0
load helpers

load egress_net

# egress_net's hooks, wrapped: the images and dockerd come on top.
eval "$(declare -f setup_file | sed '1s/setup_file/egress_net_setup_file/')"
eval "$(declare -f teardown_file | sed '1s/teardown_file/egress_net_teardown_file/')"
eval "$(declare -f setup | sed '1s/setup/egress_net_setup/')"

# A private dockerd (helpers.bash); ENG_DOCKER_SKIP says why not.
start_dockerd() {
    # The daemon and coco's docker runs share one mount namespace, which
    # holds the test's hosts file (as with_hosts does it for podman):
    # run by root, coco idmaps the binds and attaches them where it runs,
    # and the daemon must see them there.
    unshare -m --propagation private sh -c \
        'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf &&
         exec sleep 100000' "$EG_DIR/hosts" "$EG_DIR/resolv.conf" \
        >/dev/null 2>&1 3>&- &
    NS_HOLDER=$!
    export NS_HOLDER
    local i
    for ((i = 0; i < 100; i++)); do
        [[ $(readlink "/proc/$NS_HOLDER/exe" 2>/dev/null) == */sleep ]] && break
        sleep 0.1
    done
    if ! DOCKERD_NS=$NS_HOLDER dockerd_start; then
        export ENG_DOCKER_SKIP="tests/images/build.sh docker base failed"
    elif [[ -n ${DOCKER_SKIP:-} ]]; then
        export ENG_DOCKER_SKIP=$DOCKER_SKIP
    fi
    return 0
}

setup_file() {
    set -o pipefail
    engine_setup_file
    [[ -z ${EGRESS_SKIP:-} ]] || return 0
    [[ -x $COCO_TEST_HELPERS/netprobe ]] || {
        export EGRESS_SKIP="$COCO_TEST_HELPERS/netprobe is not built (make tests-bin)"
        return 0
    }
    # Builds once (offline after the first time); later runs find it.
    "$REPO_ROOT/tests/images/build.sh" podman base 2>&1 | tap_comment || {
        export EGRESS_SKIP="tests/images/build.sh podman base failed: no base image"
        return 0
    }
    start_dockerd
}

teardown_file() {
    dockerd_stop
    [[ -z ${NS_HOLDER:-} ]] || { kill "$NS_HOLDER"; wait "$NS_HOLDER"; } 2>/dev/null
    egress_net_teardown_file
}

setup() {
    egress_net_setup
    unset COCO_RUNTIME
    PROBE_DIR=$TEST_TMP/probe
    mkdir -p "$PROBE_DIR"
    cp "$COCO_TEST_HELPERS/netprobe" "$PROBE_DIR/netprobe"
    chmod 0755 "$PROBE_DIR" "$PROBE_DIR/netprobe"
    # The proxy's socket directory goes here: each test sees it removed.
    export XDG_RUNTIME_DIR=$TEST_TMP/rt
    mkdir -m 0700 "$XDG_RUNTIME_DIR"
    ENGINES=(podman)
    [[ -n ${ENG_DOCKER_SKIP:-} ]] || ENGINES+=(docker)
}

teardown() {
    local p
    for p in ${BG_PIDS:-}; do kill -KILL "$p" 2>/dev/null || true; done
    common_teardown
}

# eng_config NAME NETWORK-JSON: sh in the base image, netprobe at /probe.
eng_config() {
    install_config "$1" "{\"command\": \"sh\", \"image\": \"$TEST_BASE_IMAGE\",
        \"mounts\": [{\"src\": \".\", \"dst\": \"/workspace\"},
            {\"src\": \"$PROBE_DIR\", \"dst\": \"/probe\", \"opts\": \"ro\"}],
        $2}"
}

# eng_sh ENGINE CONFIG SCRIPT: SCRIPT run by sh in CONFIG's container, with
# the test's hosts file in coco's (and so the proxy's) mount namespace.
eng_sh() {
    eng_wrap "$1" env COCO_RUNTIME="$1" "$COCO" run "$2" -c "$3"
}

# eng_wrap ENGINE CMD...: CMD with the test's hosts file; for docker in
# the daemon's own mount namespace (start_dockerd).
eng_wrap() {
    if [[ $1 == docker ]]; then
        shift
        # cd after entering: nsenter --wd keeps a directory of this
        # namespace, whose mounts coco could not clone from that one
        nsenter -m -t "$NS_HOLDER" sh -c 'cd "$0" && exec "$@"' "$PWD" "$@"
    else
        shift
        with_hosts "$@"
    fi
}

# The socket's directory is gone after every run.
assert_no_socket_dir() {
    local left
    left=$(ls -A "$XDG_RUNTIME_DIR")
    [[ -z $left ]] || {
        echo "left behind in XDG_RUNTIME_DIR: $left"
        return 1
    }
}

P=/probe/netprobe

@test "egress-engine: an allowlisted name is reached by HTTP, CONNECT and SOCKS5; any other name gets 403" {
    eng_config web '"allowed_hosts": ["good.test", "good.test:8443"]'
    local e
    for e in "${ENGINES[@]}"; do
        run --separate-stderr eng_sh "$e" web "$P get http://good.test/; $P connect good.test:8443; $P socks5 good.test 80; $P get http://other.test/"
        assert_status 0
        assert_line "hello from 198.51.100.10:80"
        assert_line "hello from 198.51.100.10:8443"
        assert_line "socks5: reply 0"
        [[ $(grep -c '^hello from 198.51.100.10:80$' <<<"$output") -eq 2 ]]
        assert_line "HTTP/1.1 403 Forbidden"
        assert_line "X-Coco-Egress: not-allowlisted"
        grep -q 'egress to other.test port 80 refused (not-allowlisted)' <<<"$stderr"
        assert_no_socket_dir
    done
}

@test "egress-engine: an allowlisted name in the LAN or at the metadata service is refused, by HTTP and SOCKS5" {
    eng_config web '"allowed_hosts": ["lan.test", "meta.test"]'
    local e
    for e in "${ENGINES[@]}"; do
        run eng_sh "$e" web "$P get http://lan.test/; $P get http://meta.test/; $P socks5 lan.test 80"
        refute_contains "hello from"
        assert_line "X-Coco-Egress: blocked-range:10.0.0.0/8"
        assert_line "X-Coco-Egress: blocked-range:169.254.169.254/32"
        refute_line "socks5: reply 0"
        assert_contains "socks5: reply"
    done
}

@test "egress-engine: network full reaches public addresses, never the LAN or the metadata service" {
    eng_config web '"network": "full"'
    local e
    for e in "${ENGINES[@]}"; do
        run eng_sh "$e" web "$P get http://other.test/; $P get http://198.51.100.10:9000/; $P get http://lan.test/; $P get http://169.254.169.254/; $P get http://10.253.0.1/"
        assert_line "hello from 198.51.100.10:80"
        assert_line "hello from 198.51.100.10:9000"
        refute_contains "hello from 10."
        refute_contains "hello from 169."
        assert_line "X-Coco-Egress: blocked-range:10.0.0.0/8"
        assert_line "X-Coco-Egress: blocked-range:169.254.169.254/32"
    done
}

@test "egress-engine: without the proxy nothing leaves the container (no network); the tool's exit status comes back" {
    eng_config web '"network": "full"'
    local e
    for e in "${ENGINES[@]}"; do
        run eng_sh "$e" web "$P direct 198.51.100.10 80; $P direct 10.253.1.5 80; $P direct 10.253.0.1 80; cat /proc/net/route | wc -l; exit 7"
        assert_status 7
        refute_contains "hello from"
        [[ $(grep -c '^netprobe: connect:' <<<"$output") -eq 3 ]] || {
            echo "$output"
            return 1
        }
        # no route at all: only the header line
        assert_line 1
    done
}

# True when dnsserv (the test's resolver, and every address of its
# namespace) saw no query for a name containing $1.
no_query_reached() {
    if grep "query [^ ]*$1" "$EG_DIR/dnsserv.log"; then
        echo "a query for *$1* reached the test's resolver"
        return 1
    fi
}

@test "egress-engine: DNS in the container is coco's stub: fake 198.18/15 for allowlisted names, REFUSED for others, nothing upstream, each audited" {
    eng_config web '"allowed_hosts": ["good.test", "public-ok.dns.test"]'
    local e fake
    for e in "${ENGINES[@]}"; do
        run eng_sh "$e" web "cat /etc/resolv.conf; echo hosts:; cat /etc/hosts; $P resolve good.test; $P resolve public-ok.dns.test; $P resolve public-no-$e.dns.test; $P resolve PUBLIC-OK.dns.test."
        assert_status 0
        # the resolver is the relay, and only the relay
        [[ $(sed -n '1,/^hosts:$/p' <<<"$output" | grep -vc '^hosts:$') -eq 1 ]]
        assert_line "nameserver 127.0.0.1"
        # the engine's hosts file named the host's own names (podman)
        refute_contains "host.containers.internal"
        [[ $(grep -c '^resolve: rcode 0$' <<<"$output") -eq 3 ]]
        [[ $(grep -c '^resolve: rcode 5$' <<<"$output") -eq 1 ]]
        [[ $(grep -c '^resolve: A ' <<<"$output") -eq 3 ]]
        # every answer in 198.18.0.0/15, never the name's real address
        [[ -z $(grep '^resolve: A ' <<<"$output" | grep -Ev '^resolve: A 198\.1[89]\.') ]]
        refute_contains "198.51.100.10"
        # one name, one fake address
        fake=$(grep '^resolve: A ' <<<"$output" | sed -n 2p)
        [[ $(grep -c "^$fake\$" <<<"$output") -eq 2 ]]
        no_query_reached "dns.test"
        run audit_log root
        grep "\"backend\":\"$e\"" <<<"$output" | grep '"how":"dns"' | grep '"host":"public-ok.dns.test"' | grep -q '"verdict":"allow"'
        grep "\"backend\":\"$e\"" <<<"$output" | grep '"how":"dns"' | grep '"host":"good.test"' | grep -q '"verdict":"allow"'
        grep "\"backend\":\"$e\"" <<<"$output" | grep '"how":"dns"' | grep "\"requested\":\"public-no-$e.dns.test\"" | grep -q '"reason":"dns-not-allowlisted"'
        assert_no_socket_dir
    done
}

@test "egress-engine: the DNS relay is no way around: full still answers from the stub; a fake address and the resolver are out of reach" {
    eng_config web '"network": "full"'
    local e fake
    for e in "${ENGINES[@]}"; do
        run eng_sh "$e" web "$P resolve public-full-$e.dns.test; $P resolve _x._tcp.dns.test; $P resolve public-direct-$e.dns.test 198.51.100.53; $P direct 198.51.100.53 53"
        # "full" gives any host name a fake address, asks nobody
        assert_line "resolve: rcode 0"
        assert_line "resolve: rcode 5"
        fake=$(awk '/^resolve: A / {print $3; exit}' <<<"$output")
        [[ $fake == 198.1[89].* ]] || {
            echo "$output"
            return 1
        }
        # straight to the resolver: no route
        grep -q '^netprobe: resolve: send: ' <<<"$output"
        grep -q '^netprobe: connect: ' <<<"$output"
        no_query_reached "dns.test"
        # the fake address is reachable only as a name the proxy decides
        run eng_sh "$e" web "$P direct $fake 80"
        grep -q '^netprobe: connect: ' <<<"$output"
        refute_contains "hello from"
    done
}

@test "egress-engine: when the proxy dies the tool's connections fail closed" {
    eng_config web '"allowed_hosts": ["good.test"]'
    local e out i pid proxy
    for e in "${ENGINES[@]}"; do
        out=$TEST_TMP/out.$e
        mkdir -p "$TEST_TMP/ctl.$e"
        install_config web "{\"command\": \"sh\", \"image\": \"$TEST_BASE_IMAGE\",
            \"mounts\": [{\"src\": \".\", \"dst\": \"/workspace\"},
                         {\"src\": \"$PROBE_DIR\", \"dst\": \"/probe\", \"opts\": \"ro\"},
                         {\"src\": \"$TEST_TMP/ctl.$e\", \"dst\": \"/ctl\"}],
            \"allowed_hosts\": [\"good.test\"]}"
        eng_sh "$e" web "$P resolve good.test; $P get http://good.test/; i=0; while [ ! -e /ctl/go ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i+1)); done; echo second:; t0=\$(date +%s); $P get http://good.test/; echo elapsed \$((\$(date +%s) - t0)); $P resolve good.test; $P resolve public-dead-$e.dns.test; echo done" >"$out" 2>&1 &
        pid=$!
        BG_PIDS="${BG_PIDS:-} $pid"
        for ((i = 0; i < 300; i++)); do
            grep -q "hello from" "$out" && break
            sleep 0.1
        done
        grep -q "hello from" "$out"
        # The proxy: coco's child that serves as nobody.  The coco under
        # with_hosts (unshare -> sh -> env -> coco) is a descendant of PID.
        proxy=$(pgrep -u nobody -f "$COCO run web" | head -1 || true)
        [[ -n $proxy ]] || {
            ps -ef --forest >&3
            return 1
        }
        kill -KILL "$proxy"
        touch "$TEST_TMP/ctl.$e/go"
        wait "$pid" || true
        run cat "$out"
        assert_line "second:"
        assert_line "done"
        # refused at once (nobody holds the listener), not left to hang
        local el
        el=$(awk '/^elapsed / {print $2}' "$out")
        [[ -n $el && $el -lt 5 ]] || {
            cat "$out"
            return 1
        }
        [[ $(grep -c "hello from" "$out") -eq 1 ]] || {
            cat "$out"
            return 1
        }
        # DNS: answered while the proxy lived, then no answer at all
        # (the relay asks nobody else)
        [[ $(grep -c '^resolve: rcode 0$' "$out") -eq 1 &&
            $(grep -c '^netprobe: resolve: no answer' "$out") -eq 2 ]] || {
            cat "$out"
            return 1
        }
        no_query_reached "dns.test"
        assert_no_socket_dir
    done
}

@test "egress-engine: the audit log names the backend" {
    eng_config web '"allowed_hosts": ["good.test"]'
    local e
    for e in "${ENGINES[@]}"; do
        run eng_sh "$e" web "$P get http://good.test/; $P get http://other.test/"
        assert_line "hello from 198.51.100.10:80"
        run audit_log root
        grep "\"backend\":\"$e\"" <<<"$output" | grep -q '"host":"good.test"'
        grep "\"backend\":\"$e\"" <<<"$output" | grep -q '"reason":"not-allowlisted"'
    done
}

@test "egress-engine: another local user cannot reach the proxy's socket (0700 directory, even under /tmp) nor choose where it goes" {
    eng_config web '"allowed_hosts": ["good.test"]'
    local e pid dir i before
    before=$(ls -d /tmp/coco-egress.* 2>/dev/null || true)
    for e in "${ENGINES[@]}"; do
        # An XDG_RUNTIME_DIR that is another user's (sudo -E keeps the
        # user's): never used, they could swap the directory in it; the
        # directory goes under /tmp, where every user can look.
        local udir=$TEST_TMP/user-rt.$e
        mkdir -m 0700 "$udir"
        chown "$TESTUSER" "$udir"
        eng_wrap "$e" env XDG_RUNTIME_DIR="$udir" COCO_RUNTIME="$e" \
            "$COCO" run web -c "$P get http://good.test/; sleep 4" >"$TEST_TMP/out.$e" 2>&1 &
        pid=$!
        BG_PIDS="${BG_PIDS:-} $pid"
        dir=''
        for ((i = 0; i < 200; i++)); do
            dir=$(comm -13 <(printf '%s\n' "$before") <(ls -d /tmp/coco-egress.* 2>/dev/null) | head -1)
            [[ -n $dir && -S $dir/proxy.sock ]] && break
            sleep 0.05
        done
        [[ -n $dir && -S $dir/proxy.sock ]] || { cat "$TEST_TMP/out.$e"; ls -la /tmp "$udir"; return 1; }
        [[ -z $(ls -A "$udir") ]] || { ls -la "$udir"; return 1; }
        [[ $(stat -c '%a %u' "$dir") == "700 0" ]]
        [[ $(stat -c '%a' "$dir/proxy.sock") == 600 ]]
        # the other user: cannot list it, cannot connect
        run runuser -u "$TESTUSER" -- ls "$dir"
        assert_status 2
        run runuser -u "$TESTUSER" -- python3 -c 'import socket,sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print("refused", e.errno)' "$dir/proxy.sock"
        assert_line "refused 13"
        wait "$pid" || true
        grep -q "hello from" "$TEST_TMP/out.$e"
        [[ ! -e $dir ]]
    done
}
