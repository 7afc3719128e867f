#!/usr/bin/env bash
# install-agent.sh: install or update the sitrep agent on a Debian-like host with systemd.
#
#   sudo bash install-agent.sh --artifact sitrep-agent.cjs --hub mqtt://hub.lan:1883 --node web-1 \
#        --password-file /root/web-1.password [--config-extra services.yaml]
#
# Needs, next to this script, sitrep-agent.service (the unit template), and the artifact built by
# `pnpm --filter @sitrep/deploy build:agent` (deploy/dist/sitrep-agent.cjs).
#
# Idempotent: each file is compared first and written (atomically) only when its content or mode
# differs, printing `updated: PATH` or `unchanged: PATH`. systemd is reloaded only when the unit
# changed, and the agent restarted only when something it reads changed; a second run with the
# same flags prints only `unchanged:` lines and leaves the running agent alone.
# Everything is validated (flags, node >= 20, the resulting config, checked by the new artifact
# itself with --check-config) before anything on the host is touched. The password is never
# printed and never put on a command line.
#
# The config /etc/sitrep/agent.yaml is GENERATED from the flags (node, broker, stateDir); the
# optional --config-extra FILE is appended verbatim for everything else (services:, discover:,
# interval:, journal:, updates:, ...; see deploy/agent.yaml) and must not set node, broker or
# stateDir. Manual edits of the installed config are overwritten by the next run.
set -euo pipefail

readonly ARTIFACT_DEST=/opt/sitrep/sitrep-agent.cjs
readonly CONFIG_DEST=/etc/sitrep/agent.yaml
readonly PASSWORD_DEST=/etc/sitrep/agent.password
readonly UNIT_NAME=sitrep-agent.service
readonly UNIT_DEST=/etc/systemd/system/$UNIT_NAME
readonly STATE_DIR=/var/lib/sitrep-agent
readonly NODE_ID_RE='^[a-z0-9][a-z0-9_-]{0,62}$'
readonly USERNAME_RE='^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$'
# A broker URL without spaces or quotes (it is written into YAML between double quotes).
readonly URL_RE='^(mqtts?|wss?|tcp|ssl)://[]A-Za-z0-9._~:/?#@!$&()*+,;=%[-]+$'

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR

usage() {
  cat <<'EOF'
Usage: install-agent.sh --artifact PATH --hub URL --node ID [options]

Required:
  --artifact PATH        the built agent (sitrep-agent.cjs)
  --hub URL              the hub's MQTT URL, e.g. mqtt://hub.lan:1883 (mqtts://, ws://, wss:// too)
  --node ID              this host's node id: a-z 0-9 _ -, starting with a letter or digit, <= 63
Password (one of them; may be left out on a re-run to keep the installed password):
  --password-file PATH   read the agent's password from PATH
  --password-stdin       read the agent's password from standard input
Options:
  --username NAME        the agent's broker identity (default: agent-<node>)
  --config-extra FILE    YAML appended to the generated config (services:, discover:, interval: ...)
  --node-bin PATH        node >= 20 to run the agent with (default: `command -v node`)
  --unit-template PATH   the unit to install (default: sitrep-agent.service next to this script)
  -h, --help             this help
EOF
}

die() { printf 'install-agent: error: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'install-agent: %s\nRun with --help for usage.\n' "$*" >&2; exit 2; }

# ---- flags ---------------------------------------------------------------------------------------
artifact='' hub='' node_id='' username='' password_file='' password_stdin=0 config_extra='' node_bin=''
unit_template=$SCRIPT_DIR/sitrep-agent.service
need_value() { [[ $# -ge 2 && -n "$2" ]] || usage_error "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --artifact) need_value "$@"; artifact=$2; shift 2 ;;
    --hub) need_value "$@"; hub=$2; shift 2 ;;
    --node) need_value "$@"; node_id=$2; shift 2 ;;
    --username) need_value "$@"; username=$2; shift 2 ;;
    --password-file) need_value "$@"; password_file=$2; shift 2 ;;
    --password-stdin) password_stdin=1; shift ;;
    --config-extra) need_value "$@"; config_extra=$2; shift 2 ;;
    --node-bin) need_value "$@"; node_bin=$2; shift 2 ;;
    --unit-template) need_value "$@"; unit_template=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

