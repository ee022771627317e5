#!/usr/bin/env bash
# End-to-end checks of `emofuse lld`: --help, the exact CSV header, row count and field
# count on a generated 1 s WAV (16 kHz mono noise), errors (one "error: <file>: ..." line on
# stderr, nothing on stdout, non-zero exit), usage errors (exit 2), -o (atomic; the same bytes),
# forced tiny blocks (EMOFUSE_LLD_BLOCK), and when ../shared is
# present the row count on a RAVDESS file against the openSMILE reference.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
fail=0
check() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; fi; }

# --help
out=$("$bin" lld --help); rc=$?
check '[ $rc -eq 0 ]' "--help exit $rc"
check 'grep -q "^usage: emofuse lld" <<<"$out"' "--help prints usage"
check 'grep -q "(default 0.01)" <<<"$out" && grep -q "(default 3)" <<<"$out"' "--help prints defaults"

# 1 s of 16-bit noise in a canonical 44-byte WAV header
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"; }
wav="$dir/noise.wav"
{
  printf 'RIFF'; le32 $((36 + 32000)); printf 'WAVEfmt '; le32 16
  printf '\x01\x00\x01\x00'; le32 16000; le32 32000; printf '\x02\x00\x10\x00'
  printf 'data'; le32 32000; head -c 32000 /dev/urandom
} > "$wav"

"$bin" lld "$wav" > "$dir/out.csv" 2> "$dir/err.txt"; rc=$?
check '[ $rc -eq 0 ]' "lld on a WAV exits $rc: $(cat "$dir/err.txt")"
want="frameTime"
for n in F0 jitterLocal shimmerLocal logHNR loudness mfcc{1..13}; do want="$want;$n"; done
for n in F0 jitterLocal shimmerLocal logHNR loudness mfcc{1..13}; do want="$want;${n}_de"; done
check '[ "$(head -n 1 "$dir/out.csv")" = "$want" ]' "header differs: $(head -n 1 "$dir/out.csv")"
rows=$(($(wc -l < "$dir/out.csv") - 1))
check '[ $rows -eq 95 ]' "expected 95 rows ((16000 - 960) / 160 + 1), got $rows"
check '[ "$(awk -F";" "NR > 1 && NF != 37" "$dir/out.csv" | wc -l)" -eq 0 ]' "every row has 37 fields"
check '[ "$(sed -n 3p "$dir/out.csv" | cut -d";" -f1)" = "0.010000" ]' "frameTime of row 1 is 0.010000"
check '! grep -qi "nan\|inf" "$dir/out.csv"' "no NaN/Inf in the output"
check '[ ! -s "$dir/err.txt" ]' "nothing on stderr on success"

# errors: garbage, missing file
head -c 4000 /dev/urandom > "$dir/bad.wav"
for f in "$dir/bad.wav" "$dir/missing.flac"; do
  "$bin" lld "$f" > "$dir/o.txt" 2> "$dir/e.txt"; rc=$?
  check '[ $rc -ne 0 ]' "$f: exit code $rc"
  check '[ ! -s "$dir/o.txt" ]' "$f: stdout not empty on error"
  check '[ "$(wc -l < "$dir/e.txt")" -eq 1 ]' "$f: stderr is not one line: $(cat "$dir/e.txt")"
  check 'grep -q "^error: $f: " "$dir/e.txt"' "$f: stderr does not start with error: <file>: ($(cat "$dir/e.txt"))"
done

# usage errors
"$bin" lld > /dev/null 2>&1; rc=$?
check '[ $rc -eq 2 ]' "no FILE: exit $rc"
"$bin" lld --smooth 4 "$wav" > "$dir/o.txt" 2>&1; rc=$?
check '[ $rc -eq 2 ]' "even --smooth: exit $rc"
"$bin" lld --bogus "$wav" > /dev/null 2>&1; rc=$?
check '[ $rc -eq 2 ]' "unknown option: exit $rc"

# options change the geometry: --frame-step 0.02 halves the rows; -s is the same option
"$bin" lld --frame-step 0.02 "$wav" > "$dir/o2.csv"; rc=$?
rows2=$(($(wc -l < "$dir/o2.csv") - 1))
check '[ $rc -eq 0 ] && [ $rows2 -eq 48 ]' "--frame-step 0.02: expected 48 rows, got $rows2"
"$bin" lld -s 0.02 "$wav" > "$dir/o3.csv"
check 'cmp -s "$dir/o2.csv" "$dir/o3.csv"' "-s and --frame-step differ"
# --smooth 1 turns smoothing off: loudness (column 6) must differ from the default output
"$bin" lld -m 1 "$wav" > "$dir/o4.csv"
check '[ "$(cut -d";" -f6 "$dir/o4.csv" | md5sum)" != "$(cut -d";" -f6 "$dir/out.csv" | md5sum)" ]' "--smooth 1 changes nothing"

# -o: the same bytes as stdout, in blocks of any size (EMOFUSE_LLD_BLOCK); a failing run
# (truncated file) leaves neither OUT nor a temporary file behind
"$bin" lld "$wav" -o "$dir/o.csv"; rc=$?
check '[ $rc -eq 0 ] && cmp -s "$dir/o.csv" "$dir/out.csv"' "lld -o differs from stdout (exit $rc)"
EMOFUSE_LLD_BLOCK=7 "$bin" lld "$wav" > "$dir/b7.csv"; rc=$?
check '[ $rc -eq 0 ] && cmp -s "$dir/b7.csv" "$dir/out.csv"' "EMOFUSE_LLD_BLOCK=7 changes the CSV (exit $rc)"
head -c 20000 "$wav" > "$dir/trunc.wav"
"$bin" lld "$dir/trunc.wav" -o "$dir/t.csv" 2> "$dir/t.err"; rc=$?
check '[ $rc -eq 1 ] && [ $(wc -l < "$dir/t.err") -eq 1 ] && grep -q "trunc.wav: truncated" "$dir/t.err"' "truncated file: exit $rc, $(cat "$dir/t.err")"
check '[ -z "$(ls "$dir" | grep "^t.csv")" ]' "a failed lld -o left $(ls "$dir" | grep "^t.csv" | tr '\n' ' ')"

# against the openSMILE reference row count when ../shared is present
S=${EMOFUSE_SHARED:-}
id=03-01-01-01-02-01-08
if [ -n "$S" ] && [ -f "$S/reference/opensmile-lld/$id.csv" ]; then
  "$bin" lld "$S/data/ravdess/Actor_08/$id.flac" > "$dir/r.csv"; rc=$?
  ref_rows=$(($(wc -l < "$S/reference/opensmile-lld/$id.csv") - 1))
  rows=$(($(wc -l < "$dir/r.csv") - 1))
  check '[ $rc -eq 0 ] && [ $rows -eq $((ref_rows - 1)) ]' "RAVDESS $id: $rows rows, reference $ref_rows"
else
  echo "note: ../shared absent, RAVDESS row-count check not run"
fi

[ $fail -eq 0 ] && echo "ok: emofuse lld CLI"
exit $fail
