from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest

from compliance.audit.junit import render_junit
from compliance.audit.model import AuditReport
from tests.compliance.audit.audit_fixtures import BUCKET, ENCRYPTION, TABLE


@pytest.fixture(scope="module")
def junit(report: AuditReport) -> ET.Element:
    return ET.fromstring(render_junit(report))


def counts(element: ET.Element) -> dict[str, int]:
    cases = list(element.iter("testcase"))
    return {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }


def claimed(element: ET.Element) -> dict[str, int]:
    return {key: int(element.get(key, "-1")) for key in ("tests", "failures", "skipped")}


def test_junit_counts_match_its_test_cases(junit: ET.Element, report: AuditReport) -> None:
    assert claimed(junit) == counts(junit)
    for suite in junit.iter("testsuite"):
        assert claimed(suite) == counts(suite)
    assert len(junit.findall("testsuite")) == len(report.controls)


def test_junit_has_one_case_per_control_and_resource_with_failures_carrying_the_message(
    junit: ET.Element,
) -> None:
    suite = next(s for s in junit.iter("testsuite") if s.get("name", "").startswith(ENCRYPTION))
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {BUCKET, TABLE}
    failure = cases[BUCKET].find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "Bucket 'receipts' is not encrypted with a CMK (sse algorithm AES256)."
    )
    assert "How to fix: Set the bucket's server-side encryption" in (failure.text or "")
    skipped = cases[TABLE].find("skipped")
    assert skipped is not None
    assert skipped.get("message", "").startswith("accepted risk (owner payments-platform)")
    assert claimed(suite) == {"tests": 2, "failures": 1, "skipped": 1}


def test_junit_stays_well_formed_whatever_characters_the_stack_names_carry(
    report: AuditReport,
) -> None:
    hostile = "pay\x1bments\x00\x08\ufffe"
    provenance = dataclasses.replace(report.provenance, project=hostile, stack="pr\x0bod")
    finding = report.findings[0]
    odd = dataclasses.replace(
        finding, finding=dataclasses.replace(finding.finding, message="bad \x07 bell \x1f")
    )
    document = ET.fromstring(
        render_junit(
            dataclasses.replace(report, provenance=provenance, findings=(odd, *report.findings[1:]))
        )
    )
    assert document.get("name") == "audit pay\ufffdments\ufffd\ufffd\ufffd/pr\ufffdod"
