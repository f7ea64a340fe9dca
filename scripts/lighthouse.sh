#!/usr/bin/env bash
# Lighthouse (npm `lighthouse`, in end2end/) with Debian's Chromium, mobile
# profile (its default: a mid-range phone, simulated slow 4G and CPU), on
# the sign-in page, the client's overview, invoice list and an invoice, of a
# fresh server (temporary SQLite database with the demo data). Prints the
# performance, accessibility and best-practices scores with LCP, TBT, CLS
# and the bytes transferred, next to the targets (0.95, 1.00, 0.95).
#
# Usage: scripts/lighthouse.sh <path-to-relance-binary>
#   e.g. scripts/build-release.sh && scripts/lighthouse.sh target/release/relance
#
# Measure a release build: a debug build's bundle is ~50 MB.
# RELANCE_LH_KEEP=1 keeps the reports (JSON) and the server's log.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/fresh-server.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fresh-server.sh"

[[ $# -eq 1 ]] || { echo "usage: $0 <path-to-relance-binary>" >&2; exit 2; }
BIN=$1
[[ -f $BIN && -x $BIN ]] || { echo "error: '$BIN' is not an executable file" >&2; exit 2; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LH="$ROOT/end2end/node_modules/.bin/lighthouse"
if [[ ! -x $LH ]]; then
  (cd end2end && npm ci --no-audit --no-fund)
fi
[[ -x /usr/bin/chromium ]] || { echo "error: /usr/bin/chromium is required (scripts/setup.sh --test)" >&2; exit 2; }

fresh_server_start "$BIN" "$ROOT/target/site" lighthouse RELANCE_LH_KEEP

# The demo client's session, as a browser keeps it.
curl -sS -o /dev/null -D "$TMP/login.headers" -X POST "$URL/api/auth/login" \
  -H "Origin: $URL" -H 'Accept: application/json' \
  --data-urlencode 'email=client@relance.demo' --data-urlencode 'password=relance-demo'
SESSION="$(tr -d '\r' <"$TMP/login.headers" |
  sed -n -E 's/^[Ss][Ee][Tt]-[Cc][Oo][Oo][Kk][Ii][Ee]:[[:space:]]*relance_session=([^;]*).*/\1/p' | head -n 1)"
[[ -n $SESSION ]] || { echo "error: sign-in as client@relance.demo failed" >&2; exit 1; }
invoice="$(curl -sS -H "Cookie: relance_session=$SESSION" "$URL/portal/invoices" | grep -oE '/portal/invoices/[0-9]+' | head -n 1)"
[[ -n $invoice ]] || { echo "error: the demo client has no invoice to open" >&2; exit 1; }

export CHROME_PATH=/usr/bin/chromium
flags="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
pages=("sign-in|/login|" "overview|/portal|yes" "invoice list|/portal/invoices|yes" "an invoice|$invoice|yes")
i=0
for entry in "${pages[@]}"; do
  IFS='|' read -r name path signed_in <<<"$entry"
  headers='{}'
  [[ -z $signed_in ]] || headers="{\"Cookie\": \"relance_session=$SESSION\"}"
  echo "lighthouse: $name ($path)..."
  "$LH" "$URL$path" --quiet --output=json --output-path="$TMP/lh-$i.json" \
    --only-categories=performance,accessibility,best-practices \
    --chrome-flags="$flags --user-data-dir=$TMP/chrome-$i" --extra-headers="$headers" >/dev/null 2>"$TMP/lh-$i.log" || {
    echo "error: lighthouse failed on $path:" >&2
    tail -20 "$TMP/lh-$i.log" >&2
    exit 1
  }
  i=$((i + 1))
done

node - "$TMP" "${#pages[@]}" "${pages[@]}" <<'EOF'
const [dir, n, ...pages] = process.argv.slice(2);
const fs = require('fs');
const row = (cols) => console.log(cols.map((c, k) => String(c).padEnd(k === 0 ? 40 : 11)).join(''));
console.log();
row(['page', 'perf', 'a11y', 'best-pr.', 'LCP ms', 'TBT ms', 'CLS', 'KB sent']);
let ok = true;
for (let i = 0; i < Number(n); i++) {
  const r = JSON.parse(fs.readFileSync(`${dir}/lh-${i}.json`, 'utf8'));
  const c = r.categories, a = r.audits;
  const score = (k) => c[k].score;
  ok &&= score('performance') >= 0.95 && score('accessibility') === 1 && score('best-practices') >= 0.95;
  row([
    `${pages[i].split('|')[0]} ${pages[i].split('|')[1]}`,
    score('performance'), score('accessibility'), score('best-practices'),
    Math.round(a['largest-contentful-paint'].numericValue), Math.round(a['total-blocking-time'].numericValue),
    a['cumulative-layout-shift'].numericValue.toFixed(3), Math.round(a['total-byte-weight'].numericValue / 1024),
  ]);
}
console.log(`\ntargets: performance >= 0.95, accessibility 1.00, best practices >= 0.95: ${ok ? 'met' : 'NOT met'}`);
EOF
