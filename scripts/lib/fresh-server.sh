# shellcheck shell=bash
# Shared by scripts/e2e.sh and scripts/bench.sh: starts a fresh Relance server
# (temporary directory with a new SQLite database, seeded with the demo data on
# first start) on a free local port and stops it again when the script exits.
#
# Source it, then call fresh_server_start once, as a plain command (not in
# `if`, `||` or `$(...)`): it exits the calling script on failure.
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/fresh-server.sh"
#   fresh_server_start "$BIN" "$SITE_ROOT" e2e RELANCE_E2E_KEEP
#
# Sourcing only defines functions. Needs curl, python3 and od.

# fresh_server_start <binary> <site-root> <name> <keep-env-var-name>
#   Creates $TMP (${TMPDIR:-/tmp}/relance-<name>.XXXXXX), installs EXIT/INT/TERM
#   traps (see fresh_server_cleanup), picks a free port, runs
#   `<binary> serve` with the database $TMP/<name>.db and its log in
#   $TMP/server.log, and waits up to 120 s for /healthz.
#   Sets the globals TMP, PORT, URL and SERVER_PID.
fresh_server_start() {
  if [[ $# -ne 4 || ! $4 =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
    echo "usage: fresh_server_start <binary> <site-root> <name> <keep-env-var-name>" >&2
    return 2
  fi
  local bin=$1 site_root=$2 secret started deadline
  FRESH_SERVER_NAME=$3
  FRESH_SERVER_KEEP_VAR=$4

  TMP="$(mktemp -d "${TMPDIR:-/tmp}/relance-$FRESH_SERVER_NAME.XXXXXX")"
  SERVER_PID=""
  trap fresh_server_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  URL="http://127.0.0.1:$PORT"
  secret="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"

  echo "starting $bin serve on $URL (log: $TMP/server.log)"
  DATABASE_URL="sqlite://$TMP/$FRESH_SERVER_NAME.db" \
    LEPTOS_SITE_ADDR="127.0.0.1:$PORT" \
    LEPTOS_SITE_ROOT="$site_root" \
    RELANCE_PUBLIC_URL="$URL" \
    RELANCE_JWT_SECRET="$secret" \
    RUST_LOG="${RUST_LOG:-warn}" \
    "$bin" serve >"$TMP/server.log" 2>&1 &
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
}

# Stops the server (TERM, then KILL after 5 s) if it is still running.
fresh_server_stop() {
  if [[ -n ${SERVER_PID:-} ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
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

# EXIT trap: stops the server; on failure prints the tail of server.log; keeps
# $TMP on failure or when the keep variable is 1, else removes it; exits with
# the script's status.
fresh_server_cleanup() {
  local status=$?
  trap - EXIT INT TERM
  fresh_server_stop
  if [[ $status -ne 0 ]]; then
    echo "---- $FRESH_SERVER_NAME failed (exit $status); last lines of $TMP/server.log ----" >&2
    tail -n 60 "$TMP/server.log" >&2 2>/dev/null || true
    echo "---- end of server.log ----" >&2
  fi
  if [[ $status -ne 0 || ${!FRESH_SERVER_KEEP_VAR:-0} == 1 ]]; then
    echo "kept $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  exit "$status"
}
