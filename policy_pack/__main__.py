"""The payment stack's policy pack: `pulumi preview --policy-pack policy_pack`.

The CLI runs this file through `python -u -m pulumi.policy <engine> .` from this directory, which
puts the directory on sys.path, so the policies are imported as the `payment_policies` package
(never from the project's own packages: the pack runs in its own virtualenv).
"""

from payment_policies import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="payment-stack-guard",
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Guard-rails for the payment service's production AWS stack (PCI DSS v4.0.1).",
)
