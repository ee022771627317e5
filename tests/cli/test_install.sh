#!/usr/bin/env bash
# `cmake --install` into a temporary prefix gives a usable library: libemofuse.so exports
# only emofuse.h's API (nm -D), the headers, emofuse.pc and the CMake package work:
# examples/classify.c builds with `pkg-config --cflags --libs emofuse` and with
# find_package(emofuse) (shared and static), and its output equals `emofuse classify`.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
build=$(dirname "$bin")
need sox
need pkg-config
p=$dir/prefix

cmake --install "$build" --prefix "$p" > "$dir/log" 2>&1 || fail "install: $(tail -5 "$dir/log")"
for f in bin/emofuse include/emofuse/emofuse.h include/emofuse/status.h include/emofuse/export.h \
         lib/libemofuse.a lib/pkgconfig/emofuse.pc lib/cmake/emofuse/emofuseConfig.cmake \
         lib/cmake/emofuse/emofuseConfigVersion.cmake; do
  [[ -e "$p/$f" ]] || fail "not installed: $f"
done
so=$(ls "$p"/lib/libemofuse.so.*.*.* 2>/dev/null | head -1)
[[ -n "$so" && -L "$p/lib/libemofuse.so" ]] || fail "no versioned libemofuse.so"

# Exported symbols: exactly the functions emofuse.h declares.
nm -D --defined-only "$so" | awk '$2 ~ /^[A-Z]$/ { print $3 }' | sort > "$dir/exported"
grep '^EF_API' "$p/include/emofuse/emofuse.h" | grep -oE '\bef_[a-z0-9_]+\(' | tr -d '(' | sort -u > "$dir/declared"
[[ -s "$dir/exported" ]] || fail "no exported symbols"
diff "$dir/declared" "$dir/exported" > "$dir/symdiff" || fail "exports differ from emofuse.h: $(cat "$dir/symdiff")"

# A model (audio + random BERT, early fusion) and one utterance.
mkdir -p "$dir/c"
echo "id,audio,transcript,emotion" > "$dir/c/m.csv"
emos=(angry happy sad neutral); base=(440 330 150 220)
for k in 0 1 2 3; do
  for i in 0 1 2; do
    sox -n -r 16000 -c 1 -b 16 "$dir/c/${emos[k]}$i.wav" synth 0.6 sine $((base[k] + i * 5)) vol 0.5
    echo "${emos[k]}$i,${emos[k]}$i.wav,\"a ${emos[k]} sentence $i\",${emos[k]}" >> "$dir/c/m.csv"
  done
done
tail -n +2 "$dir/c/m.csv" | cut -d, -f1 > "$dir/ids"
"$bin" models random-bert --texts "$dir/c/m.csv" --out "$dir/bert" --layers 2 --hidden 32 --heads 4 \
  --intermediate 64 --max-positions 64 > /dev/null 2>&1 || fail "random-bert"
"$bin" features audio --manifest "$dir/c/m.csv" --out "$dir/a.st" -q 2>/dev/null || fail "features audio"
"$bin" features text --manifest "$dir/c/m.csv" --out "$dir/t.st" --model "$dir/bert" -q 2>/dev/null || fail "features text"
"$bin" train --system ef --manifest "$dir/c/m.csv" --train-ids "$dir/ids" --audio-store "$dir/a.st" \
  --text-store "$dir/t.st" --out "$dir/ef.model" --epochs 2 --batch-size 4 --threads 1 2> "$dir/err" ||
  fail "train: $(cat "$dir/err")"
wav=$dir/c/sad1.wav text="a sad sentence 1"
"$p/bin/emofuse" classify --model "$dir/ef.model" --transcript "$text" --csv "$wav" 2> "$dir/err" | tail -1 \
  > "$dir/want" || fail "installed emofuse classify: $(cat "$dir/err")"
[[ -s "$dir/want" ]] || fail "no classify output"

# pkg-config
export PKG_CONFIG_PATH=$p/lib/pkgconfig
[[ "$(pkg-config --modversion emofuse)" == "$("$bin" --version | cut -d' ' -f2)" ]] || fail "pkg-config version"
cc -std=c11 -Wall -Werror "$src/examples/classify.c" $(pkg-config --cflags --libs emofuse) -Wl,-rpath,"$p/lib" \
  -o "$dir/ex_pc" 2> "$dir/err" || fail "cc with pkg-config: $(cat "$dir/err")"
"$dir/ex_pc" "$dir/ef.model" "$wav" "$text" > "$dir/got_pc" 2> "$dir/err" || fail "example (pkg-config): $(cat "$dir/err")"
cmp -s "$dir/want" "$dir/got_pc" || fail "example (pkg-config) '$(cat "$dir/got_pc")' vs classify '$(cat "$dir/want")'"

# CMake package, shared and static
cmake -S "$src/examples" -B "$dir/exb" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_BUILD_TYPE=Release > "$dir/log" 2>&1 ||
  fail "cmake examples: $(tail -5 "$dir/log")"
cmake --build "$dir/exb" > "$dir/log" 2>&1 || fail "build examples: $(tail -5 "$dir/log")"
[[ -x "$dir/exb/classify_static" ]] || fail "no static example (emofuse::emofuse_static missing)"
ldd "$dir/exb/classify_static" | grep -q libemofuse && fail "the static example links libemofuse.so"
for ex in classify classify_static; do
  "$dir/exb/$ex" "$dir/ef.model" "$wav" "$text" > "$dir/got_$ex" 2> "$dir/err" || fail "$ex: $(cat "$dir/err")"
  cmp -s "$dir/want" "$dir/got_$ex" || fail "$ex '$(cat "$dir/got_$ex")' vs classify '$(cat "$dir/want")'"
done
echo "ok"
