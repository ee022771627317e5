#!/usr/bin/env bash
# Command 1 of the README: install what is missing, build, and run the main job on a
# sample corpus that the project synthesises itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
scripts/make-sample-corpus.sh sample
build/emofuse features audio --manifest sample/manifest.csv --out sample/audio.safetensors
echo "setup: done. The CLI is build/emofuse; sample features are in sample/audio.safetensors"
