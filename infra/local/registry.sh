#!/usr/bin/env bash
# Local schema registry: Apicurio Registry 3.0 (in-memory H2) from its Maven Central
# distribution archive, serving the Confluent-compatible API at /apis/ccompat/v7.
#
#   bash infra/local/registry.sh [install|up|down|status]     (default: up)
#
# Env: REGISTRY_PORT (8081), REGISTRY_HEAP (384m), REGISTRY_START_TIMEOUT_S (90), KANSHI_HOME.
#
# Why 3.0.x: 3.1.x was never published to Maven Central (only its libraries were), and
# 3.2+ is compiled for Java 21 (UnsupportedClassVersionError, class file 65, on Java 17).
KANSHI_COMPONENT=registry
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

APICURIO_VERSION="${APICURIO_VERSION:-3.0.9}"
REGISTRY_PORT="${REGISTRY_PORT:-8081}"
REGISTRY_HEAP="${REGISTRY_HEAP:-384m}"
REGISTRY_START_TIMEOUT_S="${REGISTRY_START_TIMEOUT_S:-90}"

HERE="${KANSHI_REPO}/infra/local/registry"
DIR="${KANSHI_HOME}/registry"
APP="${DIR}/apicurio-${APICURIO_VERSION}"
PIDFILE="${DIR}/registry.pid"
LOGFILE="${DIR}/registry.log"
MARKER="-Dkanshi.service=registry"
HEALTH_URL="http://127.0.0.1:${REGISTRY_PORT}/health/ready"

runner_jar() { echo "${APP}/apicurio-registry-app-${APICURIO_VERSION}-runner.jar"; }

install() {
  [[ -f "${APP}/.kanshi-complete" ]] && return 0
  local file="apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz"
  log "downloading Apicurio Registry ${APICURIO_VERSION} from Maven Central (~105 MB)"
  mkdir -p "${DIR}"
  fetch_central "io/apicurio/apicurio-registry-app/${APICURIO_VERSION}" "$file" "${DIR}/${file}"
  rm -rf "${APP}.new"
  mkdir -p "${APP}.new"
  tar -xzf "${DIR}/${file}" -C "${APP}.new" || die "could not unpack ${DIR}/${file}"
  rm -f "${DIR}/${file}"
  [[ -f "${APP}.new/$(basename "$(runner_jar)")" ]] || die "the archive has no $(basename "$(runner_jar)")"
  touch "${APP}.new/.kanshi-complete"
  rm -rf "${APP}"
  mv "${APP}.new" "${APP}"
}

ready() { curl -fs --max-time 2 -o /dev/null "${HEALTH_URL}"; }

up() {
  if pid_running "${PIDFILE}" "${MARKER}"; then
    if ready; then
      log "already running (pid $(cat "${PIDFILE}")) on 127.0.0.1:${REGISTRY_PORT}"
      return 0
    fi
    log "pid $(cat "${PIDFILE}") is alive but not ready yet; waiting for it"
  else
    require_java17
    require_cmd curl "install curl"
    install
    require_port_free "${REGISTRY_PORT}" "the schema registry"
    mkdir -p "${DIR}/config"
    # Quarkus reads ./config/application.properties from its working directory.
    cp "${HERE}/application.properties" "${DIR}/config/application.properties"
    log "starting Apicurio Registry ${APICURIO_VERSION} on 127.0.0.1:${REGISTRY_PORT}; log ${LOGFILE}"
    : >"${LOGFILE}"
    rm -f "${PIDFILE}"
    # setsid + exec: detached from this shell's Ctrl-C, and the pid file names the JVM itself.
    # One simple background command, no subshell: a waiting parent shell would keep holding
    # this script's stdout, and a caller piping it (up.sh | tail) would never see EOF.
    setsid bash -c 'echo $$ >"$0"; cd "$1" && shift && exec "$@"' "${PIDFILE}" "${DIR}" \
      java -Xms64m -Xmx"${REGISTRY_HEAP}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "${MARKER}" \
      -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
      -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="${REGISTRY_PORT}" \
      -jar "$(runner_jar)" </dev/null >>"${LOGFILE}" 2>&1 &
    local deadline=$((SECONDS + 5))
    while [[ ! -s "${PIDFILE}" ]] && ((SECONDS < deadline)); do sleep 0.1; done
  fi
  wait_until "${REGISTRY_START_TIMEOUT_S}" "${PIDFILE}" "${MARKER}" "Apicurio Registry" "${LOGFILE}" ready
  log "ready: http://127.0.0.1:${REGISTRY_PORT}/apis/ccompat/v7"
}

status() {
  if pid_running "${PIDFILE}" "${MARKER}"; then
    echo "registry: running (pid $(cat "${PIDFILE}")) on 127.0.0.1:${REGISTRY_PORT}"
  else
    echo "registry: stopped"
    return 1
  fi
}

case "${1:-up}" in
  install) install ;;
  up) up ;;
  down) stop_pidfile "${PIDFILE}" "${MARKER}" "Apicurio Registry" ;;
  status) status ;;
  *) die "usage: registry.sh [install|up|down|status]" ;;
esac
