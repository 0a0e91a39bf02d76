#!/usr/bin/env bash
# The test command (README, .ci/run): set-up, then every test, then the leftover check.
#
#   bash scripts/test.sh                        # tsc, biome lint, test/unit + test/integration, then test/final
#   bash scripts/test.sh test/integration/infra # only these paths (then test/final)
#
# Bun's own output stays visible. The last line is always `N passed, N failed` (summed over
# both bun invocations); the exit status is non-zero when anything failed. A bun run that
# exits non-zero without reporting a failing test (import error, unhandled error between
# tests, no test found) counts as one failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"

TIMEOUT_MS="${DEPLOYSTER_TEST_TIMEOUT_MS:-120000}"
PASSED=0
FAILED=0
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/deployster-test.XXXXXX")"
trap 'rm -rf "$LOG_DIR"' EXIT

summary() {
  echo "$PASSED passed, $FAILED failed"
  if [[ $FAILED -eq 0 ]]; then exit 0; fi
  exit 1
}

# run_bun <label> <bun test args...>: runs bun test live, adds its counts to the totals.
run_bun() {
  local label="$1"; shift
  local log="$LOG_DIR/$label.log" rc=0
  echo "==> bun test $*"
  bun test "$@" 2>&1 | tee "$log" || rc=$?
  # Bun's summary: lines " 12 pass" and " 0 fail" (after ANSI colours are stripped).
  local clean pass fail
  clean="$(sed -e 's/\x1b\[[0-9;]*m//g' "$log")"
  pass="$(grep -E '^ *[0-9]+ pass$' <<<"$clean" | tail -n 1 | tr -dc '0-9')"
  fail="$(grep -E '^ *[0-9]+ fail$' <<<"$clean" | tail -n 1 | tr -dc '0-9')"
  pass="${pass:-0}"; fail="${fail:-0}"
  if [[ $rc -ne 0 && $fail -eq 0 ]]; then
    echo "==> bun test $* exited $rc without a failing test: counted as 1 failure"
    fail=1
  fi
  PASSED=$((PASSED + pass))
  FAILED=$((FAILED + fail))
}

echo "==> scripts/setup.sh"
if ! bash scripts/setup.sh; then
  echo "==> set-up failed: no test was run"
  FAILED=$((FAILED + 1))
  summary
fi

# What deployster-managed objects exist before the suite (e.g. a quickstart someone ran):
# the final leftover check asserts the suite added none, without touching these.
export DEPLOYSTER_PREEXISTING="$LOG_DIR/preexisting.txt"
{
  docker ps -aq --no-trunc --filter label=deployster.managed=true
  docker network ls -q --no-trunc --filter label=deployster.managed=true
  docker volume ls -q --filter label=deployster.managed=true
} >"$DEPLOYSTER_PREEXISTING" 2>/dev/null || true
# A fingerprint of every object on the engine (containers, networks, volumes with their
# files, image tags): test/final checks that the suite left each of them as it was.
export DEPLOYSTER_ENGINE_SNAPSHOT="$LOG_DIR/engine-snapshot.json"
if ! bun test/support/engine-snapshot.ts "$DEPLOYSTER_ENGINE_SNAPSHOT"; then
  echo "==> could not snapshot the engine before the suite"
  FAILED=$((FAILED + 1))
fi

# check <label> <command...>: a static check of the whole tree; a failure counts as one.
check() {
  local label="$1"; shift
  echo "==> $label: $*"
  if "$@"; then PASSED=$((PASSED + 1)); else
    echo "==> $label failed"
    FAILED=$((FAILED + 1))
  fi
}

if [[ $# -gt 0 ]]; then
  run_bun main --timeout "$TIMEOUT_MS" "$@"
else
  # The whole suite starts with the type check and the linter (biome.json).
  check typecheck tsc --noEmit
  check lint biome lint --error-on-warnings --max-diagnostics=50
  run_bun main --timeout "$TIMEOUT_MS" test/unit test/integration
  # The engine scenarios where runners and fresh containers differ most (timeouts, Ctrl-C,
  # protocol errors, plug mounts, dependencies), again with --no-runners: the first pass ran
  # the rt-* fixture types, which are reusable, in runners.
  export DEPLOYSTER_TEST_RUNNERS=0
  run_bun engine-no-runners --timeout "$TIMEOUT_MS" test/integration/engine/lifecycle.test.ts \
    test/integration/engine/protocol.test.ts test/integration/engine/plugs.test.ts test/integration/engine/walk.test.ts
  unset DEPLOYSTER_TEST_RUNNERS
fi

# The leftover check runs alone, after everything else has cleaned up.
if compgen -G "test/final/*.test.*" >/dev/null; then
  run_bun final --timeout "$TIMEOUT_MS" test/final
else
  echo "==> test/final: no leftover check yet"
fi

summary
