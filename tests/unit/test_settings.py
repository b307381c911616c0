"""Settings that reach the runtime directly, checked where they are parsed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alerting.settings import Settings


def test_gc_thresholds_come_from_the_environment_as_a_list(monkeypatch):
    monkeypatch.setenv("ALERTING_GC_THRESHOLDS", "[20000, 20, 50]")
    assert Settings().gc_thresholds == (20_000, 20, 50)


@pytest.mark.parametrize("bad", ["[0, 10, 10]", "[700, 10]", "[700, 10, -1]"])
def test_gc_thresholds_that_would_stop_or_break_the_collector_are_refused(monkeypatch, bad):
    monkeypatch.setenv("ALERTING_GC_THRESHOLDS", bad)
    with pytest.raises(ValidationError, match="gc_thresholds"):
        Settings()
