#!/usr/bin/env bash
# `npm test`: does all of its own setup on a fresh clone. Installs dependencies when missing, checks types,
# lint and format, then runs every jest test with private FerretDB and Redis servers that it starts and stops.
# Extra arguments go to jest (e.g. `npm test -- test/unit`).
set -euo pipefail
cd "$(dirname "$0")/.."

# `npm install` with the committed lock file, not `npm ci`: the lock omits platform builds of optional
# packages (@swc/core-darwin-*, ...) that the registry mirror here does not serve, which npm ci refuses.
# An incremental install also leaves node_modules in place for anything already running.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[test] installing dependencies (npm install)"
  npm install --no-audit --no-fund
fi

# The browser tests (test/browser) drive Debian's chromium; never a downloaded browser.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[test] installing chromium (Debian package) for the browser tests"
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  else
    echo "[test] /usr/bin/chromium is missing: run 'apt-get install -y chromium' as root" >&2
  fi
fi

# docker/compose.yml is checked by `docker compose config` (test/unit/docker-compose.test.ts); without the
# plugin, a standalone Compose is built once from the Go module proxy.
if compose=$(bash scripts/compose.sh); then
  export CREDBRIDGE_COMPOSE="$compose"
fi

echo "[test] typecheck"
npm run --silent typecheck
echo "[test] lint and format"
npm run --silent lint

exec node_modules/.bin/tsx scripts/with-services.ts --data .data/test -- npm run --silent test:jest -- "$@"
