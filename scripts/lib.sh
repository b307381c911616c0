# Shared helpers for the project's scripts: sourced, never run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
mkdir -p "$ROOT/var"
[ -f "$ROOT/.env" ] && set -a && . "$ROOT/.env" && set +a
export ALERTING_REDIS_URL="${ALERTING_REDIS_URL:-redis://127.0.0.1:6379/0}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  # Install Debian packages when we may; otherwise say exactly what is missing.
  if ! is_root; then die "missing $* — install it (e.g. sudo apt-get install -y $*) and run again"; fi
  command -v apt-get >/dev/null || die "missing $* and no apt-get here — install it and run again"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
  }
}

# host and port of a redis:// or postgresql:// URL
url_host() { python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(p.hostname or "127.0.0.1")' "$1"; }
url_port() { python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(p.port or int(sys.argv[2]))' "$1" "$2"; }
