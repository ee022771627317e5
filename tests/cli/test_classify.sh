#!/usr/bin/env bash
# End to end: `emofuse classify` (the library's ef_classify* behind it) gives the same
# probabilities as `emofuse predict` on feature stores for the same model and utterances,
# for an audio, a text (tiny random BERT) and an early-fusion model, in every output
# format and through --manifest; PCM buffers (the C test) are covered in tests/api.
# Also: a different BERT folder is an error at load time, a fusion model without a
# transcript is an error, and a bad audio file gives one line and no stdout.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need sox

# 4 classes x 6 utterances of tones (pitch/loudness by class) with class-typical words;
# 44.1 kHz stereo for some, so decoding resamples and mixes down.
tone_corpus 6 --transcripts --mixed-rates
cut -d, -f1 "$dir/c/manifest.csv" | tail -n +2 > "$dir/ids.txt"

"$bin" models random-bert --texts "$dir/c/manifest.csv" --out "$dir/bert" --layers 2 --hidden 32 --heads 4 \
  --intermediate 64 --max-positions 64 > /dev/null 2> "$dir/err" || fail "random-bert: $(cat "$dir/err")"
"$bin" features audio --manifest "$dir/c/manifest.csv" --out "$dir/audio.st" -t 2 -q 2> "$dir/err" ||
  fail "features audio: $(cat "$dir/err")"
"$bin" features text --manifest "$dir/c/manifest.csv" --out "$dir/text.st" --model "$dir/bert" -t 2 -q 2> "$dir/err" ||
  fail "features text: $(cat "$dir/err")"
train() { # system model-file
  "$bin" train --system "$1" --manifest "$dir/c/manifest.csv" --train-ids "$dir/ids.txt" --audio-store "$dir/audio.st" \
    --text-store "$dir/text.st" --out "$2" --epochs 3 --batch-size 4 --warmup 0 --lr 3e-3 --threads 1 2> "$dir/err" ||
    fail "train $1: $(cat "$dir/err")"
}
# train takes only the stores its system needs
"$bin" train --system audio --manifest "$dir/c/manifest.csv" --train-ids "$dir/ids.txt" --audio-store "$dir/audio.st" \
  --out "$dir/audio.model" --epochs 3 --batch-size 4 --warmup 0 --lr 3e-3 --threads 1 2> "$dir/err" || fail "train audio: $(cat "$dir/err")"
"$bin" train --system text --manifest "$dir/c/manifest.csv" --train-ids "$dir/ids.txt" --text-store "$dir/text.st" \
  --out "$dir/text.model" --epochs 3 --batch-size 4 --warmup 0 --lr 3e-3 --threads 1 2> "$dir/err" || fail "train text: $(cat "$dir/err")"
train ef "$dir/ef.model"

# predict's probabilities vs classify --manifest --csv: same ids, |difference| <= 2e-5.
compare() { # predict.csv classify.csv what
  /usr/bin/env awk -F, -v what="$3" '
    NR == FNR { if (FNR > 1) { for (k = 2; k <= 5; k++) p[$1, k] = $k; n++ } next }
    FNR == 1 { next }
    { m++; if (!(($1, 2) in p)) { print what ": id " $1 " not predicted"; bad = 1; next }
      for (k = 2; k <= 5; k++) { d = p[$1, k] - $(k + 2); if (d < 0) d = -d; if (d > 2e-5) { print what ": " $1 " p" k " " p[$1, k] " vs " $(k + 2); bad = 1 } } }
    END { if (m != n || n == 0) { print what ": " n " predicted, " m " classified"; bad = 1 } exit bad }' "$1" "$2"
}
for sys in audio text ef; do
  args=()
  [[ $sys != text ]] && args+=(--audio-store "$dir/audio.st")
  [[ $sys != audio ]] && args+=(--text-store "$dir/text.st")
  "$bin" predict --model "$dir/$sys.model" "${args[@]}" --out "$dir/$sys.pred.csv" --threads 1 2> "$dir/err" ||
    fail "predict $sys: $(cat "$dir/err")"
  "$bin" classify --model "$dir/$sys.model" --manifest "$dir/c/manifest.csv" --csv -q --threads 2 \
    > "$dir/$sys.cls.csv" 2> "$dir/err" || fail "classify --manifest $sys: $(cat "$dir/err")"
  # classify CSV: id,file,label,p... -> drop file and label for the comparison
  cut -d, -f1,4- "$dir/$sys.cls.csv" | awk -F, 'BEGIN{OFS=","} {print $1,"x","x",$2,$3,$4,$5}' > "$dir/$sys.cls2.csv"
  awk -F, 'BEGIN{OFS=","} {print $1,$2,$3,$4,$5}' "$dir/$sys.pred.csv" > "$dir/$sys.pred2.csv"
  compare "$dir/$sys.pred2.csv" "$dir/$sys.cls2.csv" "$sys" || fail "$sys: classify differs from predict"
