#!/usr/bin/env bash
# Installs what the project needs on Debian 12 that has the .NET 10 SDK and Node 20:
# NuGet packages (TorchSharp + libtorch for linux-x64, about 600 MB) and the extension's npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet restore Backend.sln -nologo
npm ci --no-audit --no-fund
