#!/usr/bin/env bash
# Start the whole hub (broker, projector, dashboard, a local agent) with embedded defaults.
# Works on a fresh machine: installs what is missing first. Extra arguments go to `sitrep hub`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_node
ensure_pnpm
ensure_workspace
build_ui
exec node cli/bin/sitrep.js hub "$@"
