#!/usr/bin/env bash
# Side-by-side timing of `trailwatch match` against the tools users would
# otherwise use, on a corpus in the S3 delivery layout.
#
#   python3 ../shared/tools/gencorpus.py ../shared/tools/templates.jsonl /tmp/c1m 1000000
#   bash bench/match.sh /tmp/c1m
#
# Needs: hyperfine (apt-get install hyperfine), jq, zcat; DuckDB through the
# small Go program in bench/duckdb (built here with cgo on first use).
set -euo pipefail
corpus=${1:?usage: bench/match.sh CORPUS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/out}
mkdir -p "$out"
go build -o "$out/trailwatch" "$here/../cmd/trailwatch"
(cd "$here/duckdb" && go build -o "$out/duckdb-query" .)

files="$out/files.txt"
find "$corpus" -name '*.json.gz' -print0 > "$files"
pattern='{ ($.eventName = ConsoleLogin) || ($.eventName = AssumeRole) }'
sql="SELECT count(*) FROM (SELECT unnest(Records) AS r FROM read_json('$corpus/**/*.json.gz', format='auto', maximum_object_size=1073741824)) WHERE r.eventName IN ('ConsoleLogin','AssumeRole')"

echo "== counts (all four must agree)"
echo "trailwatch: $("$out/trailwatch" match "$pattern" "$corpus" 2>/dev/null | wc -l)"
echo "jq:         $("$here/jq-match.sh" "$files" | wc -l)"
echo "duckdb:     $("$out/duckdb-query" "$sql")"

echo "== peak RSS of trailwatch"
/usr/bin/time -f "match: %M KiB max RSS, %e s, %P CPU" "$out/trailwatch" match "$pattern" "$corpus" > /dev/null
/usr/bin/time -f "scan --pack cis --pack seeds: %M KiB max RSS, %e s, %P CPU" "$out/trailwatch" scan --pack cis --pack seeds "$corpus" > /dev/null 2>"$out/scan.stderr" || tail -1 "$out/scan.stderr"

echo "== timings"
hyperfine --warmup 1 --runs "${RUNS:-3}" --export-markdown "$out/match.md" \
  -n 'zcat (decompression floor, 1 core)' "xargs -0 zcat < $files > /dev/null" \
  -n 'trailwatch match (2 cores)' "$out/trailwatch match '$pattern' $corpus > /dev/null" \
  -n 'trailwatch match --workers 1' "$out/trailwatch match --workers 1 '$pattern' $corpus > /dev/null" \
  -n 'trailwatch scan --pack cis --pack seeds (18 filters, 17 alarms)' "$out/trailwatch scan --pack cis --pack seeds $corpus > /dev/null 2>&1" \
  -n "jq -c '.Records[] | select(...)' (1 core)" "$here/jq-match.sh $files > /dev/null" \
  -n "DuckDB read_json + unnest" "$out/duckdb-query \"$sql\" > /dev/null"
cat "$out/match.md"
