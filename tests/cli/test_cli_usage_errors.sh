#!/usr/bin/env bash
# Every command and sub-command reads its options the same way (cli_getopt) and dispatches
# the same way (cli_dispatch): an unknown option, a missing value or an unknown
# sub-command is exit 2 with one "error: <command>: ..." line naming the option and the
# help to read, and nothing on stdout. lld and features audio share one LLD option set.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }

expect_usage_error() { # expected-line-regex command...
  local want=$1
  shift
  "$bin" "$@" > "$dir/out" 2> "$dir/err"
  local rc=$?
  [[ $rc -eq 2 ]] || fail "emofuse $*: exit $rc, expected 2 ($(cat "$dir/err"))"
  [[ ! -s "$dir/out" ]] || fail "emofuse $*: wrote to stdout: $(head -c 200 "$dir/out")"
  [[ $(wc -l < "$dir/err") -eq 1 ]] || fail "emofuse $*: expected one line, got: $(cat "$dir/err")"
  grep -Eq "$want" "$dir/err" || fail "emofuse $*: message '$(cat "$dir/err")' does not match '$want'"
}

for cmd in folds experiment report train predict classify evaluate embed \
           "features text" "features merge" "features stats" "features info" \
           "models fetch" "models glove-index" "models random-bert" lld "features audio"; do
  # shellcheck disable=SC2086  # "features text" is two words on purpose
  expect_usage_error "^error: $cmd: unknown option '--no-such-option' \(see emofuse $cmd --help\)$" \
    $cmd --no-such-option
done
expect_usage_error "^error: corpus: unknown option '--no-such-option' \(see emofuse corpus --help\)$" \
  corpus iemocap --no-such-option
expect_usage_error "^error: evaluate: unknown option '-Z' \(see emofuse evaluate --help\)$" evaluate -Z
expect_usage_error "^error: report: option '--out' needs a value \(see emofuse report --help\)$" report --out
expect_usage_error "^error: models fetch: option '--retries' needs a value" models fetch --retries
expect_usage_error "^error: folds: option '-k' needs a value" folds -k
expect_usage_error "^error: unknown command 'nope' \(one of: corpus, .*, evaluate; see emofuse --help\)$" nope
expect_usage_error "^error: features: unknown command 'nope' \(one of: audio, text, merge, stats, info; see emofuse features --help\)$" features nope
expect_usage_error "^error: models: unknown command 'nope' \(one of: fetch, glove-index, random-bert; see emofuse models --help\)$" models nope

# --layers is read by one parser for embed and features text: digits only, COUNT >= 1.
for v in " 9:4" "+9:4" "9:0" "9:4x" ":4" "9:" "9"; do
  re=${v//+/\\+}
  expect_usage_error "^error: --layers: expected FIRST:COUNT .*got '$re'$" embed -m m -t t -o o --layers "$v"
  expect_usage_error "^error: --layers: expected FIRST:COUNT .*got '$re'$" features text -m m -o o --model b --layers "$v"
done

# The LLD options: one name, range and message in both commands (--pitch-frame, features
# audio's old name, is an alias).
for cmd in lld "features audio"; do
  for opt in --pitch-frame-size --pitch-frame -p; do
    # shellcheck disable=SC2086
    expect_usage_error "^error: --pitch-frame-size: expected a number in \[0.001, 1\], got '5'$" $cmd $opt 5
  done
  # shellcheck disable=SC2086
  expect_usage_error "^error: $cmd: --voice-quality: 'x' is neither 'opensmile' nor 'cycles'$" $cmd --voice-quality x
done
need sox
sox -n -r 16000 -c 1 -b 16 "$dir/tone.wav" synth 0.5 sine 180 2> /dev/null || fail "sox"
"$bin" lld --pitch-frame-size 0.05 -m 5 "$dir/tone.wav" > "$dir/a.csv" || fail "lld --pitch-frame-size"
"$bin" lld -p 0.05 --smooth 5 "$dir/tone.wav" > "$dir/b.csv" || fail "lld -p"
cmp -s "$dir/a.csv" "$dir/b.csv" || fail "lld: -p/--pitch-frame-size or -m/--smooth differ"
"$bin" lld "$dir/tone.wav" | cmp -s - "$dir/a.csv" && fail "lld: --pitch-frame-size 0.05 -m 5 changed nothing"

# Help goes to stdout with exit 0, at every level.
for cmd in "" features models "models fetch" "features info" report embed lld "features audio"; do
  # shellcheck disable=SC2086
  "$bin" $cmd --help > "$dir/out" 2> "$dir/err" || fail "emofuse $cmd --help: exit $?"
  grep -q "^usage: emofuse" "$dir/out" || fail "emofuse $cmd --help: no usage line: $(head -3 "$dir/out")"
done
echo "ok: usage errors and help are uniform across commands"
