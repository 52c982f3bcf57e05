#!/usr/bin/env bash
# Sets up what Flotilla needs on a fresh Debian/Ubuntu machine with Node 20, then runs a local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js 20 or newer is required: https://nodejs.org/ (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi

if ! command -v nats-server >/dev/null 2>&1 && [ -z "${NATS_URL:-}" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "installing nats-server (Debian package)..."
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server
  elif command -v brew >/dev/null 2>&1; then
    brew install nats-server
  else
    echo "nats-server not found. Install it (https://docs.nats.io), or set NATS_URL to a JetStream-enabled server." >&2
    exit 1
  fi
fi

# Real pods (FLOTILLA_RUNTIME=process) put each pod in a network namespace: that takes iproute2.
if [ "${FLOTILLA_RUNTIME:-sim}" = "process" ] && ! command -v ip >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "installing iproute2 for the process runtime's pod networks..."
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

exec npm start
