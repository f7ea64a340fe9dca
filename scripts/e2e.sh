#!/usr/bin/env bash
# Browser tests: starts a fresh Relance server (temporary SQLite database,
# seeded with the demo data on first start) and runs the Playwright suite in
# end2end/ against it with the system Chromium (/usr/bin/chromium).
#
# Usage: scripts/e2e.sh <path-to-relance-binary> [extra playwright args...]
#   e.g. scripts/e2e.sh target/debug/relance
#        scripts/e2e.sh target/release/relance tests/portal.spec.ts
#
# Needs the site already built (`cargo leptos build`, so target/site/pkg holds
# the wasm bundle and the CSS), node >= 20 and npm. Never downloads browsers.
# Set RELANCE_E2E_KEEP=1 to keep the temporary directory (database, log).
set -euo pipefail

usage() {
  echo "usage: $0 <path-to-relance-binary> [extra playwright args...]" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
BIN=$1
shift
[[ -f $BIN && -x $BIN ]] || { echo "error: '$BIN' is not an executable file" >&2; exit 2; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SITE_ROOT="$ROOT/target/site"
if [[ ! -f $SITE_ROOT/pkg/relance.js || ! -f $SITE_ROOT/pkg/relance.wasm ]]; then
  echo "error: $SITE_ROOT/pkg has no built site (relance.js, relance.wasm); run 'cargo leptos build' first" >&2
  exit 2
fi
for tool in curl python3 node npm; do
  command -v "$tool" >/dev/null || { echo "error: '$tool' is required" >&2; exit 2; }
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || { echo "error: node >= 20 is required by @playwright/test (found $(node --version))" >&2; exit 2; }
[[ -x /usr/bin/chromium ]] || { echo "error: /usr/bin/chromium is required (apt-get install chromium)" >&2; exit 2; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/relance-e2e.XXXXXX")"
SERVER_PID=""

stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_server
  if [[ $status -ne 0 ]]; then
    echo "---- e2e failed (exit $status); last lines of $TMP/server.log ----" >&2
    tail -n 60 "$TMP/server.log" >&2 2>/dev/null || true
    echo "---- end of server.log ----" >&2
  fi
  if [[ $status -ne 0 || ${RELANCE_E2E_KEEP:-0} == 1 ]]; then
    echo "kept $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
URL="http://127.0.0.1:$PORT"
SECRET="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"

echo "starting $BIN serve on $URL (log: $TMP/server.log)"
DATABASE_URL="sqlite://$TMP/e2e.db" \
  LEPTOS_SITE_ADDR="127.0.0.1:$PORT" \
  LEPTOS_SITE_ROOT="$SITE_ROOT" \
  LEPTOS_OUTPUT_NAME="${LEPTOS_OUTPUT_NAME:-relance}" \
  RELANCE_PUBLIC_URL="$URL" \
  RELANCE_JWT_SECRET="$SECRET" \
  RUST_LOG="${RUST_LOG:-warn}" \
  "$BIN" serve >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

# The first start runs the migrations and seeds the demo data.
started=$SECONDS
deadline=$((started + 120))
until curl -fsS --max-time 2 "$URL/healthz" >/dev/null 2>&1; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "error: the server exited during start-up" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "error: $URL/healthz did not answer within 120 s" >&2
    exit 1
  fi
  sleep 0.5
done
echo "server ready after $((SECONDS - started))s"

cd "$ROOT/end2end"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.relance-lock.sha256
if [[ ! -d node_modules || ! -f $stamp || "$(cat "$stamp")" != "$lock_sum" ]]; then
  echo "installing end2end dependencies (npm ci)"
  npm ci --no-audit --no-fund
  echo "$lock_sum" >"$stamp"
fi

RELANCE_E2E_URL="$URL" ./node_modules/.bin/playwright test "$@"
