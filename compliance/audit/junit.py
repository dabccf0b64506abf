"""`junit.xml`: one test case per control and resource, for CI dashboards.

A suite per control; a case per resource evaluated under it (the stack counts as one). A case
fails when a finding on it failed, and is skipped when its worst finding is an accepted risk or
a rule that could not run; the message says which.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from compliance.audit.model import AuditReport, ControlResource, ControlResult, ReportedFinding
from compliance.model.findings import Finding, Outcome

STACK_CASE = "(the stack as a whole)"
# XML 1.0 cannot carry these characters, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def render_junit(report: AuditReport) -> str:
    findings = {f.id: f for f in report.findings}
    provenance = report.provenance
    timestamp = provenance.generated_at.removesuffix("Z")
    root = ET.Element("testsuites", name=_text(f"audit {provenance.project}/{provenance.stack}"))
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for control in report.controls:
        suite = _suite(control, findings, timestamp)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(
    control: ControlResult, findings: Mapping[str, ReportedFinding], timestamp: str
) -> ET.Element:
    cases = [_case(control, entry, findings) for entry in control.resources]
    suite = ET.Element(
        "testsuite",
        name=_text(f"{control.control.id} {control.control.title}"),
        tests=str(len(cases)),
        failures=str(sum(1 for c in cases if c.find("failure") is not None)),
        errors="0",
        skipped=str(sum(1 for c in cases if c.find("skipped") is not None)),
        timestamp=timestamp,
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="status", value=control.status.value)
    ET.SubElement(properties, "property", name="rules", value=_text(" ".join(control.rules)))
    suite.extend(cases)
    return suite


def _case(
    control: ControlResult, entry: ControlResource, findings: Mapping[str, ReportedFinding]
) -> ET.Element:
    evidence = [findings[i].finding for i in entry.finding_ids]
    case = ET.Element(
        "testcase",
        classname=_text(control.control.id),
        name=_text(entry.resource.urn if entry.resource else STACK_CASE),
    )
    failed = sorted((f for f in evidence if f.outcome is Outcome.FAIL), key=lambda f: not f.blocks)
    if failed:
        ET.SubElement(
            case,
            "failure",
            message=_text(failed[0].message),
            type=_text(f"{failed[0].source.value}/{failed[0].rule}"),
        ).text = _text(
            "\n\n".join(
                f"[{f.source.value}/{f.rule}, {f.enforcement.value}] {f.message}\n"
                f"How to fix: {f.remediation}"
                for f in failed
            )
        )
        return case
    open_items = [f for f in evidence if f.outcome is Outcome.NOT_RUN] + [
        f for f in evidence if f.outcome is Outcome.ACCEPTED_RISK
    ]
    if open_items:
        ET.SubElement(case, "skipped", message=_text(_skip_reason(open_items[0])))
    return case


def _skip_reason(finding: Finding) -> str:
    if finding.outcome is Outcome.NOT_RUN:
        return f"not run: {finding.message}"
    risk = finding.accepted_risk
    if risk is None:
        return f"accepted risk: {finding.message}"
    return f"accepted risk (owner {risk.owner}): {risk.justification}"
