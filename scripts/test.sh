#!/usr/bin/env bash
# Command 2 of the README: the full test suite, exactly what CI runs (.ci/run).
#  1. install missing packages;  2. warnings-as-errors build + every CTest test;
#  3. the unit tests and a selection of the end-to-end CLI tests (the fast ones; list
#     below) again under AddressSanitizer + UndefinedBehaviorSanitizer;
#  4. the unit tests and the threaded end-to-end tests under ThreadSanitizer;
#  5. with clang installed, a few seconds of every libFuzzer target (scripts/fuzz_smoke.sh).
# Tests that need ../shared (real RAVDESS audio, openSMILE references, the BERT vocab)
# skip with a message when it is absent. Slow tests run with EMOFUSE_SLOW_TESTS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
# Absolute: the sanitizer runs below cd into build-asan.
lsan_supp="$(pwd)/tests/lsan.supp"
tsan_supp="$(pwd)/tests/tsan.supp"
scripts/install-deps.sh
cmake -S . -B build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMOFUSE_WERROR=ON
cmake --build build-ci -j"$jobs"
(cd build-ci && ctest --output-on-failure -j"$jobs")
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DEMOFUSE_WERROR=ON -DEMOFUSE_SANITIZE=ON -DEMOFUSE_BUILD_BENCH=OFF
cmake --build build-asan -j"$jobs"
# OpenBLAS's threads and ASan's leak checker disagree about thread-local buffers: keep
# BLAS single-threaded under the sanitizers (numerics are identical).
(cd build-asan && OPENBLAS_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions="$lsan_supp":print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs" -L unit)
# End-to-end tests under the sanitizers: 24 of the 32 CLI tests (~4 min on 2 cores). Left
# out: crash safety (kill -9 at random moments, slow under ASan), Slurm (a real cluster),
# the model download (a local server with fault injection), install and layering (build
# and source checks, no emofuse run to sanitize). fontconfig's process-lifetime caches are
# suppressed (tests/lsan.supp). EMOFUSE_ASAN=1 skips the 10 M-row manifest of
# test_bounded_inputs.
asan_cli='cli_test_(experiment_workers|clear_errors|output_not_input|store_writers|features_reuse|features_audio|features_text|'
asan_cli+='features_shard|evaluate|evaluate_formats|bounded_inputs|predict|corpus|folds|lld_cli|'
asan_cli+='tokenize_cli|voice_quality_cli|models_random_bert|models_glove|experiment|report_html|report_significance|'
asan_cli+='classify|demo_corpus)$'
(cd build-asan && EMOFUSE_ASAN=1 OPENBLAS_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions="$lsan_supp":print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs" -R "$asan_cli")
# ThreadSanitizer: the unit tests (the thread pool, threaded LLDs, training and BERT) and
# the end-to-end tests that run workers in parallel (test_experiment_workers: an
# experiment's workers training and loading each other's branch models; parallel feature
# extraction and shards). It found two races, one of which an ASan run hit once in CI
# (workers serialising the shared settings JSON; a file-level pointer in the strict JSON
# reader). ~4 min on 2 cores; without ../shared (the RAVDESS experiment alone takes over
# 10 minutes under TSan) and without test_experiment and the report tests (4-7 minutes
# each under TSan, and no threads beyond what test_experiment_workers runs).
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DEMOFUSE_WERROR=ON -DEMOFUSE_SANITIZE_THREAD=ON -DEMOFUSE_BUILD_BENCH=OFF \
  -DEMOFUSE_SHARED_DIR=/nonexistent
cmake --build build-tsan -j"$jobs"
tsan_cli='cli_test_(experiment_workers|features_shard|features_audio|features_text|lld_cli|classify|predict|folds|demo_corpus)$'
(cd build-tsan && export OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 suppressions=$tsan_supp" &&
  ctest --output-on-failure -j"$jobs" -L unit && ctest --output-on-failure -j"$jobs" -R "$tsan_cli")
if command -v clang > /dev/null; then
  cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DEMOFUSE_BUILD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build-fuzz -j"$jobs"
  scripts/fuzz_smoke.sh build-fuzz 3
else
  echo "test.sh: clang not installed: fuzz smoke skipped"
fi
echo "test.sh: all tests passed"
