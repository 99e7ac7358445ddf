#!/usr/bin/env bash
# A second local Kafka that only speaks SASL_SSL, for the secure-connection test: SCRAM-SHA-512
# and SCRAM-SHA-256 users, TLS with a CA made here (openssl), client certificates required. It
# runs beside the plaintext broker of kafka.sh (never reconfiguring it), from the same jars, with
# its state in $KANSHI_HOME/secure-kafka:
#
#   tls/      ca.pem, broker.{pem,key,p12}, client.{pem,key}   (made once, valid 30 days)
#   secrets/  admin, kanshi (SCRAM passwords), store           (random, mode 0600)
#   client.env  what a Kanshi service needs to connect (KAFKA_SECURITY_PROTOCOL=SASL_SSL ...)
#
#   bash infra/local/secure-kafka.sh [up|down|status|env]     (default: up)
#
# Env: SECURE_KAFKA_PORT (9194), SECURE_KAFKA_CONTROLLER_PORT (9195), SECURE_KAFKA_HEAP (384m),
#      SECURE_KAFKA_START_TIMEOUT_S (120), KANSHI_HOME (~/.kanshi).
KANSHI_COMPONENT=secure-kafka
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT="${SECURE_KAFKA_PORT:-9194}"
CONTROLLER_PORT="${SECURE_KAFKA_CONTROLLER_PORT:-9195}"
HEAP="${SECURE_KAFKA_HEAP:-384m}"
START_TIMEOUT_S="${SECURE_KAFKA_START_TIMEOUT_S:-120}"

HERE="${KANSHI_REPO}/infra/local"
DIR="${KANSHI_HOME}/secure-kafka"
LIBS="${KANSHI_HOME}/kafka/libs"
TLS="${DIR}/tls"
SECRETS="${DIR}/secrets"
DATA="${DIR}/data"
LOGS="${DIR}/logs"
PIDFILE="${DIR}/kafka.pid"
OUT="${DIR}/kafka.out"
MARKER="-Dkanshi.service=secure-kafka"

JVM_OPTS=(-Xms64m -Xmx"${HEAP}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
  "${MARKER}" -Dkafka.logs.dir="${LOGS}" -Dlog4j2.configurationFile="${HERE}/kafka/log4j2.properties"
  -cp "${LIBS}/*")

random_secret() { openssl rand -hex 24; }

make_secrets() {
  mkdir -p "${SECRETS}"
  chmod 700 "${SECRETS}"
  local name
  for name in admin kanshi store; do
    [[ -s "${SECRETS}/${name}" ]] || (umask 077 && random_secret >"${SECRETS}/${name}")
  done
}

