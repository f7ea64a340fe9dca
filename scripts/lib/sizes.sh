#!/usr/bin/env bash
# Prints what a browser downloads for the site's bundle in SITE_ROOT
# (default target/site): each of pkg/<name>.js, .wasm and .css raw, gzip and
# brotli (the pre-compressed files when present, else compressed here), and
# their totals.
set -euo pipefail
site=${1:-target/site}
name=$(cat "$site/pkg/NAME")
total_raw=0 total_gz=0 total_br=0
size_of() { if [[ -f $1 ]]; then stat -c %s "$1"; else echo ""; fi; }
printf '%-34s %10s %10s %10s\n' "bundle file" raw gzip brotli
for ext in wasm js css; do
  f="$site/pkg/$name.$ext"
  raw=$(stat -c %s "$f")
  gz=$(size_of "$f.gz"); [[ -n $gz ]] || gz=$(gzip -9 -c "$f" | wc -c)
  br=$(size_of "$f.br"); [[ -n $br ]] || br=$(node -e "const z=require('zlib');process.stdout.write(String(z.brotliCompressSync(require('fs').readFileSync(process.argv[1])).length))" "$f")
  printf '%-34s %10s %10s %10s\n' "$name.$ext" "$raw" "$gz" "$br"
  total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz)) total_br=$((total_br + br))
done
printf '%-34s %10s %10s %10s\n' "first page, in all (bytes)" "$total_raw" "$total_gz" "$total_br"
printf 'first page download: %d KB gzip, %d KB brotli (budget: 300 KB gzip)\n' $((total_gz / 1024)) $((total_br / 1024))
