#!/usr/bin/env bash
# End to end: `emofuse evaluate` on hand-made prediction CSVs whose metrics are worked out
# by hand: per-run AvRec/AvAUC, folds in a directory merged, median +- IQR over runs
# (numpy's percentiles), and clean errors for files that are not predictions.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }

# Run 1: recall a = 1/2, b = 1/2 -> AvRec 50 %; AUC(a) = AUC(b) = 3/4.
cat > "$dir/run1.csv" <<'CSV'
id,p_a,p_b,predicted,label
u1,0.9,0.1,a,a
u2,0.6,0.4,a,b
u3,0.2,0.8,b,b
u4,0.3,0.7,b,a
u5,0.5,0.5,a,
CSV
# Run 2: two folds, all right -> 100 %, AUC 1.
mkdir "$dir/run2"
printf 'id,p_a,p_b,predicted,label\nu1,0.9,0.1,a,a\nu2,0.4,0.6,b,b\n' > "$dir/run2/fold1.csv"
printf 'id,p_a,p_b,predicted,label\nu3,0.2,0.8,b,b\nu4,0.7,0.3,a,a\n' > "$dir/run2/fold2.csv"
cp "$dir/run1.csv" "$dir/run3.csv"

"$bin" evaluate "$dir/run1.csv" > "$dir/one" 2> "$dir/err" || fail "single run: $(cat "$dir/err")"
grep -qE "run1.csv +4 +50.0 +0.750$" "$dir/one" || fail "run1 line: $(cat "$dir/one")"
grep -qE "^a +1 +1 +0.500 +0.750$" "$dir/one" || fail "confusion row a: $(cat "$dir/one")"

"$bin" evaluate "$dir/run1.csv" "$dir/run2" "$dir/run3.csv" > "$dir/many" 2> "$dir/err" || fail "runs: $(cat "$dir/err")"
grep -qE "run2 +4 +100.0 +1.000  \(folds merged\)" "$dir/many" || fail "merged folds: $(cat "$dir/many")"
# median(50, 100, 50) = 50, IQR = 75 - 50 = 25; AUC median 0.75, IQR 0.875 - 0.75 = 0.125.
grep -qE "median \+- IQR over runs +3 +50.0 \+- 25.0 0.750 \+- 0.125" "$dir/many" || fail "summary: $(cat "$dir/many")"

printf 'id,audio\nu1,x.wav\n' > "$dir/notpred.csv"
"$bin" evaluate "$dir/notpred.csv" > /dev/null 2> "$dir/err"
[[ $? -eq 1 ]] || fail "non-prediction file accepted"
grep -q "^error: .*notpred.csv: not a prediction file" "$dir/err" || fail "message: $(cat "$dir/err")"
"$bin" evaluate "$dir/run1.csv" "$dir/notpred.csv" > "$dir/partial" 2>/dev/null
[[ -s "$dir/partial" ]] && fail "partial table printed before an error"
printf 'id,p_a,p_b,predicted,label\nu1,zero,0.1,a,a\n' > "$dir/bad.csv"
"$bin" evaluate "$dir/bad.csv" > /dev/null 2> "$dir/err" && fail "bad number accepted"
grep -q "bad.csv: data row 1: 'zero' is not a probability" "$dir/err" || fail "bad number message: $(cat "$dir/err")"
"$bin" evaluate "$dir/nothing" > /dev/null 2> "$dir/err" && fail "missing run accepted"
mkdir "$dir/empty"
"$bin" evaluate "$dir/empty" > /dev/null 2>&1 && fail "empty directory accepted"
# Silent wrong results are errors: a fold file merged twice, a label that is not a class
# (case matters), probabilities outside 0..1, a file with no rows, an unwritable stdout.
mkdir "$dir/dup"
cp "$dir/run2/fold1.csv" "$dir/dup/a.csv"
cp "$dir/run2/fold1.csv" "$dir/dup/b.csv"
"$bin" evaluate "$dir/dup" > /dev/null 2> "$dir/err" && fail "duplicated fold accepted"
grep -q "utterance 'u1' is scored twice (.*a.csv:2 and .*b.csv:2" "$dir/err" || fail "dup message: $(cat "$dir/err")"
printf 'id,p_a,p_b,predicted,label\nu1,0.9,0.1,a,A\n' > "$dir/case.csv"
"$bin" evaluate "$dir/case.csv" > /dev/null 2> "$dir/err" && fail "label of another case accepted"
grep -q "label 'A' is not one of the p_<class> columns" "$dir/err" || fail "label message: $(cat "$dir/err")"
printf 'id,p_a,p_b,predicted,label\nu1,7,-5,a,a\n' > "$dir/range.csv"
"$bin" evaluate "$dir/range.csv" > /dev/null 2> "$dir/err" && fail "probability 7 accepted"
grep -q "'7' is not a probability (0..1)" "$dir/err" || fail "range message: $(cat "$dir/err")"
printf 'id,p_a,p_b,predicted,label\n' > "$dir/header.csv"
"$bin" evaluate "$dir/header.csv" > /dev/null 2> "$dir/err" && fail "header-only file scored"
grep -q "no labelled prediction rows" "$dir/err" || fail "empty message: $(cat "$dir/err")"
if [[ -w /dev/full ]]; then
  "$bin" evaluate "$dir/run1.csv" > /dev/full 2> "$dir/err" && fail "write to /dev/full reported success"
  grep -q "stdout: write failed" "$dir/err" || fail "full message: $(cat "$dir/err")"
fi
"$bin" evaluate --help | grep -q "median" || fail "help"
echo ok