# A CA, a broker certificate for 127.0.0.1/localhost and a client certificate, all signed by
# the CA. Remade when missing or within two days of expiry.
make_certificates() {
  require_cmd openssl "install openssl; it makes the test CA and certificates"
  if [[ -s "${TLS}/broker.p12" && -s "${TLS}/client.pem" ]] && openssl x509 -checkend 172800 -noout -in "${TLS}/ca.pem" >/dev/null 2>&1; then
    return 0
  fi
  log "making a CA, a broker and a client certificate in ${TLS}"
  rm -rf "${TLS}"
  mkdir -p "${TLS}"
  chmod 700 "${TLS}"
  (
    cd "${TLS}"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Kanshi local test CA" \
      -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >broker.ext
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout broker.key -out broker.csr
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile broker.ext -out broker.pem
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kanshi" -keyout client.key -out client.csr
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile client.ext -out client.pem
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker \
      -passout "file:${SECRETS}/store" -out broker.p12
    rm -f ./*.csr ./*.ext ./*.srl
  ) >"${DIR}/openssl.log" 2>&1 || { tail -n 20 "${DIR}/openssl.log" >&2; die "openssl could not make the certificates; see ${DIR}/openssl.log"; }
  chmod 644 "${TLS}/ca.pem" "${TLS}/broker.pem" "${TLS}/client.pem"
}

render_config() {
  mkdir -p "${DATA}" "${LOGS}"
  (umask 077 && sed -e "s|@PORT@|${PORT}|g" -e "s|@CONTROLLER_PORT@|${CONTROLLER_PORT}|g" \
    -e "s|@DATA_DIR@|${DATA}|g" -e "s|@TLS_DIR@|${TLS}|g" \
    -e "s|@ADMIN_PASSWORD@|$(cat "${SECRETS}/admin")|g" -e "s|@STORE_PASSWORD@|$(cat "${SECRETS}/store")|g" \
    "${HERE}/secure-kafka/server.properties.template" >"${DIR}/server.properties")
}

# SCRAM users exist from the first start: kafka-storage format --add-scram writes them into the
# bootstrap metadata (KIP-900), so no broker-side step is needed before clients connect.
format_storage() {
  local want="controller=127.0.0.1:${CONTROLLER_PORT} users=$(sha1sum "${SECRETS}/admin" "${SECRETS}/kanshi" | awk '{print $1}' | tr -d '\n')"
  if [[ -f "${DATA}/meta.properties" && "$(cat "${DIR}/.kanshi-format" 2>/dev/null)" == "$want" ]]; then
    return 0
  fi
  rm -rf "${DATA}"
  mkdir -p "${DATA}"
  local cluster_id admin kanshi
  # a leading '-' reads as an option to kafka-storage's parser (1 draw in 64): draw again, as
  # Kafka's own random-uuid does
  cluster_id="-"
  while [[ "${cluster_id}" == -* ]]; do
    cluster_id="$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=\n')"
  done
  admin="$(cat "${SECRETS}/admin")"
  kanshi="$(cat "${SECRETS}/kanshi")"
  log "formatting ${DATA} (cluster ${cluster_id}) with SCRAM users admin and kanshi"
  java "${JVM_OPTS[@]}" kafka.tools.StorageTool format --standalone --ignore-formatted \
    --cluster-id "${cluster_id}" --config "${DIR}/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${admin}]" \
    --add-scram "SCRAM-SHA-512=[name=kanshi,password=${kanshi}]" \
    --add-scram "SCRAM-SHA-256=[name=kanshi,password=${kanshi}]" >>"${OUT}" 2>&1 ||
    { tail -n 20 "${OUT}" >&2; die "kafka-storage format failed; see ${OUT}"; }
  echo "$want" >"${DIR}/.kanshi-format"
}

write_client_env() {
  (umask 077 && cat >"${DIR}/client.env" <<ENV
KAFKA_BROKERS=127.0.0.1:${PORT}
KAFKA_SECURITY_PROTOCOL=SASL_SSL
KAFKA_SASL_MECHANISM=SCRAM-SHA-512
KAFKA_SASL_USERNAME=kanshi
KAFKA_SASL_PASSWORD_FILE=${SECRETS}/kanshi
KAFKA_SSL_CA_FILE=${TLS}/ca.pem
KAFKA_SSL_CERT_FILE=${TLS}/client.pem
KAFKA_SSL_KEY_FILE=${TLS}/client.key
ENV
  )
}

up() {
  [[ -d "${LIBS}" ]] || bash "${HERE}/kafka.sh" install
  make_secrets
  make_certificates
  write_client_env
  if pid_running "${PIDFILE}" "${MARKER}"; then
    log "already running (pid $(cat "${PIDFILE}")); waiting for 127.0.0.1:${PORT}"
  else
    require_java17
    require_port_free "${PORT}" "the secure Kafka listener"
    require_port_free "${CONTROLLER_PORT}" "the secure Kafka controller"
    : >"${OUT}"
    render_config
    format_storage
    log "starting a SASL_SSL broker on 127.0.0.1:${PORT} (controller :${CONTROLLER_PORT}); log ${LOGS}/server.log"
    start_daemon "${PIDFILE}" "${OUT}" java "${JVM_OPTS[@]}" kafka.Kafka "${DIR}/server.properties"
  fi
  wait_until "${START_TIMEOUT_S}" "${PIDFILE}" "${MARKER}" "the secure Kafka broker" "${LOGS}/server.log,${OUT}" \
    port_open 127.0.0.1 "${PORT}"
  log "ready on 127.0.0.1:${PORT} (SASL_SSL); client settings in ${DIR}/client.env"
}

case "${1:-up}" in
  up) up ;;
  down) stop_pidfile "${PIDFILE}" "${MARKER}" "the secure Kafka broker" ;;
  status) pid_running "${PIDFILE}" "${MARKER}" && echo "secure-kafka: running (pid $(cat "${PIDFILE}")) on 127.0.0.1:${PORT}" || { echo "secure-kafka: stopped"; exit 1; } ;;
  env) cat "${DIR}/client.env" ;;
  *) die "usage: secure-kafka.sh [up|down|status|env]" ;;
esac
