#!/usr/bin/env bash
# Pages at demo size and at a million invoices, side by side, on SQLite and
# PostgreSQL: p50 and p99 of single requests (one at a time, as a user opens
# them), and of the payments job's pass.
#
# Usage: scripts/bench-scale.sh [path-to-relance-binary] [runs=100]
#   e.g. cargo build --release -p relance-server && scripts/bench-scale.sh target/release/relance
#
# The million-invoice databases (`relance seed-scale`: 50,000 accounts,
# 1,000,000 invoices and their ledger) take a few minutes to fill; they are
# kept and reused: $RELANCE_BENCH_DIR/scale.db (default target/bench-scale)
# and the PostgreSQL database relance_bench_scale. RELANCE_BENCH_RESEED=1
# fills them again. PostgreSQL: $RELANCE_BENCH_PG (default
# postgres://postgres@127.0.0.1:5432); without a server only SQLite runs.
# Targets: at a million invoices every page's p99 within 3x its demo-size
# p99, and under 150 ms.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/relance}
RUNS=${2:-100}
[[ -f $BIN && -x $BIN ]] || { echo "error: '$BIN' is not an executable file (cargo build --release -p relance-server)" >&2; exit 2; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "error: '$tool' is required" >&2; exit 2; }
done
SITE_ROOT="$ROOT/target/site"
DIR="${RELANCE_BENCH_DIR:-$ROOT/target/bench-scale}"
PG="${RELANCE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
mkdir -p "$DIR"
LOG="$DIR/bench.log"
: >"$LOG"
SERVER_PID=""
trap '[[ -n $SERVER_PID ]] && kill $SERVER_PID 2>/dev/null; true' EXIT

pg_up() { psql "$PG/postgres" -qtAc 'SELECT 1' >/dev/null 2>&1; }
pg_sql() { psql "$PG/postgres" -qtAc "$1"; }

relance() {
  local url=$1
  shift
  DATABASE_URL="$url" RELANCE_PUBLIC_URL="http://127.0.0.1:1" RELANCE_SEED_DEMO=false RUST_LOG=warn "$BIN" "$@"
}

# Fills a database when it is new (or RELANCE_BENCH_RESEED=1).
prepare() {
  local backend=$1 size=$2 url
  if [[ $backend == sqlite ]]; then
    url="sqlite://$DIR/$size.db"
    if [[ $size == demo || ${RELANCE_BENCH_RESEED:-0} == 1 ]]; then rm -f "$DIR/$size.db"*; fi
    [[ -f $DIR/$size.db ]] && { echo "$url"; return; }
  else
    local name="relance_bench_$size"
    if [[ $size == demo || ${RELANCE_BENCH_RESEED:-0} == 1 ]]; then pg_sql "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null; fi
    url="$PG/$name"
    if [[ "$(pg_sql "SELECT 1 FROM pg_database WHERE datname = '$name'")" == 1 ]]; then echo "$url"; return; fi
    pg_sql "CREATE DATABASE $name" >/dev/null
  fi
  if [[ $size == demo ]]; then
    relance "$url" seed-demo >>"$LOG" 2>&1
  else
    echo "  filling the $backend scale database (a few minutes, once)..." >&2
    relance "$url" seed-scale >>"$LOG" 2>&1 || { tail -20 "$LOG" >&2; exit 1; }
    tail -1 "$LOG" >&2
  fi
  echo "$url"
}

start() {
  local url=$1 port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  BASE="http://127.0.0.1:$port"
  DATABASE_URL="$url" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$SITE_ROOT" RELANCE_PUBLIC_URL="$BASE" \
    RELANCE_SEED_DEMO=false RELANCE_PAYMENTS_SANDBOX=true RELANCE_PAYMENTS_POLL_SECONDS=0 RUST_LOG=warn \
    RELANCE_DATA_DIR="$DIR/data" "$BIN" serve >>"$LOG" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 240); do
    curl -fsS --max-time 2 "$BASE/healthz" >/dev/null 2>&1 && return
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$LOG" >&2; exit 1; }
    sleep 0.5
  done
  echo "error: the server did not start" >&2
  exit 1
}

stop() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# One size on one backend: prints "label<TAB>p50<TAB>p99" lines.
measure() {
  local backend=$1 size=$2 url client owner collector password account
  url="$(prepare "$backend" "$size")"
  if [[ $size == demo ]]; then
    client=client@relance.demo owner=owner@relance.demo collector=camille@relance.demo password=relance-demo
  else
    client=client00001@scale.test owner=owner@scale.test collector=collector01@scale.test password=relance-scale
  fi
  # The account with the most invoices: the heaviest account page.
  if [[ $backend == sqlite ]]; then
    account="$(python3 - "$DIR/$size.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT account_id FROM invoices GROUP BY account_id ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0])
PY
)"
  else
    account="$(psql "$url" -qtAc "SELECT account_id FROM invoices GROUP BY account_id ORDER BY COUNT(*) DESC LIMIT 1")"
  fi
  start "$url"
  python3 scripts/lib/latency.py "$BASE" "$client" "$password" "$RUNS" \
    "client overview=/portal" "client invoice list=/portal/invoices" "client overdue invoices=/portal/invoices?filter=overdue"
  python3 scripts/lib/latency.py "$BASE" "$owner" "$password" "$RUNS" \
    "accounts by overdue (owner)=/back/accounts" "invoices, overdue (owner)=/back/invoices?filter=overdue" \
    "account page (largest)=/back/accounts/$account"
  python3 scripts/lib/latency.py "$BASE" "$collector" "$password" "$RUNS" \
    "accounts by overdue (collector)=/back/accounts"
  stop
  relance "$url" time-jobs --runs 20 2>>"$LOG" |
    awk '/payments job pass/ { gsub(/,/, ""); print "payments job pass\t" $5 "\t" $8 "\t" $8 }'
}

backends=(sqlite)
if pg_up; then backends+=(postgres); else echo "PostgreSQL unreachable at $PG: SQLite only" >&2; fi
echo "binary $BIN; $RUNS requests per page, one at a time; $(nproc) CPUs"
for backend in "${backends[@]}"; do
  echo "== $backend" >&2
  measure "$backend" demo >"$DIR/$backend-demo.tsv"
  measure "$backend" scale >"$DIR/$backend-scale.tsv"
done

echo
printf '%-34s %-9s %9s %9s %10s %10s %7s  %s\n' page backend "demo p50" "demo p99" "1M p50" "1M p99" ratio verdict
for backend in "${backends[@]}"; do
  paste "$DIR/$backend-demo.tsv" "$DIR/$backend-scale.tsv" | while IFS=$'\t' read -r label d50 d99 _ _ s50 s99 _; do
    python3 - "$label" "$backend" "$d50" "$d99" "$s50" "$s99" <<'PY'
import sys
label, backend, d50, d99, s50, s99 = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
ratio = s99 / d99 if d99 > 0 else float("inf")
ok = "ok" if s99 < 150 and ratio <= 3 else "OVER TARGET"
print(f"{label:<34} {backend:<9} {d50:9.1f} {d99:9.1f} {s50:10.1f} {s99:10.1f} {ratio:7.2f}  {ok}")
PY
  done
done
echo "(milliseconds; target at 1M invoices: p99 < 150 ms and <= 3x the demo-size p99)"
