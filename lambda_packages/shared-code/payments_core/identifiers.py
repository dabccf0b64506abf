"""Identifiers derived from what a client sent, keyed so they reveal nothing of it.

Transaction ids and request hashes are HMAC-SHA256 under a secret key the stack keeps in an SSM
SecureString parameter (encrypted with the stack's KMS key) that the function reads once, on its
first request; without the key, an id cannot be tied back to the idempotency key or caller it
came from.
"""

import hashlib
import hmac
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from payments_core.config import ConfigurationError

MIN_KEY_BYTES = 32


class Identifiers:
    def __init__(self, load_key: Callable[[], bytes]) -> None:
        self._load_key = cache(load_key)

    def transaction_id(self, caller: str, idempotency_key: str) -> str:
        """A UUID-shaped id, one per caller and idempotency key."""
        return str(uuid.UUID(bytes=self._mac("transaction", caller, idempotency_key)[:16]))

    def request_hash(self, caller: str, canonical_request: str) -> str:
        return self._mac("request", caller, canonical_request).hex()

    def _mac(self, purpose: str, *parts: str) -> bytes:
        # Length-prefixed, so no two different part lists give one message.
        message = b"".join(
            len(encoded).to_bytes(4, "big") + encoded
            for encoded in (text.encode("utf-8") for text in (purpose, *parts))
        )
        key = self._load_key()
        if len(key) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"the identifier key must be at least {MIN_KEY_BYTES} bytes long"
            )
        return hmac.new(key, message, hashlib.sha256).digest()


def parameter_identifiers(ssm: Any, parameter_name: str) -> Identifiers:
    """Identifiers keyed by the SecureString parameter `parameter_name` (SSM decrypts it)."""
    return Identifiers(lambda: _parameter_key(ssm, parameter_name))


def _parameter_key(ssm: Any, parameter_name: str) -> bytes:
    try:
        parameter = ssm.get_parameter(Name=parameter_name, WithDecryption=True)["Parameter"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ParameterNotFound":
            raise
        raise ConfigurationError(
            f"SSM parameter {parameter_name} (ID_KEY_PARAMETER) does not exist: create it as a "
            "SecureString of at least 32 random characters before the first request"
        ) from None
    return str(parameter["Value"]).encode("utf-8")
