"""One place declares a policy: it registers itself where it is declared, a second policy of the
same name stops the pack, every policy object the modules hold is one the pack serves, and the
README's policy table says what `GetAnalyzerInfo` says."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from compliance.model.pack import PackInfo
from compliance.preview.analyzer import PolicyPackProcess
from tests.policy_pack.pack_harness import PACK_DIR

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(
    r"^\| `([a-z0-9-]+)` \| (resource|stack) \| `([^`]+)` \| (\w+) \| (\w+) \| (.*) \|$"
)

POLICY_OBJECTS = """
import importlib, json, pkgutil
import payment_policies
from pulumi_policy import Policy
found = set()
for module in pkgutil.iter_modules(payment_policies.__path__):
    loaded = importlib.import_module(f"payment_policies.{module.name}")
    found |= {value.name for value in vars(loaded).values() if isinstance(value, Policy)}
print(json.dumps(sorted(found)))
"""

DECLARED_TWICE = """
import payment_policies
from payment_policies.declare import registered, resource_policy
from payment_policies.kinds import TABLES
first = registered()[0]
try:
    resource_policy(
        name=first.name, description="again", severity=first.severity,
        framework=first.framework, remediation_steps="", enforcement=first.enforcement_level,
        applies_to=TABLES, check=lambda resource, config: [],
    )
except ValueError as error:
    print(error)
"""


def in_pack(pack: PolicyPackProcess, code: str) -> str:
    return subprocess.run(
        [pack.python, "-c", code], cwd=PACK_DIR, capture_output=True, text=True, check=True
    ).stdout


def test_every_policy_object_of_the_modules_is_served(pack: PolicyPackProcess) -> None:
    declared = set(json.loads(in_pack(pack, POLICY_OBJECTS)))
    served = {policy.name for policy in pack.info().policies}
    assert declared == served
    assert len(served) == len(pack.info().policies)


def test_a_second_policy_of_the_same_name_is_refused(pack: PolicyPackProcess) -> None:
    first = pack.info().policies[0].name
    assert in_pack(pack, DECLARED_TWICE).strip() == f"policy {first!r} is declared twice"


def readme_rows() -> dict[str, tuple[str, ...]]:
    rows = {}
    for line in README.read_text().splitlines():
        if match := ROW.match(line):
            rows[match.group(1)] = match.groups()[1:]
    return rows


def test_the_readme_policy_table_matches_what_the_pack_serves(pack: PolicyPackProcess) -> None:
    info: PackInfo = pack.info()
    rows = readme_rows()
    assert set(rows) == {policy.name for policy in info.policies}
    for policy in info.policies:
        kind, control, severity, enforcement, config = rows[policy.name]
        assert (kind, control, severity, enforcement) == (
            policy.kind,
            policy.control_id,
            policy.severity.value if policy.severity else "",
            policy.enforcement.value,
        ), policy.name
        properties = sorted((policy.config_schema or {}).get("properties", {}))
        documented = sorted(re.findall(r"`([A-Za-z]+)` \(", config))
        assert documented == properties, policy.name
