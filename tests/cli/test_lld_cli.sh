#!/usr/bin/env bash
# End-to-end checks of `emofuse lld`: --help, the exact CSV header, row count and field
# count on a generated 1 s WAV (16 kHz mono noise), errors (one "error: <file>: ..." line on
# stderr, nothing on stdout, non-zero exit), usage errors (exit 2), -o (atomic; the same bytes),
# forced tiny blocks (EMOFUSE_LLD_BLOCK), and when ../shared is
# present the row count on a RAVDESS file against the openSMILE reference.
set -u
BIN=${EMOFUSE_BIN:-build/emofuse}
[ -x "$BIN" ] || { echo "SKIP: $BIN not built"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; fi; }

# --help
out=$("$BIN" lld --help); rc=$?
check '[ $rc -eq 0 ]' "--help exit $rc"
check 'grep -q "^usage: emofuse lld" <<<"$out"' "--help prints usage"
check 'grep -q "(default 0.01)" <<<"$out" && grep -q "(default 3)" <<<"$out"' "--help prints defaults"

# 1 s of 16-bit noise in a canonical 44-byte WAV header
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"; }
wav="$T/noise.wav"
{
  printf 'RIFF'; le32 $((36 + 32000)); printf 'WAVEfmt '; le32 16
  printf '\x01\x00\x01\x00'; le32 16000; le32 32000; printf '\x02\x00\x10\x00'
  printf 'data'; le32 32000; head -c 32000 /dev/urandom
} > "$wav"

"$BIN" lld "$wav" > "$T/out.csv" 2> "$T/err.txt"; rc=$?
check '[ $rc -eq 0 ]' "lld on a WAV exits $rc: $(cat "$T/err.txt")"
want="frameTime"
for n in F0 jitterLocal shimmerLocal logHNR loudness mfcc{1..13}; do want="$want;$n"; done
for n in F0 jitterLocal shimmerLocal logHNR loudness mfcc{1..13}; do want="$want;${n}_de"; done
check '[ "$(head -n 1 "$T/out.csv")" = "$want" ]' "header differs: $(head -n 1 "$T/out.csv")"
rows=$(($(wc -l < "$T/out.csv") - 1))
check '[ $rows -eq 95 ]' "expected 95 rows ((16000 - 960) / 160 + 1), got $rows"
check '[ "$(awk -F";" "NR > 1 && NF != 37" "$T/out.csv" | wc -l)" -eq 0 ]' "every row has 37 fields"
check '[ "$(sed -n 3p "$T/out.csv" | cut -d";" -f1)" = "0.010000" ]' "frameTime of row 1 is 0.010000"
check '! grep -qi "nan\|inf" "$T/out.csv"' "no NaN/Inf in the output"
check '[ ! -s "$T/err.txt" ]' "nothing on stderr on success"

# errors: garbage, missing file
head -c 4000 /dev/urandom > "$T/bad.wav"
for f in "$T/bad.wav" "$T/missing.flac"; do
  "$BIN" lld "$f" > "$T/o.txt" 2> "$T/e.txt"; rc=$?
  check '[ $rc -ne 0 ]' "$f: exit code $rc"
  check '[ ! -s "$T/o.txt" ]' "$f: stdout not empty on error"
  check '[ "$(wc -l < "$T/e.txt")" -eq 1 ]' "$f: stderr is not one line: $(cat "$T/e.txt")"
  check 'grep -q "^error: $f: " "$T/e.txt"' "$f: stderr does not start with error: <file>: ($(cat "$T/e.txt"))"
done

# usage errors
"$BIN" lld > /dev/null 2>&1; rc=$?
check '[ $rc -eq 2 ]' "no FILE: exit $rc"
"$BIN" lld --smooth 4 "$wav" > "$T/o.txt" 2>&1; rc=$?
check '[ $rc -eq 2 ]' "even --smooth: exit $rc"
"$BIN" lld --bogus "$wav" > /dev/null 2>&1; rc=$?
check '[ $rc -eq 2 ]' "unknown option: exit $rc"

# options change the geometry: --frame-step 0.02 halves the rows; -s is the same option
"$BIN" lld --frame-step 0.02 "$wav" > "$T/o2.csv"; rc=$?
rows2=$(($(wc -l < "$T/o2.csv") - 1))
check '[ $rc -eq 0 ] && [ $rows2 -eq 48 ]' "--frame-step 0.02: expected 48 rows, got $rows2"
"$BIN" lld -s 0.02 "$wav" > "$T/o3.csv"
check 'cmp -s "$T/o2.csv" "$T/o3.csv"' "-s and --frame-step differ"
# --smooth 1 turns smoothing off: loudness (column 6) must differ from the default output
"$BIN" lld -m 1 "$wav" > "$T/o4.csv"
check '[ "$(cut -d";" -f6 "$T/o4.csv" | md5sum)" != "$(cut -d";" -f6 "$T/out.csv" | md5sum)" ]' "--smooth 1 changes nothing"

# -o: the same bytes as stdout, in blocks of any size (EMOFUSE_LLD_BLOCK); a failing run
# (truncated file) leaves neither OUT nor a temporary file behind
"$BIN" lld "$wav" -o "$T/o.csv"; rc=$?
check '[ $rc -eq 0 ] && cmp -s "$T/o.csv" "$T/out.csv"' "lld -o differs from stdout (exit $rc)"
EMOFUSE_LLD_BLOCK=7 "$BIN" lld "$wav" > "$T/b7.csv"; rc=$?
check '[ $rc -eq 0 ] && cmp -s "$T/b7.csv" "$T/out.csv"' "EMOFUSE_LLD_BLOCK=7 changes the CSV (exit $rc)"
head -c 20000 "$wav" > "$T/trunc.wav"
"$BIN" lld "$T/trunc.wav" -o "$T/t.csv" 2> "$T/t.err"; rc=$?
check '[ $rc -eq 1 ] && [ $(wc -l < "$T/t.err") -eq 1 ] && grep -q "trunc.wav: truncated" "$T/t.err"' "truncated file: exit $rc, $(cat "$T/t.err")"
check '[ -z "$(ls "$T" | grep "^t.csv")" ]' "a failed lld -o left $(ls "$T" | grep "^t.csv" | tr '\n' ' ')"

# against the openSMILE reference row count when ../shared is present
S=${EMOFUSE_SHARED:-}
id=03-01-01-01-02-01-08
if [ -n "$S" ] && [ -f "$S/reference/opensmile-lld/$id.csv" ]; then
  "$BIN" lld "$S/data/ravdess/Actor_08/$id.flac" > "$T/r.csv"; rc=$?
  ref_rows=$(($(wc -l < "$S/reference/opensmile-lld/$id.csv") - 1))
  rows=$(($(wc -l < "$T/r.csv") - 1))
  check '[ $rc -eq 0 ] && [ $rows -eq $((ref_rows - 1)) ]' "RAVDESS $id: $rows rows, reference $ref_rows"
else
  echo "note: ../shared absent, RAVDESS row-count check not run"
fi

[ $fail -eq 0 ] && echo "ok: emofuse lld CLI"
exit $fail
