#!/usr/bin/env bash
# The harness of the end-to-end tests (tests/cli/test_*.sh): runs one script and passes
# it only when it exits 0 AND its last line of output starts with "ok", i.e. it ran to its
# final line. A script that stops early with exit 0 (a `cd` that failed, a loop over
# nothing, an `exit 0` left in) has made no checks to speak of and fails. Exit 77
# (skipped) passes through. EMOFUSE_BIN may point at another build (the ASan one).
set -uo pipefail
script=${1:?usage: run_cli_test.sh SCRIPT}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bash "$script" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
[[ $rc -eq 0 || $rc -eq 77 ]] || exit "$rc"
[[ $rc -eq 77 ]] && exit 77
last=$(grep -v '^[[:space:]]*$' "$out" | tail -1)
if [[ $last != ok* ]]; then
  echo "FAIL (harness): $script exited 0 without reaching its final 'ok' line (last line: '$last')"
  exit 1
fi
exit 0
