#!/usr/bin/env bash
# End to end: `emofuse corpus` on fixture trees in the IEMOCAP and MSP-PODCAST layouts
# (with their pitfalls) made by tests/reference/corpus_fixtures.py, which also writes the
# manifests the readers must produce from its own plan. Then the bad-input trees (one
# defect each: clear error naming file:line, exit 1, no manifest), label maps, and a
# user manifest (RAVDESS when ../shared is present).
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }

python3 "$src/tests/reference/corpus_fixtures.py" "$dir/fx" > /dev/null || fail "fixture generator"
cd "$dir/fx"

# --- IEMOCAP: nested twice, AppleDouble files, annotator lines, tags, speaker pitfall.
"$bin" corpus iemocap iemocap -o iemocap.csv 2> err || fail "iemocap: $(cat err)"
cmp iemocap.csv iemocap.expected.csv || fail "iemocap manifest differs: $(diff iemocap.csv iemocap.expected.csv | head)"
# Class counts and dropped labels on stderr, as the reference counted them.
while read -r a b c; do
  if [[ $a == dropped ]]; then grep -qE "dropped:.*\b$b $c\b" err || fail "stderr lacks dropped $b $c: $(cat err)"
  else grep -qE "utterances \(.*\b$a $b\b" err || fail "stderr lacks $a $b: $(cat err)"; fi
