#!/usr/bin/env bash
# Side-by-side timing of `trailwatch ingest` against DuckDB loading the same
# delivery files itself (read_json + unnest to Parquet), and of queries on
# the store, on a corpus in the S3 delivery layout:
#
#   python3 ../shared/tools/gencorpus.py ../shared/tools/templates.jsonl /tmp/c1m 1000000
#   RUNS=3 bash bench/ingest.sh /tmp/c1m
#
# Two builds of trailwatch are timed: the default one (gunzip with the
# vendored libdeflate, through cgo) and `-tags nolibdeflate` (pure-Go gunzip
# with klauspost/compress, as in the CGO_ENABLED=0 Lambda build). Needs
# hyperfine and GNU time (/usr/bin/time).
set -euo pipefail
corpus=${1:?usage: bench/ingest.sh CORPUS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/out}
mkdir -p "$out"
go build -o "$out/trailwatch" "$here/../cmd/trailwatch"
go build -tags nolibdeflate -o "$out/trailwatch-nolibdeflate" "$here/../cmd/trailwatch"
builds=(trailwatch trailwatch-nolibdeflate)
(cd "$here/duckdb" && go build -o "$out/duckdb-query" .)
store="$out/store"
load="COPY (SELECT unnest(Records, recursive := true) FROM read_json('$corpus/**/*.json.gz', format='auto', maximum_object_size=1073741824)) TO '$out/duckdb-load.parquet' (FORMAT parquet)"

echo "== $(nproc) cores; peak RSS (one run each)"
for b in "${builds[@]}"; do
  for actors in true false; do
    rm -rf "$store"
    /usr/bin/time -f "$b ingest --actors=$actors: %M KiB max RSS, %e s, %U s user, %P CPU" \
      "$out/$b" ingest --actors=$actors --store "$store" "$corpus" 2>&1 | grep -v 'not a CloudTrail'
  done
done
/usr/bin/time -f "duckdb load: %M KiB max RSS, %e s, %U s user, %P CPU" "$out/duckdb-query" "$load"

cmds=()
for b in "${builds[@]}"; do
  cmds+=(-n "$b ingest" "$out/$b ingest --store $store $corpus > /dev/null 2>&1")
  cmds+=(-n "$b ingest --actors=false" "$out/$b ingest --actors=false --store $store $corpus > /dev/null 2>&1")
done
hyperfine --warmup 1 --runs "${RUNS:-3}" --export-markdown "$out/ingest.md" --prepare "rm -rf $store" \
  "${cmds[@]}" \
  -n 'DuckDB read_json + unnest -> Parquet' "$out/duckdb-query \"$load\" > /dev/null"

"$out/trailwatch" ingest --store "$store" "$corpus" > /dev/null 2>&1  # the runs above removed it
q1="SELECT count(*) FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin' AND timestamp = '2025/03/02'"
q2="SELECT eventtime, eventname, useridentity.arn, sourceipaddress FROM cloudtrail_logs WHERE eventtime >= '2025-03-02T00:00:00Z' AND eventname IN ('AssumeRole','ConsoleLogin') AND useridentity.type = 'IAMUser'"
q3="SELECT a.origin_type, count(*) FROM cloudtrail_logs l JOIN cloudtrail_actors a ON l.eventid = a.eventid WHERE l.eventname = 'ConsoleLogin' AND l.timestamp = '2025/03/02' GROUP BY 1"
for q in "$q1" "$q2" "$q3"; do
  echo "== query: $q"
  "$out/trailwatch" query --store "$store" "$q" | head -5 || true  # head may close the pipe early
done
hyperfine --warmup 2 --runs 10 --export-markdown "$out/query.md" \
  -n 'eventname + date' "$out/trailwatch query --store $store \"$q1\" > /dev/null" \
  -n 'eventtime range + eventname IN + useridentity.type, all matching rows' "$out/trailwatch query --store $store \"$q2\" > /dev/null" \
  -n 'eventname + date, joined to actors' "$out/trailwatch query --store $store \"$q3\" > /dev/null"
cat "$out/ingest.md" "$out/query.md"
