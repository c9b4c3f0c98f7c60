#!/usr/bin/env bash
# Contract test of the admin API: schemathesis generates valid and invalid requests from
# the served OpenAPI document (examples, coverage, fuzzing, and stateful sequences that
# follow its links) and runs every check against a real admin API on the running stack.
# Exits non-zero on any failure. Bounded: CONTRACT_MAX_TIME seconds of generation
# (default 100): about 2 minutes with setup, 2.5 with a first pip install.
#
#   FLEETHOOK_STACK_HOME=… test/contract/run-schemathesis.sh     # stack must be up
#
# schemathesis comes from PyPI into a git-ignored venv (.stack/cache/venv), pinned.
set -euo pipefail
cd "$(dirname "$0")/../.."

schemathesis_version=4.32.5
venv=$(realpath -m "${CONTRACT_VENV:-.stack/cache/venv}")
max_time=${CONTRACT_MAX_TIME:-100}
started=$(date +%s)

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$schemathesis_version"; then
  echo "=== installing schemathesis $schemathesis_version into $venv"
  python3 -m venv "$venv" || { echo "python3 -m venv failed (on Debian: apt-get install python3-venv)"; exit 1; }
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

prefix="contract-$(date +%s)-$$."
key="contract-key-$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
log=$(mktemp -t admin-contract.XXXXXX.log)
report=$(mktemp -d -t admin-contract-report.XXXXXX)
admin_pid=

# Node is here anyway; curl may not be.
get_ok() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }

cleanup() {
  local status=$?
  if [ -n "$admin_pid" ]; then kill "$admin_pid" 2>/dev/null || true; wait "$admin_pid" 2>/dev/null || true; fi
  npx tsx test/contract/contract-topics.ts delete "$prefix" >/dev/null 2>&1 || true
  if [ "$status" -ne 0 ]; then echo "=== admin API log (last 40 lines of $log)"; tail -n 40 "$log" || true; fi
  echo "=== contract run took $(( $(date +%s) - started )) s"
  exit "$status"
}
trap cleanup EXIT

npx tsx test/contract/contract-topics.ts create "$prefix"

# hooks.example.com is allow-listed (no DNS needed), so the document's example creates a
# subscription and the stateful phase has something to follow; generated hosts do not
# resolve here and get the documented 422. Verification attempts time out after 1 s.
FLEETHOOK_TOPIC_PREFIX="$prefix" \
FLEETHOOK_SECRET_KEYS="k1:$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')" \
FLEETHOOK_ADMIN_ACCOUNT_KEYS="acc_contract:$key" \
FLEETHOOK_ADMIN_HOST=127.0.0.1 FLEETHOOK_ADMIN_PORT="$port" \
FLEETHOOK_ADMIN_ALLOW_ADDRESSES=hooks.example.com \
FLEETHOOK_ADMIN_ENDPOINT_TIMEOUT_MS=1000 \
FLEETHOOK_ADMIN_LOG_LEVEL=warn \
  node --import tsx services/admin-api/main.ts >"$log" 2>&1 &
# The service itself (not npx → tsx → node): killing it at the end leaves no orphan holding the stack.
admin_pid=$!

for _ in $(seq 1 120); do
  if get_ok "http://127.0.0.1:$port/readyz"; then break; fi
  if ! kill -0 "$admin_pid" 2>/dev/null; then echo "admin API exited during startup"; exit 1; fi
  sleep 0.5
done
get_ok "http://127.0.0.1:$port/readyz" || { echo "admin API not ready after 60 s"; exit 1; }

echo "=== schemathesis against http://127.0.0.1:$port (max $max_time s)"
# Run from the git-ignored cache: schemathesis keeps its crash cache (replayed next time) in ./.schemathesis.
root=$(pwd)
mkdir -p .stack/cache/schemathesis
cd .stack/cache/schemathesis
"$venv/bin/schemathesis" --config-file "$root/test/contract/schemathesis.toml" run "http://127.0.0.1:$port/v1/openapi.json" \
  --header "Authorization: Bearer $key" \
  --checks all \
  --mode all \
  --phases examples,coverage,fuzzing,stateful \
  --max-time "$max_time" \
  --workers 1 \
  --request-timeout 10 \
  --generation-database none \
  --report junit --report-dir "$report" \
  --no-color 2>&1 | sed -u 's/^/  schemathesis | /'
# Prefixed: schemathesis closes with a pytest-style line ("=== 2 warnings in 100s ===")
# that a reader of CI logs would take for a test runner that ran no test. pipefail keeps
# schemathesis's exit status.

cd "$root"
# The admin API must still be up after everything it was sent.
kill -0 "$admin_pid"
get_ok "http://127.0.0.1:$port/healthz"
echo "=== admin API still serving; junit report in $report"
