from __future__ import annotations

import pytest

from compliance.checkov.plan import TerraformPlan, to_terraform_plan
from compliance.model.graph import ResourceGraph
from compliance.preview.offline import run_program
from tests.compliance.checkov.checkov_graphs import PROJECT_ROOT


@pytest.fixture(scope="session")
def stack_graph() -> ResourceGraph:
    """The project's prod stack as the offline preview records it."""
    return run_program(PROJECT_ROOT, "prod").graph


@pytest.fixture(scope="session")
def stack_plan(stack_graph: ResourceGraph) -> TerraformPlan:
    return to_terraform_plan(stack_graph)
