"""What-if replay: what a draft policy would have done to past incidents, from density history.

Pure: the services load incidents, history and acceptance from storage and hand them in.
"""

from alerting.replay.acceptance import PRIOR_ALPHA, PRIOR_BETA, Rate, learn
from alerting.replay.engine import Model, Outcome, PhaseEstimate, ReplayIncident, replay, replay_one
from alerting.replay.history import DensityHistory, hour_of_week
from alerting.replay.summary import Summary, summarise, table

__all__ = [
    "PRIOR_ALPHA",
    "PRIOR_BETA",
    "DensityHistory",
    "Model",
    "Outcome",
    "PhaseEstimate",
    "Rate",
    "ReplayIncident",
    "Summary",
    "hour_of_week",
    "learn",
    "replay",
    "replay_one",
    "summarise",
    "table",
]
