#!/usr/bin/env bash
# Seconds per training epoch of every system on an IEMOCAP-sized synthetic feature set
# (5531 utterances, IEMOCAP-like lengths from one seeded generator: `bench_train lengths`
# writes them once, both programs read the file), side by side in the same run:
#   emofuse   bench_train (ragged batches, no padding)
#   padded    bench/train_torch.py --loop padded: shuffled batches zero-padded to their
#             longest utterance with masks (the paper's Keras way)
#   bucketed  bench/train_torch.py --loop bucketed: batches of similar lengths (sorted,
#             batch order shuffled each epoch), padding within a batch only
# Systems: text, audio, ef, lf (cold start) and ef-pt, lf-pt (fusion head on frozen
# branches run every step; emofuse also times its default PT path, which caches them).
# Every program first runs WARMUP (10) untimed steps, then times EPOCHS epochs; threads:
# OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = torch.set_num_threads = t for each t in THREADS.
# emofuse with t > 1 is ONE training on t threads (ef_train_options.threads: each step's
# rows split over a pool, BLAS single-threaded inside).
# Peak memory: /usr/bin/time -v "Maximum resident set size" of each process (the synthetic
# features it holds included). Ratios are PyTorch s / emofuse s (wall clock) and PyTorch
# cpu / emofuse cpu (process CPU seconds per epoch, the steadier figure on a shared
# machine). emo%ceil: emofuse's GFLOP per CPU second against the single-core SGEMM
# ceiling bench_train measures in the same process (cblas_sgemm 1024^3, one thread, per
# CPU second); GFLOP/epoch counts the branches' forward and backward multiply-adds. For
# t > 1 the summary also names what t cores gave together in the same runs (t 1-thread
# SGEMMs at once, bench_train's "parallel ceiling"): on a shared machine that moves, and
# a 2-thread speed-up is only read next to it.
# REPEAT=n runs every program n times, interleaved (emofuse, padded, bucketed, emofuse,
# ...), and keeps the best (lowest) time of each; TORCH=0 runs emofuse alone (thread
# scaling).
# usage: bench/run_train.sh [build-dir] [utts (5531)] [epochs (1)] [batch (32)] [systems] [threads]
#        systems default "text audio ef lf ef-pt lf-pt", threads default "1 2";
#        env WARMUP (10), REPEAT (1), TORCH (1)
set -euo pipefail
build=${1:-build}
utts=${2:-5531}
epochs=${3:-1}
batch=${4:-32}
systems=${5:-"text audio ef lf ef-pt lf-pt"}
threads=${6:-"1 2"}
warmup=${WARMUP:-10}
repeat=${REPEAT:-1}
torch=${TORCH:-1}
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bt="$build/bench/bench_train"
[ -x "$bt" ] || { echo "error: $bt missing (cmake --build $build --target bench_train)" >&2; exit 1; }

