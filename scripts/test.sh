#!/usr/bin/env bash
# Every check, in the order CI runs them: formatting, clippy (warnings
# denied), unit tests, integration tests on SQLite and PostgreSQL, the wasm
# build, and Playwright in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test

export RELANCE_TEST_DATABASE_URL="${RELANCE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy (server build, warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy (browser build, warnings denied)"
cargo clippy -p relance-app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

step "unit and integration tests (SQLite and PostgreSQL)"
cargo test --workspace -- --test-threads=4 2>&1 | tee "$logs/cargo-test.log"

step "site build (wasm + css)"
scripts/build-site.sh
cargo build -p relance-server --bin relance

step "clippy (the release's embedded site, warnings denied)"
cargo clippy -p relance-server --features embed-site -- -D warnings

step "browser tests (Playwright, Chromium)"
scripts/e2e.sh "${CARGO_TARGET_DIR:-target}/debug/relance" 2>&1 | tee "$logs/e2e.log"

rust=$(grep -oE '^test result: ok\. [0-9]+ passed' "$logs/cargo-test.log" | awk '{ n += $4 } END { print n + 0 }')
browser=$(grep -oE '^ +[0-9]+ passed' "$logs/e2e.log" | awk '{ n += $1 } END { print n + 0 }')
printf '\nRust tests: %s, browser tests: %s\n' "$rust" "$browser"
echo "summary: $((rust + browser)) passed, 0 failed"
