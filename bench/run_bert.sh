#!/usr/bin/env bash
# BERT encoder benchmark: emofuse (bench/bench_bert.c) vs the PyTorch reference
# (bench/bert_torch.py) side by side on the same random full-size BERT-base model, for
# batch-1 sequences of 16/64/128 tokens and the corpus workload (5000 texts, 2-60
# word-pieces, mean ~20), with 1 thread and all threads. Reports tokens/s, the ratio,
# achieved GFLOP/s against an SGEMM ceiling measured in the same run, and peak memory
# (/usr/bin/time -v "Maximum resident set size") against the weight bytes.
#
# usage: bench/run_bert.sh [BUILD_DIR] [MODEL_DIR]
#   env: TEXTS (corpus size, default 5000), SECONDS_PER_RUN (single workloads, default 5),
#        THREADS_LIST (default "1 <nproc>"), WORKLOADS (default "single16 single64 single128 corpus"),
#        MODE (emofuse threading for the corpus: seq|blas, default blas),
#        REPEAT (rounds per cell, default 2: emofuse and torch run alternately, best round
#        reported; the machine may be shared), BASELINE=1 (also run emofuse with
#        EMOFUSE_BERT_GEMM=blas, i.e. every product through OpenBLAS as before the kernel),
#        AVX2=1 (also run emofuse with EMOFUSE_CPU=avx2: the kernel CPUs without AVX-512 get),
#        CLOCK=wall|cpu (default wall; cpu: every program times itself in process CPU
#        seconds, the honest measure of 1-thread runs on a machine shared with other jobs)
# The model is generated with tests/reference/bert_reference.py when MODEL_DIR lacks one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
model=${2:-${TMPDIR:-/tmp}/emofuse-bert-bench/base}
texts=${TEXTS:-5000}
secs=${SECONDS_PER_RUN:-5}
threads_list=${THREADS_LIST:-"1 $(nproc)"}
workloads=${WORKLOADS:-"single16 single64 single128 corpus"}
mode=${MODE:-blas}
repeat=${REPEAT:-2}
baseline=${BASELINE:-0}
avx2=${AVX2:-0}
clock=${CLOCK:-wall}
py=/usr/bin/python3

[ -x "$build/bench/bench_bert" ] || { echo "error: $build/bench/bench_bert not built" >&2; exit 1; }
if [ ! -f "$model/model.safetensors" ]; then
  echo "generating a random BERT-base in $model ..." >&2
  "$py" "$src/tests/reference/bert_reference.py" full "$model" --no-expected
fi

# run CMD...: prints the program's result line followed by " rss_mb=<peak RSS>".
run() {
  local log out
  log=$(mktemp)
  out=$(/usr/bin/time -v "$@" 2>"$log") || { cat "$log" >&2; rm -f "$log"; return 1; }
  local rss
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$log")
  rm -f "$log"
  echo "$out rss_mb=$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}')"
}
field() { sed -n "s/.*[[:space:]]$1=\([^ ]*\).*/\1/p" <<<" $2"; }

cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
. "$(dirname "$0")/build_type.sh"
echo "# BERT-base (random weights), $cpu, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg), clock=$clock, build $(build_type "$build"); provisional if the machine is shared"
best() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 >= b + 0) ? a : b}'; }
printf "%-10s %3s %7s %12s %12s %12s %12s %6s %8s %8s %7s %9s %9s %8s\n" workload thr kernel emofuse_t/s avx2_t/s blas_t/s torch_t/s ratio gflops ceiling ceil% rss_mb torch_mb rss/wt
for t in $threads_list; do
  for w in $workloads; do
    et=0; pt=0; bt=-; at=-; gf=0; ce=0; er=0; pr=0; wm=1; kn=-
    for ((r = 0; r < repeat; r++)); do
      e=$(run "$build/bench/bench_bert" --model "$model" --threads "$t" --workload "$w" --seconds "$secs" --texts "$texts" --mode "$mode" --clock "$clock")
      p=$(run "$py" "$here/bert_torch.py" --model "$model" --threads "$t" --workload "$w" --seconds "$secs" --texts "$texts" --clock "$clock")
      if [ "$baseline" = 1 ]; then
        b=$(EMOFUSE_BERT_GEMM=blas run "$build/bench/bench_bert" --model "$model" --threads "$t" --workload "$w" --seconds "$secs" --texts "$texts" --mode "$mode" --clock "$clock")
        bt=$(best "$(field tokens_per_s "$b")" "${bt/-/0}")
      fi
      if [ "$avx2" = 1 ]; then
        a=$(EMOFUSE_CPU=avx2 run "$build/bench/bench_bert" --model "$model" --threads "$t" --workload "$w" --seconds "$secs" --texts "$texts" --mode "$mode" --clock "$clock")
        at=$(best "$(field tokens_per_s "$a")" "${at/-/0}")
      fi
      kn=$(field kernel "$e")
      if awk -v a="$(field tokens_per_s "$e")" -v b="$et" 'BEGIN {exit !(a > b)}'; then
        et=$(field tokens_per_s "$e"); gf=$(field gflops "$e"); ce=$(field sgemm_gflops "$e")
      fi
      pt=$(best "$(field tokens_per_s "$p")" "$pt")
      er=$(best "$(field rss_mb "$e")" "$er"); pr=$(best "$(field rss_mb "$p")" "$pr"); wm=$(field weight_mb "$e")
    done
    printf "%-10s %3s %7s %12s %12s %12s %12s %6.2f %8s %8s %6.0f%% %9s %9s %8.2f\n" "$w" "$t" "${kn:--}" "$et" "$at" "$bt" "$pt" \
      "$(awk -v a="$et" -v b="$pt" 'BEGIN {print a / b}')" "$gf" "$ce" \
      "$(awk -v a="$gf" -v b="$ce" 'BEGIN {print 100 * a / b}')" "$er" "$pr" \
      "$(awk -v a="$er" -v b="$wm" 'BEGIN {print a / b}')"
  done
done
