#!/usr/bin/env bash
# Stops what infra/local/up.sh started, through the pid files under $KANSHI_HOME. Downloads
# and Kafka's log dir stay, so the next up.sh is fast; `rm -rf "$KANSHI_HOME"` resets all.
KANSHI_COMPONENT=down
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE="${KANSHI_REPO}/infra/local"
pids=()
if [[ -f "${HERE}/clickhouse.sh" ]]; then
  bash "${HERE}/clickhouse.sh" down &
  pids+=($!)
fi
bash "${HERE}/kafka.sh" down &
pids+=($!)
bash "${HERE}/registry.sh" down &
pids+=($!)

status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
rm -f "${KANSHI_HOME}/endpoints.env"
exit "$status"
