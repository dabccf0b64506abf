"""The analyzer-protocol client: starts packs as the CLI does and speaks the protocol to them."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from compliance.model.errors import UserError
from compliance.model.findings import Enforcement, Severity
from compliance.model.graph import (
    SECRET_SIGNATURE,
    SECRET_SIGNATURE_KEY,
    UNKNOWN,
    GraphResource,
    ResourceGraph,
)
from compliance.preview.analyzer import PolicyPackError, PolicyPackProcess
from compliance.preview.policy_config import PolicyConfigEntry

PROVIDER_URN = "urn:pulumi:dev::shop::pulumi:providers:aws::default"

# A pack whose policies report what they were given, so tests can see what the client sent.
ECHO_PACK = """
import json, os
from pulumi_policy import (
    EnforcementLevel, PolicyComplianceFramework, PolicyConfigSchema, PolicyPack,
    ResourceValidationPolicy, Severity, StackValidationPolicy,
)

def echo(args, report):
    if args.resource_type == "test:index:Broken":
        raise RuntimeError("policy bug")
    if args.resource_type != "test:index:Thing":
        args.not_applicable("not a thing")
    seen = {
        "cwd": os.getcwd(),
        "env": [os.environ.get(k) for k in ("PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN")],
        "secret": args.props["password"],
        "protect": args.opts.protect,
        "region": args.provider.props["region"] if args.provider else None,
        "config": dict(args.get_config()),
    }
    report(json.dumps(seen))

def echo_stack(args, report):
    for r in args.resources:
        deps = {k: [d.urn for d in v] for k, v in r.property_dependencies.items()}
        seen = {
            "deps": deps,
            "protect": r.opts.protect,
            "props": sorted(r.props),
            "provider": dict(r.provider.props) if r.provider else None,
        }
        report(json.dumps(seen), r.urn)

