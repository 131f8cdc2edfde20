#!/usr/bin/env bash
# Times `logstats check --state` that finds 10,000 new lines at the end of a
# large log: the state is built by a first check over the whole generated
# log of SIZE (default 1G), so that it holds every 5-minute slot it can keep
# (the largest state a check keeps), then each timed run restores that state
# and checks the log with 10,000 lines more (the log of benches/check.sh).
# Whole process, as cron runs it, the copy of the state included (timed
# alone too); prints every run's milliseconds and the medians.
#
#   benches/check_state.sh [SIZE] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}
runs=${2:-21}
# The log with 10,000 new lines (written by benches/check.sh once).
benches/check.sh "$size" 1 > /dev/null
source benches/generated-log.sh
check_log="$dir/check-$size.log"
work="$dir/check-state-bench"
mkdir -p "$work"
first=$(head -c 200 "$log" | sed -E 's/.*\[([0-9]+)\/([A-Za-z]+)\/([0-9]+):([0-9:]+) ([-+0-9]+)\].*/\1 \2 \3 \4 \5/')
since=$(date -u -d "$first" +%Y-%m-%dT%H:%M:%S+00:00)
if [ ! -s "$work/base.state" ]; then
    rm -f "$work/build.state"
    # The first check over the whole log: its cursor continues in the
    # longer copy, recognised by its first bytes.
    target/release/logstats check "$log" --state "$work/build.state" --since "$since" > /dev/null || true
    mv "$work/build.state" "$work/base.state"
fi
echo "$(stat -c %s "$check_log") bytes; state $(stat -c %s "$work/base.state") bytes"
run() {
    cp "$work/base.state" "$work/check.state"
    target/release/logstats check "$check_log" --state "$work/check.state" --warn '5xx>2%' --crit '5xx>5%' "$@"
}
run | head -n 1 || true
time_runs() {
    local times=() t0 t1
    for _ in $(seq "$runs"); do
        t0=$(date +%s%N); "$@" > /dev/null || true; t1=$(date +%s%N)
        times+=($(( (t1 - t0) / 1000 )))
    done
    local sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    local median=${sorted[$(( runs / 2 ))]}
    printf 'median: %d.%03d ms over %d runs\n' $(( median / 1000 )) $(( median % 1000 )) "$runs"
}
echo "check --state, 10,000 new lines:"; time_runs run
echo "the copy of the state alone:"; time_runs cp "$work/base.state" "$work/check.state"
