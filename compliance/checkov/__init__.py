"""The checkov cross-check: the resource graph as a Terraform plan, scanned by checkov in its own
environment (`run.run_checkov`), its verdicts filed as findings under the same controls as the
policy pack's. Nothing is imported here, so that starting checkov (`scan.start`) stays quick."""
