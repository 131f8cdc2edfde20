#!/usr/bin/env bash
# logstats beside GoAccess and rhit on one generated log: builds the release
# binary and the generator, writes the log once (deterministic, seed 42),
# then runs each tool in turn, RUNS rounds (A B C, A B C, ...), and prints a
# markdown table of median wall time, throughput, peak memory and the
# ratio of each tool's median to logstats'. Tools that are not installed
# are left out (apt-get install goaccess; cargo install rhit).
#
#   benches/compare.sh [SIZE] [RUNS] [--threads 1,2,4,...] [--sweep-only]
#   benches/compare.sh 1G 5
#   benches/compare.sh 1G 5 --threads 1,2,4,8,16
#
# logstats makes its full report: visits, user agents and, when a country
# database is found (LOGSTATS_GEOIP, the corpus's DB-IP file beside the
# repository, or the usual paths), countries. GoAccess is given the
# combined format and writes its JSON report; rhit reads the file with its
# defaults (it has no user agents, visits or countries to compute). Memory
# is also measured reading the log from a pipe, where no tool can map it.
#
# Then a threads sweep of logstats' full report (--threads N for each N
# of the list; default 1 and the powers of two up to the machine's CPUs,
# and the CPUs themselves), rounds again taken in turn: the median wall
# of each, its speed-up over the first count (one thread), the parallel
# efficiency (speed-up / N), and the serial fraction f that Amdahl's law
# gives for that speed-up (S = 1 / (f + (1 - f) / N), so
# f = (N / S - 1) / (N - 1)). --sweep-only leaves out the other tools.
set -euo pipefail
cd "$(dirname "$0")/.."
positional=(); threads_list=""; sweep_only=""
while [ $# -gt 0 ]; do
  case $1 in
    --threads) threads_list=$2; shift 2 ;;
    --threads=*) threads_list=${1#--threads=}; shift ;;
    --sweep-only) sweep_only=1; shift ;;
    *) positional+=("$1"); shift ;;
  esac
done
size=${positional[0]:-1G}; runs=${positional[1]:-5}
cpus=$(nproc)
if [ -z "$threads_list" ]; then
  threads_list=1
  for ((n = 2; n <= cpus; n *= 2)); do threads_list+=",$n"; done
  case ",$threads_list," in *",$cpus,"*) ;; *) threads_list+=",$cpus" ;; esac
fi
IFS=, read -r -a thread_counts <<< "$threads_list"
. benches/generated-log.sh
lines=$(wc -l < "$log")

geo=${LOGSTATS_GEOIP:-}
[ -z "$geo" ] && [ -f ../shared/corpus/geo/dbip/dbip-country.mmdb ] && geo=../shared/corpus/geo/dbip/dbip-country.mmdb
geo_args=()
[ -n "$geo" ] && geo_args=(--geoip "$geo")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name | command run on the file | command run on a pipe (stdin)
tools=("logstats")
declare -A file_cmd pipe_cmd
file_cmd[logstats]="target/release/logstats report $log --format json ${geo_args[*]} -o $tmp/logstats.json"
pipe_cmd[logstats]="target/release/logstats report - --format json ${geo_args[*]} -o $tmp/logstats.json"
if command -v goaccess > /dev/null; then
  tools+=("goaccess")
  file_cmd[goaccess]="goaccess $log --log-format=COMBINED -o $tmp/goaccess.json"
  pipe_cmd[goaccess]="goaccess - --log-format=COMBINED -o $tmp/goaccess.json"
fi
if command -v rhit > /dev/null; then
  tools+=("rhit")
  file_cmd[rhit]="rhit $log --silent-load --no-name-check"
  pipe_cmd[rhit]=""   # rhit reads files only
fi

