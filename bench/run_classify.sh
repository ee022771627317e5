#!/usr/bin/env bash
# Latency of one utterance (4 s of speech, a 12-word transcript), one thread: emofuse's
# classifier (bench_classify: per stage, end to end, cold start from process start with a
# full-size BERT memory-mapped) against the equivalent Python pipeline (classify_torch.py:
# PyTorch BERT + model, the Python tokenizer, openSMILE's documented 72x real time for
# the LLDs), side by side in the same run, interleaved, best of REPEAT rounds; peak memory
# with /usr/bin/time -v; and `emofuse classify --manifest` throughput on all cores.
#
# usage: bench/run_classify.sh [BUILD_DIR] [BERT_DIR]
#   env: REPEAT (rounds, default 3), UTTS (utterances for the throughput run, default 200)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
bert=${2:-${TMPDIR:-/tmp}/emofuse-bert-bench/base}
repeat=${REPEAT:-3}
utts=${UTTS:-200}
py=/usr/bin/python3
[ -x "$build/bench/bench_classify" ] || { echo "error: $build/bench/bench_classify not built" >&2; exit 1; }
if [ ! -f "$bert/model.safetensors" ]; then
  echo "generating a random BERT-base in $bert ..." >&2
  "$py" "$src/tests/reference/bert_reference.py" full "$bert" --no-expected
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
text="I can't believe you did that again, you promised me last week"
espeak-ng -w "$work/raw.wav" "$text" 2>/dev/null
sox "$work/raw.wav" -r 16000 -c 1 -b 16 "$work/utt.wav" pad 0 4.0 trim 0 4.0 2>/dev/null
"$build/bench/bench_classify" make-model --bert "$bert" --out "$work/ef.model"
wbytes=$(stat -c %s "$bert/model.safetensors")

# run CMD...: the program's line + " rss_mb=<peak RSS> wall_ms=<process wall time>".
run() {
  local log out
  log=$(mktemp)
  out=$(/usr/bin/time -v "$@" 2>"$log") || { cat "$log" >&2; rm -f "$log"; return 1; }
  awk -v o="$out" -F': ' '/Maximum resident set size/ {r = $2} /Elapsed \(wall clock\)/ {n = split($2, p, ":"); w = p[n] + (n > 1 ? p[n-1] * 60 : 0)}
    END {printf "%s rss_mb=%.1f wall_ms=%.0f\n", o, r / 1024, w * 1000}' "$log"
  rm -f "$log"
}
field() { sed -n "s/.*[[:space:]]$1=\([^ ]*\).*/\1/p" <<<" $2"; }
min() { awk -v a="$1" -v b="$2" 'BEGIN {print (b == "" || a + 0 < b + 0) ? a : b}'; }

echo "# one utterance, 1 thread; $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# the machine is shared: best of $repeat interleaved rounds, ratios within the run"
declare -A E P
for ((r = 0; r < repeat; r++)); do
  e=$(run "$build/bench/bench_classify" run --model "$work/ef.model" --wav "$work/utt.wav" --text "$text" --repeat 5 --threads 1)
  p=$(run "$py" "$here/classify_torch.py" --bert "$bert" --wav "$work/utt.wav" --text "$text" --repeat 5)
  # cold start: a fresh process that ends with its first result (page cache warm, as for
  # any second run of a program); its wall time and peak RSS
  ec=$(run "$build/bench/bench_classify" run --model "$work/ef.model" --wav "$work/utt.wav" --text "$text" --repeat 0 --threads 1)
  pc=$(run "$py" "$here/classify_torch.py" --bert "$bert" --wav "$work/utt.wav" --text "$text" --repeat 0)
  for k in decode_ms lld_ms tokenize_ms bert_ms model_ms e2e_ms; do E[$k]=$(min "$(field $k "$e")" "${E[$k]:-}"); done
  for k in decode_ms tokenize_ms bert_ms model_ms; do P[$k]=$(min "$(field $k "$p")" "${P[$k]:-}"); done
  for k in first_ms wall_ms rss_mb; do E[$k]=$(min "$(field $k "$ec")" "${E[$k]:-}"); done
  for k in cold_ms wall_ms rss_mb; do P[$k]=$(min "$(field $k "$pc")" "${P[$k]:-}"); done
  pieces=$(field pieces "$e"); words=$(field words "$e"); secs=$(field audio_s "$e")
done
lld_py=$(awk -v s="$secs" 'BEGIN {printf "%.2f", s / 72 * 1000}')
if [ -n "${SMILEXTRACT:-}" ]; then
  t0=$(date +%s.%N); "$SMILEXTRACT" -C "${SMILE_CONFIG:?}" -I "$work/utt.wav" -O "$work/smile.csv" > /dev/null 2>&1
  lld_py=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", (b - a) * 1000}')
fi
P[lld_ms]=$lld_py
P[e2e_ms]=$(awk -v a="${P[decode_ms]}" -v b="$lld_py" -v c="${P[tokenize_ms]}" -v d="${P[bert_ms]}" -v e="${P[model_ms]}" 'BEGIN {printf "%.2f", a + b + c + d + e}')
echo "# ${secs} s of audio, $words words -> $pieces word-pieces; BERT weights $(awk -v b="$wbytes" 'BEGIN {printf "%.0f", b / 1048576}') MB"
printf "%-22s %12s %12s %8s\n" stage emofuse_ms python_ms ratio
for k in decode lld tokenize bert model e2e; do
  printf "%-22s %12s %12s %8s\n" "$k" "${E[${k}_ms]}" "${P[${k}_ms]}" "$(awk -v a="${E[${k}_ms]}" -v b="${P[${k}_ms]}" 'BEGIN {printf "%.1fx", b / a}')"
done
echo "(python lld = openSMILE's 72x real time, not measured here, unless SMILEXTRACT is set)"
printf "%-22s %12s %12s %8s\n" "cold start (process)" "${E[wall_ms]}" "${P[wall_ms]}" "$(awk -v a="${E[wall_ms]}" -v b="${P[wall_ms]}" 'BEGIN {printf "%.1fx", b / a}')"
printf "%-22s %12s %12s\n" "  main / script -> 1st" "${E[first_ms]}" "${P[cold_ms]}"
printf "%-22s %12s %12s %8s\n" "cold peak RSS MB" "${E[rss_mb]}" "${P[rss_mb]}" ""
echo "emofuse peak RSS / BERT weight bytes: $(awk -v r="${E[rss_mb]}" -v b="$wbytes" 'BEGIN {printf "%.2f", r * 1048576 / b}')"

# Throughput: classify --manifest on all cores (the same utterance UTTS times).
mkdir -p "$work/c"
echo "id,audio,transcript" > "$work/c/m.csv"
for ((i = 0; i < utts; i++)); do echo "u$i,../utt.wav,\"$text\"" >> "$work/c/m.csv"; done
t=$(run "$build/emofuse" classify --model "$work/ef.model" --manifest "$work/c/m.csv" --csv -q)
echo "classify --manifest: $utts utterances on $(nproc) cores in $(field wall_ms "$t") ms: $(awk -v n="$utts" -v w="$(field wall_ms "$t")" -v s="$secs" 'BEGIN {printf "%.1f utterances/s, %.0fx real time", n / (w / 1000), n * s / (w / 1000)}'), peak RSS $(field rss_mb "$t") MB"
