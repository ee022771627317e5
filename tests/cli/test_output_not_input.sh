#!/usr/bin/env bash
# No command overwrites what it reads: an output that is the same file as an input (also
# through a symlink or a second path) is a usage error (exit 2) and the input is intact.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
cd "$dir"
printf 'id,audio,emotion\nu1,a.wav,angry\n' > m.csv
: > a.wav
echo u1 > ids.txt
echo "not a store" > store.safetensors
echo "not a model" > model.safetensors
ln -s m.csv link.csv
mkdir sub && ln -s ../store.safetensors sub/s.safetensors
refuse() { # expected-input-name command...
  local want=$1
  shift
  cp m.csv m.before
  "$bin" "$@" > out 2> err
  local rc=$?
  [[ $rc -eq 2 ]] || fail "$*: exit $rc, want 2 ($(cat err))"
  grep -q "is also the input .*$want; refusing to overwrite it" err || fail "$*: message: $(cat err)"
  cmp -s m.csv m.before || fail "$*: the input changed"
}
refuse m.csv corpus manifest m.csv -o m.csv
refuse link.csv corpus manifest link.csv -o m.csv
refuse m.csv folds --manifest m.csv --by random -o link.csv
refuse store.safetensors features stats --store store.safetensors --ids ids.txt --out sub/s.safetensors
refuse ids.txt features stats --store store.safetensors --ids ids.txt --out ids.txt
refuse m.csv features audio --manifest m.csv --out m.csv
refuse m.csv train --system audio --manifest m.csv --train-ids ids.txt --audio-store store.safetensors --out link.csv
refuse store.safetensors train --system audio --manifest m.csv --train-ids ids.txt --audio-store store.safetensors --out sub/s.safetensors
refuse model.safetensors predict --model model.safetensors --audio-store store.safetensors --out model.safetensors
refuse store.safetensors features merge --out store.safetensors store.safetensors
echo ok
