#!/usr/bin/env bash
# Command 1 of the README: install what is missing, build, and run the main job: the
# paper in miniature on the demo corpus that the project synthesises itself in IEMOCAP's
# layout (espeak-ng + sox):
#   demo/IEMOCAP_demo/     the corpus (scripts/make-demo-corpus.sh)
#   demo/manifest.csv      emofuse corpus iemocap: 282 utterances of the 4 classes
#   demo/paper/            emofuse experiment --preset pepino2020 with 3 seeds: Table 1's
#                          systems on speaker-script folds and Figure 2's fold protocols
#                          (demo/paper/table1.md)
# BERT: $EMOFUSE_BERT (a HuggingFace folder, e.g. from `emofuse models fetch
# bert-base-uncased`) when set, else a randomly initialised encoder (the tables say so).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
ef=build/emofuse
scripts/make-demo-corpus.sh demo
$ef corpus iemocap demo -o demo/manifest.csv
# The demo keeps the preset's systems and protocols but trains 10 epochs, 3 seeds and
# only the default model size, so it finishes in a few minutes on 2 cores.
$ef experiment --preset pepino2020 --set manifest=demo/manifest.csv --set "bert=${EMOFUSE_BERT:-random}" \
  --set seeds=3 --set figure2.variants=default \
  --set epochs.audio=10 --set epochs.bert=10 --set epochs.ef-cs=10 --set epochs.ef-pt=10 \
  --set epochs.ef-ws=10 --set epochs.lf-pt=10 -o demo/paper
echo "setup: done. The CLI is build/emofuse; Table 1: demo/paper/table1.md; the report: demo/paper/report.html"
