#!/usr/bin/env bats
# podman.bats — real podman runs (rootful, runc, CONTAINERS_CONF from
# tests/images): the images are built offline in setup_file by
# tests/images/build.sh (mmdebstrap base + node + eslint 9), then coco runs
# eslint on real files under the hardened flags and the sandbox is probed
# from inside: no network, no capabilities, read-only root, env, limits.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
    set -o pipefail  # a failing build must fail, not the sed behind it
    # bats 1.8 cannot skip from setup_file: leave the reason for setup().
    if ! command -v podman >/dev/null; then
        export PODMAN_SKIP="podman is not installed"
        return 0
    fi
    # Builds once; later runs find the images and return at once.
    "$REPO_ROOT/tests/images/build.sh" podman all 2>&1 | tap_comment || {
        echo "# tests/images/build.sh podman all failed" >&3
        return 1
    }
}

setup() {
    [[ -z ${PODMAN_SKIP:-} ]] || skip "$PODMAN_SKIP"
    common_setup
    export COCO_RUNTIME=podman
}

teardown() {
    # The host process an attack test offers as a target: ours, by PID.
    if [[ -n ${ATTACK_SLEEP:-} ]]; then
        kill "$ATTACK_SLEEP" 2>/dev/null || true
        wait "$ATTACK_SLEEP" 2>/dev/null || true
    fi
    # The named volume of a test's one-off tool (runs keep volumes).
    if [[ -n ${T_UNIQ:-} && -z ${PODMAN_SKIP:-} ]]; then
        podman volume rm -f "coco-cache-t-$T_UNIQ" >/dev/null 2>&1 || true
    fi
    if [[ -n ${HTTP_PID:-} ]]; then
        kill "$HTTP_PID" 2>/dev/null || true
        wait "$HTTP_PID" 2>/dev/null || true
    fi
    common_teardown
}

# tool_cfg NAME COMMAND [EXTRA_JSON_MEMBERS]: a config on the eslint image
# with the workspace mounted.
tool_cfg() {
    install_config "$1" "{\"command\": \"$2\", \"image\": \"$TEST_ESLINT_IMAGE\",
        \"mounts\": [{\"src\": \".\", \"dst\": \"/workspace\"}]${3:+, $3}}"
}

# The lint fixtures: a file with an undefined variable, a clean file and a
# fixable one, with a flat config (eslint 9 needs one).
lint_fixtures() {
    cat >"$WORK/eslint.config.js" <<'EOF'
module.exports = [{
  files: ["**/*.js"],
  languageOptions: { sourceType: "script", globals: {} },
  rules: { "no-undef": "error", "prefer-const": "error" },
}];
EOF
    printf 'foo = 1;\n' >"$WORK/bad.js"
    printf 'var a = 1;\nvar b = a + 1;\nb += 1;\n' >"$WORK/good.js"
    printf 'let c = 1;\nvar d = c;\nd += 1;\n' >"$WORK/fixable.js"
}

# A unique tool name (in T_UNIQ) so container and volume names never
# collide with other runs; teardown removes its volume.
uniq_tool() { T_UNIQ=cocotest$$$RANDOM; }

@test "podman: coco run eslint reports a lint error with exit 1" {
    lint_fixtures
    tool_cfg eslint eslint '"network": "none"'
    run "$COCO" run eslint bad.js
    assert_status 1
    assert_contains no-undef
    assert_contains "'foo' is not defined"
}

@test "podman: coco run eslint on a clean file exits 0" {
    lint_fixtures
    tool_cfg eslint eslint '"network": "none"'
    run "$COCO" run eslint good.js
    assert_status 0
    refute_contains error
}

@test "podman: files the tool writes in the workspace belong to the user" {
    lint_fixtures
    tool_cfg eslint eslint '"network": "none"'
    run "$COCO" run eslint --fix fixable.js
    assert_status 0
    grep -q '^const c = 1;' "$WORK/fixable.js"
    run "$COCO" run eslint -f json -o report.json bad.js
    assert_status 1
    [ -f "$WORK/report.json" ]
    grep -q no-undef "$WORK/report.json"
    [ "$(stat -c %u:%g "$WORK/report.json")" = "$(id -u):$(id -g)" ]
    [ "$(stat -c %u:%g "$WORK/fixable.js")" = "$(id -u):$(id -g)" ]
}

