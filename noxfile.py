"""Sessions a person runs: lint, tests, preview, deploy, checkov, audit, package, bench.

Each session is thin: the logic lives in the `compliance` package and is run as
`python -m compliance <command>`, so CI, nox and a person at a shell share one code path.
"""

import os
from pathlib import Path

import nox

# uv verifies TLS against the system's trust store, as pip does (proxies with their own CA).
os.environ.setdefault("UV_NATIVE_TLS", "true")
# Every environment compiles its bytecode at install: a run then costs the same whether or not
# PYTHONDONTWRITEBYTECODE is set (uv does not compile by default; containers often set it).
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests"]
# The interpreter the policy pack runs with instead of its own virtualenv (see compliance.preview).
PACK_PYTHON = "POLICY_PACK_PYTHON"

SOURCES = [
    "infra",
    "policy_pack",
    "lambda_packages",
    "compliance",
    "tests",
    "noxfile.py",
]


def install_project(session: nox.Session) -> None:
    """The project and its dev tools at the versions `uv.lock` holds: what deploys."""
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--extra",
        "dev",
        "--quiet",
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check), mypy (strict) and the import layering (lint-imports)."""
    install_project(session)
    session.run("ruff", "check", *SOURCES)
    session.run("ruff", "format", "--check", *SOURCES)
    session.run("mypy", *SOURCES)
    # The pack's package is importable from its own folder, as the Pulumi CLI runs it.
    session.run("lint-imports", env={"PYTHONPATH": "policy_pack"})


@nox.session
def tests(session: nox.Session) -> None:
    """Every test: the program under mocks, the pack over its protocol, moto, checkov, browser."""
    install_project(session)
    session.run("pytest", *session.posargs)


@nox.session
def newest(session: nox.Session) -> None:
    """Every test on the newest versions the ranges allow, not the pins: the project's
    (`pyproject.toml`, not `uv.lock`) and the pack's (`policy_pack/requirements.in`, not its
    `requirements.txt`). An upgrade is then a tested one-line change (`uv lock --upgrade`, or
    `uv pip compile` for the pack)."""
    session.install("-e", ".[dev]", "--upgrade")
    # Beside the session's own environment; not session.create_tmp(), which moves TMPDIR (and so
    # every test's tmp_path) into the work tree.
    newest_pack = Path(session.virtualenv.location).resolve().with_name("newest-pack")
    session.run("uv", "venv", "--quiet", "--allow-existing", str(newest_pack))
    python = newest_pack / "bin" / "python"
    requirements = "policy_pack/requirements.in"
    session.run(
        "uv", "pip", "install", "--quiet", "--upgrade", "--python", str(python), "-r", requirements
    )
    for environment in (session.virtualenv.location, str(newest_pack)):
        session.run("uv", "pip", "list", "--python", environment)
    session.run("pytest", *session.posargs, env={PACK_PYTHON: str(python)})


@nox.session
def preview(session: nox.Session) -> None:
    """Preview the stack with the policy pack: `pulumi preview --policy-pack` when the CLI is
    installed, offline otherwise (`-- --stack NAME`, `-- --offline`); fails on a mandatory
    violation."""
    install_project(session)
    session.run("python", "-m", "compliance", "preview", *session.posargs)


@nox.session
def policy(session: nox.Session) -> None:
    """The policy pack over a deployed stack's `pulumi stack export` (`-- --state FILE`)."""
    install_project(session)
    session.run("python", "-m", "compliance", "policy", *session.posargs)


@nox.session
def deploy(session: nox.Session) -> None:
    """`pulumi up --policy-pack`, once the offline preview and the region check pass; asks for
    confirmation unless given `-- --yes`."""
    install_project(session)
    session.run("python", "-m", "compliance", "deploy", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Wall time of the offline preview with policies: the stack and 100-5,000 resources."""
    install_project(session)
    session.run("python", "-m", "compliance", "bench", *session.posargs)


@nox.session
def package(session: nox.Session) -> None:
    """Each Lambda function's reproducible zip in build/lambda (`-- --out DIR name...`)."""
    session.install("-e", ".")
    session.run("python", "-m", "lambda_packages.packaging", *session.posargs)


@nox.session
def checkov(session: nox.Session) -> None:
    """checkov over the stack's offline graph (`-- --state FILE` for a deployed stack's export);
    fails on any failed check that config/accepted-risks.yaml does not accept."""
    install_project(session)
    session.run("python", "-m", "compliance", "checkov", *session.posargs)


@nox.session
def verify(session: nox.Session) -> None:
    """The deployed stack checked live (boto3, read-only) against the pack's policies
    (`-- --state FILE`); fails on a mandatory failure."""
    install_project(session)
    session.run("python", "-m", "compliance", "verify", *session.posargs)


@nox.session
def audit(session: nox.Session) -> None:
    """The compliance team's report in reports/ (audit.json, audit.sarif, junit.xml, audit.html):
    offline preview with the policy pack (`-- --state FILE` for a deployed stack's export) and
    checkov; fails on a failed mandatory finding (`-- --fail-on any|none`)."""
    install_project(session)
    session.run("python", "-m", "compliance", "audit", *session.posargs)
