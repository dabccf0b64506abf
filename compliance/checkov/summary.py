"""The checkov cross-check as a person reads it: per check, then each failure and accepted risk."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from compliance.model.findings import Finding, Outcome

if TYPE_CHECKING:
    from compliance.checkov.run import CheckovRun

_COLUMNS = (Outcome.PASS, Outcome.FAIL, Outcome.ACCEPTED_RISK)


def render(run: CheckovRun, source: str, out: TextIO) -> None:
    counts = Counter(finding.outcome for finding in run.findings)
    by_check = _by_check(run.findings)
    print(
        f"checkov {run.checkov_version} over {source}: {run.converted} resources converted, "
        f"{run.scanned} scanned",
        file=out,
    )
    if run.skipped:
        names = ", ".join(f"{ref.name} ({ref.type})" for ref in run.skipped)
        print(f"Not checked (no Terraform type for their provider): {names}", file=out)
    print(
        f"{len(by_check)} checks, {len(run.findings)} results: {counts[Outcome.PASS]} passed, "
        f"{counts[Outcome.FAIL]} failed, {counts[Outcome.ACCEPTED_RISK]} accepted risks\n",
        file=out,
    )
    print(f"{'check':<13} {'passed':>6} {'failed':>6} {'accepted':>8}  name", file=out)
    for check, findings in by_check:
        per = Counter(f.outcome for f in findings)
        numbers = " ".join(f"{per[o]:>{w}}" for o, w in zip(_COLUMNS, (6, 6, 8), strict=True))
        print(f"{check:<13} {numbers}  {findings[0].extra.get('check_name', '')}", file=out)
    _section("Failed", run.failed, out)
    _section("Accepted risks", run.accepted, out)


def _section(title: str, findings: tuple[Finding, ...], out: TextIO) -> None:
    if not findings:
        return
    print(f"\n{title}:", file=out)
    for check, found in _by_check(findings):
        first = found[0]
        print(
            f"  {check} {first.extra.get('check_name', '')} [{', '.join(first.controls)}]",
            file=out,
        )
        for finding in found:
            resource = finding.resource
            where = f"{resource.name} ({resource.type})" if resource else "the stack"
            print(f"    {where}", file=out)
        if first.accepted_risk is not None:
            risk = first.accepted_risk
            print(
                f"    accepted ({risk.scope}, owner {risk.owner}): {risk.justification}", file=out
            )


def _by_check(findings: Iterable[Finding]) -> list[tuple[str, list[Finding]]]:
    """The findings grouped by check, in check order."""
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_check[finding.rule].append(finding)
    return sorted(by_check.items(), key=lambda item: _check_order(item[0]))


def _check_order(check: str) -> tuple[str, int]:
    """CKV_AWS_9 before CKV_AWS_10."""
    prefix, _, number = check.rpartition("_")
    return (prefix, int(number) if number.isdigit() else 0)
