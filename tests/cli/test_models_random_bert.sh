#!/usr/bin/env bash
# End to end: `emofuse models random-bert` writes a folder that `tokenize` and `embed`
# accept; every transcript word is one non-[UNK] id; a rerun gives identical files and
# another seed other weights; bad usage exits 2, a missing column or folder 1.
# The library itself: tests/text/test_bert_random.c.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }

cat > "$dir/m.csv" <<'CSV'
id,audio,transcript,note
u1,x.wav,"Hello, world!",alpha
u2,x.wav,Don't stop me NOW,beta
u3,x.wav,,gamma
CSV
"$bin" models random-bert --texts "$dir/m.csv" --out "$dir/rb" --layers 2 --hidden 64 --heads 4 --seed 3 \
  > "$dir/out" 2> "$dir/err" || fail "random-bert: $(cat "$dir/err")"
# [PAD] [UNK] [CLS] [SEP] [MASK] + hello , world ! don ' t stop me now
grep -qx "$dir/rb	vocab 15	layers 2	hidden 64	heads 4	seed 3" "$dir/out" || fail "stdout: $(cat "$dir/out")"
grep -q "not the paper's" "$dir/err" || fail "no warning on stderr: $(cat "$dir/err")"
[[ $(ls "$dir/rb" | tr '\n' ' ') == "config.json model.safetensors vocab.txt " ]] || fail "files: $(ls "$dir/rb")"
grep -q '"intermediate_size": 256' "$dir/rb/config.json" || fail "intermediate should default to 4 x hidden"
[[ $(sed -n 6p "$dir/rb/vocab.txt") == hello ]] || fail "vocab order: $(head -8 "$dir/rb/vocab.txt")"

ids=$("$bin" tokenize --vocab "$dir/rb/vocab.txt" "Don't stop me NOW") || fail "tokenize"
[[ $ids == "2 9 10 11 12 13 14 3" ]] || fail "tokenize gave '$ids'"

"$bin" embed --model "$dir/rb" --text "hello world" --out "$dir/e.safetensors" 2> "$dir/err" \
  || fail "embed: $(cat "$dir/err")"
[[ -s "$dir/e.safetensors" ]] || fail "embed wrote nothing"

"$bin" models random-bert --texts "$dir/m.csv" --out "$dir/rb2" --layers 2 --hidden 64 --heads 4 --seed 3 \
  > /dev/null 2>&1 || fail "second run"
for f in config.json vocab.txt model.safetensors; do
  cmp -s "$dir/rb/$f" "$dir/rb2/$f" || fail "$f differs between two runs with the same seed"
done
"$bin" models random-bert --texts "$dir/m.csv" --out "$dir/rb2" --layers 2 --hidden 64 --heads 4 --seed 4 \
  > /dev/null 2>&1 || fail "rerun in place with another seed"
cmp -s "$dir/rb/model.safetensors" "$dir/rb2/model.safetensors" && fail "seeds 3 and 4 gave the same weights"
cmp -s "$dir/rb/vocab.txt" "$dir/rb2/vocab.txt" || fail "the vocabulary should not depend on the seed"

# --column picks another column
"$bin" models random-bert --texts "$dir/m.csv" --column note --out "$dir/rb3" --layers 1 --hidden 8 --heads 2 \
  > "$dir/out" 2>/dev/null || fail "--column"
grep -q "vocab 8	layers 1	hidden 8	heads 2	seed 1" "$dir/out" || fail "--column: $(cat "$dir/out")"

"$bin" models random-bert --texts "$dir/m.csv" --column nope --out "$dir/x" > /dev/null 2> "$dir/err"
[[ $? -eq 1 ]] && grep -q "error: $dir/m.csv: no 'nope' column" "$dir/err" || fail "missing column: $(cat "$dir/err")"
[[ -e "$dir/x" ]] && fail "a failed run created its folder"
touch "$dir/file"
"$bin" models random-bert --texts "$dir/m.csv" --out "$dir/file/sub" --hidden 8 --heads 2 > /dev/null 2> "$dir/err"
[[ $? -eq 1 ]] && grep -q "^error: $dir/file/sub" "$dir/err" || fail "unwritable folder: $(cat "$dir/err")"
"$bin" models random-bert --texts "$dir/m.csv" --out "$dir/x" --hidden 100 --heads 12 > /dev/null 2> "$dir/err"
[[ $? -eq 2 ]] || fail "heads not dividing hidden should exit 2"
"$bin" models random-bert --out "$dir/x" > /dev/null 2>&1
[[ $? -eq 2 ]] || fail "no --texts should exit 2"
"$bin" models random-bert --texts "$dir/m.csv" --out "$dir/x" --layers 0 > /dev/null 2>&1
[[ $? -eq 2 ]] || fail "--layers 0 should exit 2"
"$bin" models random-bert --help | grep -q "random-bert" || fail "--help"
echo "ok: all random-bert checks passed"
