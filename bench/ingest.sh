#!/usr/bin/env bash
# Side-by-side timing of `trailwatch ingest` against DuckDB loading the same
# delivery files itself (read_json + unnest to Parquet), and of a query on
# the store, on a corpus in the S3 delivery layout:
#
#   python3 ../shared/tools/gencorpus.py ../shared/tools/templates.jsonl /tmp/c1m 1000000
#   bash bench/ingest.sh /tmp/c1m
set -euo pipefail
corpus=${1:?usage: bench/ingest.sh CORPUS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/out}
mkdir -p "$out"
go build -o "$out/trailwatch" "$here/../cmd/trailwatch"
(cd "$here/duckdb" && go build -o "$out/duckdb-query" .)
store="$out/store"
load="COPY (SELECT unnest(Records, recursive := true) FROM read_json('$corpus/**/*.json.gz', format='auto', maximum_object_size=1073741824)) TO '$out/duckdb-load.parquet' (FORMAT parquet)"

echo "== peak RSS"
rm -rf "$store"
/usr/bin/time -f "trailwatch ingest: %M KiB max RSS, %e s, %P CPU" "$out/trailwatch" ingest --store "$store" "$corpus" 2>&1 | grep -v 'not a CloudTrail'
/usr/bin/time -f "duckdb load: %M KiB max RSS, %e s, %P CPU" "$out/duckdb-query" "$load"
q="SELECT count(*) FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin' AND timestamp = '2025/03/02'"
echo "== query: $q"
"$out/trailwatch" query --store "$store" "$q"

hyperfine --warmup 1 --runs "${RUNS:-3}" --export-markdown "$out/ingest.md" \
  --prepare "rm -rf $store" \
  -n 'trailwatch ingest (2 cores)' "$out/trailwatch ingest --store $store $corpus > /dev/null 2>&1" \
  -n 'DuckDB read_json + unnest -> Parquet' "$out/duckdb-query \"$load\" > /dev/null"
"$out/trailwatch" ingest --store "$store" "$corpus" > /dev/null 2>&1  # the runs above removed it
hyperfine --warmup 2 --runs 10 --export-markdown "$out/query.md" \
  -n 'trailwatch query (eventname + date)' "$out/trailwatch query --store $store \"$q\" > /dev/null"
cat "$out/ingest.md" "$out/query.md"
