#!/usr/bin/env bash
# Checks that two builds of logstats export the same values: every corpus
# log and the first 20 MB of a generated log, each in Parquet, NDJSON and
# CSV, with one id key (so that visitor_id is comparable), alone, with a
# GeoIP database, with tiny chunks (many parts, visits across parts) and
# with --show-ips.
# NDJSON and CSV must be byte for byte the same; Parquet files must hold
# the same rows in the same order, read by DuckDB (the Python package),
# file by file, with the same schema.
#
#   benches/export-unchanged.sh OLD_BINARY [NEW_BINARY]
#   (NEW_BINARY defaults to target/release/logstats)
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1"); new=$(realpath "${2:-target/release/logstats}")
corpus=${LOGSTATS_CORPUS:-../shared/corpus}
work=$(mktemp -d "${TMPDIR:-/tmp}/export-unchanged.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The start of a generated log (benches/generated-log.sh writes one).
log=$(ls "${LOGSTATS_BENCH_DIR:-/tmp/logstats-bench}"/generated-*.log | head -1)
head -c 20000000 "$log" | sed '$d' > "$work/generated-20M.log"
printf '0123456789abcdef0123456789abcdef\n' > "$work/id.key"
geo="$corpus/geo/maxmind-test/GeoIP2-Country-Test.mmdb"
# Inputs: each corpus log alone (their layouts differ), and the generated
# one; options: none, a GeoIP database, tiny chunks, --show-ips.
inputs=("$work/generated-20M.log")
while IFS= read -r f; do inputs+=("$f"); done < <(find "$corpus/logs" -type f | sort)
options=("" "--geoip $geo" "--chunk-bytes 4096" "--show-ips")
fail=0; compared=0
for input in "${inputs[@]}"; do
  for opts in "${options[@]}"; do
    read -r -a extra <<< "$opts"
    for format in parquet ndjson csv; do
      a="$work/old"; b="$work/new"
      "$old" export "$input" "${extra[@]}" --id-key "$work/id.key" --format "$format" -o "$a" 2>"$work/old.err" &&
        ok_old=1 || ok_old=0
      "$new" export "$input" "${extra[@]}" --id-key "$work/id.key" --format "$format" -o "$b" 2>"$work/new.err" &&
        ok_new=1 || ok_new=0
      if [ $ok_old = 0 ] || [ $ok_new = 0 ]; then
        if [ $ok_old != $ok_new ] || ! cmp -s "$work/old.err" "$work/new.err"; then
          verdict="DIFFERENT outcome"
        else
          verdict="same refusal"
        fi
      elif [ "$format" = parquet ]; then
        verdict=$(python3 - "$a" "$b" <<'PY'
import duckdb, os, sys
a, b = sys.argv[1:]
def files(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)
fa, fb = files(a), files(b)
if fa != fb:
    print(f"DIFFERENT files: {fa[:3]} vs {fb[:3]}"); sys.exit()
con = duckdb.connect()
rows = 0
for f in fa:
    q = "SELECT * FROM read_parquet('{}')"
    pa, pb = os.path.join(a, f), os.path.join(b, f)
    if con.execute(q.format(pa)).fetchall() != con.execute(q.format(pb)).fetchall() or \
       con.execute("DESCRIBE " + q.format(pa)).fetchall() != con.execute("DESCRIBE " + q.format(pb)).fetchall():
        print(f"DIFFERENT rows or schema in {f}"); sys.exit()
    rows += con.execute("SELECT count(*) FROM read_parquet('{}')".format(pa)).fetchone()[0]
print(f"same ({len(fa)} files, {rows} rows)")
PY
)
      elif diff -r "$a" "$b" >/dev/null; then
        verdict="same ($(find "$a" -type f | wc -l) files, $(cat "$a"/*/* | wc -l) lines)"
      else
        verdict="DIFFERENT bytes"
      fi
      case $verdict in same*) ;; *) fail=1;; esac
      compared=$((compared + 1))
      [ "${VERBOSE:-}" ] || [ $fail = 1 ] && printf '%-40s %-20s %-8s %s\n' "$(basename "$input")" "${opts%% *}" "$format" "$verdict"
      rm -rf "$a" "$b"
    done
  done
done
if [ $fail = 0 ]; then echo "all $compared exports the same"; else echo "some exports differ"; fi
exit $fail
