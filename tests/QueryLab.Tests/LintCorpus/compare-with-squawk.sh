#!/bin/sh
# Writes squawk's findings on this corpus to squawk-findings.txt, one "file:line rule" a line (lines 1-based, as
# QueryLab counts them), sorted. SquawkParityTests compares QueryLab's own findings with that file and with the
# differences SQUAWK.md lists. Rerun it after changing a corpus file or upgrading squawk:
#
#   npm install --prefix .querylab/tools squawk-cli      # once (squawk-cli 2.66.0 wrote the checked-in file)
#   sh tests/QueryLab.Tests/LintCorpus/compare-with-squawk.sh
#
# A file without the `-- querylab:no-transaction` line runs in a transaction under `querylab migrate`, so squawk is
# told so (--assume-in-transaction); a file with it runs outside one, which is squawk's default.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
squawk=${SQUAWK:-$here/../../../.querylab/tools/node_modules/.bin/squawk}
if [ ! -x "$squawk" ]; then
  echo "error: squawk not found at $squawk; install it with: npm install --prefix .querylab/tools squawk-cli (or set SQUAWK)" >&2
  exit 2
fi
"$squawk" --version >&2
for f in "$here"/*.sql; do
  if grep -qi '^-- *querylab:no-transaction' "$f"; then opt=""; else opt="--assume-in-transaction"; fi
  # squawk exits 1 when it has findings; its JSON is what counts.
  "$squawk" --reporter json $opt "$f" || true
done | jq -r '.[] | "\(.file | split("/") | last):\(.line + 1) \(.rule_name)"' | sort -t: -k1,1 -k2,2n > "$here/squawk-findings.txt"
echo "wrote $here/squawk-findings.txt ($(wc -l < "$here/squawk-findings.txt") findings)" >&2
