#!/usr/bin/env bash
# Runs every test: the C# projects in Backend.sln, then the extension's (which talk to the built
# daemon), then the extension in a real VS Code (code-server; scripts/editor-setup.sh installs it;
# UNITSCOPE_SKIP_EDITOR_TESTS=1 leaves them out). Ends with one line "N passed, N failed". Exit
# status 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
status=0

# Works on a fresh clone too: install what is missing first (quick when already installed).
[ -d node_modules ] || npm ci --no-audit --no-fund
echo "== style (.editorconfig, ESLint, prettier)"
bash scripts/check-style.sh 2>&1 | tee "$log/style.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== build (C#)"
dotnet build Backend.sln -nologo -v quiet 2>&1 | tee "$log/build.txt" | grep -E "error|Warn|Build succeeded" || true
if ! grep -q "Build succeeded" "$log/build.txt"; then
  echo "C# build failed"; echo "0 passed, 1 failed"; exit 1
fi

echo "== tests (C#)"
dotnet test Backend.sln --no-build -nologo 2>&1 | tee "$log/dotnet.txt" || status=1

echo "== Slurm array job (sharded dissection vs one process: deploy/slurm/test-array.sh)"
slurm_pass=0 slurm_fail=0
bash deploy/slurm/test-array.sh 2>&1 | tee "$log/slurm.txt"
case "${PIPESTATUS[0]}" in
  0) slurm_pass=1 ;;
  77) ;;   # Slurm or munge not installed: skipped, said in its output (.ci/run installs them)
  *) slurm_fail=1; status=1 ;;
esac

echo "== tests (extension)"
npm run --silent test:extension 2>&1 | tee "$log/extension.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== tests (extension in a real VS Code: code-server)"
if [ "${UNITSCOPE_SKIP_EDITOR_TESTS:-0}" = 1 ]; then
  echo "skipped (UNITSCOPE_SKIP_EDITOR_TESTS=1)" | tee "$log/editor.txt"
else
  started=$(date +%s)
  bash scripts/editor-test.sh 2>&1 | tee "$log/editor.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  echo "real-editor tests took $(($(date +%s) - started)) s"
fi

# dotnet: "Passed!  - Failed:     0, Passed:    38, Skipped: ..." per test assembly; mocha: "N passing", "N failing".
read -r dn_pass dn_fail < <(grep -E "^(Passed|Failed)!" "$log/dotnet.txt" |
  sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+).*/\2 \1/' |
  awk '{p+=$1; f+=$2} END {print p+0, f+0}')
ext_pass=$(cat "$log/extension.txt" "$log/editor.txt" | grep -Eo "^ *[0-9]+ passing" | awk '{s+=$1} END {print s+0}')
ext_fail=$(cat "$log/extension.txt" "$log/editor.txt" | grep -Eo "^ *[0-9]+ failing" | awk '{s+=$1} END {print s+0}')

# Repeat what failed just above the summary, so a log's last lines name it (CI keeps only the tail).
if grep -qE "^\s+Failed [A-Za-z_]" "$log/dotnet.txt" || [ "$slurm_fail" -ne 0 ] ||
   grep -qE "^ *[0-9]+ failing" "$log/extension.txt" "$log/editor.txt" ||
   grep -q "^style: .*fix with" "$log/style.txt"; then
  echo "== what failed"
  grep "^style: .*fix with" "$log/style.txt"
  grep -E -A4 "^\s+Failed [A-Za-z_]" "$log/dotnet.txt" | cut -c1-240 | head -60
  [ "$slurm_fail" -eq 0 ] || grep -E "FAIL|error|Error" "$log/slurm.txt" | cut -c1-240 | head -20
  for f in "$log/extension.txt" "$log/editor.txt"; do
    sed -n '/^ *[0-9]* failing/,$p' "$f" | grep -E "^ +[0-9]+\) |Error|expected" | cut -c1-240 | head -30
  done
fi

passed=$((dn_pass + ext_pass + slurm_pass))
failed=$((dn_fail + ext_fail + slurm_fail))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi   # a runner crashed without counting
echo "C#: $dn_pass passed, $dn_fail failed; Slurm array: $slurm_pass passed, $slurm_fail failed; extension (node, Chromium, VS Code): $ext_pass passed, $ext_fail failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
