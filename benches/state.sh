#!/usr/bin/env bash
# `report --state` on the generated log: the first run over the whole log
# less its last MiB, then RUNS pairs of a run that finds that MiB and a
# one-shot report over the whole log, in turn, with the median of the
# pairs' ratios (wall and CPU: user + sys), and the state's size. The
# machine's load average is printed: on a shared machine, trust the
# ratios of pairs over absolute times.
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
echo "log: $log, $bytes bytes; the state covers $keep bytes, a run adds $((bytes - keep))"
# The first run: the whole log less 1 MiB, into a new state.
/usr/bin/time -f '%e %U %S %M' -o "$work/t" \
  $bin report "$work/access.log" --state "$work/base.state" --format "$format" > /dev/null
read -r wall user sys peak < "$work/t"
printf '%-44s %8.2f s wall %8.3f s CPU %8.0f MiB\n' "--state, first run (whole log less 1 MiB)" \
  "$wall" "$(echo "$user + $sys" | bc -l)" "$(echo "$peak / 1024" | bc -l)"
state_bytes=$(stat -c %s "$work/base.state")
tail -c +"$((keep + 1))" "$log" >> "$work/access.log"
# Then RUNS pairs, in turn: the run that finds the MiB (from a fresh copy
# of the state, not timed) and the one-shot report over the whole log.
# Wall time from a monotonic clock, CPU from the kernel's accounting of
# the finished process (microseconds), peak memory its largest RSS.
python3 - "$runs" "$work" "$bin" "$format" "$log" <<'PY'
import os, shutil, statistics, subprocess, sys, time
runs, work, binary, fmt, log = int(sys.argv[1]), *sys.argv[2:]
def timed(args):
    """Wall, CPU seconds and peak MiB of one run, from its own rusage."""
    with open(os.devnull, "wb") as null:
        start = time.perf_counter()
        child = subprocess.Popen(args, stdout=null)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{args} exited with {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
incremental, oneshot = [], []
state = os.path.join(work, "site.state")
for _ in range(runs):
    shutil.copyfile(os.path.join(work, "base.state"), state)
    incremental.append(timed([binary, "report", os.path.join(work, "access.log"),
                              "--state", state, "--format", fmt]))
    oneshot.append(timed([binary, "report", log, "--format", fmt]))
def row(name, runs):
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    print(f"{name:<44} {wall:8.3f} s wall {cpu:8.3f} s CPU (medians)")
row("one-shot report, whole log", oneshot)
row("--state, a run that finds 1 MiB of new lines", incremental)
for i, what in [(0, "wall"), (1, "CPU")]:
    ratios = sorted(a[i] / b[i] for a, b in zip(incremental, oneshot))
    print(f"incremental / one-shot, {what}: median {statistics.median(ratios):.3f}"
          f" ({ratios[0]:.3f} to {ratios[-1]:.3f}, {runs} pairs)")
for name, runs in [("one-shot", oneshot), ("incremental", incremental)]:
    print(f"peak memory, {name}: {statistics.median(r[2] for r in runs):.0f} MiB")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'state file: %d bytes = %.2f %% of the log\n' "$state_bytes" "$(echo "100 * $state_bytes / $bytes" | bc -l)"
