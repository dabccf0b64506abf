"""The payment stack's CrossGuard policies, one module per concern.

Each policy registers itself where it is declared (`declare.register`); importing the concern
modules declares them all, and `POLICIES` is what the pack serves. pulumi-aws's types are read (and
checked) here, when the pack starts, not at the first resource.
"""

from pulumi_policy import Policy

from payment_policies import (  # noqa: F401 - imported to declare their policies
    api,
    audit_trail,
    encryption,
    http_api,
    identity,
    inventory,
    logs,
    protection,
    public,
    recovery,
    region,
    runtime,
    storage,
    tagging,
    throttling,
    tracing,
    waf,
)
from payment_policies.aws_types import aws_types
from payment_policies.declare import registered

aws_types()

POLICIES: list[Policy] = registered()
