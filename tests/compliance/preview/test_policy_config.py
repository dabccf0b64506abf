"""Reading `--policy-pack-config` files as the Pulumi CLI does, against a pack's schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compliance.model.errors import UserError
from compliance.model.findings import Enforcement, Severity
from compliance.model.pack import PackInfo, PolicyInfo
from compliance.preview.analyzer import PolicyPackProcess
from compliance.preview.policy_config import (
    PolicyConfigEntry,
    PolicyConfigError,
    load_policy_config,
)

PACK_DIR = Path(__file__).resolve().parents[3] / "policy_pack"


def policy(name: str, schema: dict[str, Any] | None = None) -> PolicyInfo:
    return PolicyInfo(
        name=name,
        description=f"{name}.",
        enforcement=Enforcement.MANDATORY,
        severity=Severity.HIGH,
        framework="pci-dss",
        framework_version="4.0.1",
        reference="12.5.1",
        remediation_steps="Fix it.",
        config_schema=schema,
        kind="resource",
    )


TAGS_SCHEMA = {
    "type": "object",
    "properties": {
        "requiredTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["Environment"],
        },
        "patterns": {
            "type": "object",
            "additionalProperties": {"type": "string", "format": "regex"},
            "default": {},
        },
    },
    "required": [],
}
PACK = PackInfo(
    name="guard",
    version="1.0.0",
    policies=(policy("required-tags", TAGS_SCHEMA), policy("kms-key-rotation-enabled")),
)


def config_file(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "policy-config.json"
    path.write_text(json.dumps(document))
    return path


def test_no_file_gives_every_policy_its_defaults_and_own_level() -> None:
    assert load_policy_config(None, PACK) == {
        "required-tags": PolicyConfigEntry(None, {"requiredTags": ["Environment"], "patterns": {}}),
        "kms-key-rotation-enabled": PolicyConfigEntry(None, {}),
    }


def test_policy_level_overrides_the_all_level(tmp_path: Path) -> None:
    path = config_file(tmp_path, {"all": "advisory", "kms-key-rotation-enabled": "disabled"})

    config = load_policy_config(path, PACK)

    assert config["required-tags"].enforcement is Enforcement.ADVISORY
    assert config["kms-key-rotation-enabled"].enforcement is Enforcement.DISABLED


def test_object_entry_sets_level_and_properties_over_defaults(tmp_path: Path) -> None:
    path = config_file(
        tmp_path, {"required-tags": {"enforcementLevel": "remediate", "requiredTags": ["Owner"]}}
    )

    entry = load_policy_config(path, PACK)["required-tags"]

    assert entry == PolicyConfigEntry(
        Enforcement.REMEDIATE, {"requiredTags": ["Owner"], "patterns": {}}
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"no-such-policy": "advisory"}, "no-such-policy: no such policy in pack guard"),
        ({"all": "loud"}, "all: enforcement level must be one of"),
        ({"required-tags": {"enforcementLevel": 1}}, "required-tags.enforcementLevel"),
        (
            {"required-tags": {"requiredTags": "Owner"}},
            "required-tags.requiredTags: 'Owner' is not",
        ),
        ({"required-tags": {"requiredTag": ["Owner"]}}, "'requiredTag' was unexpected"),
        ({"required-tags": {"patterns": {"Owner": "("}}}, "required-tags.patterns.Owner"),
        ({"kms-key-rotation-enabled": {"days": 1}}, "takes no properties, got days"),
        ({"required-tags": ["Owner"]}, "must be an enforcement level or an object, got list"),
        (
            {"required-tags": None},
            "required-tags: must be an enforcement level or an object, got null",
        ),
        (["required-tags"], "must be a JSON object"),
    ],
)
def test_config_mistakes_are_user_errors_naming_file_policy_and_rule(
    tmp_path: Path, document: object, message: str
) -> None:
    path = config_file(tmp_path, document)

    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config(path, PACK)

    assert isinstance(raised.value, UserError)
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


def test_unreadable_and_non_json_files_are_user_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"all": ')

    with pytest.raises(PolicyConfigError, match=r"broken\.json: not JSON \(line 1"):
        load_policy_config(broken, PACK)
    with pytest.raises(PolicyConfigError, match=r"missing\.json: cannot read"):
        load_policy_config(tmp_path / "missing.json", PACK)


def test_production_config_is_valid_for_the_real_pack() -> None:
    with PolicyPackProcess(PACK_DIR, project="payments", stack="prod") as pack:
        info = pack.info()

    config = load_policy_config(PACK_DIR / "config.prod.json", info)

    assert set(config) == {p.name for p in info.policies}
    assert config["required-tags"].properties["allowedValues"]["Environment"] == ["production"]
    assert config["cloudwatch-log-retention"].properties == {
        "minimumRetentionDays": 365,
        "maximumRetentionDays": 3653,
        "allowNeverExpire": False,
    }
