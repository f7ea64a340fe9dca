#!/usr/bin/env bash
# Builds the browser side of the site into target/site: the hydrating wasm
# (through wasm-bindgen), the stylesheet and the public files. This is what
# cargo-leptos did for us, without the 12 minutes of compiling cargo-leptos
# on every new machine.
#
#   scripts/build-site.sh            debug wasm (fast to build, ~50 MB)
#   scripts/build-site.sh --release  the wasm-release profile, wasm-opt -Oz,
#                                    and every bundle file pre-compressed
#                                    (.gz and .br beside it)
#
# The bundle's names carry a hash of its content (pkg/relance.<hash>.js,
# .wasm, .css), so browsers may keep them for a year: a new build is a new
# name. pkg/NAME holds the current name; the server reads it at start (or,
# in a release binary, the copy it embeds).
set -euo pipefail
cd "$(dirname "$0")/.."

release=false
case "${1:-}" in
  --release) release=true ;;
  "") ;;
  *) echo "usage: $0 [--release]" >&2; exit 2 ;;
esac
log() { printf '\033[1;34m[site]\033[0m %s\n' "$*"; }

target_dir="${CARGO_TARGET_DIR:-target}"
if $release; then profile=wasm-release; else profile=debug; fi
site=target/site
pkg=$site/pkg

log "wasm ($profile)"
cargo build -p relance-app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile "$([[ $profile == debug ]] && echo dev || echo "$profile")"
wasm="$target_dir/wasm32-unknown-unknown/$profile/app.wasm"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "wasm-bindgen"
wasm-bindgen --target web --no-typescript --out-dir "$work" --out-name relance "$wasm"
mv "$work/relance_bg.wasm" "$work/relance.wasm"
if $release; then
  wasm_opt=scripts/tools/node_modules/.bin/wasm-opt
  [[ -x $wasm_opt ]] || { echo "error: $wasm_opt is missing; run scripts/setup.sh" >&2; exit 2; }
  log "wasm-opt -Oz"
  # The features Rust 1.95 emits by default for wasm32-unknown-unknown.
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$work/relance.wasm" -o "$work/relance.opt.wasm"
  mv "$work/relance.opt.wasm" "$work/relance.wasm"
fi
cp style/main.css "$work/relance.css"

hash=$(cat "$work/relance.js" "$work/relance.wasm" "$work/relance.css" | sha256sum | cut -c1-16)
name="relance.$hash"
rm -rf "$pkg"
mkdir -p "$pkg"
for ext in js wasm css; do mv "$work/relance.$ext" "$pkg/$name.$ext"; done
printf '%s\n' "$name" >"$pkg/NAME"
cp -R public/. "$site/"

if $release; then
  log "pre-compressing"
  node scripts/lib/compress.mjs "$pkg/$name.js" "$pkg/$name.wasm" "$pkg/$name.css" "$site"/*.js "$site"/*.svg
fi
log "$pkg/$name.{js,wasm,css}"
