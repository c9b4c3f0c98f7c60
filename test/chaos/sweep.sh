#!/usr/bin/env bash
# A chaos sweep: runs the seeds one after another and appends one Markdown row per seed to
# $CHAOS_RESULTS (default test/chaos/sweep-results.md), from the runner's chaos-summary line.
# Usage: test/chaos/sweep.sh FIRST LAST [MINUTES]   (full outputs in $CHAOS_SWEEP_LOGS;
# more runner arguments in $CHAOS_ARGS, e.g. CHAOS_ARGS=--cluster)
set -u
cd "$(dirname "$0")/../.."
first="${1:?first seed}"
last="${2:?last seed}"
minutes="${3:-1}"
out="${CHAOS_RESULTS:-test/chaos/sweep-results.md}"
logs="${CHAOS_SWEEP_LOGS:-$(mktemp -d -t fleethook-sweep-XXXX)}"
mkdir -p "$logs"
if [ ! -s "$out" ]; then
  echo "| seed | minutes | fault events | records | delivered | repeats | lost | order | id-chg | bad-sig | calm p99 (s) | SIGKILL p99 (s) | SIGTERM p99 beyond window (s) | violations | quiescent (s) | run (s) | exit |" > "$out"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |" >> "$out"
fi
for seed in $(seq "$first" "$last"); do
  # shellcheck disable=SC2086 # CHAOS_ARGS is a list of arguments
  node_modules/.bin/tsx test/chaos/run-chaos.ts --seed "$seed" --minutes "$minutes" ${CHAOS_ARGS:-} > "$logs/seed-$seed.log" 2>&1
  code=$?
  line=$(grep '^chaos-summary ' "$logs/seed-$seed.log" | tail -1)
  if [ -z "$line" ]; then
    echo "| $seed | $minutes | runner failed (exit $code), see $logs/seed-$seed.log ||||||||||||||| $code |" >> "$out"
    continue
  fi
  val() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  echo "| $seed | $(val minutes) | $(val fault_events) | $(val records) | $(val delivered) | $(val repeats) | $(val lost) | $(val order) | $(val idchg) | $(val badsig) | $(val calm_p99_s) | $(val kill_p99_s) | $(val term_excess_p99_s) | $(val violations) | $(val quiescent_s) | $(val run_s) | $code |" >> "$out"
done
echo "sweep: seeds $first..$last done; rows in $out, outputs in $logs"
