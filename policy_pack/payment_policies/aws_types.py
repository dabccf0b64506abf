"""What pulumi-aws itself says about its resource types: which are taggable, which tokens alias.

Read from the installed pulumi-aws sources (never imported: importing every module takes seconds),
once per process, when the pack starts. A resource class whose `...Args.__init__` takes `tags` (a
map, however the generator spells its `Optional`/`Input` wrapping) is taggable, and provider
`default_tags` apply to exactly those. A class whose options carry `pulumi.Alias(type_=...)` is the
same resource as that older token, which is how the v6 `aws:s3/bucketV2:BucketV2` and the v7
`aws:s3/bucket:Bucket` are matched alike.

A reading that looks wrong (kinds every pulumi-aws v7 tags missing, far fewer taggable types than
it has) stops the pack with one error, instead of letting `required-tags` pass what it never saw.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

_TYPE_TOKEN = re.compile(r'^@pulumi\.type_token\("(aws:[^"]+)"\)', re.MULTILINE)
# `tags: Optional[pulumi.Input[Mapping[...]]]` (7.29) and
# `tags: pulumi.Input[Optional[Mapping[...]]]` (7.51) alike: a `tags` annotated as a map.
_TAGS_INPUT = re.compile(r"^[ \t]+tags: [^\n=]*\bMapping\[", re.MULTILINE)
_ALIAS = re.compile(r'pulumi\.Alias\(type_="(aws:[^"]+)"\)')


@dataclass(frozen=True)
class AwsTypes:
    taggable: frozenset[str]
    canonical: dict[str, str]
    """Each aliased (older) token mapped to the current token that replaced it."""

    def same(self, token: str) -> str:
        return self.canonical.get(token, token)

    def is_taggable(self, token: str) -> bool:
        return self.same(token) in self.taggable


MINIMUM_TAGGABLE = 500
"""pulumi-aws 7.29 has 818 taggable resource types and 7.51 more: far fewer is a misreading."""
KNOWN_TAGGABLE = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:dynamodb/table:Table",
        "aws:lambda/function:Function",
        "aws:kms/key:Key",
        "aws:iam/role:Role",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:sns/topic:Topic",
        "aws:backup/vault:Vault",
        "aws:apigateway/restApi:RestApi",
        "aws:wafv2/webAcl:WebAcl",
    }
)
"""Kinds every pulumi-aws v7 release tags."""


@functools.cache
def aws_types() -> AwsTypes:
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or spec.origin is None:
        raise RuntimeError("pulumi-aws is not installed next to the policy pack (requirements.txt)")
    found = scan(Path(spec.origin).parent)
    check_plausible(found, version("pulumi-aws"))
    return found


def check_plausible(found: AwsTypes, aws_version: str) -> None:
    """Refuse a reading of pulumi-aws that would make `required-tags` inspect too little."""
    missing = sorted(KNOWN_TAGGABLE - found.taggable)
    if missing or len(found.taggable) < MINIMUM_TAGGABLE:
        raise RuntimeError(
            f"pulumi-aws {aws_version}: its sources read as {len(found.taggable)} taggable "
            f"resource types (at least {MINIMUM_TAGGABLE} expected), missing {missing or 'none'} "
            "of the kinds it always tags; the pack stops rather than pass resources it cannot "
            "judge (payment_policies/aws_types.py)"
        )


def scan(package_dir: Path) -> AwsTypes:
    taggable: set[str] = set()
    canonical: dict[str, str] = {}
    for source in package_dir.glob("*/*.py"):
        if source.name.startswith(("_", "get_")):
            continue
        text = source.read_text(encoding="utf-8")
        token = _TYPE_TOKEN.search(text)
        if token is None:
            continue
        current = token.group(1)
        # The Args class, and so its __init__, precedes the resource class and its decorator.
        if _TAGS_INPUT.search(text, 0, token.start()):
            taggable.add(current)
        for older in _ALIAS.findall(text):
            if older != current:
                canonical[older] = current
    return AwsTypes(frozenset(taggable), canonical)