peak() { sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$1" | awk '{ printf "%.0f", $1 / 1024 }'; }
field() { sed -n "s/.* \([0-9.]*\) s\/epoch, cpu \([0-9.]*\) s\/epoch.*/\\$2/p" "$1" | head -1; }
ceil() { sed -n 's/.*: \([0-9]*\)% of it per CPU second.*/\1/p' "$1" | head -1; }
gflop() { sed -n 's/.*: \([0-9.]*\) GFLOP\/epoch.*/\1/p' "$1" | head -1; }
# the t-thread runs' parallel SGEMM ceiling (bench_train: "= 1.97x one core's"), min-max
# over the repeats of prefix $1
pceil() { for f in "$1".r*.out; do sed -n 's/.*= \([0-9.]*\)x one core.s.*/\1/p' "$f"; done |
  sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {if (NR) printf (lo == hi ? "%sx" : "%s-%sx"), lo, hi}'; }
# keep the run with the lowest wall s/epoch of prefix $1 (runs $1.r1 ... $1.rN) as $1.out/.err
best() {
  local b="" bt=""
  for r in $(seq 1 "$repeat"); do
    local v; v=$(field "$1.r$r.out" 1)
    if [ -z "$bt" ] || awk -v a="$v" -v b="$bt" 'BEGIN { exit !(a < b) }'; then b=$r bt=$v; fi
  done
  cp "$1.r$b.out" "$1.out"; cp "$1.r$b.err" "$1.err"
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }
div3() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.4f", a / b; else print "-" }'; }
run() { # out-prefix threads command...
  local o=$1 t=$2
  shift 2
  OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t /usr/bin/time -v "$@" >"$o.out" 2>"$o.err" ||
    { echo "error: $* failed:" >&2; tail -5 "$o.err" >&2; exit 1; }
}

"$bt" lengths "$utts" >"$tmp/lengths.txt" 2>"$tmp/lengths.stats"
start=$(date +%s)
. "$here/build_type.sh"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p') (family $(lscpu | sed -n 's/^CPU family: *//p'), model $(lscpu | sed -n 's/^Model: *//p'); $(nproc) cores); $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg); build $(build_type "$build")"
echo "data: $utts utterances; $(cat "$tmp/lengths.stats")"
echo "timing: $epochs epoch(s) after $warmup warm-up steps, batch $batch, best of $repeat interleaved run(s); s = wall s/epoch, cpu = process CPU s/epoch"
echo
printf "%-6s %2s | %6s %8s | %8s %8s %8s | %8s %8s %8s | %7s %7s %7s %7s | %7s %7s %7s\n" system t GFLOP emo%ceil \
  emofuse padded bucketed emo_cpu pad_cpu bkt_cpu pad/emo bkt/emo padcpu/ bktcpu/ emo_MB pad_MB bkt_MB
for s in $systems; do
  for t in $threads; do
    p="$tmp/$s.$t"
    for r in $(seq 1 "$repeat"); do
      run "$p.c.r$r" "$t" "$bt" "$s" "$utts" "$epochs" "$batch" "$tmp/lengths.txt" "$warmup"
      [ "$torch" = 1 ] || continue
      run "$p.p.r$r" "$t" /usr/bin/python3 "$here/train_torch.py" "$s" "$utts" "$epochs" "$batch" "$t" \
        --lengths "$tmp/lengths.txt" --loop padded --warmup "$warmup"
      run "$p.b.r$r" "$t" /usr/bin/python3 "$here/train_torch.py" "$s" "$utts" "$epochs" "$batch" "$t" \
        --lengths "$tmp/lengths.txt" --loop bucketed --warmup "$warmup"
    done
    best "$p.c"
    if [ "$torch" = 1 ]; then best "$p.p"; best "$p.b"; else : >"$p.p.out"; : >"$p.p.err"; : >"$p.b.out"; : >"$p.b.err"; fi
    c=$(field "$p.c.out" 1) p1=$(field "$p.p.out" 1) b1=$(field "$p.b.out" 1)
    cc=$(field "$p.c.out" 2) pc=$(field "$p.p.out" 2) bc=$(field "$p.b.out" 2)
    printf "%-6s %2s | %6s %7s%% | %8s %8s %8s | %8s %8s %8s | %6sx %6sx %6sx %6sx | %7s %7s %7s\n" "$s" "$t" \
      "$(gflop "$p.c.out")" "$(ceil "$p.c.out")" "$c" "${p1:--}" "${b1:--}" "$cc" "${pc:--}" "${bc:--}" \
      "$(div "${p1:-0}" "$c")" "$(div "${b1:-0}" "$c")" "$(div "${pc:-0}" "$cc")" "$(div "${bc:-0}" "$cc")" \
      "$(peak "$p.c.err")" "$(peak "$p.p.err")" "$(peak "$p.b.err")"
  done
done
# One training on t threads against t = 1 (emofuse; wall and CPU).
set -- $threads
if [ $# -gt 1 ]; then
  for s in $systems; do
    for t in $threads; do
      [ "$t" = "$1" ] && continue
      echo "$s: $t threads vs $1: wall speed-up $(div "$(field "$tmp/$s.$1.c.out" 1)" "$(field "$tmp/$s.$t.c.out" 1)")x," \
        "CPU seconds $(div "$(field "$tmp/$s.$t.c.out" 2)" "$(field "$tmp/$s.$1.c.out" 2)")x of one thread's;" \
        "$t independent 1-thread SGEMMs at once in the same runs: $(pceil "$tmp/$s.$t.c")"
    done
  done
fi
echo
# PT against CS of the same fusion system and thread count (wall and CPU): the table's PT
# rows run the frozen branches every step on both sides; emofuse's default PT path caches
# the branch outputs (fill once, then cached epochs), amortised here over a 20-epoch run.
for s in $systems; do
  case $s in *-pt) ;; *) continue ;; esac
  cs=${s%-pt}
  for t in $threads; do
    [ -f "$tmp/$cs.$t.c.out" ] || continue
    r() { div "$(field "$tmp/$s.$t.$1.out" "$2")" "$(field "$tmp/$cs.$t.$1.out" "$2")"; }
    read -r fill fillc ep epc < <(sed -n 's/.*cache: fill \([0-9.]*\) s once, cpu \([0-9.]*\) s.*cached epoch \([0-9.]*\) s, cpu \([0-9.]*\) s.*/\1 \2 \3 \4/p' "$tmp/$s.$t.c.out")
    c=$(field "$tmp/$cs.$t.c.out" 1) cc=$(field "$tmp/$cs.$t.c.out" 2)
    echo "$s t=$t: PT/CS epoch, branches every step (wall, cpu): emofuse $(r c 1), $(r c 2) (PT $(field "$tmp/$s.$t.c.out" 1) s," \
      "$cs CS $c s); PyTorch padded $(r p 1), $(r p 2); bucketed $(r b 1), $(r b 2)"
    echo "  emofuse PT cache: fill $fill s (cpu $fillc s) once, cached epoch $ep s (cpu $epc s): PT/CS per epoch" \
      "$(div3 "$ep" "$c") (cpu $(div3 "$epc" "$cc")); with the fill amortised over 20 epochs" \
      "$(awk -v f="$fill" -v e="$ep" -v c="$c" 'BEGIN { printf "%.3f", (f / 20 + e) / c }')" \
      "(cpu $(awk -v f="$fillc" -v e="$epc" -v c="$cc" 'BEGIN { printf "%.3f", (f / 20 + e) / c }'))"
  done
done
echo "total $(($(date +%s) - start)) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
