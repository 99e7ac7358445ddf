# Shared helpers for the local-infra scripts; sourced, never run.
# Everything downloaded or started lives under $KANSHI_HOME so a clean clone stays clean
# and a second run can find (and reuse) what the first one left.

set -euo pipefail

KANSHI_HOME="${KANSHI_HOME:-$HOME/.kanshi}"
KANSHI_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MAVEN_CENTRAL_URL="${MAVEN_CENTRAL_URL:-https://repo.maven.apache.org/maven2}"
export KANSHI_HOME

log() { printf '[%s] %s\n' "${KANSHI_COMPONENT:-infra}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

require_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed; $2"
}

# Kafka 4 brokers and Apicurio 3.0 both need Java 17+; a JVM too old fails later with an
# UnsupportedClassVersionError buried in a log, so refuse up front.
require_java17() {
  require_cmd java "install a JDK 17 or newer (e.g. apt-get install openjdk-17-jre-headless)"
  local v
  v="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [[ "${v%%.*}" -ge 17 ]] || die "Java ${v} found, 17 or newer is required"
}

# A pid file is only trusted when the process still runs *and* carries our marker, so a
# recycled pid after a reboot is never mistaken for (or killed as) our service.
pid_running() { # pidfile marker
  local pid
  [[ -f "$1" ]] || return 1
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || { kill -0 "$pid" 2>/dev/null || return 1; return 0; }
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

port_open() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

show_logs() { # comma-separated log files
  local f
  IFS=',' read -r -a files <<<"$1"
  for f in "${files[@]}"; do
    [[ -s "$f" ]] || continue
    log "last lines of ${f}:"
    tail -n 25 "$f" >&2 || true
  done
}

# Fails fast when the process dies instead of waiting out the whole timeout.
wait_until() { # timeout_s pidfile marker description logs(comma-separated) command...
  local timeout="$1" pidfile="$2" marker="$3" what="$4" logs="$5"
  shift 5
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if "$@"; then return 0; fi
    if ! pid_running "$pidfile" "$marker"; then
      show_logs "$logs"
      die "${what} exited during start-up; logs: ${logs//,/ }"
    fi
    sleep 0.5
  done
  show_logs "$logs"
  die "${what} did not become ready within ${timeout}s; logs: ${logs//,/ }"
}

# "Not running" is success for down.sh (stopping twice is fine), but not for a caller that
# needs an outage to have happened: KANSHI_STOP_STRICT=1 makes it exit 3, and one that would
# not die exit 4.
stop_pidfile() { # pidfile marker description
  local pidfile="$1" marker="$2" what="$3" pid
  if ! pid_running "$pidfile" "$marker"; then
    rm -f "$pidfile"
    if [[ "${KANSHI_STOP_STRICT:-0}" == 1 ]]; then
      log "${what} is not running: nothing was stopped"
      return 3
    fi
    log "${what} is not running"
    return 0
  fi
  pid="$(cat "$pidfile")"
  log "stopping ${what} (pid ${pid})"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)) && kill -0 "$pid" 2>/dev/null; do sleep 0.3; done
  if kill -0 "$pid" 2>/dev/null; then
    log "${what} ignored SIGTERM for 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)) && kill -0 "$pid" 2>/dev/null; do sleep 0.3; done
  fi
  rm -f "$pidfile"
  if kill -0 "$pid" 2>/dev/null; then
    log "${what} (pid ${pid}) is still alive after SIGKILL"
    [[ "${KANSHI_STOP_STRICT:-0}" == 1 ]] && return 4
  fi
  return 0
}

# Refuse to start when someone else holds the port: a second broker on 9092 would make
# every later failure look like ours.
require_port_free() { # port description
  if port_open 127.0.0.1 "$1"; then
    die "127.0.0.1:$1 is already in use by another process, so ${2} cannot start there; stop that process or choose another port"
  fi
}

# Downloads straight from Maven Central (or MAVEN_CENTRAL_URL) with the published sha1 checked,
# into a temp file renamed into place, so an interrupted download is never mistaken for a good one.
fetch_central() { # group/path artifact-file dest
  local url="${MAVEN_CENTRAL_URL}/$1/$2" dest="$3" want got
  require_cmd curl "install curl"
  curl -fsSL --retry 3 --connect-timeout 20 --max-time 600 -o "${dest}.part" "$url" ||
    die "download failed: $url"
  want="$(curl -fsSL --retry 3 --connect-timeout 20 --max-time 60 "${url}.sha1" | awk '{print $1}')" ||
    die "checksum download failed: ${url}.sha1"
  got="$(sha1sum "${dest}.part" | awk '{print $1}')"
  [[ "$want" == "$got" ]] || { rm -f "${dest}.part"; die "sha1 mismatch for $url (want $want, got $got)"; }
  mv "${dest}.part" "$dest"
}

# Starts a JVM (or any command) as a daemon with an exact pid file. setsid: it must outlive the
# script and not receive the terminal's Ctrl-C; the inner shell records its own pid and then
# becomes the command. Returns once the pid file is written (or after 5 s).
start_daemon() { # pidfile outfile command...
  local pidfile="$1" out="$2"
  shift 2
  rm -f "$pidfile"
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$out" 2>&1 &
  local deadline=$((SECONDS + 5))
  while [[ ! -s "$pidfile" ]] && ((SECONDS < deadline)); do sleep 0.1; done
}