# One run: prints "wall_seconds peak_kib".
measure() {
  local cmd=$1 stdin=$2
  if [ -n "$stdin" ]; then
    /usr/bin/time -f '%e %M' -o "$tmp/time" sh -c "cat '$stdin' | $cmd" > /dev/null 2> "$tmp/err" || { cat "$tmp/err" >&2; return 1; }
  else
    /usr/bin/time -f '%e %M' -o "$tmp/time" sh -c "$cmd" > /dev/null 2> "$tmp/err" || { cat "$tmp/err" >&2; return 1; }
  fi
  tail -1 "$tmp/time"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "log: $size generated, $bytes bytes, $lines lines; $runs rounds; $cpus CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%d)"
echo "logstats: full report${geo:+ with GeoIP ($(basename "$geo"))}; goaccess $(goaccess --version 2>/dev/null | head -1 | sed "s/GoAccess - //; s/\.$//"); rhit $(rhit --version 2>/dev/null | awk '{print $2}')"

if [ -z "$sweep_only" ]; then
declare -A walls mems pipe_mems
for t in "${tools[@]}"; do walls[$t]=""; mems[$t]=""; pipe_mems[$t]=""; done
for _ in $(seq "$runs"); do
  for t in "${tools[@]}"; do
    read -r w m < <(measure "${file_cmd[$t]}" "")
    walls[$t]+="$w"$'\n'; mems[$t]+="$m"$'\n'
  done
done
for t in "${tools[@]}"; do
  [ -n "${pipe_cmd[$t]}" ] || continue
  read -r _ m < <(measure "${pipe_cmd[$t]}" "$log")
  pipe_mems[$t]=$m
done

base=$(printf '%s' "${walls[logstats]}" | median)
echo
echo "| tool | median wall | lines/s | MB/s | × logstats | peak RSS (file) | peak RSS (pipe) |"
echo "|---|---|---|---|---|---|---|"
for t in "${tools[@]}"; do
  w=$(printf '%s' "${walls[$t]}" | median)
  m=$(printf '%s' "${mems[$t]}" | median)
  p=${pipe_mems[$t]:-}
  printf '| %s | %.2f s | %.0f | %.0f | %.1f | %.0f MiB | %s |\n' "$t" "$w" \
    "$(echo "$lines / $w" | bc -l)" "$(echo "$bytes / $w / 1000000" | bc -l)" \
    "$(echo "$w / $base" | bc -l)" "$(echo "$m / 1024" | bc -l)" \
    "$([ -n "$p" ] && printf '%.0f MiB' "$(echo "$p / 1024" | bc -l)" || echo n/a)"
done
fi

# The threads sweep: each round runs every thread count once.
declare -A sweep
for n in "${thread_counts[@]}"; do sweep[$n]=""; done
for _ in $(seq "$runs"); do
  for n in "${thread_counts[@]}"; do
    read -r w _ < <(measure "${file_cmd[logstats]} --threads $n" "")
    sweep[$n]+="$w"$'\n'
  done
done
k=${thread_counts[0]}
one=$(printf '%s' "${sweep[$k]}" | median)
echo
echo "Threads sweep, logstats full report (speed-up and efficiency against --threads $k):"
echo
echo "| threads | median wall | min–max | speed-up | efficiency | serial fraction (Amdahl) |"
echo "|---|---|---|---|---|---|"
for n in "${thread_counts[@]}"; do
  w=$(printf '%s' "${sweep[$n]}" | median)
  lo=$(printf '%s' "${sweep[$n]}" | sort -g | head -1)
  hi=$(printf '%s' "${sweep[$n]}" | sort -g | tail -1)
  s=$(echo "$one / $w" | bc -l)
  e=$(echo "$s * $k / $n" | bc -l)
  if [ "$n" -gt "$k" ]; then
    # Amdahl against k threads: S = 1 / (f + (1 - f) k / n).
    f=$(echo "($n / ($s * $k) - 1) / ($n / $k - 1)" | bc -l)
    f=$(printf '%.1f %%' "$(echo "$f * 100" | bc -l)")
  else
    f="–"
  fi
  printf '| %s | %.2f s | %.2f–%.2f s | %.2f | %.0f %% | %s |\n' "$n" "$w" "$lo" "$hi" "$s" "$(echo "$e * 100" | bc -l)" "$f"
done