PolicyPack(
    name="echo",
    policies=[
        ResourceValidationPolicy(
            name="echo-resource",
            description="Echoes the resource.",
            validate=echo,
            enforcement_level=EnforcementLevel.ADVISORY,
            severity=Severity.LOW,
            framework=PolicyComplianceFramework("pci-dss", "4.0.1", "12.5.1"),
            remediation_steps="None.",
            config_schema=PolicyConfigSchema({"level": {"type": "integer", "default": 1}}),
        ),
        StackValidationPolicy(
            name="echo-stack",
            description="Echoes the stack.",
            validate=echo_stack,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
    ],
)
"""


def write_pack(directory: Path, main: str, version: str = "2.3.4") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "PulumiPolicy.yaml").write_text(f"runtime: python\nversion: {version}\n")
    (directory / "__main__.py").write_text(textwrap.dedent(main))
    return directory


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PolicyPackProcess]:
    pack_dir = write_pack(tmp_path_factory.mktemp("echo") / "pack", ECHO_PACK)
    with PolicyPackProcess(pack_dir, project="shop", stack="dev", dry_run=True) as pack:
        yield pack


def provider(region: str = "eu-west-1") -> GraphResource:
    return GraphResource(
        urn=PROVIDER_URN, type="pulumi:providers:aws", custom=True, inputs={"region": region}
    )


def thing(name: str, password: object, **extra: object) -> GraphResource:
    return GraphResource(
        urn=f"urn:pulumi:dev::shop::test:index:Thing::{name}",
        type="test:index:Thing",
        custom=True,
        inputs={"password": password},
        provider=f"{PROVIDER_URN}::{UNKNOWN}",
        **extra,  # type: ignore[arg-type]
    )


def secret(**form: object) -> dict[str, object]:
    return {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, **form}


def test_pack_info_carries_policies_and_the_declared_version(echo: PolicyPackProcess) -> None:
    info = echo.info()

    assert (info.name, info.version) == ("echo", "2.3.4")
    resource_policy, stack_policy = info.policies
    assert resource_policy.kind == "resource"
    assert resource_policy.enforcement is Enforcement.ADVISORY
    assert resource_policy.severity is Severity.LOW
    assert resource_policy.control_id == "pci-dss@4.0.1:12.5.1"
    assert resource_policy.config_schema == {
        "type": "object",
        "properties": {"level": {"type": "integer", "default": 1}},
        "required": [],
    }
    assert (stack_policy.kind, stack_policy.severity, stack_policy.config_schema) == (
        "stack",
        None,
        None,
    )


def test_pack_runs_in_its_directory_with_the_stack_in_its_environment(
    echo: PolicyPackProcess,
) -> None:
    echo.configure({})
    (diagnostic,) = echo.analyze(thing("a", "plain"), provider()).diagnostics

    seen = json.loads(diagnostic.message.split("\n", 1)[1])
    assert seen["cwd"] == str(echo.pack_dir)
    assert seen["env"] == ["shop", "dev", "true"]
    assert seen["region"] == "eu-west-1"
    assert diagnostic.urn == thing("a", "plain").urn
    assert not diagnostic.unable_to_run


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        (secret(value="s3cret"), "s3cret"),
        (secret(plaintext=json.dumps("s3cret")), "s3cret"),
    ],
)
def test_secrets_reach_the_pack_as_the_engine_sends_them(
    echo: PolicyPackProcess, password: object, expected: str
) -> None:
    (diagnostic,) = echo.analyze(thing("a", password), provider()).diagnostics

    assert json.loads(diagnostic.message.split("\n", 1)[1])["secret"] == expected


def test_reading_an_unknown_is_reported_as_unable_to_run(echo: PolicyPackProcess) -> None:
    encrypted_only = secret(ciphertext="AAAA")

    for password in (UNKNOWN, encrypted_only):
        (diagnostic,) = echo.analyze(thing("a", password), provider()).diagnostics
        assert diagnostic.unable_to_run
        assert diagnostic.enforcement is Enforcement.ADVISORY
        assert "can't be known during preview" in diagnostic.message


def test_configure_sends_level_and_properties(echo: PolicyPackProcess) -> None:
    echo.configure({"echo-resource": PolicyConfigEntry(Enforcement.MANDATORY, {"level": 3})})

    (diagnostic,) = echo.analyze(thing("a", "x"), provider()).diagnostics

    assert diagnostic.enforcement is Enforcement.MANDATORY
    assert json.loads(diagnostic.message.split("\n", 1)[1])["config"] == {"level": 3}
    echo.configure({"echo-resource": PolicyConfigEntry(None, {})})
    (diagnostic,) = echo.analyze(thing("a", "x"), provider()).diagnostics
    assert diagnostic.enforcement is Enforcement.ADVISORY


def test_not_applicable_policies_come_back_with_their_reason(echo: PolicyPackProcess) -> None:
    other = GraphResource(
        urn="urn:pulumi:dev::shop::test:index:Other::o", type="test:index:Other", custom=True
    )

    result = echo.analyze(other, None)

    assert result.diagnostics == ()
    assert [(n.policy_name, n.reason) for n in result.not_applicable] == [
        ("echo-resource", "not a thing")
    ]


def test_analyze_stack_sends_every_resource_with_its_state_and_its_providers_inputs(
    echo: PolicyPackProcess,
) -> None:
    root = GraphResource(
        urn="urn:pulumi:dev::shop::pulumi:pulumi:Stack::shop-dev",
        type="pulumi:pulumi:Stack",
        custom=False,
        outputs={"endpoint": "https://shop.example"},
    )
    the_provider = replace(provider(), outputs={"region": "eu-west-1", "computed": "x"})
    first = thing("first", "x", protect=True, outputs={"password": "x", "arn": "arn:first"})
    second = thing("second", "y", property_dependencies={"peer": (first.urn,)})
    stack = ResourceGraph("shop", "dev", (root, the_provider, first, second))

    diagnostics = {
        d.urn: json.loads(d.message.split("\n", 1)[1])
        for d in echo.analyze_stack(stack).diagnostics
    }

    with_provider = {"region": "eu-west-1"}
    assert diagnostics == {
        root.urn: {"deps": {}, "protect": False, "props": ["endpoint"], "provider": None},
        PROVIDER_URN: {
            "deps": {},
            "protect": False,
            "props": ["computed", "region"],
            "provider": None,
        },
        first.urn: {
            "deps": {},
            "protect": True,
            "props": ["arn", "password"],
            "provider": with_provider,
        },
        second.urn: {
            "deps": {"peer": [first.urn]},
            "protect": False,
            "props": ["password"],
            "provider": with_provider,
        },
    }


def test_a_policy_that_crashes_surfaces_as_a_pack_error(echo: PolicyPackProcess) -> None:
    broken = GraphResource(
        urn="urn:pulumi:dev::shop::test:index:Broken::b", type="test:index:Broken", custom=True
    )

    with pytest.raises(PolicyPackError, match="Analyze failed"):
        echo.analyze(broken, None)


def test_pack_that_dies_at_start_is_a_user_error_with_its_stderr(tmp_path: Path) -> None:
    pack_dir = write_pack(tmp_path / "pack", 'raise SystemExit("cannot load policies")')

    with (
        pytest.raises(PolicyPackError) as raised,
        PolicyPackProcess(pack_dir, project="p", stack="s"),
    ):
        pass

    assert isinstance(raised.value, UserError)
    assert "exited (code 1) before printing its port" in str(raised.value)
    assert "cannot load policies" in str(raised.value)


def test_pack_printing_something_else_first_is_a_pack_error(tmp_path: Path) -> None:
    pack_dir = write_pack(tmp_path / "pack", 'print("hello")\nimport time\ntime.sleep(30)')

    with pytest.raises(PolicyPackError, match="first output line is not a port: b'hello"):
        PolicyPackProcess(pack_dir, project="p", stack="s").start()


def test_directory_without_pulumi_policy_yaml_is_not_a_pack(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match="not a policy pack"):
        PolicyPackProcess(tmp_path, project="p", stack="s").start()


@pytest.mark.parametrize(
    ("manifest", "complaint"),
    [
        ("runtime: [python\n", "not valid YAML: line 2, column 1: "),
        ("- python\n", "must be a YAML map"),
        ("runtime: nodejs\nversion: 1.0.0\n", "runtime: must be python"),
        (
            "version: 1.0.0\n",
            "runtime: must be python (the pack is run as the CLI runs a Python pack), got None",
        ),
    ],
)
def test_a_manifest_the_cli_would_refuse_is_a_pack_error_naming_it(
    tmp_path: Path, manifest: str, complaint: str
) -> None:
    pack_dir = write_pack(tmp_path / "pack", "")
    (pack_dir / "PulumiPolicy.yaml").write_text(manifest)

    with pytest.raises(PolicyPackError) as raised:
        PolicyPackProcess(pack_dir, project="p", stack="s").start()

    assert str(raised.value).startswith(f"{pack_dir / 'PulumiPolicy.yaml'}: ")
    assert complaint in str(raised.value)


def test_missing_interpreter_is_a_pack_error(tmp_path: Path) -> None:
    pack_dir = write_pack(tmp_path / "pack", "")

    with pytest.raises(PolicyPackError, match="cannot start"):
        PolicyPackProcess(
            pack_dir, project="p", stack="s", python=str(tmp_path / "nopython")
        ).start()
