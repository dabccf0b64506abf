"""IAM: least privilege, read from the policy documents a resource carries: no wildcard actions,
no data on wildcard resources, no decryption with every key, named resources, and no broad
AWS-managed policies."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import Config, Resource, pci, resource_policy
from payment_policies.kinds import IAM_DOCUMENTS, POLICY_ATTACHMENTS, ROLES, any_of
from payment_policies.props import (
    block,
    blocks,
    is_unknown,
    json_object,
    known,
    known_within,
    read,
)


def documents(resource: Resource) -> list[tuple[str, Any]]:
    """(where, document) for each policy document the resource carries, as given."""
    if resource.type not in ROLES:
        return [("policy", resource.props.get("policy"))]
    inline = resource.props.get("inlinePolicies")
    if is_unknown(inline):
        return [("inlinePolicies", inline)]
    return [
        (f"inlinePolicies[{index}]", block(item).get("policy") if isinstance(item, dict) else item)
        for index, item in enumerate(as_list(inline) if inline is not None else [])
    ]


def statements(document: Any, where: str) -> list[dict[str, Any]]:
    """The statements of a document; a document unknown during preview cannot be judged."""
    decoded = json_object(known(document, where))
    if decoded is None:
        return []
    if not isinstance(decoded, dict):
        # A document nobody can read grants or denies who knows what: a violation, never a pass.
        raise TypeError(f"{where} is not a JSON policy document (seen: {str(decoded)[:80]!r})")
    return blocks(decoded.get("Statement"))


def some_statement_holds(
    found: Sequence[tuple[Resource, str, Any]], holds: Callable[[dict[str, Any]], bool]
) -> bool:
    """Whether a statement of the documents `found` (carrier, where on it, document) `holds`.

    Known documents are judged first, so one that holds decides even beside unknown ones; when
    none holds, a value unknown during preview anywhere in a document raises, as it might.
    """
    if any(
        holds(statement)
        for carrier, where, document in found
        if not is_unknown(document)
        for statement in statements(document, f"{carrier.name}.{where}")
    ):
        return True
    for carrier, where, document in found:
        known_within(document, f"{carrier.name}.{where}")
    return False


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions(statement: dict[str, Any]) -> list[str]:
    """The statement's `Action` entries, as a list of names or patterns."""
    return [action for action in as_list(statement.get("Action")) if isinstance(action, str)]


def allows_action(statement: dict[str, Any], action: str) -> bool:
    """Whether one of the statement's action patterns (`kms:*`, `kms:Decrypt*`) names `action`;
    IAM matches action names without regard to case."""
    return any(
        fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions(statement)
    )


def _data_actions(statement: dict[str, Any], services: list[str]) -> list[str]:
    return [
        action
        for action in actions(statement)
        if action == "*" or action.split(":", 1)[0].lower() in services
    ]


_SERVICE_WILDCARD = re.compile(r"\*|\*:\*|[\w-]+:\*")
_TYPE_WILDCARD = re.compile(r"[A-Za-z-]+[/:]\*")


def is_wildcard_resource(resource: Any) -> bool:
    """`*`, or an ARN naming every resource of a kind: any region or account (`arn:aws:logs:*:*:*`),
    every bucket (`arn:aws:s3:::*`), every resource of a type (`...:table/*`)."""
    if not isinstance(resource, str):
        return False
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    _, _, service, region, account, name = parts
    if "*" in region or "*" in account:
        return True
    if service == "s3":
        return name.startswith("*")
    return name == "*" or bool(_TYPE_WILDCARD.fullmatch(name))


def _allows(resource: Resource) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, document in documents(resource):
        for statement in statements(document, where):
            if statement.get("Effect") == "Allow":
                yield where, statement


def _wildcards(statement: dict[str, Any]) -> list[str]:
    return [r for r in as_list(statement.get("Resource")) if is_wildcard_resource(r)]


def _no_wildcard_data_access(resource: Resource, config: Config) -> Iterator[str]:
    services = [service.lower() for service in config["dataServices"]]
    for where, statement in _allows(resource):
        if (wildcards := _wildcards(statement)) and (actions := _data_actions(statement, services)):
            yield f"{where} allows data actions {actions} on {wildcards}"


iam_no_wildcard_data_actions = resource_policy(
    name="iam-no-wildcard-data-actions",
    description=(
        'IAM policies grant data actions only on named resources, never on Resource "*" or a '
        "wildcard ARN."
    ),
    severity=Severity.MEDIUM,
    framework=pci("7.2.2"),
    remediation_steps=(
        "Scope each Allow statement with data actions to the stack's ARNs (table.arn, "
        "bucket.arn + '/*', key.arn) built with aws.iam.get_policy_document."
    ),
    enforcement=EnforcementLevel.ADVISORY,
    applies_to=IAM_DOCUMENTS,
    check=_no_wildcard_data_access,
    config={
        "dataServices": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "default": ["dynamodb", "kms", "s3", "secretsmanager", "sns", "sqs", "ssm"],
            "description": "Services whose actions read or write data.",
        }
    },
)


