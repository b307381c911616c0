"""The import contract (pyproject.toml, checked by lint-imports) places every module of ours in a layer:
a module left out would be free to import anything."""

from __future__ import annotations

import pkgutil
import re
import tomllib
from pathlib import Path

import alerting

ROOT = Path(__file__).resolve().parents[2]


def _layered() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return {name for layer in contract["layers"] for name in re.split(r"\s*[|:]\s*", layer.strip())}


def test_every_top_level_module_is_in_a_layer():
    ours = {f"alerting.{m.name}" for m in pkgutil.iter_modules(alerting.__path__)} | {"dispatch_adapter", "geo"}
    layered = _layered()
    assert ours - layered == set(), "add these to a layer of [tool.importlinter] in pyproject.toml"
    assert layered - ours == set(), "these layers name modules that do not exist"
