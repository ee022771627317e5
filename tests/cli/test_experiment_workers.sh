#!/usr/bin/env bash
# An experiment's parallel workers: audio, BERT (random encoder) and fusion systems whose
# pre-trained and warm-started runs load branch models that other workers trained, run
# with 2 workers x 2 training threads, then with 1 x 1 into another OUT: every score file
# and table must be byte-identical. Small enough to run under ThreadSanitizer in CI
# (scripts/test.sh), which is where it earns its keep: a worker touching shared state
# without a lock shows up there as a reported race even when the bytes happen to agree.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need espeak-ng

demo_manifest
cd "$dir" || fail "cd $dir"
args=(--set manifest=m.csv --set systems=audio,bert,ef-pt,lf-ws --set bert=random --set protocol=speaker-script
  --set seeds=1 --set epochs.audio=1 --set epochs.bert=1 --set epochs.ef-pt=1 --set epochs.lf-ws=1)
"$bin" experiment "${args[@]}" -o par -j 2 --threads-per-run 2 2> err || fail "experiment -j 2: $(tail -3 err)"
grep -q "runs; 0 finished earlier, 20 to train" err || fail "run count: $(grep runs err)"
"$bin" experiment "${args[@]}" -o ser -j 1 --threads-per-run 1 -q || fail "experiment -j 1"
for f in table1.csv scores/audio/seed1.csv scores/bert/seed1.csv scores/ef-pt/seed1.csv scores/lf-ws/seed1.csv; do
  [[ -s par/$f ]] || fail "missing par/$f"
  cmp -s "par/$f" "ser/$f" || fail "$f differs between 2 workers x 2 threads and 1 x 1"
done
echo ok
