# shellcheck shell=bash disable=SC2034  # bin, src, dir: set for the sourcing script
# The common start of an end-to-end test (tests/cli/test_*.sh). Source it right after
# `set -uo pipefail`, failing the test when it cannot be read (a test that went on without
# `fail` would run to its `ok` line whatever happened):
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
#
# It sets
#   bin  the program under test, EMOFUSE_BIN (required: the script exits at once without it)
#   src  the checkout, EMOFUSE_SRC (as CTest sets it), else the one this file sits in
#   dir  a fresh temporary folder, removed on exit by an EXIT trap (a script that sets its
#        own EXIT trap takes this one over and must remove "$dir" itself)
# and defines
#   fail MSG...          prints "FAIL: MSG..." and exits 1
#   need CMD             exits 77 (skipped) with a "SKIP: CMD not installed" line unless CMD is on PATH
#   demo_manifest        the demo corpus (scripts/make-demo-corpus.sh: IEMOCAP layout, speech
#                        by espeak-ng) in $dir/demo and its manifest $dir/m.csv
#   tone_corpus N [--transcripts] [--mixed-rates]
#                        a synthetic corpus that a small model separates easily (needs sox):
#                        $dir/c/manifest.csv (id,audio[,transcript],emotion; audio relative to
#                        it) and $dir/c/wav/<id>.wav with ids <class>_<i>, i = 0..N-1, for the
#                        classes angry, happy, sad, neutral: sine tones of 0.5-0.8 s whose
#                        pitch and loudness depend on the class. --transcripts adds a column of
#                        class-typical words plus "number <i>"; --mixed-rates writes every odd
#                        i at 44.1 kHz stereo (so decoding resamples and mixes down), the rest
#                        at 16 kHz mono.
bin=${EMOFUSE_BIN:?}
src=${EMOFUSE_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

need() { command -v "$1" > /dev/null || { echo "SKIP: $1 not installed"; exit 77; }; }

demo_manifest() {
  "$src/scripts/make-demo-corpus.sh" "$dir/demo" > /dev/null 2>&1 || fail "demo corpus"
  "$bin" corpus iemocap "$dir/demo" -o "$dir/m.csv" 2>/dev/null || fail "corpus"
}

tone_corpus() {
  local n=$1 text=0 mixed=0 opt k i id rate ch
  shift
  for opt in "$@"; do
    case $opt in
      --transcripts) text=1 ;;
      --mixed-rates) mixed=1 ;;
      *) fail "tone_corpus: unknown option $opt" ;;
    esac
  done
  local emos=(angry happy sad neutral) base=(440 330 150 220) vols=(0.8 0.6 0.2 0.4)
  local words=("you did this again I hate it" "what a lovely day this is" "I miss her so much today" "the bus leaves at nine")
  mkdir -p "$dir/c/wav"
  if ((text)); then echo "id,audio,transcript,emotion"; else echo "id,audio,emotion"; fi > "$dir/c/manifest.csv"
  for k in 0 1 2 3; do
    for ((i = 0; i < n; i++)); do
      id="${emos[k]}_$i"
      if ((mixed && i % 2)); then rate=44100 ch=2; else rate=16000 ch=1; fi
      sox -n -r $rate -c $ch -b 16 "$dir/c/wav/$id.wav" synth 0.$((5 + i % 4)) sine $((base[k] + i * 3)) vol "${vols[k]}" ||
        fail "sox: $id.wav"
      if ((text)); then
        echo "$id,wav/$id.wav,\"${words[k]} number $i\",${emos[k]}"
      else
        echo "$id,wav/$id.wav,${emos[k]}"
      fi >> "$dir/c/manifest.csv"
    done
  done
}