done
[[ "$(head -1 "$dir/ef.cls.csv")" == "id,file,label,p_angry,p_happy,p_sad,p_neutral" ]] || fail "csv header: $(head -1 "$dir/ef.cls.csv")"

# GloVe: a text model over a tiny vector file (indexed on first use) gives predict's numbers too.
/usr/bin/python3 - "$dir/glove.txt" <<'PY'
import random, sys
random.seed(1)
words = "you did this again i hate it what a lovely day is miss her so much today the bus leaves at nine number".split()
with open(sys.argv[1], "w") as f:
    for w in words:
        f.write(w + " " + " ".join("%.4f" % random.uniform(-1, 1) for _ in range(8)) + "\n")
PY
"$bin" features text --manifest "$dir/c/manifest.csv" --out "$dir/glove.st" --glove "$dir/glove.txt" -q 2> "$dir/err" ||
  fail "features text --glove: $(cat "$dir/err")"
"$bin" train --system text --manifest "$dir/c/manifest.csv" --train-ids "$dir/ids.txt" --text-store "$dir/glove.st" \
  --out "$dir/glove.model" --epochs 3 --batch-size 4 --warmup 0 --lr 3e-3 --threads 1 2> "$dir/err" || fail "train glove: $(cat "$dir/err")"
"$bin" predict --model "$dir/glove.model" --text-store "$dir/glove.st" --out "$dir/glove.pred.csv" --threads 1 2> "$dir/err" ||
  fail "predict glove: $(cat "$dir/err")"
"$bin" classify --model "$dir/glove.model" --manifest "$dir/c/manifest.csv" --csv -q > "$dir/glove.cls.csv" 2> "$dir/err" ||
  fail "classify glove: $(cat "$dir/err")"
cut -d, -f1,4- "$dir/glove.cls.csv" | awk -F, 'BEGIN{OFS=","} {print $1,"x","x",$2,$3,$4,$5}' > "$dir/glove.cls2.csv"
compare "$dir/glove.pred.csv" "$dir/glove.cls2.csv" glove || fail "glove: classify differs from predict"
head -3 "$dir/glove.txt" > "$dir/glove_small.txt"
"$bin" classify --model "$dir/glove.model" --glove "$dir/glove_small.txt" --transcript "what a day" > "$dir/o" 2> "$dir/e0" &&
  fail "another GloVe file accepted"
grep -q "^error: .*glove_small.txt: 3 words of 8 dimensions, but .*glove.model was trained on 8-dimensional GloVe features of .*glove.txt" \
  "$dir/e0" || fail "GloVe mismatch message: $(cat "$dir/e0")"

# Files on the command line with --transcript / --transcripts, JSON and the table.
f=$dir/c/wav/sad_3.wav
t="I miss her so much today number 3"
"$bin" classify --model "$dir/ef.model" --transcript "$t" --json "$f" > "$dir/one.json" 2> "$dir/err" ||
  fail "classify one: $(cat "$dir/err")"
/usr/bin/python3 - "$dir/one.json" "$dir/ef.pred.csv" "$f" <<'PY' || fail "JSON output"
import json, sys, csv
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert o["file"] == sys.argv[3], o
p = o["probabilities"]
assert list(p) == ["angry", "happy", "sad", "neutral"], p
assert abs(sum(p.values()) - 1) < 1e-5
assert o["label"] == max(p, key=p.get)
row = [r for r in csv.DictReader(open(sys.argv[2])) if r["id"] == "sad_3"][0]
for k in p:
    assert abs(p[k] - float(row["p_" + k])) <= 2e-5, (k, p[k], row)
