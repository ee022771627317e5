#!/usr/bin/env bash
# End to end: `emofuse predict` on a small synthetic corpus (tones whose pitch and
# loudness depend on the class): features audio -> train --system audio on some ids ->
# predict the others. Checks the CSV shape, probabilities summing to 1, the printed
# AvRec/AvAUC against the CSV, stdout vs --out, every id by default, and the failures:
# bad model file (one-line error, no output file), wrong store kind or dims, wrong options.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need sox

# 4 classes x 10 utterances; id <class>_<i>; 0..5 train, 6..9 test; x1 has a label
# outside the 4 classes (kept in the CSV with an empty label, not scored).
tone_corpus 10
echo "x1,wav/angry_0.wav,calm" >> "$dir/c/manifest.csv"
grep -E '_[0-5],' "$dir/c/manifest.csv" | cut -d, -f1 > "$dir/train.txt"
{ grep -E '_[6-9],' "$dir/c/manifest.csv" | cut -d, -f1; echo x1; } > "$dir/test.txt"

store="$dir/audio.safetensors"
"$bin" features audio --manifest "$dir/c/manifest.csv" --out "$store" -t 2 -q 2> "$dir/ferr" ||
  fail "features audio: $(cat "$dir/ferr")"
model="$dir/model.safetensors"
"$bin" train --system audio --manifest "$dir/c/manifest.csv" --train-ids "$dir/train.txt" --audio-store "$store" \
  --out "$model" --epochs 15 --batch-size 4 --warmup 0 --lr 3e-3 --threads 1 2> "$dir/terr" ||
  fail "train: $(cat "$dir/terr")"

csv="$dir/pred.csv"
"$bin" predict --model "$model" --audio-store "$store" --ids "$dir/test.txt" --manifest "$dir/c/manifest.csv" \
  --out "$csv" --threads 1 > "$dir/out" 2> "$dir/err" || fail "predict: $(cat "$dir/err")"
[[ -s "$dir/out" ]] && fail "stdout must stay empty with --out"
[[ "$(head -1 "$csv")" == "id,p_angry,p_happy,p_sad,p_neutral,predicted,label" ]] || fail "header: $(head -1 "$csv")"
[[ $(wc -l < "$csv") -eq 18 ]] || fail "expected 17 rows + header, got $(wc -l < "$csv") lines"
# Every row: 7 fields, probabilities in [0,1] summing to 1, predicted = argmax, label known.
awk -F, 'NR > 1 {
  if (NF != 7) { print "fields " NR; bad = 1 }
  s = 0; best = 2
  for (k = 2; k <= 5; k++) { if ($k < 0 || $k > 1) bad = 1; s += $k; if ($k > $best) best = k }
  if (s < 0.9999 || s > 1.0001) { print "sum " s " at " NR; bad = 1 }
  split("x angry happy sad neutral", name, " ")
  if ($6 != name[best]) { print "predicted " $6 " at " NR; bad = 1 }
  if ($1 == "x1" && $7 != "") bad = 1
  if ($1 != "x1" && index($1, $7 "_") != 1) { print "label " $7 " for " $1; bad = 1 }
} END { exit bad }' "$csv" || fail "bad CSV rows"

