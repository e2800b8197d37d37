#!/usr/bin/env bash
# `npm run demo`: on a fresh clone installs the npm dependencies first, then runs scripts/demo.ts, which
# installs and starts the local services and seeds everything. Arguments go to the demo
# (e.g. `npm run demo -- --reset`).
set -euo pipefail
cd "$(dirname "$0")/.."
# Only when they are absent: an existing node_modules may be shared with running processes.
if [ ! -x node_modules/.bin/tsx ]; then
  # npm install, not npm ci: see scripts/test.sh.
  echo "[demo] installing dependencies (npm install)"
  npm install --no-audit --no-fund
fi
exec node --import tsx scripts/demo.ts "$@"
