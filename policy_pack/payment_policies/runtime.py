"""Lambda: runtimes still receive security patches; permissions name whom they admit."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import Config, NotApplicable, Resource, pci, resource_policy
from payment_policies.kinds import FUNCTIONS, PERMISSIONS
from payment_policies.props import is_set, read

# AWS Lambda runtime deprecation dates (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
DEPRECATION_DATES = {
    "dotnet5.0": "2022-05-10",
    "dotnet6": "2024-12-20",
    "dotnet7": "2024-05-14",
    "dotnet8": "2026-11-10",
    "dotnetcore2.1": "2022-01-05",
    "dotnetcore3.1": "2023-04-03",
    "go1.x": "2024-01-08",
    "java8": "2024-01-08",
    "java21": "2029-06-30",
    "nodejs10.x": "2021-07-30",
    "nodejs12.x": "2023-03-31",
    "nodejs14.x": "2023-12-04",
    "nodejs16.x": "2024-06-12",
    "nodejs18.x": "2025-09-01",
    "nodejs20.x": "2026-04-30",
    "nodejs22.x": "2027-04-30",
    "provided": "2024-01-08",
    "provided.al2023": "2029-06-30",
    "python2.7": "2021-07-15",
    "python3.6": "2022-07-18",
    "python3.7": "2023-12-04",
    "python3.8": "2024-10-14",
    "python3.9": "2025-12-15",
    "python3.10": "2026-06-30",
    "python3.11": "2027-06-30",
    "python3.12": "2028-10-31",
    "python3.13": "2029-06-30",
    "ruby2.5": "2021-07-30",
    "ruby2.7": "2023-12-07",
    "ruby3.2": "2026-03-31",
    "ruby3.3": "2027-03-31",
}


def _runtime_supported(function: Resource, config: Config) -> Iterator[str]:
    runtime = read(function.props, "runtime")
    if read(function.props, "packageType") == "Image" and not is_set(runtime):
        raise NotApplicable("container image functions bring their own runtime")
    if not is_set(runtime):
        yield "function names no runtime"
        return
    dates = config["deprecationDates"]
    deprecated_on = dates.get(runtime) if isinstance(runtime, str) else None
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    if deprecated_on is None:
        yield (
            f"runtime {runtime!r} is not in the supported runtimes (deprecationDates: "
            f"{', '.join(sorted(dates))})"
        )
    elif deprecated_on <= today:
        yield f"runtime {runtime!r} has been deprecated since {deprecated_on}"


lambda_runtime_supported = resource_policy(
    name="lambda-runtime-supported",
    description="Lambda functions run on a runtime that has not reached its deprecation date.",
    severity=Severity.HIGH,
    framework=pci("6.3.3"),
    remediation_steps="Move the function to a supported runtime (python3.12 or later).",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=FUNCTIONS,
    check=_runtime_supported,
    config={
        "deprecationDates": {
            "type": "object",
            "additionalProperties": {"type": "string", "format": "date"},
            "default": DEPRECATION_DATES,
            "description": "Runtime identifier to the date AWS deprecates it (YYYY-MM-DD).",
        }
    },
)


def _source_bound(permission: Resource, _: Config) -> Iterator[str]:
    principal = read(permission.props, "principal")
    if not isinstance(principal, str) or not (
        principal == "*" or principal.endswith(".amazonaws.com")
    ):
        return
    if not any(is_set(permission.props.get(key)) for key in ("sourceArn", "sourceAccount")):
        yield (
            f"permission lets {principal} invoke the function on behalf of anyone "
            "(no sourceArn or sourceAccount)"
        )


lambda_permission_source_bound = resource_policy(
    name="lambda-permission-source-bound",
    description="Lambda permissions for a service or everyone name the source they admit.",
    severity=Severity.HIGH,
    framework=pci("7.2.1"),
    remediation_steps=(
        "Set source_arn (e.g. the API's execution ARN) or source_account on the "
        "aws.lambda_.Permission."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=PERMISSIONS,
    check=_source_bound,
)
