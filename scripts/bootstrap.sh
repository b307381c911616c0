#!/usr/bin/env bash
# The virtualenv with the project and its test tools, re-installed only when pyproject.toml changes.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || die "python3 (3.11 or newer) is required"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "python 3.11 or newer is required"
if [ ! -x "$PY" ]; then
  say "creating .venv"
  python3 -m venv "$VENV" || { apt_install python3-venv; python3 -m venv "$VENV"; }
fi
stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  say "installing the project into .venv"
  "$PY" -m pip install -q --upgrade pip >/dev/null
  "$PY" -m pip install -q -e ".[test]"
  rm -f "$VENV"/.installed-* && touch "$stamp"
fi
