#!/usr/bin/env bash
# systemd-sandbox.sh: boot a REAL systemd (Debian 12, systemd 252) as PID 1 of its own
# namespaces with systemd-nspawn, on a host whose PID 1 is NOT systemd (no machined,
# no host system bus): hence --register=no --keep-unit, and nspawn is put in a
# cgroup of its own first so that its payload/supervisor cgroups stay under it.
#
#   systemd-sandbox.sh deps      apt-get install systemd-container debootstrap (if missing)
#   systemd-sandbox.sh build     debootstrap the rootfs once (~35 s), idempotent
#   systemd-sandbox.sh up        boot it (~0.3 s to "running"), prints the leader PID
#   systemd-sandbox.sh exec CMD  run CMD inside (clean env), e.g. exec systemctl show foo
#   systemd-sandbox.sh pid       leader PID (host view) for nsenter / /proc/PID/root
#   systemd-sandbox.sh down      clean shutdown (~0.1-2 s), SIGKILL fallback, cgroup cleanup, run dir removed
#   systemd-sandbox.sh all       deps + build + up
#
# Env: SDT_DIR (rootfs cache and run dirs; default /tmp/sdtest), SDT_NAME (machine name, default
#      sitrep-sdtest; give every concurrent sandbox its own), SDT_PROJECT (host dir bind-mounted
#      read-only at the same path inside; default: the repository holding this script),
#      SDT_NODE (node binary bind-mounted as /usr/local/bin/node; default: `command -v node`),
#      SDT_EXTRA (extra nspawn args, e.g. "--private-network"), SDT_LIFETIME (hard cap, s).
# The rootfs is shared read-only by every sandbox (--volatile=overlay: writes go to a tmpfs that
# vanishes at shutdown), so any number of sandboxes can run side by side from one build.
# Without --private-network the container shares the host's network namespace: a server the host
# binds on 127.0.0.1 is reachable from inside at the same address.
#
# sitrep's copy of /work/shared/tools/systemd-sandbox.sh (CI must not depend on files outside the
# repo). Changes: build is serialised with flock and idempotent under concurrency, SDT_PROJECT
# defaults to the repository, SDT_NODE, name validation, `down` removes the run dir.
set -euo pipefail

