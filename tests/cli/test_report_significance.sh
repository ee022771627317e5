#!/usr/bin/env bash
# The report's statistics and the multi-corpus Figure 3: a tiny experiment on the demo
# corpus (audio, BERT from a random encoder, EF-CS; 3 seeds, 1 epoch), then
#  - tests/reference/significance_check.py recomputes OUT/significance.csv, intervals.csv
#    and table1.csv's marks from the score files with scipy / scikit-learn (Wilcoxon,
#    Holm, the bootstrap and the permutations replayed with a Python copy of ef_rng);
#  - `emofuse report OUT` re-creates every output byte for byte;
#  - report.html and table1.md carry the significance section, methods and intervals;
#  - report.bootstrap / report.permutations change the work done, bad values are usage errors;
#  - a partial OUT (a run missing) says so, and the tests say how many seeds they used;
#  - `emofuse report A B -o DIR` draws one Figure 3 panel per OUT, titled with its corpus,
#    byte-identically on a second run; one OUT gives the OUT's own one-panel figure.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need espeak-ng

demo_manifest
cd "$dir" || fail "cd $dir"
args=(--set manifest=m.csv --set systems=audio,bert,ef-cs --set bert=random --set protocol=speaker-script
  --set seeds=3 --set epochs.audio=1 --set epochs.bert=1 --set epochs.ef-cs=1)
"$bin" experiment "${args[@]}" -o out -j 2 2> err || fail "experiment: $(tail -3 err)"
[[ $(tail -1 err) == "report: out/report.html" ]] || fail "the last line is not the report's path: $(tail -1 err)"
for f in significance.csv intervals.csv seeds.csv; do [[ -s out/$f ]] || fail "missing out/$f"; done
[[ $(wc -l < out/significance.csv) -eq 4 ]] || fail "3 systems give 3 pairs: $(cat out/significance.csv)"
[[ $(wc -l < out/seeds.csv) -eq 10 ]] || fail "seeds.csv: 3 systems x 3 seeds"

/usr/bin/python3 "$src/tests/reference/significance_check.py" out > check.txt 2>&1
rc=$?
if [[ $rc -eq 77 ]]; then
  echo "note: $(cat check.txt): the recomputation is skipped"
else
  [[ $rc -eq 0 ]] || fail "significance recomputation: $(cat check.txt)"
fi
python3 "$src/tests/reference/table1_check.py" out > t1.txt || fail "table1 recomputation: $(cat t1.txt)"

# table1.csv keeps its columns first and in meaning; the new ones follow.
head -1 out/table1.csv | grep -q "^system,seeds,avrec_median,avrec_q25,avrec_q75,avrec_iqr,avauc_median,avauc_q25,avauc_q75,avauc_iqr,median_seed,epoch,recall_angry," \
  || fail "table1.csv's first columns changed: $(head -1 out/table1.csv)"
head -1 out/table1.csv | grep -q ",cm_neutral_neutral,avrec_ci_lo,avrec_ci_hi,avauc_ci_lo,avauc_ci_hi,mark,better_avauc,better_avrec$" \
  || fail "table1.csv's significance columns: $(head -1 out/table1.csv)"
grep -q "^audio,3,.*,a,," out/table1.csv || fail "audio's mark: $(grep ^audio out/table1.csv)"
grep -q "| audio (a) | 3 |" out/table1.md || fail "table1.md marks: $(grep audio out/table1.md | head -1)"
grep -q "Holm-adjusted across the 3 pairs" out/table1.md || fail "table1.md does not explain the marks"
grep -q "With 5 or fewer seeds no difference can" out/table1.md || fail "table1.md does not say 3 seeds cannot show a difference"
grep -q 'id="significance"' out/report.html || fail "no significance section"
for s in "Wilcoxon signed-rank" "paired permutation" "Holm" "percentile bootstrap" "audio vs bert" "bert vs ef-cs"; do
  grep -q "$s" out/report.html || fail "report.html lacks '$s'"
done
grep -q "Unfinished runs" out/report.html && fail "a complete OUT warns about unfinished runs"

# Re-created byte for byte.
mkdir first && cp out/table1.md out/table1.csv out/significance.csv out/intervals.csv out/seeds.csv out/report.html \
  out/fig3.* first/
