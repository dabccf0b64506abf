"""The payment stack's CrossGuard policies, one module per concern."""

from pulumi_policy import Policy

from payment_policies import (
    api,
    encryption,
    identity,
    logs,
    protection,
    recovery,
    region,
    runtime,
    storage,
    tagging,
    throttling,
    tracing,
)

POLICIES: list[Policy] = [
    *encryption.POLICIES,
    *recovery.POLICIES,
    *tracing.POLICIES,
    *tagging.POLICIES,
    *region.POLICIES,
    *throttling.POLICIES,
    *storage.POLICIES,
    *api.POLICIES,
    *logs.POLICIES,
    *runtime.POLICIES,
    *identity.POLICIES,
    *protection.POLICIES,
]
