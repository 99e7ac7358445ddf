"""Verifies a Kanshi webhook: `Kanshi-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.

Use verify() in a receiver, on the raw request body (bytes, before any JSON parsing). Run as a
script it checks one request: body on stdin, header and secret in the environment
(KANSHI_SIGNATURE, KANSHI_WEBHOOK_SECRET); exit 0 when genuine. The test suite runs it
(services/alerter/src/webhooks.test.ts), so this copy is known to agree with the sender.
"""
import hashlib
import hmac
import os
import sys
import time


def verify(raw_body: bytes, header: str, secret: str, tolerance: int = 300, now: float | None = None) -> bool:
    items = [p.strip().split("=", 1) for p in header.split(",") if "=" in p]
    ts = next((v for k, v in items if k == "t"), "")
    sigs = [v for k, v in items if k == "v1"]
    if not ts.isdigit() or abs((time.time() if now is None else now) - int(ts)) > tolerance:
        return False  # no timestamp, or a replay / clocks too far apart
    want = hmac.new(secret.encode(), ts.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(want, s) for s in sigs)


if __name__ == "__main__":
    ok = verify(sys.stdin.buffer.read(), os.environ["KANSHI_SIGNATURE"], os.environ["KANSHI_WEBHOOK_SECRET"])
    print("genuine" if ok else "refused")
    sys.exit(0 if ok else 1)
