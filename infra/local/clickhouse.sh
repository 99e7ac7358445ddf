#!/usr/bin/env bash
# Local ClickHouse server from the Debian package (18.16 on Debian 12; any later server works
# too), with Kanshi's own config: 127.0.0.1 only, state in $KANSHI_HOME/clickhouse, run as the
# current user. No Docker.
#
#   bash infra/local/clickhouse.sh [install|up|down|status]     (default: up)
#
# Env: CLICKHOUSE_HTTP_PORT (8123), CLICKHOUSE_TCP_PORT (9000; when unset and 9000 is taken,
#      the next free port up to 9019), CLICKHOUSE_START_TIMEOUT_S (60), KANSHI_HOME (~/.kanshi).
KANSHI_COMPONENT=clickhouse
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HTTP_PORT="${CLICKHOUSE_HTTP_PORT:-8123}"
START_TIMEOUT_S="${CLICKHOUSE_START_TIMEOUT_S:-60}"

HERE="${KANSHI_REPO}/infra/local/clickhouse"
DIR="${KANSHI_HOME}/clickhouse"
PIDFILE="${DIR}/clickhouse.pid"
OUT="${DIR}/log/stdout.log"
ERRLOG="${DIR}/log/clickhouse-server.err.log"
# The server renames its threads but keeps its command line: our config path marks our process.
MARKER="${DIR}/config.xml"

# Debian ships a clickhouse-server binary; upstream packages ship one `clickhouse` binary
# that needs the `server` sub-command. Prints the command, one word per line.
server_cmd() {
  if command -v clickhouse-server >/dev/null 2>&1; then
    command -v clickhouse-server
  elif [[ -x /usr/bin/clickhouse ]]; then
    printf '%s\n' /usr/bin/clickhouse server
  else
    return 1
  fi
}

install() {
  server_cmd >/dev/null && return 0
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    sudo -n true 2>/dev/null ||
      die "clickhouse-server is not installed and this user cannot install it (no root, no passwordless sudo); run: sudo apt-get update && sudo apt-get install -y clickhouse-server clickhouse-client"
    sudo=(sudo -n)
  fi
  require_cmd apt-get "install clickhouse-server from your distribution, or set CLICKHOUSE_URL to a running server"
  mkdir -p "${KANSHI_HOME}"
  local aptlog="${KANSHI_HOME}/clickhouse-apt.log"
  log "installing clickhouse-server from Debian (apt-get; log ${aptlog})"
  # Only the binaries are wanted: the package's own service (/etc/clickhouse-server,
  # /var/lib/clickhouse) is not used, this script starts a server with Kanshi's config.
  "${sudo[@]}" apt-get update -qq >"${aptlog}" 2>&1 &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client >>"${aptlog}" 2>&1 ||
    { tail -n 20 "${aptlog}" >&2; die "apt-get could not install clickhouse-server; log: ${aptlog}"; }
  server_cmd >/dev/null || die "clickhouse-server still not found after installing it; log: ${aptlog}"
}

# Later servers refuse (or switch user) when the data directory belongs to someone else, and
# 18.16 fails later on its first write: say so now, with the fix.
require_own_dir() {
  mkdir -p "${DIR}" 2>/dev/null || die "cannot create ${DIR}; set KANSHI_HOME to a directory you own"
  local owner d
  for d in "${DIR}" "${DIR}/data"; do
    [[ -e "$d" ]] || continue
    owner="$(stat -c %u "$d")"
    [[ "$owner" == "$(id -u)" ]] ||
      die "${d} belongs to uid ${owner}, but this script runs ClickHouse as $(id -un) (uid $(id -u)); run it as that user, or take the directory over: chown -R $(id -un) '${DIR}'"
  done
}

