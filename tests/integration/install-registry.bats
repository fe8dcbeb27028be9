#!/usr/bin/env bats
# install-registry.bats — the install tests' npm registry, shown to work
# without coco: the egress fixture (egress_net.bash) serves the test
# packages of npm_registry.bash as http://registry.test:8081/, and a
# plain npm on the host, given the fixture's hosts file and resolver
# (with_hosts) and no proxy, installs from it and nothing else.  What
# coco's own install must prevent is shown to happen here: the install
# scripts run (when not ignored) and do harm, and a git dependency is
# fetched from elsewhere (and fails fast: the fixture has no route).

bats_require_minimum_version 1.5.0
load helpers

load egress_net
load npm_registry

# need_registry: skip without the registry; set REG_NPM, the npm
# command line against the fixture's registry only: no proxy variables,
# an empty configuration, a private cache, no retries.  Run it under
# with_hosts (the fixture's hosts file and resolver): reg_npm.
need_registry() {
    npm_registry_require || return 1
    : >"$TEST_TMP/npmrc.global"
    : >"$TEST_TMP/npmrc.user"
    REG_NPM=(env -u HTTPS_PROXY -u HTTP_PROXY -u https_proxy -u http_proxy
        -u NO_PROXY -u no_proxy GIT_TERMINAL_PROMPT=0
        npm --registry "$NPM_REGISTRY_URL"
        --globalconfig "$TEST_TMP/npmrc.global"
        --userconfig "$TEST_TMP/npmrc.user" --cache "$TEST_TMP/cache"
        --no-audit --no-fund --no-update-notifier
        --fetch-retries=0 --fetch-timeout=5000)
}

# reg_npm ARGS...: npm ARGS against the fixture's registry.
reg_npm() { with_hosts "${REG_NPM[@]}" "$@"; }

# lock_get PREFIX PACKAGE FIELD: FIELD of node_modules/PACKAGE in
# PREFIX's package-lock.json ("undefined" when absent).
lock_get() {
    node -e 'const l = require(process.argv[1]);
        const p = l.packages["node_modules/" + process.argv[2]] || {};
        console.log(String(p[process.argv[3]]));' \
        "$1/package-lock.json" "$2" "$3"
}

# packument_integrity NAME VERSION: what the registry says.
packument_integrity() {
    node -e 'const d = require(process.argv[1]);
        console.log(d.versions[process.argv[2]].dist.integrity);' \
        "$EG_DIR/registry/$1/index.json" "$2"
}

# reg_npm_private_tmp ARGS...: reg_npm ARGS with a throwaway tmpfs on
# /tmp ($TEST_TMP still in place): what an install script writes to
# /tmp stays there.  Says "private /tmp/EVIL: yes" when one wrote that.
reg_npm_private_tmp() {
    # shellcheck disable=SC2016  # expanded by the inner sh
    with_hosts sh -c 'mount -t tmpfs tmpfs /mnt && mkdir /mnt/t &&
        mount --bind "$0" /mnt/t && mount -t tmpfs tmpfs /tmp &&
        mkdir -p "$0" && mount --bind /mnt/t "$0" && umount -l /mnt || exit 99
        "$@"; s=$?; [ -e /tmp/EVIL ] && echo "private /tmp/EVIL: yes"; exit $s' \
        "$TEST_TMP" "${REG_NPM[@]}" "$@"
}

