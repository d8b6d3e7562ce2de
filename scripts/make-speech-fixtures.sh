#!/usr/bin/env bash
# Regenerates tests/fixtures/speech/: Mandarin digit strings read by espeak-ng (voice
# cmn-latn-pinyin with tone-numbered pinyin; the plain `cmn` voice misreads digits), converted by
# sox to 16 kHz mono 16-bit WAV with 0.5 s of silence before and 0.7 s after (the recipe of
# ../shared/research/liveness-asr.md §0). The voice-activity and lip-sync tests read these files;
# the non-speech cases (silence, noise, hum, tones) are generated in the tests themselves.
# (sox -D: no dither, so the output is reproducible.) Needs espeak-ng and sox (scripts/setup.sh installs both). Output is deterministic for a given
# espeak-ng/sox version (tested with espeak-ng 1.51, sox 14.4.2).
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/speech"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# name | digits | pinyin | espeak speed (wpm) | pitch
clips=(
    "d01|3729|san1 qi1 er4 jiu3|150|50"
    "d02|10864|yi1 ling2 ba1 liu4 si4|160|45"
    "d03|558203|wu3 wu3 ba1 er4 ling2 san1|140|55"
    "d04|4916|si4, jiu3, yao1, liu4|130|50"
    "d05|73052|qi1 san1 ling2 wu3 er4|175|60"
    "d06|290418|er4 jiu3 ling2 si4 yi1 ba1|150|40"
    "d07|6384|liu4 san1 ba1 si4|165|50"
    "d08|81957|ba1, yi1, jiu3, wu3, qi1|145|55"
)
for entry in "${clips[@]}"; do
    IFS='|' read -r name digits pinyin speed pitch <<<"$entry"
    espeak-ng -v cmn-latn-pinyin -s "$speed" -p "$pitch" -w "$tmp/$name.raw.wav" "$pinyin"
    sox -D "$tmp/$name.raw.wav" -b 16 "$out/$name-$digits.wav" gain -n -3 rate 16000 channels 1 pad 0.5 0.7
done
echo "make-speech-fixtures: wrote ${#clips[@]} clips to $out" >&2
