"""Pulumi entry point: the whole program is `infra.stack.build()`."""

from infra.stack import build

build()
