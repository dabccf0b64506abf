"""pulumi-aws type tokens, `aws:<module>/<member>:<Name>`, and the v6 forms v7 renamed.

v6 tokens of the S3 configuration resources carry a `V2` suffix that v7 dropped:
`aws:s3/bucketV2:BucketV2` is v7's `aws:s3/bucket:Bucket`.
"""

from __future__ import annotations

import re

AWS_PACKAGE = "aws"

_V6_SUFFIX = re.compile(r"V2$")


def is_aws(token: str) -> bool:
    return token.startswith(f"{AWS_PACKAGE}:")


def v7_token(token: str) -> str:
    """The v7 token of a resource: `aws:s3/bucketVersioningV2:BucketVersioningV2` ->
    `aws:s3/bucketVersioning:BucketVersioning`; v7 tokens are returned unchanged."""
    package, module_member, name = token.split(":")
    module, _, member = module_member.partition("/")
    if not name.endswith("V2") or module != "s3":
        return token
    return f"{package}:{module}/{_V6_SUFFIX.sub('', member)}:{_V6_SUFFIX.sub('', name)}"
