#!/usr/bin/env bash
# Local ClickHouse server from the Debian package (18.16 on Debian 12; any later server works
# too), with Kanshi's own config: 127.0.0.1 only, state in $KANSHI_HOME/clickhouse.
#
#   bash infra/local/clickhouse.sh [install|up|down|status]     (default: up)
#
# Env: CLICKHOUSE_HTTP_PORT (8123), CLICKHOUSE_TCP_PORT (9000), CLICKHOUSE_START_TIMEOUT_S (60).
KANSHI_COMPONENT=clickhouse
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HTTP_PORT="${CLICKHOUSE_HTTP_PORT:-8123}"
TCP_PORT="${CLICKHOUSE_TCP_PORT:-9000}"
START_TIMEOUT_S="${CLICKHOUSE_START_TIMEOUT_S:-60}"

HERE="${KANSHI_REPO}/infra/local/clickhouse"
DIR="${KANSHI_HOME}/clickhouse"
PIDFILE="${DIR}/clickhouse.pid"
OUT="${DIR}/log/stdout.log"
# The server renames its threads but keeps its command line: our config path marks our process.
MARKER="${DIR}/config.xml"

server_bin() { command -v clickhouse-server || { [[ -x /usr/bin/clickhouse ]] && echo /usr/bin/clickhouse; }; }

install() {
  [[ -n "$(server_bin)" ]] && return 0
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    sudo -n true 2>/dev/null || die "clickhouse-server is not installed and this user cannot install it; run: sudo apt-get install -y clickhouse-server clickhouse-client"
    sudo=(sudo -n)
  fi
  require_cmd apt-get "install clickhouse-server from your distribution, or set CLICKHOUSE_URL to a running server"
  log "installing clickhouse-server from Debian (apt-get)"
  "${sudo[@]}" apt-get update -qq >"${KANSHI_HOME}/clickhouse-apt.log" 2>&1 &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq clickhouse-server clickhouse-client >>"${KANSHI_HOME}/clickhouse-apt.log" 2>&1 ||
    { tail -n 20 "${KANSHI_HOME}/clickhouse-apt.log" >&2; die "apt-get could not install clickhouse-server; log: ${KANSHI_HOME}/clickhouse-apt.log"; }
  [[ -n "$(server_bin)" ]] || die "clickhouse-server still not found after installing it"
}

render_config() {
  mkdir -p "${DIR}/data" "${DIR}/tmp" "${DIR}/log" "${DIR}/user_files" "${DIR}/format_schemas"
  local f
  for f in config.xml users.xml; do
    sed -e "s|@DIR@|${DIR}|g" -e "s|@HTTP_PORT@|${HTTP_PORT}|g" -e "s|@TCP_PORT@|${TCP_PORT}|g" \
      "${HERE}/${f}" >"${DIR}/${f}"
  done
}

ready() { [[ "$(curl -fs --max-time 2 "http://127.0.0.1:${HTTP_PORT}/ping" 2>/dev/null)" == "Ok." ]]; }

up() {
  if pid_running "${PIDFILE}" "${MARKER}"; then
    if ready; then
      log "already running (pid $(cat "${PIDFILE}")) on 127.0.0.1:${HTTP_PORT}"
      return 0
    fi
    log "pid $(cat "${PIDFILE}") is alive but not ready yet; waiting for it"
  else
    require_cmd curl "install curl"
    install
    require_port_free "${HTTP_PORT}" "ClickHouse (http)"
    require_port_free "${TCP_PORT}" "ClickHouse (native protocol; set CLICKHOUSE_TCP_PORT)"
    render_config
    log "starting $(server_bin) on 127.0.0.1:${HTTP_PORT}; logs in ${DIR}/log"
    rm -f "${PIDFILE}"
    # Output to a file and setsid: a daemon holding a caller's pipe would keep that caller waiting.
    setsid bash -c 'echo $$ >"$0"; cd "$1" && shift && exec "$@"' "${PIDFILE}" "${DIR}" \
      "$(server_bin)" --config-file="${MARKER}" </dev/null >>"${OUT}" 2>&1 &
    local deadline=$((SECONDS + 5))
    while [[ ! -s "${PIDFILE}" ]] && ((SECONDS < deadline)); do sleep 0.1; done
  fi
  wait_until "${START_TIMEOUT_S}" "${PIDFILE}" "${MARKER}" "ClickHouse" \
    "${OUT},${DIR}/log/clickhouse-server.err.log" ready
  log "ready: http://127.0.0.1:${HTTP_PORT} ($(curl -fs --max-time 2 "http://127.0.0.1:${HTTP_PORT}/?query=SELECT%20version()"))"
}

status() {
  if pid_running "${PIDFILE}" "${MARKER}"; then
    echo "clickhouse: running (pid $(cat "${PIDFILE}")) on 127.0.0.1:${HTTP_PORT}"
  else
    echo "clickhouse: stopped"
    return 1
  fi
}

case "${1:-up}" in
  install) install ;;
  up) up ;;
  down) stop_pidfile "${PIDFILE}" "${MARKER}" "ClickHouse" ;;
  status) status ;;
  *) die "usage: clickhouse.sh [install|up|down|status]" ;;
esac
