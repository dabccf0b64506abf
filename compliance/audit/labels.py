"""The words the reports for people use (the HTML page, the CI job summary) for statuses, modes
and controls."""

from __future__ import annotations

from compliance.audit.status import ControlStatus
from compliance.model.controls import PAYMENTS, PCI_DSS, Control

STATUS_LABELS = {
    ControlStatus.FAIL.value: "Fail",
    ControlStatus.NOT_RUN.value: "Not evaluated",
    ControlStatus.ACCEPTED_RISK.value: "Accepted risk",
    ControlStatus.PASS.value: "Pass",
    ControlStatus.NOT_APPLICABLE.value: "Not applicable",
}
FRAMEWORK_NAMES = {PCI_DSS: "PCI DSS", PAYMENTS: "Payments baseline"}
MODES = {
    "offline": "offline preview: the infrastructure program was run on this machine against "
    "simulated AWS answers; nothing was read from or changed in AWS",
    "cli": "preview by the Pulumi CLI: what a deployment would create or change",
    "state": "the deployed stack, as its recorded state (a `pulumi stack export` file) "
    "describes it",
}


def control_label(control: Control) -> str:
    """`pci-dss@4.0.1:3.5.1` as a reader cites it: `PCI DSS 4.0.1 · 3.5.1`."""
    framework = FRAMEWORK_NAMES.get(control.framework, control.framework)
    return f"{framework} {control.version} · {control.reference}"
