# The admin console and responder client need the pages' assets.
bash scripts/web-assets.sh
