#!/usr/bin/env bash
# Prints a Docker Compose v2 command that can parse docker/compose.yml (no engine is needed for `config`):
# `docker compose` when the plugin exists, else a standalone build from the Go module proxy, cached in
# ~/.cache/credbridge/bin (first run only, a few minutes). Prints nothing and exits 1 when neither is possible.
set -euo pipefail
version=v2.40.3
cache="${CREDBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/credbridge}/bin"
binary="$cache/docker-compose-$version"

if docker compose version >/dev/null 2>&1; then echo "docker compose"; exit 0; fi
if [ -x "$binary" ]; then echo "$binary"; exit 0; fi
command -v go >/dev/null 2>&1 || { echo "[compose] no docker compose and no Go to build it" >&2; exit 1; }

echo "[compose] building Docker Compose $version with $(command -v go) (first run only)" >&2
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
# Built inside its own module: `go install` refuses modules whose go.mod has exclude directives.
dir=$(go mod download -json "github.com/docker/compose/v2@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
mkdir -p "$cache"
(cd "$work/src" && go build -trimpath \
  -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$version" \
  -o "$binary.tmp" ./cmd) >&2
mv "$binary.tmp" "$binary"
echo "$binary"
