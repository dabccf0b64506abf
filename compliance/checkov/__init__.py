"""The checkov cross-check: the resource graph as a Terraform plan, scanned by checkov in its own
environment, its verdicts filed as findings under the same controls as the policy pack's."""

from compliance.checkov.run import CheckovRun, run_checkov

__all__ = ["CheckovRun", "run_checkov"]
