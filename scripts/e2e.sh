#!/usr/bin/env bash
# Browser tests: starts a fresh Relance server (temporary SQLite database,
# seeded with the demo data on first start) and runs the Playwright suite in
# end2end/ against it with the system Chromium (/usr/bin/chromium).
#
# Usage: scripts/e2e.sh <path-to-relance-binary> [extra playwright args...]
#   e.g. scripts/e2e.sh target/debug/relance
#        scripts/e2e.sh target/release/relance tests/portal.spec.ts
#
# Needs the site already built (scripts/build-site.sh, so target/site/pkg holds
# the wasm bundle and the CSS), node >= 20 and npm. Never downloads browsers.
# Set RELANCE_E2E_KEEP=1 to keep the temporary directory (database, log).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/fresh-server.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fresh-server.sh"

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
if [[ ! -f $SITE_ROOT/pkg/NAME ]]; then
  echo "error: $SITE_ROOT/pkg has no built site; run scripts/build-site.sh first" >&2
  exit 2
fi
for tool in curl python3 node npm; do
  command -v "$tool" >/dev/null || { echo "error: '$tool' is required" >&2; exit 2; }
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || { echo "error: node >= 20 is required by @playwright/test (found $(node --version))" >&2; exit 2; }
[[ -x /usr/bin/chromium ]] || { echo "error: /usr/bin/chromium is required (apt-get install chromium)" >&2; exit 2; }

# Every document served from memory is checked against a fresh render: a
# page kept past a change it shows answers 500 and is logged (checked below).
export RELANCE_PAGE_CACHE_VERIFY=true
fresh_server_start "$BIN" "$SITE_ROOT" e2e RELANCE_E2E_KEEP

cd "$ROOT/end2end"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.relance-lock.sha256
if [[ ! -d node_modules || ! -f $stamp || "$(cat "$stamp")" != "$lock_sum" ]]; then
  echo "installing end2end dependencies (npm ci)"
  npm ci --no-audit --no-fund
  echo "$lock_sum" >"$stamp"
fi

# For specs that start a server of their own (stripe-mode.spec.ts: a second
# server in Stripe mode against a local stand-in for Stripe's API).
# `relance link` runs against the server's database (no SMTP in the tests).
export RELANCE_E2E_BIN="$BIN" RELANCE_E2E_SITE_ROOT="$SITE_ROOT"
export RELANCE_E2E_DATABASE_URL="sqlite://$TMP/$FRESH_SERVER_NAME.db"
status=0
RELANCE_E2E_URL="$URL" ./node_modules/.bin/playwright test "$@" || status=$?
if grep -q "page cache: a kept page differs" "$TMP/server.log"; then
  echo "error: the server served a kept page that differed from a fresh render:" >&2
  grep "page cache: a kept page differs" "$TMP/server.log" | head -n 5 >&2
  status=1
fi
exit "$status"
