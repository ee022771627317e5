#!/usr/bin/env bash
# Latency of one utterance (4 s of speech, a 12-word transcript), one thread: emofuse's
# classifier (bench_classify: per stage, end to end, cold start from process start with a
# full-size BERT memory-mapped) against the equivalent Python pipeline (classify_torch.py:
# scipy decode, the Python tokenizer, PyTorch BERT, the same trained model in PyTorch;
# openSMILE's documented 72x real time for the LLDs, or a SMILExtract you point at), side
# by side in the same run, interleaved, best of REPEAT rounds; peak memory with
# /usr/bin/time -v against the BERT weight bytes; both pipelines' probabilities compared;
# then `emofuse classify --manifest` throughput on all cores on the demo corpus and on
# RAVDESS (when present).
#
# The inputs are made once and kept in WORK (default ${TMPDIR:-/tmp}/emofuse-classify-bench):
#   - the demo corpus (scripts/make-demo-corpus.sh) and its manifest (`corpus iemocap`);
#   - a random full-size BERT-base (`models random-bert --layers 12`: 12 layers, hidden
#     768, 12 heads, 3072, 512 positions; F32 safetensors in the HuggingFace layout; its
#     vocabulary is the words of the demo transcripts, RAVDESS's two sentences and the
#     benchmark's sentence, so the 12 words are 15 word-pieces, as bert-base-uncased
#     makes of them, and the embedding table is small: 343 MB of weights, not 436);
#   - an early-fusion model trained on the demo corpus with those BERT features and the
#     LLDs (`emofuse train --system ef`, EPOCHS epochs).
#
# usage: bench/run_classify.sh [BUILD_DIR]
#   env: REPEAT (rounds, default 3), WORK (see above), EPOCHS (default 5),
#        CLOCK=wall|cpu (default wall; cpu: the warm stages in process CPU time, the fair
#        measure of 1-thread runs on a shared machine; cold start and throughput stay wall),
#        RAVDESS (default ../shared/data/ravdess; "" to skip), RAVDESS_N (first N rows, default all),
#        SMILE=path/to/SMILExtract SMILE_CONF=config (time the real openSMILE on the
#        utterance, best of REPEAT, instead of the 72x figure; see /work/shared/tools/opensmile)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=$(cd "${1:-$src/build}" && pwd) # absolute: the script cd-s into WORK
work=${WORK:-${TMPDIR:-/tmp}/emofuse-classify-bench}
repeat=${REPEAT:-3}
clock=${CLOCK:-wall}
epochs=${EPOCHS:-5}
ravdess=${RAVDESS-$src/../shared/data/ravdess}
py=/usr/bin/python3
bin=$build/emofuse
for f in "$bin" "$build/bench/bench_classify"; do [ -x "$f" ] || { echo "error: $f not built" >&2; exit 1; }; done
for t in espeak-ng sox soxi; do command -v $t >/dev/null || { echo "error: $t: not installed" >&2; exit 1; }; done
text="I can't believe you did that again, you promised me last week"
mkdir -p "$work"
cd "$work"

# --- inputs (kept between runs) ---
if [ ! -s demo.csv ]; then
  "$src/scripts/make-demo-corpus.sh" "$work/demo" > /dev/null
  "$bin" corpus iemocap "$work/demo" -o demo.csv 2> /dev/null
fi
if [ ! -s bert/model.safetensors ]; then
  { echo "id,transcript"
    "$py" -c 'import csv, sys
r = csv.DictReader(open(sys.argv[1]))
w = csv.writer(sys.stdout)
for row in r: w.writerow([row["id"], row["transcript"]])' demo.csv
    echo "r1,Kids are talking by the door"; echo "r2,Dogs are sitting by the door"; echo "b1,\"$text\""; } > texts.csv
  "$bin" models random-bert --texts texts.csv --out bert --layers 12 > /dev/null
fi
if [ ! -s ef.model ]; then
  "$bin" features audio --manifest demo.csv --out audio.st -q
  "$bin" features text --manifest demo.csv --out text.st --model bert -q
  tail -n +2 demo.csv | cut -d, -f1 > ids.txt
  "$bin" train --system ef --manifest demo.csv --train-ids ids.txt --audio-store audio.st --text-store text.st \
    --out ef.model --epochs "$epochs" --batch-size 16 --warmup 0 --lr 3e-3 2> train.log
