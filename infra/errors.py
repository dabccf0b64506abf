"""The one error the stack program raises for a user's mistake in its configuration."""

from compliance.errors import UserError


class ConfigError(UserError):
    """Bad stack config or dev inventory: the message names the file, the JSON path and the rule."""

    def __init__(self, source: str, path: str, rule: str) -> None:
        super().__init__(f"{source}: {path}: {rule}")
        self.source = source
        self.path = path
        self.rule = rule