SDT_DIR=${SDT_DIR:-/tmp/sdtest}
NAME=${SDT_NAME:-sitrep-sdtest}
ROOT=$SDT_DIR/rootfs
RUN=$SDT_DIR/run-$NAME
PROJECT=${SDT_PROJECT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LIFETIME=${SDT_LIFETIME:-3600}
SUITE=bookworm

log() { printf '[systemd-sandbox] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"
# A machine name is a host name: it becomes the container's hostname and a cgroup directory name.
[[ "$NAME" =~ ^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$ ]] || die "SDT_NAME must be letters, digits and -, at most 63: $NAME"
ms() { echo $(( $(date +%s%N) / 1000000 )); }

cmd_deps() {
  if command -v systemd-nspawn >/dev/null && command -v debootstrap >/dev/null; then return; fi
  command -v apt-get >/dev/null || die "systemd-nspawn or debootstrap missing and no apt-get to install them"
  log "installing systemd-container debootstrap"
  timeout 300 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=120 systemd-container debootstrap >/dev/null
}

cmd_build() {
  [ -x "$ROOT/usr/lib/systemd/systemd" ] && { log "rootfs exists: $ROOT"; return; }
  mkdir -p "$SDT_DIR"
  # Concurrent builds (parallel test files, two CI jobs) wait for one another, then reuse its result.
  exec 9>"$SDT_DIR/build.lock"
  flock -w 900 9 || die "timed out waiting for another build ($SDT_DIR/build.lock)"
  [ -x "$ROOT/usr/lib/systemd/systemd" ] && { log "rootfs exists: $ROOT (built meanwhile)"; return; }
  local t0; t0=$(ms); rm -rf "$ROOT.tmp"
  # No mirror argument: debootstrap's built-in default Debian mirror is used.
  timeout 900 debootstrap --variant=minbase --include=systemd,dbus,procps \
    "$SUITE" "$ROOT.tmp" >"$SDT_DIR/debootstrap.log" 2>&1 \
    || { tail -20 "$SDT_DIR/debootstrap.log" >&2; die "debootstrap failed"; }
  echo sdtest >"$ROOT.tmp/etc/hostname"
  systemd-id128 new >"$ROOT.tmp/etc/machine-id"
  mkdir -p "$ROOT.tmp/usr/local/bin" "$ROOT.tmp/etc/systemd/system.conf.d"
  printf '[Manager]\nDefaultCPUAccounting=yes\n' >"$ROOT.tmp/etc/systemd/system.conf.d/10-test.conf"
  # nothing periodic that could interfere with tests
  rm -f "$ROOT.tmp"/etc/systemd/system/timers.target.wants/*
  mv "$ROOT.tmp" "$ROOT"
  log "rootfs built in $(( $(ms) - t0 )) ms"
}

leader() { cat "$RUN/leader" 2>/dev/null; }

cmd_up() {
  [ -x "$ROOT/usr/lib/systemd/systemd" ] || die "no rootfs, run build"
  if [ -n "$(leader)" ] && kill -0 "$(leader)" 2>/dev/null; then log "already up"; leader; return; fi
  mkdir -p "$RUN"; rm -f "$RUN"/*
  local t0 node binds=() i nspawn="" l="" s=""; t0=$(ms)
  node=${SDT_NODE:-$(command -v node || true)}
  [ -n "$node" ] && binds+=("--bind-ro=$(readlink -f "$node"):/usr/local/bin/node")
  [ -d "$PROJECT" ] && binds+=("--bind-ro=$PROJECT")
  # Start nspawn from a helper shell that first moves itself into cgroups of its own.
  # Pure cgroup v2 inside the container (SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1), like modern hosts.
  # shellcheck disable=SC2086
  setsid bash -c '
    n=$1; shift
    if [ -d /sys/fs/cgroup/unified ]; then hs="/sys/fs/cgroup/unified /sys/fs/cgroup/systemd"; else hs=/sys/fs/cgroup; fi
    for h in $hs; do mkdir -p "$h/$n"; echo $$ >"$h/$n/cgroup.procs"; done
    exec "$@"' _ "sdt-$NAME" \
    env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 \
    timeout --kill-after=30 "$LIFETIME" \
    systemd-nspawn -D "$ROOT" -M "$NAME" -b --register=no --keep-unit \
      --console=read-only --volatile=overlay "${binds[@]}" ${SDT_EXTRA:-} \
    >"$RUN/console.log" 2>&1 </dev/null &
  echo $! >"$RUN/timeout"
  for i in $(seq 200); do   # 10 s: timeout -> systemd-nspawn -> container PID 1
    nspawn=$(pgrep -P "$(cat "$RUN/timeout")" -x systemd-nspawn || true)
    [ -n "$nspawn" ] && l=$(pgrep -P "$nspawn" || true) && [ -n "$l" ] && break
    sleep 0.05
  done
  [ -n "$l" ] || { cat "$RUN/console.log" >&2; die "container did not start"; }
  echo "$nspawn" >"$RUN/nspawn"; echo "$l" >"$RUN/leader"
  for i in $(seq 600); do   # 30 s
    s=$(timeout 5 nsenter -t "$l" -a systemctl is-system-running 2>/dev/null || true)
    case "$s" in running|degraded) break ;; esac
    sleep 0.05
  done
  case "$s" in running|degraded) ;; *) cat "$RUN/console.log" >&2; die "boot did not finish (state: $s)";; esac
  log "up: leader PID $l, state $s, $(( $(ms) - t0 )) ms"
  echo "$l"
}

cmd_exec() {
  local l; l=$(leader); [ -n "$l" ] || die "not up"
  exec nsenter -t "$l" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 HOME=/root "$@"
}

cmd_down() {
  local tp n i; tp=$(cat "$RUN/timeout" 2>/dev/null || true); n=$(cat "$RUN/nspawn" 2>/dev/null || true)
  if [ -n "$n" ] && kill -0 "$n" 2>/dev/null; then
    kill -TERM "$n"                           # nspawn turns SIGTERM into a clean container halt
    for i in $(seq 200); do kill -0 "$n" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$n" 2>/dev/null && { log "clean shutdown timed out, SIGKILL"; kill -KILL "$n"; sleep 0.5; }
  fi
  [ -n "$tp" ] && kill -0 "$tp" 2>/dev/null && kill -TERM "$tp" 2>/dev/null || true
  for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
    [ -d "$h/sdt-$NAME" ] && find "$h/sdt-$NAME" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  rm -rf "$RUN"
  log "down"
}

case "${1:-}" in
  deps) cmd_deps ;;
  build) cmd_build ;;
  up) cmd_up ;;
  exec) shift; cmd_exec "$@" ;;
  pid) leader ;;
  down) cmd_down ;;
  all) cmd_deps; cmd_build; cmd_up ;;
  *) sed -n 2,30p "$0"; exit 2 ;;
esac
