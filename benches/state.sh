#!/usr/bin/env bash
# `report --state` on the generated log: the first run over the whole log,
# a run that finds 1 MiB of new lines, the state's size, and a one-shot
# report for comparison. Medians of RUNS runs of wall and CPU (user + sys)
# time; peak memory from GNU time. The machine's load average is printed:
# on a shared machine, compare CPU times, and pair runs with the binary
# compared against.
# FORMAT (json by default) is the format of every run: prometheus makes
# the state keep its series from the first run. LOGSTATS_BIN names the
# binary to time (another build, to compare), target/release/logstats by
# default.
#
#   benches/state.sh [SIZE] [RUNS] [FORMAT]
#   benches/state.sh 1G 5
#   benches/state.sh 200M 3 prometheus
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}; runs=${2:-5}; format=${3:-json}
. benches/generated-log.sh
work="$dir/state-bench"; rm -rf "$work"; mkdir -p "$work"
new=$((1 << 20))
# The log less its last MiB (cut after a whole line), then the whole log:
# the state covers the first, a run finds the MiB added since.
head -c $((bytes - new)) "$log" > "$work/cut"
keep=$(( $(wc -c < "$work/cut") - $(tail -c 65536 "$work/cut" | awk 'END{print length($0)}') ))
head -c "$keep" "$log" > "$work/access.log"
touch -d "1 hour ago" "$work/access.log"; rm "$work/cut"
bin=${LOGSTATS_BIN:-target/release/logstats}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # prints "wall_s peak_kib cpu_s" of one run of "$@"
  /usr/bin/time -f '%e %M %U %S' -o "$work/t" "$@" > /dev/null
  awk '{print $1, $2, $3 + $4}' "$work/t"; }
echo "log: $log, $bytes bytes; the state covers $keep bytes, a run adds $((bytes - keep))"
first=(); oneshot=(); incr=()
for i in $(seq "$runs"); do
  rm -f "$work/site.state"
  oneshot+=("$(timed $bin report "$log" --format "$format")")
  first+=("$(timed $bin report "$work/access.log" --state "$work/site.state" --format "$format")")
done
cp "$work/site.state" "$work/base.state"
state_bytes=$(stat -c %s "$work/base.state")
tail -c +"$((keep + 1))" "$log" >> "$work/access.log"
for i in $(seq "$runs"); do
  cp "$work/base.state" "$work/site.state"
  incr+=("$(timed $bin report "$work/access.log" --state "$work/site.state" --format "$format")")
done
row() { local name=$1; shift
  printf '%-44s %8.2f s wall %8.3f s CPU %8.0f MiB\n' "$name" \
    "$(printf '%s\n' "$@" | cut -d' ' -f1 | median)" \
    "$(printf '%s\n' "$@" | cut -d' ' -f3 | median)" \
    "$(printf '%s\n' "$@" | cut -d' ' -f2 | median | awk '{print $1/1024}')"; }
row "one-shot report, whole log" "${oneshot[@]}"
row "--state, first run (whole log less 1 MiB)" "${first[@]}"
row "--state, a run that finds 1 MiB of new lines" "${incr[@]}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'state file: %d bytes = %.2f %% of the log\n' "$state_bytes" "$(echo "100 * $state_bytes / $bytes" | bc -l)"
