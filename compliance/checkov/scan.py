"""Running checkov over a Terraform plan document and reading its verdicts.

checkov runs in this process (its terraform_plan runner over the plan written to a temporary
file): the same scan as `checkov --framework terraform_plan --skip-download -f plan.json`, with the
same results, without a Python start-up and checkov's CLI set-up per run. On the stack's plan (67
resources, 179 results: 161 passed, 18 failed before accepted risks) the CLI took 4.7-5.7 s a run;
in-process, importing checkov took 2.8 s once and each scan 0.24-0.61 s. Nothing is downloaded
either way.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checkov.common.bridgecrew.check_type import CheckType
from checkov.common.checks_infra.registry import get_graph_checks_registry
from checkov.runner_filter import RunnerFilter
from checkov.terraform.checks.provider.registry import provider_registry
from checkov.terraform.checks.resource.registry import resource_registry
from checkov.terraform.plan_runner import Runner
from checkov.version import version

from compliance.model.errors import UserError
from compliance.model.quiet import quieted

PLAN_FILE = "plan.json"


class CheckovError(UserError):
    """checkov could not scan, or did not scan, what it was given."""


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    check_name: str
    address: str
    """The Terraform address checkov reports: `aws_s3_bucket.receipts`, `aws.default`."""
    passed: bool
    evaluated_keys: tuple[str, ...] = ()
    guideline: str | None = None


@dataclass(frozen=True)
class Scan:
    results: tuple[CheckResult, ...]
    scanned: frozenset[str]
    """Addresses of the resources checkov read from the plan."""
    checkov_version: str


def scan_plan(document: dict[str, Any]) -> Scan:
    """Every checkov check (resource, provider and graph checks) over one plan document."""
    # checkov warns about plan features it does not need (line numbers, modules).
    with (
        tempfile.TemporaryDirectory(prefix="checkov-") as directory,
        quieted("checkov", logging.ERROR),
    ):
        path = Path(directory) / PLAN_FILE
        path.write_text(json.dumps(document))
        report = Runner().run(
            root_folder=None,
            files=[str(path)],
            runner_filter=RunnerFilter(
                framework=[CheckType.TERRAFORM_PLAN], download_external_modules=False
            ),
        )
    if isinstance(report, list):
        report = report[0]
    if report.parsing_errors:
        raise CheckovError(f"checkov could not parse the Terraform plan: {report.parsing_errors}")
    results = tuple(
        _result(record, passed)
        for passed, records in ((True, report.passed_checks), (False, report.failed_checks))
        for record in records
    )
    scanned = frozenset(resource.rsplit(":", 1)[-1] for resource in report.resources)
    return Scan(results=results, scanned=scanned, checkov_version=str(version))


def known_check_ids() -> frozenset[str]:
    """Every check id checkov runs over a Terraform plan."""
    graph_registry = get_graph_checks_registry(CheckType.TERRAFORM)
    graph_registry.load_checks()
    ids = {check.id for check in graph_registry.checks}
    for registry in (resource_registry, provider_registry):
        for checks in (*registry.checks.values(), *registry.wildcard_checks.values()):
            ids.update(check.id for check in checks)
    return frozenset(ids)


def _result(record: Any, passed: bool) -> CheckResult:
    evaluated = record.check_result.get("evaluated_keys") or ()
    return CheckResult(
        check_id=record.check_id,
        check_name=record.check_name,
        address=record.resource,
        passed=passed,
        evaluated_keys=tuple(key for key in evaluated if key != "resource_type"),
        guideline=record.guideline,
    )
