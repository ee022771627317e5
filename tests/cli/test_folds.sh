#!/usr/bin/env bash
# End to end: `emofuse folds` on generated IEMOCAP / MSP-PODCAST manifests (and RAVDESS
# when ../shared is present). Every folds file is verified by an independent checker
# (tests/reference/folds_check.py); hand-built leaking fold files must be rejected by
# `--check` with a message naming the leak.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
check() { python3 "$src/tests/reference/folds_check.py" "$@" > "$dir/check" || fail "independent check of $2 ($3): $(cat "$dir/check")"; }

python3 "$src/tests/reference/corpus_fixtures.py" "$dir/fx" > /dev/null || fail "fixture generator"
cd "$dir/fx"
"$bin" corpus iemocap iemocap -o iem.csv 2>/dev/null || fail "iemocap manifest"
"$bin" corpus msp-podcast msp -o msp.csv 2>/dev/null || fail "msp manifest"

for p in random speaker loso speaker-script; do
  "$bin" folds --manifest iem.csv --by $p -o f-$p.csv 2> err || fail "$p: $(cat err)"
  check iem.csv f-$p.csv $p
  head -1 f-$p.csv | grep -q "^fold,id,role$" || fail "$p header"
  grep -qE "^fold [^:]+: train [0-9]+ \(angry [0-9]+ happy [0-9]+ neutral [0-9]+ sad [0-9]+\), test [0-9]+" err \
    || fail "$p per-fold summary: $(cat err)"
done
# SP: the five sessions are the folds; SP&SC folds are named by session too.
[[ $(cut -d, -f1 f-speaker.csv | sed 1d | sort -u | tr '\n' ' ') == "1 2 3 4 5 " ]] || fail "session folds"
[[ $(cut -d, -f1 f-loso.csv | sed 1d | sort -u | wc -l) -eq 10 ]] || fail "loso should give 10 folds"
"$bin" folds --manifest iem.csv --by speaker --k 3 -o x.csv 2> err && fail "k != sessions accepted"
grep -q "session folds" err || fail "k conflict message: $(cat err)"
# column:NAME reproduces the session folds.
"$bin" folds --manifest iem.csv --by column:session -o f-col.csv 2>/dev/null || fail "column:session"
cmp f-col.csv f-speaker.csv || fail "column:session differs from speaker folds"

# Random folds: seeded, stratified (checked above), different seeds differ.
"$bin" folds --manifest iem.csv --by random --seed 7 -o r7a.csv 2>/dev/null
"$bin" folds --manifest iem.csv --by random --seed 7 -o r7b.csv 2>/dev/null
"$bin" folds --manifest iem.csv --by random --seed 8 -o r8.csv 2>/dev/null
cmp -s r7a.csv r7b.csv || fail "same seed, different folds"
cmp -s r7a.csv r8.csv && fail "different seeds, same folds"
"$bin" folds --manifest iem.csv --by random --k 4 -o r4.csv 2>/dev/null && check iem.csv r4.csv random --k 4

# Official split (MSP-PODCAST): dev from Development, test Test1 by default.
"$bin" folds --manifest msp.csv --by split -o split.csv 2> err || fail "split: $(cat err)"
check msp.csv split.csv split
grep -q ",dev$" split.csv || fail "split has no dev rows"
"$bin" folds --manifest msp.csv --by split --test Test1,Test2 -o split2.csv 2>/dev/null || fail "split --test"
check msp.csv split2.csv split --test-values Test1,Test2
"$bin" folds --manifest iem.csv --by split -o x.csv 2> err && fail "split without a split column accepted"
grep -q "no 'split' column" err || fail "split message: $(cat err)"
"$bin" folds --manifest msp.csv --by speaker-script -o x.csv 2> err && fail "speaker-script on MSP accepted"
grep -q "no 'session' column" err || fail "speaker-script message: $(cat err)"
[[ -e x.csv ]] && fail "output written after an error"

