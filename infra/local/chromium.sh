#!/usr/bin/env bash
# Debian's Chromium for the desk's browser test (playwright-core drives it; playwright's own
# browser download cannot reach its host here). Installed once, like ClickHouse: apt-get as root
# or through passwordless sudo, with a timeout. Prints the browser's path on stdout.
#
#   bash infra/local/chromium.sh [install]
#
# Env: CHROMIUM_PATH (/usr/bin/chromium), CHROMIUM_INSTALL_TIMEOUT_S (600), KANSHI_HOME (~/.kanshi).
KANSHI_COMPONENT=chromium
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BROWSER="${CHROMIUM_PATH:-/usr/bin/chromium}"
TIMEOUT_S="${CHROMIUM_INSTALL_TIMEOUT_S:-600}"

install() {
  if [[ -x "${BROWSER}" ]]; then printf '%s\n' "${BROWSER}"; return 0; fi
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null ||
      die "${BROWSER} is missing and this user cannot install it (no root, no passwordless sudo); run: sudo apt-get install -y chromium"
    sudo=(sudo -n)
  fi
  require_cmd apt-get "install Chromium from your distribution, or set CHROMIUM_PATH to one"
  require_cmd timeout "coreutils' timeout bounds the install"
  mkdir -p "${KANSHI_HOME}"
  local aptlog="${KANSHI_HOME}/chromium-apt.log"
  log "installing chromium from Debian (apt-get, at most ${TIMEOUT_S} s; log ${aptlog})"
  # apt-get update only when the package is not known yet: a warm cache saves a minute
  if ! apt-cache show chromium >/dev/null 2>&1; then
    timeout "${TIMEOUT_S}" "${sudo[@]}" apt-get update -qq >"${aptlog}" 2>&1 ||
      { tail -n 20 "${aptlog}" >&2; die "apt-get update failed or took over ${TIMEOUT_S} s; log: ${aptlog}"; }
  fi
  timeout "${TIMEOUT_S}" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >>"${aptlog}" 2>&1 ||
    { tail -n 20 "${aptlog}" >&2; die "apt-get could not install chromium within ${TIMEOUT_S} s; log: ${aptlog}"; }
  [[ -x "${BROWSER}" ]] || die "${BROWSER} still missing after installing chromium; log: ${aptlog}"
  printf '%s\n' "${BROWSER}"
}

case "${1:-install}" in
  install) install ;;
  *) die "usage: chromium.sh [install]" ;;
esac
