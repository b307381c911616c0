# Browser tests need the pages' assets and Debian's Chromium.
bash scripts/web-assets.sh
bash scripts/ensure-chromium.sh
