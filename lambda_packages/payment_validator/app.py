"""Validate a payment request, invoked directly with the request as the event.

Returns `{"valid": bool, "problems": [{"field", "message"}, ...]}`, the same verdict the
processor acts on. The Lambda runtime parses the event before the handler runs, so a repeated key
cannot be seen here (the last one wins); everything else the processor's strict reading rejects
is rejected here too.
"""

import os
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from payments_core.config import load_validator_settings
from payments_core.documents import DocumentRejected, check_document
from payments_core.validation import Problem, Verdict, validate_payment

settings = load_validator_settings(os.environ)
logger = Logger()
logger.append_keys(environment=settings.environment)
tracer = Tracer()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def handler(event: object, context: LambdaContext) -> dict[str, Any]:
    verdict = _verdict(event)
    fields = sorted({problem.field for problem in verdict.problems})
    logger.info("payment request validated", extra={"valid": not fields, "fields": fields})
    return {
        "valid": verdict.payment is not None,
        "problems": [problem.as_dict() for problem in verdict.problems],
    }


def _verdict(event: object) -> Verdict:
    try:
        check_document(event, settings.max_body_bytes)
    except DocumentRejected as rejected:
        return Verdict(payment=None, problems=(Problem("$", rejected.message),))
    return validate_payment(event, settings.limits)
