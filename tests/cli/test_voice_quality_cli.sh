#!/usr/bin/env bash
# The opt-in cycle-based voice-quality method through the CLI: `lld --voice-quality
# cycles` runs and changes only jitter/shimmer/logHNR columns, a bad value is a usage
# error, and a feature store records the method (the default's config is unchanged).
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need sox
# A buzzy 140 Hz tone with vibrato is voiced throughout.
sox -n -r 16000 -c 1 -b 16 "$dir/v.wav" synth 1.0 sawtooth 140 vol 0.5 tremolo 5 20
"$bin" lld "$dir/v.wav" > "$dir/default.csv" || fail "default lld"
"$bin" lld --voice-quality cycles "$dir/v.wav" > "$dir/cycles.csv" || fail "cycles lld"
[[ $(wc -l < "$dir/default.csv") -eq $(wc -l < "$dir/cycles.csv") ]] || fail "row counts differ"
# F0 (column 2) and the MFCCs (columns 7-19) are identical; the voice-quality columns differ.
cut -d';' -f2,6-19 "$dir/default.csv" > "$dir/a"
cut -d';' -f2,6-19 "$dir/cycles.csv" > "$dir/b"
cmp -s "$dir/a" "$dir/b" || fail "non-voice-quality columns changed"
cut -d';' -f3-5 "$dir/default.csv" > "$dir/a"
cut -d';' -f3-5 "$dir/cycles.csv" > "$dir/b"
cmp -s "$dir/a" "$dir/b" && fail "voice-quality columns identical: method not applied"
grep -q "nan\|inf" "$dir/cycles.csv" && fail "non-finite values"
"$bin" lld --voice-quality praat "$dir/v.wav" > "$dir/out" 2> "$dir/err"
[[ $? -eq 2 ]] || fail "bad method should be a usage error"
[[ -s "$dir/out" ]] && fail "stdout must stay empty on a usage error"
printf 'id,audio\nv,v.wav\n' > "$dir/m.csv"
"$bin" features audio -q --manifest "$dir/m.csv" --out "$dir/s.safetensors" 2>/dev/null || fail "store default"
"$bin" features info "$dir/s.safetensors" | grep -q voice_quality && fail "default config must not change"
"$bin" features audio -q --voice-quality cycles --manifest "$dir/m.csv" --out "$dir/s.safetensors" 2> "$dir/err" ||
  fail "store cycles"
grep -q "(0 reused, 1 extracted)" "$dir/err" || fail "method change must recompute: $(cat "$dir/err")"
"$bin" features info "$dir/s.safetensors" | grep -q '"voice_quality":"cycles"' || fail "config lacks the method"
echo ok
