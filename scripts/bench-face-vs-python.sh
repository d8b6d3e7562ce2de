#!/usr/bin/env bash
# zk-vision (Rust: rustface + dlib 5-point + dlib ResNet) against the Python `face_recognition`
# package (dlib HOG + the same dlib 5-point and ResNet models), side by side in one run on the same
# image files, both pinned to one core with one BLAS thread. Prints a table with the ratio
# python time / rust time per stage and writes it to a results file.
#
#   bash scripts/bench-face-vs-python.sh [--results FILE] [--dlib source|bin] [--repeats N]
#                                        [--rounds N] [--faces DIR] [--keep DIR] [--setup-only]
#
#   --results FILE  where the Markdown results go (default: target/bench-face-vs-python.md)
#   --dlib source   (default) dlib's Python bindings compiled from the PyPI sdist with cmake, which
#                   finds Debian's OpenBLAS, as `pip install face_recognition` does (the first
#                   time takes 15-25 min on 2 cores; pip caches the wheel afterwards)
#   --dlib bin      the prebuilt `dlib-bin` wheel of the same dlib release (no BLAS: its ResNet
#                   embedding is about 4x slower; its HOG detector about 2x faster)
#   --repeats N     timing repeats over the whole image set in each round (default 3)
#   --rounds N      run Rust then Python N times in turn and keep, per timing, the smallest
#                   round median, so both sides see the same spells of load (default 1)
#   --faces DIR     the dev face set (default: $ZK_FACES_DIR, else ../shared/data/faces)
#   --keep DIR      write the image set and the JSON reports into DIR and keep them
#   --setup-only    only (re)create the virtualenv
#
# The virtualenv lives in ${XDG_CACHE_HOME:-~/.cache}/zikao-kiosk/bench-venv/dlib-<variant>; it is
# recreated when its packages are not exactly the pinned ones (scripts/bench/requirements-*.txt,
# all hash-checked, from PyPI only). face_recognition_models 0.3.0 is installed from the archive
# scripts/fetch-models.sh keeps, so it is not downloaded twice. Needs Debian's cmake, build tools
# and libopenblas-dev (installed with apt-get when missing) and the models (fetch-models.sh).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bench_dir="$root/scripts/bench"
results="$root/target/bench-face-vs-python.md"
variant="source"
repeats=3
rounds=1
faces="${ZK_FACES_DIR:-$root/../shared/data/faces}"
keep=""
setup_only=0

fail() {
    echo "bench-face-vs-python: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
    --results) results="${2:?--results needs a file}"; shift 2 ;;
    --dlib) variant="${2:?--dlib needs source or bin}"; shift 2 ;;
    --repeats) repeats="${2:?--repeats needs a number}"; shift 2 ;;
    --faces) faces="${2:?--faces needs a directory}"; shift 2 ;;
    --keep) keep="${2:?--keep needs a directory}"; shift 2 ;;
    --setup-only) setup_only=1; shift ;;
    --rounds) rounds="${2:?--rounds needs a number}"; shift 2 ;;
    -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
    *) fail "unknown option $1 (see --help)" ;;
    esac
done
case "$variant" in source | bin) ;; *) fail "--dlib must be source or bin, not $variant" ;; esac
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || fail "--repeats must be a positive number"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || fail "--rounds must be a positive number"

# --- system packages --------------------------------------------------------------------------
packages=(python3-venv python3-dev cmake build-essential pkg-config libopenblas-dev liblapack-dev util-linux)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# This machine's python3 may come from pyenv (it has venv and headers); Debian's python3-venv and
# python3-dev are only needed for Debian's python3.
if [ "$(command -v python3)" != /usr/bin/python3 ]; then
    missing=("${missing[@]/python3-venv/}")
    missing=("${missing[@]/python3-dev/}")
    read -r -a missing <<<"${missing[*]}"
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench-face-vs-python: installing ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

# --- the virtualenv ---------------------------------------------------------------------------
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/zikao-kiosk"
venv="$cache_root/bench-venv/dlib-$variant"
models_archive="${ZK_MODELS_CACHE:-$cache_root/pip-download}"
python="$venv/bin/python"
requirements=("$bench_dir/requirements-common.txt" "$bench_dir/requirements-dlib-$variant.txt")
models_requirement="face-recognition-models==0.3.0 --hash=sha256:b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf"

# The pinned name==version lines, normalised like `pip freeze` prints them.
expected_freeze() {
    { cat "${requirements[@]}"; echo "$models_requirement"; } |
        sed -n 's/^\([A-Za-z0-9_.-]*\)==\([^ ]*\).*/\1==\2/p' | tr 'A-Z_' 'a-z-' | sort
}

