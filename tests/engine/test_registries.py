"""Tables keyed by spec names are checked when the app is built: a typo fails at start-up,
in one line naming it, never as silently generated data at request time."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from mockserver.app import build_app
from mockserver.config import ServeConfig
from mockserver.errors import RegistryError, SpecError
from mockserver.resources import bundled_dir
from mockserver.vendors import vendor
from mockserver.vendors.interface import Backend


class MisspelledBackend(Backend):
    """The real ActionHub backend, one handler renamed."""

    def __init__(self, real, rename: dict[str, str]) -> None:
        self.real = real
        self.handlers = {rename.get(name, name): h for name, h in real.handlers.items()}


@dataclasses.dataclass(frozen=True)
class MisspelledVendor:
    real: object
    rename: dict

    def __getattr__(self, name):
        return getattr(self.real, name)

    def build(self, options, data=None):
        return MisspelledBackend(self.real.build(options, data), self.rename)


def test_a_misspelled_handler_fails_the_build_naming_it():
    typo = MisspelledVendor(vendor("actionhub"), {"get_segment_segment_get": "get_segmnet"})
    with pytest.raises(RegistryError) as refused:
        build_app(ServeConfig(apis=("actionhub",)), vendors={"actionhub": typo})
    message = str(refused.value)
    assert "'get_segmnet'" in message and "'get_segment_segment_get'" in message
    assert "\n" not in message


def test_claiming_an_operation_the_spec_lacks_fails_the_build():
    real = vendor("sendgrid")
    claims = real._replace(operations=real.operations | {"PurgeSegment"})
    with pytest.raises(RegistryError, match="'PurgeSegment', not an operationId"):
        build_app(ServeConfig(apis=("sendgrid",)), vendors={"sendgrid": claims})


def spec_with_dependency(tmp_path: Path, rule: str) -> Path:
    source = (bundled_dir("specs") / vendor("actionhub").spec_file).read_text(encoding="utf-8")
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / vendor("actionhub").spec_file).write_text(
        source.replace("- Or(asset_ids, labels);", f"- {rule}"), encoding="utf-8"
    )
    return specs


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("Or(asset_ids, label);", "names label, not a parameter"),
        ("IF asset_ids THEN labels;", r"is not Or\(a, b, \.\.\.\)"),
    ],
)
def test_a_dependency_rule_naming_an_unknown_parameter_fails_the_build(tmp_path, rule, problem):
    config = ServeConfig(apis=("actionhub",), specs_dir=spec_with_dependency(tmp_path, rule))
    with pytest.raises(SpecError, match=problem):
        build_app(config)


def test_serve_reports_a_registry_error_in_one_line_and_exits_2(tmp_path):
    """The whole start-up path: the CLI prints the error in one line and exits 2."""
    script = textwrap.dedent(
        """
        import sys
        from mockserver import cli, vendors
        real = vendors.vendor("sendgrid")
        typo = real._replace(operations=frozenset({"ListSegments", "GetSegment"}))
        vendors.vendor = lambda api: typo if api == "sendgrid" else real
        import mockserver.app
        mockserver.app.vendor = vendors.vendor
        sys.exit(cli.main(["serve", "--api", "sendgrid", "--port", "0"]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("mockserver: error: sendgrid:") and "'ListSegments'" in line


@dataclasses.dataclass(frozen=True)
class DuckVendor:
    """Builds a backend that has handlers but is no ``Backend``: its hooks would be missing."""

    real: object

    def __getattr__(self, name):
        return getattr(self.real, name)

    def build(self, options, data=None):
        return types.SimpleNamespace(handlers=self.real.build(options, data).handlers)


def test_a_backend_that_is_no_backend_fails_the_build():
    with pytest.raises(RegistryError, match="made a SimpleNamespace, not a Backend"):
        build_app(
            ServeConfig(apis=("actionhub",)), vendors={"actionhub": DuckVendor(vendor("actionhub"))}
        )