PY
printf 'audio,transcript\nsad_3.wav,"%s"\nwav/angry_0.wav,"you did this again I hate it number 0"\n' "$t" > "$dir/tr.csv"
"$bin" classify --model "$dir/ef.model" --transcripts "$dir/tr.csv" "$f" "$dir/c/wav/angry_0.wav" > "$dir/table" 2> "$dir/err" ||
  fail "classify --transcripts: $(cat "$dir/err")"
[[ $(wc -l < "$dir/table") -eq 3 ]] || fail "table: $(cat "$dir/table")"
head -1 "$dir/table" | grep -Eq '^file +label +angry +happy +sad +neutral$' || fail "table header: $(head -1 "$dir/table")"
# aligned: every line as long as the header
awk 'NR == 1 { L = length($0) } length($0) != L { bad = 1 } END { exit bad }' "$dir/table" || fail "table not aligned"
# a text model needs no audio
"$bin" classify --model "$dir/text.model" --transcript "$t" --csv > "$dir/t.csv" 2> "$dir/err" || fail "text only: $(cat "$dir/err")"
[[ $(wc -l < "$dir/t.csv") -eq 2 ]] || fail "text-only csv: $(cat "$dir/t.csv")"

# Errors: fusion model without a transcript; undecodable audio; another BERT folder.
"$bin" classify --model "$dir/ef.model" "$f" > "$dir/o" 2> "$dir/e1" && fail "ef without transcript accepted"
grep -q "^error: .*needs a transcript" "$dir/e1" || fail "no-transcript message: $(cat "$dir/e1")"
[[ -s "$dir/o" ]] && fail "stdout written on failure"
printf 'not audio' > "$dir/bad.wav"
"$bin" classify --model "$dir/audio.model" "$dir/bad.wav" "$f" > "$dir/o" 2> "$dir/e2" && fail "bad audio accepted"
grep -q "^error: .*bad.wav" "$dir/e2" || fail "bad audio message: $(cat "$dir/e2")"
[[ -s "$dir/o" ]] && fail "stdout written after a failed file"
printf 'id,transcript\nx,other words entirely\n' > "$dir/m2.csv"
"$bin" models random-bert --texts "$dir/m2.csv" --out "$dir/bert2" --layers 2 --hidden 32 --heads 4 \
  --intermediate 64 --max-positions 64 > /dev/null 2>&1 || fail "random-bert 2"
"$bin" classify --model "$dir/text.model" --bert "$dir/bert2" --transcript "$t" > "$dir/o" 2> "$dir/e3" &&
  fail "another BERT folder accepted"
grep -q "^error: .*bert2: 2 layers and 8 word-pieces, but .*text.model was trained on features of .*bert (2 layers, 34" \
  "$dir/e3" || fail "BERT size mismatch message: $(cat "$dir/e3")"
# Same sizes, another vocabulary: the recorded hash tells them apart.
cp -r "$dir/bert" "$dir/bert3"
sed -i 's/^number$/numbers/' "$dir/bert3/vocab.txt"
cmp -s "$dir/bert/vocab.txt" "$dir/bert3/vocab.txt" && fail "vocab not changed"
"$bin" classify --model "$dir/text.model" --bert "$dir/bert3" --transcript "$t" > "$dir/o" 2> "$dir/e3" &&
  fail "another vocabulary accepted"
grep -q "^error: .*bert3: not the BERT model .*text.model was trained with (vocab.txt differs" "$dir/e3" ||
  fail "BERT hash mismatch message: $(cat "$dir/e3")"
# The same folder under another path is fine.
cp -r "$dir/bert" "$dir/bert4"
"$bin" classify --model "$dir/text.model" --bert "$dir/bert4" --transcript "$t" --csv > "$dir/t4.csv" 2> "$dir/err" ||
  fail "copied BERT folder: $(cat "$dir/err")"
cmp -s "$dir/t.csv" "$dir/t4.csv" || fail "copied BERT folder gives other numbers"
# The model records where its features came from.
/usr/bin/python3 - "$dir/ef.model" <<'PY' || fail "provenance metadata"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
meta = json.loads(b[8:8 + n])["__metadata__"]
a = json.loads(meta["emofuse.audio_features"]); t = json.loads(meta["emofuse.text_features"])
assert a["extractor"] == "emofuse-lld-1" and a["frame_step"] == 0.01, a
assert t["extractor"] == "emofuse-bert-1" and len(t["config_fnv"]) == 16 and len(t["vocab_fnv"]) == 16, t
PY
echo "ok"
