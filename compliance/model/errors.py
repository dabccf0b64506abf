"""Errors a user can cause: each carries one message a person can act on."""

USER_ERROR_EXIT = 2
"""The exit code of a run a user's mistake stopped (argparse's own, for a bad argument)."""


MAX_MESSAGE = 600
"""Characters of an error line: what a user's input contributes to it (a name, a key) is theirs
and may be of any length; the line says how much was cut."""


class UserError(Exception):
    """A mistake in the user's input (config, state file, arguments); shown without a traceback."""

    def __init__(self, message: str) -> None:
        if len(message) > MAX_MESSAGE:
            cut, half = len(message) - MAX_MESSAGE, MAX_MESSAGE // 2
            message = f"{message[:half]}… [{cut:,} characters cut] …{message[-half:]}"
        super().__init__(message)


class GraphError(UserError):
    """A resource-graph document (stack export) that cannot be read."""


SDK_CONTRACT_EXIT = 3
"""The exit code of a run stopped because an installed SDK broke a contract the tooling needs."""


class SdkContractError(Exception):
    """An installed SDK no longer behaves as the tooling relies on: neither the user's mistake
    nor a bug to show as a traceback, but one line naming the SDK version and what changed."""
