"""Errors a user can cause: each carries one message a person can act on."""

USER_ERROR_EXIT = 2
"""The exit code of a run a user's mistake stopped (argparse's own, for a bad argument)."""


class UserError(Exception):
    """A mistake in the user's input (config, state file, arguments); shown without a traceback."""


class GraphError(UserError):
    """A resource-graph document (stack export) that cannot be read."""