done < iemocap.expected.counts
"$bin" corpus iemocap iemocap --all-labels -o iemocap.all.csv 2> err || fail "iemocap --all-labels: $(cat err)"
cmp iemocap.all.csv iemocap.all.expected.csv || fail "iemocap --all-labels differs"
# A label map replaces the default: only neu and sad kept, as calm/low.
printf '# two classes\nneu=calm\nsad = low\n' > map.txt
"$bin" corpus iemocap iemocap --label-map map.txt -o mapped.csv 2> err || fail "label map: $(cat err)"
want=$(awk -F, 'NR > 1 && ($4 == "neu" || $4 == "sad")' iemocap.all.expected.csv | wc -l)
[[ $(($(wc -l < mapped.csv) - 1)) -eq $want ]] || fail "label map kept $(($(wc -l < mapped.csv) - 1)) rows, want $want"
grep -q ",low," mapped.csv && grep -q ",calm," mapped.csv || fail "mapped classes missing"
grep -qE ",(angry|happy|neutral|sad)," mapped.csv && fail "default classes leaked through a label map"
# Manifest written elsewhere: audio paths become absolute (and exist).
mkdir -p elsewhere && (cd elsewhere && "$bin" corpus iemocap ../iemocap -o m.csv 2>/dev/null) || fail "elsewhere"
a=$(sed -n 2p elsewhere/m.csv | cut -d, -f2)
[[ $a == /* && -f $a ]] || fail "audio path outside the manifest's folder should be absolute: $a"

# --- MSP-PODCAST v2 and v1.x (labels_concensus.csv, Validation).
for v in msp msp1; do
  "$bin" corpus msp-podcast $v -o $v.csv 2> err || fail "$v: $(cat err)"
  cmp $v.csv $v.expected.csv || fail "$v manifest differs: $(diff $v.csv $v.expected.csv | head)"
done
grep -q "no transcript" err || fail "missing transcripts not counted"
"$bin" corpus msp-podcast msp --all-labels -o msp.all.csv 2>/dev/null || fail "msp --all-labels"
cmp msp.all.csv msp.all.expected.csv || fail "msp --all-labels differs"

# --- Bad input: one line naming the file (and line), exit 1, no manifest written.
for case_dir in bad/*/; do
  name=$(basename "$case_dir")
  kind=iemocap
  [[ $name == msp-* ]] && kind=msp-podcast
  "$bin" corpus $kind "$case_dir" -o "bad-$name.csv" > out 2> err
  rc=$?
  [[ $rc -eq 1 ]] || fail "$name: exit $rc, want 1"
  [[ $(wc -l < err) -eq 1 ]] || fail "$name: not one line: $(cat err)"
  grep -q "^error: " err || fail "$name: no error line"
  grep -qF -f "bad/$name.expect" err || fail "$name: '$(cat "bad/$name.expect")' not in: $(cat err)"
  ls bad-$name.csv* > /dev/null 2>&1 && fail "$name: output left behind"
  [[ -s out ]] && fail "$name: printed on stdout"
done
# An existing manifest is not replaced by a failed read.
echo keep > keep.csv
"$bin" corpus iemocap bad/iemocap-dup -o keep.csv 2>/dev/null && fail "dup accepted"
[[ $(cat keep.csv) == keep ]] || fail "failed read replaced an existing manifest"

# --- Label-map errors name file:line; usage errors exit 2.
printf 'neu=neutral\nbroken line\n' > badmap.txt
"$bin" corpus iemocap iemocap --label-map badmap.txt -o x.csv 2> err && fail "bad map accepted"
grep -q "badmap.txt:2: 'broken line' is not raw=class" err || fail "bad map message: $(cat err)"
printf 'a=x\na=y\n' > twice.txt
"$bin" corpus iemocap iemocap --label-map twice.txt -o x.csv 2> err && fail "conflicting map accepted"
grep -q "twice.txt:2: 'a' mapped to both 'x' and 'y'" err || fail "conflict message: $(cat err)"
"$bin" corpus iemocap iemocap > /dev/null 2>&1; [[ $? -eq 2 ]] || fail "missing -o is not a usage error"
"$bin" corpus nosuch iemocap -o x.csv > /dev/null 2>&1; [[ $? -eq 2 ]] || fail "unknown corpus is not a usage error"
[[ $("$bin" corpus --help) == *"5531 utterances"* ]] || fail "help lacks the expected counts"

# --- A user manifest with a label map: the worked RAVDESS example when ../shared is here,
# else a manifest made from the IEMOCAP fixture's raw labels.
printf 'calm=neutral\nneutral=neutral\nangry=angry\nhappy=happy\nsad=sad\n' > ravdess-map.txt
rav=${EMOFUSE_SHARED:-/nonexistent}/data/ravdess/manifest.csv
if [[ -f $rav ]]; then
  "$bin" corpus manifest "$rav" --label-map ravdess-map.txt -o rav.csv 2> err || fail "ravdess: $(cat err)"
  # 4 classes = 672 utterances, calm (192) added to neutral (96) by the map.
  [[ $(($(wc -l < rav.csv) - 1)) -eq 864 ]] || fail "ravdess rows: $(($(wc -l < rav.csv) - 1))"
  grep -q "neutral 288" err || fail "ravdess counts: $(cat err)"
  grep -qE "dropped:.*disgust 192.*fearful 192.*surprised 192" err || fail "ravdess dropped: $(cat err)"
  "$bin" corpus manifest "$rav" -o rav4.csv 2> err || fail "ravdess default"
  [[ $(($(wc -l < rav4.csv) - 1)) -eq 672 ]] || fail "ravdess default rows: $(($(wc -l < rav4.csv) - 1))"
  head -1 rav4.csv | grep -q "^id,audio,speaker,gender,emotion,intensity,statement,transcript$" || fail "columns"
  f=$(sed -n 2p rav4.csv | cut -d, -f2); [[ -f $f ]] || fail "ravdess audio path $f"
else
  echo "note: ../shared/data/ravdess absent: RAVDESS manifest example skipped"
fi
cp iemocap.all.expected.csv user.csv
"$bin" corpus manifest user.csv --label-map map.txt -o user-mapped.csv 2> err || fail "user manifest: $(cat err)"
[[ $(($(wc -l < user-mapped.csv) - 1)) -eq $want ]] || fail "user manifest rows"
# A user manifest row whose audio is missing names the file and line.
awk -F, -v OFS=, 'NR == 3 { $2 = "nope.wav" } 1' iemocap.all.expected.csv > noaudio.csv
"$bin" corpus manifest noaudio.csv --all-labels -o x.csv 2> err && fail "missing audio accepted"
grep -q "noaudio.csv:3: no audio" err || fail "missing audio message: $(cat err)"
echo ok
