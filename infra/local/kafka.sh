#!/usr/bin/env bash
# Local single-node Apache Kafka 4 (KRaft, broker + controller in one JVM) built from Maven
# Central jars: no tarball, no Docker. State lives in $KANSHI_HOME/kafka.
#
#   bash infra/local/kafka.sh [install|up|topics|down|status]     (default: up)
#
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1), KAFKA_HEAP (768m),
#      KAFKA_START_TIMEOUT_S (90), KANSHI_HOME (~/.kanshi).
KANSHI_COMPONENT=kafka
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_HEAP="${KAFKA_HEAP:-768m}"
KAFKA_START_TIMEOUT_S="${KAFKA_START_TIMEOUT_S:-90}"

HERE="${KANSHI_REPO}/infra/local/kafka"
DIR="${KANSHI_HOME}/kafka"
LIBS="${DIR}/libs"
DATA="${DIR}/data"
LOGS="${DIR}/logs"
PIDFILE="${DIR}/kafka.pid"
OUT="${DIR}/kafka.out"
MARKER="-Dkanshi.service=kafka"

# The pom's checksum names the jar set, so editing the Kafka version re-downloads exactly once.
libs_stamp() { sha1sum "${HERE}/pom.xml" | awk '{print $1}'; }

install() {
  if [[ -f "${LIBS}/.kanshi-stamp" && "$(cat "${LIBS}/.kanshi-stamp")" == "$(libs_stamp)" ]]; then
    return 0
  fi
  require_cmd mvn "install Maven 3.8+ (apt-get install maven); it fetches the Kafka jars from Maven Central"
  log "downloading Kafka jars from Maven Central into ${LIBS}"
  mkdir -p "${DIR}"
  rm -rf "${LIBS}.new"
  mvn -B -Dstyle.color=never -f "${HERE}/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="${LIBS}.new" >"${DIR}/mvn.log" 2>&1 ||
    { tail -n 30 "${DIR}/mvn.log" >&2; die "mvn could not fetch the Kafka jars; full output: ${DIR}/mvn.log"; }
  libs_stamp >"${LIBS}.new/.kanshi-stamp"
  rm -rf "${LIBS}"
  mv "${LIBS}.new" "${LIBS}"
}

JVM_OPTS=(-Xms128m -Xmx"${KAFKA_HEAP}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "${MARKER}" -Dkafka.logs.dir="${LOGS}" -Dlog4j2.configurationFile="${HERE}/log4j2.properties"
  -cp "${LIBS}/*")
java_cmd() { java "${JVM_OPTS[@]}" "$@"; }

render_config() {
  mkdir -p "${DATA}" "${LOGS}"
  sed -e "s|@KAFKA_PORT@|${KAFKA_PORT}|g" \
    -e "s|@CONTROLLER_PORT@|${KAFKA_CONTROLLER_PORT}|g" \
    -e "s|@DATA_DIR@|${DATA}|g" \
    "${HERE}/server.properties.template" >"${DIR}/server.properties"
}

# --standalone writes the controller's own endpoint into the bootstrap voter set, so data
# formatted for another controller port can never start: it is dev data, wipe and reformat.
format_storage() {
  local want="controller=127.0.0.1:${KAFKA_CONTROLLER_PORT}"
  if [[ -f "${DATA}/meta.properties" && "$(cat "${DATA}/.kanshi-format" 2>/dev/null)" == "$want" ]]; then
    return 0
  fi
  if [[ -d "${DATA}" ]] && [[ -n "$(ls -A "${DATA}" 2>/dev/null)" ]]; then
    log "log dir was formatted for another controller endpoint; wiping ${DATA}"
    rm -rf "${DATA}"
    mkdir -p "${DATA}"
  fi
  local cluster_id
  cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid 2>>"${OUT}" | tail -n 1)" || true
  [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] ||
    { tail -n 20 "${OUT}" >&2; die "kafka-storage random-uuid failed (printed '${cluster_id}'); see ${OUT}"; }
  log "formatting ${DATA} (cluster ${cluster_id})"
  java_cmd kafka.tools.StorageTool format --standalone --ignore-formatted \
    --cluster-id "${cluster_id}" --config "${DIR}/server.properties" >>"${OUT}" 2>&1 ||
    { tail -n 20 "${OUT}" >&2; die "kafka-storage format failed; see ${OUT}"; }
  echo "$want" >"${DATA}/.kanshi-format"
}

up() {
  if pid_running "${PIDFILE}" "${MARKER}"; then
    if port_open 127.0.0.1 "${KAFKA_PORT}"; then
      log "already running (pid $(cat "${PIDFILE}")) on 127.0.0.1:${KAFKA_PORT}"
      return 0
    fi
    log "pid $(cat "${PIDFILE}") is alive but 127.0.0.1:${KAFKA_PORT} does not answer; waiting for it"
  else
    require_java17
    install
    require_port_free "${KAFKA_PORT}" "Kafka"
    require_port_free "${KAFKA_CONTROLLER_PORT}" "the Kafka controller"
    render_config
    format_storage
    log "starting broker+controller on 127.0.0.1:${KAFKA_PORT} (controller :${KAFKA_CONTROLLER_PORT}); log ${LOGS}/server.log"
    : >"${OUT}"
    start_daemon "${PIDFILE}" "${OUT}" java "${JVM_OPTS[@]}" kafka.Kafka "${DIR}/server.properties"
  fi
  wait_until "${KAFKA_START_TIMEOUT_S}" "${PIDFILE}" "${MARKER}" "Kafka" "${LOGS}/server.log,${OUT}" \
    port_open 127.0.0.1 "${KAFKA_PORT}"
  log "ready on 127.0.0.1:${KAFKA_PORT}"
}

# Topics are created through the same code the services use (packages/bus), so the table in
# topics.ts is the only place partition counts and cleanup policies are written down.
topics() {
  local entry="${KANSHI_REPO}/packages/bus/dist/topics-main.js"
  [[ -d "${KANSHI_REPO}/node_modules/kafkajs" ]] || die "node_modules is missing; run 'npm ci' at the repository root first"
  if [[ ! -f "$entry" ]]; then
    log "building packages/bus (dist is missing)"
    (cd "${KANSHI_REPO}" && npx tsc -b packages/bus) || die "could not build packages/bus"
  fi
  KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT}" node "$entry"
}

status() {
  if pid_running "${PIDFILE}" "${MARKER}"; then
    echo "kafka: running (pid $(cat "${PIDFILE}")) on 127.0.0.1:${KAFKA_PORT}"
  else
    echo "kafka: stopped"
    return 1
  fi
}

case "${1:-up}" in
  install) install ;;
  up) up ;;
  topics) topics ;;
  down) stop_pidfile "${PIDFILE}" "${MARKER}" "Kafka" ;;
  status) status ;;
  *) die "usage: kafka.sh [install|up|topics|down|status]" ;;
esac
