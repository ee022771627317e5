#!/usr/bin/env bash
# Command 1 of the README: install what is missing, build, and run the main job on the
# demo corpus that the project synthesises itself in IEMOCAP's layout (espeak-ng + sox):
#   demo/IEMOCAP_demo/    the corpus (scripts/make-demo-corpus.sh)
#   demo/manifest.csv     emofuse corpus iemocap: 285 utterances of the 4 classes
#   demo/folds.csv        emofuse folds --by speaker-script (the paper's SP&SC folds)
#   demo/audio.safetensors  36-dim LLD features of every utterance
#   demo/fold1/           an audio model trained on fold 1 and its test predictions
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
ef=build/emofuse
scripts/make-demo-corpus.sh demo
$ef corpus iemocap demo -o demo/manifest.csv
$ef folds --manifest demo/manifest.csv --by speaker-script -o demo/folds.csv
$ef features audio --manifest demo/manifest.csv --out demo/audio.safetensors
mkdir -p demo/fold1
awk -F, '$1 == 1 && $3 == "train" { print $2 }' demo/folds.csv > demo/fold1/train.ids
awk -F, '$1 == 1 && $3 == "test" { print $2 }' demo/folds.csv > demo/fold1/test.ids
$ef train --system audio --manifest demo/manifest.csv --audio-store demo/audio.safetensors \
  --train-ids demo/fold1/train.ids --out demo/fold1/audio.model
$ef predict --model demo/fold1/audio.model --audio-store demo/audio.safetensors \
  --ids demo/fold1/test.ids --manifest demo/manifest.csv --out demo/fold1/predictions.csv
echo "setup: done. The CLI is build/emofuse; the demo corpus and its results are in demo/"
