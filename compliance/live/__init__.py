"""The live engine: the deployed stack's running configuration, read with boto3 and judged
against the policy pack's controls (`python -m compliance verify`, `audit --live`)."""