fi
if [ ! -s utt.wav ]; then
  espeak-ng -w raw.wav "$text"
  sox raw.wav -r 16000 -c 1 -b 16 utt.wav pad 0 4.0 trim 0 4.0 2> /dev/null
fi
wbytes=$(stat -c %s bert/model.safetensors)

# run CMD...: the program's last line + " rss_mb=<peak RSS> wall_ms=<process wall time>".
run() {
  local log outf out
  log=$(mktemp); outf=$(mktemp)
  /usr/bin/time -v "$@" > "$outf" 2>"$log" || { cat "$log" >&2; rm -f "$log" "$outf"; return 1; }
  out=$(tail -1 "$outf")
  rm -f "$outf"
  awk -v o="$out" -F': ' '/Maximum resident set size/ {r = $2}
    /Elapsed \(wall clock\)/ {n = split($2, p, ":"); w = p[n] + (n > 1 ? p[n-1] * 60 : 0)}
    END {printf "%s rss_mb=%.1f wall_ms=%.0f\n", o, r / 1024, w * 1000}' "$log"
  rm -f "$log"
}
field() { sed -n "s/.*[[:space:]]$1=\([^ ]*\).*/\1/p" <<<" $2"; }
min() { awk -v a="$1" -v b="$2" 'BEGIN {print (b == "" || a + 0 < b + 0) ? a : b}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", b / a}'; }
per_weight() { awk -v r="$1" -v b="$wbytes" 'BEGIN {printf "%.2f", r * 1048576 / b}'; }
maxdiff() { awk -v a="$1" -v b="$2" 'BEGIN {n = split(a, x, ","); split(b, y, ","); m = 0
  for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > m) m = d } printf "%.1e", m}'; }

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
. "$src/bench/build_type.sh"
echo "# $cpu, $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ); load average at start $(cut -d' ' -f1-3 /proc/loadavg); build $(build_type "$build")"
echo "# one utterance, 1 thread, stages timed in $clock clock; best of $repeat interleaved rounds;" \
  "on a shared machine the ratios are the figures to trust"
ec_args=(run --model ef.model --wav utt.wav --text "$text" --threads 1)
py_args=(--bert bert --model ef.model --wav utt.wav --text "$text" --lld utt.lld)
declare -A E P
for ((r = 0; r < repeat; r++)); do
  e=$(run "$build/bench/bench_classify" "${ec_args[@]}" --repeat 5 --dump-lld utt.lld --clock "$clock")
  p=$(run "$py" "$here/classify_torch.py" "${py_args[@]}" --repeat 5 --clock "$clock")
  # cold start: a fresh process that ends with its first result (page cache warm, as for
  # any second run of a program); its wall time and peak RSS
  ec=$(run "$build/bench/bench_classify" "${ec_args[@]}" --repeat 0)
  pc=$(run "$py" "$here/classify_torch.py" "${py_args[@]}" --repeat 0)
  for k in decode_ms lld_ms tokenize_ms bert_ms model_ms e2e_ms; do E[$k]=$(min "$(field $k "$e")" "${E[$k]:-}"); done
  for k in decode_ms tokenize_ms bert_ms model_ms; do P[$k]=$(min "$(field $k "$p")" "${P[$k]:-}"); done
  for k in first_ms wall_ms rss_mb; do E[$k]=$(min "$(field $k "$ec")" "${E[$k]:-}"); done
  for k in cold_ms wall_ms rss_mb; do P[$k]=$(min "$(field $k "$pc")" "${P[$k]:-}"); done
  pieces=$(field pieces "$e"); words=$(field words "$e"); secs=$(field audio_s "$e")
  dp=$(maxdiff "$(field probs "$e")" "$(field probs "$p")"); dc=$(maxdiff "$(field probs "$ec")" "$(field probs "$pc")")
