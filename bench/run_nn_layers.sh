#!/usr/bin/env bash
# Side-by-side training-step benchmark of the audio branch: emofuse layers (ragged batch)
# versus PyTorch (padded + masked), same shapes, same thread count, with peak memory.
# usage: bench/run_nn_layers.sh [build-dir] [B] [F] [K] [steps] [threads]
set -euo pipefail
build=${1:-build}
B=${2:-32}
F=${3:-128}
K=${4:-3}
steps=${5:-20}
threads=${6:-1}
here=$(dirname "$0")
c_out=$(OPENBLAS_NUM_THREADS=$threads /usr/bin/time -v "$build/bench/bench_nn_layers" "$B" "$F" "$K" "$steps" 2>"${TMPDIR:-/tmp}/bench_nn_c.err")
echo "$c_out"
grep "Maximum resident" "${TMPDIR:-/tmp}/bench_nn_c.err" | sed 's/^\s*/emofuse  /'
t_out=$(OMP_NUM_THREADS=$threads /usr/bin/time -v /usr/bin/python3 "$here/bench_nn_layers_torch.py" "$B" "$F" "$K" "$steps" "$threads" 2>"${TMPDIR:-/tmp}/bench_nn_t.err")
echo "$t_out"
grep "Maximum resident" "${TMPDIR:-/tmp}/bench_nn_t.err" | sed 's/^\s*/pytorch  /'
c_fps=$(echo "$c_out" | sed -n 's/.* \([0-9]*\) frames\/s wall.*/\1/p')
t_fps=$(echo "$t_out" | sed -n 's/.* \([0-9]*\) frames\/s wall.*/\1/p')
c_cps=$(echo "$c_out" | sed -n 's/.* \([0-9]*\) frames\/cpu-s.*/\1/p')
t_cps=$(echo "$t_out" | sed -n 's/.* \([0-9]*\) frames\/cpu-s.*/\1/p')
awk -v c="$c_fps" -v t="$t_fps" -v cc="$c_cps" -v tc="$t_cps" 'BEGIN {
  printf "speed-up emofuse / pytorch: %.2fx (valid frames per wall second), %.2fx (per CPU second)\n", c / t, cc / tc }'
