#!/usr/bin/env bash
# Builds the browser side of the site into target/site: the hydrating wasm,
# split into a main part and one part per group of pages (app/src/pages.rs,
# wasm-split-cli, then wasm-bindgen), the stylesheet and the public files. This is what
# cargo-leptos did for us, without the 12 minutes of compiling cargo-leptos
# on every new machine.
#
#   scripts/build-site.sh            debug wasm (fast to build, ~70 MB in all)
#   scripts/build-site.sh --release  the wasm-release profile, wasm-opt -Oz,
#                                    and every bundle file pre-compressed
#                                    (.gz and .br beside it)
#
# The bundle's names carry a hash of its content (pkg/relance.<hash>.js,
# .wasm, .css, .split.js, and the parts .split_*.wasm and .chunk_N.wasm), so
# browsers may keep them for a year: a new build is a new name. pkg/NAME
# holds the current name; the server reads it at start (or, in a release
# binary, the copy it embeds), and pkg/<name>.parts.json, which parts each
# group of pages loads.
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
# --emit-relocs keeps the relocations wasm-split-cli needs to cut the module
# into the main part and one part per page (app/src/pages.rs). Only the final
# link uses it, so dependencies are not rebuilt.
cargo rustc -p relance-app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile "$([[ $profile == debug ]] && echo dev || echo "$profile")" -- -C link-args=--emit-relocs
wasm="$target_dir/wasm32-unknown-unknown/$profile/app.wasm"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "wasm-split"
wasm-split-cli --target web --out-name relance "$wasm" "$work/split"
log "wasm-bindgen"
# The page parts call into the main module through the linker's exports.
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
  --out-dir "$work/out" --out-name relance "$work/split/relance.wasm"
mv "$work/out/relance_bg.wasm" "$work/out/relance.wasm"
shopt -s nullglob
mv "$work/split/__wasm_split.js" "$work/split"/split_*.wasm "$work/split"/chunk_*.wasm "$work/out/"
if $release; then
  wasm_opt=scripts/tools/node_modules/.bin/wasm-opt
  [[ -x $wasm_opt ]] || { echo "error: $wasm_opt is missing; run scripts/setup.sh" >&2; exit 2; }
  log "wasm-opt -Oz (main module and every part)"
  for w in "$work/out"/*.wasm; do
    # The features Rust 1.95 emits by default for wasm32-unknown-unknown.
    "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue "$w" -o "$w.opt"
    mv "$w.opt" "$w"
  done
fi
cp style/main.css "$work/out/relance.css"

hash=$(cd "$work/out" && LC_ALL=C ls | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)
name="relance.$hash"
for ext in js wasm css; do mv "$work/out/relance.$ext" "$work/out/$name.$ext"; done
node scripts/lib/split-bundle.mjs "$work/out" "$name"
rm -rf "$pkg"
mkdir -p "$pkg"
mv "$work/out"/* "$pkg/"
printf '%s\n' "$name" >"$pkg/NAME"
cp -R public/. "$site/"

if $release; then
  log "pre-compressing"
  node scripts/lib/compress.mjs "$pkg/$name".* "$site"/*.js "$site"/*.svg
fi
log "$pkg/$name.{js,wasm,css}"
