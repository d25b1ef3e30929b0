#!/usr/bin/env bash
# README command 1: restore, build the `unitscope` CLI (Release) and run the main job on built-in
# defaults (`unitscope demo`): generate the probe set, train the demo CNN (both cached), dissect its
# conv layers and write the HTML report to reports/demo (or the folder given).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-reports/demo}"
dotnet restore server/UnitScope.Cli -nologo -v quiet
dotnet build server/UnitScope.Cli -c Release --no-restore -nologo -v quiet
exec scripts/unitscope demo --out "$out"
