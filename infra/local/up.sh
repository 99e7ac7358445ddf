#!/usr/bin/env bash
# Starts everything Kanshi needs locally, without Docker: ClickHouse (if infra/local/clickhouse.sh
# exists), Kafka and the schema registry in parallel, then the topics. Idempotent: healthy
# services are left alone, so a second run only re-checks. Endpoints are printed and written
# to $KANSHI_HOME/endpoints.env. Stop everything with infra/local/down.sh.
KANSHI_COMPONENT=up
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE="${KANSHI_REPO}/infra/local"
KAFKA_PORT="${KAFKA_PORT:-9092}"
REGISTRY_PORT="${REGISTRY_PORT:-8081}"
CLICKHOUSE_URL="${CLICKHOUSE_URL:-http://127.0.0.1:${CLICKHOUSE_HTTP_PORT:-8123}}"
started=$SECONDS
mkdir -p "${KANSHI_HOME}"

# Each service runs as a background job; its exit status is collected below so one failure
# is reported by name instead of killing the others half-way through a download.
declare -A services=()
run_bg() { # name command...
  local name="$1"
  shift
  "$@" &
  services["$name"]=$!
}

# clickhouse.sh writes to a file, not a pipe: a daemon that inherits a pipe would keep this
# script (and any test runner reading its output) waiting until the daemon exits.
clickhouse_log="${KANSHI_HOME}/clickhouse-up.log"
if [[ -f "${HERE}/clickhouse.sh" ]]; then
  log "starting ClickHouse via infra/local/clickhouse.sh (output: ${clickhouse_log})"
  run_bg clickhouse bash -c "bash '${HERE}/clickhouse.sh' up </dev/null >'${clickhouse_log}' 2>&1"
else
  log "infra/local/clickhouse.sh not present; skipping ClickHouse"
fi
run_bg kafka bash "${HERE}/kafka.sh" up
run_bg registry bash "${HERE}/registry.sh" up

failed=()
for name in "${!services[@]}"; do
  wait "${services[$name]}" || failed+=("$name")
done
if [[ -n "${services[clickhouse]:-}" ]]; then cat "${clickhouse_log}" >&2; fi
((${#failed[@]} == 0)) || die "could not start: ${failed[*]} (see the messages above)"

bash "${HERE}/kafka.sh" topics || die "could not create the Kafka topics"

endpoints="${KANSHI_HOME}/endpoints.env"
cat >"${endpoints}.tmp" <<ENV
KAFKA_BROKERS=127.0.0.1:${KAFKA_PORT}
SCHEMA_REGISTRY_URL=http://127.0.0.1:${REGISTRY_PORT}/apis/ccompat/v7
CLICKHOUSE_URL=${CLICKHOUSE_URL}
ENV
mv "${endpoints}.tmp" "${endpoints}"

log "infrastructure ready in $((SECONDS - started))s; endpoints in ${endpoints}:"
cat "${endpoints}"
