#!/usr/bin/env bash
# One writer per feature store: a second `features audio` on a store that another process
# is writing fails at once naming the lock (instead of deleting the first one's parts and
# both printing success over a store with holes); temporary files left by a killed pack
# are removed by the next run.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
holder=0
# This trap replaces the prelude's: it removes "$dir" too.
trap 'kill $holder 2>/dev/null; rm -rf "$dir"' EXIT
need sox
cd "$dir"
echo "id,audio" > m.csv
for i in 1 2 3; do
  sox -n -r 16000 -b 16 -c 1 u$i.wav synth 0.3$i sine ${i}20 2>/dev/null
  echo "u$i,u$i.wav" >> m.csv
done
# Another process holds the store's advisory lock (one process, so killing it frees it).
python3 -c 'import fcntl, sys, time; f = open(sys.argv[1], "w"); fcntl.flock(f, fcntl.LOCK_EX); open("locked", "w"); time.sleep(60)' \
  s.safetensors.lock &
holder=$!
for _ in $(seq 1 200); do [[ -e locked ]] && break; sleep 0.05; done
[[ -e locked ]] || fail "the lock holder did not start"

"$bin" features audio --manifest m.csv --out s.safetensors -q > out 2> err
rc=$?
[[ $rc -eq 1 ]] || fail "second writer: exit $rc ($(cat err))"
grep -q "s.safetensors: is being written by process" err || fail "message: $(cat err)"
[[ -e s.safetensors || -e s.safetensors.parts ]] && fail "the refused run wrote something"
kill $holder
wait $holder 2>/dev/null
# A killed pack's temporary file (dead process, untouched for an hour) is cleaned up;
# a fresh one is left alone (its writer may be on another machine).
printf 'x' > s.safetensors.tmp.999999.0
touch -d '1 hour ago' s.safetensors.tmp.999999.0
printf 'x' > s.safetensors.tmp.999998.0
"$bin" features audio --manifest m.csv --out s.safetensors -q 2> err || fail "run after the lock: $(cat err)"
[[ -e s.safetensors.tmp.999999.0 ]] && fail "stale temporary file left behind"
[[ -e s.safetensors.tmp.999998.0 ]] || fail "a recent temporary file was removed"
"$bin" features info s.safetensors | grep -q "3" || fail "store content"
echo ok
