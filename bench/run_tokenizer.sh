#!/usr/bin/env bash
# Tokenizer benchmark, C vs the pure-Python reference (same algorithm as HuggingFace's slow
# BertTokenizer) on the same sentences, with peak memory:
#   bench/run_tokenizer.sh [build-dir] [vocab] [n_sentences]
# Writes n generated IEMOCAP-like sentences with bench_tokenizer's generator, then times both.
# The checksums printed by the two must be equal (same ids for every sentence).
set -euo pipefail
build=${1:-build}
vocab=${2:-../shared/models/bert-base-uncased/vocab.txt}
n=${3:-5000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Same sentences for both: the C generator writes them once.
EMOFUSE_BENCH_DUMP="$tmp/sent.txt" "$build/bench/bench_tokenizer" "$vocab" - "$n" 1 > /dev/null
echo "== C (bench_tokenizer, $n sentences)"
/usr/bin/time -v "$build/bench/bench_tokenizer" "$vocab" "$tmp/sent.txt" "$n" 20 2> >(grep -E "Maximum resident" >&2)
echo "== Python reference (tests/reference/tokenizer_reference.py)"
/usr/bin/time -v /usr/bin/python3 "$here/tokenizer_python.py" "$vocab" "$tmp/sent.txt" 2> >(grep -E "Maximum resident" >&2)
