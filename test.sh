#!/usr/bin/env bash
# Builds Blog and runs every test (unit and integration, the latter against the real AppHost in local mode).
# Last line: "N passed, N failed, N skipped", summed over both projects' test results files.
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/install-prerequisites.sh

results_dir="$PWD/TestResults"
rm -rf "$results_dir"
dotnet build Blog.sln -c Release -warnaserror -nologo -v quiet

status=0
# The unit tests first (seconds, no AppHost), then the application tests against the running AppHost.
for project in Blog.UnitTests Blog.Tests; do
  dotnet test "$project" -c Release --no-build --results-directory "$results_dir" \
    --logger "trx;LogFileName=$project.trx" --logger "console;verbosity=normal" "$@" || status=$?
done

trx_files=("$results_dir/Blog.UnitTests.trx" "$results_dir/Blog.Tests.trx")
for trx in "${trx_files[@]}"; do
  if [ ! -f "$trx" ]; then
    echo "no test results were written to $trx" >&2
    echo "0 passed, 0 failed"
    exit 1
  fi
done

# Sums one counter (total, passed, failed) over every results file.
counter() { cat "${trx_files[@]}" | grep -o "<Counters [^>]*" | grep -o " $1=\"[0-9]*\"" | grep -o "[0-9]\+" | awk '{ sum += $1 } END { print sum + 0 }'; }
total=$(counter total); passed=$(counter passed); failed=$(counter failed)
skipped=$((total - passed - failed))
echo "$passed passed, $failed failed, $skipped skipped"

if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
