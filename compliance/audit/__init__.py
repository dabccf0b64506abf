"""The audit report the compliance team files: every engine's findings, control by control.

`model.build_report` decides every verdict; `json_report`, `sarif`, `junit` and `html` render it;
`writer.write_reports` writes the four files into `reports/`; `command` is `python -m compliance
audit`.
"""
