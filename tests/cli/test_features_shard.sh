#!/usr/bin/env bash
# End to end: sharded feature extraction and `emofuse features merge`.
#  - `features audio|text --shard I/N` stores exactly the I-th contiguous block of manifest
#    rows; shards 1/3, 2/3, 3/3 merged in order equal the unsharded store byte for byte
#    (audio, GloVe) or tensor by tensor (BERT), checked with a stdlib safetensors reader;
#    merged in another order they hold the same tensors; an unsharded rerun on the merged
#    store reuses everything; a shard with no rows is a valid (empty) store;
#  - merge refuses a part of another kind or config, an id in two parts, an unfinished
#    part and a missing file, with one error line naming the part and no output;
#  - bad --shard values and a merge without parts or --out are usage errors (exit 2).
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
fix=${EMOFUSE_FIXTURES:?}
need sox
py=python3
[[ -x /usr/bin/python3 ]] && py=/usr/bin/python3

# A safetensors reader independent of emofuse: same ids, shapes, values (|a-b| <= atol),
# kind/dims/columns/config and sources; prints the ids in file order with -ids.
cat > "$dir/st.py" <<'PY'
import json, struct, sys
def read(path):
    with open(path, 'rb') as f:
        b = f.read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8 + n])
    meta = h.pop('__metadata__', {})
    base = 8 + n
    t = {}
    for k, v in sorted(h.items(), key=lambda kv: kv[1]['data_offsets'][0]):
        s, e = v['data_offsets']
        assert v['dtype'] == 'F32', (path, k)
        raw = b[base + s:base + e]
        t[k] = (tuple(v['shape']), struct.unpack('<%df' % (len(raw) // 4), raw))
    return meta, t
if sys.argv[1] == '-ids':
    print('\n'.join(read(sys.argv[2])[1]))
    sys.exit(0)
(am, a), (bm, b) = read(sys.argv[1]), read(sys.argv[2])
atol = float(sys.argv[3])
assert sorted(a) == sorted(b), ('ids differ', sorted(a), sorted(b))
for k in a:
    assert a[k][0] == b[k][0], ('shape', k, a[k][0], b[k][0])
    d = max((abs(x - y) for x, y in zip(a[k][1], b[k][1])), default=0.0)
    assert d <= atol, ('values', k, d)
for key in ('emofuse.kind', 'emofuse.dims', 'emofuse.columns', 'emofuse.config'):
    assert am.get(key) == bm.get(key), ('metadata', key)
assert json.loads(am['emofuse.sources']) == json.loads(bm['emofuse.sources']), 'sources'
PY
same() { "$py" "$dir/st.py" "$1" "$2" "${3:-0}" || fail "$1 and $2 differ"; }

mkdir -p "$dir/c/wav"
n=0
for spec in "0.4 220" "0.7 150" "0.3 300" "1.0 180" "0.5 260" "0.6 120" "0.8 340"; do
  n=$((n + 1))
  set -- $spec
  sox -n -r 16000 -c 1 -b 16 "$dir/c/wav/u$n.wav" synth "$1" sine "$2" vol 0.5
done
printf 'RIFF\x10\x00\x00\x00WAVEjunkjunk' > "$dir/c/wav/broken.wav"
cat > "$dir/c/m.csv" <<'CSV'
id,audio,transcript
u1,wav/u1.wav,a cab bad
u2,wav/u2.wav,"Hello, dad!"
u3,wav/u3.wav,
u4,wav/u4.wav,bad a bad a cab
u5,wav/u5.wav,hello hello
broken,wav/broken.wav,a dab
u6,wav/u6.wav,dad
u7,wav/u7.wav,cab bad
CSV
m="$dir/c/m.csv"
parts() { for i in "$@"; do printf '%s\n' "$dir/$kind.part$i.safetensors"; done; }

# --- audio: shards 1..3 (8 rows: 1-2, 3-5, 6-8; "broken" fails in shard 3) -----------
"$bin" features audio --manifest "$m" --out "$dir/audio.safetensors" -t 2 -q 2> "$dir/err"
[[ $? -eq 1 ]] || fail "unsharded audio should report the broken file: $(cat "$dir/err")"
kind=audio
for i in 1 2 3; do
  "$bin" features audio --manifest "$m" --out "$dir/audio.part$i.safetensors" --shard $i/3 -t 2 2> "$dir/err$i"
  rc=$?
  want=0; [[ $i -eq 3 ]] && want=1
  [[ $rc -eq $want ]] || fail "audio shard $i/3: exit $rc, expected $want: $(cat "$dir/err$i")"
done
grep -q "shard 2/3 (manifest rows 3-5 of 8): 3 utterances stored" "$dir/err2" || fail "shard summary: $(cat "$dir/err2")"
grep -q "^error: .*broken.wav: " "$dir/err3" || fail "shard 3 does not name broken.wav: $(cat "$dir/err3")"
# Contiguous blocks in manifest order.
[[ "$("$py" "$dir/st.py" -ids "$dir/audio.part1.safetensors" | tr '\n' ' ')" == "u1 u2 " ]] || fail "shard 1/3 ids"
[[ "$("$py" "$dir/st.py" -ids "$dir/audio.part2.safetensors" | tr '\n' ' ')" == "u3 u4 u5 " ]] || fail "shard 2/3 ids"
[[ "$("$py" "$dir/st.py" -ids "$dir/audio.part3.safetensors" | tr '\n' ' ')" == "u6 u7 " ]] || fail "shard 3/3 ids"

mapfile -t p < <(parts 1 2 3)
"$bin" features merge --out "$dir/audio.merged.safetensors" "${p[@]}" > "$dir/out" 2> "$dir/err" ||
  fail "merge: $(cat "$dir/err")"
[[ -s "$dir/out" ]] && fail "merge: stdout must stay empty"
grep -q "7 utterances from 3 parts" "$dir/err" || fail "merge summary: $(cat "$dir/err")"
cmp -s "$dir/audio.merged.safetensors" "$dir/audio.safetensors" || fail "merged audio store is not the unsharded one"
same "$dir/audio.merged.safetensors" "$dir/audio.safetensors"
"$bin" features info "$dir/audio.merged.safetensors" > "$dir/i1" && "$bin" features info "$dir/audio.safetensors" > "$dir/i2" ||
  fail "features info"
cmp -s "$dir/i1" "$dir/i2" || fail "features info differs"
mapfile -t p < <(parts 3 1 2)
"$bin" features merge --out "$dir/audio.312.safetensors" "${p[@]}" 2> "$dir/err" || fail "merge 3 1 2: $(cat "$dir/err")"
same "$dir/audio.312.safetensors" "$dir/audio.safetensors"
mapfile -t ids < <("$py" "$dir/st.py" -ids "$dir/audio.312.safetensors")
[[ "${ids[*]}" == "u6 u7 u1 u2 u3 u4 u5" ]] || fail "merge must keep the parts' order: ${ids[*]}"
# The merged store is a normal store: an unsharded run reuses all of it.
"$bin" features audio --manifest "$m" --out "$dir/audio.merged.safetensors" -q 2> "$dir/err"
grep -q "(7 reused, 0 extracted)" "$dir/err" || fail "merged store not reused: $(cat "$dir/err")"

# --- text: GloVe (exact) and the tiny BERT (within 1e-5: other batches) -----------------
cat > "$dir/glove.txt" <<'TXT'
a 0.1 0.2 0.3
bad 1 2 3
dab -1 -2 -3
hello 0.5 0.5 0.5
, 0 0 1
! 0 1 0
TXT
"$bin" features text --manifest "$m" --out "$dir/glove.safetensors" --glove "$dir/glove.txt" -q 2> "$dir/err" ||
  fail "glove: $(cat "$dir/err")"
kind=glove
for i in 1 2 3; do
  "$bin" features text --manifest "$m" --out "$dir/glove.part$i.safetensors" --glove "$dir/glove.txt" --shard $i/3 -q \
    2> "$dir/err" || fail "glove shard $i/3: $(cat "$dir/err")"
done
grep -q "words (.*) not in the GloVe vocabulary" "$dir/err" || fail "shard OOV report: $(cat "$dir/err")"
mapfile -t p < <(parts 1 2 3)
"$bin" features merge --out "$dir/glove.merged.safetensors" "${p[@]}" 2> "$dir/err" || fail "glove merge: $(cat "$dir/err")"
cmp -s "$dir/glove.merged.safetensors" "$dir/glove.safetensors" || fail "merged GloVe store is not the unsharded one"
same "$dir/glove.merged.safetensors" "$dir/glove.safetensors"

"$bin" features text --manifest "$m" --out "$dir/bert.safetensors" --model "$fix/bert/tiny" --batch 3 -q 2> "$dir/err" ||
  fail "bert: $(cat "$dir/err")"
kind=bert
for i in 1 2 3; do
  "$bin" features text --manifest "$m" --out "$dir/bert.part$i.safetensors" --model "$fix/bert/tiny" --batch 3 \
    --shard $i/3 -q 2> "$dir/err" || fail "bert shard $i/3: $(cat "$dir/err")"
done
mapfile -t p < <(parts 1 2 3)
"$bin" features merge --out "$dir/bert.merged.safetensors" "${p[@]}" 2> "$dir/err" || fail "bert merge: $(cat "$dir/err")"
same "$dir/bert.merged.safetensors" "$dir/bert.safetensors" 1e-5

# More shards than rows: some shards are empty stores, and the merge is still complete.
head -4 "$m" > "$dir/c/m3.csv"
"$bin" features text --manifest "$dir/c/m3.csv" --out "$dir/g3.safetensors" --glove "$dir/glove.txt" -q 2>/dev/null ||
  fail "glove of 3 rows"
kind=g3
for i in 1 2 3 4 5; do
  "$bin" features text --manifest "$dir/c/m3.csv" --out "$dir/g3.part$i.safetensors" --glove "$dir/glove.txt" \
    --shard $i/5 -q 2> "$dir/err$i" || fail "shard $i/5 of 3 rows: $(cat "$dir/err$i")"
done
grep -q "shard 1/5 (none of the 3 manifest rows): 0 utterances stored" "$dir/err1" || fail "empty shard: $(cat "$dir/err1")"
"$bin" features info "$dir/g3.part1.safetensors" > "$dir/info" || fail "features info of an empty shard"
grep -q "^utterances: 0" "$dir/info" || fail "empty shard store: $(cat "$dir/info")"
mapfile -t p < <(parts 1 2 3 4 5)
"$bin" features merge --out "$dir/g3.merged.safetensors" "${p[@]}" 2>/dev/null || fail "merge with empty parts"
cmp -s "$dir/g3.merged.safetensors" "$dir/g3.safetensors" || fail "merge with empty parts is not the unsharded store"

# --- merge refuses what does not belong together ----------------------------------------
refuse() { # refuse WHAT PATTERN PART...
  local what=$1 pat=$2
  shift 2
  "$bin" features merge --out "$dir/bad.safetensors" "$@" > /dev/null 2> "$dir/err"
  [[ $? -eq 1 ]] || fail "$what: merge should fail with exit 1"
  [[ $(wc -l < "$dir/err") -eq 1 ]] || fail "$what: expected one error line: $(cat "$dir/err")"
  grep -q "^error: $pat" "$dir/err" || fail "$what: message: $(cat "$dir/err")"
  [[ -e "$dir/bad.safetensors" ]] && fail "$what: output written despite the error"
  compgen -G "$dir/bad.safetensors.tmp*" > /dev/null && fail "$what: temporary file left behind"
  return 0
}
refuse "other kind" "$dir/glove.part2.safetensors: a 'glove' store, but $dir/audio.part1.safetensors is 'audio-lld'" \
  "$dir/audio.part1.safetensors" "$dir/glove.part2.safetensors"
"$bin" features audio --manifest "$m" --out "$dir/smooth.part2.safetensors" --shard 2/3 --smooth 5 -q 2>/dev/null ||
  fail "audio shard with --smooth 5"
refuse "other config" "$dir/smooth.part2.safetensors: extracted with other settings than $dir/audio.part1.safetensors" \
  "$dir/audio.part1.safetensors" "$dir/smooth.part2.safetensors"
"$bin" features audio --manifest "$m" --out "$dir/audio.half1.safetensors" --shard 1/2 -q 2>/dev/null || fail "audio shard 1/2"
refuse "duplicate id" "$dir/audio.half1.safetensors: utterance 'u1' is also in $dir/audio.part1.safetensors" \
  "$dir/audio.part1.safetensors" "$dir/audio.half1.safetensors"
mkdir "$dir/audio.part2.safetensors.parts"
refuse "unfinished part" "$dir/audio.part2.safetensors: its build did not finish" \
  "$dir/audio.part1.safetensors" "$dir/audio.part2.safetensors"
rmdir "$dir/audio.part2.safetensors.parts"
refuse "missing part" "$dir/nope.safetensors: " "$dir/audio.part1.safetensors" "$dir/nope.safetensors"

# --- usage errors ---------------------------------------------------------------------
for s in 0/3 4/3 x 1/0 3 /3 2/3x -1/3 ""; do
  "$bin" features audio --manifest "$m" --out "$dir/u.safetensors" --shard "$s" -q 2> "$dir/err"
  [[ $? -eq 2 ]] || fail "--shard '$s' should be a usage error"
  grep -q "^error: --shard: expected I/N" "$dir/err" || fail "--shard '$s' message: $(cat "$dir/err")"
  [[ -e "$dir/u.safetensors" ]] && fail "--shard '$s': output written"
done
"$bin" features text --manifest "$m" --out "$dir/u.safetensors" --glove "$dir/glove.txt" --shard 4/3 2>/dev/null
[[ $? -eq 2 ]] || fail "features text --shard 4/3 should be a usage error"
"$bin" features merge --out "$dir/u.safetensors" 2>/dev/null
[[ $? -eq 2 ]] || fail "merge without parts should be a usage error"
"$bin" features merge "$dir/audio.part1.safetensors" 2>/dev/null
[[ $? -eq 2 ]] || fail "merge without --out should be a usage error"
for k in audio text merge; do
  "$bin" features $k --help > "$dir/help" || fail "features $k --help"
  grep -q -- "--$([[ $k == merge ]] && echo out || echo shard)" "$dir/help" || fail "features $k --help: $(cat "$dir/help")"
done
echo ok
