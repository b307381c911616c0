"""A reference CAD: posts realistic incidents at a rate, receives and verifies webhooks, reports.

Run it with `python -m dispatch_adapter.simulator` or `python -m alerting simulate`.
"""

from dispatch_adapter.simulator.runner import SimulatorConfig, run
from dispatch_adapter.simulator.scenario import Summary

__all__ = ["SimulatorConfig", "Summary", "run"]
