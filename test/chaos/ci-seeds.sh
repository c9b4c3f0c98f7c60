#!/usr/bin/env bash
# CI's chaos check: a few fixed seeds, one short run each (about 1.5-2 minutes per seed).
# Exits non-zero when any seed finds a violation; every seed runs regardless.
set -u
cd "$(dirname "$0")/../.."
seeds="${CHAOS_SEEDS:-1 2 3}"
minutes="${CHAOS_MINUTES:-1}"
failed=""
for seed in $seeds; do
  node_modules/.bin/tsx test/chaos/run-chaos.ts --seed "$seed" --minutes "$minutes" || failed="$failed $seed"
done
if [ -n "$failed" ]; then
  echo "chaos: violations (or runner failures) with seed(s):$failed" >&2
  exit 1
fi
echo "chaos: seeds $seeds clean"