@test "podman: run by root, the tool is nobody on the host, never uid 0; its files are root's" {
    install_config sh "{\"command\": \"/bin/sh\", \"image\": \"$TEST_BASE_IMAGE\",
        \"mounts\": [{\"src\": \".\", \"dst\": \"/workspace\"}]}"
    engine_root_is_nobody
    run "$COCO" show sh
    assert_contains "identity   nobody (uid 65534) on the host, never root"
}

# Start a web server on the host's loopback (this test's own), port in
# HTTP_PORT.
start_http() {
    mkdir -p "$TEST_TMP/www"
    printf 'reachable\n' >"$TEST_TMP/www/index.html"
    python3 -m http.server --bind 127.0.0.1 --directory "$TEST_TMP/www" 0 \
        >"$TEST_TMP/http.log" 2>&1 &
    HTTP_PID=$!
    local i
    HTTP_PORT=
    for ((i = 0; i < 100; i++)); do
        HTTP_PORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$TEST_TMP/http.log" | head -n 1)
        [[ -n $HTTP_PORT ]] && break
        sleep 0.1
    done
    [[ -n $HTTP_PORT ]]
    # the server answers on the host
    curl -fsS "http://127.0.0.1:$HTTP_PORT/" | grep -q reachable
}

NODE_FETCH='const p = process.argv[1];
require("http").get("http://127.0.0.1:" + p + "/", r => {
  let b = ""; r.on("data", d => b += d);
  r.on("end", () => { console.log("CONNECTED " + b.trim()); process.exit(0); });
}).on("error", e => { console.log("FAILED " + e.code); process.exit(3); });'

@test "podman: network none: the host's loopback is unreachable, only lo exists" {
    skip_unless_cmd curl
    start_http
    tool_cfg node node '"network": "none"'
    run "$COCO" run node -e "$NODE_FETCH" "$HTTP_PORT"
    assert_status 3
    assert_contains FAILED
    refute_contains CONNECTED
    run "$COCO" run node -e 'console.log(Object.keys(require("os").networkInterfaces()).join(","))'
    assert_status 0
    [ "$output" = lo ]
    # the default (no network key) is the same
    tool_cfg node node
    run "$COCO" run node -e "$NODE_FETCH" "$HTTP_PORT"
    assert_status 3
}

@test "podman: network host reaches the same listener (the probe can succeed)" {
    skip_unless_cmd curl
    start_http
    tool_cfg node node '"network": "host"'
    run "$COCO" run node -e "$NODE_FETCH" "$HTTP_PORT"
    assert_status 0
    assert_contains "CONNECTED reachable"
}

@test "podman: the tool has no capabilities and no_new_privs" {
    tool_cfg cat cat
    run "$COCO" run cat /proc/self/status
    assert_status 0
    assert_line $'CapEff:\t0000000000000000'
    assert_line $'CapPrm:\t0000000000000000'
    assert_line $'CapBnd:\t0000000000000000'
    assert_line $'NoNewPrivs:\t1'
}

@test "podman: the root file system is read-only, /tmp and HOME are writable" {
    tool_cfg sh sh
    run "$COCO" run sh -c 'touch /usr/coco-probe'
    [ "$status" -ne 0 ]
    assert_contains "Read-only file system"
    run "$COCO" run sh -c 'touch /etc/coco-probe'
    [ "$status" -ne 0 ]
    run "$COCO" run sh -c 'echo ok >/tmp/probe && cat /tmp/probe && echo home >"$HOME/probe" && cat "$HOME/probe"'
    assert_status 0
    assert_line ok
    assert_line home
}

@test "podman: host files outside the mounts are invisible" {
    tool_cfg sh sh
    printf 'top secret\n' >"$TEST_TMP/secret"
    printf 'visible\n' >"$WORK/inside"
    run "$COCO" run sh -c "cat '$TEST_TMP/secret'; cat /workspace/inside; pwd"
    refute_contains "top secret"
    assert_line visible
    assert_line /workspace
}

@test "podman: env and env_passthrough values arrive, others do not" {
    tool_cfg printenv printenv '"env": {"FIXED": "v1", "PATH": "/usr/local/bin:/usr/bin:/bin"},
        "env_passthrough": ["COCO_T_PASS", "COCO_T_UNSET"]'
    unset COCO_T_UNSET
    COCO_T_PASS='pass value; $(not run)' COCO_T_OTHER=leak run "$COCO" run printenv
    assert_status 0
    assert_line 'FIXED=v1'
    assert_line 'COCO_T_PASS=pass value; $(not run)'
    assert_line 'PATH=/usr/local/bin:/usr/bin:/bin'
    refute_contains COCO_T_OTHER
    refute_contains COCO_T_UNSET
    refute_contains "XDG_DATA_HOME"
}

