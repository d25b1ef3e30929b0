#!/usr/bin/env bash
# README command 1: restore, build the `unitscope` CLI (Release) and run the main job on built-in
# defaults: load the bundled sample checkpoint, print its layers and a prediction, and write a
# unit-activation map for the most active unit of its last conv layer on a bundled image.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-reports/demo}"
dotnet restore server/UnitScope.Cli -nologo -v quiet
dotnet build server/UnitScope.Cli -c Release --no-restore -nologo -v quiet
exec scripts/unitscope demo --out "$out"
