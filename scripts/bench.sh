#!/usr/bin/env bash
# Load benchmark: starts a fresh Relance server (temporary SQLite database,
# seeded with the demo data), signs in as client@relance.demo and runs wrk
# against the in-memory /healthz, a static file, the sign-in page and the
# client's overview, invoice list and an invoice, one after the other. It
# prints each one's requests/s and p99, the portal pages' share of /healthz
# (target: at least 50 %, p99 at most 25 ms, at 64 connections) and the
# server's peak resident memory over the run (target: at most 250 MB).
#
# Usage: scripts/bench.sh <path-to-relance-binary> [duration=10s] [connections=64]
#   e.g. scripts/bench.sh target/release/relance 30s 64
#
# Then prints what the client's first pages download (sign-in, the overview,
# the invoices, an invoice: the page and every file it names) and, for
# comparison, the paying page with its bundle; raw, gzip and brotli.
#
# Needs the site already built (scripts/build-release.sh builds both) and
# wrk (Debian package `wrk`). Measure a release build: a debug build is slow.
# Set RELANCE_BENCH_KEEP=1 to keep the temporary directory (database, log,
# raw wrk output). The client's pages are served from the page cache once
# rendered (server::page_cache), as for a client reopening them; run with
# RELANCE_PAGE_CACHE_MB=0 to measure a render on every request.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/fresh-server.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fresh-server.sh"

usage() {
  echo "usage: $0 <path-to-relance-binary> [duration=10s] [connections=64]" >&2
  exit 2
}

