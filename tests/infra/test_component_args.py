"""Every component's args are keyword-only: two values of one type cannot be swapped unseen."""

import dataclasses
import importlib
import inspect
import pkgutil

import pytest

import infra


def component_args() -> list[type]:
    found: list[type] = []
    for module_info in pkgutil.iter_modules(infra.__path__):
        if module_info.name == "__main__":
            continue
        module = importlib.import_module(f"infra.{module_info.name}")
        for name, value in vars(module).items():
            if (
                name.endswith("Args")
                and isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return sorted(found, key=lambda cls: cls.__name__)


def test_every_component_has_an_args_dataclass() -> None:
    assert {cls.__name__ for cls in component_args()} == {
        "AuditTrailArgs",
        "BackupArgs",
        "BucketArgs",
        "FunctionArgs",
        "KeyArgs",
        "LambdaRoleArgs",
        "MonitoringArgs",
        "PaymentApiArgs",
        "TableArgs",
        "WebAclArgs",
    }


@pytest.mark.parametrize("args_class", component_args(), ids=lambda cls: cls.__name__)
def test_args_are_keyword_only(args_class: type) -> None:
    fields = dataclasses.fields(args_class)
    assert all(field.kw_only for field in fields)
    positional = [
        p
        for p in inspect.signature(args_class).parameters.values()
        if p.kind is not inspect.Parameter.KEYWORD_ONLY
    ]
    assert positional == []
    with pytest.raises(TypeError, match="positional argument"):
        args_class(*range(len(fields)))
