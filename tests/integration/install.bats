#!/usr/bin/env bats
# install.bats — coco's own sandboxed installs (issue 9), attacked and
# judged from the host, as root and as a normal user, native backend.
#
# The fake npm registry of npm_registry.bash is served by the egress
# fixture (egress_net.bash) as http://registry.test:8081/; coco runs under
# with_hosts (the fixture's hosts file and resolver) through `as`.  Each
# config names the registry in its env (NPM_CONFIG_REGISTRY, passed to
# npm) and in allowed_hosts (which phase F adds to its allowlist).
#
# Every test attacks one wall; how each was shown to fail without its
# wall is in the commit that added it.

bats_require_minimum_version 1.5.0
load helpers

load egress_net
load npm_registry

REG_ENV='"env": {"NPM_CONFIG_REGISTRY": "http://registry.test:8081/"}'

# tool_config NAME JSON: the config NAME, for root and for the user.
tool_config() {
    install_config "$1" "$2"
    printf '%s\n' "$2" >"$UDATA/coco/tools/$1.json"
    chown "$TESTUSER:" "$UDATA/coco/tools/$1.json"
    chmod 0644 "$UDATA/coco/tools/$1.json"
}

# reg_config NAME SPEC COMMAND [MORE-JSON]: a native config installing
# npm:SPEC from the test registry, running COMMAND with the working
# directory on /workspace.
reg_config() {
    tool_config "$1" '{"tool": "npm:'"$2"'", "command": "'"$3"'",
      "runtime": "native", '"$REG_ENV"',
      "allowed_hosts": ["registry.test:8081"],
      "mounts": [{"src": ".", "dst": "/workspace"}]'"${4:+, $4}"'}'
}

# envs_of WHO / home_of WHO / state_of WHO / work_of WHO: host paths.
envs_of() { if [[ $1 == root ]]; then echo "$XDG_DATA_HOME/coco/envs"; else echo "$UDATA/coco/envs"; fi; }
home_of() { if [[ $1 == root ]]; then echo "$HOME"; else echo "$UHOME"; fi; }
state_of() { echo "$(home_of "$1")/.local/state/coco"; }
work_of() { if [[ $1 == root ]]; then echo "$WORK"; else echo "$UWORK"; fi; }

# as_owner WHO CMD...: CMD on the host as WHO (the install's owner).
as_owner() {
    if [[ $1 == root ]]; then
        shift
        "$@"
    else
        shift
        runuser -u "$TESTUSER" -- "$@"
    fi
}

# packument_gets NAME: how often the registry served NAME's packument.
packument_gets() {
    grep -c "got GET /$1 HTTP/1.1" "$EG_DIR/webserv.log" || true
}

# tree_state DIR: every path below DIR with its type, mode, size and
# content hash: what "nothing changed" is judged by.
tree_state() {
    (cd "$1" && find . -printf '%p %y %m %s %l\n' | sort &&
        find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
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
    npm_registry_require
}

@test "install: the first run installs and runs; the second reuses it; @1.0.0 pins; a changed spec installs anew" {
    local who envs n
    reg_config hello coco-t-hello coco-t-hello
    reg_config hello1 coco-t-hello@1.0.0 coco-t-hello
    for who in root user; do
        envs=$(envs_of "$who")
        run --separate-stderr as "$who" "$COCO" run hello world
        assert_status 0
        assert_line "hello 1.1.0 world"
        [[ $stderr == *"installing npm:coco-t-hello"* ]] || { echo "$stderr"; return 1; }
        [[ -L $envs/hello/current && -f $envs/hello/current/manifest.json ]]
        [[ $(readlink "$envs/hello/current") == v/1.1.0-* ]]
        [[ -x $envs/hello/current/root/node_modules/.bin/coco-t-hello ]]
        if [[ $who == user ]]; then
            [[ $(stat -c %U "$envs/hello/current/root/node_modules/coco-t-hello/package.json") == "$TESTUSER" ]]
        fi
        # the second run: no install, no packument fetched again
        n=$(packument_gets coco-t-hello)
        run --separate-stderr as "$who" "$COCO" run hello again
        assert_status 0
        assert_line "hello 1.1.0 again"
        [[ $stderr != *installing* ]] || { echo "$stderr"; return 1; }
        [[ $(packument_gets coco-t-hello) == "$n" ]]
        # a pinned version
        run --separate-stderr as "$who" "$COCO" run hello1 x
        assert_status 0
        assert_line "hello 1.0.0 x"
        [[ $(readlink "$envs/hello1/current") == v/1.0.0-* ]]
    done
    # the spec changes: the next run installs the new one
    reg_config hello coco-t-hello@1.0.0 coco-t-hello
    for who in root user; do
        envs=$(envs_of "$who")
        run --separate-stderr as "$who" "$COCO" run hello y
        assert_status 0
        assert_line "hello 1.0.0 y"
        [[ $stderr == *"installing npm:coco-t-hello@1.0.0"* ]] || { echo "$stderr"; return 1; }
        [[ $(readlink "$envs/hello/current") == v/1.0.0-* ]]
        # the old version is gone, nothing half-done is left
        run ls -A "$envs/hello/v"
        [[ ${#lines[@]} -eq 1 && ${lines[0]} == 1.0.0-* ]] || { echo "$output"; return 1; }
    done
}
