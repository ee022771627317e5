#!/usr/bin/env bash
# Run the GloVe index benchmark with peak memory: bench/run_glove.sh [build-dir] [n_words] [dim]
# (build-dir is the CMake build directory; the program is <build-dir>/bench/bench_glove)
# Prints bench_glove's table plus /usr/bin/time's "Maximum resident set size".
set -euo pipefail
build=${1:-build}
n=${2:-200000}
dim=${3:-300}
/usr/bin/time -v "$build/bench/bench_glove" "$n" "$dim" "${TMPDIR:-/tmp}" 2> >(grep -E "generated|Maximum resident" >&2)
