# Sourced by the benchmark scripts: builds the release binary and the
# generator, and sets `log` to the generated log of `size` bytes (written
# once, deterministic, seed 42) and `bytes` to its size.
dir=${LOGSTATS_BENCH_DIR:-/tmp/logstats-bench}
log="$dir/generated-$size.log"
mkdir -p "$dir"
cargo build --release --quiet --example genlog --bin logstats
[ -s "$log" ] || target/release/examples/genlog --bytes "$size" --seed 42 -o "$log"
# A log written in the last 10 minutes is read, not mapped: measure the usual case.
touch -d "1 hour ago" "$log"
bytes=$(stat -c %s "$log")
