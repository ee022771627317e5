#!/usr/bin/env bash
# Acoustic front-end benchmark with peak memory:
#   bench/run_lld.sh [build-dir] [manifest] [long-seconds]
# defaults: build, ../shared/data/ravdess/manifest.csv (1440 RAVDESS files), 600 (10 minutes).
# Runs bench_lld twice under /usr/bin/time -v (corpus: 1 thread then all cores; long file:
# one generated WAV) and prints each table plus "Maximum resident set size", then
# bench_pitch (per-stage CPU time of the pitch stage) on every 10th file of the manifest.
# Documented baseline (not runnable here): openSMILE 3.0, same LLDs, ~72x real time on one
# thread, < 10 MB.
set -euo pipefail
build=${1:-build}
manifest=${2:-../shared/data/ravdess/manifest.csv}
seconds=${3:-600}
bin="$build/bench/bench_lld"
echo "== corpus ($manifest)"
/usr/bin/time -v "$bin" corpus "$manifest" 2> >(grep -E "Maximum resident|error" >&2)
sleep 0.2
echo "== long file ($seconds s)"
/usr/bin/time -v "$bin" long "$seconds" "${TMPDIR:-/tmp}" 2> >(grep -E "Maximum resident|error" >&2)
sleep 0.2
echo "== pitch stage per stage (every 10th file of $manifest)"
dir=$(dirname "$manifest")
mapfile -t files < <(awk -F, -v d="$dir" 'NR > 1 && NR % 10 == 0 {print d "/" $2}' "$manifest")
"$build/bench/bench_pitch" "${files[@]}"
