#!/usr/bin/env bash
# The pages' browser dependencies (Leaflet and Chart.js from the npm registry), rebuilt only when the lock changes.
. "$(dirname "$0")/lib.sh"
lock="alerting/web/package-lock.json"
stamp="alerting/web/static/vendor/.built-$(sha1sum "$lock" | cut -c1-12)"
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null || { say "installing npm"; apt_install nodejs npm; }
say "installing the pages' browser dependencies"
bash scripts/build-web.sh >/dev/null
touch "$stamp"
