"""checkov's side of the cross-check: a process in checkov's own environment.

Run as a script by checkov's interpreter (`python worker.py`), so it imports checkov and the
standard library only, never the tooling. It loads checkov and its check registries at once, then
answers JSON requests, one a line on stdin, with one JSON line on stdout each:

- `{"op": "checks"}`: every check id checkov runs over a Terraform plan;
- `{"op": "scan", "plan": PATH}`: checkov's terraform_plan runner over the plan file (the same scan
  as `checkov --framework terraform_plan --skip-download -f PATH`), every result with its check,
  address and verdict, and the addresses it read.

The first line it writes, once loaded, is `{"ready": true, "version": ...}`. A request it cannot
answer gets `{"error": ...}`; the client raises that as one error.
"""

import json
import logging
import os
import sys
from typing import Any

# Loading checkov has time to spare while the caller runs the program, whose work is what the
# caller waits for: yield the CPU to it. Once the program is done nothing competes, and the scan
# runs at full speed all the same.
os.nice(10)
# Before checkov is imported: it reads the level when it configures its loggers.
logging.getLogger("checkov").setLevel(logging.ERROR)

from checkov.common.bridgecrew.check_type import CheckType  # noqa: E402
from checkov.common.checks_infra.registry import get_graph_checks_registry  # noqa: E402
from checkov.runner_filter import RunnerFilter  # noqa: E402
from checkov.terraform.checks.provider.registry import provider_registry  # noqa: E402
from checkov.terraform.checks.resource.registry import resource_registry  # noqa: E402
from checkov.terraform.plan_runner import Runner  # noqa: E402
from checkov.version import version  # noqa: E402


def check_ids() -> list[str]:
    graph_registry = get_graph_checks_registry(CheckType.TERRAFORM)
    graph_registry.load_checks()
    ids = {check.id for check in graph_registry.checks}
    for registry in (resource_registry, provider_registry):
        for checks in (*registry.checks.values(), *registry.wildcard_checks.values()):
            ids.update(check.id for check in checks)
    return sorted(ids)


def scan(plan: str) -> dict[str, Any]:
    report = Runner().run(
        root_folder=None,
        files=[plan],
        runner_filter=RunnerFilter(
            framework=[CheckType.TERRAFORM_PLAN], download_external_modules=False
        ),
    )
    if isinstance(report, list):
        report = report[0]
    if report.parsing_errors:
        return {"error": f"checkov could not parse the Terraform plan: {report.parsing_errors}"}
    results = [
        _result(record, passed)
        for passed, records in ((True, report.passed_checks), (False, report.failed_checks))
        for record in records
    ]
    scanned = sorted({resource.rsplit(":", 1)[-1] for resource in report.resources})
    return {"results": results, "scanned": scanned}


def _result(record: Any, passed: bool) -> dict[str, Any]:
    evaluated = record.check_result.get("evaluated_keys") or ()
    return {
        "check_id": record.check_id,
        "check_name": record.check_name,
        "address": record.resource,
        "passed": passed,
        "evaluated_keys": [key for key in evaluated if key != "resource_type"],
        "guideline": record.guideline,
    }


def answer(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("op") == "checks":
        return {"checks": check_ids()}
    if request.get("op") == "scan" and isinstance(request.get("plan"), str):
        return scan(request["plan"])
    return {"error": f"not a request this worker answers: {request!r}"}


def main() -> None:
    check_ids()  # loads every registry now, while the client does other work
    print(json.dumps({"ready": True, "version": str(version)}), flush=True)
    for line in sys.stdin:
        try:
            reply = answer(json.loads(line))
        except Exception as error:  # one request failed: say so, keep serving
            reply = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