"$bin" report out 2>/dev/null || fail "report"
for f in first/*; do cmp -s "$f" "out/${f#first/}" || fail "emofuse report did not re-create ${f#first/} byte for byte"; done

# Settings: fewer resamples / permutations are used and recorded; bad values are usage errors.
"$bin" experiment "${args[@]}" --set report.bootstrap=200 --set report.permutations=99 -o out -q || fail "report.* settings"
awk -F, 'NR > 1 && $10 != 200 { exit 1 }' out/intervals.csv || fail "report.bootstrap=200 not used: $(cat out/intervals.csv)"
grep -q "99 permutations" out/report.html || fail "report.permutations=99 not stated in the page"
/usr/bin/python3 "$src/tests/reference/significance_check.py" out > check.txt 2>&1
rc=$?; [[ $rc -eq 0 || $rc -eq 77 ]] || fail "recomputation with report.bootstrap=200: $(cat check.txt)"
"$bin" experiment "${args[@]}" --set report.nosuch=3 -o out -q 2> err; [[ $? -eq 2 ]] || fail "report.nosuch accepted"
grep -q "report.nosuch: unknown" err || fail "report.nosuch message: $(cat err)"
"$bin" experiment "${args[@]}" --set report.bootstrap=0 -o out -q 2> err; [[ $? -eq 2 ]] || fail "report.bootstrap=0 accepted"
"$bin" experiment "${args[@]}" -o out -q || fail "back to the defaults"
cmp -s out/significance.csv first/significance.csv || fail "the default statistics are not the same as the first time"

# A partial OUT: one BERT run missing, so bert has 2 seeds; the page and the tests say so.
cp -r out partial
run=$(ls partial/runs/bert/seed3/*.csv | grep -v '\.e[0-9]*\.csv$' | head -1)
rm -f "$run"
"$bin" report partial > /dev/null 2>&1; [[ $? -eq 3 ]] || fail "report of a partial OUT should exit 3"
[[ ! -e partial/scores/bert/seed3.csv ]] || fail "the stale merged scores of the unfinished seed stayed"
grep -q "^bert,2," partial/table1.csv || fail "bert should have 2 seeds: $(grep ^bert partial/table1.csv)"
grep -q "missing: bert seed 3" partial/report.html || fail "the partial report does not list the missing run"
grep -q "Unfinished runs: 1 system(s) have fewer than the 3 seeds of the grid (bert: 2); 2 pair(s) are tested on fewer than 3 seeds" \
  partial/report.html || fail "the significance section does not say it used fewer seeds"
grep -q "^audio,bert,2," partial/significance.csv || fail "audio vs bert should use the 2 common seeds"
grep -q "^audio,ef-cs,3," partial/significance.csv || fail "audio vs ef-cs should use 3 seeds"
/usr/bin/python3 "$src/tests/reference/significance_check.py" partial > check.txt 2>&1
rc=$?; [[ $rc -eq 0 || $rc -eq 77 ]] || fail "partial recomputation: $(cat check.txt)"

# A system with no complete seed is in no pair, and the section says so.
cp -r out partial2
for k in 1 2 3; do rm -f "$(ls partial2/runs/ef-cs/seed$k/*.csv | grep -v '\.e[0-9]*\.csv$' | head -1)"; done
"$bin" report partial2 > /dev/null 2>&1; [[ $? -eq 3 ]] || fail "report of partial2 should exit 3"
grep -q "^ef-cs," partial2/table1.csv && fail "ef-cs has no complete seed but a row"
grep -q "Not in any test yet (no seed with every fold finished): ef-cs." partial2/report.html \
  || fail "the significance section does not name the system left out"
[[ $(wc -l < partial2/significance.csv) -eq 2 ]] || fail "partial2: one pair expected: $(cat partial2/significance.csv)"
/usr/bin/python3 "$src/tests/reference/significance_check.py" partial2 > check2.txt 2>&1
rc=$?; [[ $rc -eq 0 || $rc -eq 77 ]] || fail "partial2 recomputation: $(cat check2.txt)"

# Figure 3 of two OUTs: a second corpus (audio only, named XQJZ so that its title needs
# glyphs nothing else in the figure uses).
"$bin" experiment --set manifest=m.csv --set systems=audio --set protocol=speaker --set seeds=2 --set epochs.audio=1 \
  --set corpus=XQJZ -o other -q || fail "second experiment"
"$bin" report out other -o comb > comb.txt 2>&1 || fail "combined figure: $(cat comb.txt)"
for f in svg pdf png; do [[ -s comb/fig3.$f ]] || fail "missing comb/fig3.$f"; done
grep -q 'width="504pt"' comb/fig3.svg || fail "two panels should take two columns: $(grep -o 'width="[^"]*"' comb/fig3.svg | head -1)"
mkdir comb1 && cp comb/fig3.* comb1/
"$bin" report out other -o comb > /dev/null 2>&1 || fail "combined figure again"
for f in svg pdf png; do cmp -s comb/fig3.$f comb1/fig3.$f || fail "comb/fig3.$f is not byte-identical"; done
"$bin" report out -o single > /dev/null 2>&1 || fail "one OUT with -o"
for f in svg pdf png; do cmp -s single/fig3.$f out/fig3.$f || fail "one OUT's -o figure differs from OUT/fig3.$f"; done
grep -q 'width="245pt"' single/fig3.svg || fail "one panel should take one column"
glyphs() { grep -c "<symbol" "$1"; }
"$bin" report out out -o same > /dev/null 2>&1 || fail "the same OUT twice"
# The second title draws X, Q, J, Z: glyphs the IEMOCAP panels do not have.
[[ $(glyphs comb/fig3.svg) -ge $(($(glyphs same/fig3.svg) + 3)) ]] \
  || fail "the second panel's title is not drawn ($(glyphs comb/fig3.svg) vs $(glyphs same/fig3.svg) glyphs)"
"$bin" report out other > /dev/null 2> err; [[ $? -eq 2 ]] || fail "two OUTs without -o should be a usage error"
"$bin" report out nosuch -o x > /dev/null 2> err; [[ $? -eq 1 ]] || fail "a missing OUT should fail"
grep -q "nosuch/experiment.json" err || fail "missing OUT message: $(cat err)"
[[ ! -e x/fig3.svg ]] || fail "a failed combined figure left a file"
echo "ok ($(cat check.txt | tail -1))"
