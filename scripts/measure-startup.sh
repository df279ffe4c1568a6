#!/usr/bin/env bash
# Measures local-mode start-up: from launching the built AppHost to both services answering /health as Healthy
# (which they do only after their database, migrations and Redis are healthy). Release, as ./run.sh runs it (the
# services start from ReadyToRun code). Usage: scripts/measure-startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
dotnet build Blog.sln -c Release -nologo -v quiet >/dev/null
healthy() { curl -sf "$1/health" | grep -q '"status":"Healthy"'; }
for run in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  dotnet run --project Blog.AppHost -c Release --no-build --launch-profile http -- --Infrastructure:Mode=local >/dev/null 2>&1 &
  pid=$!
  until healthy http://localhost:5101 && healthy http://localhost:5102; do
    sleep 0.2
    if [ $(( ($(date +%s%N) - start) / 1000000000 )) -ge 120 ]; then echo "run $run: not healthy after 120 s" >&2; break; fi
  done
  elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf 'run %d: all healthy after %d.%02d s\n' "$run" $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 10))
  # SIGTERM, not SIGINT: a background job of a script ignores SIGINT. The AppHost stops everything on either.
  kill -TERM "$pid"; wait "$pid" || true
  # The orchestrator stops the services after the AppHost has gone: until they have, the next run would find the
  # previous run's services healthy at once (a bogus 0.2 s).
  waited=0
  while pgrep -f "Blog.AppHost" >/dev/null || pgrep -f "aspire.hosting.orchestration.*/dcp" >/dev/null \
      || curl -s -o /dev/null http://localhost:5101/alive || curl -s -o /dev/null http://localhost:5102/alive; do
    sleep 0.5; waited=$((waited + 1))
    if [ "$waited" -ge 240 ]; then echo "run $run: the previous application did not stop within 120 s" >&2; exit 1; fi
  done
done
