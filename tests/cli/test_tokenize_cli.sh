#!/usr/bin/env bash
# End-to-end checks of `emofuse tokenize`: --help, exact output lines with the hand-made
# tests/fixtures/tokenizer/tiny_vocab.txt (ids, --tokens, --words, stdin lines, empty text,
# texts starting with '-', "--"), bad vocab files ("error: <file>: <cause>", exit 1, nothing
# on stdout), usage errors (exit 2), and when ../shared is present a few bert-base-uncased
# lines plus every row of tests/fixtures/tokenizer/cases.tsv (mode 0) through stdin.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
FIX=${EMOFUSE_FIXTURES:-tests/fixtures}
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
fail=0
check() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; fi; }
TINY="$FIX/tokenizer/tiny_vocab.txt"

# --help
out=$("$bin" tokenize --help); rc=$?
check '[ $rc -eq 0 ]' "--help exit $rc"
check 'grep -q "^usage: emofuse tokenize --vocab FILE" <<<"$out"' "--help prints usage"

# ids, tokens, words (tiny vocab: [PAD]0 [UNK]1 [CLS]2 [SEP]3 [MASK]4 un5 ##aff6 ##able7
# hello8 ,9 !10 cafe11 ... 中15 .16)
out=$("$bin" tokenize --vocab "$TINY" "Hello, CAFÉ!" "unaffable" "" "中x"); rc=$?
check '[ $rc -eq 0 ]' "ids exit $rc"
check '[ "$out" = "$(printf "2 8 9 11 10 3\n2 5 6 7 3\n2 3\n2 15 1 3")" ]' "ids output: $out"
out=$("$bin" tokenize --tokens --vocab "$TINY" "Hello, CAFÉ!" "unaffablex [MASK]")
check '[ "$out" = "$(printf "[CLS] hello , cafe ! [SEP]\n[CLS] [UNK] [MASK] [SEP]")" ]' "--tokens output: $out"
out=$("$bin" tokenize --words $'  Hello,\tNAÏVE中文 x ')
check '[ "$out" = "hello , naive 中 文 x" ]' "--words output: $out"

# stdin: one line per input line, "\r\n" is fine, empty line -> [CLS] [SEP]
out=$(printf 'hello\r\n\nun\xffaffable\n...' | "$bin" tokenize --vocab "$TINY"); rc=$?
check '[ $rc -eq 0 ]' "stdin exit $rc"
check '[ "$out" = "$(printf "2 8 3\n2 3\n2 5 6 7 3\n2 16 16 16 3")" ]' "stdin output: $out"
out=$("$bin" tokenize --vocab "$TINY" < /dev/null)
check '[ -z "$out" ]' "no stdin lines -> no output"

# options anywhere, a text starting with '-', and "--"
out=$("$bin" tokenize "-hello" --vocab "$TINY" -- --tokens)
check '[ "$out" = "$(printf "2 1 8 3\n2 1 1 1 3")" ]' "'-' texts and --: $out"

# bad vocab files: one "error: <file>: <cause>" line, exit 1, nothing on stdout
printf '' > "$dir/empty.txt"
printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\nx\nx\n' > "$dir/dup.txt"
printf '[PAD]\n[CLS]\n[SEP]\n' > "$dir/nounk.txt"
for case in "empty.txt:empty vocabulary file" "dup.txt:line 6: duplicate token 'x' (first on line 5)" \
            "nounk.txt:missing special token [UNK]" "missing.txt:cannot open"; do
  f="$dir/${case%%:*}"; cause="${case#*:}"
  "$bin" tokenize --vocab "$f" hello > "$dir/o.txt" 2> "$dir/e.txt"; rc=$?
  check '[ $rc -eq 1 ]' "$f: exit $rc"
  check '[ ! -s "$dir/o.txt" ]' "$f: stdout not empty"
  check '[ "$(wc -l < "$dir/e.txt")" -eq 1 ]' "$f: stderr not one line: $(cat "$dir/e.txt")"
  check 'grep -qF "error: $f: $cause" "$dir/e.txt"' "$f: stderr: $(cat "$dir/e.txt")"
done

# usage errors
"$bin" tokenize hello > /dev/null 2> "$dir/e.txt"; rc=$?
check '[ $rc -eq 2 ] && grep -q "^error: .*--vocab" "$dir/e.txt"' "missing --vocab: exit $rc"
"$bin" tokenize --vocab "$TINY" --bogus x > /dev/null 2> "$dir/e.txt"; rc=$?
check '[ $rc -eq 2 ] && grep -q "^error: .*--bogus" "$dir/e.txt"' "unknown option: exit $rc"
"$bin" tokenize --vocab > /dev/null 2>&1; rc=$?
check '[ $rc -eq 2 ]' "--vocab without value: exit $rc"

# real vocab
SHARED=${EMOFUSE_SHARED:-../shared}
VOCAB="$SHARED/models/bert-base-uncased/vocab.txt"
if [ -f "$VOCAB" ]; then
  out=$("$bin" tokenize --vocab "$VOCAB" "Hello, world!" "Café naïve résumé" "")
  check '[ "$out" = "$(printf "101 7592 1010 2088 999 102\n101 7668 15743 13746 102\n101 102")" ]' "bert ids: $out"
  out=$("$bin" tokenize --tokens --vocab "$VOCAB" "unaffable")
  check '[ "$out" = "[CLS] una ##ffa ##ble [SEP]" ]' "bert tokens: $out"
  # every mode-0 fixture case through stdin (texts without "\n", unescaped by printf %b)
  grep -v '^#' "$FIX/tokenizer/cases.tsv" | awk -F'\t' '$2 == 0 && $3 !~ /\\n/' > "$dir/cases.tsv"
  cut -f3 "$dir/cases.tsv" | while IFS= read -r t; do printf '%b\n' "$t"; done > "$dir/in.txt"
  cut -f4 "$dir/cases.tsv" > "$dir/want.txt"
  "$bin" tokenize --vocab "$VOCAB" < "$dir/in.txt" > "$dir/got.txt"; rc=$?
  n=$(wc -l < "$dir/want.txt")
  check '[ $rc -eq 0 ] && [ "$n" -gt 40 ] && cmp -s "$dir/got.txt" "$dir/want.txt"' \
        "cases.tsv through stdin ($n cases): $(diff "$dir/got.txt" "$dir/want.txt" | head -5)"
else
  echo "SKIP (part): $VOCAB absent, real-vocab checks not run"
fi

[ $fail -eq 0 ] && echo "ok" || exit 1