venv_ok() {
    [ -x "$python" ] || return 1
    local have
    have="$("$python" -m pip freeze --all 2>/dev/null | tr 'A-Z_' 'a-z-' | sort)" || return 1
    while read -r line; do
        grep -qxF "$line" <<<"$have" || return 1
    done < <(expected_freeze)
    OPENBLAS_NUM_THREADS=1 "$python" -c "import dlib, face_recognition" 2>/dev/null
}

if ! venv_ok; then
    echo "bench-face-vs-python: (re)creating $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    pip_install=("$python" -m pip install --no-deps --require-hashes --disable-pip-version-check)
    "${pip_install[@]}" --requirement "$bench_dir/requirements-common.txt"
    if [ "$variant" = source ]; then
        echo "bench-face-vs-python: building dlib's Python bindings from the sdist (cmake; 15-25 min on 2 cores the first time)" >&2
        # --no-build-isolation: build with the pinned setuptools/wheel above, not the latest.
        "${pip_install[@]}" --no-build-isolation --requirement "$bench_dir/requirements-dlib-source.txt"
    else
        "${pip_install[@]}" --only-binary :all: --requirement "$bench_dir/requirements-dlib-bin.txt"
    fi
    # face_recognition_models: from fetch-models.sh's archive when it is there (no 100 MB
    # download), else from PyPI; hash-checked either way.
    models_requirements="$(mktemp)"
    echo "$models_requirement" >"$models_requirements"
    if [ -f "$models_archive/face_recognition_models-0.3.0.tar.gz" ]; then
        "${pip_install[@]}" --no-build-isolation --no-index --find-links "$models_archive" --requirement "$models_requirements"
    else
        "${pip_install[@]}" --no-build-isolation --requirement "$models_requirements"
    fi
    rm -f "$models_requirements"
    venv_ok || fail "the virtualenv $venv is still not right after installing; see the errors above"
fi
echo "bench-face-vs-python: virtualenv ready: $venv" >&2
[ "$setup_only" -eq 1 ] && exit 0

# --- the image set and the two runs -----------------------------------------------------------
[ -f "$faces/pairs.csv" ] || fail "no dev face set at $faces (pairs.csv missing); use --faces or ZK_FACES_DIR"
bash "$root/scripts/fetch-models.sh"
if [ -n "$keep" ]; then
    work="$keep"
    mkdir -p "$work"
else
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi

cd "$root"
cargo build --release --quiet -p zk-vision --example bench_frames
example="$root/target/release/examples/bench_frames"
"$example" --prepare "$faces" "$work/images"

# One core, one BLAS/OpenMP thread, one process for both sides.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
rust_reports=()
python_reports=()
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
    echo "bench-face-vs-python: round $round/$rounds: timing Rust zk-vision (taskset -c 0)" >&2
    taskset -c 0 "$example" --repeats "$repeats" "$work/images" >"$work/rust-$round.json"
    echo "bench-face-vs-python: round $round/$rounds: timing Python face_recognition (taskset -c 0)" >&2
    taskset -c 0 "$python" "$bench_dir/face_recognition_bench.py" --repeats "$repeats" "$work/images" >"$work/python-$round.json"
    rust_reports+=("$work/rust-$round.json")
    python_reports+=("$work/python-$round.json")
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

versions="$("$python" -c 'import json,sys; v=json.load(open(sys.argv[1]))["versions"]; print(", ".join(f"{k} {w}" for k, w in v.items()))' "$work/python-1.json")"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
mkdir -p "$(dirname "$results")"
{
    echo "# zk-vision vs Python face_recognition"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(getconf _NPROCESSORS_ONLN) cores ($cpu), $(. /etc/os-release && echo "$PRETTY_NAME"),"
    echo "load average before / after the run: $load_before / $load_after; both sides \`taskset -c 0\`, OPENBLAS_NUM_THREADS=1."
    echo "Python side: $versions (dlib variant: $variant)."
    echo "Rust side: $(rustc --version), zk-vision with Debian libdlib $(dpkg-query -W -f='${Version}' libdlib19.1 2>/dev/null || echo '?') and OpenBLAS $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo '?')."
    echo
    "$python" "$bench_dir/compare.py" "$(IFS=,; echo "${rust_reports[*]}")" "$(IFS=,; echo "${python_reports[*]}")" "$work/images/manifest.tsv"
} >"$results"
cat "$results"
echo >&2
echo "bench-face-vs-python: results written to $results" >&2
