"""Physical names of every AWS resource, built in one place.

Each name joins the inventory name (or a fixed role name) with the environment suffix. Names
that AWS bounds more tightly than their inputs are shortened with a stable hash, so two long
names never collide after truncation.
"""

import hashlib
from dataclasses import dataclass

ACCOUNT_ID_LENGTH = 12
BACKUP_SELECTION_MAX = 50
IAM_ROLE_MAX = 64


def bounded(name: str, limit: int) -> str:
    """`name` itself when it fits in `limit` characters, else a prefix plus an 8-hex hash."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-_.')}-{digest}"


@dataclass(frozen=True)
class Names:
    """Physical names for one stack (environment suffix)."""

    suffix: str

    def bucket(self, prefix: str, name: str) -> str:
        return f"{prefix}-{name}-{self.suffix}"

    def table(self, name: str) -> str:
        return f"{name}-{self.suffix}"

    def function(self, name: str) -> str:
        return f"{name}-{self.suffix}"

    def function_log_group(self, name: str) -> str:
        return f"/aws/lambda/{self.function(name)}"

    def code_key(self, function: str, sha256_hex: str) -> str:
        return f"{function}/{sha256_hex}.zip"

    def backup_selection(self, table: str) -> str:
        return bounded(self.table(table), BACKUP_SELECTION_MAX)

    def alarm(self, kind: str, subject: str) -> str:
        return f"payments-{self.suffix}-{kind}-{subject}"

    def stack_scoped(self, role: str) -> str:
        """Name of a single per-stack resource: key alias, vault, plan, roles, API, WAF, topic."""
        return bounded(f"payments-{role}-{self.suffix}", IAM_ROLE_MAX)

    def function_role(self, name: str) -> str:
        """The execution role of one function (`fn-` keeps it apart from the stack's roles)."""
        return self.stack_scoped(f"fn-{name}")

    @property
    def identifier_key_parameter(self) -> str:
        """The SSM SecureString holding the payment functions' identifier key, made by hand."""
        return f"/payments/{self.suffix}/identifier-key"

    @property
    def audit_trail(self) -> str:
        return self.stack_scoped("audit-trail")

    @property
    def key_alias(self) -> str:
        return f"alias/payments-{self.suffix}"

    @property
    def api_access_log_group(self) -> str:
        return f"/aws/apigateway/{self.stack_scoped('api')}/access"

    @property
    def waf_log_group(self) -> str:
        # WAF only delivers logs to log groups whose name starts with this prefix.
        return f"aws-waf-logs-{self.stack_scoped('waf')}"
