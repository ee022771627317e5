#!/usr/bin/env bash
# The short variant of tests/crash/kill9_trials.sh: 3 kill -9 trials each of feature
# extraction, training and an experiment; every rerun must match the uninterrupted run.
# The full 20-trial run: tests/crash/kill9_trials.sh 20.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
# exec skips the prelude's EXIT trap, so its (unused) temporary folder goes first; the
# trials script makes and removes its own.
rmdir "$dir"
EMOFUSE_BIN=$bin exec bash "$src/tests/crash/kill9_trials.sh" 3
