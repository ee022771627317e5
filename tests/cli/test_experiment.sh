#!/usr/bin/env bash
# End to end: `emofuse experiment` on the demo corpus (IEMOCAP layout): audio and a fusion
# system over speaker-script folds, 2 seeds. Checks the OUT layout, that Table 1 is what
# an independent recomputation from the score files gives (tests/reference/
# table1_check.py: scikit-learn when installed, else a stdlib re-implementation), that a
# run killed with SIGKILL resumes to byte-identical tables, that 2 shards merged equal the
# unsharded run, that -j 1 and -j 2 agree, and that changed settings never reuse runs.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need espeak-ng

demo_manifest
cd "$dir" || fail "cd $dir"
common=(--set manifest=m.csv --set systems=audio --set protocol=speaker-script --set seeds=2 --set epochs.audio=3)

"$bin" experiment "${common[@]}" -o full -j 2 2> err || fail "experiment: $(cat err)"
for f in experiment.json manifest.csv folds/speaker-script.csv features/audio.safetensors table1.md table1.csv \
  scores/audio/seed1.csv scores/audio/seed2.csv; do
  [[ -s full/$f ]] || fail "missing OUT/$f"
done
grep -q "runs; 0 finished earlier, 10 to train" err || fail "run count: $(cat err)"
grep -qE "^\[10/10\] audio seed [12] fold [1-5]: 3 epochs" err || fail "per-run lines: $(cat err)"
head -1 full/scores/audio/seed1.csv | grep -qx "id,fold,label,p_angry,p_happy,p_sad,p_neutral" || fail "scores header"
# Every eligible utterance once per seed (speaker-script tests improvised + script 3).
want=$(awk -F, '$3 == "test"' full/folds/speaker-script.csv | wc -l)
[[ $(($(wc -l < full/scores/audio/seed1.csv) - 1)) -eq $want ]] || fail "merged scores rows"
python3 "$src/tests/reference/table1_check.py" full > out || fail "table1 recomputation: $(cat out)"

# Resume: the same command trains nothing and writes identical tables.
cp full/table1.csv table1.first
"$bin" experiment "${common[@]}" -o full 2> err || fail "rerun"
grep -q "10 finished earlier, 0 to train" err || fail "rerun retrained: $(cat err)"
cmp -s full/table1.csv table1.first || fail "rerun changed the table"

# kill -9 in the middle, then resume: identical tables.
"$bin" experiment "${common[@]}" -o killed -j 1 2> kerr &
pid=$!
for _ in $(seq 1 300); do
  [[ $(find killed/runs -name '*.csv' 2>/dev/null | wc -l) -ge 3 ]] && break
  sleep 0.1
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
done_before=$(find killed/runs -name '*.csv' | wc -l)
[[ $done_before -ge 1 && $done_before -lt 10 ]] || fail "kill -9 came too early or late ($done_before runs)"
"$bin" experiment "${common[@]}" -o killed -j 1 2> err || fail "resume after kill: $(cat err)"
grep -q "$done_before finished earlier" err || fail "resume did not reuse the finished runs: $(cat err)"
cmp -s killed/table1.csv full/table1.csv || fail "resumed table differs from the uninterrupted run"
cmp -s killed/scores/audio/seed2.csv full/scores/audio/seed2.csv || fail "resumed scores differ"

# Shards: 1/2 and 2/2 into one OUT, then report = the unsharded tables.
"$bin" experiment "${common[@]}" -o sharded --shard 1/2 -q || fail "shard 1"
"$bin" report sharded > /dev/null 2>&1; [[ $? -eq 3 ]] || fail "report after one shard should say incomplete (3)"
# (shard 2 trains each run on 3 threads: the numbers must not depend on it)
"$bin" experiment "${common[@]}" -o sharded --shard 2/2 -q -j 1 --threads-per-run 3 || fail "shard 2"
"$bin" report sharded 2> err || fail "report: $(cat err)"
cmp -s sharded/table1.csv full/table1.csv || fail "merged shards differ from the unsharded run"

