"""Reading the files a user names: a mistake is one `UserError` naming the file and the place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compliance.errors import UserError


def read_text(path: Path, error: type[UserError]) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as cause:
        raise error(f"{path}: cannot read: {cause.strerror}") from None


def read_json(path: Path, error: type[UserError]) -> Any:
    try:
        return json.loads(read_text(path, error))
    except json.JSONDecodeError as cause:
        raise error(
            f"{path}: not JSON (line {cause.lineno}, column {cause.colno}: {cause.msg})"
        ) from None
