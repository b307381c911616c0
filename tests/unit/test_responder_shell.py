"""The responder page opens offline only if its service worker keeps every module the page imports:
a module missing from the shell breaks the offline page."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "alerting" / "web" / "static"


def _imports(path: Path, seen: set[str]) -> set[str]:
    for name in re.findall(r'from "(/web/[^"]+\.js)"', path.read_text(encoding="utf-8")):
        if name not in seen:
            seen.add(name)
            _imports(STATIC / name.removeprefix("/web/"), seen)
    return seen


def test_every_module_the_responder_page_imports_is_in_the_offline_shell():
    worker = (STATIC / "responder-sw.js").read_text(encoding="utf-8")
    shell = set(re.findall(r'"(/web/[^"]+)"', worker.split("const SHELL_FILES", 1)[1].split("];", 1)[0]))
    needed = _imports(STATIC / "responder.js", {"/web/responder.js"})
    assert needed - shell == set()


def test_every_module_the_alerter_page_imports_is_in_its_offline_shell():
    """Offline, the alerter page must still open: its button is a tel: link that needs no network."""
    worker = (STATIC / "alerter-sw.js").read_text(encoding="utf-8")
    shell = set(re.findall(r'"(/web/[^"]+)"', worker.split("const SHELL_FILES", 1)[1].split("];", 1)[0]))
    needed = _imports(STATIC / "alerter.js", {"/web/alerter.js"})
    assert needed - shell == set()
