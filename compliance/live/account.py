"""The AWS account the verifier reads: one boto3 session, a client per service, every call read-only
and classified.

A call either answers, answers "not configured" (an error code the caller names as `absent`: S3's
`ServerSideEncryptionConfigurationNotFoundError` means the bucket has no default encryption), or
fails with a `LiveCallError` that says why: access denied, the resource no longer exists, the
endpoint does not implement it, throttled beyond the retries, or unreachable. No failure is ever
read as an answer.
"""

from __future__ import annotations

import threading
import urllib.parse
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from compliance.model.errors import UserError

RETRIES = {"mode": "standard", "max_attempts": 5}
_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "AuthorizationErrorException",
    "UnauthorizedOperation",
    "Forbidden",
}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "ProvisionedThroughputExceededException",
}
_BAD_CREDENTIALS = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
}


class Problem(StrEnum):
    """Why a call gave no answer."""

    DENIED = "access denied"
    MISSING = "no longer exists"
    UNSUPPORTED = "the endpoint failed or does not implement it"
    THROTTLED = "throttled, still after the retries"
    FAILED = "failed"


class LiveCallError(Exception):
    def __init__(self, problem: Problem, service: str, operation: str, detail: str) -> None:
        super().__init__(f"{service}:{operation}: {problem.value} ({detail})")
        self.problem = problem


class LiveAccessError(UserError):
    """No usable credentials, or no endpoint to reach: nothing can be verified."""


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str


class LiveAccount:
    """Clients for one region, made once and shared by the verifier's threads (boto3 clients are
    thread-safe; their creation is not, hence the lock)."""

    def __init__(
        self,
        region: str,
        *,
        endpoint_url: str | None = None,
        concurrency: int = 8,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self._session = session or boto3.session.Session(region_name=region)
        self._config = Config(
            retries=RETRIES,
            max_pool_connections=max(concurrency, 10),
            connect_timeout=5,
            read_timeout=30,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str | None:
        """The endpoint the calls go to when it is not AWS's own (given, or boto3's settings:
        `AWS_ENDPOINT_URL`, the config file)."""
        url = str(self.client("sts").meta.endpoint_url)
        host = urllib.parse.urlsplit(url).hostname or ""
        return None if host.endswith((".amazonaws.com", ".amazonaws.com.cn")) else url

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service,
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=self._config,
                )
            return self._clients[service]

    def identity(self) -> Identity:
        """Who the credentials are, or one line on why there are none that work."""
        try:
            answer = self.client("sts").get_caller_identity()
        except (NoCredentialsError, PartialCredentialsError) as cause:
            raise LiveAccessError(
                f"no AWS credentials to verify with ({cause}): set AWS_PROFILE, or assume the "
                "verification role"
            ) from cause
        except NoRegionError as cause:
            raise LiveAccessError("no AWS region to verify in") from cause
        except EndpointConnectionError as cause:
            raise LiveAccessError(f"cannot reach AWS: {cause}") from cause
        except ClientError as cause:
            code = _code(cause)
            reason = "expired or invalid" if code in _BAD_CREDENTIALS else "refused"
            raise LiveAccessError(
                f"the AWS credentials are {reason} ({code}: {_message(cause)})"
            ) from cause
        return Identity(account=str(answer["Account"]), arn=str(answer["Arn"]))

    def call(
        self, service: str, operation: str, *, absent: frozenset[str] = frozenset(), **params: Any
    ) -> dict[str, Any] | None:
        """The operation's answer, None when it answered one of the `absent` codes."""
        try:
            answer: dict[str, Any] = getattr(self.client(service), operation)(**params)
        except ClientError as error:
            code = _code(error)
            if code in absent:
                return None
            raise LiveCallError(_problem(error), service, operation, _detail(error)) from error
        except BotoCoreError as error:
            raise LiveCallError(Problem.FAILED, service, operation, str(error)) from error
        return answer

    def pages(self, service: str, operation: str, key: str, **params: Any) -> list[Any]:
        """Every item under `key` of every page of a paginated operation."""
        try:
            paginator = self.client(service).get_paginator(operation)
            return [item for page in paginator.paginate(**params) for item in page.get(key, [])]
        except ClientError as error:
            raise LiveCallError(_problem(error), service, operation, _detail(error)) from error
        except BotoCoreError as error:
            raise LiveCallError(Problem.FAILED, service, operation, str(error)) from error


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error: ClientError) -> str:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return message if not message.lstrip().startswith("<") else "an HTML error page"


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _detail(error: ClientError) -> str:
    return f"{_code(error) or 'HTTP ' + str(_status(error))}: {_message(error)}"


def _problem(error: ClientError) -> Problem:
    code, status = _code(error), _status(error)
    if code in _DENIED or status == 403:
        return Problem.DENIED
    if code in _THROTTLED or status == 429:
        return Problem.THROTTLED
    # AWS names what it did not find; a bare 404 is an endpoint without the operation.
    bare = not code or code.isdigit()
    if "NotFound" in code or code.startswith("NoSuch") or (status == 404 and not bare):
        return Problem.MISSING
    if status in (404, 500, 501) or code in {"NotImplemented", "InternalFailure", "500", "501"}:
        return Problem.UNSUPPORTED
    return Problem.FAILED
