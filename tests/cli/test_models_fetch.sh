#!/usr/bin/env bash
# End-to-end test of `emofuse models fetch` against tests/util/http_server.py, a local
# stand-in for the Hugging Face hub (127.0.0.1 only: no internet is ever used). Checks a
# download through a renamed-repo redirect and an LFS/CDN redirect with hash verification,
# skipping present files, resume after a dropped connection and from a .part left by an
# earlier run, a stale .part, corrupted bytes and a wrong manifest hash -> error, 404 and
# retry exhaustion -> errors naming the URL, 503 -> retried.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
SERVER="$src/tests/util/http_server.py"
need python3
[ -x "$bin" ] || fail "$bin not built"

PIDS=()
# This trap replaces the prelude's: it removes "$dir" too.
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
fails=0
# Unlike the shared fail, which exits, this one counts the failure and goes on, so that one
# run reports every check that fails (and the ok lines of those that pass).
failed() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# A small fake checkpoint, served as google-bert/bert-base-uncased with the old name as alias.
M="$dir/root/google-bert/bert-base-uncased"
mkdir -p "$M"
printf '{"hidden_size": 8, "num_hidden_layers": 1}\n' > "$M/config.json"
printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n' > "$M/vocab.txt"
head -c 3000000 /dev/urandom > "$M/model.safetensors"
SHA_MODEL=$(sha256sum "$M/model.safetensors" | cut -d' ' -f1)

# start_server NAME [server options...]: sets PORT and LOG
start_server() {
    local name=$1
    shift
    LOG="$dir/$name.log"
    : > "$LOG"
    python3 "$SERVER" --root "$dir/root" --log "$LOG" --alias bert-base-uncased=google-bert/bert-base-uncased "$@" \
        > "$dir/$name.port" 2> "$dir/$name.err" &
    PIDS+=($!)
    for _ in $(seq 100); do
        grep -q '^PORT ' "$dir/$name.port" 2>/dev/null && break
        sleep 0.1
    done
    PORT=$(awk '/^PORT /{print $2}' "$dir/$name.port")
    [ -n "$PORT" ] || { echo "FAIL: server $name did not start: $(cat "$dir/$name.err")"; exit 1; }
}
stop_server() { kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null; }

# fetch DIR [options...]: runs the CLI, sets RC, OUT, ERR
fetch() {
    local dest=$1
    shift
    EMOFUSE_HF_ENDPOINT="http://127.0.0.1:$PORT" "$bin" models fetch bert-base-uncased --dir "$dest" \
        --retry-delay 0.05 "$@" > "$dir/out" 2> "$dir/err"
    RC=$?
    OUT=$(cat "$dir/out")
    ERR=$(cat "$dir/err")
}
same_files() {
    local d=$1
    for f in config.json vocab.txt model.safetensors; do
        cmp -s "$d/$f" "$M/$f" || return 1
        [ ! -e "$d/$f.part" ] || return 1
    done
}

# --- usage -----------------------------------------------------------------------------
"$bin" models --help > "$dir/help" && grep -q 'models fetch <repo>' "$dir/help" && grep -q 'EMOFUSE_HF_ENDPOINT' "$dir/help" \
    && ok "models --help" || failed "models --help"
"$bin" models fetch > /dev/null 2>&1; [ $? -eq 2 ] && ok "no repo -> 2" || failed "no repo should exit 2"
"$bin" models bogus > /dev/null 2>&1; [ $? -eq 2 ] && ok "unknown action -> 2" || failed "unknown action should exit 2"

# --- plain download: relative 307 (renamed repo), 302 to the CDN with X-Linked-Etag ---------
start_server plain
fetch "$dir/a"
if [ $RC -eq 0 ] && same_files "$dir/a"; then ok "download"; else failed "download rc=$RC $ERR"; fi
echo "$OUT" | grep -q "model.safetensors	3000000	sha256:$SHA_MODEL	downloaded" && ok "sha256 verified" \
    || failed "sha256 line missing: $OUT"
SHA1_CFG=$(printf 'blob %d\0' "$(stat -c %s "$M/config.json")" | cat - "$M/config.json" | sha1sum | cut -d' ' -f1)
echo "$OUT" | grep -q "config.json	.*	sha1-git:$SHA1_CFG	downloaded" && ok "git blob id verified" \
    || failed "git blob line missing: $OUT"
grep -q 'HEAD /bert-base-uncased/resolve/main/config.json range=- -> 307' "$LOG" \
    && grep -q 'GET /cdn/google-bert/bert-base-uncased/model.safetensors range=- -> 200' "$LOG" \
    && ok "redirects followed" || failed "redirects: $(cat "$LOG")"

# --- present files are verified and kept, nothing downloaded ---------------------------
: > "$LOG"
fetch "$dir/a"
[ $RC -eq 0 ] && [ "$(echo "$OUT" | grep -c 'present$')" -eq 3 ] && ! grep -q '^GET' "$LOG" \
    && ok "present files skipped" || failed "re-run: rc=$RC $OUT $(cat "$LOG")"

# --- corrupted on the server side of the present file: re-downloaded ---------------------
printf 'x' >> "$dir/a/vocab.txt"
fetch "$dir/a"
[ $RC -eq 0 ] && same_files "$dir/a" && echo "$OUT" | grep -q 'vocab.txt.*downloaded' \
    && ok "damaged local file replaced" || failed "damaged local file: rc=$RC $OUT $ERR"
