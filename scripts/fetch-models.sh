#!/usr/bin/env bash
# Fetches the two dlib face models zk-vision needs (and, below, the Silero VAD model zk-liveness
# and the PP-OCRv4 models zk-ocr need) from the PyPI package
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

# shellcheck source=lib/fetch.sh
. "$(dirname "$0")/lib/fetch.sh"

# PP-OCRv4 (Apache-2.0) for the ID card's OCR fallback (zk-ocr, through tract-onnx): the Chinese
# text detection and recognition models and the 180° classifier from the PyPI wheel
# rapidocr-onnxruntime==1.4.4 (sha256-pinned), each model checked too. The recogniser's character
# list is in its ONNX metadata.
ocr_package="rapidocr-onnxruntime==1.4.4"
ocr_wheel="rapidocr_onnxruntime-1.4.4-py3-none-any.whl"
ocr_wheel_sha256="971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf"
ocr_dir="$models_dir/ppocr-v4"
ocr_models=(
    "ch_PP-OCRv4_det_infer.onnx d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"
    "ch_PP-OCRv4_rec_infer.onnx 48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b"
    "ch_ppocr_mobile_v2.0_cls_infer.onnx e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"
)
ocr_ready=1
for entry in "${ocr_models[@]}"; do
    read -r name sum <<<"$entry"
    has_sha256 "$ocr_dir/$name" "$sum" || ocr_ready=0
done
if [ "$ocr_ready" = 0 ]; then
    echo "fetch-models: installing PP-OCRv4 into $ocr_dir" >&2
    pip_fetch "$ocr_package" "$ocr_wheel" "$ocr_wheel_sha256" "$cache_dir" fetch-models
    mkdir -p "$ocr_dir"
    ocr_staging="$(mktemp -d "$models_dir/.staging-ocr.XXXXXX")"
    python3 -m zipfile -e "$cache_dir/$ocr_wheel" "$ocr_staging"
    for entry in "${ocr_models[@]}"; do
        read -r name sum <<<"$entry"
        if ! has_sha256 "$ocr_staging/rapidocr_onnxruntime/models/$name" "$sum"; then
            echo "fetch-models: $name in $ocr_wheel does not have sha256 $sum; refusing it" >&2
            rm -rf "$ocr_staging"
            exit 1
        fi
        mv -f "$ocr_staging/rapidocr_onnxruntime/models/$name" "$ocr_dir/$name"
    done
    rm -rf "$ocr_staging"
fi

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
    pip_fetch "$vad_package" "$vad_wheel" "$vad_wheel_sha256" "$cache_dir" fetch-models
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
pip_fetch "$package" "$archive" "$archive_sha256" "$cache_dir" fetch-models

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
