"""The reviewed list of checkov checks accepted as risks (`config/accepted-risks.yaml`).

Each entry names one check, its scope (`stack`, or one resource by URN or logical name), a written
justification and an owner, and may expire. A failed check an entry covers becomes a finding of its
own kind (ACCEPTED_RISK, with the justification), never a silent skip. The file is checked as
strictly as code: a missing field, an unknown check id, a scope naming no resource, an expired entry
or an entry that covers no failed check is an error naming the file and the entry.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compliance.model.errors import UserError
from compliance.model.files import read_yaml
from compliance.model.findings import AcceptedRisk
from compliance.model.graph import GraphResource

STACK_SCOPE = "stack"
TOP_LEVEL_KEY = "accepted_risks"
_FIELDS = frozenset({"check", "scope", "justification", "owner", "expires"})
_MIN_JUSTIFICATION_WORDS = 6
_DATE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")


class AcceptedRiskError(UserError):
    """The accepted-risks file breaks one of its rules."""


@dataclass(frozen=True)
class AcceptedRiskEntry:
    check: str
    scope: str
    justification: str
    owner: str
    expires: datetime.date | None
    where: str
    """`<file>: accepted_risks[<index>] (<check>)`, for messages."""

    def covers(self, resource: GraphResource) -> bool:
        return self.scope in (STACK_SCOPE, resource.urn, resource.name)

    def as_accepted_risk(self) -> AcceptedRisk:
        return AcceptedRisk(justification=self.justification, owner=self.owner, scope=self.scope)


def load_accepted_risks(
    path: Path, known_checks: Collection[str], today: datetime.date
) -> tuple[AcceptedRiskEntry, ...]:
    """Read and validate the file; entries are checked against checkov's check ids and `today`."""
    document = read_yaml(path, AcceptedRiskError)
    if document is None:
        return ()
    if (
        not isinstance(document, dict)
        or set(document) - {TOP_LEVEL_KEY}
        or not isinstance(document.get(TOP_LEVEL_KEY, []), list | None)
    ):
        raise AcceptedRiskError(
            f"{path}: must be a mapping with one key, `{TOP_LEVEL_KEY}`, holding a list"
        )
    entries = tuple(
        _entry(raw, f"{path}: {TOP_LEVEL_KEY}[{index}]", known_checks, today)
        for index, raw in enumerate(document.get(TOP_LEVEL_KEY) or [])
    )
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if (entry.check, entry.scope) in seen:
            raise AcceptedRiskError(f"{entry.where}: duplicate of an earlier entry")
        seen.add((entry.check, entry.scope))
    return entries


def accepted_checks(path: Path) -> frozenset[str]:
    """The check ids the file accepts risks for, read without checkov's list of checks (to name
    them in the coverage catalogue; `load_accepted_risks` judges the entries)."""
    document = read_yaml(path, AcceptedRiskError)
    entries = document.get(TOP_LEVEL_KEY) if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise AcceptedRiskError(f"{path}: must be a mapping with `{TOP_LEVEL_KEY}` holding a list")
    return frozenset(
        entry["check"] for entry in entries if isinstance(entry, dict) and "check" in entry
    )


def check_scopes(entries: Iterable[AcceptedRiskEntry], resources: Iterable[GraphResource]) -> None:
    """Every resource-scoped entry names a resource of the graph."""
    names = {name for r in resources for name in (r.urn, r.name)}
    for entry in entries:
        if entry.scope != STACK_SCOPE and entry.scope not in names:
            raise AcceptedRiskError(
                f"{entry.where}: scope {entry.scope!r} names no resource of the stack "
                f"(use `{STACK_SCOPE}`, a URN or a logical name)"
            )


def check_all_used(
    entries: Iterable[AcceptedRiskEntry], used: Collection[AcceptedRiskEntry]
) -> None:
    """An entry that covers no failed check is stale: the risk is gone, so is the entry."""
    for entry in entries:
        if entry not in used:
            raise AcceptedRiskError(
                f"{entry.where}: covers no failed check in this stack; remove the entry"
            )


def _entry(
    raw: Any, where: str, known_checks: Collection[str], today: datetime.date
) -> AcceptedRiskEntry:
    if not isinstance(raw, dict):
        raise AcceptedRiskError(f"{where}: each entry must be a mapping")
    check = _text(raw, "check", where)
    where = f"{where} ({check})"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise AcceptedRiskError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
    if check not in known_checks:
        raise AcceptedRiskError(f"{where}: check: {check!r} is not a checkov check id")
    justification = _text(raw, "justification", where)
    if len(justification.split()) < _MIN_JUSTIFICATION_WORDS:
        raise AcceptedRiskError(
            f"{where}: justification: write a sentence saying why the risk is accepted "
            f"(at least {_MIN_JUSTIFICATION_WORDS} words)"
        )
    expires = _date(raw.get("expires"), where)
    if expires is not None and expires < today:
        raise AcceptedRiskError(f"{where}: expired on {expires.isoformat()}; review it again")
    return AcceptedRiskEntry(
        check=check,
        scope=_text(raw, "scope", where),
        justification=justification,
        owner=_text(raw, "owner", where),
        expires=expires,
        where=where,
    )


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AcceptedRiskError(f"{where}: {key}: required, a non-empty string")
    return " ".join(value.split())


def _date(raw: Any, where: str) -> datetime.date | None:
    if raw is None:
        return None
    if isinstance(raw, str) and _DATE_FORMAT.fullmatch(raw):
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(raw)
    raise AcceptedRiskError(f"{where}: expires: {raw!r} is not a date (YYYY-MM-DD)")
