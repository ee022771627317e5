#!/usr/bin/env bash
# Synthesises a small emotional-speech-like sample corpus with espeak-ng and sox, so a
# fresh clone has something to run on (nothing is downloaded or copied from elsewhere).
# "Emotions" are prosody caricatures (angry: fast, loud, high; sad: slow, low, quiet;
# happy: high and lively; neutral: plain): useful to exercise the pipeline, not to
# measure recognition.
#   scripts/make-sample-corpus.sh OUTDIR [N_PER_CELL]
# Writes OUTDIR/wav/*.wav (16 kHz mono) and OUTDIR/manifest.csv
# (id,audio,speaker,emotion,transcript). Idempotent: existing files are kept.
set -euo pipefail
out=${1:?usage: make-sample-corpus.sh OUTDIR [N_PER_CELL]}
per_cell=${2:-3}
mkdir -p "$out/wav"
voices=(en-us en-gb "en-us+f3" "en-gb+m3")
sentences=("I can not believe you did that again"
  "We are going to the beach tomorrow"
  "Nobody came to the party last night"
  "The meeting starts at nine in the morning"
  "Give me back my keys right now"
  "What a wonderful surprise this is")
declare -A speed=([angry]=190 [happy]=175 [sad]=115 [neutral]=150)
declare -A pitch=([angry]=70 [happy]=80 [sad]=25 [neutral]=50)
declare -A amp=([angry]=180 [happy]=130 [sad]=70 [neutral]=100)
tmp_manifest="$out/manifest.csv.tmp.$$"
echo "id,audio,speaker,emotion,transcript" > "$tmp_manifest"
for s in "${!voices[@]}"; do
  voice=${voices[$s]}
  for emo in angry happy sad neutral; do
    for ((k = 0; k < per_cell; k++)); do
      idx=$(( (s * 7 + k * 3 + ${#emo}) % ${#sentences[@]} ))
      text=${sentences[$idx]}
      id="spk${s}_${emo}_${k}"
      wav="$out/wav/$id.wav"
      if [[ ! -s "$wav" ]]; then
        espeak-ng -v "$voice" -s "${speed[$emo]}" -p "${pitch[$emo]}" -a "${amp[$emo]}" -w "$wav.tmp.wav" "$text"
        sox -V1 "$wav.tmp.wav" -r 16000 -c 1 -b 16 "$wav.tmp2.wav" vol 0.7
        rm -f "$wav.tmp.wav"
        mv "$wav.tmp2.wav" "$wav"
      fi
      echo "$id,wav/$id.wav,spk$s,$emo,$text" >> "$tmp_manifest"
    done
  done
done
mv "$tmp_manifest" "$out/manifest.csv"
echo "sample corpus: $(($(wc -l < "$out/manifest.csv") - 1)) utterances in $out"
