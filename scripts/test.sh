#!/usr/bin/env bash
# Run every test on a fresh machine: installs what is missing (pnpm, dependencies, Debian's
# chromium for the browser tests when run as root), builds the dashboard, type-checks every
# package, runs the whole vitest suite, and ends with one line: `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_node
ensure_pnpm
ensure_workspace || { echo "0 passed, 1 failed"; exit 1; }
ensure_mosquitto_clients

if [[ ! -x /usr/bin/chromium ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "==> installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >/tmp/sitrep-chromium.log 2>&1 \
      || echo "WARNING: chromium could not be installed (see /tmp/sitrep-chromium.log); browser tests will be skipped"
  else
    echo "WARNING: /usr/bin/chromium missing and not root: browser tests will be skipped"
  fi
fi

# Mosquitto for the tests that run sitrep against another broker (e2e/test/hub.mosquitto.e2e.test.ts).
if ! command -v mosquitto >/dev/null && [[ ! -x /usr/sbin/mosquitto ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "==> installing Debian's mosquitto for the any-broker tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto) >/tmp/sitrep-mosquitto.log 2>&1 \
      || echo "WARNING: mosquitto could not be installed (see /tmp/sitrep-mosquitto.log); the Mosquitto tests will be skipped"
    # The tests start their own Mosquitto; the package's service would take port 1883 from the hub.
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
  else
    echo "WARNING: mosquitto missing and not root: the Mosquitto tests will be skipped"
  fi
fi

passed=0
failed=0
step() { # name, command...: a build or check step counts as one test
  local name=$1; shift
  echo "==> $name"
  if "$@"; then passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}

step "build the dashboard" build_ui
step "type-check (tsc)" pnpm exec tsc -p tsconfig.json
step "type-check the dashboard (vue-tsc)" pnpm exec vue-tsc --noEmit -p ui/tsconfig.json

echo "==> vitest (every package, unit to end-to-end)"
rm -f .vitest-results.json
pnpm exec vitest run --reporter=default --reporter=json --outputFile=.vitest-results.json
vitest_exit=$?
if [[ -f .vitest-results.json ]]; then
  read -r vp vf < <(node -e '
    const r = JSON.parse(require("fs").readFileSync(".vitest-results.json", "utf8"));
    // A file that failed to load has no tests but must count as a failure.
    const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
    console.log(r.numPassedTests, r.numFailedTests + broken);')
  passed=$((passed + vp))
  failed=$((failed + vf))
  if (( vitest_exit != 0 && vf == 0 )); then failed=$((failed + 1)); fi
else
  echo "FAILED: vitest wrote no results"
  failed=$((failed + 1))
fi

echo
echo "$passed passed, $failed failed"
(( failed == 0 ))
