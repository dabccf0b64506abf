"""The one error the stack program raises for a user's mistake in its configuration."""

import pulumi

from compliance.errors import UserError


class ConfigError(UserError, pulumi.RunError):
    """Bad stack config or dev inventory: the message names the file, the JSON path and the rule.

    A `pulumi.RunError`, so the Pulumi CLI reports the message alone, without a traceback.
    """

    def __init__(self, source: str, path: str, rule: str) -> None:
        super().__init__(f"{source}: {path}: {rule}")
        self.source = source
        self.path = path
        self.rule = rule
