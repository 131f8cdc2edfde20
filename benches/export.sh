#!/usr/bin/env bash
# The cost of `logstats export` against the full report, on a generated
# log: runs `report --format json` and `export --format FORMAT` in turn
# (report, export, report, export, ...), so that a machine whose speed
# drifts slows both alike, and prints each one's median wall time, the
# median of the per-pair ratios export/report, and then the phase times of
# one more export (--timings).
#
#   benches/export.sh [SIZE] [PAIRS] [FORMAT]
#   benches/export.sh 1G 5 parquet
#   LOGSTATS_BIN=/path/to/logstats benches/export.sh 1G 5   (another build)
#
# The log is benches/generated-log.sh's (written once, kept in
# $LOGSTATS_BENCH_DIR, /tmp/logstats-bench by default). The export is
# written to a temporary folder beside it and deleted after each run.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}; pairs=${2:-5}; format=${3:-parquet}
dir=${LOGSTATS_BENCH_DIR:-/tmp/logstats-bench}
log="$dir/generated-$size.log"
if [ -n "${LOGSTATS_BIN:-}" ]; then
  bin=$LOGSTATS_BIN
  [ -s "$log" ] || { echo "no $log: run benches/generated-log.sh's way first" >&2; exit 2; }
  bytes=$(stat -c %s "$log")
else
  bin=target/release/logstats
  . benches/generated-log.sh
fi
out=$(mktemp -d "$dir/export-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "log: $log, $bytes bytes; $(nproc) cores; export --format $format"
now() { date +%s.%N; }
report_times=(); export_times=(); ratios=()
for i in $(seq "$pairs"); do
  start=$(now); "$bin" report "$log" --format json > /dev/null; end=$(now)
  r=$(echo "$end - $start" | bc -l)
  rm -rf "$out/x"
  start=$(now); "$bin" export "$log" --format "$format" -o "$out/x"; end=$(now)
  e=$(echo "$end - $start" | bc -l)
  rm -rf "$out/x"
  report_times+=("$r"); export_times+=("$e"); ratios+=("$(echo "$e / $r" | bc -l)")
  printf 'pair %d: report %.3f s, export %.3f s, ratio %.2f\n' "$i" "$r" "$e" "${ratios[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf 'median: report %.3f s, export %.3f s; median of the paired ratios %.2f\n' \
  "$(median "${report_times[@]}")" "$(median "${export_times[@]}")" "$(median "${ratios[@]}")"
echo "phases of one export:"
"$bin" export "$log" --format "$format" -o "$out/x" --timings
du -sh "$out/x" | awk '{print "export size: " $1}'