[[ $# -ge 1 && $# -le 3 ]] || usage
BIN=$1
DURATION=${2:-10s}
CONNECTIONS=${3:-64}
THREADS=2
[[ -f $BIN && -x $BIN ]] || { echo "error: '$BIN' is not an executable file" >&2; exit 2; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
[[ $DURATION =~ ^[0-9]+[smh]?$ ]] || { echo "error: duration '$DURATION' is not like 10s, 2m" >&2; exit 2; }
if [[ ! $CONNECTIONS =~ ^[0-9]+$ ]] || ((CONNECTIONS < THREADS)); then
  echo "error: connections must be a number >= $THREADS (got '$CONNECTIONS')" >&2
  exit 2
fi

if ! command -v wrk >/dev/null; then
  echo "error: wrk is not installed; install it with 'apt-get install wrk' (Debian package)" >&2
  exit 2
fi
for tool in curl python3 od; do
  command -v "$tool" >/dev/null || { echo "error: '$tool' is required" >&2; exit 2; }
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SITE_ROOT="$ROOT/target/site"
if [[ ! -f $SITE_ROOT/pkg/NAME ]]; then
  echo "error: $SITE_ROOT/pkg has no built site; run scripts/build-site.sh --release first" >&2
  exit 2
fi

fresh_server_start "$BIN" "$SITE_ROOT" bench RELANCE_BENCH_KEEP

# Sign in as the demo client and keep the session cookie.
login_code="$(curl -sS -o "$TMP/login.body" -D "$TMP/login.headers" -w '%{http_code}' \
  -X POST "$URL/api/auth/login" \
  -H "Origin: $URL" -H 'Accept: application/json' \
  --data-urlencode 'email=client@relance.demo' \
  --data-urlencode 'password=relance-demo')"
SESSION="$(tr -d '\r' <"$TMP/login.headers" |
  sed -n -E 's/^[Ss][Ee][Tt]-[Cc][Oo][Oo][Kk][Ii][Ee]:[[:space:]]*relance_session=([^;]*).*/\1/p' | head -n 1)"
if [[ $login_code != 200 || -z $SESSION ]]; then
  cookie_state=missing
  [[ -z $SESSION ]] || cookie_state=present
  echo "error: sign-in as client@relance.demo failed (HTTP $login_code, session cookie $cookie_state)" >&2
  head -c 500 "$TMP/login.body" >&2 || true
  echo >&2
  exit 1
fi
COOKIE="Cookie: relance_session=$SESSION"

# One of the client's invoices, for the invoice page.
INVOICE_PATH="$(curl -s -H "$COOKIE" "$URL/portal/invoices?filter=all" |
  grep -o 'href="/portal/invoices/[0-9]*"' | head -n 1 | sed -E 's/href="([^"]*)"/\1/')"
[[ -n $INVOICE_PATH ]] || { echo "error: no invoice found in the client's invoice list" >&2; exit 1; }

# name|path|marker the response body must contain ('' = none)|cookie or anon
ENDPOINTS=(
  "baseline, in memory|/healthz|ok|anon"
  "static file|/favicon.svg|<svg|anon"
  "sign-in page|/login|data-testid=\"login-form\"|anon"
  "portal overview|/portal|data-testid=\"balance-due\"|cookie"
  "invoice list|/portal/invoices?filter=all|data-testid=\"invoice-row\"|cookie"
  "an invoice|$INVOICE_PATH|data-testid=\"invoice-number\"|cookie"
)

# Every endpoint must answer 200 (with the session where it needs one), so
# a redirect to /login (or an error page) is never what gets measured.
for entry in "${ENDPOINTS[@]}"; do
  IFS='|' read -r name path marker who <<<"$entry"
  header="$COOKIE"
  [[ $who == cookie ]] || header="X-Bench: anonymous"
  code="$(curl -s -o "$TMP/check.body" -w '%{http_code}' -H "$header" "$URL$path")"
  if [[ $code != 200 ]]; then
    echo "error: GET $path answered HTTP $code with the session cookie, expected 200; not benchmarking" >&2
    exit 1
  fi
  if [[ -n $marker ]] && ! grep -qF -- "$marker" "$TMP/check.body"; then
    echo "error: GET $path answered 200 but without '$marker' ($name); not benchmarking" >&2
    exit 1
  fi
done

echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION per endpoint; $(nproc 2>/dev/null || echo '?') CPUs; binary $BIN"
results=()
warnings=()
i=0
for entry in "${ENDPOINTS[@]}"; do
  IFS='|' read -r name path _ who <<<"$entry"
  header="$COOKIE"
  [[ $who == cookie ]] || header="X-Bench: anonymous"
  out="$TMP/wrk-$i.txt"
  i=$((i + 1))
  echo "  $name ($path)..."
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$header" "$URL$path" >"$out" 2>&1 || {
    echo "error: wrk failed on $path:" >&2
    cat "$out" >&2
    exit 1
  }
  rps="$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
  p99="$(awk '$1 == "99%" { print $2; exit }' "$out")"
  if [[ -z $rps || -z $p99 ]]; then
    echo "error: could not read wrk's output for $path:" >&2
    cat "$out" >&2
    exit 1
  fi
  results+=("$name|$path|$rps|$p99")
  non2xx="$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$out")"
  [[ -z $non2xx ]] || warnings+=("$path: $non2xx non-2xx/3xx responses")
  sockerr="$(grep -m1 'Socket errors' "$out" || true)"
  [[ -z $sockerr ]] || warnings+=("$path: ${sockerr#"${sockerr%%[![:space:]]*}"}")
done

# How the client's pages were answered: from memory or rendered
# (server::page_cache; RELANCE_PAGE_CACHE_MB=0 in the environment renders
# every request, for comparison).
PAGE_CACHE="$(curl -s "$URL/metrics" | awk '/^relance_page_cache_total/ {
  split($1, a, "\""); n[a[2]] = $2 } END { printf "hit %d, miss %d", n["hit"], n["miss"] }')"

# Peak resident memory of the server over the whole run (Linux).
PEAK_RSS_KB="$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || true)"

echo
printf '%-52s %12s %10s %12s\n' "endpoint" "req/s" "p99" "of /healthz"
printf '%-52s %12s %10s %12s\n' "--------" "-----" "---" "-----------"
baseline=""
pages_met=yes
for row in "${results[@]}"; do
  IFS='|' read -r name path rps p99 <<<"$row"
  [[ -n $baseline ]] || baseline=$rps
  share="$(awk -v r="$rps" -v b="$baseline" 'BEGIN { printf "%.1f %%", 100 * r / b }')"
  printf '%-52s %12s %10s %12s\n' "$path ($name)" "$rps" "$p99" "$share"
  case $name in
    "sign-in page" | "portal overview" | "invoice list" | "an invoice")
      # wrk prints p99 as 812.00us, 3.21ms or 1.02s.
      ok="$(awk -v r="$rps" -v b="$baseline" -v p="$p99" 'BEGIN {
        ms = p + 0; if (p ~ /us$/) ms = ms / 1000; else if (p ~ /[0-9]s$/ && p !~ /ms$/) ms = ms * 1000;
        print (r >= 0.5 * b && ms <= 25) ? "yes" : "no" }')"
      [[ $ok == yes ]] || pages_met=no
      ;;
  esac
