"""Controls findings are filed under: PCI DSS v4.0.1 requirements and our own baseline.

A control is named by its framework, version and reference, exactly as the policy pack declares it
through `PolicyComplianceFramework(name, version, reference)`; checkov checks map to the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass

PCI_DSS = "pci-dss"
PCI_DSS_VERSION = "4.0.1"
PAYMENTS = "payments-baseline"
PAYMENTS_VERSION = "1.0"


@dataclass(frozen=True, order=True)
class Control:
    framework: str
    version: str
    reference: str
    title: str

    @property
    def id(self) -> str:
        return control_id(self.framework, self.version, self.reference)


def control_id(framework: str, version: str, reference: str) -> str:
    return f"{framework}@{version}:{reference}"


def _pci(reference: str, title: str) -> Control:
    return Control(PCI_DSS, PCI_DSS_VERSION, reference, title)


def _own(reference: str, title: str) -> Control:
    return Control(PAYMENTS, PAYMENTS_VERSION, reference, title)


CATALOGUE: tuple[Control, ...] = (
    _pci("1.4.4", "Components storing cardholder data are not reachable from untrusted networks"),
    _pci("2.2.1", "Configuration standards cover every kind of system component"),
    _pci("3.2.1", "Account data storage is kept to a minimum by retention and disposal rules"),
    _pci("3.3.1", "Sensitive authentication data is not retained, including in logs"),
    _pci("3.5.1", "Stored account data is rendered unreadable with strong cryptography"),
    _pci("3.6.1", "Cryptographic keys used to protect stored account data are protected"),
    _pci("3.7.4", "Cryptographic keys are changed at the end of their cryptoperiod (rotation)"),
    _pci("4.2.1", "Strong cryptography protects account data during transmission"),
    _pci("6.3.3", "Components are protected from known vulnerabilities (supported runtimes)"),
    _pci("6.4.2", "Public-facing web applications are protected by automated attack prevention"),
    _pci("7.2.1", "Access is granted through a defined access-control model"),
    _pci("7.2.2", "Access is assigned on least privilege"),
    _pci("8.6.2", "Credentials of application and system accounts are not hard coded"),
    _pci("10.2.1", "Audit logs are enabled and active for all system components"),
    _pci("10.3.2", "Audit log files are protected against modification"),
    _pci("10.5.1", "Audit log history is retained"),
    _pci("10.7.2", "Failures of critical security controls are detected, alerted and addressed"),
    _pci("11.5.2", "Unauthorized modification of critical files (deployed code) is detected"),
    _pci("12.5.1", "An inventory of in-scope system components is maintained"),
    _pci("12.10.1", "Incident response includes business recovery, continuity and data backup"),
    _own("region", "Every resource runs in an allowed region (data residency)"),
    _own("throttling", "Every entry point is throttled; every function has reserved concurrency"),
    _own("capacity", "Entry points and data stores keep up with load (caching, autoscaling)"),
    _own("protection", "Stateful resources are protected from deletion"),
    _own("tracing", "Every request path is traced end to end with X-Ray"),
)

UNMAPPED = _own(
    "unmapped", "A scanner check not yet mapped to a control (map it, fix it or accept it)"
)
"""Where a scanner check no control claims is filed; outside the catalogue, so a report lists it
only once something is filed there, never as a requirement awaiting other evidence."""

_BY_ID = {control.id: control for control in (*CATALOGUE, UNMAPPED)}


def lookup(identifier: str) -> Control:
    """The catalogue's control with this id, or one titled by its reference when the catalogue
    lacks it."""
    known = _BY_ID.get(identifier)
    if known is not None:
        return known
    head, _, reference = identifier.partition(":")
    framework, _, version = head.partition("@")
    return Control(framework, version, reference, reference)


def by_id(identifier: str) -> Control | None:
    return _BY_ID.get(identifier)
