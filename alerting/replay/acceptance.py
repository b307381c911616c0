"""How likely a responder of each group is to accept an alert, learned from the trust's own answers.

Each group's rate is the mean of a Beta posterior. The prior, Beta(2, 8), has mean 0.2 and weighs as
much as ten answered alerts: published volunteer-responder schemes see roughly one alert in five
accepted, and ten answers are enough for a trust's own record to start outweighing that guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PRIOR_ALPHA = 2.0
PRIOR_BETA = 8.0


@dataclass(frozen=True, slots=True)
class Rate:
    accepted: int
    refused: int  # declined, or let the alert expire unanswered
    alpha: float = PRIOR_ALPHA
    beta: float = PRIOR_BETA

    @property
    def mean(self) -> float:
        return (self.alpha + self.accepted) / (self.alpha + self.beta + self.accepted + self.refused)


def learn(answers: Iterable[tuple[Iterable[str], int, int]], groups: Iterable[str]) -> dict[str, Rate]:
    """`answers` is (responder's groups, accepted, refused) per responder; a responder in two groups
    counts for both. Every group in `groups` gets a rate, the prior alone when it has no history."""
    tally: dict[str, list[int]] = {g: [0, 0] for g in groups}
    for member_of, accepted, refused in answers:
        for g in set(member_of):
            t = tally.setdefault(g, [0, 0])
            t[0] += accepted
            t[1] += refused
    return {g: Rate(a, r) for g, (a, r) in tally.items()}


def rate_of(groups: Iterable[str], rates: Mapping[str, float]) -> float:
    """A responder in several groups: the mean of their groups' rates (unknown groups at the prior)."""
    values = [rates.get(g, PRIOR_ALPHA / (PRIOR_ALPHA + PRIOR_BETA)) for g in groups]
    return sum(values) / len(values) if values else 0.0
