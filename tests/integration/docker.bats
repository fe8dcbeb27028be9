#!/usr/bin/env bats
# docker.bats — real docker runs.  setup_file starts a private dockerd
# (dockerd_start in helpers.bash: no bridge, no iptables rules; coco's
# runs use --network=none, and only the image build uses the host network
# to reach the Debian mirror and the npm registry) with the base image,
# builds the eslint image, and lints real files with COCO_RUNTIME=docker.
# teardown_file stops that dockerd by its PID.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
    set -o pipefail  # a failing build must fail, not the sed behind it
    dockerd_start || return 1
    [[ -z ${DOCKER_SKIP:-} ]] || return 0
    if ! docker image inspect "$TEST_ESLINT_IMAGE" >/dev/null 2>&1; then
        # As build.sh does it, plus --network host: this dockerd has no
        # bridge, and the build must reach the mirror and npm.
        local ctx=$DOCKER_TMP/eslint crt
        cp -R "$REPO_ROOT/tests/images/eslint" "$ctx"
        for crt in /usr/local/share/ca-certificates/*.crt; do
            [[ -f $crt ]] && cp "$crt" "$ctx/extra-ca/"
        done
        DOCKER_BUILDKIT=0 docker build --network host \
            --build-arg "BASE=$TEST_BASE_IMAGE" -t "$TEST_ESLINT_IMAGE" \
            -f "$ctx/Containerfile" "$ctx" 2>&1 | tap_comment || return 1
    fi
}

teardown_file() {
    dockerd_stop
}

setup() {
    [[ -z ${DOCKER_SKIP:-} ]] || skip "$DOCKER_SKIP"
    common_setup
    export COCO_RUNTIME=docker
}
teardown() {
    # The named volume of a test's one-off tool (runs keep volumes).
    if [[ -n ${T_UNIQ:-} ]]; then
        docker volume rm -f "coco-cache-t-$T_UNIQ" >/dev/null 2>&1 || true
    fi
    common_teardown
}

tool_cfg() {
    install_config "$1" "{\"command\": \"$2\", \"image\": \"$TEST_ESLINT_IMAGE\",
        \"mounts\": [{\"src\": \".\", \"dst\": \"/workspace\"}]${3:+, $3}}"
}

lint_fixtures() {
    cat >"$WORK/eslint.config.js" <<'EOF'
module.exports = [{
  files: ["**/*.js"],
  languageOptions: { sourceType: "script", globals: {} },
  rules: { "no-undef": "error" },
}];
EOF
    printf 'foo = 1;\n' >"$WORK/bad.js"
    printf 'var a = 1;\nvar b = a + 1;\nb += 1;\n' >"$WORK/good.js"
}

@test "docker: coco run eslint reports a lint error (1) and passes a clean file (0)" {
    lint_fixtures
    tool_cfg eslint eslint '"network": "none"'
    run "$COCO" run eslint bad.js
    assert_status 1
    assert_contains no-undef
    run "$COCO" run eslint good.js
    assert_status 0
}

@test "docker: files written in the workspace belong to the user" {
    lint_fixtures
    tool_cfg eslint eslint '"network": "none"'
    run "$COCO" run eslint -f json -o report.json bad.js
    assert_status 1
    grep -q no-undef "$WORK/report.json"
    [ "$(stat -c %u:%g "$WORK/report.json")" = "$(id -u):$(id -g)" ]
}

@test "docker: run by root, the tool is nobody on the host, never uid 0; its files are root's" {
    tool_cfg sh /bin/sh
    engine_root_is_nobody
    # its home is its own
    run "$COCO" run sh -c 'touch ~/x && stat -c %u:%a ~'
    assert_status 0
    assert_line "65534:700"
    run "$COCO" show sh
    assert_contains "identity   nobody (uid 65534) on the host, never root"
}

@test "docker: run by root from a mount namespace other than the daemon's: refused plainly" {
    # the daemon would bind the empty placeholders, not coco's idmapped
    # attachments, which it cannot see from there
    tool_cfg sh /bin/sh
    run unshare -m --propagation private "$COCO" run sh -c 'echo RAN'
    assert_status 125
    assert_contains "runs in another mount namespace than coco"
    refute_contains RAN
    wait_no_mounts_of "$WORK" 20
}

@test "docker: --dry-run is docker's hardened argv" {
    tool_cfg eslint eslint '"network": "none"'
    run "$COCO" run --dry-run eslint .
    assert_status 0
    [ "${lines[0]}" = "$(command -v docker)" ]
    local f
    for f in run --rm --init --cap-drop=ALL --security-opt=no-new-privileges \
        --read-only --network=none "$TEST_ESLINT_IMAGE"; do
        assert_line "$f"
    done
    refute_line --http-proxy=false
    refute_contains docker.sock
}

# podman_args is an allowlist (issue 6): each option docker has is one
# this docker accepts in coco's canonical form (--tz is podman's only).
@test "docker: the allowed podman_args options docker has are accepted and take effect" {
    tool_cfg sh sh '"podman_args": ["--label", "org.example.coco-test=1",
        "--shm-size=8m", "--add-host=db.internal:127.0.0.1", "-h", "cocobox",
        "--cpu-shares=512"]'
    run "$COCO" run sh -c 'cat /proc/sys/kernel/hostname; grep db.internal /etc/hosts;
        df -k /dev/shm | tail -n 1'
    assert_status 0
    assert_line cocobox
    [[ $output == *"127.0.0.1"*"db.internal"* ]]
    [[ $(grep /dev/shm <<<"$output" | awk '{print $2}') == 8192 ]]
}

