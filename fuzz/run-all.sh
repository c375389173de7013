#!/usr/bin/env bash
# Runs every fuzz target of pasarela-core for RUNS executions each (default
# one million), one after the other, and prints libFuzzer's final stats line
# of each. Needs a nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz --locked
#
#   fuzz/run-all.sh                       # every target, 1,000,000 runs each
#   RUNS=100000 fuzz/run-all.sh key_loading   # some targets, fewer runs
#
# Builds with debug assertions and overflow checks (and AddressSanitizer,
# cargo-fuzz's default). MAX_SECS (default 1800) caps each target's time,
# as a guard. The corpus grows in fuzz/corpus/<target> (not committed); fuzz/seeds/<target> holds
# the committed seeds (the gateways' examples). A crash stops the script
# and leaves its input in fuzz/artifacts/<target>/: turn it into a
# regression test next to the code it broke, then fix the code.
set -euo pipefail
cd "$(dirname "$0")"

RUNS="${RUNS:-1000000}"
MAX_SECS="${MAX_SECS:-1800}"
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(smilepayz_response smilepayz_callback monnet_response monnet_notification key_loading simulator_handler confirmation simulator_delivery)
fi
mkdir -p logs

for target in "${TARGETS[@]}"; do
  mkdir -p "corpus/$target"
  extra=()
  case "$target" in
    # The simulator keeps (bounded) delivery records across inputs, so
    # libFuzzer's per-input leak check fires on most inputs and cuts the
    # rate tenfold; leaks are still checked when the process exits.
    simulator_delivery) extra=(-detect_leaks=0) ;;
  esac
  echo "== $target: $RUNS runs (at most ${MAX_SECS}s)"
  cargo +nightly fuzz run --debug-assertions "$target" "corpus/$target" "seeds/$target" -- \
    -runs="$RUNS" -max_total_time="$MAX_SECS" -rss_limit_mb=4096 -print_final_stats=1 \
    "${extra[@]}" >"logs/$target.log" 2>&1 || {
      echo "!! $target failed; see fuzz/logs/$target.log and fuzz/artifacts/$target/" >&2
      tail -n 40 "logs/$target.log" >&2
      exit 1
    }
  # The last status line (#N DONE ... exec/s) and the final stats.
  grep -E '^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs|^stat::' "logs/$target.log"
done
