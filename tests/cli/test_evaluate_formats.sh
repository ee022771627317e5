#!/usr/bin/env bash
# `emofuse evaluate --csv / --json` (the same numbers as the table, machine-readable), long
# run names that no longer break the table, and the notes for a run that seems to lack a
# fold (a gap in numbered fold files, fewer fold files or utterances than the other runs).
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
cd "$dir"
# Run a: recall 1/2 for both classes -> AvRec 50 %, AUC 3/4. Runs b and c: folds.
printf 'id,p_a,p_b,predicted,label\nu1,0.9,0.1,a,a\nu2,0.6,0.4,a,b\nu3,0.2,0.8,b,b\nu4,0.3,0.7,b,a\n' > a.csv
mkdir b c
printf 'id,p_a,p_b,predicted,label\nu1,0.9,0.1,a,a\nu2,0.4,0.6,b,b\n' > b/fold1.csv
printf 'id,p_a,p_b,predicted,label\nu3,0.2,0.8,b,b\nu4,0.7,0.3,a,a\n' > b/fold2.csv
cp b/fold1.csv c/fold1.csv
cp b/fold2.csv c/fold3.csv   # fold2 missing

"$bin" evaluate --csv a.csv b > out.csv 2> err || fail "--csv: $(cat err)"
[[ $(head -1 out.csv) == "kind,run,n,folds,avrec_percent,avauc" ]] || fail "csv header: $(head -1 out.csv)"
grep -qx "run,a.csv,4,1,50.000000,0.750000" out.csv || fail "csv run a: $(cat out.csv)"
grep -qx "run,b,4,2,100.000000,1.000000" out.csv || fail "csv run b: $(cat out.csv)"
grep -qx "median,,2,,75.000000,0.875000" out.csv || fail "csv median: $(cat out.csv)"
grep -qx "iqr,,2,,25.000000,0.125000" out.csv || fail "csv iqr: $(cat out.csv)"
[[ -s err ]] && fail "notes for complete runs: $(cat err)"

"$bin" evaluate --json a.csv > one.json 2> err || fail "--json: $(cat err)"
python3 - one.json <<'PY' || fail "json content: $(cat one.json)"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][0]
assert r["run"] == "a.csv" and r["n"] == 4 and abs(r["avrec_percent"] - 50) < 1e-9 and abs(r["avauc"] - 0.75) < 1e-9
assert r["classes"]["a"]["recall"] == 0.5 and r["classes"]["b"]["support"] == 2
assert d["confusion"]["matrix"] == [[1, 1], [1, 1]] and d["notes"] == []
PY
"$bin" evaluate --csv --json a.csv > /dev/null 2> err
[[ $? -eq 2 ]] || fail "--csv --json together accepted"

# A gap in the fold numbers, and a run with fewer folds / utterances than the others.
"$bin" evaluate a.csv b c > t.txt 2> err || fail "text: $(cat err)"
grep -q "^note: c: fold file number 2 is missing" t.txt || fail "gap note: $(cat t.txt)"
mkdir d && cp b/fold1.csv d/fold1.csv
"$bin" evaluate --json b b d > n.json 2> err || fail "json notes: $(cat err)"
python3 -c 'import json,sys; n=json.load(open(sys.argv[1]))["notes"]; assert any("d: 1 fold files, most runs have 2" in x for x in n), n' n.json ||
  fail "count note: $(cat n.json)"
"$bin" evaluate --csv b b d > /dev/null 2> err
grep -q "^note: d: 1 fold files" err || fail "--csv notes not on stderr: $(cat err)"

# A run name longer than 40 characters widens the column instead of shifting it.
long=$(printf 'r%.0s' $(seq 1 60)).csv
cp a.csv "$long"
"$bin" evaluate "$long" b > w.txt 2> err || fail "long name: $(cat err)"
col=$(awk 'NR == 1 { print index($0, "AvRec%") }' w.txt)
[[ $(awk -v c="$col" 'NR == 3 { print substr($0, c, 6) }' w.txt) =~ ^\ *[0-9.]+$ ]] || fail "columns: $(cat w.txt)"
echo ok
