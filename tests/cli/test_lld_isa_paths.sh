#!/usr/bin/env bash
# The run-time dispatched LLD kernels (AVX-512 local-maximum scan in the pitch stage, AVX2
# cross-correlation in the voice-quality stage) give the same bytes as the portable code:
# `features audio` and `lld` under EMOFUSE_CPU=generic, avx2 and unset, on voiced
# synthetic speech-like signals (sawtooth glides with tremolo and noise) and, when
# ../shared is present, on 24 RAVDESS files. On a CPU without AVX2 / AVX-512 the higher
# levels fall back and the comparison covers less: the test says which levels it saw.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need sox

mkdir -p "$dir/w"
echo "id,audio" > "$dir/m.csv"
i=0
for f0 in 95 140 210 330; do
  sox -n -r 16000 -c 1 -b 16 "$dir/w/s$i.wav" synth 2.5 sawtooth "$f0-$((f0 * 3 / 2))" synth 2.5 sine amod 6 \
    synth 2.5 whitenoise mix vol 0.5 || fail "sox s$i.wav"
  echo "s$i,w/s$i.wav" >> "$dir/m.csv"
  i=$((i + 1))
done
rav=$src/../shared/data/ravdess
if [ -r "$rav/manifest.csv" ]; then
  awk -F, -v d="$rav" 'NR > 1 && NR % 60 == 2 { print $1 "," d "/" $2 }' "$rav/manifest.csv" >> "$dir/m.csv"
fi
n=$(($(wc -l < "$dir/m.csv") - 1))

levels=$(grep -m1 -o -w -e avx512f -e avx2 /proc/cpuinfo 2>/dev/null | sort -u | tr '\n' ' ')
for cpu in generic avx2 avx512; do
  EMOFUSE_CPU=$cpu "$bin" features audio -m "$dir/m.csv" -o "$dir/$cpu.st" -t 1 -q 2> "$dir/err" ||
    fail "features audio (EMOFUSE_CPU=$cpu): $(cat "$dir/err")"
  EMOFUSE_CPU=$cpu "$bin" lld "$dir/w/s1.wav" > "$dir/$cpu.csv" 2> "$dir/err" || fail "lld (EMOFUSE_CPU=$cpu): $(cat "$dir/err")"
done
for cpu in avx2 avx512; do
  cmp -s "$dir/generic.st" "$dir/$cpu.st" || fail "features audio: EMOFUSE_CPU=$cpu differs from generic"
  cmp -s "$dir/generic.csv" "$dir/$cpu.csv" || fail "lld: EMOFUSE_CPU=$cpu differs from generic"
done
# the unset default is the highest level the CPU has
"$bin" features audio -m "$dir/m.csv" -o "$dir/default.st" -t 1 -q 2> "$dir/err" || fail "features audio: $(cat "$dir/err")"
cmp -s "$dir/generic.st" "$dir/default.st" || fail "features audio: the default dispatch differs from generic"
[ "$("$bin" features info "$dir/default.st" 2>/dev/null | grep -c .)" -gt 0 ] || fail "features info on the store"
echo "ok: $n utterances, byte-identical stores and CSVs at EMOFUSE_CPU=generic, avx2, avx512 and unset (CPU has: ${levels:-neither avx2 nor avx512f})"