@test "podman: stdin reaches the tool" {
    tool_cfg cat cat
    run bash -c 'printf "hello through stdin\n" | "$COCO" run cat'
    assert_status 0
    [ "$output" = "hello through stdin" ]
}

@test "podman: the tool's own exit code passes through" {
    tool_cfg sh sh
    run "$COCO" run sh -c 'exit 7'
    assert_status 7
    run "$COCO" run sh -c 'kill -KILL $$'
    assert_status 137
}

# podman's --init (catatonit) execs the command itself and exits 1 when it
# cannot, so 127/126 cannot be told apart from the tool's own 1 here
# (docker's init and the native backend do report 127/126).  coco keeps
# --init: without it a tool as pid 1 ignores SIGINT/SIGTERM.  The error
# must still reach the user.
@test "podman: a command missing from the image fails with the reason" {
    tool_cfg missing no-such-program-coco
    run "$COCO" run missing
    assert_status 1
    [[ "$output" == *"failed to exec pid1: No such file or directory"* ]]
}

@test "podman: a command that is not executable fails with the reason" {
    tool_cfg noexec /etc/hostname
    run "$COCO" run noexec
    assert_status 1
    [[ "$output" == *"failed to exec pid1: Permission denied"* ]]
}

# Issue 6 item 1 on podman: run by root, the tool is uid 0 in the
# container (without capabilities), owns what it creates and could
# chmod 6755 it: a root shell for every local user.  The engine loads
# coco's seccomp table as its profile (--security-opt seccomp=), so every
# way is refused; judged from the host.  Also the walls the engine's own
# default profile lacks.
@test "podman: no setuid/setgid file can be left in the workspace; coco's seccomp table applies" {
    container_suid_attacks
}

@test "podman: --dry-run shows the hardened flags for this podman" {
    tool_cfg eslint eslint '"network": "none"'
    run "$COCO" run --dry-run eslint .
    assert_status 0
    [ "${lines[0]}" = "$(command -v podman)" ]
    local f
    for f in run --rm --init --cap-drop=ALL --security-opt=no-new-privileges \
        --read-only --network=none "$TEST_ESLINT_IMAGE"; do
        assert_line "$f"
    done
    grep -qE -- '^--pids-limit=?[0-9]*' <<<"$output"
    grep -qE -- '^--memory=?[0-9]*' <<<"$output"
    grep -qE -- '^--tmpfs=?/tmp' <<<"$output"
}

@test "podman: limits.timeout kills the container (124) and removes it" {
    local t
    uniq_tool
    t=$T_UNIQ
    tool_cfg "$t" sleep '"limits": {"timeout": "2s"}'
    run "$COCO" run "$t" 120
    assert_status 124
    run podman ps -a --filter "name=coco-$t" --format '{{.Names}}'
    assert_status 0
    [ -z "$output" ]
}

@test "podman: SIGTERM to coco stops the tool (143) and leaves no container" {
    local t pid rc=0 i
    uniq_tool
    t=$T_UNIQ
    tool_cfg "$t" sleep
    "$COCO" run "$t" 120 >"$TEST_TMP/out" 2>&1 &
    pid=$!
    # wait (bounded) until the container runs
    for ((i = 0; i < 200; i++)); do
        [[ -n $(podman ps --filter "name=coco-$t" --format '{{.Names}}') ]] && break
        sleep 0.1
    done
    [ "$i" -lt 200 ]
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    [ "$rc" -eq 143 ]
    wait_no_container podman "coco-$t"
}

