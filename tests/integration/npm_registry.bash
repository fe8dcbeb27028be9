# npm_registry.bash — a fake npm registry of test packages we control,
# served by the egress fixture (egress_net.bash) as registry.test:8081.
# Load after egress_net:
#
#   load egress_net
#   load npm_registry
#
# egress_net's setup_file calls npm_registry_build into $EG_DIR/registry
# (when node and npm exist) before webserv starts serving that directory
# with its files mode (tests/helpers/webserv.c) on 198.51.100.10:8081;
# the fixture's hosts file names it registry.test.  A test that needs it
# calls npm_registry_require first (skips without node/npm, fails when
# the build failed).
#
# The packages (1.0.0 unless said), all built offline with `npm pack`:
#   coco-t-dep      a plain library: index.js exports "coco-t-dep 1.0.0"
#   coco-t-hello    1.0.0 and 1.1.0 (latest): bin coco-t-hello prints
#                   "hello VERSION ARG1"; depends on coco-t-dep@^1
#   coco-t-scripty  bin coco-t-scripty ("scripty 1.0.0"); a postinstall
#                   (node) writing postinstall-ran into its own package
#                   directory: uid=, cwd=, tcp= (198.51.100.10:80),
#                   http= (GET http://good.test/ directly), http-proxy=
#                   (the same through $HTTP_PROXY/$http_proxy, "none"
#                   without), each reached|refused, then net=reached
#                   when any got through, else net=refused, and done;
#                   depends on coco-t-evildep@^1
#   coco-t-evildep  a preinstall and an install script (node) appending
#                   to evildep-ran in its own directory: stage=, uid=,
#                   then home=, tmp=, up=, cache= for $HOME/EVIL, /tmp/EVIL,
#                   ../../../EVIL (from its directory) and
#                   $NPM_CONFIG_CACHE/EVIL, each "wrote PATH"
#                   or "denied CODE PATH"
#   coco-t-gitdep   depends on git+https://github.com/x/y: an install
#                   must refuse (or fail on) it
#   coco-t-reacher  an install script (node) that tries to write
#                   REACHED into the other tools' install directories
#                   and caches: beside its own mount's host path (from
#                   /proc/self/mountinfo), ../../.. from its package and
#                   from its cache, its cache itself and one up, and
#                   $HOME/.local/share/coco/envs
#                   (the tools listed there, and "victim" and "eslint");
#                   writes reacher-ran into its own directory, a line per
#                   try ("wrote PATH" or "denied CODE PATH"), then done
# Layout (what webserv's files mode maps the URLs to):
#   DIR/NAME/index.json            the packument, GET BASEURL/NAME
#   DIR/NAME/-/NAME-VERSION.tgz    the tarball,  GET BASEURL/NAME/-/...
# Packuments are the full (not the abbreviated) format: dist.tarball,
# dist.integrity (sha512 SRI), dist.shasum (sha1), hasInstallScript
# where a version has preinstall/install/postinstall, dist-tags.latest.

# The registry as the fixture serves it (hosts file: registry.test).
# shellcheck disable=SC2034  # used by the .bats files that load this
NPM_REGISTRY_URL=http://registry.test:8081/

# npm_registry_require: skip the test when the fixture could not build
# the registry for want of node or npm; fail it when the build failed.
npm_registry_require() {
    [[ -z ${EG_REGISTRY_SKIP:-} ]] || skip "$EG_REGISTRY_SKIP"
    if [[ -n ${EG_REGISTRY_ERROR:-} ]]; then
        echo "the test registry was not built: $EG_REGISTRY_ERROR" >&2
        return 1
    fi
}

# _npm_registry_pkg SRC NAME VERSION JSON-REST: SRC/NAME-VERSION with a
# package.json whose other fields are JSON-REST (a JSON object's
# members, or nothing).  Prints the directory.
_npm_registry_pkg() {
    local d=$1/$2-$3
    mkdir -p "$d"
    printf '{"name": "%s", "version": "%s", "license": "MIT",\n "description": "coco test package %s"%s}\n' \
        "$2" "$3" "$2" "${4:+, $4}" >"$d/package.json"
    echo "$d"
}

