#!/usr/bin/env bats
# install-deb.bats — deb: installs (issue 9): Debian packages from the
# host's configured mirror, fetched by apt in phase F (egress only to the
# mirror hosts of /etc/apt/sources.list*), unpacked by dpkg-deb -x in
# phase B (no network, no maintainer script), as root and as a normal
# user, native backend.  The real Debian mirror and the host's own
# resolver are used (no test network): these tests need the mirror.
#
# Each wall was seen to fail its test with the wall broken in the code:
# the lock's SHA-256 comparison dropped (the tampered .deb unpacked, test
# 4 fails), phase B's argv made to run the package's postinst (test 3),
# the run's PYTHONPATH left out (test 2 fails: no module named black),
# the mirror list replaced by another host (test 3's allowlist check).

bats_require_minimum_version 1.5.0
load helpers

TESTUSER=${COCO_TEST_USER:-cocotest}

setup_file() {
    if [[ $(id -u) -ne 0 ]]; then
        export DEB_SKIP="run as root (the tests make a user and check the host's dpkg)"
        return 0
    fi
    if ! curl -sS -m 20 -o /dev/null http://deb.debian.org/debian/dists/bookworm/Release 2>/tmp/coco-deb-reach.$$; then
        export DEB_SKIP="the Debian mirror is not reachable: $(cat /tmp/coco-deb-reach.$$)"
        rm -f /tmp/coco-deb-reach.$$
        return 0
    fi
    rm -f /tmp/coco-deb-reach.$$
    id "$TESTUSER" >/dev/null 2>&1 || useradd -m "$TESTUSER" || {
        export DEB_SKIP="useradd $TESTUSER failed"
        return 0
    }
}

setup() {
    [[ -z ${DEB_SKIP:-} ]] || skip "$DEB_SKIP"
    common_setup
    export COCO_RUNTIME=native
    user_dirs
}

teardown() { common_teardown; }