# podman_args attacks of issue 6 (items 3-6), judged from the host: with
# the old denylist each one worked (a host process killed from the
# container, host files overwritten by conmon and the log driver, the
# host's environment read).  Now the config is refused, one line, 125,
# before podman runs.
@test "podman: podman_args attacks: host processes, files and environment untouched" {
    local t victim=$TEST_TMP/victim a
    uniq_tool
    t=$T_UNIQ
    printf 'intact\n' >"$victim"
    sleep 300 &
    ATTACK_SLEEP=$!
    tool_cfg "$t" sh '"podman_args": ["--pid=ns:/proc/self/ns/pid", "--init=false"]'
    run "$COCO" run "$t" -c "kill -9 $ATTACK_SLEEP"
    assert_coco_error "$CONFIG_DIR/$t.json" podman_args --pid=ns:
    kill -0 "$ATTACK_SLEEP"
    for a in "\"--conmon-pidfile=$victim\"" "\"--pidfile\", \"$victim\"" \
        "\"--log-driver=k8s-file\", \"--log-opt=path=$victim\""; do
        tool_cfg "$t" sh "\"podman_args\": [$a]"
        run "$COCO" run "$t" -c 'echo pwned'
        assert_coco_error "$CONFIG_DIR/$t.json" podman_args
        [ "$(cat "$victim")" = intact ]
    done
    for a in '"-e", "COCO_TEST_TOKEN"' '"--env=COCO_TEST_*"'; do
        tool_cfg "$t" sh "\"podman_args\": [$a]"
        COCO_TEST_TOKEN=s3cret run "$COCO" run "$t" -c 'echo "token=$COCO_TEST_TOKEN"'
        assert_coco_error "$CONFIG_DIR/$t.json" podman_args
        refute_contains s3cret
    done
    [ -z "$(podman ps -a --filter "name=coco-$t" --format '{{.Names}}')" ]
}

# podman_args is an allowlist (issue 6): every option in it, in the
# canonical form coco passes, is one this podman accepts, and it does
# what `coco show` says.
@test "podman: every allowed podman_args option is accepted and takes effect" {
    tool_cfg sh sh '"podman_args": ["--label", "org.example.coco-test=1",
        "--tz=Europe/Berlin", "--shm-size=8m", "--add-host=db.internal:127.0.0.1",
        "-h", "cocobox", "--cpu-shares=512"]'
    run "$COCO" run sh -c 'cat /proc/sys/kernel/hostname; grep db.internal /etc/hosts;
        df -k /dev/shm | tail -n 1;
        date +%Z'
    assert_status 0
    assert_line cocobox
    [[ $output == *"127.0.0.1"*"db.internal"* ]]
    [[ $(grep /dev/shm <<<"$output" | awk '{print $2}') == 8192 ]]
    [[ ${lines[-1]} == CET || ${lines[-1]} == CEST ]]
}