# ---- validation: nothing on the host is touched before all of this passed --------------------------
[[ -n $artifact ]] || usage_error "--artifact is required"
[[ -n $hub ]] || usage_error "--hub is required"
[[ -n $node_id ]] || usage_error "--node is required"
[[ $node_id =~ $NODE_ID_RE ]] || usage_error "--node '$node_id' is not a node id (a-z 0-9 _ -, starting with a letter or digit, at most 63)"
[[ $hub =~ $URL_RE ]] || usage_error "--hub '$hub' is not a broker URL such as mqtt://hub.lan:1883"
[[ $hub =~ ^[a-z]+://[^/:?#]+ ]] || usage_error "--hub '$hub' has no host"
username=${username:-agent-$node_id}
[[ $username =~ $USERNAME_RE ]] || usage_error "--username '$username' may hold letters, digits, _ . @ - (at most 128)"
[[ -n $password_file && $password_stdin == 1 ]] && usage_error "use --password-file or --password-stdin, not both"

[[ $(id -u) == 0 ]] || die "must run as root (it installs a systemd unit and files under /etc and /opt)"
[[ -d /run/systemd/system ]] || die "systemd is not running on this host (no /run/systemd/system)"
command -v systemctl >/dev/null || die "systemctl not found"
[[ -f $artifact && -r $artifact ]] || die "--artifact $artifact: no such readable file"
[[ -f $unit_template && -r $unit_template ]] || die "unit template $unit_template: no such readable file"
if [[ -n $config_extra ]]; then
  [[ -f $config_extra && -r $config_extra ]] || die "--config-extra $config_extra: no such readable file"
  if grep -Eq '^(node|broker|stateDir)[[:space:]]*:' "$config_extra"; then
    die "--config-extra $config_extra sets node, broker or stateDir: those come from the flags"
  fi
fi

node_bin=${node_bin:-$(command -v node || true)}
[[ -n $node_bin ]] || die "node not found in PATH: install Node.js >= 20 or pass --node-bin PATH"
[[ $node_bin == /* ]] || die "--node-bin must be an absolute path, got $node_bin"
[[ -x $node_bin ]] || die "--node-bin $node_bin is not executable"
node_version=$("$node_bin" -p 'process.versions.node' 2>/dev/null) || die "$node_bin does not run"
[[ $node_version =~ ^[0-9]+\.[0-9]+ ]] || die "$node_bin does not look like Node.js (no version from process.versions.node)"
[[ ${node_version%%.*} -ge 20 ]] || die "$node_bin is Node.js $node_version; the agent needs >= 20"

# The password, into a variable only (bash builtins: it never appears in argv or on screen).
password=''
if [[ -n $password_file ]]; then
  [[ -f $password_file && -r $password_file ]] || die "--password-file $password_file: no such readable file"
  password=$(<"$password_file")
elif [[ $password_stdin == 1 ]]; then
  password=$(cat)
elif [[ ! -s $PASSWORD_DEST ]]; then
  usage_error "no password: give --password-file PATH or --password-stdin (none installed yet at $PASSWORD_DEST)"
fi
if [[ -n $password_file || $password_stdin == 1 ]]; then
  password=${password%$'\n'}
  [[ -n $password ]] || die "the password is empty"
  [[ $password != *$'\n'* ]] || die "the password must be one line"
fi

staging=$(mktemp -d "${TMPDIR:-/tmp}/sitrep-install.XXXXXX")
trap 'rm -rf "$staging"' EXIT
chmod 0700 "$staging"

render_config() { # password-file path
  printf '# Written by install-agent.sh from its flags; re-run it to change this file (edits are overwritten).\n'
  printf '# Reference of every key: deploy/agent.yaml in the sitrep repository.\n'
  printf 'node: %s\n' "$node_id"
  printf 'broker:\n  url: "%s"\n  username: "%s"\n  passwordFile: %s\n' "$hub" "$username" "$1"
  printf 'stateDir: %s\n' "$STATE_DIR"
  if [[ -n $config_extra ]]; then
    printf '\n# ---- from --config-extra %s ----\n' "$config_extra"
    cat "$config_extra"
  fi
}

render_unit() {
  local line n=0
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == 'ExecStart=/usr/bin/env node '* ]]; then
      line="ExecStart=$node_bin ${line#ExecStart=/usr/bin/env node }"
      n=$((n + 1))
    fi
    printf '%s\n' "$line"
  done <"$unit_template"
  [[ $n == 1 ]] || die "unit template $unit_template has no 'ExecStart=/usr/bin/env node ...' line"
}

# Check the config with the artifact that will run it, against a staged copy of the password.
if [[ -n $password_file || $password_stdin == 1 ]]; then
  staged_password=$staging/agent.password
  (umask 077 && printf '%s\n' "$password" >"$staged_password")
else
  staged_password=$PASSWORD_DEST
fi
render_config "$staged_password" >"$staging/agent.yaml"
render_unit >"$staging/$UNIT_NAME"
if ! check=$("$node_bin" "$artifact" --check-config --config "$staging/agent.yaml" 2>&1); then
  die "the agent refuses this config (nothing was changed): ${check//"$staging/agent.yaml"/$CONFIG_DEST}"
fi
render_config "$PASSWORD_DEST" >"$staging/agent.yaml"

# ---- install ---------------------------------------------------------------------------------------
changed=0

# keep_file DEST MODE [NOTE]: DEST's content stays; only its owner and mode are put right.
keep_file() {
  local dest=$1 mode=$2 note=${3:+ ($3)}
  if [[ $(stat -c '%a %u %g' "$dest") == "${mode#0} 0 0" ]]; then
    printf 'unchanged: %s%s\n' "$dest" "$note"
  else
    chown 0:0 "$dest" && chmod "$mode" "$dest"
    printf 'updated: %s (mode %s root:root)\n' "$dest" "$mode"
  fi
}

# install_file SRC DEST MODE: write DEST (atomically, root:root) only if content or mode differs.
install_file() {
  local src=$1 dest=$2 mode=$3 tmp
  if [[ -f $dest ]] && cmp -s "$src" "$dest"; then
    keep_file "$dest" "$mode"
    return
  fi
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$(dirname "$dest")/.$(basename "$dest").XXXXXX")
  cat "$src" >"$tmp"
  chown 0:0 "$tmp" && chmod "$mode" "$tmp"
  mv -f "$tmp" "$dest"
  printf 'updated: %s\n' "$dest"
  changed=1
}

install -d -m 0755 /opt/sitrep
install -d -m 0750 /etc/sitrep
install_file "$artifact" "$ARTIFACT_DEST" 0755
# Before the artifact became CommonJS it was sitrep-agent.mjs; the new unit no longer uses it.
if [[ -e /opt/sitrep/sitrep-agent.mjs ]]; then
  rm -f /opt/sitrep/sitrep-agent.mjs
  printf 'removed: %s\n' /opt/sitrep/sitrep-agent.mjs
  changed=1
fi
if [[ -n $password_file || $password_stdin == 1 ]]; then
  install_file "$staged_password" "$PASSWORD_DEST" 0600
else
  keep_file "$PASSWORD_DEST" 0600 'kept: no password given'
fi
install_file "$staging/agent.yaml" "$CONFIG_DEST" 0640
agent_changed=$changed
changed=0
install_file "$staging/$UNIT_NAME" "$UNIT_DEST" 0644
unit_changed=$changed

if [[ $unit_changed == 1 ]]; then
  systemctl daemon-reload
  printf 'reloaded: systemd (unit changed)\n'
fi
if systemctl is-enabled --quiet "$UNIT_NAME" 2>/dev/null; then
  printf 'unchanged: %s enabled\n' "$UNIT_NAME"
else
  systemctl enable --quiet "$UNIT_NAME"
  printf 'enabled: %s\n' "$UNIT_NAME"
fi
if ! systemctl is-active --quiet "$UNIT_NAME"; then
  systemctl reset-failed "$UNIT_NAME" 2>/dev/null || true
  systemctl start "$UNIT_NAME"
  printf 'started: %s\n' "$UNIT_NAME"
elif [[ $agent_changed == 1 || $unit_changed == 1 ]]; then
  systemctl restart "$UNIT_NAME"
  printf 'restarted: %s\n' "$UNIT_NAME"
else
  printf 'unchanged: %s running (not restarted)\n' "$UNIT_NAME"
fi