# --- Hand-built leaking fold files are rejected (exit 1, the leak named).
reject() { # name protocol manifest file expected-substring
  "$bin" folds --manifest "$3" --by "$2" --check "$4" > /dev/null 2> err && fail "$1: leaking folds accepted"
  grep -qF "$5" err || fail "$1: message lacks '$5': $(cat err)"
}
"$bin" folds --manifest iem.csv --by speaker --check f-speaker.csv 2> err || fail "good folds rejected: $(cat err)"
grep -q "keep the speaker protocol" err || fail "check summary"
# One of fold 1's test utterances moved into fold 1's training set: its speaker's other
# utterances are still tested there.
leak=$(awk -F, '$1 == 1 && $3 == "test" { print $2; exit }' f-speaker.csv)
spk=$(awk -F, -v id="$leak" '$1 == id { print $3 }' iem.csv)
awk -F, -v OFS=, -v id="$leak" '$1 == 1 && $2 == id { $3 = "train" } 1' f-speaker.csv > leak-speaker.csv
reject speaker-leak speaker iem.csv leak-speaker.csv "fold 1: speaker '$spk' is in training"
# The independent checker must catch it too (a checker that cannot fail checks nothing).
python3 "$src/tests/reference/folds_check.py" iem.csv leak-speaker.csv speaker > /dev/null && fail "folds_check.py missed a leak"
# A script-3 utterance in training.
s3=$(awk -F, 'NR > 1 && $8 == 3 { print $1; exit }' iem.csv)
s3sess=$(awk -F, -v id="$s3" '$1 == id { print $6 }' iem.csv)
other=$(( s3sess % 5 + 1 ))
cp f-speaker-script.csv leak-script.csv
echo "$other,$s3,train" >> leak-script.csv
reject script3-train speaker-script iem.csv leak-script.csv "script-3 utterance '$s3' is in train"
# A script-1 utterance in test.
s1=$(awk -F, 'NR > 1 && $8 == 1 { print $1; exit }' iem.csv)
s1sess=$(awk -F, -v id="$s1" '$1 == id { print $6 }' iem.csv)
awk -F, -v OFS=, -v id="$s1" -v s="$s1sess" '!($1 == s && $2 == id)' f-speaker-script.csv > leak-s1.csv
echo "$s1sess,$s1,test" >> leak-s1.csv
reject script1-test speaker-script iem.csv leak-s1.csv "utterance '$s1' is in test"
# Tested twice, never tested, twice in one fold, unknown id, bad role.
t=$(awk -F, '$1 == 1 && $3 == "test" { print $2; exit }' f-random.csv)
awk -F, -v OFS=, -v id="$t" '!($1 == 2 && $2 == id)' f-random.csv > twice.csv; echo "2,$t,test" >> twice.csv
reject tested-twice random iem.csv twice.csv "'$t' is tested in fold 1 and again in fold 2"
awk -F, -v id="$t" '$2 != id || $3 != "test"' f-random.csv > never.csv
reject never-tested random iem.csv never.csv "'$t' is never tested"
cp f-random.csv dup.csv; echo "1,$t,train" >> dup.csv
reject dup-in-fold random iem.csv dup.csv "fold 1: utterance '$t' appears twice"
cp f-random.csv unknown.csv; echo "1,NoSuchUtt,train" >> unknown.csv
reject unknown-id random iem.csv unknown.csv "unknown.csv:$(wc -l < unknown.csv): utterance 'NoSuchUtt' is not in"
cp f-random.csv role.csv; echo "1,$t,holdout" >> role.csv
reject bad-role random iem.csv role.csv "role 'holdout' is not train, dev or test"
# A split file whose roles do not follow the split column.
awk -F, -v OFS=, 'NR == 2 { $3 = "test" } 1' split.csv > badsplit.csv
reject split-roles split msp.csv badsplit.csv "is in test, expected train"

# Usage errors exit 2.
"$bin" folds --manifest iem.csv --by nosuch -o x.csv > /dev/null 2>&1; [[ $? -eq 2 ]] || fail "unknown protocol"
"$bin" folds --manifest iem.csv --by random > /dev/null 2>&1; [[ $? -eq 2 ]] || fail "no -o"
"$bin" folds --manifest iem.csv --by random --k 1 -o x.csv > /dev/null 2>&1; [[ $? -eq 2 ]] || fail "k 1"

# --- RAVDESS (real manifest, 24 actors) when ../shared is present.
rav=${EMOFUSE_SHARED:-/nonexistent}/data/ravdess/manifest.csv
if [[ -f $rav ]]; then
  "$bin" corpus manifest "$rav" -o rav.csv 2>/dev/null || fail "ravdess manifest"
  for p in random speaker loso; do
    "$bin" folds --manifest rav.csv --by $p -o rav-$p.csv 2> err || fail "ravdess $p: $(cat err)"
    check rav.csv rav-$p.csv $p
  done
  [[ $(cut -d, -f1 rav-loso.csv | sed 1d | sort -u | wc -l) -eq 24 ]] || fail "ravdess loso folds"
  # 24 actors x 28 utterances into 5 folds: sizes 5/5/5/5/4 actors.
  sizes=$(awk -F, '$3 == "test" { n[$1]++ } END { for (f in n) print n[f] }' rav-speaker.csv | sort -n | tr '\n' ' ')
  [[ $sizes == "112 140 140 140 140 " ]] || fail "ravdess speaker fold sizes: $sizes"
else
  echo "note: ../shared/data/ravdess absent: RAVDESS folds skipped"
fi
echo ok
