#!/usr/bin/env bash
# Builds Blog and runs every test (unit and integration, the latter against the real AppHost in local mode).
# Last line: "N passed, N failed, N skipped", counted from the test results file.
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/install-prerequisites.sh

results_dir="$PWD/TestResults"
rm -rf "$results_dir"
dotnet build Blog.sln -c Release -warnaserror -nologo -v quiet

status=0
dotnet test Blog.Tests -c Release --no-build --results-directory "$results_dir" \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" "$@" || status=$?

trx="$results_dir/results.trx"
if [ ! -f "$trx" ]; then
  echo "no test results were written" >&2
  echo "0 passed, 0 failed"
  exit 1
fi

counter() { grep -o "<Counters [^>]*" "$trx" | grep -o " $1=\"[0-9]*\"" | grep -o "[0-9]\+"; }
total=$(counter total); passed=$(counter passed); failed=$(counter failed)
skipped=$((total - passed - failed))
echo "$passed passed, $failed failed, $skipped skipped"

if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
