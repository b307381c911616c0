"""Looking after the responders who went: what a trust asks them afterwards and tells them.

A responder who accepted is checked in on some time later (`check_in_after_s`) and, where the
trust shares it, told what became of the patient in the trust's words. Pure: the policy's
`aftercare` section read into a value, with the words for each outcome.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from alerting.domain.policy_document import DEFAULT_CHECK_IN_AFTER_S
from alerting.domain.vocabulary import Outcome

MAX_TEXT = 300  # a question, or a trust's words for an outcome
MAX_ANSWER = 2000  # a responder's answer to one question
CHECK_IN_TEXT = "How are you after the call you went to?"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def valid_email(address: str) -> bool:
    return len(address) <= 254 and bool(_EMAIL.fullmatch(address))


DEFAULT_OUTCOME_TEXTS: Mapping[Outcome, str] = {
    Outcome.ROSC: "The patient's heart started beating again before they reached hospital.",
    Outcome.TRANSPORTED: "The patient was taken to hospital.",
    Outcome.DIED: "Sadly, the patient died. What you did gave them a chance.",
    Outcome.NOT_CARDIAC: "It turned out not to be a cardiac arrest.",
    Outcome.UNKNOWN: "The ambulance service does not know the outcome.",
}


@dataclass(frozen=True, slots=True)
class Aftercare:
    check_in_after_s: float = DEFAULT_CHECK_IN_AFTER_S
    questions: tuple[str, ...] = ()
    share_outcome: bool = False
    outcome_texts: tuple[tuple[str, str], ...] = ()  # (outcome, the trust's words), only those it set
    wellbeing_emails: tuple[str, ...] = ()  # told when a responder needs to talk

    def outcome_text(self, outcome: str) -> str:
        """The trust's words for an outcome, or the default ones."""
        own = dict(self.outcome_texts)
        if outcome in own:
            return own[outcome]
        known = {o.value: text for o, text in DEFAULT_OUTCOME_TEXTS.items()}
        return known.get(outcome, known[Outcome.UNKNOWN])
