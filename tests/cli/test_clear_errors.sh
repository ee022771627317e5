#!/usr/bin/env bash
# The clear-error list of issue 11, one case each: every error names the file (and the
# line or id) and the cause; usage errors exit 2, input errors 1. Also: every command
# checks its standard output at exit (`> /dev/full` is an error, not exit 0), and train
# refuses a store its system does not read, like predict.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need sox
cd "$dir"
# expect CODE PATTERN CMD...: exit status CODE and a single stderr line matching PATTERN.
expect() {
  local code=$1 pat=$2
  shift 2
  "$@" > out 2> err
  local rc=$?
  [[ $rc -eq $code ]] || fail "$*: exit $rc, expected $code ($(cat err))"
  grep -Eq -- "$pat" err || fail "$*: message '$(cat err)' does not match '$pat'"
  [[ $(grep -c '^error' err) -eq 1 ]] || fail "$*: not exactly one error line: $(cat err)"
}
echo "id,audio,emotion" > m.csv
emos=(angry happy sad neutral)
for k in 0 1 2 3; do
  for i in 0 1; do
    sox -n -r 16000 -c 1 -b 16 "${emos[k]}_$i.wav" synth 0.4 sine $((200 + k * 100 + i * 7)) 2> /dev/null
    echo "${emos[k]}_$i,${emos[k]}_$i.wav,${emos[k]}" >> m.csv
  done
done
tail -n +2 m.csv | cut -d, -f1 > ids.txt
"$bin" features audio -m m.csv -o a.st -q 2> err || fail "features: $(cat err)"
train=(train --system audio --manifest m.csv --train-ids ids.txt --audio-store a.st --epochs 1 --threads 1)

# 1. an empty audio cell names the manifest and its row
printf 'id,audio\nq,\n' > empty.csv
expect 1 "empty.csv: data row 1: the 'audio' cell is empty" "$bin" features audio -m empty.csv -o e.st -q
# 2. sample rate 0 in a WAV header (libsndfile would say "SF_INFO struct incomplete")
cp angry_0.wav sr0.wav
printf '\0\0\0\0' | dd of=sr0.wav bs=1 seek=24 conv=notrunc 2> /dev/null
expect 1 "sr0.wav: the WAV header says 0 Hz, outside the supported 1000..384000 Hz" "$bin" lld sr0.wav
# 3. n_classes that training cannot use names the config
echo '{"n_classes": 2}' > c2.json
expect 1 "c2.json: n_classes is 2" "$bin" "${train[@]}" --out x.st --config c2.json
# 4. labels with stray spaces blame the manifest, not the ids file
sed 's/,angry$/, angry /' m.csv > spaces.csv
expect 1 "^error: spaces.csv: id 'angry_0': the emotion label ' angry ' has stray spaces" \
  "$bin" train --system audio --manifest spaces.csv --train-ids ids.txt --audio-store a.st --epochs 1 --out x.st
# 5. a text file given as a model
expect 1 "m.csv: not a safetensors file" "$bin" predict --model m.csv --audio-store a.st
# 6. a directory given as a manifest or an ids file
expect 1 "error: \.: is a directory, not a CSV file" "$bin" train --system audio --manifest . --train-ids ids.txt \
  --audio-store a.st --out x.st
expect 1 "error: \.: is a directory, not an id list" "$bin" train --system audio --manifest m.csv --train-ids . \
  --audio-store a.st --out x.st
mkdir cfgdir
expect 1 "cfgdir: is a directory" "$bin" "${train[@]}" --out x.st --config cfgdir
# 7. a missing id column and a missing audio column are both input errors (exit 1)
printf 'name,audio\na,angry_0.wav\n' > noid.csv
printf 'id,file\na,angry_0.wav\n' > noaudio.csv
expect 1 "noid.csv: no 'id' column" "$bin" features audio -m noid.csv -o q.st -q
expect 1 "^error: noaudio.csv: no 'audio' column" "$bin" features audio -m noaudio.csv -o q.st -q
# 8. one rule for stores a system does not read (train now refuses like predict)
expect 2 "--system audio takes no text features \(--text-store\)" "$bin" "${train[@]}" --out x.st --text-store a.st
[[ -e x.st ]] && fail "a refused train wrote its model"
# 9. a model config with duplicate keys / trailing text: line and column
printf '{"n_classes": 4,\n "n_classes": 4}\n' > dup.json
expect 1 "dup.json:2:2: duplicate key \"n_classes\"" "$bin" "${train[@]}" --out x.st --config dup.json
printf '{"n_classes": 4} // four\n' > trail.json
expect 1 "trail.json:1:18: invalid JSON" "$bin" "${train[@]}" --out x.st --config trail.json
# 9b. experiment files and --set objects are strict JSON too
printf '{"seeds": 3,\n "seeds": 4}\n' > exp.json
expect 1 "exp.json:2:2: duplicate key \"seeds\"" "$bin" experiment exp.json -o exp_out
expect 2 "\-\-set model:1:2: single quotes are not JSON" "$bin" experiment --set "model={'a':1}" --set manifest=m.csv -o exp_out
# 10. --layers beyond the model: one usage error before any utterance
printf 'id,transcript\na,hello world\nb,good day\n' > t.csv
"$bin" models random-bert --texts t.csv --out rb --layers 2 --hidden 16 --heads 2 > /dev/null 2> err ||
  fail "random-bert: $(cat err)"
expect 2 "layers 5..8 requested but the model has hidden states 0..2" \
  "$bin" features text -m t.csv -o t.st --model rb --layers 5:4 -q
[[ -e t.st ]] && fail "a refused features text wrote a store"

# stdout is checked at exit by every command
"$bin" "${train[@]}" --out model.st 2> err || fail "train: $(cat err)"
printf 'id,p_a,p_b,predicted,label\nu1,0.9,0.1,a,a\nu2,0.2,0.8,b,b\n' > pred.csv
for cmd in "--version" "--help" "features info a.st" "lld angry_0.wav" "evaluate pred.csv" \
           "evaluate --json pred.csv" "predict --model model.st --audio-store a.st" "train --help"; do
  # shellcheck disable=SC2086
  "$bin" $cmd > /dev/full 2> err
  rc=$?
  [[ $rc -ne 0 ]] || fail "'$cmd > /dev/full' exited 0"
  grep -Eq "error: (writing standard output|stdout): " err || fail "'$cmd > /dev/full': $(cat err)"
done
echo ok
