#!/usr/bin/env bash
# End to end: the demo corpus (scripts/make-demo-corpus.sh) is read by `emofuse corpus
# iemocap` like the real thing, has the properties the paper's fold experiment needs
# (scripted lines repeat word for word across sessions, improvised sentences do not; 10
# speakers over 5 sessions; all 4 classes), gives valid folds under every IEMOCAP
# protocol, and a second run of the script is a no-op.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need espeak-ng
need sox

"$src/scripts/make-demo-corpus.sh" "$dir/demo" > /dev/null 2> "$dir/err" || fail "make-demo-corpus: $(cat "$dir/err")"
# (not `find | grep -q`: with pipefail, grep's early exit makes find's SIGPIPE a failure)
[[ -n $(find "$dir/demo" -name '._*' -print -quit) ]] || fail "no AppleDouble files to skip"
before=$(find "$dir/demo" -type f -newer "$dir/err" | wc -l)
"$src/scripts/make-demo-corpus.sh" "$dir/demo" > /dev/null 2>&1 || fail "second run"
[[ $(find "$dir/demo" -type f -newer "$dir/err" | wc -l) -eq $before ]] || fail "second run rewrote files"

cd "$dir"
"$bin" corpus iemocap demo -o m.csv 2> err || fail "corpus: $(cat err)"
grep -qE "wrote m.csv: 282 utterances \(angry 70, happy 80, neutral 56, sad 76\)" err || fail "counts: $(cat err)"
grep -qE "dropped: .*xxx 5" err || fail "dropped labels: $(cat err)"
python3 - m.csv <<'PY' || fail "corpus properties"
import csv, sys
from collections import defaultdict
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
assert len({r["speaker"] for r in rows}) == 10, "10 speakers"
assert {r["session"] for r in rows} == {"1", "2", "3", "4", "5"}
sessions_of = defaultdict(set)
for r in rows:
    sessions_of[(r["script"] != "", r["transcript"])].add(r["session"])
scripted = [s for (is_script, _), s in sessions_of.items() if is_script]
improvised = [s for (is_script, _), s in sessions_of.items() if not is_script]
# Scripted lines recur across sessions (the leak speaker-script folds remove) ...
assert sum(len(s) >= 4 for s in scripted) >= 0.8 * len(scripted), "scripted lines should repeat across sessions"
# ... improvised sentences do not.
assert all(len(s) == 1 for s in improvised), "an improvised sentence repeats"
assert {r["script"] for r in rows} == {"", "1", "2", "3"}
PY
for p in random speaker speaker-script; do
  "$bin" folds --manifest m.csv --by $p -o f-$p.csv 2>/dev/null || fail "folds $p"
  python3 "$src/tests/reference/folds_check.py" m.csv f-$p.csv $p > out || fail "$p: $(cat out)"
done
echo ok