done
lld_py=$(awk -v s="$secs" 'BEGIN {printf "%.2f", s / 72 * 1000}')
lld_src="openSMILE's documented 72x real time, not run"
if [ -n "${SMILE:-}" ]; then
  best=""
  for ((r = 0; r < repeat; r++)); do
    rm -f smile.csv
    # the whole SMILExtract process, as a pipeline calls it: wall, or user + sys with
    # CLOCK=cpu (getrusage of the child: microseconds, where time(1) gives centiseconds)
    t=$("$py" -c 'import resource, subprocess, sys, time
t0 = time.perf_counter()
subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
w = time.perf_counter() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.2f" % (1000 * (r.ru_utime + r.ru_stime if sys.argv[1] == "cpu" else w)))' "$clock" \
      "$SMILE" -C "${SMILE_CONF:?SMILE_CONF: the openSMILE config}" -I utt.wav -O smile.csv -l 0)
    best=$(min "$t" "$best")
  done
  lld_py=$best
  lld_src="$SMILE -C $SMILE_CONF, whole process, $clock time, best of $repeat, $(grep -vc '^name' smile.csv) frames"
fi
P[lld_ms]=$lld_py
P[e2e_ms]=$(awk -v a="${P[decode_ms]}" -v b="$lld_py" -v c="${P[tokenize_ms]}" -v d="${P[bert_ms]}" \
  -v e="${P[model_ms]}" 'BEGIN {printf "%.2f", a + b + c + d + e}')
echo "# ${secs} s of audio, $words words -> $pieces word-pieces;" \
  "BERT $wbytes weight bytes ($(awk -v b="$wbytes" 'BEGIN {printf "%.1f", b / 1e6}') MB)"
printf "%-26s %12s %12s %8s\n" stage emofuse_ms python_ms ratio
for k in decode lld tokenize bert model e2e; do
  printf "%-26s %12s %12s %8s\n" "$k" "${E[${k}_ms]}" "${P[${k}_ms]}" "$(ratio "${E[${k}_ms]}" "${P[${k}_ms]}")"
done
echo "(python lld: $lld_src; python e2e = the sum of its stages)"
printf "%-26s %12s %12s %8s\n" "cold start (process wall)" "${E[wall_ms]}" "${P[wall_ms]}" \
  "$(ratio "${E[wall_ms]}" "${P[wall_ms]}")"
printf "%-26s %12s %12s\n" "  main / script -> 1st" "${E[first_ms]}" "${P[cold_ms]}"
printf "%-26s %12s %12s\n" "cold peak RSS MB" "${E[rss_mb]}" "${P[rss_mb]}"
echo "peak RSS / BERT weight bytes: emofuse $(per_weight "${E[rss_mb]}"), python $(per_weight "${P[rss_mb]}")"
echo "probabilities, max |emofuse - python|: warm $dp, cold $dc (same LLDs, same model)"

# --- throughput: classify --manifest on all cores ---
through() { # name manifest
  local t total n
  t=$(run "$bin" classify --model ef.model --manifest "$2" --csv -q)
  n=$(($(wc -l < "$2") - 1))
  total=$("$py" -c 'import csv, os, subprocess, sys
m = sys.argv[1]; d = os.path.dirname(os.path.abspath(m))
files = [os.path.join(d, r["audio"]) for r in csv.DictReader(open(m))]
out = subprocess.run(["soxi", "-D"] + files, capture_output=True, text=True).stdout
print(sum(float(x) for x in out.split()))' "$2")
  awk -v name="$1" -v n="$n" -v w="$(field wall_ms "$t")" -v s="$total" -v r="$(field rss_mb "$t")" -v c="$(nproc)" \
    'BEGIN {printf "classify --manifest %s: %d utterances (%.0f s of audio) on %d cores in %.1f s: ",
      name, n, s, c, w / 1000
      printf "%.1f utterances/s, %.0fx real time, peak RSS %s MB\n",
      n / (w / 1000), s / (w / 1000), r}'
}
through demo demo.csv
if [ -n "$ravdess" ] && [ -f "$ravdess/manifest.csv" ]; then
  ln -sfn "$(cd "$ravdess" && pwd)" ravdess
  m=ravdess/manifest.csv
  if [ -n "${RAVDESS_N:-}" ]; then
    { head -1 ravdess/manifest.csv
      sed -n "2,$((RAVDESS_N + 1))p" ravdess/manifest.csv | sed 's|^\([^,]*\),|\1,ravdess/|'; } > ravdess-m.csv
    m=ravdess-m.csv
  fi
  through "ravdess" "$m"
else
  echo "classify --manifest ravdess: skipped (RAVDESS='$ravdess': no manifest.csv there)"
fi
echo "# load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
