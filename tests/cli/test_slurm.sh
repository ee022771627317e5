#!/usr/bin/env bash
# End to end on a real (throwaway, single-node) Slurm cluster, tests/util/slurm_cluster.sh:
#  1. a sanity array of 3 trivial tasks all run, and slurm_wait_job notices a failed job;
#  2. scripts/slurm/experiment-array.sh, with a stub emofuse found through the checkout it
#     sits in, hands each task `experiment EXP -o OUT --shard i/3 -j CPUS EXTRA...`, prints
#     its end line, and refuses an array that is not 1-N;
#  3. when `emofuse experiment` exists: a tiny experiment (demo corpus, audio system, speaker
#     folds, 2 seeds, 2 epochs) run as a 3-task array over one shared OUT, merged by
#     `emofuse report OUT`, gives a table1.csv byte-identical to the unsharded run's.
# Skipped (77) when Slurm is not installed; the daemons are stopped on every exit path.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
# Jobs run in other directories: make the binary's path absolute, and pass it on to them.
[[ $bin == /* ]] || bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
export EMOFUSE_BIN=$bin

# shellcheck source=../util/slurm_cluster.sh
source "$src/tests/util/slurm_cluster.sh"
# This trap replaces the prelude's: it removes "$dir" too.
cleanup() { slurm_stop; rm -rf "$dir"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

t0=$SECONDS
slurm_start
rc=$?
((rc == 0)) || exit $rc    # 77: Slurm not installed (SKIP line printed)
t_up=$((SECONDS - t0))
mkdir -p "$dir/logs"

# --- 1. sanity array: 3 tasks, each writes a file ---------------------------------------
mkdir -p "$dir/sanity"
cat > "$dir/sanity.sh" <<'EOF'
#!/usr/bin/env bash
echo "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" > "$1/task.$SLURM_ARRAY_TASK_ID"
EOF
id=$(sbatch --parsable --array=1-3 -o "$dir/logs/sanity-%A_%a.log" "$dir/sanity.sh" "$dir/sanity" 2>&1) ||
  fail "sbatch sanity array: $id"
slurm_wait_job "$id" 120 || fail "sanity array $id"
[[ $SLURM_JOB_SUMMARY == "3 0" ]] || fail "sanity array: tasks (total, not completed): $SLURM_JOB_SUMMARY"
for i in 1 2 3; do
  [[ $(cat "$dir/sanity/task.$i" 2>/dev/null) == "$i/3" ]] || fail "sanity task $i did not run"
done
id=$(sbatch --parsable -o "$dir/logs/false-%j.log" --wrap 'exit 3' 2>&1) || fail "sbatch: $id"
slurm_wait_job "$id" 60 2> "$dir/err" && fail "slurm_wait_job missed a failed job"
grep -q "FAILED, exit code 3:0" "$dir/err" || fail "slurm_wait_job: $(cat "$dir/err")"
t_sanity=$((SECONDS - t0 - t_up))

# --- 2. the array script, with a stub emofuse in a copy of the checkout ------------------
# (no EMOFUSE_BIN: the script must find build/emofuse next to its own scripts/ although
# sbatch runs it from slurmd's spool directory)
co=$dir/checkout
mkdir -p "$co/scripts/slurm" "$co/build" "$dir/stub/out"
cp "$src/scripts/slurm/experiment-array.sh" "$co/scripts/slurm/"
cat > "$co/build/emofuse" <<'EOF'
#!/usr/bin/env bash
# argv: experiment EXP -o OUT --shard I/N -j CPUS ...
echo "$*" > "$4/args.${6%/*}"
EOF
chmod +x "$co/build/emofuse"
echo '{}' > "$dir/stub/exp.json"
cpt=2
((${SLURM_TEST_CPUS:-1} < 2)) && cpt=1
id=$(cd "$dir/stub" && env -u EMOFUSE_BIN sbatch --parsable --array=1-3 -c $cpt -o "$dir/logs/stub-%A_%a.log" \
  "$co/scripts/slurm/experiment-array.sh" exp.json out --foo "two words" 2>&1) || fail "sbatch stub array: $id"
slurm_wait_job "$id" 120 || fail "stub array $id"
for i in 1 2 3; do
  want="experiment exp.json -o out --shard $i/3 -j $cpt --foo two words"
  [[ $(cat "$dir/stub/out/args.$i" 2>/dev/null) == "$want" ]] ||
    fail "task $i: got '$(cat "$dir/stub/out/args.$i" 2>&1)', want '$want'"
  grep -q "^emofuse-array: shard $i/3 done in" "$dir/logs/stub-${id}_$i.log" ||
    fail "task $i: no end line: $(cat "$dir/logs/stub-${id}_$i.log")"
done
# Rerunning one shard alone: EMOFUSE_SHARDS says how many there are.
rm -f "$dir/stub/out/args.2"
id=$(cd "$dir/stub" && env -u EMOFUSE_BIN EMOFUSE_SHARDS=3 sbatch --parsable --array=2 -c 1 -o "$dir/logs/rerun-%A_%a.log" \
  "$co/scripts/slurm/experiment-array.sh" exp.json out 2>&1) || fail "sbatch rerun: $id"
slurm_wait_job "$id" 60 || fail "rerun of shard 2 ($id)"
[[ $(cat "$dir/stub/out/args.2" 2>/dev/null) == "experiment exp.json -o out --shard 2/3 -j 1" ]] ||
  fail "rerun of shard 2: got '$(cat "$dir/stub/out/args.2" 2>&1)'"
# --array=0-1 would run shards 0/2 and 1/2 (one missing): each task refuses.
id=$(cd "$dir/stub" && env -u EMOFUSE_BIN sbatch --parsable --array=0-1 -c 1 -o "$dir/logs/bad-%A_%a.log" \
  "$co/scripts/slurm/experiment-array.sh" exp.json out 2>&1) || fail "sbatch: $id"
slurm_wait_job "$id" 60 2> /dev/null && fail "--array=0-1 was accepted"
grep -q "submit with --array=1-N" "$dir/logs/bad-${id}_0.log" || fail "--array=0-1: $(cat "$dir/logs/bad-${id}_0.log")"
t_stub=$((SECONDS - t0 - t_up - t_sanity))

# --- 3. the real experiment, sharded over the cluster -----------------------------------
if ! "$bin" experiment --help > "$dir/exp-help" 2>&1; then
  echo "note: emofuse experiment not built yet: only the Slurm sanity array ran"
  echo "ok (cluster up in ${t_up}s, sanity ${t_sanity}s, array script ${t_stub}s, total $((SECONDS - t0))s)"
  exit 0
fi
if ! command -v espeak-ng > /dev/null || ! command -v sox > /dev/null; then
  echo "note: espeak-ng/sox not installed (demo corpus): the sharded experiment did not run"
  echo "ok (sanity only, total $((SECONDS - t0))s)"
  exit 0
fi
"$src/scripts/make-demo-corpus.sh" "$dir/demo" > /dev/null 2> "$dir/err" || fail "make-demo-corpus: $(cat "$dir/err")"
"$bin" corpus iemocap "$dir/demo" -o "$dir/manifest.csv" 2> "$dir/err" || fail "corpus: $(cat "$dir/err")"
sets=(--set "manifest=$dir/manifest.csv" --set systems=audio --set protocol=speaker
      --set seeds=2 --set epochs.audio=2)
t1=$SECONDS
"$bin" experiment "${sets[@]}" -o "$dir/ref" > "$dir/ref.log" 2>&1 || fail "unsharded experiment: $(tail -n 20 "$dir/ref.log")"
if [[ ! -f $dir/ref/table1.csv ]]; then
  "$bin" report "$dir/ref" > "$dir/report-ref.log" 2>&1 || fail "report (unsharded): $(cat "$dir/report-ref.log")"
fi
[[ -s $dir/ref/table1.csv ]] || fail "unsharded run wrote no table1.csv"
t_ref=$((SECONDS - t1))

if grep -q -- '--print-config' "$dir/exp-help"; then
  "$bin" experiment "${sets[@]}" --print-config > "$dir/exp.json" 2> "$dir/err" || fail "--print-config: $(cat "$dir/err")"
else
  python3 - "$dir/manifest.csv" > "$dir/exp.json" <<'PY' || fail "writing exp.json"
import json, sys
print(json.dumps({"manifest": sys.argv[1], "systems": ["audio"], "protocol": ["speaker"],
                  "seeds": 2, "epochs": {"audio": 2}}, indent=2))
PY
fi

t1=$SECONDS
# -c 1: the 3 shards run side by side (on a node with 2+ CPUs), writing into one OUT.
id=$(sbatch --parsable --array=1-3 -c 1 --chdir="$dir" -o "$dir/logs/exp-%A_%a.log" \
  "$src/scripts/slurm/experiment-array.sh" "$dir/exp.json" "$dir/out" 2>&1) || fail "sbatch experiment array: $id"
slurm_wait_job "$id" 700 || fail "experiment array $id"
[[ $SLURM_JOB_SUMMARY == "3 0" ]] || fail "experiment array: tasks (total, not completed): $SLURM_JOB_SUMMARY"
t_array=$((SECONDS - t1))
"$bin" report "$dir/out" > "$dir/report.log" 2>&1 || fail "report: $(cat "$dir/report.log")"
[[ -f $dir/out/table1.md ]] || fail "report wrote no table1.md"
cmp "$dir/ref/table1.csv" "$dir/out/table1.csv" ||
  fail "sharded table1.csv differs from the unsharded one:
$(diff "$dir/ref/table1.csv" "$dir/out/table1.csv" | head -n 20)"
echo "ok (cluster up in ${t_up}s, sanity ${t_sanity}s, unsharded ${t_ref}s, 3-task array ${t_array}s, total $((SECONDS - t0))s)"
