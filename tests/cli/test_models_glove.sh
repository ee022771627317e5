#!/usr/bin/env bash
# End-to-end test of `emofuse models glove-index`: text and .gz input (through gzip -dc),
# default and explicit output names, identical indexes from both, a malformed line and a
# truncated .gz -> error with nothing written. Lookups themselves: tests/text/test_glove.c.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
[ -x "$bin" ] || fail "$bin not built"
need gzip
fails=0
# Unlike the shared fail, which exits, this one counts the failure and goes on, so that one
# run reports every check that fails (and the ok lines of those that pass).
failed() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# 3000 words x 50 dims, one duplicate word at the end
awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) { printf "w%d", i; for (j = 0; j < 50; j++) printf " %.5f", rand() - 0.5; printf "\n" }
             printf "w5"; for (j = 0; j < 50; j++) printf " 1"; printf "\n" }' > "$dir/vec.txt"
gzip -c "$dir/vec.txt" > "$dir/vec.txt.gz"

"$bin" models glove-index "$dir/vec.txt" > "$dir/out" 2> "$dir/err"
[ $? -eq 0 ] && grep -q "^$dir/vec.efg	words 3000	dim 50	duplicates 1	lines 3001$" "$dir/out" && [ -s "$dir/vec.efg" ] \
    && ok "text -> default name" || failed "text: $(cat "$dir/out" "$dir/err")"
"$bin" models glove-index "$dir/vec.txt.gz" --out "$dir/gz.efg" > "$dir/out" 2> "$dir/err"
[ $? -eq 0 ] && grep -q "words 3000	dim 50	duplicates 1" "$dir/out" && cmp -s "$dir/vec.efg" "$dir/gz.efg" \
    && ok ".gz -> same index" || failed ".gz: $(cat "$dir/out" "$dir/err")"
# header: magic, D = 50, N = 3000
[ "$(head -c 8 "$dir/vec.efg" | tr -d '\0')" = "EFGLOVE" ] \
    && [ "$(od -An -t u4 -j 12 -N 4 "$dir/vec.efg" | tr -d ' ')" = "50" ] \
    && [ "$(od -An -t u8 -j 16 -N 8 "$dir/vec.efg" | tr -d ' ')" = "3000" ] \
    && ok "index header" || failed "index header"

# malformed line 3: 49 values
{ head -n 2 "$dir/vec.txt"; sed -n 3p "$dir/vec.txt" | cut -d' ' -f1-50; } > "$dir/bad.txt"
"$bin" models glove-index "$dir/bad.txt" > /dev/null 2> "$dir/err"
[ $? -eq 1 ] && grep -q "error: $dir/bad.txt:3: word 'w2' has 49 values, expected 50" "$dir/err" && [ ! -e "$dir/bad.efg" ] \
    && ok "malformed line -> file:line error" || failed "malformed: $(cat "$dir/err")"

# truncated .gz: an error (a cut last line, or gzip's exit status when the cut falls on a line end)
head -c $(( $(stat -c %s "$dir/vec.txt.gz") / 2 )) "$dir/vec.txt.gz" > "$dir/trunc.txt.gz"
"$bin" models glove-index "$dir/trunc.txt.gz" > /dev/null 2> "$dir/err"
[ $? -eq 1 ] && grep -q "error: .*trunc.txt.gz" "$dir/err" && [ -z "$(ls "$dir" | grep '^trunc.*efg')" ] \
    && ok "truncated .gz -> error, no index" || failed "truncated gz: $(cat "$dir/err"; ls "$dir")"

"$bin" models glove-index "$dir/none.txt" > /dev/null 2> "$dir/err"
[ $? -eq 1 ] && grep -q "none.txt: cannot open" "$dir/err" && ok "missing input" || failed "missing input: $(cat "$dir/err")"
"$bin" models glove-index > /dev/null 2>&1
[ $? -eq 2 ] && ok "no input -> 2" || failed "no input should exit 2"

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "ok: all glove-index checks passed"
