"""The coverage catalogue names exactly what the engines run, files each policy under a
requirement of its concern, is rendered verbatim in the README, and a broken entry is one error
naming the file and the field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from compliance.audit.coverage_command import render_markdown
from compliance.checkov.accepted_risks import accepted_checks
from compliance.checkov.controls import CHECKS_BY_CONTROL, controls_for
from compliance.model.controls import PAYMENTS, PCI_DSS, lookup
from compliance.model.coverage import (
    CATALOGUE_FILE,
    CatalogueError,
    Concern,
    Engine,
    load_catalogue,
)
from compliance.model.pack import PackInfo
from compliance.preview.analyzer import PolicyPackProcess
from tests.policy_pack.pack_harness import PACK_DIR

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
ACCEPTED_RISKS = ROOT / "config" / "accepted-risks.yaml"
BLOCK = re.compile(r"<!-- coverage:start -->\n(.*?)<!-- coverage:end -->", re.S)


@pytest.fixture(scope="module")
def pack() -> PackInfo:
    with PolicyPackProcess(PACK_DIR, project="payments", stack="prod") as process:
        return process.info()


@pytest.fixture(scope="module")
def catalogue() -> tuple[Concern, ...]:
    return load_catalogue()


def named(catalogue: tuple[Concern, ...], engine: Engine) -> set[str]:
    return {name for concern in catalogue for name in concern.owned_by(engine)}


def test_every_policy_the_pack_serves_is_in_the_catalogue_and_nothing_else(
    pack: PackInfo, catalogue: tuple[Concern, ...]
) -> None:
    served = {policy.name for policy in pack.policies}
    assert served - named(catalogue, Engine.POLICY) == set(), "policies no concern names"
    assert named(catalogue, Engine.POLICY) - served == set(), "concerns name unknown policies"


def test_every_mapped_checkov_check_is_in_the_catalogue_and_nothing_else(
    catalogue: tuple[Concern, ...],
) -> None:
    mapped = {check for checks in CHECKS_BY_CONTROL.values() for check in checks}
    assert mapped - named(catalogue, Engine.CHECKOV) == set(), "mapped checks no concern names"
    assert named(catalogue, Engine.CHECKOV) - mapped == set(), "concerns name unmapped checks"
    assert accepted_checks(ACCEPTED_RISKS) <= mapped


def test_each_owner_files_under_a_requirement_of_its_concern(
    pack: PackInfo, catalogue: tuple[Concern, ...]
) -> None:
    policies = {policy.name: policy for policy in pack.policies}
    wrong = []
    for concern in catalogue:
        for name in concern.owned_by(Engine.POLICY):
            policy = policies.get(name)
            if (
                policy is not None
                and policy.framework == PCI_DSS
                and policy.reference not in concern.requirements
            ):
                wrong.append(f"{concern.id}: {name} files under {policy.reference}")
        for check in concern.owned_by(Engine.CHECKOV):
            controls = [lookup(control) for control in controls_for(check)]
            if not any(
                control.framework == PAYMENTS or control.reference in concern.requirements
                for control in controls
            ):
                wrong.append(f"{concern.id}: {check} files under {[c.id for c in controls]}")
    assert wrong == []


def test_a_concern_nothing_judges_says_why(catalogue: tuple[Concern, ...]) -> None:
    for concern in catalogue:
        assert bool(concern.owners) != bool(concern.not_adopted), concern.id


def test_the_readme_shows_the_catalogue_as_the_command_prints_it(
    catalogue: tuple[Concern, ...],
) -> None:
    block = BLOCK.search(README.read_text())
    assert block is not None
    assert block.group(1) == render_markdown(catalogue, accepted_checks(ACCEPTED_RISKS))


def test_the_table_marks_accepted_risks_and_reasons(catalogue: tuple[Concern, ...]) -> None:
    table = render_markdown(catalogue, {"CKV_AWS_144"}).splitlines()
    replication = next(line for line in table if line.startswith("| `s3-replication` |"))
    assert "`CKV_AWS_144` (accepted risk)" in replication
    organizations = next(line for line in table if line.startswith("| `organizations` |"))
    assert "not adopted: An account-level fact" in organizations


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "coverage.yaml"
    path.write_text(json.dumps(document))
    return path


GOOD = {
    "id": "x",
    "concern": "A thing.",
    "requirements": ["3.5.1"],
    "covered-by": [{"policy": "p"}],
}


@pytest.mark.parametrize(
    ("concern", "where", "rule"),
    [
        ({**GOOD, "requirements": ["3.5"]}, "$.concerns.0.requirements.0", "pattern"),
        ({k: v for k, v in GOOD.items() if k != "concern"}, "$.concerns.0", "required"),
        ({**GOOD, "not-adopted": "Because."}, "$.concerns.0", "oneOf"),
        (
            {**GOOD, "covered-by": [{"checkov": "CKV_X"}]},
            "$.concerns.0.covered-by.0.checkov",
            "pattern",
        ),
        (
            {**GOOD, "covered-by": [{"policy": "p", "checkov": "CKV_AWS_1"}]},
            "$.concerns.0.covered-by.0",
            "maxProperties",
        ),
        (
            {**GOOD, "references": {"nessus": ["a"]}},
            "$.concerns.0.references",
            "additionalProperties",
        ),
        ({**GOOD, "owner": "me"}, "$.concerns.0", "additionalProperties"),
    ],
)
def test_a_broken_entry_is_one_error_naming_the_file_and_the_field(
    tmp_path: Path, concern: dict[str, object], where: str, rule: str
) -> None:
    path = write(tmp_path, {"concerns": [concern]})
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path)
    assert str(error.value).startswith(f"{path}: {where}: ")
    assert str(error.value).endswith(f"(rule: {rule})")


def test_an_id_used_twice_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, {"concerns": [GOOD, dict(GOOD)]})
    with pytest.raises(CatalogueError, match=r"\$\.concerns\.1\.id: 'x' is used twice"):
        load_catalogue(path)


def test_the_shipped_catalogue_is_the_default(catalogue: tuple[Concern, ...]) -> None:
    assert CATALOGUE_FILE.name == "coverage.yaml"
    assert len(catalogue) == len(yaml.safe_load(CATALOGUE_FILE.read_text())["concerns"])
