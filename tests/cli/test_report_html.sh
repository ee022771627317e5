#!/usr/bin/env bash
# The experiment report in a real browser: a tiny experiment on the demo corpus, then
# headless Chromium loads OUT/report.html from disk with the network off: no console
# errors, Table 1 and every figure in the DOM, and a screenshot that is not blank. Also:
# `emofuse report OUT` re-creates the page byte for byte, and a partial (sharded) OUT says
# which runs are missing.
set -uo pipefail
# shellcheck source=../util/cli_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../util/cli_common.sh" || { echo "FAIL: tests/util/cli_common.sh"; exit 1; }
need espeak-ng
chromium=$(command -v chromium || true)
[[ -n $chromium ]] || { echo "SKIP: chromium not installed (scripts/install-deps.sh installs it)"; exit 77; }

demo_manifest
cd "$dir"
set_args=(--set manifest=m.csv --set systems=audio --set protocol=speaker-script,random --set seeds=2
  --set epochs.audio=2)
"$bin" experiment "${set_args[@]}" -o out -q || fail "experiment"
[[ -s out/report.html ]] || fail "no report.html"
for f in fig3.svg fig3.pdf fig3.png; do [[ -s out/$f ]] || fail "missing out/$f"; done
head -c 5 out/fig3.pdf | grep -q "%PDF-" || fail "fig3.pdf is not a PDF"
mkdir first && cp out/report.html out/fig3.* first/
"$bin" report out 2>/dev/null || fail "report"
for f in report.html fig3.svg fig3.pdf fig3.png; do
  cmp -s out/$f first/$f || fail "emofuse report did not re-create $f byte for byte"
done
grep -q "http" out/report.html && grep -qE "(src|href)=\"https?:" out/report.html && fail "the page loads something from the network"

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --user-data-dir="$dir/profile" --enable-logging=stderr --v=0)
timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$dir/out/report.html" > dom.html 2> console.txt \
  || fail "chromium --dump-dom failed: $(tail -5 console.txt)"
grep -q 'id="table1"' dom.html || fail "Table 1 is not in the rendered DOM"
grep -q "<td>audio</td>" dom.html || fail "the audio row is not in the rendered table"
grep -q 'id="significance"' dom.html || fail "the significance section is not in the rendered DOM"
grep -iE "CONSOLE.*(error|Uncaught)" console.txt && fail "console errors"
read -r n_fig n_svg < <(python3 -c '
import re, sys
d = open(sys.argv[1]).read()
figs = re.findall(r"<figure id=\"fig\d+\">(.*?)</figure>", d, re.S)
print(len(figs), sum(1 for f in figs if re.search(r"<svg[^>]*>.*<path", f, re.S)))' dom.html)
[[ $n_fig -ge 1 && $n_fig -eq $n_svg ]] || fail "figures in the page: $n_fig, with their SVG: $n_svg"
timeout 120 "$chromium" "${flags[@]}" --window-size=1200,2400 --screenshot="$dir/shot.png" \
  "file://$dir/out/report.html" > /dev/null 2>&1 || fail "screenshot"
share=$(python3 "$src/tests/util/png_stats.py" shot.png) || fail "screenshot is not a PNG"
awk -v s="$share" 'BEGIN { exit !(s > 0.01) }' || fail "the rendered page is blank (non-background share $share)"

# A partial OUT (one shard of two) names what is missing.
"$bin" experiment "${set_args[@]}" -o half --shard 1/2 -q || fail "shard"
grep -q "runs have not finished" half/report.html || fail "partial report does not say runs are missing"
grep -q "missing: audio" half/report.html || fail "partial report does not list the missing runs"
echo "ok (figures: $n_fig, non-background pixels $share)"