# The printed metrics: 16 scored utterances, AvRec equal to the one recomputed from the CSV,
# as a percentage like `evaluate` prints it, and well above chance (25 %) on this easy corpus.
line=$(grep '^AvRec ' "$dir/err") || fail "no AvRec line: $(cat "$dir/err")"
[[ $line =~ ^AvRec\ ([0-9.]+)%\ AvAUC\ ([0-9.]+)\ \(16\ utterances\)$ ]] || fail "AvRec line: $line"
avrec=${BASH_REMATCH[1]} avauc=${BASH_REMATCH[2]}
ref=$(awk -F, 'NR > 1 && $7 != "" { n[$7]++; if ($6 == $7) c[$7]++ }
  END { for (k in n) { s += c[k] / n[k]; m++ } printf "%.1f", 100 * s / m }' "$csv")
[[ "$avrec" == "$ref" ]] || fail "printed AvRec $avrec, CSV gives $ref"
awk -v r="$avrec" -v a="$avauc" 'BEGIN { exit !(r >= 75 && a >= 0.85 && a <= 1) }' ||
  fail "AvRec $avrec / AvAUC $avauc too low for separable tones"
grep -q '^confusion matrix' "$dir/err" || fail "no confusion matrix"
grep -Eq '^neutral +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ ' "$dir/err" || fail "confusion row: $(cat "$dir/err")"
grep -q 'not scored' "$dir/err" || fail "the unscored utterance is not mentioned"

# Without --out: the same CSV on stdout. Without --ids/--manifest: every id, no label column.
"$bin" predict --model "$model" --audio-store "$store" --ids "$dir/test.txt" --manifest "$dir/c/manifest.csv" \
  --threads 1 2>/dev/null | cmp -s - "$csv" || fail "stdout CSV differs from --out"
"$bin" predict --model "$model" --audio-store "$store" > "$dir/all.csv" 2> "$dir/err2" || fail "all ids: $(cat "$dir/err2")"
[[ $(wc -l < "$dir/all.csv") -eq 42 ]] || fail "all ids: $(wc -l < "$dir/all.csv") lines"
[[ "$(head -1 "$dir/all.csv")" == "id,p_angry,p_happy,p_sad,p_neutral,predicted" ]] || fail "no-label header"
grep -q AvRec "$dir/err2" && fail "AvRec printed without labels"

# Bad model file: one line on stderr, exit 1, no output file (nor a temporary one).
printf 'not a model at all' > "$dir/bad.model"
"$bin" predict --model "$dir/bad.model" --audio-store "$store" --out "$dir/o1.csv" 2> "$dir/e1" && fail "bad model accepted"
[[ $(wc -l < "$dir/e1") -eq 1 ]] && grep -q "^error: .*bad.model" "$dir/e1" || fail "bad model message: $(cat "$dir/e1")"
head -c 3000 "$model" > "$dir/trunc.model"
"$bin" predict --model "$dir/trunc.model" --audio-store "$store" --out "$dir/o1.csv" 2> "$dir/e1b" && fail "truncated model accepted"
grep -q "^error: .*trunc.model" "$dir/e1b" || fail "truncated model message: $(cat "$dir/e1b")"
ls "$dir" | grep -q '^o1' && fail "output file left after a failure"

# Stores of the wrong kind / dims: hand-made safetensors stores (8-byte header length, JSON
# header, zero data) holding (T, dims) tensors for the given ids.
fake_store() { # path kind dims T id...
  local path=$1 kind=$2 d=$3 T=$4 off=0 sz=$(($3 * $4 * 4)) id
  shift 4
  local h="{\"__metadata__\":{\"emofuse.kind\":\"$kind\",\"emofuse.dims\":\"$d\"}"
  for id in "$@"; do
    h="$h,\"$id\":{\"dtype\":\"F32\",\"shape\":[$T,$d],\"data_offsets\":[$off,$((off + sz))]}"
    off=$((off + sz))
  done
  h="$h}"
  while (( ${#h} % 8 )); do h="$h "; done
  local n=${#h}
  { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x00\\x00\\x00\\x00\\x00' $((n & 255)) $((n >> 8 & 255)) $((n >> 16 & 255)))"
    printf '%s' "$h"; head -c "$off" /dev/zero; } > "$path"
}
fake_store "$dir/glove.st" glove 3 1 angry_6
"$bin" predict --model "$model" --audio-store "$dir/glove.st" --out "$dir/o2.csv" 2> "$dir/e2" && fail "glove store accepted"
grep -q "^error: .*glove.st: a 'glove' store, but .* was trained on 'audio-lld' features" "$dir/e2" ||
  fail "kind mismatch message: $(cat "$dir/e2")"
fake_store "$dir/lld3.st" audio-lld 3 1 angry_6
"$bin" predict --model "$model" --audio-store "$dir/lld3.st" 2> "$dir/e3" && fail "3-dim store accepted"
grep -q "^error: .*lld3.st: 3-dimensional features, but .* expects 36" "$dir/e3" || fail "dims message: $(cat "$dir/e3")"
[[ -e "$dir/o2.csv" ]] && fail "output file after a store mismatch"

# Options.
"$bin" predict --model "$model" 2> "$dir/e4"; [[ $? -eq 2 ]] || fail "missing --audio-store should be a usage error"
grep -q -- "--audio-store" "$dir/e4" || fail "missing store message: $(cat "$dir/e4")"
"$bin" predict --model "$model" --audio-store "$store" --text-store "$store" 2> "$dir/e5"
[[ $? -eq 2 ]] || fail "--text-store for an audio model should be a usage error"
"$bin" predict --audio-store "$store" 2>/dev/null; [[ $? -eq 2 ]] || fail "missing --model"
printf 'nope\n' > "$dir/bad_ids.txt"
"$bin" predict --model "$model" --audio-store "$store" --ids "$dir/bad_ids.txt" 2> "$dir/e6" && fail "unknown id accepted"
grep -q "^error: .*'nope'" "$dir/e6" || fail "unknown id message: $(cat "$dir/e6")"
# A fusion model reads two stores: early fusion with a (zero) 5-dim "glove" text store.
all_ids=$(cut -d, -f1 "$dir/c/manifest.csv" | tail -n +2)
# shellcheck disable=SC2086
fake_store "$dir/text.st" glove 5 2 $all_ids
"$bin" features info "$dir/text.st" 2>/dev/null | grep -q "^utterances: 41" || fail "fake text store unreadable"
"$bin" train --system ef --manifest "$dir/c/manifest.csv" --train-ids "$dir/train.txt" --audio-store "$store" \
  --text-store "$dir/text.st" --out "$dir/ef.model" --epochs 2 --batch-size 8 --threads 1 2> "$dir/terr2" ||
  fail "train ef: $(cat "$dir/terr2")"
"$bin" predict --model "$dir/ef.model" --audio-store "$store" --text-store "$dir/text.st" --ids "$dir/test.txt" \
  --manifest "$dir/c/manifest.csv" > "$dir/ef.csv" 2> "$dir/e7" || fail "predict ef: $(cat "$dir/e7")"
[[ $(wc -l < "$dir/ef.csv") -eq 18 ]] || fail "ef CSV lines"
grep -q '(16 utterances)' "$dir/e7" || fail "ef metrics: $(cat "$dir/e7")"
"$bin" predict --model "$dir/ef.model" --audio-store "$store" --text-store "$store" 2> "$dir/e8" && fail "swapped store"
grep -q "^error: .*a 'audio-lld' store, but .* was trained on 'glove' features" "$dir/e8" || fail "swap: $(cat "$dir/e8")"
"$bin" predict --model "$dir/ef.model" --audio-store "$store" 2> "$dir/e9"; [[ $? -eq 2 ]] || fail "ef without text"
grep -q -- "needs --text-store (glove features)" "$dir/e9" || fail "ef without text: $(cat "$dir/e9")"

"$bin" predict --help | grep -q -- "--manifest" || fail "help"
"$bin" --help | grep -q "predict" || fail "predict not listed"
echo "ok"
