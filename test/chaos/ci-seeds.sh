#!/usr/bin/env bash
# CI's chaos check: fixed seeds, one short run each (30 s of faults: about 60-90 s per seed),
# on the single broker ($CHAOS_SEEDS) and on the 3-broker cluster ($CHAOS_CLUSTER_SEEDS: its
# timeline adds broker stops). Exits non-zero when any seed finds a violation; every seed runs.
set -u
cd "$(dirname "$0")/../.."
seeds="${CHAOS_SEEDS:-6}"
cluster_seeds="${CHAOS_CLUSTER_SEEDS:-9}"
minutes="${CHAOS_MINUTES:-0.5}"
failed=""
for seed in $seeds; do
  node_modules/.bin/tsx test/chaos/run-chaos.ts --seed "$seed" --minutes "$minutes" --latency-advisory || failed="$failed $seed"
done
for seed in $cluster_seeds; do
  node_modules/.bin/tsx test/chaos/run-chaos.ts --seed "$seed" --minutes "$minutes" --cluster --latency-advisory || failed="$failed $seed(cluster)"
done
if [ -n "$failed" ]; then
  echo "chaos: violations (or runner failures) with seed(s):$failed" >&2
  exit 1
fi
echo "chaos: seeds $seeds and cluster seeds $cluster_seeds clean"
