#!/usr/bin/env bash
# Times `logstats check` on a large log whose last 5 minutes hold 10,000
# lines: the generated log of SIZE (default 1G), then 10,000 of its lines
# again, restamped over the 5 minutes after its end. Whole process, as cron
# or a monitor runs it; prints every run's milliseconds and the median.
#
#   benches/check.sh [SIZE] [RUNS]
#
# The log is written once (in $LOGSTATS_BENCH_DIR, default
# /tmp/logstats-bench), the check's copy beside it. Needs perl and GNU date.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}
runs=${2:-21}
source benches/generated-log.sh
check_log="$dir/check-$size.log"

# The generated log's last time; the 5 minutes after it get 10,000 lines.
last=$(tail -n 1 "$log" | sed -E 's/.*\[([0-9]+)\/([A-Za-z]+)\/([0-9]+):([0-9:]+) ([-+0-9]+)\].*/\1 \2 \3 \4 \5/')
start=$(( $(date -d "$last" +%s) + 1 ))
if [ ! -s "$check_log" ]; then
    cp "$log" "$check_log.tmp"
    tail -n 10000 "$log" | LC_ALL=C perl -MPOSIX=strftime -ne '
        my $t = '"$start"' + int(($. - 1) * 300 / 10000);
        my $stamp = strftime("%d/%b/%Y:%H:%M:%S +0000", gmtime($t));
        s/\[[^\]]+\]/[$stamp]/;
        print' >> "$check_log.tmp"
    mv "$check_log.tmp" "$check_log"
fi
since=$(date -u -d "@$start" +%Y-%m-%dT%H:%M:%S+00:00)
until=$(date -u -d "@$((start + 300))" +%Y-%m-%dT%H:%M:%S+00:00)
cmd=(target/release/logstats check "$check_log" --since "$since" --until "$until"
     --warn '5xx>2%' --crit '5xx>5%')

echo "$(stat -c %s "$check_log") bytes; window $since to $until"
"${cmd[@]}" || true
times=()
for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    "${cmd[@]}" > /dev/null || true
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
printf 'runs (ms):'; printf '%s\n' "${sorted[@]}" | awk '{ printf " %.3f", $1 / 1000 } END { print "" }'
median=${sorted[$(( runs / 2 ))]}
printf 'median: %d.%03d ms over %d runs\n' $(( median / 1000 )) $(( median % 1000 )) "$runs"
