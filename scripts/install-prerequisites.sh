#!/usr/bin/env bash
# Installs what Blog needs beyond the .NET SDK, from Debian's packages: the PostgreSQL server and redis-server
# (local infrastructure mode). Sourced by ./run.sh and ./test.sh; does nothing when everything is there.
set -euo pipefail

missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || command -v postgres >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v setpriv >/dev/null || missing+=(util-linux)
# The README's five-minute tour (run by the tests) is plain curl.
command -v curl >/dev/null || missing+=(curl)
# The sign-in tests drive Debian's Chromium headless through Playwright (no browser download); fonts for its screenshots.
command -v chromium >/dev/null || missing+=(chromium fonts-liberation)

if ! command -v dotnet >/dev/null; then
  echo "Blog needs the .NET 10 SDK (see global.json): https://dot.net/download" >&2
  exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "Blog needs these Debian packages (local infrastructure mode; curl for the README's tour; chromium for the sign-in tests): ${missing[*]}." >&2
    echo "Install them (Debian/Ubuntu: sudo apt-get install -y ${missing[*]}), or run with a container runtime (Infrastructure:Mode=containers)." >&2
    exit 1
  fi
  echo "Installing ${missing[*]} from Debian's packages..."
  apt-get update -qq
  # Debian starts a server package's own instance on install: PostgreSQL on 5432, redis-server on 6379 without a
  # password. Blog runs its own (loopback, generated credentials, ports Aspire allocates), so none may start:
  # policy-rc.d refuses every service start during the install (unless the machine has a policy of its own), and
  # whatever started anyway is stopped and disabled below.
  policy=/usr/sbin/policy-rc.d
  own_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=true
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  if [ "$own_policy" = true ]; then rm -f "$policy"; fi
  [ "$status" -eq 0 ] || exit "$status"
  for package in postgresql redis-server; do
    case " ${missing[*]} " in *" $package "*) ;; *) continue ;; esac
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      systemctl disable --now "$package" >/dev/null 2>&1 || true
    elif command -v service >/dev/null; then
      service "$package" stop >/dev/null 2>&1 || true
      update-rc.d "$package" disable >/dev/null 2>&1 || true
    fi
  done
fi
