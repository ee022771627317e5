#!/usr/bin/env bash
# Crash safety, scripted (issue 11): kill -9 at random moments of feature extraction,
# training and an experiment, then rerun the same command to completion; every rerun must
# give outputs byte-identical to an uninterrupted run, and a killed run must never leave
# a partial file under an output's final name.
#   tests/crash/kill9_trials.sh [TRIALS]    (default 20 per command; the test suite runs 3)
# EMOFUSE_BIN: the CLI (default build/emofuse); KINDS: a subset of "features train
# experiment". Prints one line per command with the
# trials run, how many kills landed before/after completion, and the failures (exit 1).
set -uo pipefail
bin=${EMOFUSE_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/emofuse}
trials=${1:-20}
command -v sox > /dev/null || { echo "SKIP: sox missing"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$dir"

# 4 classes x 6 tones of 1-2 s: long enough that a kill lands inside each stage.
echo "id,audio,emotion" > m.csv
emos=(angry happy sad neutral)
for k in 0 1 2 3; do
  for i in 0 1 2 3 4 5; do
    id="${emos[k]}_$i"
    sox -n -r 16000 -c 1 -b 16 "$id.wav" synth 1.$((i * 2)) sine $((150 + k * 90 + i * 5)) vol 0.$((3 + k)) 2> /dev/null
    echo "$id,$id.wav,${emos[k]}" >> m.csv
  done
done
tail -n +2 m.csv | cut -d, -f1 > ids.txt

# Each command execs the CLI, so that the pid of `cmd &` is emofuse itself (kill -9 must
# hit it, not a subshell); called in the foreground inside ( ).
features() { exec "$bin" features audio -m m.csv -o "$1" -t 2 -q; }
train() { exec "$bin" train --system audio --manifest m.csv --train-ids ids.txt --audio-store ref.st --out "$1" \
  --epochs 8 --batch-size 4 --threads 1 --seed 7; }
experiment() { exec "$bin" experiment --set manifest=m.csv --set systems=audio --set protocol=random --set k=3 \
  --set seeds=1 --set epochs.audio=3 -o "$1" -j 1 -q; }

# The uninterrupted references, and how long each takes (the kill window).
now_ms() { date +%s%3N; }
t0=$(now_ms); (features ref.st) 2> /dev/null || fail "reference features"; t_feat=$(($(now_ms) - t0))
t0=$(now_ms); (train ref_model.st) 2> /dev/null || fail "reference train"; t_train=$(($(now_ms) - t0))
t0=$(now_ms); (experiment ref_exp) 2> /dev/null || fail "reference experiment"; t_exp=$(($(now_ms) - t0))
(train ref_model2.st) 2> /dev/null && cmp -s ref_model.st ref_model2.st || fail "training is not deterministic"

# trial KIND OUT WINDOW_MS: start, kill -9 after a random delay, check, rerun, compare.
killed_early=0 finished=0 failures=0
trial() {
  local kind=$1 out=$2 window=$3
  rm -rf "$out" "$out".parts "$out".lock "$out".tmp.*
  # uniform in [0, 0.8 x the uninterrupted duration]: most kills land mid-run even when
  # the machine is busier than during the reference run
  local delay_ms=$(( (RANDOM * 32768 + RANDOM) % (window * 8 / 10 + 1) ))
  "$kind" "$out" > /dev/null 2>&1 &
  local pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  if kill -9 "$pid" 2> /dev/null; then killed_early=$((killed_early + 1)); else finished=$((finished + 1)); fi
  wait "$pid" 2> /dev/null
  # a file under the final name is complete: the reference itself, or absent
  case $kind in
    features) [[ ! -e $out ]] || cmp -s "$out" ref.st || { echo "  $kind: partial store after kill at $delay_ms ms"; return 1; } ;;
    train) [[ ! -e $out ]] || cmp -s "$out" ref_model.st || { echo "  $kind: partial model after kill at $delay_ms ms"; return 1; } ;;
  esac
  ("$kind" "$out") > /dev/null 2> err || { echo "  $kind: rerun after kill at $delay_ms ms failed: $(tail -1 err)"; return 1; }
  case $kind in
    features) cmp -s "$out" ref.st || { echo "  $kind: rerun differs (kill at $delay_ms ms)"; return 1; } ;;
    train) cmp -s "$out" ref_model.st || { echo "  $kind: rerun differs (kill at $delay_ms ms)"; return 1; } ;;
    experiment)
      for f in table1.csv scores/audio/seed1.csv folds/random.csv features/audio.safetensors; do
        cmp -s "$out/$f" "ref_exp/$f" || { echo "  $kind: $f differs after kill at $delay_ms ms"; return 1; }
      done ;;
  esac
  return 0
}

total_fail=0
for spec in "features:$t_feat" "train:$t_train" "experiment:$t_exp"; do
  kind=${spec%%:*} window=${spec#*:}
  [[ " ${KINDS:-features train experiment} " == *" $kind "* ]] || continue
  killed_early=0 finished=0 failures=0
  for _ in $(seq 1 "$trials"); do trial "$kind" "out_$kind" "$window" || failures=$((failures + 1)); done
  echo "$kind: $trials trials (uninterrupted run ${window} ms): $killed_early killed mid-run, $finished finished before the kill, $failures failed"
  total_fail=$((total_fail + failures))
done
[[ $total_fail -eq 0 ]] || fail "$total_fail trials failed"
echo "ok: every rerun after kill -9 gave outputs identical to the uninterrupted run"
