#!/usr/bin/env bash
# Sets up the machine, then runs the kiosk's main job with simulated devices and an embedded store:
# for now the headless demo (`zk demo`: three scripted candidates through the whole flow).
# Extra arguments go to `zk` (e.g. `--store /tmp/desk` to keep the records).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -q -p zk-cli
exec ./target/release/zk "$@" demo
