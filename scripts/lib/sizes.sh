#!/usr/bin/env bash
# Prints what a browser downloads for the site's bundle in SITE_ROOT
# (default target/site): the main part every page loads and, for the
# client's first pages, their own parts; raw, gzip and brotli, against the
# 300 KB gzip budget. See sizes.mjs.
set -euo pipefail
exec node "$(dirname "$0")/sizes.mjs" "${1:-target/site}"
