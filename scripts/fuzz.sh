#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.c with clang + libFuzzer + ASan/UBSan (build-fuzz/) and runs
# each for SECONDS (default 60). Needs Debian's clang and libclang-rt-14-dev.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DEMOFUSE_BUILD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)"
for f in build-fuzz/fuzz_*; do
  name=$(basename "$f")
  mkdir -p "build-fuzz/corpus/$name"
  dict=()
  [[ -f "fuzz/${name#fuzz_}.dict" ]] && dict=(-dict="fuzz/${name#fuzz_}.dict")
  echo "== $name ($secs s)"
  "$f" -max_total_time="$secs" -max_len=8192 "${dict[@]}" "build-fuzz/corpus/$name" 2>&1 | tail -2
done
