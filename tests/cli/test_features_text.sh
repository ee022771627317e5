#!/usr/bin/env bash
# End to end: `emofuse features text` with the tiny BERT fixture model and with a small
# GloVe file: one row per word-piece (as `emofuse tokenize` counts them, minus [CLS] and
# [SEP]), one row per word for GloVe with the out-of-vocabulary words reported, reuse on
# rerun, recomputation when a transcript changes, clean errors.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
fix=${EMOFUSE_FIXTURES:?}
model="$fix/bert/tiny"

cat > "$dir/m.csv" <<'CSV'
id,audio,transcript
u1,x.wav,a cab bad
u2,x.wav,"Hello, dad!"
u3,x.wav,
CSV
"$bin" features text --manifest "$dir/m.csv" --out "$dir/bert.safetensors" --model "$model" --layers 0:3 -q \
  2> "$dir/err" || fail "bert features: $(cat "$dir/err")"
"$bin" features info "$dir/bert.safetensors" --ids > "$dir/info"
grep -q "^kind: bert" "$dir/info" || fail "kind"
grep -q "^dims: 32" "$dir/info" || fail "dims"
for id in u1 u2; do
  text=$(awk -F, -v id=$id '$1==id{sub(/^[^,]*,[^,]*,/, ""); gsub(/"/, ""); print}' "$dir/m.csv")
  n_ids=$("$bin" tokenize --vocab "$model/vocab.txt" "$text" | wc -w)
  rows=$(awk -v id=$id '$1==id{print $2}' "$dir/info")
  [[ $rows -eq $((n_ids - 2)) ]] || fail "$id: $rows rows but $n_ids ids (with CLS/SEP)"
done
[[ $(awk '$1=="u3"{print $2}' "$dir/info") -eq 0 ]] || fail "empty transcript should give 0 rows"

"$bin" features text --manifest "$dir/m.csv" --out "$dir/bert.safetensors" --model "$model" --layers 0:3 -q \
  2> "$dir/err" || fail "rerun"
grep -q "(3 reused, 0 extracted)" "$dir/err" || fail "rerun did not reuse: $(cat "$dir/err")"
sed -i 's/a cab bad/a bad cab dab/' "$dir/m.csv"
"$bin" features text --manifest "$dir/m.csv" --out "$dir/bert.safetensors" --model "$model" --layers 0:3 -q \
  2> "$dir/err" || fail "changed text"
grep -q "(2 reused, 1 extracted)" "$dir/err" || fail "changed transcript not recomputed: $(cat "$dir/err")"

# GloVe: 3-d vectors for a few words; "cab" and "dad" are not among them.
cat > "$dir/glove.txt" <<'TXT'
a 0.1 0.2 0.3
bad 1 2 3
dab -1 -2 -3
hello 0.5 0.5 0.5
, 0 0 1
! 0 1 0
TXT
"$bin" features text --manifest "$dir/m.csv" --out "$dir/glove.safetensors" --glove "$dir/glove.txt" -q \
  2> "$dir/err" || fail "glove features: $(cat "$dir/err")"
grep -q "2 of 8 words (25.0%) not in the GloVe vocabulary" "$dir/err" || fail "OOV report: $(cat "$dir/err")"
[[ -s "$dir/glove.efg" ]] || fail "index not built next to the text file as glove.efg"
# `models glove-index` and `features text` share one index: after the first, the second
# builds nothing (same name: the text path without .txt, plus .efg).
cp "$dir/glove.txt" "$dir/shared.txt"
"$bin" models glove-index "$dir/shared.txt" > /dev/null 2> "$dir/err" || fail "glove-index: $(cat "$dir/err")"
[[ -s "$dir/shared.efg" ]] || fail "models glove-index should write shared.efg"
"$bin" features text --manifest "$dir/m.csv" --out "$dir/shared.safetensors" --glove "$dir/shared.txt" \
  2> "$dir/err" || fail "glove features from the shared index: $(cat "$dir/err")"
grep -q "building GloVe index" "$dir/err" && fail "features text rebuilt the index glove-index wrote: $(cat "$dir/err")"
cmp -s <("$bin" features info "$dir/shared.safetensors" --ids | grep -v "^config") <("$bin" features info "$dir/glove.safetensors" --ids | grep -v "^config") \
  || fail "features from the shared index differ"
# A gzip-compressed release is read in-process (zlib) into the same index, named without .gz.
gzip -c "$dir/glove.txt" > "$dir/gz.txt.gz" || fail "gzip"
"$bin" features text --manifest "$dir/m.csv" --out "$dir/gz.safetensors" --glove "$dir/gz.txt.gz" -q \
  2> "$dir/err" || fail "glove features from .txt.gz: $(cat "$dir/err")"
cmp -s "$dir/gz.efg" "$dir/glove.efg" || fail "the index built from .txt.gz differs from the plain text's"
"$bin" features info "$dir/glove.safetensors" --ids > "$dir/ginfo"
grep -q "^dims: 3" "$dir/ginfo" || fail "glove dims"
[[ $(awk '$1=="u1"{print $2}' "$dir/ginfo") -eq 4 ]] || fail "u1 should have 4 words"
[[ $(awk '$1=="u2"{print $2}' "$dir/ginfo") -eq 4 ]] || fail "u2 should have 4 tokens (hello , dad !)"

"$bin" features text --manifest "$dir/m.csv" --out "$dir/x.safetensors" --model "$dir/nomodel" 2> "$dir/err"
[[ $? -eq 1 ]] || fail "missing model exit code"
grep -q "^error: .*nomodel" "$dir/err" || fail "missing model message: $(cat "$dir/err")"
[[ -e "$dir/x.safetensors" ]] && fail "output written after failure"
"$bin" features text --manifest "$dir/m.csv" --out "$dir/x.safetensors" 2>/dev/null
[[ $? -eq 2 ]] || fail "no --model/--glove should be a usage error"
echo ok
