#!/usr/bin/env bash
# A release: the optimized site (scripts/build-site.sh --release: wasm-opt,
# hashed names, gzip and brotli beside each file) embedded into an
# optimized server binary. The result is one file, target/release/relance
# (or $CARGO_TARGET_DIR/release/relance), that needs only its database:
#
#   DATABASE_URL=sqlite:///var/lib/relance/relance.db RELANCE_JWT_SECRET=... \
#   RELANCE_PUBLIC_URL=https://portal.example.com ./relance serve
#
# Prints the bundle's sizes (raw, gzip, brotli) at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-site.sh --release
printf '\033[1;34m[release]\033[0m %s\n' "server (release, site embedded)"
cargo build --release -p relance-server --bin relance --features embed-site
bin="${CARGO_TARGET_DIR:-target}/release/relance"
scripts/lib/sizes.sh target/site
ls -l "$bin" | awk '{ printf "binary: %s (%.1f MB)\n", $NF, $5 / 1048576 }'