# as WHO CMD...: as root in $WORK, or as the test user in $UWORK with a
# clean environment.
as() {
    local who=$1
    shift
    if [[ $who == root ]]; then
        "$@"
    else
        (cd "$UWORK" && runuser -u "$TESTUSER" -- env -i PATH=/usr/bin:/bin \
            HOME="$UHOME" XDG_DATA_HOME="$UDATA" TERM=dumb COCO_RUNTIME=native "$@")
    fi
}
envs_of() { if [[ $1 == root ]]; then echo "$XDG_DATA_HOME/coco/envs"; else echo "$UDATA/coco/envs"; fi; }
work_of() { if [[ $1 == root ]]; then echo "$WORK"; else echo "$UWORK"; fi; }
home_of() { if [[ $1 == root ]]; then echo "$HOME"; else echo "$UHOME"; fi; }
# put FILE CONTENT WHO: a file in WHO's work dir, theirs.
put() {
    printf '%s' "$2" >"$(work_of "$3")/$1"
    [[ $3 == root ]] || chown "$TESTUSER:" "$(work_of "$3")/$1"
}
# tool_config NAME JSON: the config NAME, for root and the user.
tool_config() {
    install_config "$1" "$2"
    printf '%s\n' "$2" >"$UDATA/coco/tools/$1.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/$1.json"
    chmod 0644 "$UDATA/coco/tools/$1.json"
}
not_on_host() {
    ! dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

@test "deb: coco get rg, then rg finds a match (0) and a miss (1); usr/bin/rg in the install; nothing on the host" {
    not_on_host ripgrep || skip "the host has ripgrep installed: this test needs a host without it"
    local who
    for who in root user; do
        put notes.txt $'alpha\nneedle here\n' "$who"
        run as "$who" env COCO_STORE="$REPO_ROOT/store" "$COCO" get rg
        assert_status 0
        run --separate-stderr as "$who" "$COCO" run rg needle
        [[ $status -eq 0 ]] || { echo "status $status: $output / $stderr"; return 1; }
        assert_contains "needle here"
        [[ $stderr == *"installing deb:ripgrep: fetching from deb.debian.org"* ]] || { echo "$stderr"; return 1; }
        [[ $stderr == *"installed ripgrep 13."* ]] || { echo "$stderr"; return 1; }
        run as "$who" "$COCO" run rg no-such-word
        assert_status 1
        [[ -x $(envs_of "$who")/rg/current/root/usr/bin/rg ]]
        [[ -f $(envs_of "$who")/rg/current/deb-lock.json ]]
        [[ $who == root ]] || [[ $(stat -c %U "$(envs_of "$who")/rg/current/root/usr/bin/rg") == "$TESTUSER" ]]
    done
    not_on_host ripgrep
    [[ ! -e /usr/bin/rg ]]
}

@test "deb: black formats a file: host python3 runs it, PYTHONPATH finds its modules in the install" {
    not_on_host black || skip "the host has black installed"
    local who
    for who in root user; do
        put a.py $'x = [1,2,\n 3]\n' "$who"
        run as "$who" env COCO_STORE="$REPO_ROOT/store" "$COCO" get black
        assert_status 0
        run as "$who" "$COCO" run black a.py
        assert_status 0
        [[ $(cat "$(work_of "$who")/a.py") == "x = [1, 2, 3]" ]] || { cat "$(work_of "$who")/a.py"; return 1; }
        [[ -d $(envs_of "$who")/black/current/root/usr/lib/python3/dist-packages/black ]]
    done
    not_on_host black
}

@test "deb: no maintainer script runs (figlet's postinst makes /usr/bin/figlet); phase F reaches only the mirror" {
    not_on_host figlet || skip "the host has figlet installed"
    local who root
    tool_config fig '{"tool": "deb:figlet", "command": "figlet-figlet", "runtime": "native"}'
    for who in root user; do
        # its fonts are where the package put them (not relocated: -d)
        run --separate-stderr as "$who" "$COCO" run fig -d /opt/coco/env/usr/share/figlet hi
        [[ $status -eq 0 ]] || { echo "status $status: $output / $stderr"; return 1; }
        [[ -n $output ]]
        root=$(envs_of "$who")/fig/current/root
        [[ -x $root/usr/bin/figlet-figlet ]]
        # the postinst's update-alternatives link: absent, in the install
        # and on the host
        [[ ! -e $root/usr/bin/figlet && ! -L $root/usr/bin/figlet ]]
        [[ ! -e /etc/alternatives/figlet ]]
        # the package's postinst is in the .deb (the wall is real)
        dpkg-deb -I "$(envs_of "$who")"/fig/cache/install/archives/figlet_*.deb postinst | grep -q update-alternatives
        # phase F's allowlist is the host's mirrors, and only they were asked
        grep -q '^== coco: phase F: network the registry only' "$(home_of "$who")/.local/state/coco/logs/fig-install.log"
        grep -q '^== coco: phase B: network none' "$(home_of "$who")/.local/state/coco/logs/fig-install.log"
        [[ $stderr == *"fetching from deb.debian.org (no package code runs)"* ]] || { echo "$stderr"; return 1; }
        local hosts
        hosts=$(grep -o '"host":"[^"]*"' "$(home_of "$who")/.local/state/coco/egress.jsonl" | sort -u)
        [[ $hosts == '"host":"deb.debian.org"' ]] || { echo "hosts: $hosts"; return 1; }
    done
    not_on_host figlet
}

@test "deb: a tampered .deb in the cache is refused on reinstall, naming the file; the lock's versions come back when it goes" {
    not_on_host ripgrep || skip "the host has ripgrep installed"
    local who deb cur
    for who in root user; do
        put notes.txt $'needle\n' "$who"
        run as "$who" env COCO_STORE="$REPO_ROOT/store" "$COCO" get rg
        assert_status 0
        run as "$who" "$COCO" run rg needle
        assert_status 0
        cur=$(readlink "$(envs_of "$who")/rg/current")
        deb=$(echo "$(envs_of "$who")"/rg/cache/install/archives/ripgrep_*.deb)
        [[ -f $deb ]]
        # same size, one byte changed
        printf 'X' | dd of="$deb" bs=1 seek=200 conv=notrunc status=none
        run --separate-stderr as "$who" "$COCO" install rg
        [[ $status -ne 0 ]] || { echo "installed a tampered package: $stderr"; return 1; }
        [[ $stderr == *"archives/$(basename "$deb"): its SHA-256 is"*"the lock says"* ]] || { echo "$stderr"; return 1; }
        [[ $(readlink "$(envs_of "$who")/rg/current") == "$cur" ]]
        # without it, the same versions again from the mirror
        rm -f -- "$deb"
        run --separate-stderr as "$who" "$COCO" install rg
        [[ $status -eq 0 ]] || { echo "status $status: $stderr"; return 1; }
        [[ $stderr == *"again, from its lock"* ]] || { echo "$stderr"; return 1; }
        run as "$who" "$COCO" run rg needle
        assert_status 0
    done
}
