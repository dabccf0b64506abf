"""`python -m compliance coverage`: the coverage catalogue as the README's Markdown table.

One row per concern: what is required, the PCI DSS requirements, who judges it (pack policies,
checkov checks, with the checks accepted as risks marked) or why nothing does, and which
references check it. The README holds this output verbatim; a test keeps the two equal.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection, Sequence

from compliance import arguments
from compliance.checkov.accepted_risks import accepted_checks
from compliance.model.coverage import (
    NOT_ADOPTED,
    REFERENCES,
    Concern,
    Engine,
    concerns_by_engine,
    load_catalogue,
)

HELP = "print the coverage catalogue (PCI DSS concerns and the engine judging each) as Markdown"
REQUIREMENT_DEPTH = 3
"""Requirement ids are shown to three levels (10.2.1.1 to 10.2.1.7 as 10.2.1); the catalogue and
the audit report keep every id."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_project_dir_argument(parser)
    arguments.add_accepted_risks_argument(parser)


def run(args: argparse.Namespace) -> int:
    concerns = load_catalogue()
    print(render_markdown(concerns, accepted_checks(arguments.accepted_risks(args))), end="")
    return 0


def render_markdown(concerns: Sequence[Concern], accepted: Collection[str]) -> str:
    counts = concerns_by_engine(concerns)
    lines = [
        f"{len(concerns)} concerns: {counts[Engine.POLICY.value]} judged by pack policies, "
        f"{counts[Engine.CHECKOV.value]} by checkov checks (a concern may have both), "
        f"{counts[NOT_ADOPTED]} not adopted.",
        "",
        "| Concern | Required | PCI DSS | Judged by | Checked by |",
        "|---|---|---|---|---|",
    ]
    for concern in concerns:
        lines.append(
            f"| `{concern.id}` | {concern.concern} | {_requirements(concern)} | "
            f"{_owners(concern, accepted)} | {_references(concern)} |"
        )
    return "\n".join(lines) + "\n"


def _requirements(concern: Concern) -> str:
    shown = dict.fromkeys(
        ".".join(requirement.split(".")[:REQUIREMENT_DEPTH]) for requirement in concern.requirements
    )
    return ", ".join(shown) or "-"


def _owners(concern: Concern, accepted: Collection[str]) -> str:
    if concern.not_adopted is not None:
        return f"not adopted: {concern.not_adopted}"
    named = [f"`{name}`" for name in concern.owned_by(Engine.POLICY)]
    named += [
        f"`{check}` (accepted risk)" if check in accepted else f"`{check}`"
        for check in concern.owned_by(Engine.CHECKOV)
    ]
    return ", ".join(named)


def _references(concern: Concern) -> str:
    return ", ".join(REFERENCES[key] for key in REFERENCES if key in concern.references) or "-"
