"""What a control, a concern or one resource under them comes to: its worst finding's outcome."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from compliance.model.findings import Outcome


class ControlStatus(StrEnum):
    FAIL = "fail"
    NOT_RUN = "not-run"
    """Something in scope could not be evaluated (a policy read a value unknown in preview)."""
    ACCEPTED_RISK = "accepted-risk"
    PASS = "pass"
    NOT_APPLICABLE = "not-applicable"
    """Nothing in the stack was checked against this control."""


# Worst first: the status of a control (or of one resource under it) is its worst finding's.
_WORST_FIRST: tuple[tuple[Outcome, ControlStatus], ...] = (
    (Outcome.FAIL, ControlStatus.FAIL),
    (Outcome.NOT_RUN, ControlStatus.NOT_RUN),
    (Outcome.ACCEPTED_RISK, ControlStatus.ACCEPTED_RISK),
    (Outcome.PASS, ControlStatus.PASS),
)


def status_of(outcomes: Iterable[Outcome]) -> ControlStatus:
    present = set(outcomes)
    for outcome, status in _WORST_FIRST:
        if outcome in present:
            return status
    return ControlStatus.NOT_APPLICABLE
