"""IAM: least privilege on data, read from the policy documents a resource carries, and no
broad AWS-managed policies."""

from __future__ import annotations

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


def _data_actions(statement: dict[str, Any], services: list[str]) -> list[str]:
    return [
        action
        for action in as_list(statement.get("Action"))
        if isinstance(action, str)
        and (action == "*" or action.split(":", 1)[0].lower() in services)
    ]


def _no_wildcard_data_access(resource: Resource, config: Config) -> Iterator[str]:
    services = [service.lower() for service in config["dataServices"]]
    for where, document in documents(resource):
        for statement in statements(document, where):
            if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource")):
                continue
            if actions := _data_actions(statement, services):
                yield f'{where} allows data actions {actions} on Resource "*"'


iam_no_wildcard_data_actions = resource_policy(
    name="iam-no-wildcard-data-actions",
    description='IAM policies grant data actions only on named resources, never on Resource "*".',
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
