from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from compliance.checkov.accepted_risks import AcceptedRiskError, load_accepted_risks
from compliance.checkov.run import run_checkov
from compliance.model.findings import Outcome
from tests.compliance.checkov.checkov_graphs import storage_graph

TODAY = datetime.date(2026, 11, 26)
KNOWN = frozenset({"CKV_AWS_18", "CKV2_AWS_62"})
JUSTIFICATION = "No process consumes object events, so notifications would add nothing at all."


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "accepted-risks.yaml"
    path.write_text(body)
    return path


def entry(**fields: object) -> str:
    values: dict[str, object] = {
        "check": "CKV2_AWS_62",
        "scope": "stack",
        "justification": JUSTIFICATION,
        "owner": "platform-team",
    }
    values.update(fields)
    return yaml.safe_dump({"accepted_risks": [values]})


def test_an_entry_without_justification_is_an_error_naming_file_and_entry(tmp_path: Path) -> None:
    path = write(tmp_path, entry(justification=""))
    with pytest.raises(
        AcceptedRiskError,
        match=rf"^{path}: accepted_risks\[0\] \(CKV2_AWS_62\): justification: required",
    ):
        load_accepted_risks(path, KNOWN, TODAY)


def test_an_entry_without_owner_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AcceptedRiskError, match=r"owner: required"):
        load_accepted_risks(write(tmp_path, entry(owner="")), KNOWN, TODAY)


def test_a_justification_must_be_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(AcceptedRiskError, match=r"justification: write a sentence"):
        load_accepted_risks(write(tmp_path, entry(justification="not needed")), KNOWN, TODAY)


def test_an_unknown_check_id_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AcceptedRiskError, match=r"'CKV_AWS_0' is not a checkov check id"):
        load_accepted_risks(write(tmp_path, entry(check="CKV_AWS_0")), KNOWN, TODAY)


def test_an_expired_entry_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AcceptedRiskError, match=r"expired on 2026-01-31"):
        load_accepted_risks(
            write(tmp_path, entry(expires=datetime.date(2026, 1, 31))), KNOWN, TODAY
        )


def test_an_entry_expiring_later_is_accepted(tmp_path: Path) -> None:
    (loaded,) = load_accepted_risks(
        write(tmp_path, entry(expires=datetime.date(2027, 1, 31))), KNOWN, TODAY
    )
    assert loaded.expires == datetime.date(2027, 1, 31)
    assert loaded.justification == JUSTIFICATION


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("2027-06-30T00:00:00", "'2027-06-30T00:00:00'"),
        ("2027-13-45", "'2027-13-45'"),
        ("20270630", "20270630"),
        ("next year", "'next year'"),
    ],
)
def test_an_expiry_that_is_not_a_date_is_an_error_naming_the_entry(
    tmp_path: Path, written: str, shown: str
) -> None:
    body = entry() + f"  expires: {written}\n"
    with pytest.raises(
        AcceptedRiskError,
        match=rf"\[0\] \(CKV2_AWS_62\): expires: {shown} is not a date \(YYYY-MM-DD\)$",
    ):
        load_accepted_risks(write(tmp_path, body), KNOWN, TODAY)


@pytest.mark.parametrize(
    "body", ["accepted_risk:\n  - check: CKV_AWS_18\n", "accepted_risks: {}\n", "- CKV_AWS_18\n"]
)
def test_a_file_not_holding_a_list_under_its_one_key_is_an_error(tmp_path: Path, body: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(AcceptedRiskError, match=rf"^{path}: must be a mapping with one key"):
        load_accepted_risks(path, KNOWN, TODAY)


def test_malformed_yaml_is_one_line_naming_the_file_and_place(tmp_path: Path) -> None:
    path = write(tmp_path, "accepted_risks:\n  - check: [CKV_AWS_18\n")
    with pytest.raises(AcceptedRiskError) as raised:
        load_accepted_risks(path, KNOWN, TODAY)
    message = str(raised.value)
    assert message.startswith(f"{path}: not valid YAML: line 3, column 1: ")
    assert "\n" not in message


def test_a_scope_naming_no_resource_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, entry(scope="no-such-bucket"))
    with pytest.raises(AcceptedRiskError, match=r"scope 'no-such-bucket' names no resource"):
        run_checkov(storage_graph(), path, today=TODAY)


def test_an_entry_covering_no_failed_check_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, entry(check="CKV_AWS_21"))
    with pytest.raises(AcceptedRiskError, match=r"\(CKV_AWS_21\): covers no failed check"):
        run_checkov(storage_graph(), path, today=TODAY)


def test_accepted_failures_are_findings_of_their_own_kind_scoped_to_one_resource(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, entry(scope="bucket-receipts"))
    run = run_checkov(storage_graph(), path, today=TODAY)
    (accepted,) = run.accepted
    assert accepted.rule == "CKV2_AWS_62"
    assert accepted.outcome is Outcome.ACCEPTED_RISK
    assert accepted.accepted_risk is not None
    assert accepted.accepted_risk.justification == JUSTIFICATION
    assert accepted.accepted_risk.owner == "platform-team"
    assert accepted in run.findings
    assert all(f.rule != "CKV2_AWS_62" for f in run.failed)
