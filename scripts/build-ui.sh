#!/usr/bin/env bash
# Builds the kiosk's web UI (ui/ → ui/dist/), which the Tauri shell embeds at compile time: run it
# before any cargo command that builds zk-shell. npm ci installs exactly ui/package-lock.json
# (from the npm registry only); it is skipped when node_modules already matches the lockfile.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.zk-lock; then
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.zk-lock
fi
npm run --silent build
