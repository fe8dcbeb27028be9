#!/usr/bin/env bats
# install-engine.bats — coco's own installs (issue 9) on podman: the two
# phases are containers of the run's image (its npm), the tool's
# directory bind-mounted from the host; phase F reaches the registry only
# through coco's egress proxy and the relay in the container
# (--network=none), phase B has --network=none and no proxy; the run
# mounts the install read-only at /opt/coco/env, first on PATH, after the
# same fingerprint check as native runs.  Rootful podman, as root.
#
# The image is localhost/coco-node:18 (tests/images/build.sh podman node:
# node and npm, no tool); the store's configs name no image, so a run
# takes COCO_IMAGE and installs.  The fake registry is the egress
# fixture's (egress_net.bash, npm_registry.bash), reached through the
# proxy as egress-engine.bats reaches its hosts.
#
# Each test was seen to fail with its wall broken in the code: the
# install mounted read-write in the run (test 1: the file the tool wrote
# is on the host), phase B given phase F's network (test 2: net=reached),
# the fingerprint check skipped (test 3: the tampered tool runs).

bats_require_minimum_version 1.5.0
load helpers

load egress_net
load npm_registry

NODE_IMAGE=localhost/coco-node:18

eval "$(declare -f setup_file | sed '1s/setup_file/egress_net_setup_file/')"
eval "$(declare -f setup | sed '1s/setup/egress_net_setup/')"

setup_file() {
    set -o pipefail
    engine_setup_file
    [[ -z ${EGRESS_SKIP:-} ]] || return 0
    "$REPO_ROOT/tests/images/build.sh" podman base 2>&1 | tap_comment &&
        "$REPO_ROOT/tests/images/build.sh" podman node 2>&1 | tap_comment || {
        export EGRESS_SKIP="tests/images/build.sh podman node failed: no $NODE_IMAGE"
        return 0
    }
}

setup() {
    egress_net_setup
    npm_registry_require
    export COCO_RUNTIME=podman COCO_IMAGE=$NODE_IMAGE
    # the proxy's socket directory, removed after each run
    export XDG_RUNTIME_DIR=$TEST_TMP/rt
    mkdir -m 0700 "$XDG_RUNTIME_DIR"
    ENVS=$XDG_DATA_HOME/coco/envs
}

REG_ENV='"env": {"NPM_CONFIG_REGISTRY": "http://registry.test:8081/"}'

# eng_config NAME SPEC COMMAND: a config naming no image nor runtime (as
# the store's), installing npm:SPEC from the test registry (and
# REG_HOSTS: more allowed_hosts, which phase F gets too).
eng_config() {
    install_config "$1" '{"tool": "npm:'"$2"'", "command": "'"$3"'",
      '"$REG_ENV"', "allowed_hosts": ['"${REG_HOSTS:-\"registry.test:8081\"}"'],
      "mounts": [{"src": ".", "dst": "/workspace"}]}'
}

packument_gets() {
    grep -c "got GET /$1 HTTP/1.1" "$EG_DIR/webserv.log" || true
}

@test "install-engine: podman installs in containers of the image through the proxy, runs it read-only from the host, reuses it" {
    eng_config hello coco-t-hello coco-t-hello
    run --separate-stderr with_hosts "$COCO" run hello world
    assert_status 0
    assert_line "hello 1.1.0 world"
    [[ $stderr == *"installing npm:coco-t-hello"* ]] || { echo "$stderr"; return 1; }
    # phase F went through the proxy, as a podman run
    grep '"backend":"podman"' "$HOME/.local/state/coco/egress.jsonl" |
        grep '"event":"decision"' | grep -q '"host":"registry.test"' || {
        cat "$HOME/.local/state/coco/egress.jsonl"
        return 1
    }
    # the install is on the host, the user's, checked like a native one
    [[ -L $ENVS/hello/current && -f $ENVS/hello/current/manifest.json ]]
    [[ -x $ENVS/hello/current/root/node_modules/.bin/coco-t-hello ]]
    [[ $(stat -c %u "$ENVS/hello/current/root/node_modules/coco-t-hello/package.json") == "$(id -u)" ]]
    run "$COCO" verify hello
    assert_status 0
    # the second run reuses it: no install, nothing fetched
    local n
    n=$(packument_gets coco-t-hello)
    run --separate-stderr with_hosts "$COCO" run hello again
    assert_status 0
    assert_line "hello 1.1.0 again"
    [[ $stderr != *installing* ]] || { echo "$stderr"; return 1; }
    [[ $(packument_gets coco-t-hello) == "$n" ]]
    # in the run: first on PATH, and read-only (judged on the host)
    eng_config hsh coco-t-hello sh
    run --separate-stderr with_hosts "$COCO" run hsh -c 'command -v coco-t-hello; echo x >/opt/coco/env/planted; echo x >/opt/coco/env/node_modules/coco-t-hello/bin/hello.js; echo done'
    assert_status 0
    assert_line /opt/coco/env/node_modules/.bin/coco-t-hello
    assert_line done
    [[ ! -e $ENVS/hsh/current/root/planted ]]
    grep -q 'hello' "$ENVS/hsh/current/root/node_modules/coco-t-hello/bin/hello.js"
    run "$COCO" verify hsh
    assert_status 0
    # coco show says where it runs from
    run "$COCO" show hello
    assert_contains "read-only at /opt/coco/env in the container"
}

@test "install-engine: phase B has no network on podman; the tool's own install script ran there, offline" {
    # the config's own network reaches good.test (phase F's does too):
    # phase B must still have none
    local REG_HOSTS='"registry.test:8081", "good.test"'
    eng_config scripty coco-t-scripty coco-t-scripty
    run --separate-stderr with_hosts "$COCO" run scripty
    assert_status 0
    assert_line "scripty 1.0.0"
    run cat "$ENVS/scripty/current/root/node_modules/coco-t-scripty/postinstall-ran"
    assert_line postinstall-ran
    assert_line "cwd=/opt/coco/env/node_modules/coco-t-scripty"
    assert_line "net=refused"
    assert_line done
}

@test "install-engine: a tampered install on the host makes the podman run refuse; an image without npm fails in one line" {
    eng_config hello coco-t-hello coco-t-hello
    run with_hosts "$COCO" run hello x
    assert_status 0
    local f=$ENVS/hello/current/root/node_modules/coco-t-hello/bin/hello.js
    printf '%s\n' '#!/usr/bin/env node' 'console.log("tampered");' >"$f"
    run --separate-stderr with_hosts "$COCO" run hello x
    assert_status 125
    refute_line tampered
    [[ $stderr == *"its install changed since coco made it"*"coco-t-hello/bin/hello.js"* ]] || { echo "$stderr"; return 1; }
    # the base image has no node, no npm
    eng_config nonpm coco-t-hello coco-t-hello
    COCO_IMAGE=$TEST_BASE_IMAGE run --separate-stderr with_hosts "$COCO" run nonpm x
    assert_status 125
    [[ $stderr == *"the image $TEST_BASE_IMAGE has no runnable npm"* ]] || { echo "$stderr"; return 1; }
    [[ $(grep -c . <<<"$stderr") -le 2 ]] || { echo "$stderr"; return 1; }
    [[ ! -e $ENVS/nonpm/current ]]
    # a config that names its image takes the program from it
    install_config own '{"tool": "npm:coco-t-hello", "command": "sh", "image": "'"$NODE_IMAGE"'"}'
    run "$COCO" show own
    assert_contains "comes from the config's image"
}
