#!/usr/bin/env bash
# End to end: `emofuse features audio` on a small generated corpus: a corrupt file is
# reported with its path without losing the others, the store holds the good ones with
# 36 dims, a rerun reuses everything, a touched file is recomputed, `features stats`
# and `features info` work, and bad usage fails cleanly.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need sox

mkdir -p "$dir/c/wav"
sox -n -r 16000 -c 1 -b 16 "$dir/c/wav/a.wav" synth 1.0 sine 220 vol 0.5
sox -n -r 44100 -c 2 -b 16 "$dir/c/wav/b.wav" synth 0.5 sine 150 vol 0.5
sox -n -r 8000 -c 1 "$dir/c/wav/c.flac" synth 0.7 sine 300 vol 0.3
printf 'RIFF\x10\x00\x00\x00WAVEjunkjunk' > "$dir/c/wav/broken.wav"
cat > "$dir/c/manifest.csv" <<CSV
id,audio,emotion
a,wav/a.wav,angry
b,wav/b.wav,sad
c,wav/c.flac,happy
broken,wav/broken.wav,neutral
missing,wav/missing.wav,neutral
CSV
store="$dir/audio.safetensors"
"$bin" features audio --manifest "$dir/c/manifest.csv" --out "$store" -t 2 > "$dir/out" 2> "$dir/err"
rc=$?
[[ $rc -eq 1 ]] || fail "expected exit 1 with failed files, got $rc"
grep -q "^error: .*broken.wav: " "$dir/err" || fail "no error line naming broken.wav: $(cat "$dir/err")"
grep -q "^error: .*missing.wav: " "$dir/err" || fail "no error line naming missing.wav"
grep -q "3 utterances stored" "$dir/err" || fail "summary missing: $(cat "$dir/err")"
[[ -s "$dir/out" ]] && fail "stdout must stay empty"
[[ -e "$store.parts" ]] && fail "parts folder left behind"
"$bin" features info "$store" --ids > "$dir/info" || fail "features info failed"
grep -q "^kind: audio-lld" "$dir/info" || fail "kind"
grep -q "^dims: 36" "$dir/info" || fail "dims"
grep -q "^utterances: 3" "$dir/info" || fail "count"
# 1 s at 100 frames/s: about 100 frames (fewer at the edges, never more).
a_frames=$(awk '$1=="a"{print $2}' "$dir/info")
[[ $a_frames -ge 90 && $a_frames -le 100 ]] || fail "a has $a_frames frames"

# Rerun: nothing recomputed (2 failures retried).
"$bin" features audio --manifest "$dir/c/manifest.csv" --out "$store" -q 2> "$dir/err2"
grep -q "(3 reused, 0 extracted)" "$dir/err2" || fail "rerun did not reuse: $(cat "$dir/err2")"
# Touch one file: only it is recomputed.
touch -d '2001-01-01' "$dir/c/wav/b.wav"
"$bin" features audio --manifest "$dir/c/manifest.csv" --out "$store" -q 2> "$dir/err3"
grep -q "(2 reused, 1 extracted)" "$dir/err3" || fail "touched file not recomputed: $(cat "$dir/err3")"
# Changed options invalidate everything.
"$bin" features audio --manifest "$dir/c/manifest.csv" --out "$store" -q --smooth 5 2> "$dir/err4"
grep -q "(0 reused, 3 extracted)" "$dir/err4" || fail "option change did not recompute: $(cat "$dir/err4")"

printf 'a\nc\n' > "$dir/train.txt"
"$bin" features stats --store "$store" --ids "$dir/train.txt" --out "$dir/stats.safetensors" 2>/dev/null ||
  fail "features stats failed"
[[ -s "$dir/stats.safetensors" ]] || fail "no stats file"
printf 'nope\n' > "$dir/bad.txt"
"$bin" features stats --store "$store" --ids "$dir/bad.txt" --out "$dir/s2.safetensors" 2> "$dir/err5" && fail "unknown id accepted"
grep -q "^error: .*'nope'" "$dir/err5" || fail "unknown id message: $(cat "$dir/err5")"
[[ -e "$dir/s2.safetensors" ]] && fail "partial output after failure"

"$bin" features audio --manifest "$dir/nonexistent.csv" --out "$dir/x.safetensors" 2> "$dir/err6"
[[ $? -eq 1 ]] || fail "missing manifest exit code"
grep -q "^error: .*nonexistent.csv: cannot open" "$dir/err6" || fail "missing manifest message"
"$bin" features audio --manifest "$dir/c/manifest.csv" 2>/dev/null
[[ $? -eq 2 ]] || fail "missing --out should be a usage error"
"$bin" features audio --help | grep -q -- "--frame-step" || fail "help"
echo "ok"
