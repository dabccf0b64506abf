"""Validate a payment request, invoked directly with the request as the event.

Returns `{"valid": bool, "problems": [{"field", "message"}, ...]}`, the same verdict the
processor acts on.
"""

import os
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from payments_core.config import load_validator_settings
from payments_core.validation import validate_payment

settings = load_validator_settings(os.environ)
logger = Logger()
logger.append_keys(environment=settings.environment)
tracer = Tracer()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def handler(event: object, context: LambdaContext) -> dict[str, Any]:
    verdict = validate_payment(event, settings.limits)
    fields = sorted({problem.field for problem in verdict.problems})
    logger.info("payment request validated", extra={"valid": not fields, "fields": fields})
    return {
        "valid": verdict.payment is not None,
        "problems": [problem.as_dict() for problem in verdict.problems],
    }
