#!/usr/bin/env bash
# What the introspection cache buys, measured (docs/benchmarks.md explains the scenarios and the numbers).
# Installs wrk if missing, builds in Release, waits up to 10 minutes for a quiet machine (1-minute load average
# below 1), then starts Blog in local mode and runs every scenario. Options go to the benchmark, e.g.
#   scripts/benchmark.sh --output docs/benchmarks.md      # the full run, results written into the document
#   scripts/benchmark.sh --smoke                          # seconds: does it still work?
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-prerequisites.sh
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing wrk (the load generator) with apt-get..."
    apt-get update -qq && apt-get install -y -qq wrk
  else
    echo "wrk is missing: sudo apt-get install -y wrk" >&2
    exit 2
  fi
fi

dotnet build Blog.Benchmarks -c Release -warnaserror -nologo -v quiet
exec dotnet run -c Release --no-build --project Blog.Benchmarks -- --wait-idle 600 "$@"
