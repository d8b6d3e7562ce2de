#!/usr/bin/env bash
# Sets up the machine, builds the UI and the app, and runs the kiosk: simulated devices (the ID
# card reader's protocol simulator behind the real serial driver, a camera showing the demo
# candidates, a recorded microphone, the touch screen as the signature pad), the demo roster and
# staff accounts (demo-staff / 246813, demo-reviewer / 135792, demo-admin / 864200), the desk's encrypted SQLite store
# in the platform data folder. Extra arguments go to the app (`--windowed`, `--store DIR`,
# `--devices real`, `--config FILE`). Without a display (no DISPLAY or WAYLAND_DISPLAY) it runs
# the headless scripted demo instead (`zk demo`: three candidates through the whole flow).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
bash scripts/setup.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "run: no display; running the headless demo (zk demo). Run this on the desk's screen for the kiosk app." >&2
    cargo build --release -q -p zk-cli
    exec "$target/release/zk" demo
fi
bash scripts/build-ui.sh
cargo build --release -q -p zk-shell
exec "$target/release/zikao-kiosk" "$@"
