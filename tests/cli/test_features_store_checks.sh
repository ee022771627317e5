#!/usr/bin/env bash
# Checks of `emofuse features` stores and their commands:
#  - the store's emofuse.config must be valid JSON even when the GloVe/model path holds
#    characters that need escaping (a '"' or '\' used to be pasted in raw);
#  - `features info STORE` refuses arguments it does not know instead of ignoring them;
#  - the unknown-kind message lists every kind;
#  - `features stats` reports an unreadable id list as a read error (not "no ids").
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
py=python3
[[ -x /usr/bin/python3 ]] && py=/usr/bin/python3

printf 'id,audio,transcript\nu1,x.wav,a bad\nu2,x.wav,hello\n' > "$dir/m.csv"
gdir="$dir/we\"ird\\dir"
mkdir -p "$gdir"
printf 'a 0.1 0.2\nbad 1 2\nhello 3 4\n' > "$gdir/g.txt"
"$bin" features text --manifest "$dir/m.csv" --out "$dir/g.safetensors" --glove "$gdir/g.txt" -q 2> "$dir/err" \
  || fail "glove features with an odd path: $(cat "$dir/err")"
"$bin" features info "$dir/g.safetensors" > "$dir/info" || fail "info"
grep '^config: ' "$dir/info" | sed 's/^config: //' > "$dir/config.json"
"$py" - "$dir/config.json" "$gdir/g.txt" <<'PY' || fail "config is not JSON naming the GloVe path: $(cat "$dir/config.json")"
import json, sys
cfg = json.load(open(sys.argv[1]))
assert cfg["glove"] == sys.argv[2], cfg
assert cfg["dim"] == 2, cfg
PY
# Rerun: the escaped config is stable, so everything is reused.
"$bin" features text --manifest "$dir/m.csv" --out "$dir/g.safetensors" --glove "$gdir/g.txt" -q 2> "$dir/err" \
  || fail "rerun: $(cat "$dir/err")"
grep -q "(2 reused, 0 extracted)" "$dir/err" || fail "rerun did not reuse: $(cat "$dir/err")"

"$bin" features info "$dir/g.safetensors" --idz > /dev/null 2> "$dir/err"
[[ $? -eq 2 ]] || fail "info with an unknown argument should be a usage error"
grep -q "unknown option '--idz'" "$dir/err" || fail "info message: $(cat "$dir/err")"
"$bin" features info "$dir/g.safetensors" --ids > "$dir/ids" || fail "info --ids"
[[ $(wc -l < "$dir/ids") -eq 7 ]] || fail "info --ids: $(cat "$dir/ids")"

"$bin" features nope 2> "$dir/err"
[[ $? -eq 2 ]] || fail "unknown kind exit code"
grep -q "info" "$dir/err" || fail "unknown kind message does not list info: $(cat "$dir/err")"

printf 'u1\n# comment\n\nu2\n' > "$dir/ids"
"$bin" features stats --store "$dir/g.safetensors" --ids "$dir/ids" --out "$dir/st.safetensors" 2> "$dir/err" \
  || fail "stats: $(cat "$dir/err")"
grep -q "statistics of 2 utterances" "$dir/err" || fail "stats count: $(cat "$dir/err")"
"$bin" features stats --store "$dir/g.safetensors" --ids "$dir" --out "$dir/st2.safetensors" 2> "$dir/err"
[[ $? -eq 1 ]] || fail "stats with a directory as id list should fail"
grep -q "$dir: is a directory, not an id list" "$dir/err" || fail "stats id-list message: $(cat "$dir/err")"
[[ ! -e "$dir/st2.safetensors" ]] || fail "stats output written despite the error"

# A missing GloVe file names the file and the cause.
"$bin" features text --manifest "$dir/m.csv" --out "$dir/x.safetensors" --glove "$dir/none.txt" 2> "$dir/err"
[[ $? -eq 1 ]] || fail "missing glove exit code"
grep -q "none.txt: cannot open: No such file" "$dir/err" || fail "missing glove message: $(cat "$dir/err")"
[[ ! -e "$dir/x.safetensors" ]] || fail "store written despite the error"
echo ok
