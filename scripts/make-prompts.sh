#!/usr/bin/env bash
# Regenerates ui/public/prompts/: the kiosk's spoken prompts, one file per step prompt in zh-CN and en
# and one per digit 0-9 in both languages, read by espeak-ng and encoded by sox as small mono OGG
# Vorbis files (WAV when this sox cannot write Vorbis). The UI plays `<locale>/<name>.<ext>` on
# entering a step and `<locale>/digit-<d>.<ext>` one by one on the digits screen.
#
# Mandarin uses the voice cmn-latn-pinyin with tone-numbered pinyin (the plain `cmn` voice misreads
# digits), so the Mandarin texts below are pinyin, each with its Chinese text in a comment under it.
#
# Needs espeak-ng and sox (Debian: apt-get install -y espeak-ng sox; Vorbis comes with
# libsox-fmt-base). The encoded files are not byte-reproducible (an Ogg stream has a random serial
# number), only audibly the same.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/ui/public/prompts"
for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null || { echo "make-prompts: $tool is missing (apt-get install -y espeak-ng sox)" >&2; exit 1; }
done

ext=ogg
if ! sox -h 2>/dev/null | grep -q 'AUDIO FILE FORMATS:.* vorbis'; then
    ext=wav
    echo "make-prompts: this sox cannot write Ogg Vorbis; writing WAV" >&2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# speak VOICE SPEED TEXT OUTFILE: espeak-ng to WAV, then trim the silence at both ends, pad a little,
# mono 16 kHz, normalise to -3 dBFS, encode.
speak() {
    local voice="$1" speed="$2" text="$3" dest="$4"
    espeak-ng -v "$voice" -s "$speed" -p 50 -w "$tmp/raw.wav" "$text"
    local encode=(-b 16)
    [[ "$ext" == ogg ]] && encode=(-C 1)
    sox -D "$tmp/raw.wav" "${encode[@]}" "$dest" \
        silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse \
        pad 0.05 0.15 gain -n -6 rate 16000 channels 1 gain -n -3
}

# name | Mandarin, tone-numbered pinyin (Chinese text) | English
prompts=(
    "consent|qing3 yue4 du2 ge4 ren2 xin4 xi1 chu3 li3 gao4 zhi1, ran2 hou4 xuan3 ze2 tong2 yi4 huo4 bu4 tong2 yi4.|Please read the notice on your personal information, then choose agree or decline."
    # 请阅读个人信息处理告知，然后选择同意或不同意。
    "idCard|qing3 jiang1 shen1 fen4 zheng4 fang4 zai4 du2 ka3 qu1.|Please place your ID card on the card reader."
    # 请将身份证放在读卡区。
    "liveness|qing3 zheng4 dui4 she4 xiang4 tou2, da4 sheng1 lang3 du2 ping2 mu4 shang4 de5 shu4 zi4.|Please face the camera and read the digits on the screen aloud."
    # 请正对摄像头，大声朗读屏幕上的数字。
    "photo|qing3 duan1 zuo4, zheng4 shi4 jing4 tou2, zhun3 bei4 pai1 zhao4.|Please sit up straight and look at the camera for your photo."
    # 请端坐，正视镜头，准备拍照。
    "pledge|qing3 yue4 du2 kao3 sheng1 xu1 zhi1 he2 cheng2 xin4 cheng2 nuo4 shu1.|Please read the candidate instructions and the honesty pledge."
    # 请阅读考生须知和诚信承诺书。
    "signature|qing3 zai4 qian1 ming2 qu1 shu1 xie3 nin2 de5 xing4 ming2.|Please write your name in the signature box."
    # 请在签名区书写您的姓名。
    "confirmed|xian4 chang3 que4 ren4 yi3 wan2 cheng2, qing3 ji4 xia4 nin2 de5 zhun3 kao3 zheng4 hao4.|Your confirmation is complete. Please note your admission number."
    # 现场确认已完成，请记下您的准考证号。
    "staff|qing3 shao1 hou4, gong1 zuo4 ren2 yuan2 jiang1 wei4 nin2 ban4 li3.|Please wait. A member of staff will help you."
    # 请稍候，工作人员将为您办理。
    "retry|wei4 neng2 tong1 guo4, qing3 an4 ping2 mu4 ti2 shi4 zhong4 shi4.|That did not pass. Please follow the instructions on the screen and try again."
    # 未能通过，请按屏幕提示重试。
    "ended|ben3 ci4 que4 ren4 yi3 jie2 shu4.|This confirmation has ended."
    # 本次确认已结束。
    "idle|nin2 hai2 zai4 ma5? ru2 xu1 ji4 xu4, qing3 dian3 ji1 ji4 xu4.|Are you still there? Touch continue to carry on."
    # 您还在吗？如需继续，请点击继续。
)
digits_zh=(ling2 yi1 er4 san1 si4 wu3 liu4 qi1 ba1 jiu3)
digits_en=(zero one two three four five six seven eight nine)

rm -rf "$out/zh-CN" "$out/en"
mkdir -p "$out/zh-CN" "$out/en"
count=0
for entry in "${prompts[@]}"; do
    IFS='|' read -r name zh en <<<"$entry"
    speak cmn-latn-pinyin 150 "$zh" "$out/zh-CN/$name.$ext"
    speak en-us 150 "$en" "$out/en/$name.$ext"
    count=$((count + 2))
done
for d in 0 1 2 3 4 5 6 7 8 9; do
    speak cmn-latn-pinyin 140 "${digits_zh[$d]}" "$out/zh-CN/digit-$d.$ext"
    speak en-us 150 "${digits_en[$d]}" "$out/en/digit-$d.$ext"
    count=$((count + 2))
done
total="$(du -cb "$out"/zh-CN/* "$out"/en/* | tail -1 | cut -f1)"
echo "make-prompts: wrote $count files ($ext, $total bytes) to $out" >&2
