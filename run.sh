#!/usr/bin/env bash
# Runs the whole application (AppHost, dashboard, both services, PostgreSQL, Redis). Ctrl+C stops everything.
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/install-prerequisites.sh

cat <<'URLS'
Blog is starting. Once it is up:
  Dashboard:     the login URL printed below ("Login to the dashboard at ...")
  User service:  http://localhost:5101   (OpenAPI: /openapi/v1.json)
  Post service:  http://localhost:5102   (OpenAPI: /openapi/v1.json)
URLS
# Release: the services start from ReadyToRun code (compiled by the build, once per changed assembly).
exec dotnet run --project Blog.AppHost -c Release --launch-profile http -- "$@"
