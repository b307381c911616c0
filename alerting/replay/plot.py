"""The arrival-time chart of a replay: expected first arrival per incident, current versus draft."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def arrival_plot(current: Sequence[float], draft: Sequence[float], path: Path, *, title: str) -> Path:
    """Writes a PNG with the Agg canvas directly (no pyplot, no display, safe in any process)."""
    fig = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    values = list(current) + list(draft)
    top = max(values, default=60.0)
    bins = np.linspace(0, top * 1.05 + 1, 40)
    for label, data, style in (("current", current, "-"), ("draft", draft, "--")):
        if data:
            ax.hist(
                np.asarray(data) / 60,
                bins=(bins / 60).tolist(),
                histtype="step",
                linestyle=style,
                linewidth=1.8,
                label=f"{label} (n={len(data)}, median {np.median(data) / 60:.1f} min)",
            )
        else:
            ax.plot([], [], linestyle=style, label=f"{label} (no incident with a responder)")
    ax.set_xlabel("expected time to first arrival (min)")
    ax.set_ylabel("incidents")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
