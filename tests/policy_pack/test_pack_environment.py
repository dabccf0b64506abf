"""The pack runs where the Pulumi CLI runs it: in its own virtualenv, `policy_pack/.venv`, built
from its pinned `requirements.txt`, never on the project's interpreter; and there `required-tags`
inspects every taggable kind pulumi-aws has."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from compliance.preview.analyzer import PolicyPackProcess
from compliance.preview.pack_environment import PACK_PYTHON_VARIABLE
from tests.policy_pack.pack_harness import (
    PACK_DIR,
    compliant_stack,
    pinned_judging_versions,
    resource_verdict,
    with_inputs,
)

TAGGABLE_FLOOR = 500
"""pulumi-aws 7.29 has 818 taggable types, 7.51 has 863; far fewer means the reading is wrong."""
NEWEST = bool(os.environ.get(PACK_PYTHON_VARIABLE))


def in_pack(pack: PolicyPackProcess, code: str, *args: str) -> str:
    completed = subprocess.run(
        [pack.python, "-c", code, *args], cwd=PACK_DIR, capture_output=True, text=True, check=True
    )
    return completed.stdout


@pytest.mark.skipif(NEWEST, reason="the newest-versions session runs the pack on its own venv")
def test_the_pack_runs_in_its_own_virtualenv_on_the_pinned_versions(
    pack: PolicyPackProcess,
) -> None:
    assert Path(pack.python).parent.parent == PACK_DIR / ".venv"
    assert dict(pack.info().environment) == pinned_judging_versions()


def test_the_pack_names_the_versions_it_judges_with(pack: PolicyPackProcess) -> None:
    environment = dict(pack.info().environment)
    assert set(environment) == {"pulumi", "pulumi-aws", "pulumi-policy"}
    names = ("pulumi", "pulumi-aws", "pulumi-policy")
    code = (
        "import importlib.metadata as m, json, sys\n"
        "print(json.dumps({d: m.version(d) for d in sys.argv[1:]}))"
    )
    reported = json.loads(in_pack(pack, code, *names))
    assert environment == reported


def test_pulumi_aws_reads_as_enough_taggable_kinds(pack: PolicyPackProcess) -> None:
    count = int(
        in_pack(
            pack,
            "from payment_policies.aws_types import aws_types; print(len(aws_types().taggable))",
        )
    )
    print(f"taggable resource types in the pack's pulumi-aws: {count}")
    assert count >= TAGGABLE_FLOOR


@pytest.mark.parametrize(
    "name",
    sorted(name for name, r in compliant_stack().items() if "tags" in r.inputs),
)
def test_required_tags_inspects_every_taggable_kind_of_the_stack(
    pack: PolicyPackProcess, name: str
) -> None:
    untagged = with_inputs(compliant_stack()[name], tags=...)

    verdict, messages = resource_verdict(pack, "required-tags", untagged)

    assert verdict == "fail", f"{untagged.type} passed required-tags without tags"
    assert "missing or empty required tags" in messages[0]


def test_a_reading_of_pulumi_aws_that_finds_too_little_stops_the_pack(
    pack: PolicyPackProcess,
) -> None:
    code = (
        "from payment_policies.aws_types import AwsTypes, check_plausible\n"
        "try:\n"
        "    check_plausible(AwsTypes(frozenset({'aws:s3/bucket:Bucket'}), {}), '9.9.9')\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
    )
    message = in_pack(pack, code)
    assert message.startswith("pulumi-aws 9.9.9: its sources read as 1 taggable resource types")
    assert "aws:dynamodb/table:Table" in message


CROSS_CHECK = """
import importlib, inspect, json, pkgutil, sys
from payment_policies.aws_types import aws_types
types = aws_types()
disagreements, checked = [], 0
for package_name in sys.argv[1:]:
    package = importlib.import_module(f"pulumi_aws.{package_name}")
    for found in pkgutil.iter_modules(package.__path__):
        if found.name.startswith(("_", "get_")):
            continue
        module = importlib.import_module(f"{package.__name__}.{found.name}")
        for name, value in list(vars(module).items()):
            args = vars(module).get(f"{name}Args")
            token = getattr(value, "pulumi_type", None)
            if not (inspect.isclass(value) and inspect.isclass(args) and isinstance(token, str)):
                continue
            checked += 1
            takes_tags = "tags" in inspect.signature(args.__init__).parameters
            if takes_tags != types.is_taggable(token):
                disagreements.append([token, takes_tags])
print(json.dumps({"checked": checked, "disagreements": disagreements}))
"""
STACK_MODULES = ("apigateway", "backup", "cloudwatch", "dynamodb", "iam", "kms", "lambda_", "s3")


def test_the_source_reading_agrees_with_the_sdk_classes_themselves(
    pack: PolicyPackProcess,
) -> None:
    """Imported (slow, so only here): each class's `...Args` takes `tags` exactly when the reading
    of its source says the type is taggable."""
    found = json.loads(in_pack(pack, CROSS_CHECK, *STACK_MODULES))
    assert found["disagreements"] == []
    assert found["checked"] >= 150  # 195 resource classes in these modules under pulumi-aws 7.51
