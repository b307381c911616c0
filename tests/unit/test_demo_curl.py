"""`make run` prints a curl that posts a demo incident to where the API listens (PORT)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from alerting import demo
from alerting.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_curl_names_the_api_it_was_given(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(demo, "CREDENTIALS", tmp_path / "demo-credentials.json")
    demo.CREDENTIALS.write_text(json.dumps({"cad_key": "cad_demo"}))
    assert main(["demo-curl", "--base-url", "http://127.0.0.1:8123"]) == 0
    printed = capsys.readouterr().out
    assert "curl -s -X POST http://127.0.0.1:8123/v1/incidents" in printed and "Bearer cad_demo" in printed


def test_make_run_passes_its_port_to_the_banner():
    """scripts/run.sh is a shell script: the line that prints the curl is checked as bash parses it."""
    script = (ROOT / "scripts" / "run.sh").read_text()
    (line,) = [ln for ln in script.splitlines() if "demo-curl" in ln]
    expanded = subprocess.run(
        ["bash", "-c", f'PY=echo; PORT=9321; printf "%s" "{line.strip()}"'], capture_output=True, text=True, check=True
    ).stdout
    assert expanded == "-m alerting demo-curl --base-url http://127.0.0.1:9321"
