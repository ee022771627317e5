#!/usr/bin/env bash
# Training from a memory-mapped feature store larger than RAM (bench/README.md).
#
# usage: bench/run_big_store.sh [build (build)] [big GB (2 x RAM)]
#   env: DIR      where the stores go (default /tmp/emofuse-big-store.$$; deleted at the end)
#        SMALL    sizes in GB of the smaller stores run first (default "0.5 2")
#        STEPS    random training steps per store (300), BATCH (32), THREADS (1: OpenBLAS)
#        KEEP_FREE_GB  disk to leave free (15): the big store shrinks to fit, and the
#                 figures say so
#
# For each store: `bench_big_store write`, then `bench_big_store train` under
# /usr/bin/time -v (cold page cache: the program drops the file's pages first), then the
# store is deleted. Prints one table row per store and the memory bound fitted to them.
set -euo pipefail

BUILD=${1:-build}
BIN=$BUILD/bench/bench_big_store
[[ -x $BIN ]] || { echo "error: $BIN not built (cmake --build $BUILD --target bench_big_store)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
STEPS=${STEPS:-300}
BATCH=${BATCH:-32}
THREADS=${THREADS:-1}
SMALL=${SMALL:-0.5 2}
KEEP_FREE_GB=${KEEP_FREE_GB:-15}
DIR=${DIR:-/tmp/emofuse-big-store.$$}
mkdir -p "$DIR"
cleanup() { rm -f "$DIR"/store-*.safetensors* "$DIR"/write.time "$DIR"/train.out "$DIR"/train.time; rmdir "$DIR" 2>/dev/null || true; }
trap cleanup EXIT

mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
ram_gb=$(awk -v k="$mem_kb" 'BEGIN {printf "%.1f", k * 1024 / 1e9}')
want_gb=${2:-$(awk -v k="$mem_kb" 'BEGIN {printf "%.1f", 2 * k * 1024 / 1e9 + 0.05}')}
avail_gb=$(df -B1 --output=avail "$DIR" | tail -1 | awk '{printf "%.1f", $1 / 1e9}')
# The manifest and header add < 0.1% to the data; 1 GB of margin on top of KEEP_FREE_GB.
fit_gb=$(awk -v a="$avail_gb" -v k="$KEEP_FREE_GB" 'BEGIN {printf "%.1f", a - k - 1}')
big_gb=$(awk -v w="$want_gb" -v f="$fit_gb" 'BEGIN {print (w <= f) ? w : f}')
scaled=$(awk -v w="$want_gb" -v b="$big_gb" 'BEGIN {print (b < w) ? 1 : 0}')

cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
echo "# bench_big_store  $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu: $cpu, $(nproc) cores; RAM: $ram_gb GB ($((mem_kb / 1024)) MiB); swap: $(awk '/^SwapTotal:/ {print $2}' /proc/meminfo) kB"
echo "disk: $avail_gb GB free in $DIR; big store: $big_gb GB (2 x RAM = $want_gb GB$([[ $scaled == 1 ]] && echo ", SCALED DOWN to leave $KEEP_FREE_GB GB free"))"
echo "steps $STEPS, batch $BATCH, OPENBLAS_NUM_THREADS=$THREADS"
echo "load before: $(uptime)"

rows=()
for gb in $SMALL "$big_gb"; do
    store=$DIR/store-$gb.safetensors
    echo
    echo "## store of $gb GB"
    echo "load: $(uptime)"
    /usr/bin/time -v "$BIN" write "$gb" "$store" 2> "$DIR/write.time" || { cat "$DIR/write.time" >&2; exit 1; }
    echo "write: $(grep -E 'Elapsed' "$DIR/write.time" | sed 's/.*: //') wall, max RSS $(awk '/Maximum resident/ {printf "%.1f MB", $NF / 1024}' "$DIR/write.time")"
    ls -l "$store"
    OPENBLAS_NUM_THREADS=$THREADS /usr/bin/time -v "$BIN" train "$store" "$store.manifest.csv" "$STEPS" "$BATCH" \
        > "$DIR/train.out" 2> "$DIR/train.time" || { cat "$DIR/train.out" "$DIR/train.time" >&2; exit 1; }
    cat "$DIR/train.out"
    tv=$(awk '/Maximum resident/ {printf "%.1f", $NF / 1024}' "$DIR/train.time")
    echo "time -v: $(grep -E 'Elapsed' "$DIR/train.time" | sed 's/.*: //') wall, max RSS $tv MB, $(grep -E 'Major' "$DIR/train.time" | sed 's/^[[:space:]]*//')"
    echo "load after: $(uptime)"
    rows+=("$(grep '^RESULT' "$DIR/train.out" | sed 's/^RESULT //') timev_mb=$tv")
    rm -f "$store" "$store.manifest.csv" "$store.dummy.wav"
done

echo
echo "## results ($cpu, $(nproc) cores, $ram_gb GB RAM)"
printf '%s\n' "${rows[@]}" | awk -v ram="$ram_gb" -v batch="$BATCH" '
function kv(line, key,   i, n, a, p) {
    n = split(line, a, " ")
    for (i = 1; i <= n; i++) { split(a[i], p, "="); if (p[1] == key) return p[2] }
    return ""
}
{
    L[NR] = $0
    # Anonymous memory before training: the store index, manifest and dataset arrays
    # (peak over open, manifest, assemble, norm); training adds the model workspace.
    pre = kv($0, "anon_open_mb") + 0
    for (k = 1; k <= 3; k++) { v = kv($0, k == 1 ? "anon_manifest_mb" : k == 2 ? "anon_assemble_mb" : "anon_norm_mb") + 0; if (v > pre) pre = v }
    PRE[NR] = pre; N[NR] = kv($0, "utts") + 0; TR[NR] = kv($0, "anon_train_mb") + 0
}
END {
    print "| store | x RAM | utterances | frames | norm pass GB/s (2 passes) | steps/s | peak RSS (time -v) | peak RssAnon | RssAnon before training | worst batch (frames) | peak RssFile |"
    print "|---|---|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= NR; i++)
        printf "| %.2f GB | %.2f | %d | %d | %.3f | %.2f | %.1f MB | %.1f MB | %.1f MB | %d | %.1f MB |\n",
            kv(L[i], "file_gb"), kv(L[i], "file_gb") / ram, N[i], kv(L[i], "frames"), kv(L[i], "norm_gbps"),
            kv(L[i], "steps_per_s"), kv(L[i], "timev_mb"), kv(L[i], "peak_anon_mb"), PRE[i], kv(L[i], "worst_frames"), kv(L[i], "peak_file_mb")
    # Fit RssAnon before training = a + b * utterances through the smallest and the largest
    # store; the workspace is the largest increase during training (worst batch first).
    b = (PRE[NR] - PRE[1]) * 1048576 / (N[NR] - N[1]); a = PRE[1] - b * N[1] / 1048576
    w = 0; for (i = 1; i <= NR; i++) if (TR[i] - PRE[i] > w) { w = TR[i] - PRE[i]; wf = kv(L[i], "worst_frames") }
    printf "\nfit: RssAnon before training = %.1f MB + %.0f bytes x utterances; training adds <= %.1f MB (model, Adam, batch buffers, workspace of the worst batch: %d frames; batch x 30 s caps it at %d)\n", a, b, w, wf, 3000 * batch
    printf "bound: peak RssAnon <= %.0f MB + %.0f bytes x utterances\n", a + w, b
    for (i = 1; i <= NR; i++)
        printf "  check %.2f GB store: predicted %.1f MB, measured %.1f MB\n", kv(L[i], "file_gb"), a + w + b * N[i] / 1048576, kv(L[i], "peak_anon_mb")
}'
echo "load at end: $(uptime)"
