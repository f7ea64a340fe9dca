#!/usr/bin/env bash
# The aging report at a million invoices, beside the bare GROUP BY over the
# same rows, on SQLite and PostgreSQL (`relance time-aging`). Target: the
# report within 1.5x the bare query on both.
#
# Usage: scripts/bench-aging.sh [path-to-relance-binary] [runs=5]
#   e.g. cargo build --release -p relance-server && scripts/bench-aging.sh target/release/relance
#
# Uses the databases of scripts/bench-scale.sh (`relance seed-scale`: 50,000
# accounts, 1,000,000 invoices), filling them once when missing:
# $RELANCE_BENCH_DIR/scale.db (default target/bench-scale) and the PostgreSQL
# database relance_bench_scale at $RELANCE_BENCH_PG (default
# postgres://postgres@127.0.0.1:5432); without a server only SQLite runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/relance}
RUNS=${2:-5}
[[ -f $BIN && -x $BIN ]] || { echo "error: '$BIN' is not an executable file (cargo build --release -p relance-server)" >&2; exit 2; }
DIR="${RELANCE_BENCH_DIR:-$ROOT/target/bench-scale}"
PG="${RELANCE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
mkdir -p "$DIR"
LOG="$DIR/bench-aging.log"
: >"$LOG"

relance() {
  local url=$1
  shift
  DATABASE_URL="$url" RELANCE_PUBLIC_URL="http://127.0.0.1:1" RELANCE_SEED_DEMO=false RUST_LOG=${RUST_LOG:-error} \
    RELANCE_DATA_DIR="$DIR/data" "$BIN" "$@"
}

run() {
  local backend=$1 url=$2 fresh=$3
  echo "== $backend"
  if $fresh; then
    echo "  filling the $backend scale database (a few minutes, once)..."
    relance "$url" seed-scale >>"$LOG" 2>&1 || { tail -20 "$LOG" >&2; exit 1; }
  fi
  relance "$url" time-aging --runs "$RUNS" 2>>"$LOG"
}

fresh=false
[[ -f $DIR/scale.db ]] || fresh=true
run sqlite "sqlite://$DIR/scale.db" "$fresh"

if psql "$PG/postgres" -qtAc 'SELECT 1' >/dev/null 2>&1; then
  fresh=false
  if [[ "$(psql "$PG/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'relance_bench_scale'")" != 1 ]]; then
    psql "$PG/postgres" -qtAc "CREATE DATABASE relance_bench_scale" >/dev/null
    fresh=true
  fi
  run postgres "$PG/relance_bench_scale" "$fresh"
else
  echo "PostgreSQL unreachable at $PG: SQLite only" >&2
fi
