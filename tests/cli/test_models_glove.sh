#!/usr/bin/env bash
# End-to-end test of `emofuse models glove-index`: text and .gz input (through gzip -dc),
# default and explicit output names, identical indexes from both, a malformed line and a
# truncated .gz -> error with nothing written. Lookups themselves: tests/text/test_glove.c.
set -u
BIN=${EMOFUSE_BIN:-build/emofuse}
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
command -v gzip > /dev/null || { echo "SKIP: gzip not found"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/emofuse-glove-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# 3000 words x 50 dims, one duplicate word at the end
awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) { printf "w%d", i; for (j = 0; j < 50; j++) printf " %.5f", rand() - 0.5; printf "\n" }
             printf "w5"; for (j = 0; j < 50; j++) printf " 1"; printf "\n" }' > "$T/vec.txt"
gzip -c "$T/vec.txt" > "$T/vec.txt.gz"

"$BIN" models glove-index "$T/vec.txt" > "$T/out" 2> "$T/err"
[ $? -eq 0 ] && grep -q "^$T/vec.efg	words 3000	dim 50	duplicates 1	lines 3001$" "$T/out" && [ -s "$T/vec.efg" ] \
    && ok "text -> default name" || fail "text: $(cat "$T/out" "$T/err")"
"$BIN" models glove-index "$T/vec.txt.gz" --out "$T/gz.efg" > "$T/out" 2> "$T/err"
[ $? -eq 0 ] && grep -q "words 3000	dim 50	duplicates 1" "$T/out" && cmp -s "$T/vec.efg" "$T/gz.efg" \
    && ok ".gz -> same index" || fail ".gz: $(cat "$T/out" "$T/err")"
# header: magic, D = 50, N = 3000
[ "$(head -c 8 "$T/vec.efg" | tr -d '\0')" = "EFGLOVE" ] \
    && [ "$(od -An -t u4 -j 12 -N 4 "$T/vec.efg" | tr -d ' ')" = "50" ] \
    && [ "$(od -An -t u8 -j 16 -N 8 "$T/vec.efg" | tr -d ' ')" = "3000" ] \
    && ok "index header" || fail "index header"

# malformed line 3: 49 values
{ head -n 2 "$T/vec.txt"; sed -n 3p "$T/vec.txt" | cut -d' ' -f1-50; } > "$T/bad.txt"
"$BIN" models glove-index "$T/bad.txt" > /dev/null 2> "$T/err"
[ $? -eq 1 ] && grep -q "error: $T/bad.txt:3: word 'w2' has 49 values, expected 50" "$T/err" && [ ! -e "$T/bad.efg" ] \
    && ok "malformed line -> file:line error" || fail "malformed: $(cat "$T/err")"

# truncated .gz: an error (a cut last line, or gzip's exit status when the cut falls on a line end)
head -c $(( $(stat -c %s "$T/vec.txt.gz") / 2 )) "$T/vec.txt.gz" > "$T/trunc.txt.gz"
"$BIN" models glove-index "$T/trunc.txt.gz" > /dev/null 2> "$T/err"
[ $? -eq 1 ] && grep -q "error: .*trunc.txt.gz" "$T/err" && [ -z "$(ls "$T" | grep '^trunc.*efg')" ] \
    && ok "truncated .gz -> error, no index" || fail "truncated gz: $(cat "$T/err"; ls "$T")"

"$BIN" models glove-index "$T/none.txt" > /dev/null 2> "$T/err"
[ $? -eq 1 ] && grep -q "none.txt: cannot open" "$T/err" && ok "missing input" || fail "missing input: $(cat "$T/err")"
"$BIN" models glove-index > /dev/null 2>&1
[ $? -eq 2 ] && ok "no input -> 2" || fail "no input should exit 2"

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "ok: all glove-index checks passed"
