#!/usr/bin/env bash
# Installs the pinned browser dependencies from the npm registry (package-lock.json) and copies
# Leaflet's and Chart.js's distributions into alerting/web/static/vendor, so the pages never load code from a CDN.
set -euo pipefail
WEB="$(cd "$(dirname "$0")/../alerting/web" && pwd)"
cd "$WEB"
npm ci --ignore-scripts --no-audit --no-fund
VENDOR="$WEB/static/vendor/leaflet"
rm -rf "$VENDOR"
mkdir -p "$VENDOR"
cp -R node_modules/leaflet/dist/. "$VENDOR/"
rm -f "$VENDOR"/*.map "$VENDOR"/leaflet-src*.js
echo "leaflet $(node -p "require('./node_modules/leaflet/package.json').version") -> $VENDOR"
CHARTS="$WEB/static/vendor/chartjs"
rm -rf "$CHARTS"
mkdir -p "$CHARTS"
cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md "$CHARTS/"
echo "chart.js $(node -p "require('./node_modules/chart.js/package.json').version") -> $CHARTS"