# The native port is not used by Kanshi (the store speaks HTTP), so when nobody asked for a
# particular one, a busy 9000 (often another tool's default) just moves it.
choose_tcp_port() {
  if [[ -n "${CLICKHOUSE_TCP_PORT:-}" ]]; then
    require_port_free "${CLICKHOUSE_TCP_PORT}" "ClickHouse (native protocol; CLICKHOUSE_TCP_PORT)"
    TCP_PORT="${CLICKHOUSE_TCP_PORT}"
    return 0
  fi
  local p
  for p in $(seq 9000 9019); do
    if ! port_open 127.0.0.1 "$p"; then
      [[ "$p" == 9000 ]] || log "127.0.0.1:9000 is in use; the native protocol goes to ${p} instead"
      TCP_PORT="$p"
      return 0
    fi
  done
  die "ports 9000-9019 are all in use; set CLICKHOUSE_TCP_PORT to a free port"
}

render_config() {
  mkdir -p "${DIR}/data" "${DIR}/tmp" "${DIR}/log" "${DIR}/user_files" "${DIR}/format_schemas"
  local f
  for f in config.xml users.xml; do
    sed -e "s|@DIR@|${DIR}|g" -e "s|@HTTP_PORT@|${HTTP_PORT}|g" -e "s|@TCP_PORT@|${TCP_PORT}|g" \
      "${HERE}/${f}" >"${DIR}/${f}.tmp"
    mv "${DIR}/${f}.tmp" "${DIR}/${f}"
  done
}

ready() { [[ "$(curl -fs --max-time 2 "http://127.0.0.1:${HTTP_PORT}/ping" 2>/dev/null)" == "Ok." ]]; }
server_version() { curl -fs --max-time 2 "http://127.0.0.1:${HTTP_PORT}/?query=SELECT%20version()" 2>/dev/null || echo '?'; }
configured_tcp_port() { sed -n 's|.*<tcp_port>\([0-9]*\)</tcp_port>.*|\1|p' "${DIR}/config.xml" 2>/dev/null || true; }

up() {
  require_cmd curl "install curl (the health check uses it)"
  if pid_running "${PIDFILE}" "${MARKER}"; then
    if ready; then
      log "already running (pid $(cat "${PIDFILE}")) on 127.0.0.1:${HTTP_PORT}"
      return 0
    fi
    log "pid $(cat "${PIDFILE}") is alive but not ready yet; waiting for it"
  else
    install
    require_own_dir
    require_port_free "${HTTP_PORT}" "ClickHouse (http; set CLICKHOUSE_HTTP_PORT)"
    choose_tcp_port
    render_config
    local cmd
    mapfile -t cmd < <(server_cmd)
    log "starting ${cmd[*]} as $(id -un) on 127.0.0.1:${HTTP_PORT} (native :${TCP_PORT}); logs in ${DIR}/log"
    rm -f "${PIDFILE}"
    : >"${OUT}"
    # The error log outlives runs; a marker keeps the lines shown on failure to this start.
    echo "---- kanshi clickhouse.sh start $(date -u +%FT%TZ) ----" >>"${ERRLOG}"
    # Output to a file and setsid: a daemon holding a caller's pipe would keep that caller
    # waiting, and it must not receive the terminal's Ctrl-C. The inner shell records its own
    # pid and then becomes the server, so the pid file is exact.
    setsid bash -c 'echo $$ >"$0"; cd "$1" && shift && exec "$@"' "${PIDFILE}" "${DIR}" \
      "${cmd[@]}" --config-file="${MARKER}" </dev/null >>"${OUT}" 2>&1 &
    local deadline=$((SECONDS + 5))
    while [[ ! -s "${PIDFILE}" ]] && ((SECONDS < deadline)); do sleep 0.1; done
  fi
  wait_until "${START_TIMEOUT_S}" "${PIDFILE}" "${MARKER}" "ClickHouse" "${OUT},${ERRLOG}" ready
  log "ready: http://127.0.0.1:${HTTP_PORT} (ClickHouse $(server_version), native :$(configured_tcp_port))"
}

status() {
  if ! pid_running "${PIDFILE}" "${MARKER}"; then
    echo "clickhouse: stopped"
    return 1
  fi
  if ready; then
    echo "clickhouse: running (pid $(cat "${PIDFILE}")), ClickHouse $(server_version) on http://127.0.0.1:${HTTP_PORT}, native :$(configured_tcp_port)"
  else
    echo "clickhouse: pid $(cat "${PIDFILE}") alive but http://127.0.0.1:${HTTP_PORT}/ping does not answer Ok.; logs in ${DIR}/log"
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
