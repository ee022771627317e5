#!/usr/bin/env bash
# Feature reuse is keyed on the audio file's resolved path as well as its size and mtime
# (another file with the same size and mtime, e.g. clips unpacked from one archive, used
# to reuse the stale features), and `--verify-content` keys it on the bytes instead: a
# file rewritten in place with its old size and mtime is re-extracted, a touched one is not.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need sox
cd "$dir"
sox -n -r 16000 -c 1 -b 16 a.wav synth 0.5 sine 200 2> /dev/null
sox -n -r 16000 -c 1 -b 16 b.wav synth 0.5 sine 300 2> /dev/null
touch -r a.wav b.wav
[[ $(stat -c %s a.wav) == $(stat -c %s b.wav) ]] || fail "the two clips differ in size"
printf 'id,audio\nu,a.wav\n' > ma.csv
printf 'id,audio\nu,b.wav\n' > mb.csv
"$bin" features audio -m mb.csv -o fresh_b.safetensors -q 2> err || fail "fresh b: $(cat err)"

# 1. the manifest row now points at another file of the same size and mtime
"$bin" features audio -m ma.csv -o s.safetensors -q 2> err || fail "a: $(cat err)"
"$bin" features audio -m mb.csv -o s.safetensors -q 2> err || fail "b: $(cat err)"
grep -q "(0 reused, 1 extracted)" err || fail "same size+mtime, other path was reused: $(cat err)"
cmp -s s.safetensors fresh_b.safetensors || fail "the updated store differs from a fresh build of b.wav"

# 2. same path, content replaced with the old size and mtime: only --verify-content sees it
"$bin" features audio -m ma.csv -o v.safetensors --verify-content -q 2> err || fail "v a: $(cat err)"
"$bin" features audio -m ma.csv -o v.safetensors --verify-content -q 2> err || fail "v rerun: $(cat err)"
grep -q "(1 reused, 0 extracted)" err || fail "--verify-content did not reuse an unchanged file: $(cat err)"
touch a.wav
"$bin" features audio -m ma.csv -o v.safetensors --verify-content -q 2> err || fail "v touched: $(cat err)"
grep -q "(1 reused, 0 extracted)" err || fail "--verify-content re-extracted a touched file: $(cat err)"
stamp=$(stat -c %y a.wav)
cp b.wav a.wav
touch -d "$stamp" a.wav
"$bin" features audio -m ma.csv -o v.safetensors --verify-content -q 2> err || fail "v replaced: $(cat err)"
grep -q "(0 reused, 1 extracted)" err || fail "--verify-content reused replaced content: $(cat err)"
"$bin" features audio -m ma.csv -o v2.safetensors --verify-content -q 2> /dev/null
cmp -s v.safetensors v2.safetensors || fail "the updated store differs from a fresh --verify-content build"
# text stores accept the option (they are always keyed on the transcript)
"$bin" features text --help | grep -q -- "--verify-content" || fail "features text --help lacks --verify-content"
echo ok
