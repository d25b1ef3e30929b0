#!/usr/bin/env bash
# Installs the `unitscope` command line and daemon as a .NET tool, from this checkout: packs
# server/UnitScope.Cli (a tool package, about 300 MB with libtorch) into a temporary folder and runs
# `dotnet tool install` from it. Global by default (~/.dotnet/tools, where the VS Code extension
# finds the daemon with no settings); `--tool-path DIR` installs into DIR instead. An installed
# UnitScope is replaced. `--check` then runs the installed command on the bundled checkpoint.
# `--from-debug-build` packs the Debug build already there (`dotnet build`) instead of building
# Release: what the real-editor tests do, in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

where=(--global)
command="$HOME/.dotnet/tools/unitscope"
check=0
pack=(-c Release)
while [ $# -gt 0 ]; do
  case "$1" in
    --tool-path) where=(--tool-path "$2"); command="$2/unitscope"; shift 2 ;;
    --check) check=1; shift ;;
    --from-debug-build) pack=(-c Debug --no-build); shift ;;
    *) echo "usage: scripts/install-tool.sh [--tool-path DIR] [--check] [--from-debug-build]" >&2; exit 1 ;;
  esac
done

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' server/UnitScope.Cli/UnitScope.Cli.csproj)
feed=$(mktemp -d)
trap 'rm -rf "$feed"' EXIT
echo "packing UnitScope $version (dotnet pack ${pack[*]})"
dotnet pack server/UnitScope.Cli "${pack[@]}" -o "$feed" -nologo -v quiet
# `dotnet tool update` keeps an installed package of the same version: uninstall, then install.
dotnet tool uninstall UnitScope "${where[@]}" >/dev/null 2>&1 || true
dotnet tool install UnitScope "${where[@]}" --add-source "$feed" --version "$version"

if [ "$check" = 1 ]; then
  "$command" layers samples/smallcnn.pth --json | grep -q '"conv1"' || { echo "the installed unitscope did not list the sample's layers" >&2; exit 1; }
  echo "the installed $command lists the sample checkpoint's layers"
fi
