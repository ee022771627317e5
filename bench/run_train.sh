#!/usr/bin/env bash
# Seconds per training epoch of every system (text, audio, ef, lf) on the IEMOCAP-sized
# synthetic feature set: emofuse (bench_train, ragged batches) versus the PyTorch
# reference of the same model (bench/train_torch.py, padded + masked batches like the
# paper's Keras code), with 1 thread and with all threads, plus peak memory of each run.
# usage: bench/run_train.sh [build-dir] [utts (5531)] [epochs (1)] [batch (32)] [systems]
set -euo pipefail
build=${1:-build}
utts=${2:-5531}
epochs=${3:-1}
batch=${4:-32}
systems=${5:-"text audio ef lf"}
here=$(dirname "$0")
all=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
peak() { sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$1" | awk '{ printf "%.0f MB", $1 / 1024 }'; }
secs() { sed -n 's/.* \([0-9.]*\) s\/epoch.*/\1/p'; }
printf "%-6s %-7s %12s %12s %8s %10s %10s\n" system threads emofuse_s pytorch_s ratio emofuse_mem pytorch_mem
for s in $systems; do
  for t in 1 "$all"; do
    c=$(OPENBLAS_NUM_THREADS=$t /usr/bin/time -v "$build/bench/bench_train" "$s" "$utts" "$epochs" "$batch" 2>"$tmp/c.err" | secs)
    p=$(OMP_NUM_THREADS=$t /usr/bin/time -v /usr/bin/python3 "$here/train_torch.py" "$s" "$utts" "$epochs" "$batch" "$t" 2>"$tmp/p.err" | secs)
    printf "%-6s %-7s %12s %12s %7.2fx %10s %10s\n" "$s" "$t" "$c" "$p" "$(awk -v c="$c" -v p="$p" 'BEGIN { print p / c }')" \
      "$(peak "$tmp/c.err")" "$(peak "$tmp/p.err")"
  done
done