@test "podman: a podman_args label is on the running container" {
    local t pid rc=0 i found=
    uniq_tool
    t=$T_UNIQ
    tool_cfg "$t" sleep "\"podman_args\": [\"--label=org.example.coco-test=$t\"]"
    "$COCO" run "$t" 120 >"$TEST_TMP/out" 2>&1 &
    pid=$!
    for ((i = 0; i < 200; i++)); do
        found=$(podman ps --filter "label=org.example.coco-test=$t" --format '{{.Names}}')
        [[ -n $found ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
    cat "$TEST_TMP/out"
    [[ $found == coco-$t-* ]]
}

# kill_coco_podman CONFIG_EXTRA: SIGKILL coco while its tool sleeps (issue
# 6 item 7), then from the host: within 10 s no container of the run
# (running or not) and no process of it: not coco or its guardian (the
# tool name), not the podman client (--name=coco-TOOL-...), not conmon
# (the container id), not the tool itself (its unique sleep argument).
kill_coco_podman() {
    local t pid i id nap=$((100000 + RANDOM)).5
    uniq_tool
    t=$T_UNIQ
    tool_cfg "$t" sleep "$1"
    "$COCO" run "$t" "$nap" >"$TEST_TMP/out" 2>&1 &
    pid=$!
    for ((i = 0; i < 300; i++)); do
        id=$(podman ps --no-trunc -q --filter "name=coco-$t")
        [[ -n $id ]] && [[ -n $(procs_with "sleep $nap") ]] && break
        sleep 0.1
    done
    [ -n "$id" ]
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    wait_no_container podman "coco-$t"
    wait_gone 100 "$t" "$id" "sleep $nap"
    # the guardian detached the idmapped attachments of root's run
    wait_no_mounts_of "$WORK"
}

@test "podman: SIGKILL to coco leaves no container and no process of the run" {
    kill_coco_podman
}

@test "podman: SIGKILL to coco under limits.timeout leaves nothing either" {
    kill_coco_podman '"limits": {"timeout": "5m"}'
}

@test "podman: each tool gets its own cache (run by root: a directory, not a volume); prune removes it" {
    local t
    uniq_tool
    t=$T_UNIQ
    tool_cfg "$t" sh
    tool_cfg "$t-b" sh
    run "$COCO" run "$t" -c 'echo cached >/coco/cache/probe'
    assert_status 0
    # root's run: nobody's writes land as root's in the tool's own place
    local cache=$XDG_DATA_HOME/coco/envs/$t/cache/run
    [ "$(cat "$cache/probe")" = cached ]
    [ "$(stat -c %u "$cache/probe")" = 0 ]
    run podman volume ls --format '{{.Name}}'
    refute_line "coco-cache-t-$t"
    # another tool does not see it
    run "$COCO" run "$t-b" -c 'cat /coco/cache/probe'
    assert_status 1
    run "$COCO" prune "$t"
    assert_status 0
    [ ! -e "$cache" ]
    # "isolated": false: one directory those tools share, removed by a
    # prune of all
    tool_cfg "$t-s1" sh '"isolated": false'
    tool_cfg "$t-s2" sh '"isolated": false'
    run "$COCO" run "$t-s1" -c 'echo shared >/coco/cache/probe'
    assert_status 0
    run "$COCO" run "$t-s2" -c 'cat /coco/cache/probe'
    assert_status 0
    assert_line shared
    [ "$(stat -c %u "$XDG_DATA_HOME/coco/cache-shared/probe")" = 0 ]
    run "$COCO" show "$t-s1"
    assert_contains "cache-shared -> /coco/cache (shared with other non-isolated tools)"
    run "$COCO" prune
    assert_status 0
    assert_contains "removed the shared cache of non-isolated tools"
    [ ! -e "$XDG_DATA_HOME/coco/cache-shared" ]
}

@test "podman: limits.output stops a flooding tool (125) and removes it" {
    local t
    uniq_tool
    t=$T_UNIQ
    tool_cfg "$t" sh '"limits": {"output": "64k"}'
    run --separate-stderr "$COCO" run "$t" -c 'while :; do echo flood-flood-flood; done'
    assert_status 125
    [[ "$stderr" == *"output limit of"* ]]
    # exactly the cap reached the terminal, not more
    [ "${#output}" -le 65536 ]
    [ "${#output}" -ge 60000 ]
    run podman ps -a --filter "name=coco-$t" --format '{{.Names}}'
    [ -z "$output" ]
}

@test "podman: limits.memory kills a memory hog, limits.pids stops a fork bomb" {
    local t
    uniq_tool
    t=$T_UNIQ
    tool_cfg "$t" node '"limits": {"memory": "64m", "pids": 32}'
    # 512 MiB of live buffers in a 64 MiB cgroup: the OOM killer ends it.
    run "$COCO" run "$t" -e 'const a=[]; for (let i=0;i<64;i++) a.push(Buffer.alloc(8<<20, 1)); console.log("survived")'
    [ "$status" -ne 0 ]
    [[ "$output" != *survived* ]]
    tool_cfg "$t" sh '"limits": {"pids": 32}'
    # 100 sleepers against a pids limit of 32: some forks must fail.
    run "$COCO" run "$t" -c 'for i in $(seq 100); do sleep 5 & done; echo all-started'
    [ "$status" -ne 0 ]
    [[ "$output" != *all-started* ]]
    [[ "$output" == *"Cannot fork"* ]]
}

@test "podman: coco rebuild builds the default image offline from a local base" {
    local img=localhost/coco-rebuild-test:latest
    podman image exists "$TEST_BASE_IMAGE" || skip "no base image $TEST_BASE_IMAGE"
    if ! podman image exists "$img"; then
        COCO_IMAGE=$img run "$COCO" rebuild --base "$TEST_BASE_IMAGE"
        assert_status 0
    fi
    podman image exists "$img"
    install_config rb "{\"command\": \"node\", \"image\": \"$img\"}"
    run "$COCO" run rb -e 'console.log(process.getuid(), require("os").homedir())'
    assert_status 0
    [[ "$output" == *"/home/coco"* ]]
}

@test "podman: protected host-executed files: hooks, config, .envrc stay, .git cannot be moved away, created files are moved aside" {
    protect_fixture "$WORK"
    install_config psh "{\"command\": \"/bin/sh\", \"image\": \"$TEST_BASE_IMAGE\",
        \"mounts\": [{\"src\": \".\", \"dst\": \"/workspace\"}]}"
    run "$COCO" run psh protect_attack.sh
    protect_assert_held "$WORK"
    # the mounts that did it
    run "$COCO" run --dry-run psh protect_attack.sh
    # (run by root, each from an idmapped attachment of the path)
    assert_contains ",dst=/workspace/.git/config,ro,nosuid,nodev"
    assert_contains ",dst=/workspace/.git,nosuid,nodev"
}
