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

load egress_net

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
    # fails (refused, not around the proxy) and does not hang; the
    # transparent path and the DNS stub die with it.
    local who bg i proxy
    BG_PIDS=
    for who in root user; do
        as "$who" "$COCO" run web -c "$CURL http://good.test/ >/dev/null && echo before=ok; sleep 1.5; $CURL http://good.test/; echo curl=\$?; $CURL --noproxy '*' http://198.51.100.10/; echo direct=\$?; getent hosts good.test; echo dns=\$?" \
            >"$TEST_TMP/out" 2>&1 &
        bg=$!
        BG_PIDS="$BG_PIDS $bg"
        proxy=$(wait_proxy "$bg")
        [[ -n $proxy ]] || { ps -ef --forest | grep -v grep | grep -A3 coco; return 1; }
        sleep 0.5
        kill -KILL "$proxy"
        wait "$bg" || true
        run cat "$TEST_TMP/out"
        assert_line before=ok
        refute_contains "hello from"
        assert_line curl=7
        refute_line direct=0
        assert_line dns=2
    done
    # kill -9 of coco itself takes the proxy with it (its stop pipe
    # closes; the parent-death signal too, set again after a root run's
    # proxy dropped to nobody).
    local who
    for who in root user; do
        as "$who" "$COCO" run web -c "sleep 30 # egress-orphan-$who" \
            >/dev/null 2>&1 &
        bg=$!
        BG_PIDS="$BG_PIDS $bg"
        proxy=$(wait_proxy "$bg")
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

@test "egress: the proxy serves as nobody (root run) or as the user, with no capabilities, no new privileges, its own seccomp filter" {
    net_config web '"allowed_hosts": ["good.test"]'
    local who bg i proxy st want
    for who in root user; do
        as "$who" "$COCO" run web -c "$CURL http://good.test/ >/dev/null; sleep 3" >/dev/null 2>&1 &
        bg=$!
        BG_PIDS="${BG_PIDS:-} $bg"
        proxy=$(wait_proxy "$bg")
        [[ -n $proxy ]]
        # it confines itself once it serves: wait for that (bounded)
        for ((i = 0; i < 100; i++)); do
            st=$(cat "/proc/$proxy/status")
            grep -Eq '^Seccomp:[[:space:]]+2$' <<<"$st" && break
            sleep 0.02
        done
        if [[ $who == root ]]; then want=65534; else want=$(id -u "$TESTUSER"); fi
        grep -Eq "^Uid:[[:space:]]+$want[[:space:]]+$want[[:space:]]+$want[[:space:]]+$want\$" <<<"$st" || { echo "$st"; return 1; }
        grep -Eq "^Gid:[[:space:]]+[0-9]+" <<<"$st"
        ! grep -Eq '^Gid:[[:space:]]+0[[:space:]]' <<<"$st" || { echo "$st"; return 1; }
        grep -Eq '^Groups:[[:space:]]*$' <<<"$st" || [[ $who == user ]] || { echo "$st"; return 1; }
        grep -Eq '^CapEff:[[:space:]]+0+$' <<<"$st" || { echo "$st"; return 1; }
        grep -Eq '^CapPrm:[[:space:]]+0+$' <<<"$st" || { echo "$st"; return 1; }
        grep -Eq '^NoNewPrivs:[[:space:]]+1$' <<<"$st" || { echo "$st"; return 1; }
        grep -Eq '^Seccomp:[[:space:]]+2$' <<<"$st" || { echo "$st"; return 1; }
        # in the host's network namespace, not the sandbox's
        [[ $(readlink "/proc/$proxy/ns/net") == "$(readlink /proc/self/ns/net)" ]]
        kill -KILL "$bg" 2>/dev/null || true
        wait "$bg" 2>/dev/null || true
    done
}

