#!/usr/bin/env bash
# Installs what the build needs (the wasm target, the wasm-bindgen CLI that
# matches the library, wasm-split-cli, binaryen's wasm-opt from npm), skipping whatever is
# already there at the right version. `--test` also installs what the test suite needs (Chromium,
# wrk, the end-to-end npm packages). Everything comes from package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
[[ "${1:-}" == "--test" ]] && want_test=true

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

if ! command -v cargo >/dev/null; then
  echo "Rust (cargo) is required: https://rustup.rs" >&2
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The CLI must match the wasm-bindgen library exactly (pinned in Cargo.toml).
if [[ ! -f Cargo.lock ]]; then cargo generate-lockfile; fi
WBG_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [[ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WBG_VERSION" ]]; then
  log "installing wasm-bindgen-cli $WBG_VERSION"
  # --locked fails for this crate on the registry mirror; the version pin is what matters.
  cargo install wasm-bindgen-cli --version "$WBG_VERSION" --debug
fi

# wasm-split-cli cuts the browser's wasm into a main part and one part per
# page (app/src/pages.rs). 0.2.4 works with wasm-bindgen 0.2.128 and later.
SPLIT_VERSION=0.2.4
if ! cargo install --list 2>/dev/null | grep -qx "wasm_split_cli_support v$SPLIT_VERSION:" || ! command -v wasm-split-cli >/dev/null; then
  log "installing wasm-split-cli $SPLIT_VERSION"
  cargo install --locked wasm_split_cli_support --version "$SPLIT_VERSION" --features build-binary
fi

# wasm-opt for release builds: binaryen from npm (Debian's is too old).
tools_stamp=scripts/tools/node_modules/.relance-lock.sha256
tools_sum="$(sha256sum scripts/tools/package-lock.json | cut -d' ' -f1)"
if [[ ! -f $tools_stamp || "$(cat "$tools_stamp")" != "$tools_sum" ]]; then
  log "installing build tools (npm ci in scripts/tools: binaryen's wasm-opt)"
  (cd scripts/tools && npm ci --no-audit --no-fund)
  echo "$tools_sum" >"$tools_stamp"
fi

if $want_test; then
  apt_missing=()
  [[ -x /usr/bin/chromium ]] || apt_missing+=(chromium)
  command -v wrk >/dev/null || apt_missing+=(wrk)
  if ((${#apt_missing[@]})); then
    log "installing ${apt_missing[*]} from Debian"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  fi
  if [[ ! -d end2end/node_modules ]] || [[ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
    log "installing end-to-end test packages (npm ci)"
    (cd end2end && npm ci --no-audit --no-fund)
  fi
fi
log "tools ready"
