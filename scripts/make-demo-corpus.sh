#!/usr/bin/env bash
# Synthesises a small demo speech-emotion corpus in the exact on-disk layout of
# IEMOCAP_full_release, with espeak-ng and sox only (nothing is downloaded), so that a
# corpus reader written for the real IEMOCAP can be developed and tested without it.
#
#   scripts/make-demo-corpus.sh OUTDIR
#
# Writes OUTDIR/IEMOCAP_demo/Session1..Session5/ with, per session,
#   dialog/EmoEvaluation/<dialog>.txt (+ Categorical/, Attribute/, Self-evaluation/)
#   dialog/transcriptions/<dialog>.txt
#   dialog/wav/<dialog>.wav                    (whole dialogue)
#   sentences/wav/<dialog>/<utterance>.wav     (16 kHz, 16-bit, mono PCM)
# about 300 utterances of 1-3 s (~50 MB), plus the junk real copies carry (macOS "._*"
# files, transcript lines that do not parse). The plan (dialogues, texts, labels,
# prosody) is made by demo_corpus_plan.py from a fixed seed, so every run makes the same
# corpus. Idempotent and resumable: existing non-empty wavs are kept, each new wav is
# written under a temporary name and renamed, and a second run changes nothing.
# Synthesis runs on all cores (JOBS=N to override).
set -euo pipefail

out=${1:?usage: make-demo-corpus.sh OUTDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
planner="$here/demo_corpus_plan.py"
root="$out/IEMOCAP_demo"
jobs=${JOBS:-$(nproc)}

for tool in espeak-ng sox python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool: not installed" >&2; exit 1; }
done

mkdir -p "$root"
# Leftovers of an interrupted run (temporary names are ".<name>.part", never "*.wav",
# so a reader cannot mistake them for data); remove them before resuming.
find "$root" -name '.*.part' -type f -delete

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One synthesis job per missing utterance wav (TSV, see demo_corpus_plan.py jobs).
python3 "$planner" jobs "$root" > "$work/jobs.tsv"
n_jobs=$(wc -l < "$work/jobs.tsv")

# Synthesise one utterance: espeak-ng at the planned rate/pitch/amplitude, pitch range via
# SSML (espeak-ng has no command-line option for it), then sox resamples espeak's 22 kHz
# output to IEMOCAP's 16 kHz / 16-bit / mono and applies the label's effects, then cuts
# espeak's ~0.5 s of leading/trailing silence down to 0.1 s (IEMOCAP turns are cut
# tightly; it also keeps turns at 1-3 s). -D: no dither, so the output is bit-for-bit
# the same on every run; -V2: sox warnings such as clipping are shown.
synth_one() {
  local out voice rate pitch amp ssml fx raw part
  IFS=$'\t' read -r out voice rate pitch amp ssml fx <<< "$1"
  [[ -s "$out" ]] && return 0
  [[ "$fx" == none ]] && fx=""
  mkdir -p "$(dirname "$out")"
  raw="$work/$(basename "$out" .wav).espeak.wav"
  part="$(dirname "$out")/.$(basename "$out").part"
  espeak-ng -m -v "$voice" -s "$rate" -p "$pitch" -a "$amp" -w "$raw" "$ssml"
  # $fx is deliberately unquoted: it holds zero or more sox effect words.
  # shellcheck disable=SC2086
  sox -D -V2 "$raw" -r 16000 -c 1 -b 16 -e signed-integer -t wav "$part" $fx \
    silence 1 0.02 -50d reverse silence 1 0.02 -50d reverse pad 0.1 0.1
  mv -f "$part" "$out"
  rm -f "$raw"
}
export -f synth_one
export work

if (( n_jobs > 0 )); then
  # Lines, not words, are the unit: texts contain spaces. ($1 is expanded by the child.)
  # shellcheck disable=SC2016
  xargs -d '\n' -P "$jobs" -n 1 bash -c 'synth_one "$1"' _ < "$work/jobs.tsv"
fi

# Text files, whole-dialogue wavs and junk files; prints the one-line summary.
python3 "$planner" layout "$root" "$n_jobs"