@test "egress: one notice per refused host, at most 64, then one line; the audit log keeps them all" {
    net_config web '"allowed_hosts": ["good.test"]'
    run --separate-stderr "$COCO" run web -c 'i=0; while [ $i -lt 70 ]; do curl -s -m 5 -o /dev/null http://h$i.test/; curl -s -m 5 -o /dev/null http://h$i.test/again; i=$((i+1)); done; echo done'
    assert_line done
    local n
    n=$(grep -c 'egress to h[0-9]*\.test port 80 refused (not-allowlisted)' <<<"$stderr")
    [[ $n == 64 ]] || { echo "$stderr"; return 1; }
    [[ $(grep -c 'egress to h0\.test port 80' <<<"$stderr") == 1 ]]
    [[ $(grep -c 'more egress refusals; not shown (see egress.jsonl)' <<<"$stderr") == 1 ]]
    [[ $(wc -l <<<"$stderr") == 65 ]] || { echo "$stderr"; return 1; }
    run audit_log root
    [[ $(grep -c '"host":"h69.test","port":80,"verdict":"deny"' <<<"$output") == 2 ]]
}

@test "egress: show says allowed_hosts and full are filtered on native" {
    net_config web '"allowed_hosts": ["good.test"]'
    run "$COCO" show web
    assert_status 0
    assert_contains good.test
    refute_contains "not enforced"
}

@test "egress: the real world: npm install from the npm registry through the proxy; example.com refused and audited" {
    # The registry is the one outside host this machine may reach.
    curl -sS -m 20 -o /dev/null https://registry.npmjs.org/is-number 2>"$TEST_TMP/reach" ||
        skip "the npm registry is not reachable from this host: $(cat "$TEST_TMP/reach")"
    command -v npm >/dev/null || skip "npm is not installed"
    # The tool gets what the host trusts; where the host's own npm cannot
    # reach the registry (its CA not configured), neither can the tool.
    npm view is-number@7.0.0 version >"$TEST_TMP/hostnpm" 2>&1 ||
        skip "npm on this host cannot reach the registry: $(tail -1 "$TEST_TMP/hostnpm")"
    local json='{"command": "npm", "runtime": "native",
      "allowed_hosts": ["registry.npmjs.org"],
      "mounts": [{"src": ".", "dst": "/workspace"}],
      "env": {"NPM_CONFIG_UPDATE_NOTIFIER": "false", "NPM_CONFIG_FUND": "false"}}'
    install_config npmt "$json"
    printf '%s\n' "$json" >"$UDATA/coco/tools/npmt.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/npmt.json"
    net_config web '"allowed_hosts": ["registry.npmjs.org"]'
    local who dir
    for who in root user; do
        if [[ $who == root ]]; then dir=$WORK; else dir=$UWORK; fi
        # The host's CA settings reach the tool (this machine's HTTPS passes
        # an intercepting CA), as the user's own environment names them.
        AS_REAL=1 run as "$who" "$COCO" run npmt install --no-audit is-number@7.0.0
        assert_status 0
        [[ $(cat "$dir/node_modules/is-number/package.json") == *'"version": "7.0.0"'* ]]
        if [[ $who == user ]]; then
            [[ $(stat -c %U "$dir/node_modules/is-number/package.json") == "$TESTUSER" ]]
        else
            [[ $(stat -c %u "$dir/node_modules/is-number/package.json") == 0 ]]
        fi
        AS_REAL=1 run --separate-stderr coco_sh "$who" web "curl -sS -m 20 -o /dev/null -w '%{http_code}\n' https://example.com/"
        assert_line 000
        [[ $stderr == *"egress to example.com port 443 refused (not-allowlisted)"* ]]
        run audit_log "$who"
        assert_contains '"tool":"npmt","backend":"native","event":"decision","how":"connect","requested":"registry.npmjs.org","host":"registry.npmjs.org","port":443,"verdict":"allow"'
        assert_contains '"host":"example.com","port":443,"verdict":"deny","reason":"not-allowlisted"'
    done
}

