"""The errors the stack program raises for a user's mistake: each a `pulumi.RunError`, so the
Pulumi CLI (and the offline preview, which follows it) reports the message alone, without a
traceback."""

import pulumi


class StackError(pulumi.RunError):
    """A mistake in what the stack is built from, in one line a person can act on."""


class ConfigError(StackError):
    """Bad stack config or dev inventory: the message names the file, the JSON path and the rule."""

    def __init__(self, source: str, path: str, rule: str) -> None:
        super().__init__(f"{source}: {path}: {rule}")
        self.source = source
        self.path = path
        self.rule = rule
