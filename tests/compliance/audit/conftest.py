"""The audit's fixtures: a project directory and the report built from `audit_fixtures`."""

from pathlib import Path

import pytest

from compliance.audit.model import AuditReport
from tests.compliance.audit.audit_fixtures import make_report, write_project


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def report(project_dir: Path) -> AuditReport:
    return make_report(project_dir)
