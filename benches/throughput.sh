#!/usr/bin/env bash
# Whole-program throughput on a generated log: builds the release binary and
# the generator, writes the log once (deterministic, seed 42), then times
# `logstats report` several times and prints the median. Options after `--`
# go to logstats; without any, the run is `--format json`.
#
#   benches/throughput.sh [SIZE] [RUNS] [-- logstats options]
#   benches/throughput.sh 1G 5 -- --format json --threads 1
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}; runs=${2:-5}; shift $(( $# > 2 ? 2 : $# )); [ "${1:-}" = "--" ] && shift
[ $# -eq 0 ] && set -- --format json
. benches/generated-log.sh
echo "log: $log, $bytes bytes, $(wc -l < "$log") lines; options: ${*:-(none)}"
times=()
for i in $(seq "$runs"); do
  start=$(date +%s.%N)
  target/release/logstats report "$log" "$@" > /dev/null
  end=$(date +%s.%N)
  times+=("$(echo "$end - $start" | bc -l)")
done
median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'runs (s): %s\n' "${times[*]}"
printf 'median: %.3f s = %.0f MB/s\n' "$median" "$(echo "$bytes / $median / 1000000" | bc -l)"