# AWS-managed policies that grant a whole service or everything.
_BROAD_MANAGED_POLICY = re.compile(
    r"arn:aws[a-z-]*:iam::aws:policy/(?:[\w+=,.@-]+/)*"
    r"(?P<name>AdministratorAccess|PowerUserAccess|[\w+=,.@-]*FullAccess)"
)


def _broad_managed_policies(resource: Resource, _: Config) -> Iterator[str]:
    arns = [read(resource.props, "policyArn")] if "policyArn" in resource.props else []
    arns += as_list(read(resource.props, "managedPolicyArns") or [])
    for arn in arns:
        known(arn, "policyArn")
        if isinstance(arn, str) and (match := _BROAD_MANAGED_POLICY.fullmatch(arn)):
            yield (
                f"attaches the AWS-managed policy {match['name']}, which grants far more than "
                f"the code calls ({arn})"
            )


iam_no_broad_managed_policies = resource_policy(
    name="iam-no-broad-managed-policies",
    description="No role is given AdministratorAccess, PowerUserAccess or a *FullAccess policy.",
    severity=Severity.HIGH,
    framework=pci("7.2.2"),
    remediation_steps=(
        "Replace the managed policy with an inline or customer-managed policy granting the "
        "actions the code calls on the stack's resources."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=any_of("an IAM role or policy attachment", ROLES, POLICY_ATTACHMENTS),
    check=_broad_managed_policies,
)


def _no_wildcard_actions(resource: Resource, _: Config) -> Iterator[str]:
    for where, statement in _allows(resource):
        if "NotAction" in statement:
            yield (
                f"{where} allows every action except {statement['NotAction']!r} (NotAction in "
                "an Allow statement)"
            )
        wildcards = [action for action in actions(statement) if _SERVICE_WILDCARD.fullmatch(action)]
        if wildcards:
            yield f"{where} allows whole services or every action: {wildcards}"


iam_no_wildcard_actions = resource_policy(
    name="iam-no-wildcard-actions",
    description='IAM policies allow no "*" action, no whole service ("s3:*") and no NotAction.',
    severity=Severity.HIGH,
    framework=pci("7.2.2"),
    remediation_steps=(
        "List the actions the code calls (s3:PutObject, dynamodb:GetItem) instead of '*' or "
        "'<service>:*', and use Action, not NotAction, in Allow statements."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=IAM_DOCUMENTS,
    check=_no_wildcard_actions,
)

BLOCKED_KMS_ACTIONS = ("kms:Decrypt", "kms:ReEncryptFrom")


def _no_decrypt_on_all_keys(resource: Resource, _: Config) -> Iterator[str]:
    for where, statement in _allows(resource):
        keys = [
            r
            for r in _wildcards(statement)
            if r == "*" or (isinstance(r, str) and r.startswith("arn:aws:kms:"))
        ]
        if not keys:
            continue
        allowed = [blocked for blocked in BLOCKED_KMS_ACTIONS if allows_action(statement, blocked)]
        if allowed:
            yield f"{where} allows {allowed} on every key ({keys})"


iam_no_decrypt_on_all_keys = resource_policy(
    name="iam-no-kms-decrypt-on-all-keys",
    description="IAM policies allow kms:Decrypt and kms:ReEncryptFrom only on named keys.",
    severity=Severity.HIGH,
    framework=pci("3.6.1"),
    remediation_steps=(
        "Name the key's ARN (key.arn) as the Resource of statements allowing kms:Decrypt or "
        "kms:ReEncryptFrom, never '*' or arn:aws:kms:*:*:key/*."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=IAM_DOCUMENTS,
    check=_no_decrypt_on_all_keys,
)


def _resources_named(resource: Resource, config: Config) -> Iterator[str]:
    unscoped = {action.lower() for action in config["unscopedActions"]}
    for where, statement in _allows(resource):
        if not (wildcards := _wildcards(statement)):
            continue
        granted = [action for action in actions(statement) if action.lower() not in unscoped]
        if granted:
            yield f"{where} allows {granted} on {wildcards}, not on named resources"


iam_resources_named = resource_policy(
    name="iam-resources-named",
    description=(
        'IAM policies name the resources they grant: "*" or a wildcard ARN only for actions AWS '
        "cannot scope to a resource."
    ),
    severity=Severity.LOW,
    framework=pci("7.2.2"),
    remediation_steps=(
        "Replace '*' and wildcard ARNs with the ARNs of the stack's resources; list an action "
        "AWS offers no resource for in this policy's unscopedActions."
    ),
    enforcement=EnforcementLevel.ADVISORY,
    applies_to=IAM_DOCUMENTS,
    check=_resources_named,
    config={
        "unscopedActions": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "default": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "cloudwatch:PutMetricData",
            ],
            "description": "Actions with no resource-level permissions, allowed on '*'.",
        }
    },
)
