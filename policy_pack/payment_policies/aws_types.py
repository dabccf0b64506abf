"""What pulumi-aws itself says about its resource types: which are taggable, which tokens alias.

Read from the installed pulumi-aws sources (never imported: importing every module takes seconds),
once per process on first use. A resource class whose `...Args.__init__` takes `tags` is taggable,
and provider `default_tags` apply to exactly those. A class whose options carry
`pulumi.Alias(type_=...)` is the same resource as that older token, which is how the v6
`aws:s3/bucketV2:BucketV2` and the v7 `aws:s3/bucket:Bucket` are matched alike.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

_TYPE_TOKEN = re.compile(r'^@pulumi\.type_token\("(aws:[^"]+)"\)', re.MULTILINE)
_TAGS_INPUT = re.compile(r"^\s+tags: Optional\[pulumi\.Input\[Mapping\[", re.MULTILINE)
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


@functools.cache
def aws_types() -> AwsTypes:
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or spec.origin is None:
        raise RuntimeError("pulumi-aws is not installed next to the policy pack (requirements.txt)")
    return scan(Path(spec.origin).parent)


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
