#!/usr/bin/env bash
# End-to-end test of `emofuse models fetch` against tests/util/http_server.py, a local
# stand-in for the Hugging Face hub (127.0.0.1 only: no internet is ever used). Checks a
# download through a renamed-repo redirect and an LFS/CDN redirect with hash verification,
# skipping present files, resume after a dropped connection and from a .part left by an
# earlier run, a stale .part, corrupted bytes and a wrong manifest hash -> error, 404 and
# retry exhaustion -> errors naming the URL, 503 -> retried.
set -u
BIN=${EMOFUSE_BIN:-build/emofuse}
SRC=${EMOFUSE_SRC:-.}
SERVER="$SRC/tests/util/http_server.py"
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "SKIP: python3 not found"; exit 77; }
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/emofuse-fetch-XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# A small fake checkpoint, served as google-bert/bert-base-uncased with the old name as alias.
M="$T/root/google-bert/bert-base-uncased"
mkdir -p "$M"
printf '{"hidden_size": 8, "num_hidden_layers": 1}\n' > "$M/config.json"
printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n' > "$M/vocab.txt"
head -c 3000000 /dev/urandom > "$M/model.safetensors"
SHA_MODEL=$(sha256sum "$M/model.safetensors" | cut -d' ' -f1)

# start_server NAME [server options...]: sets PORT and LOG
start_server() {
    local name=$1
    shift
    LOG="$T/$name.log"
    : > "$LOG"
    "$PY" "$SERVER" --root "$T/root" --log "$LOG" --alias bert-base-uncased=google-bert/bert-base-uncased "$@" \
        > "$T/$name.port" 2> "$T/$name.err" &
    PIDS+=($!)
    for _ in $(seq 100); do
        grep -q '^PORT ' "$T/$name.port" 2>/dev/null && break
        sleep 0.1
    done
    PORT=$(awk '/^PORT /{print $2}' "$T/$name.port")
    [ -n "$PORT" ] || { echo "FAIL: server $name did not start: $(cat "$T/$name.err")"; exit 1; }
}
stop_server() { kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null; }

# fetch DIR [options...]: runs the CLI, sets RC, OUT, ERR
fetch() {
    local dir=$1
    shift
    EMOFUSE_HF_ENDPOINT="http://127.0.0.1:$PORT" "$BIN" models fetch bert-base-uncased --dir "$dir" \
        --retry-delay 0.05 "$@" > "$T/out" 2> "$T/err"
    RC=$?
    OUT=$(cat "$T/out")
    ERR=$(cat "$T/err")
}
same_files() {
    local d=$1
    for f in config.json vocab.txt model.safetensors; do
        cmp -s "$d/$f" "$M/$f" || return 1
        [ ! -e "$d/$f.part" ] || return 1
    done
}

# --- usage -----------------------------------------------------------------------------
"$BIN" models --help > "$T/help" && grep -q 'models fetch <repo>' "$T/help" && grep -q 'EMOFUSE_HF_ENDPOINT' "$T/help" \
    && ok "models --help" || fail "models --help"
"$BIN" models fetch > /dev/null 2>&1; [ $? -eq 2 ] && ok "no repo -> 2" || fail "no repo should exit 2"
"$BIN" models bogus > /dev/null 2>&1; [ $? -eq 2 ] && ok "unknown action -> 2" || fail "unknown action should exit 2"

# --- plain download: relative 307 (renamed repo), 302 to the CDN with X-Linked-Etag ---------
start_server plain
fetch "$T/a"
if [ $RC -eq 0 ] && same_files "$T/a"; then ok "download"; else fail "download rc=$RC $ERR"; fi
echo "$OUT" | grep -q "model.safetensors	3000000	sha256:$SHA_MODEL	downloaded" && ok "sha256 verified" \
    || fail "sha256 line missing: $OUT"
SHA1_CFG=$(printf 'blob %d\0' "$(stat -c %s "$M/config.json")" | cat - "$M/config.json" | sha1sum | cut -d' ' -f1)
echo "$OUT" | grep -q "config.json	.*	sha1-git:$SHA1_CFG	downloaded" && ok "git blob id verified" \
    || fail "git blob line missing: $OUT"
grep -q 'HEAD /bert-base-uncased/resolve/main/config.json range=- -> 307' "$LOG" \
    && grep -q 'GET /cdn/google-bert/bert-base-uncased/model.safetensors range=- -> 200' "$LOG" \
    && ok "redirects followed" || fail "redirects: $(cat "$LOG")"

# --- present files are verified and kept, nothing downloaded ---------------------------
: > "$LOG"
fetch "$T/a"
[ $RC -eq 0 ] && [ "$(echo "$OUT" | grep -c 'present$')" -eq 3 ] && ! grep -q '^GET' "$LOG" \
    && ok "present files skipped" || fail "re-run: rc=$RC $OUT $(cat "$LOG")"

# --- corrupted on the server side of the present file: re-downloaded ---------------------
printf 'x' >> "$T/a/vocab.txt"
fetch "$T/a"
[ $RC -eq 0 ] && same_files "$T/a" && echo "$OUT" | grep -q 'vocab.txt.*downloaded' \
    && ok "damaged local file replaced" || fail "damaged local file: rc=$RC $OUT $ERR"
