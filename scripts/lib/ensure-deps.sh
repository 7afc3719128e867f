# Sourced by scripts/start.sh and scripts/test.sh: make a fresh machine able to run sitrep.
# Needs Node 20.19+ and npm; installs pnpm 10 with npm (corepack cannot fetch it here) and the
# workspace dependencies from the lockfile.

ensure_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "sitrep needs Node.js 20.19 or newer: https://nodejs.org/" >&2
    exit 1
  fi
  local major minor
  IFS=. read -r major minor _ <<<"$(node -p 'process.versions.node')"
  if (( major < 20 || (major == 20 && minor < 19) )); then
    echo "sitrep needs Node.js 20.19 or newer; this is $(node --version)" >&2
    exit 1
  fi
}

ensure_pnpm() {
  if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version)" != 10.* ]]; then
    echo "==> installing pnpm 10 with npm"
    npm install -g pnpm@10 >/dev/null
  fi
}

ensure_workspace() {
  echo "==> installing dependencies from the lockfile (the first time builds better-sqlite3: about a minute)"
  local log status=0
  log=$(mktemp)
  pnpm install --frozen-lockfile --reporter=append-only >"$log" 2>&1 || status=$?
  tail -n 5 "$log"
  rm -f "$log"
  return "$status"
}

build_ui() {
  echo "==> building the dashboard"
  pnpm --filter @sitrep/ui build >/dev/null
}

# mosquitto_sub / mosquitto_pub for the tests of docs/examples/mosquitto.sh (third-party clients).
# Installs Debian's mosquitto-clients when root; otherwise those tests skip with a message.
ensure_mosquitto_clients() {
  command -v mosquitto_sub >/dev/null 2>&1 && command -v mosquitto_pub >/dev/null 2>&1 && return 0
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Debian's mosquitto-clients for the MQTT client tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto-clients) >/tmp/sitrep-mosquitto-clients.log 2>&1 \
      || echo "WARNING: mosquitto-clients could not be installed (see /tmp/sitrep-mosquitto-clients.log); those tests will be skipped"
  else
    echo "WARNING: mosquitto_sub/mosquitto_pub missing and not root: the mosquitto client tests will be skipped"
  fi
}
