#!/usr/bin/env bash
# Acoustic front-end benchmark with peak memory:
#   bench/run_lld.sh [build-dir] [manifest] [long-seconds]
# defaults: build, ../shared/data/ravdess/manifest.csv (1440 RAVDESS files), 600 (10 minutes).
#
# 1. Side by side with openSMILE, when SMILE=/path/SMILExtract SMILE_CONF=/path/ser_lld.conf
#    are given (../shared/tools/opensmile/build.sh builds both; keep the build outside the
#    repository): one long 16 kHz WAV (LONG_WAV, or a synthetic one written by
#    `bench_lld wav`), REPEAT rounds (default 3) of openSMILE -> CSV, `emofuse lld` -> CSV
#    and `emofuse features audio -t 1` -> store, interleaved; reports each program's best
#    CPU seconds (user + sys, /usr/bin/time), the ratio to openSMILE and peak RSS.
#    Without SMILE, this part is skipped (the older documented figure, ~72x real time on
#    one thread, came from another machine and is not comparable).
# 2. bench_lld twice under /usr/bin/time -v (corpus: 1 thread then all cores; long file:
#    one generated WAV) with "Maximum resident set size" (SKIP_CORPUS=1 skips both),
# 3. bench_pitch (per-stage CPU time of the pitch stage) on every 10th file of the manifest.
set -euo pipefail
build=${1:-build}
manifest=${2:-../shared/data/ravdess/manifest.csv}
seconds=${3:-600}
repeat=${REPEAT:-3}
bin="$build/bench/bench_lld"
cli="$build/emofuse"
cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
. "$(dirname "$0")/build_type.sh"
echo "# $cpu, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg), build $(build_type "$build")"

if [ -n "${SMILE:-}" ]; then
  [ -x "$SMILE" ] || { echo "error: SMILE=$SMILE is not an executable" >&2; exit 1; }
  [ -r "${SMILE_CONF:-}" ] || { echo "error: SMILE_CONF=${SMILE_CONF:-} is not readable" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  wav=${LONG_WAV:-$tmp/long.wav}
  [ -n "${LONG_WAV:-}" ] || "$bin" wav "$seconds" "$wav"
  printf 'id,audio\nlong,%s\n' "$(realpath "$wav")" > "$tmp/manifest.csv"
  # measure NAME CMD...: one run; appends "NAME cpu_s rss_kb" to $tmp/runs
  measure() {
    local name=$1
    shift
    /usr/bin/time -o "$tmp/$name.time" -f "%U %S %M" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" ||
      { echo "error: $name failed:" >&2; cat "$tmp/$name.err" >&2; exit 1; }
    echo "$name $(tail -1 "$tmp/$name.time" | awk '{printf "%.3f %d", $1 + $2, $3}')" >> "$tmp/runs"
  }
  for ((r = 0; r < repeat; r++)); do
    measure opensmile "$SMILE" -C "$SMILE_CONF" -I "$wav" -O "$tmp/smile.csv" -N long -l 0
    rm -f "$tmp/smile.csv"
    measure emofuse_lld_csv "$cli" lld "$wav"
    rm -f "$tmp/store.safetensors"
    measure emofuse_features_audio "$cli" features audio -m "$tmp/manifest.csv" -o "$tmp/store.safetensors" -t 1 -q
    sleep 0.2
  done
  dur=$(soxi -D "$wav" 2>/dev/null || echo "$seconds")
  echo "== side by side with openSMILE: $(basename "$wav"), ${dur} s of audio, best of $repeat interleaved rounds, 1 thread"
  awk -v dur="$dur" '
    { if (!($1 in best) || $2 < best[$1]) best[$1] = $2; if ($3 > rss[$1]) rss[$1] = $3; order[$1] = NR }
    END {
      printf "  %-24s %10s %12s %14s %12s\n", "program", "CPU s", "x real time", "vs openSMILE", "peak RSS MB"
      split("opensmile emofuse_lld_csv emofuse_features_audio", names, " ")
      for (i = 1; i <= 3; i++) {
        n = names[i]
        printf "  %-24s %10.2f %12.0f %13.2fx %12.1f\n", n, best[n], dur / best[n], best["opensmile"] / best[n], rss[n] / 1024
      }
    }' "$tmp/runs"
else
  echo "== side by side with openSMILE: skipped (set SMILE=/path/SMILExtract SMILE_CONF=/path/ser_lld.conf)"
fi

[ "${SKIP_CORPUS:-0}" = 1 ] && exit 0
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
