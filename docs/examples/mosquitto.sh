#!/usr/bin/env bash
# sitrep from the shell with the Mosquitto clients (Debian: apt install mosquitto-clients).
#
#   docs/examples/mosquitto.sh status                    every node's retained status, one line each
#   docs/examples/mosquitto.sh services [NODE]           retained service states: node service state expect
#   docs/examples/mosquitto.sh watch [NODE]              follow the event stream (Ctrl-C to stop)
#   docs/examples/mosquitto.sh cmd NODE ACTION TARGET    send a command (operators), print the agent's result
#
# Connection from the environment: SITREP_HOST (127.0.0.1), SITREP_PORT (1883), SITREP_USER (admin),
# SITREP_PREFIX (sitrep/v1), SITREP_PASSWORD (asked for when unset). The password never goes on a
# command line: it is written to a private options file that mosquitto_sub/pub read
# ($XDG_CONFIG_HOME/mosquitto_sub and .../mosquitto_pub), removed on exit.
set -euo pipefail

HOST=${SITREP_HOST:-127.0.0.1}
PORT=${SITREP_PORT:-1883}
USER_NAME=${SITREP_USER:-admin}
PREFIX=${SITREP_PREFIX:-sitrep/v1}

die() { echo "mosquitto.sh: $*" >&2; exit 2; }
command -v mosquitto_sub >/dev/null && command -v mosquitto_pub >/dev/null || die "needs mosquitto_sub and mosquitto_pub (apt install mosquitto-clients)"

if [[ -z "${SITREP_PASSWORD:-}" ]]; then
  [[ -t 0 ]] || die "set SITREP_PASSWORD (no terminal to ask on)"
  read -r -s -p "password for $USER_NAME: " SITREP_PASSWORD
  echo >&2
fi

# Options both clients read from $XDG_CONFIG_HOME, one per line: the password stays off argv.
CONF=$(mktemp -d)
trap 'rm -rf "$CONF"' EXIT
chmod 700 "$CONF"
for client in mosquitto_sub mosquitto_pub; do
  printf -- '-h %s\n-p %s\n-u %s\n-P %s\n-V mqttv311\n' "$HOST" "$PORT" "$USER_NAME" "$SITREP_PASSWORD" >"$CONF/$client"
  chmod 600 "$CONF/$client"
done
export XDG_CONFIG_HOME=$CONF

# Ids go into topics and JSON below: accept only what the contract allows (DESIGN.md section 2).
valid_id() { [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9_.@:\\-]{0,254}$ ]] || die "invalid id: $1"; }

# Print retained messages of FILTER as "topic payload" lines, then stop (retained ones come first).
retained() { mosquitto_sub -t "$1" -q 1 -F '%t %p' --retained-only -W 2 2>/dev/null || true; }

case "${1:-}" in
  status)
    # One line per node: node state (payload: {"v":1,"node":...,"state":"online",...})
    retained "$PREFIX/nodes/+/status" | sed -E 's#^[^ ]*/nodes/([^/]+)/status .*"state":"([a-z]+)".*#\1 \2#'
    ;;
  services)
    node=${2:-+}
    [[ "$node" == "+" ]] || valid_id "$node"
    retained "$PREFIX/nodes/$node/services/+" |
      sed -E 's#^[^ ]*/nodes/([^/]+)/services/([^ ]+) .*"state":"([a-z]+)","expect":"([a-z]+)".*#\1 \2 \3 \4#'
    ;;
  watch)
    node=${2:-+}
    [[ "$node" == "+" ]] || valid_id "$node"
    exec mosquitto_sub -t "$PREFIX/nodes/$node/events" -q 1
    ;;
  cmd)
    [[ $# -eq 4 ]] || die "usage: $0 cmd NODE ACTION TARGET"
    node=$2 action=$3 target=$4
    valid_id "$node"; valid_id "$target"
    [[ "$action" =~ ^(start|stop|restart|run|kill)$ ]] || die "action must be start, stop, restart, run or kill"
    id="sh-$(date +%s)-$$"
    out="$CONF/result"
    # Subscribe to the results first and wait for the SUBACK (debug output, line-buffered through
    # stdbuf so it reaches the file at once), so the answer cannot be missed.
    stdbuf -oL mosquitto_sub -d -t "$PREFIX/nodes/$node/cmd/result" -q 1 -W 35 >"$out" 2>&1 &
    sub=$!
    for _ in $(seq 1 100); do grep -q 'SUBACK' "$out" && break; sleep 0.1; done
    grep -q 'SUBACK' "$out" || { kill "$sub" 2>/dev/null; die "could not subscribe to results: $(cat "$out")"; }
    expires=$(( ($(date +%s) + 30) * 1000 ))
    mosquitto_pub -t "$PREFIX/nodes/$node/cmd" -q 1 \
      -m "{\"id\":\"$id\",\"action\":\"$action\",\"target\":\"$target\",\"by\":\"$USER_NAME (mosquitto_pub)\",\"expiresAt\":$expires}"
    # The agent answers every command, accepted or refused, on cmd/result with the same id.
    for _ in $(seq 1 350); do
      line=$(grep -m1 "\"id\":\"$id\"" "$out" || true)
      [[ -n "$line" ]] && break
      kill -0 "$sub" 2>/dev/null || break
      sleep 0.1
    done
    kill "$sub" 2>/dev/null || true
    [[ -n "${line:-}" ]] || die "no result from $node within 35 s (is its agent online?)"
    echo "$line"
    [[ "$line" == *'"outcome":"ok"'* ]]
    ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