stop_server

# --- connection dropped mid-file: retried with Range in the same run ----------------------
start_server drop --drop-after 100000
fetch "$T/b"
[ $RC -eq 0 ] && same_files "$T/b" && grep -q 'range=bytes=100000- -> 206' "$LOG" \
    && echo "$OUT" | grep -q 'model.safetensors.*resumed' && ok "resume after drop" \
    || fail "resume after drop: rc=$RC $ERR $(cat "$LOG")"
stop_server

# --- .part left by an interrupted earlier run: continued ----------------------------------
start_server part
mkdir -p "$T/c"
head -c 1234567 "$M/model.safetensors" > "$T/c/model.safetensors.part"
fetch "$T/c"
[ $RC -eq 0 ] && same_files "$T/c" && grep -q 'range=bytes=1234567- -> 206' "$LOG" \
    && ok "resume from an old .part" || fail "resume from .part: rc=$RC $ERR $(cat "$LOG")"

# --- stale .part (other content): hash mismatch after resuming -> one fresh download -------
mkdir -p "$T/d"
head -c 500000 /dev/urandom > "$T/d/model.safetensors.part"
: > "$LOG"
fetch "$T/d"
[ $RC -eq 0 ] && same_files "$T/d" && grep -q 'from scratch' "$T/err" \
    && grep -q 'GET /cdn/google-bert/bert-base-uncased/model.safetensors range=- -> 200' "$LOG" \
    && ok "stale .part replaced" || fail "stale .part: rc=$RC $ERR $(cat "$LOG")"

# --- 404 names the URL ---------------------------------------------------------------------
EMOFUSE_HF_ENDPOINT="http://127.0.0.1:$PORT" "$BIN" models fetch no-such/model --dir "$T/e" > /dev/null 2> "$T/err"
RC=$?
[ $RC -eq 1 ] && grep -q "error: http://127.0.0.1:$PORT/no-such/model/resolve/main/config.json: HTTP 404" "$T/err" \
    && ok "404 -> error naming the URL" || fail "404: rc=$RC $(cat "$T/err")"

# --- manifest: a wrong expected hash is an error, the right one passes -----------------------
printf '%s  model.safetensors\n' "$(printf '0%.0s' $(seq 64))" > "$T/bad.sha256"
fetch "$T/f" --manifest "$T/bad.sha256"
[ $RC -eq 1 ] && echo "$ERR" | grep -q 'sha256 mismatch: expected 0000' && [ ! -e "$T/f/model.safetensors" ] \
    && [ ! -e "$T/f/model.safetensors.part" ] && ok "wrong manifest hash -> error" || fail "manifest: rc=$RC $ERR"
(cd "$M" && sha256sum config.json vocab.txt model.safetensors) > "$T/good.sha256"
fetch "$T/f" --manifest "$T/good.sha256"
[ $RC -eq 0 ] && same_files "$T/f" && [ "$(echo "$OUT" | grep -c '	sha256:')" -eq 3 ] \
    && ok "manifest hashes verified" || fail "good manifest: rc=$RC $OUT $ERR"
stop_server

# --- corrupted bytes from the server -> error, nothing left in place ------------------------
start_server corrupt --corrupt model.safetensors
fetch "$T/g"
[ $RC -eq 1 ] && echo "$ERR" | grep -q "error: .*model.safetensors: sha256 mismatch: expected $SHA_MODEL" \
    && [ ! -e "$T/g/model.safetensors" ] && [ ! -e "$T/g/model.safetensors.part" ] \
    && ok "corrupted download detected" || fail "corrupt: rc=$RC $ERR"
stop_server
start_server corrupt2 --corrupt config.json
fetch "$T/g2"
[ $RC -eq 1 ] && echo "$ERR" | grep -q "config.json: sha1-git mismatch" && [ ! -e "$T/g2/config.json" ] \
    && ok "corrupted small file detected" || fail "corrupt config: rc=$RC $ERR"
stop_server

# --- 503 twice: retried -------------------------------------------------------------------
start_server busy --status-5xx 2
fetch "$T/h"
[ $RC -eq 0 ] && same_files "$T/h" && [ "$(grep -c -- '-> 503' "$LOG")" -eq 6 ] \
    && ok "503 retried" || fail "503: rc=$RC $ERR"
stop_server

# --- retries exhausted: error names the URL, the .part is kept for a later resume -----------
start_server flaky --drop-after 50000 --drop-times 100
fetch "$T/i" --retries 1
[ $RC -eq 1 ] && echo "$ERR" | grep -q "error: http://127.0.0.1:$PORT/google-bert/bert-base-uncased/resolve/main/model.safetensors: .*partial" \
    && [ "$(stat -c %s "$T/i/model.safetensors.part")" -eq 100000 ] && [ ! -e "$T/i/model.safetensors" ] \
    && ok "retries exhausted -> error, .part kept" || fail "flaky: rc=$RC $ERR $(ls -l "$T/i")"
stop_server

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "ok: all models fetch checks passed"