# Changed settings: a new key, so nothing is reused and old runs never count.
"$bin" experiment "${common[@]}" --set epochs.audio=4 -o full -q || fail "changed epochs"
grep -q "^audio,2," full/table1.csv || fail "table after the change"
cmp -s full/table1.csv table1.first && fail "changed epochs reused old runs"
[[ $(find full/runs -name '*.csv' | wc -l) -eq 20 ]] || fail "old and new runs should both be on disk"

# Epoch selection: the paper's (on the test folds, reported as optimistic) and the
# honest inner split; both recomputed independently.
"$bin" experiment "${common[@]}" --set seeds=2 --set select_epochs=test --set epoch_candidates=1,3 -o sel -q \
  || fail "select_epochs=test"
[[ $(grep -c "^audio," sel/epochs.csv) -eq 2 && $(grep -c ",1$" sel/epochs.csv) -eq 1 ]] || fail "epochs.csv: $(cat sel/epochs.csv)"
grep -q "optimistic" sel/table1.md || fail "table1.md does not say the selection is optimistic"
python3 "$src/tests/reference/table1_check.py" sel > out || fail "selection recomputation: $(cat out)"
"$bin" experiment "${common[@]}" --set seeds=1 --set select_epochs=inner --set epoch_candidates=1,2 -o inner -q \
  || fail "select_epochs=inner"
[[ $(find inner/runs -name '*.epochs.csv' | wc -l) -eq 5 ]] || fail "inner: per-run epoch records"
grep -q "inner validation split" inner/table1.md || fail "inner note"
python3 "$src/tests/reference/table1_check.py" inner > out || fail "inner recomputation: $(cat out)"

# Real speech when ../shared is here: RAVDESS with a label map (calm is not neutral unless
# mapped; here it is left out), 6 speaker folds of 4 actors, recomputed independently.
rav=${EMOFUSE_SHARED:-/nonexistent}/data/ravdess/manifest.csv
if [[ -f $rav ]]; then
  printf 'neutral=neutral\nangry=angry\nhappy=happy\nsad=sad\n' > rav-map.txt
  "$bin" experiment --set manifest="$rav" --set label_map=rav-map.txt --set systems=audio --set protocol=speaker \
    --set k=6 --set seeds=2 --set epochs.audio=2 -o rav -q || fail "ravdess experiment"
  [[ $(cut -d, -f1 rav/folds/speaker.csv | sed 1d | sort -u | wc -l) -eq 6 ]] || fail "ravdess: 6 folds"
  awk -F, 'NR > 1 && $3 == "test" { n[$1]++ } END { for (f in n) if (n[f] != 112) exit 1 }' rav/folds/speaker.csv \
    || fail "ravdess: every fold tests 4 actors x 28 utterances"
  python3 "$src/tests/reference/table1_check.py" rav > out || fail "ravdess recomputation: $(cat out)"
else
  echo "note: ../shared/data/ravdess absent: the RAVDESS experiment is skipped"
fi

# Settings errors are usage errors; print-preset is valid JSON with the paper's systems.
"$bin" experiment --set manifest=m.csv --set systems=nosuch -o x > /dev/null 2> err; [[ $? -eq 2 ]] || fail "bad system"
grep -q "unknown system 'nosuch'" err || fail "bad system message: $(cat err)"
"$bin" experiment --set nosuch=1 -o x > /dev/null 2> err; [[ $? -eq 2 ]] || fail "unknown key"
"$bin" experiment --print-preset pepino2020 > preset.json || fail "print-preset"
python3 -c 'import json,sys; d=json.load(open("preset.json")); assert d["seeds"] == 10 and "ef-pt" in d["systems"] and d["protocol"] == ["speaker-script"]' || fail "preset content"
echo ok
