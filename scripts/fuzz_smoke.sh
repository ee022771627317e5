#!/usr/bin/env bash
# A short run of every libFuzzer target (fuzz/README.md): scripts/test.sh calls it when
# clang is installed. Usage: scripts/fuzz_smoke.sh BUILD_DIR [SECONDS_PER_TARGET]
# BUILD_DIR is a -DEMOFUSE_BUILD_FUZZ=ON build. Seeds: fuzz/corpus/<target>/ where
# committed, generated ones for the audio and corpus-file targets. Any crash, sanitizer
# report or broken output contract fails the script (the input is left in BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz_smoke.sh BUILD_DIR [SECONDS]}
secs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# generated seeds: a few audio files (sox) and the corpus fixture tree (python3)
mkdir -p "$work/seeds_audio_load"
if command -v sox > /dev/null; then
  sox -n -r 16000 -c 1 -b 16 "$work/seeds_audio_load/a.wav" synth 0.19 sine 180
  sox -n -r 8000 -c 2 -b 8 "$work/seeds_audio_load/c.wav" synth 0.1 square 220
  sox -n -r 16000 -c 1 -b 16 "$work/seeds_audio_load/b.flac" synth 0.1 saw 150
fi
python3 tests/reference/corpus_fixtures.py "$work/fx" > /dev/null
for bin in "$build"/fuzz_*; do
  [[ -x $bin ]] || continue
  name=$(basename "$bin")
  target=${name#fuzz_}
  mkdir -p "$work/c_$target"
  seeds=()
  [[ -d fuzz/corpus/$target ]] && seeds+=("fuzz/corpus/$target")
  [[ -d $work/seeds_$target ]] && seeds+=("$work/seeds_$target")
  extra=()
  [[ $target == bert_config ]] && extra+=(-dict=fuzz/bert_config.dict)
  log="$work/$target.log"
  if ! EF_FUZZ_CORPUS="$work/fx" LSAN_OPTIONS=suppressions=$PWD/fuzz/audio_load.lsan.supp \
      "$bin" -max_total_time="$secs" -max_len=8192 -artifact_prefix="$build/$name-" "${extra[@]}" \
      "$work/c_$target" "${seeds[@]}" > "$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz_smoke: $name FAILED (input saved as $build/$name-*)"
    exit 1
  fi
  echo "fuzz_smoke: $name $(grep -Eo '^Done [0-9]+ runs' "$log" || echo '?') in ${secs} s"
done
