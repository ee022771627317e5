#!/usr/bin/env bash
# Command 2 of the README: the full test suite, exactly what CI runs (.ci/run).
#  1. install missing packages;  2. warnings-as-errors build + every CTest test;
#  3. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Tests that need ../shared (real RAVDESS audio, openSMILE references, the BERT vocab)
# skip with a message when it is absent. Slow tests run with EMOFUSE_SLOW_TESTS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
scripts/install-deps.sh
cmake -S . -B build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMOFUSE_WERROR=ON
cmake --build build-ci -j"$jobs"
(cd build-ci && ctest --output-on-failure -j"$jobs")
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DEMOFUSE_WERROR=ON -DEMOFUSE_SANITIZE=ON -DEMOFUSE_BUILD_BENCH=OFF
cmake --build build-asan -j"$jobs"
# OpenBLAS's threads and ASan's leak checker disagree about thread-local buffers: keep
# BLAS single-threaded under the sanitizers (numerics are identical).
(cd build-asan && OPENBLAS_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs" -L unit)
echo "test.sh: all tests passed"
