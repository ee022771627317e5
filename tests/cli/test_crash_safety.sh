#!/usr/bin/env bash
# The short variant of tests/crash/kill9_trials.sh: 3 kill -9 trials each of feature
# extraction, training and an experiment; every rerun must match the uninterrupted run.
# The full 20-trial run: tests/crash/kill9_trials.sh 20.
set -uo pipefail
bin=${EMOFUSE_BIN:?}
src=${EMOFUSE_SRC:?}
EMOFUSE_BIN=$bin exec bash "$src/tests/crash/kill9_trials.sh" 3