@test "install-registry: npm installs the latest coco-t-hello and coco-t-dep from registry.test, resolved and integrity in the lock" {
    need_registry
    local p=$TEST_TMP/p
    run reg_npm install --prefix "$p" --ignore-scripts coco-t-hello
    assert_status 0
    [[ $(lock_get "$p" coco-t-hello version) == 1.1.0 ]]
    [[ $(lock_get "$p" coco-t-hello resolved) == \
        http://registry.test:8081/coco-t-hello/-/coco-t-hello-1.1.0.tgz ]]
    [[ $(lock_get "$p" coco-t-hello integrity) == "$(packument_integrity coco-t-hello 1.1.0)" ]]
    [[ $(lock_get "$p" coco-t-dep version) == 1.0.0 ]]
    [[ $(lock_get "$p" coco-t-dep resolved) == \
        http://registry.test:8081/coco-t-dep/-/coco-t-dep-1.0.0.tgz ]]
    [[ $(lock_get "$p" coco-t-dep integrity) == sha512-* ]]
    [[ $(lock_get "$p" coco-t-hello hasInstallScript) == undefined ]]
    run cat "$p/package-lock.json"
    refute_contains registry.npmjs.org
    run "$p/node_modules/.bin/coco-t-hello" world
    assert_status 0
    assert_line "hello 1.1.0 world"
    # the registry saw the packuments and the tarballs asked for
    run cat "$EG_DIR/webserv.log"
    assert_line "webserv: 198.51.100.10:8081 got GET /coco-t-hello HTTP/1.1"
    assert_line "webserv: 198.51.100.10:8081 got GET /coco-t-hello/-/coco-t-hello-1.1.0.tgz HTTP/1.1"
    assert_line "webserv: 198.51.100.10:8081 got GET /coco-t-dep/-/coco-t-dep-1.0.0.tgz HTTP/1.1"
}

@test "install-registry: coco-t-hello@1.0.0 pins the old version" {
    need_registry
    local p=$TEST_TMP/p
    run reg_npm install --prefix "$p" --ignore-scripts coco-t-hello@1.0.0
    assert_status 0
    [[ $(lock_get "$p" coco-t-hello version) == 1.0.0 ]]
    [[ $(lock_get "$p" coco-t-hello resolved) == \
        http://registry.test:8081/coco-t-hello/-/coco-t-hello-1.0.0.tgz ]]
    [[ $(lock_get "$p" coco-t-hello integrity) == "$(packument_integrity coco-t-hello 1.0.0)" ]]
    run "$p/node_modules/.bin/coco-t-hello" there
    assert_line "hello 1.0.0 there"
}

@test "install-registry: --ignore-scripts installs coco-t-scripty and coco-t-evildep, hasInstallScript in the lock, no script runs" {
    need_registry
    local p=$TEST_TMP/p
    run reg_npm_private_tmp install --prefix "$p" --ignore-scripts coco-t-scripty
    assert_status 0
    refute_contains "private /tmp/EVIL"
    [[ $(lock_get "$p" coco-t-scripty hasInstallScript) == true ]]
    [[ $(lock_get "$p" coco-t-evildep hasInstallScript) == true ]]
    [[ $(lock_get "$p" coco-t-evildep resolved) == \
        http://registry.test:8081/coco-t-evildep/-/coco-t-evildep-1.0.0.tgz ]]
    [[ -f $p/node_modules/coco-t-scripty/postinstall.js ]]
    [[ -f $p/node_modules/coco-t-evildep/evil.js ]]
    [[ ! -e $p/node_modules/coco-t-scripty/postinstall-ran ]]
    [[ ! -e $p/node_modules/coco-t-evildep/evildep-ran ]]
    [[ ! -e $HOME/EVIL && ! -e $TEST_TMP/EVIL ]]
    run "$p/node_modules/.bin/coco-t-scripty"
    assert_line "scripty 1.0.0"
}

@test "install-registry: without --ignore-scripts the packages' scripts run and do their harm" {
    need_registry
    local p=$TEST_TMP/p
    # /tmp is a throwaway tmpfs: the script's /tmp/EVIL lands there
    run reg_npm_private_tmp install --prefix "$p" coco-t-scripty
    assert_status 0
    assert_line "private /tmp/EVIL: yes"
    local ran=$p/node_modules/coco-t-scripty/postinstall-ran
    run cat "$ran"
    assert_line postinstall-ran
    assert_line "uid=0"
    assert_line "cwd=$p/node_modules/coco-t-scripty"
    assert_line "tcp=reached"
    assert_line "http=reached"
    assert_line "http-proxy=none"
    assert_line "net=reached"
    assert_line "done"
    run cat "$p/node_modules/coco-t-evildep/evildep-ran"
    assert_line "stage=preinstall"
    assert_line "stage=install"
    assert_line "home=wrote $HOME/EVIL"
    assert_line "tmp=wrote /tmp/EVIL"
    assert_line "up=wrote $TEST_TMP/EVIL"
    [[ -f $HOME/EVIL && -f $TEST_TMP/EVIL ]]
}

@test "install-registry: a git dependency fails, and fast (github.com has no name or route here)" {
    need_registry
    local p=$TEST_TMP/p t0=$SECONDS
    run reg_npm install --prefix "$p" --ignore-scripts coco-t-gitdep
    [[ $status -ne 0 ]]
    assert_contains github.com/x/y
    ((SECONDS - t0 < 30)) || {
        echo "took $((SECONDS - t0)) s"
        return 1
    }
    [[ ! -e $p/node_modules/coco-t-gitdep ]]
}
