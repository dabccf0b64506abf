"""Tag patterns from the policy config run in linear time (RE2): a pattern that backtracks
exponentially in Python's engine still answers at once, and one RE2 cannot run fails the resource
with the reason instead of hanging or passing."""

from __future__ import annotations

import time

from tests.policy_pack.pack_harness import (
    TAGS,
    compliant_stack,
    configure,
    resource_verdict,
    running_pack,
    with_inputs,
)


def test_a_catastrophically_backtracking_pattern_answers_at_once() -> None:
    bucket = compliant_stack()["receipts"]
    hostile = with_inputs(bucket, tags=TAGS | {"MigrationDate": "A" * 50_000 + "C"})
    with running_pack() as pack:
        configure(pack, {"required-tags": {"patterns": {"MigrationDate": "^(A+)+B$"}}})
        started = time.monotonic()
        verdict, messages = resource_verdict(pack, "required-tags", hostile)
        assert time.monotonic() - started < 10
    assert verdict == "fail"
    assert any("does not match '^(A+)+B$'" in m for m in messages)


def test_a_pattern_that_needs_backtracking_is_refused_with_the_reason() -> None:
    bucket = compliant_stack()["receipts"]
    with running_pack() as pack:
        configure(pack, {"required-tags": {"patterns": {"MigrationDate": r"^(\d)\1$"}}})
        verdict, messages = resource_verdict(pack, "required-tags", bucket)
    assert verdict == "fail"
    assert any(
        "the pattern '^(\\\\d)\\\\1$' is refused: RE2 cannot compile it" in m for m in messages
    ), messages
