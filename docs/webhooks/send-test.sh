#!/usr/bin/env bash
# Sends a signed test alert to a receiver, as the alerter would, with curl and openssl only:
#   KANSHI_WEBHOOK_SECRET=... bash docs/webhooks/send-test.sh https://desk.example/kanshi
# With --print it only prints the header for the body on stdin (the test suite uses that).
set -euo pipefail
: "${KANSHI_WEBHOOK_SECRET:?set KANSHI_WEBHOOK_SECRET to the secret of the receiver}"
sign() { # body
  local t sig
  t="${KANSHI_SIGNATURE_TIME:-$(date +%s)}"
  sig="$(printf '%s.%s' "$t" "$1" | openssl dgst -sha256 -hmac "$KANSHI_WEBHOOK_SECRET" -hex | sed 's/^.* //')"
  printf 't=%s,v1=%s' "$t" "$sig"
}
if [[ "${1:-}" == "--print" ]]; then
  sign "$(cat)"
  exit 0
fi
body='{"alertId":"test-alert","findingId":"test","kind":"test","severity":"high","score":0.9,"accountIds":[],"symbols":[],"at":0,"summary":"a signed test alert"}'
curl -fsS -X POST -H 'content-type: application/json' -H "Kanshi-Signature: $(sign "$body")" --data-binary "$body" "${1:?usage: send-test.sh URL}"