# npm_registry_build DIR BASEURL: the packuments and tarballs of the
# test packages into DIR (created), their tarball URLs on BASEURL (e.g.
# http://registry.test:8081).  Offline: npm pack and node only.
npm_registry_build() {
    local dir=$1 base=${2%/} w d v rc=0
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "npm_registry_build: node and npm are needed" >&2
        return 1
    fi
    mkdir -p "$dir" || return 1
    w=$(mktemp -d "${TMPDIR:-/tmp}/coco-npmreg.XXXXXX") || return 1
    local src=$w/src dirs=()

    d=$(_npm_registry_pkg "$src" coco-t-dep 1.0.0 '"main": "index.js"')
    echo 'module.exports = "coco-t-dep 1.0.0";' >"$d/index.js"
    dirs+=("$d")

    for v in 1.0.0 1.1.0; do
        d=$(_npm_registry_pkg "$src" coco-t-hello "$v" \
            '"bin": {"coco-t-hello": "bin/hello.js"}, "dependencies": {"coco-t-dep": "^1.0.0"}')
        mkdir -p "$d/bin"
        cat >"$d/bin/hello.js" <<EOF
#!/usr/bin/env node
"use strict";
require("coco-t-dep");
const arg = process.argv[2];
console.log("hello $v" + (arg === undefined ? "" : " " + arg));
EOF
        chmod 0755 "$d/bin/hello.js"
        dirs+=("$d")
    done

    d=$(_npm_registry_pkg "$src" coco-t-scripty 1.0.0 \
        '"bin": {"coco-t-scripty": "bin/scripty.js"}, "scripts": {"postinstall": "node postinstall.js"}, "dependencies": {"coco-t-evildep": "^1.0.0"}')
    mkdir -p "$d/bin"
    cat >"$d/bin/scripty.js" <<'EOF'
#!/usr/bin/env node
"use strict";
console.log("scripty 1.0.0");
EOF
    chmod 0755 "$d/bin/scripty.js"
    cat >"$d/postinstall.js" <<'EOF'
"use strict";
// coco-t-scripty's postinstall: proves it ran, as whom, where, and
// whether it could reach the network.
const fs = require("fs");
const net = require("net");
const http = require("http");
const path = require("path");
const out = path.join(__dirname, "postinstall-ran");
fs.writeFileSync(out, ["postinstall-ran", "uid=" + process.getuid(),
    "cwd=" + process.cwd()].join("\n") + "\n");
const note = (line) => fs.appendFileSync(out, line + "\n");
const errors = [];

function tcp() {
    return new Promise((done) => {
        const s = net.connect({host: "198.51.100.10", port: 80});
        s.setTimeout(3000);
        s.on("connect", () => { s.destroy(); done("reached"); });
        s.on("timeout", () => { s.destroy(); errors.push("tcp:timeout"); done("refused"); });
        s.on("error", (e) => { errors.push("tcp:" + e.code); done("refused"); });
    });
}

// GET http://good.test/ (through PROXY when given): reached when the
// test host answered.
function get(proxy) {
    const opts = proxy
        ? {host: proxy.hostname, port: proxy.port || 80, path: "http://good.test/",
           headers: {Host: "good.test"}}
        : {host: "good.test", port: 80, path: "/"};
    const tag = proxy ? "http-proxy" : "http";
    return new Promise((done) => {
        const r = http.get(opts, (res) => {
            let body = "";
            res.on("data", (c) => { body += c; });
            res.on("end", () => {
                if (body.includes("hello from")) return done("reached");
                errors.push(tag + ":status-" + res.statusCode);
                done("refused");
            });
        });
        r.setTimeout(3000, () => { r.destroy(); errors.push(tag + ":timeout"); done("refused"); });
        r.on("error", (e) => { errors.push(tag + ":" + e.code); done("refused"); });
    });
}

const penv = process.env.HTTP_PROXY || process.env.http_proxy;
let proxy = null;
try { proxy = penv ? new URL(penv) : null; } catch (e) { errors.push("http-proxy:bad-url"); }
Promise.all([tcp(), get(null), proxy ? get(proxy) : Promise.resolve("none")])
    .then(([t, h, p]) => {
        note("tcp=" + t);
        note("http=" + h);
        note("http-proxy=" + p);
        note("errors=" + errors.join(","));
        note("net=" + ([t, h, p].includes("reached") ? "reached" : "refused"));
        note("done");
    });
EOF
    dirs+=("$d")

    d=$(_npm_registry_pkg "$src" coco-t-evildep 1.0.0 \
        '"main": "index.js", "scripts": {"preinstall": "node evil.js preinstall", "install": "node evil.js install"}')
    echo 'module.exports = "coco-t-evildep 1.0.0";' >"$d/index.js"
    cat >"$d/evil.js" <<'EOF'
"use strict";
// coco-t-evildep's install scripts: what a malicious dependency tries.
const fs = require("fs");
const path = require("path");
const stage = process.argv[2] || "?";
const lines = ["evildep-ran", "stage=" + stage, "uid=" + process.getuid()];
const targets = {
    home: process.env.HOME ? path.join(process.env.HOME, "EVIL") : null,
    tmp: "/tmp/EVIL",
    up: path.join(__dirname, "..", "..", "..", "EVIL"),
    // the installer's download cache, which the next install trusts
    cache: process.env.NPM_CONFIG_CACHE ? path.join(process.env.NPM_CONFIG_CACHE, "EVIL") : null,
};
for (const [k, p] of Object.entries(targets)) {
    if (!p) { lines.push(k + "=nohome"); continue; }
    try {
        fs.appendFileSync(p, "coco-t-evildep " + stage + "\n");
        lines.push(k + "=wrote " + p);
    } catch (e) {
        lines.push(k + "=denied " + e.code + " " + p);
    }
}
const text = lines.join("\n") + "\n";
process.stdout.write(text);
fs.appendFileSync(path.join(__dirname, "evildep-ran"), text);
EOF
    dirs+=("$d")

    d=$(_npm_registry_pkg "$src" coco-t-gitdep 1.0.0 \
        '"main": "index.js", "dependencies": {"y": "git+https://github.com/x/y"}')
    echo 'module.exports = "coco-t-gitdep 1.0.0";' >"$d/index.js"
    dirs+=("$d")

    d=$(_npm_registry_pkg "$src" coco-t-reacher 1.0.0 \
        '"main": "index.js", "scripts": {"install": "node reach.js"}')
    echo 'module.exports = "coco-t-reacher 1.0.0";' >"$d/index.js"
    cat >"$d/reach.js" <<'EOF'
"use strict";
// coco-t-reacher's install script: reach the other tools' installs.
const fs = require("fs");
const path = require("path");
const lines = ["reacher-ran"];
const tries = new Set();
// DIR/NAME/SUB/REACHED for every NAME in DIR: the other tools' places
function envs(dir) {
    let names = [];
    try { names = fs.readdirSync(dir); } catch (e) { lines.push("list=" + e.code + " " + dir); }
    // unlistable: guess the names (the tests' victim, a common tool)
    for (const g of ["victim", "eslint"]) if (!names.includes(g)) names.push(g);
    for (const n of names)
        for (const sub of ["", "cache", "cache/install", "cache/run", "current/root", "v"])
            tries.add(path.join(dir, n, sub, "REACHED"));
}
try {
    for (const l of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
        const f = l.split(" ");
        if (f[4] === "/opt/coco/env" || f[4] === "/opt/coco/cache") {
            lines.push("mount=" + f[3] + " on " + f[4]);
            // envs/TOOL/v/.tmp-X/root, envs/TOOL/cache/install
            const up = f[4] === "/opt/coco/env" ? 4 : 3;
            envs(path.resolve(f[3], ...Array(up).fill("..")));
        }
    }
} catch (e) { lines.push("mountinfo=" + e.code); }
envs(path.resolve(__dirname, "../../../../../.."));
envs(path.resolve("/opt/coco/cache/../.."));
envs("/opt/coco/cache");
envs("/opt/coco/cache/..");
if (process.env.HOME) envs(path.join(process.env.HOME, ".local/share/coco/envs"));
for (const p of tries) {
    try {
        fs.writeFileSync(p, "coco-t-reacher\n");
        lines.push("wrote " + p);
    } catch (e) {
        lines.push("denied " + e.code + " " + p);
    }
}
lines.push("done");
fs.writeFileSync(path.join(__dirname, "reacher-ran"), lines.join("\n") + "\n");
EOF
    dirs+=("$d")

    # One npm for every tarball; a private, empty configuration and cache.
    : >"$w/npmrc"
    mkdir -p "$w/tgz"
    (cd "$w" && env -u HTTPS_PROXY -u HTTP_PROXY -u https_proxy -u http_proxy \
        npm pack --offline --ignore-scripts --no-update-notifier --loglevel=error \
        --globalconfig "$w/npmrc" --userconfig "$w/npmrc.user" \
        --cache "$w/cache" --pack-destination "$w/tgz" "${dirs[@]}" >/dev/null) || rc=1
    # The packuments: node hashes the tarballs.
    [[ $rc -ne 0 ]] || node - "$dir" "$base" "$w/tgz" "${dirs[@]}" <<'EOF' || rc=1
"use strict";
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const [dir, base, tgzdir, ...srcs] = process.argv.slice(2);
const when = "2026-01-01T00:00:00.000Z";
const docs = {};
for (const src of srcs) {
    const pj = JSON.parse(fs.readFileSync(path.join(src, "package.json"), "utf8"));
    const short = pj.name.replace(/^@[^/]+\//, "");
    const file = short + "-" + pj.version + ".tgz";
    // npm pack names a scoped package's tarball scope-name-VERSION.tgz
    const packed = pj.name.replace(/^@/, "").replace("/", "-") + "-" + pj.version + ".tgz";
    const tgz = fs.readFileSync(path.join(tgzdir, packed));
    fs.mkdirSync(path.join(dir, pj.name, "-"), {recursive: true});
    fs.writeFileSync(path.join(dir, pj.name, "-", file), tgz);
    const s = pj.scripts || {};
    const v = Object.assign({}, pj, {
        _id: pj.name + "@" + pj.version,
        _nodeVersion: process.versions.node,
        dist: {
            tarball: base + "/" + pj.name + "/-/" + file,
            shasum: crypto.createHash("sha1").update(tgz).digest("hex"),
            integrity: "sha512-" + crypto.createHash("sha512").update(tgz).digest("base64"),
        },
    });
    if (s.preinstall || s.install || s.postinstall)
        v.hasInstallScript = true;
    const doc = docs[pj.name] || (docs[pj.name] = {
        _id: pj.name, name: pj.name, description: pj.description,
        "dist-tags": {}, versions: {}, time: {created: when, modified: when},
        license: pj.license, readme: "",
    });
    doc.versions[pj.version] = v;
    doc.time[pj.version] = when;
}
const semverKey = (x) => x.split(".").map(Number);
for (const [name, doc] of Object.entries(docs)) {
    const vs = Object.keys(doc.versions).sort((a, b) => {
        const [p, q] = [semverKey(a), semverKey(b)];
        for (let i = 0; i < 3; i++) if (p[i] !== q[i]) return p[i] - q[i];
        return 0;
    });
    doc["dist-tags"].latest = vs[vs.length - 1];
    fs.writeFileSync(path.join(dir, name, "index.json"), JSON.stringify(doc, null, 2) + "\n");
}
EOF
    rm -rf -- "$w"
    return "$rc"
}
