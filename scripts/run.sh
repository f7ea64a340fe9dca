#!/usr/bin/env bash
# One command to try Relance: installs the build tools if missing, builds the
# site, and serves it on http://127.0.0.1:3000 with an SQLite database in
# ./data (created, migrated and filled with demo data on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-site.sh
cargo build -p relance-server --bin relance
exec "${CARGO_TARGET_DIR:-target}/debug/relance" serve
