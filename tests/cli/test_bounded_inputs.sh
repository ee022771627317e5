#!/usr/bin/env bash
# Bounded resources (issue 11): hostile headers and sizes fail fast with a clear error or
# run within memory bounded by the input's real size. A WAV claiming 1 Hz (once upsampled
# 32 KB -> 1.5 GB), a truncated WAV, float samples of 1e25 (once all-zero features with
# exit 0), a model config whose sizes multiply to 18e9 weights, a transcript of 1 M
# tokens, and a manifest of 10 M rows (generated here; read under a 3 GB address-space
# limit). Under the sanitizers (EMOFUSE_ASAN=1) the 10 M-row case is skipped: ASan
# reserves terabytes of address space and is ~10x slower.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
fixtures=${EMOFUSE_FIXTURES:?}
need sox
cd "$dir"
sox -n -r 16000 -c 1 -b 16 a.wav synth 1 sine 200 2> /dev/null
# 1. header sample rate 1 Hz (and its byte rate)
cp a.wav one_hz.wav
printf '\x01\0\0\0\x02\0\0\0' | dd of=one_hz.wav bs=1 seek=24 conv=notrunc 2> /dev/null
"$bin" lld one_hz.wav > /dev/null 2> err
[[ $? -eq 1 ]] && grep -q "one_hz.wav: the WAV header says 1 Hz, outside the supported 1000..384000 Hz" err ||
  fail "1 Hz: $(cat err)"
# 2. a truncated WAV: both counts named
head -c 16044 a.wav > cut.wav
"$bin" lld cut.wav > /dev/null 2> err
[[ $? -eq 1 ]] && grep -q "cut.wav: truncated: the header promises 16000 sample frames, the file holds 8000" err ||
  fail "truncated: $(cat err)"
# 3. float samples of 1e25: an error, not silence
sox -n -r 16000 -c 1 -e floating-point -b 32 f.wav synth 0.5 sine 200 vol 0.5 2> /dev/null
python3 - f.wav huge.wav <<'PY' || fail "python"
import sys, array
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"data") + 8
a = array.array("f"); a.frombytes(bytes(d[i:])); a = array.array("f", [x * 1e25 for x in a])
d[i:] = a.tobytes(); open(sys.argv[2], "wb").write(d)
PY
"$bin" lld huge.wav > out.csv 2> err
[[ $? -eq 1 ]] && grep -q "huge.wav: .*overflows single precision" err || fail "1e25 amplitude: $(cat err)"
[[ -s out.csv ]] && fail "1e25 amplitude: features written"
# 4. a model config whose sizes multiply past the weight limit
printf 'id,audio,emotion\nx,a.wav,angry\ny,f.wav,sad\n' > m.csv
printf 'x\ny\n' > ids.txt
"$bin" features audio -m m.csv -o s.st -q 2> err || fail "features: $(cat err)"
echo '{"audio": {"conv1_filters": 60000, "conv2_filters": 60000}}' > huge.json
"$bin" train --system audio --manifest m.csv --train-ids ids.txt --audio-store s.st --out x.st --config huge.json \
  --epochs 1 > /dev/null 2> err
[[ $? -eq 1 ]] && grep -q "huge.json: model config: about 18011040000 weights .* more than the supported" err ||
  fail "huge config: $(cat err)"
# 5. a transcript of 1 M tokens: tokenized in bounded time and memory ([CLS] ... [SEP])
awk 'BEGIN { for (i = 0; i < 500000; i++) printf "hello world "; print "" }' > long.txt
"$bin" tokenize --vocab "$fixtures/tokenizer/tiny_vocab.txt" < long.txt > ids.out 2> err || fail "tokenize: $(cat err)"
[[ $(wc -w < ids.out) -eq 1000002 ]] || fail "1 M tokens: $(wc -w < ids.out) ids"
if [[ ${EMOFUSE_SLOW_TESTS:-0} == 1 ]]; then # BERT features of it: ~20 s
  printf 'id,transcript\na,%s\n' "$(cat long.txt)" > long.csv
  "$bin" models random-bert --texts long.csv --out rb --layers 2 --hidden 16 --heads 2 > /dev/null 2>&1 || fail "rb"
  "$bin" features text -m long.csv -o long.st --model rb -q 2> err || fail "1 M-token BERT: $(cat err)"
  "$bin" features info long.st | grep -q "frames: 1000000" || fail "1 M-token BERT frames"
fi
# 6. a manifest of 10 M rows, read under an address-space limit of 3 GB
if [[ ${EMOFUSE_ASAN:-0} != 1 ]]; then
  awk 'BEGIN { print "id,audio"; for (i = 0; i < 10000000; i++) printf "u%d,a%d.wav\n", i, i }' > big.csv
  # one worker and one BLAS thread: per-thread malloc arenas and BLAS buffers reserve
  # address space in proportion to the core count, which is not what is measured here
  ( ulimit -v 3000000; OPENBLAS_NUM_THREADS=1 "$bin" features audio -m big.csv --shard 1000000/1000000 -o big.st \
      -t 1 -q ) > /dev/null 2> err
  rc=$?
  [[ $rc -eq 1 ]] || fail "10 M rows: exit $rc ($(tail -3 err))"
  grep -q "manifest rows 9999991-10000000 of 10000000): 0 utterances stored (0 reused, 0 extracted), 10 failed" err ||
    fail "10 M rows: $(tail -2 err)"
fi
echo ok