stop_server

# --- connection dropped mid-file: retried with Range in the same run ----------------------
start_server drop --drop-after 100000
fetch "$dir/b"
[ $RC -eq 0 ] && same_files "$dir/b" && grep -q 'range=bytes=100000- -> 206' "$LOG" \
    && echo "$OUT" | grep -q 'model.safetensors.*resumed' && ok "resume after drop" \
    || failed "resume after drop: rc=$RC $ERR $(cat "$LOG")"
stop_server

# --- .part left by an interrupted earlier run: continued ----------------------------------
start_server part
mkdir -p "$dir/c"
head -c 1234567 "$M/model.safetensors" > "$dir/c/model.safetensors.part"
fetch "$dir/c"
[ $RC -eq 0 ] && same_files "$dir/c" && grep -q 'range=bytes=1234567- -> 206' "$LOG" \
    && ok "resume from an old .part" || failed "resume from .part: rc=$RC $ERR $(cat "$LOG")"

# --- stale .part (other content): hash mismatch after resuming -> one fresh download -------
mkdir -p "$dir/d"
head -c 500000 /dev/urandom > "$dir/d/model.safetensors.part"
: > "$LOG"
fetch "$dir/d"
[ $RC -eq 0 ] && same_files "$dir/d" && grep -q 'from scratch' "$dir/err" \
    && grep -q 'GET /cdn/google-bert/bert-base-uncased/model.safetensors range=- -> 200' "$LOG" \
    && ok "stale .part replaced" || failed "stale .part: rc=$RC $ERR $(cat "$LOG")"

# --- 404 names the URL ---------------------------------------------------------------------
EMOFUSE_HF_ENDPOINT="http://127.0.0.1:$PORT" "$bin" models fetch no-such/model --dir "$dir/e" > /dev/null 2> "$dir/err"
RC=$?
[ $RC -eq 1 ] && grep -q "error: http://127.0.0.1:$PORT/no-such/model/resolve/main/config.json: HTTP 404" "$dir/err" \
    && ok "404 -> error naming the URL" || failed "404: rc=$RC $(cat "$dir/err")"

# --- manifest: a wrong expected hash is an error, the right one passes -----------------------
printf '%s  model.safetensors\n' "$(printf '0%.0s' $(seq 64))" > "$dir/bad.sha256"
fetch "$dir/f" --manifest "$dir/bad.sha256"
[ $RC -eq 1 ] && echo "$ERR" | grep -q 'sha256 mismatch: expected 0000' && [ ! -e "$dir/f/model.safetensors" ] \
    && [ ! -e "$dir/f/model.safetensors.part" ] && ok "wrong manifest hash -> error" || failed "manifest: rc=$RC $ERR"
(cd "$M" && sha256sum config.json vocab.txt model.safetensors) > "$dir/good.sha256"
fetch "$dir/f" --manifest "$dir/good.sha256"
[ $RC -eq 0 ] && same_files "$dir/f" && [ "$(echo "$OUT" | grep -c '	sha256:')" -eq 3 ] \
    && ok "manifest hashes verified" || failed "good manifest: rc=$RC $OUT $ERR"
stop_server

# --- corrupted bytes from the server -> error, nothing left in place ------------------------
start_server corrupt --corrupt model.safetensors
fetch "$dir/g"
[ $RC -eq 1 ] && echo "$ERR" | grep -q "error: .*model.safetensors: sha256 mismatch: expected $SHA_MODEL" \
    && [ ! -e "$dir/g/model.safetensors" ] && [ ! -e "$dir/g/model.safetensors.part" ] \
    && ok "corrupted download detected" || failed "corrupt: rc=$RC $ERR"
stop_server
start_server corrupt2 --corrupt config.json
fetch "$dir/g2"
[ $RC -eq 1 ] && echo "$ERR" | grep -q "config.json: sha1-git mismatch" && [ ! -e "$dir/g2/config.json" ] \
    && ok "corrupted small file detected" || failed "corrupt config: rc=$RC $ERR"
stop_server

# --- 503 twice: retried -------------------------------------------------------------------
start_server busy --status-5xx 2
fetch "$dir/h"
[ $RC -eq 0 ] && same_files "$dir/h" && [ "$(grep -c -- '-> 503' "$LOG")" -eq 6 ] \
    && ok "503 retried" || failed "503: rc=$RC $ERR"
stop_server

# --- retries exhausted: error names the URL, the .part is kept for a later resume -----------
start_server flaky --drop-after 50000 --drop-times 100
fetch "$dir/i" --retries 1
[ $RC -eq 1 ] && echo "$ERR" | grep -q "error: http://127.0.0.1:$PORT/google-bert/bert-base-uncased/resolve/main/model.safetensors: .*partial" \
    && [ "$(stat -c %s "$dir/i/model.safetensors.part")" -eq 100000 ] && [ ! -e "$dir/i/model.safetensors" ] \
    && ok "retries exhausted -> error, .part kept" || failed "flaky: rc=$RC $ERR $(ls -l "$dir/i")"
stop_server

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "ok: all models fetch checks passed"