done
echo
echo "portal pages at >= 50 % of /healthz with p99 <= 25 ms ($CONNECTIONS connections): $([[ $pages_met == yes ]] && echo met || echo 'NOT met')"
echo "client pages answered from memory / rendered: $PAGE_CACHE (RELANCE_PAGE_CACHE_MB=${RELANCE_PAGE_CACHE_MB:-default})"
if [[ -n $PEAK_RSS_KB ]]; then
  peak_mb=$((PEAK_RSS_KB / 1024))
  echo "server peak resident memory: $peak_mb MB (target <= 250 MB): $( ((peak_mb <= 250)) && echo met || echo 'NOT met')"
fi
if ((${#warnings[@]} > 0)); then
  echo
  echo "warnings:"
  for w in "${warnings[@]}"; do
    echo "  $w"
  done
fi

# What the client's pages download, as the server sends them: the page and
# every bundle file it names (the stylesheet; with the bundle, the main part
# and the parts of the split bundle it preloads). The first pages (sign-in,
# the overview, the invoices, an invoice) are documents with no script; the
# paying page is shown for comparison, with its bundle.
served() { curl -s -o /dev/null -w '%{size_download}' ${cookie:+-H "$cookie"} -H "Accept-Encoding: $2" "$URL$1"; }
worst_gz=0
for first in /login /portal "/portal/invoices?filter=all" "$INVOICE_PATH" /portal/pay; do
  page="$TMP/first-page.html"
  cookie=""
  [[ $first == /login ]] || cookie=$COOKIE
  curl -s ${cookie:+-H "$cookie"} -o "$page" "$URL$first"
  mapfile -t files < <(grep -oE '/pkg/[A-Za-z0-9._-]+\.(js|wasm|css)' "$page" | awk '!seen[$0]++')
  ((${#files[@]} >= 1)) || { echo "error: $first names no stylesheet (/pkg/…)" >&2; exit 1; }
  echo
  printf '%-48s %12s %10s %10s\n' "$first, first visit (bytes)" "raw" "gzip" "brotli"
  sum_raw=0 sum_gz=0 sum_br=0 parts=0 parts_raw=0 parts_gz=0 parts_br=0
  for path in "$first" "${files[@]}"; do
    raw="$(served "$path" identity)" gz="$(served "$path" gzip)" br="$(served "$path" br)"
    if [[ $path =~ \.(split_|chunk_)[^/]*\.wasm$ ]]; then
      parts=$((parts + 1)) parts_raw=$((parts_raw + raw)) parts_gz=$((parts_gz + gz)) parts_br=$((parts_br + br))
    else
      printf '%-48s %12s %10s %10s\n' "$path" "$raw" "$gz" "$br"
    fi
    sum_raw=$((sum_raw + raw)) sum_gz=$((sum_gz + gz)) sum_br=$((sum_br + br))
  done
  ((parts == 0)) || printf '%-48s %12s %10s %10s\n' "the page's parts ($parts files)" "$parts_raw" "$parts_gz" "$parts_br"
  printf '%-48s %12s %10s %10s\n' "in all" "$sum_raw" "$sum_gz" "$sum_br"
  printf '%s: %d KB gzip, %d KB brotli\n' "$first" $((sum_gz / 1024)) $((sum_br / 1024))
  if [[ $first != /portal/pay ]] && ((sum_gz > worst_gz)); then worst_gz=$sum_gz; fi
done
echo
printf "client's first pages (sign-in, overview, invoices, an invoice): at most %d KB gzip (budget: 300 KB gzip): %s\n" \
  $((worst_gz / 1024)) "$( ((worst_gz <= 300 * 1024)) && echo met || echo 'NOT met')"