@test "docker: no capabilities, only lo" {
    tool_cfg cat cat
    run "$COCO" run cat /proc/self/status
    assert_status 0
    assert_line $'CapEff:\t0000000000000000'
    assert_line $'NoNewPrivs:\t1'
    tool_cfg node node
    run "$COCO" run node -e 'console.log(Object.keys(require("os").networkInterfaces()).join(","))'
    assert_status 0
    [ "$output" = lo ]
}

@test "docker: exit codes: the tool's own and 127 for a missing command" {
    tool_cfg sh sh
    run "$COCO" run sh -c 'exit 7'
    assert_status 7
    tool_cfg missing no-such-program-coco
    run -127 "$COCO" run missing
}

# Issue 6 item 1 on docker (see podman.bats): coco's seccomp profile
# refuses setuid/setgid modes however the file is made; judged from the
# host.
@test "docker: no setuid/setgid file can be left in the workspace; coco's seccomp table applies" {
    container_suid_attacks
}

@test "docker: limits.timeout kills the container (124) and removes it" {
    T_UNIQ=cocotest$$$RANDOM
    local t=$T_UNIQ
    tool_cfg "$t" sleep '"limits": {"timeout": "2s"}'
    run "$COCO" run "$t" 120
    assert_status 124
    run docker ps -a --filter "name=coco-$t" --format '{{.Names}}'
    assert_status 0
    [ -z "$output" ]
}

# kill_coco_docker CONFIG_EXTRA: SIGKILL coco while its tool sleeps (issue
# 6 item 7); within 10 s no container of the run and no process of it:
# coco or its guardian (the tool name), the docker client (--name=...),
# the containerd shim (the container id), the tool (its sleep argument).
kill_coco_docker() {
    T_UNIQ=cocotest$$$RANDOM
    local t=$T_UNIQ pid i id nap=$((100000 + RANDOM)).5
    tool_cfg "$t" sleep "$1"
    "$COCO" run "$t" "$nap" >"$TEST_TMP/out" 2>&1 &
    pid=$!
    for ((i = 0; i < 300; i++)); do
        id=$(docker ps --no-trunc -q --filter "name=coco-$t")
        [[ -n $id ]] && break
        sleep 0.1
    done
    [ -n "$id" ]
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    wait_no_container docker "coco-$t"
    wait_gone 100 "$t" "$id" "sleep $nap"
    # the guardian detached the idmapped attachments of root's run
    wait_no_mounts_of "$WORK"
}

@test "docker: SIGKILL to coco leaves no container and no process of the run" {
    kill_coco_docker
}

@test "docker: SIGKILL to coco under limits.timeout leaves nothing either" {
    kill_coco_docker '"limits": {"timeout": "5m"}'
}

@test "docker: protected host-executed files: hooks, config, .envrc stay, .git cannot be moved away, created files are moved aside" {
    protect_fixture "$WORK"
    install_config dsh "{\"command\": \"/bin/sh\", \"image\": \"$TEST_BASE_IMAGE\",
        \"mounts\": [{\"src\": \".\", \"dst\": \"/workspace\"}]}"
    run "$COCO" run dsh protect_attack.sh
    protect_assert_held "$WORK"
    # the mounts that did it
    run "$COCO" run --dry-run dsh protect_attack.sh
    # (run by root, each from an idmapped attachment of the path)
    assert_contains ",dst=/workspace/.git/config,ro"
    assert_contains ",dst=/workspace/.git"
}

@test "docker: the proxies of ~/.docker/config.json (and the host's) never reach the tool" {
    mkdir -p "$HOME/.docker"
    cat >"$HOME/.docker/config.json" <<'JSON'
{"proxies": {"default": {"httpProxy": "http://192.0.2.1:3128",
  "httpsProxy": "http://192.0.2.1:3128", "noProxy": "internal",
  "ftpProxy": "http://192.0.2.1:21", "allProxy": "socks5://192.0.2.1:1080"}}}
JSON
    # docker itself copies them into a container (so the test can fail)
    run docker run --rm "$TEST_BASE_IMAGE" env
    assert_contains "HTTP_PROXY=http://192.0.2.1:3128"
    assert_contains "all_proxy=socks5://192.0.2.1:1080"
    install_config denv "{\"command\": \"/usr/bin/env\", \"image\": \"$TEST_BASE_IMAGE\"}"
    HTTP_PROXY=http://198.51.100.1:8 https_proxy=http://198.51.100.1:8 run "$COCO" run denv
    assert_status 0
    assert_contains "HOME=/home/coco"
    refute_contains "192.0.2.1"
    refute_contains "198.51.100.1"
    refute_contains "internal"
    local l
    for l in "${lines[@]}"; do
        [[ ${l,,} != *_proxy=* ]] || {
            echo "a proxy variable reached the tool: $l" >&2
            return 1
        }
    done
    # a proxy the config sets is the one the tool gets, and no other
    install_config denv2 "{\"command\": \"/usr/bin/env\", \"image\": \"$TEST_BASE_IMAGE\",
        \"env\": {\"HTTPS_PROXY\": \"http://127.0.0.1:9\"}}"
    run "$COCO" run denv2
    assert_status 0
    assert_line "HTTPS_PROXY=http://127.0.0.1:9"
    refute_contains "192.0.2.1"
}