@test "egress: the host's CA settings reach the tool read-only; a copy when the file is outside /etc and /usr" {
    printf 'coco-test-ca-%s\n' "$$" >"$TEST_TMP/ca.pem"
    chmod 0644 "$TEST_TMP/ca.pem"
    net_config web '"allowed_hosts": ["good.test"]'
    run env NODE_EXTRA_CA_CERTS="$TEST_TMP/ca.pem" SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
        "$COCO" run web -c 'echo "node=$NODE_EXTRA_CA_CERTS ssl=$SSL_CERT_FILE"; cat "$NODE_EXTRA_CA_CERTS"; echo x >"$NODE_EXTRA_CA_CERTS" || echo write-refused'
    assert_line "node=/run/coco/ca/NODE_EXTRA_CA_CERTS ssl=/etc/ssl/certs/ca-certificates.crt"
    assert_line "coco-test-ca-$$"
    assert_line write-refused
    [[ $(cat "$TEST_TMP/ca.pem") == "coco-test-ca-$$" ]]
    # the same for a normal user with a CA file of their own
    printf 'coco-user-ca-%s\n' "$$" >"$UHOME/ca.pem"
    chown "$TESTUSER:" "$UHOME/ca.pem"
    NODE_EXTRA_CA_CERTS=$UHOME/ca.pem run as user "$COCO" run web -c 'echo "node=$NODE_EXTRA_CA_CERTS"; cat "$NODE_EXTRA_CA_CERTS"; echo x >"$NODE_EXTRA_CA_CERTS" || echo write-refused; chmod 666 "$NODE_EXTRA_CA_CERTS" || echo chmod-refused'
    assert_line "node=/run/coco/ca/NODE_EXTRA_CA_CERTS"
    assert_line "coco-user-ca-$$"
    assert_line write-refused
    assert_line chmod-refused
    [[ $(cat "$UHOME/ca.pem") == "coco-user-ca-$$" ]]
    # the config's own value wins; without egress nothing is passed
    net_config web2 '"allowed_hosts": ["good.test"], "env": {"NODE_EXTRA_CA_CERTS": "/etc/mine.pem"}'
    run env NODE_EXTRA_CA_CERTS="$TEST_TMP/ca.pem" "$COCO" run web2 -c 'echo "node=$NODE_EXTRA_CA_CERTS"'
    assert_line "node=/etc/mine.pem"
    install_config off '{"command": "sh", "runtime": "native"}'
    run env NODE_EXTRA_CA_CERTS="$TEST_TMP/ca.pem" "$COCO" run off -c 'echo "node=${NODE_EXTRA_CA_CERTS:-unset}"; ls /run/coco 2>&1 | head -1'
    assert_line "node=unset"
    refute_contains "NODE_EXTRA_CA_CERTS"
}

@test "egress: run --report sums up what the tool reached and was refused" {
    net_config web '"allowed_hosts": ["good.test"]'
    local who
    for who in root user; do
        run --separate-stderr as "$who" "$COCO" run --report web -c \
            "$CURL http://good.test/ >/dev/null; $CURL http://good.test/x >/dev/null; $CURL http://lan.test/ >/dev/null; getent hosts other.test"
        [[ $stderr == *"egress report (run "* ]] || { echo "$stderr"; return 1; }
        grep -Eq '^  reached  good.test:80 +2 times$' <<<"$stderr"
        grep -Eq '^  refused  lan.test:80 +1 time, not-allowlisted$' <<<"$stderr"
        grep -Eq '^  refused  other.test \(lookup\) +[0-9]+ times?, dns-not-allowlisted$' <<<"$stderr"
    done
    install_config quiet '{"command": "true", "runtime": "native"}'
    run --separate-stderr "$COCO" run --report quiet
    assert_status 0
    [[ $stderr == *'egress report: network "none": nothing could leave the sandbox'* ]]
}
