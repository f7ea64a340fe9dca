#!/usr/bin/env bash
# Load benchmark: starts a fresh Relance server (temporary SQLite database,
# seeded with the demo data), signs in as client@relance.demo and runs wrk
# against a baseline, a static file and two server-rendered portal pages.
#
# Usage: scripts/bench.sh <path-to-relance-binary> [duration=10s] [connections=16]
#   e.g. scripts/bench.sh target/release/relance 30s 32
#
# Needs the site already built (`cargo leptos build --release`) and wrk
# (Debian package `wrk`). Measure a release build: a debug build is slow.
# Set RELANCE_BENCH_KEEP=1 to keep the temporary directory (database, log,
# raw wrk output).
set -euo pipefail

usage() {
  echo "usage: $0 <path-to-relance-binary> [duration=10s] [connections=16]" >&2
  exit 2
}

[[ $# -ge 1 && $# -le 3 ]] || usage
BIN=$1
DURATION=${2:-10s}
CONNECTIONS=${3:-16}
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
if [[ ! -f $SITE_ROOT/pkg/relance.js || ! -f $SITE_ROOT/pkg/relance.wasm ]]; then
  echo "error: $SITE_ROOT/pkg has no built site (relance.js, relance.wasm); run 'cargo leptos build --release' first" >&2
  exit 2
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/relance-bench.XXXXXX")"
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
    echo "---- bench failed (exit $status); last lines of $TMP/server.log ----" >&2
    tail -n 60 "$TMP/server.log" >&2 2>/dev/null || true
    echo "---- end of server.log ----" >&2
  fi
  if [[ $status -ne 0 || ${RELANCE_BENCH_KEEP:-0} == 1 ]]; then
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
DATABASE_URL="sqlite://$TMP/bench.db" \
  LEPTOS_SITE_ADDR="127.0.0.1:$PORT" \
  LEPTOS_SITE_ROOT="$SITE_ROOT" \
  LEPTOS_OUTPUT_NAME="${LEPTOS_OUTPUT_NAME:-relance}" \
  RELANCE_PUBLIC_URL="$URL" \
  RELANCE_JWT_SECRET="$SECRET" \
  RUST_LOG="${RUST_LOG:-warn}" \
  "$BIN" serve >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

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

# name|path|marker the response body must contain ('' = none)
ENDPOINTS=(
  "baseline, in memory|/healthz|ok"
  "static file|/favicon.svg|<svg"
  "portal overview|/portal|data-testid=\"balance-due\""
  "invoice list|/portal/invoices?filter=all|data-testid=\"invoice-row\""
)

# Every endpoint must answer 200 with the session, so a redirect to /login
# (or an error page) is never what gets measured.
for entry in "${ENDPOINTS[@]}"; do
  IFS='|' read -r name path marker <<<"$entry"
  code="$(curl -s -o "$TMP/check.body" -w '%{http_code}' -H "$COOKIE" "$URL$path")"
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
  IFS='|' read -r name path _ <<<"$entry"
  out="$TMP/wrk-$i.txt"
  i=$((i + 1))
  echo "  $name ($path)..."
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$COOKIE" "$URL$path" >"$out" 2>&1 || {
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

echo
printf '%-48s %12s %10s\n' "endpoint" "req/s" "p99"
printf '%-48s %12s %10s\n' "--------" "-----" "---"
for row in "${results[@]}"; do
  IFS='|' read -r name path rps p99 <<<"$row"
  printf '%-48s %12s %10s\n' "$path ($name)" "$rps" "$p99"
done
if ((${#warnings[@]} > 0)); then
  echo
  echo "warnings:"
  for w in "${warnings[@]}"; do
    echo "  $w"
  done
fi
