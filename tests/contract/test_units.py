"""Flag parsing, credential resolution, masking and declared parameter dependencies."""

from __future__ import annotations

import argparse
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from mockserver.cli import parser
from mockserver.cli.flags import options as options_of
from mockserver.cli.values import header, rate_limit
from mockserver.contract import dependencies
from mockserver.contract.credentials import resolve
from mockserver.contract.options import CHECKS, PHASES, ContractOptions
from mockserver.journal.masking import SecretText
from mockserver.spec import load_spec
from mockserver.spec.dependencies import OneOrMore


def options(*args: str):
    return options_of(parser().parse_args(["contract", *args]), ContractOptions)


def test_defaults_run_everything_against_the_mock_unthrottled():
    opts = options("--api", "sendgrid")
    assert opts.phases == PHASES and opts.checks == CHECKS and opts.max_examples == 100
    assert opts.bundled and opts.effective_rate_limit is None
    assert "delete" in opts.probe_methods


def test_a_real_deployment_gets_the_vendor_pace_and_only_safe_probes():
    opts = options("--api", "sendgrid", "--base-url", "https://api.example.com/")
    assert opts.base_url == "https://api.example.com"
    assert opts.effective_rate_limit == "3/s"
    assert opts.probe_methods == ("trace",)
    assert options("--api", "sendgrid", "--base-url", "https://x.io", "--rate-limit", "off")
    throttled = options("--api", "actionhub", "--base-url", "https://x.io", "--rate-limit", "1/s")
    assert throttled.effective_rate_limit == "1/s"


def test_phases_and_checks_are_subsets_in_canonical_order():
    opts = options(
        "--api",
        "actionhub",
        "--phases",
        "fuzzing,examples",
        "--checks",
        "ignored_auth",
        "--checks",
        "not_a_server_error,ignored_auth",
    )
    assert opts.phases == ("examples", "fuzzing")
    assert opts.checks == ("ignored_auth", "not_a_server_error")


@pytest.mark.parametrize(
    "args",
    [
        ["--phases", "examples,nope"],
        ["--checks", "use_after_free"],
        ["--rate-limit", "fast"],
        ["--report", "html:x"],
        ["--max-examples", "0"],
        ["-H", "no colon"],
        ["--base-url", "ftp://x"],
    ],
)
def test_bad_flags_are_usage_errors(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args(["contract", "--api", "sendgrid", *args])
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_header_and_rate_parsers():
    assert header("Authorization: Bearer a:b") == ("Authorization", "Bearer a:b")
    assert rate_limit("10/M") == "10/m"
    with pytest.raises(argparse.ArgumentTypeError):
        header(": value")


def test_env_credential_becomes_the_header_and_a_secret():
    creds = resolve("sendgrid", [], {"SENDGRID_API_KEY": "SG.key"}, bundled=False)
    assert creds.headers == {"Authorization": "Bearer SG.key"}
    assert creds.secrets == ("SG.key",) and creds.source == "$SENDGRID_API_KEY"
    program = resolve("actionhub", [], {"ACTIONHUB_PROGRAM_ID": "acme"}, bundled=False)
    assert program.headers == {"program-id": "acme"}


def test_cli_header_wins_and_every_non_public_value_is_secret():
    creds = resolve(
        "sendgrid",
        [("authorization", "Bearer tok3n-value"), ("Accept", "application/json"), ("X-A", "v")],
        {"SENDGRID_API_KEY": "ignored-key"},
        bundled=False,
    )
    assert creds.source == "-H" and "Authorization" not in creds.headers
    assert set(creds.secrets) == {"tok3n-value", "v"}


def test_the_mock_gets_a_throwaway_credential_a_real_deployment_none():
    assert resolve("sendgrid", [], {}, bundled=True).source == "mock default"
    assert resolve("sendgrid", [], {}, bundled=False).source is None


def test_masker_covers_encoded_and_cut_off_secrets():
    secret = "p@ss word/with+symbols-0123456789"
    mask = SecretText([secret])
    text = f"a {secret} b {quote(secret, safe='')} c {secret[:11]}"
    masked = mask(text)
    assert "p@ss" not in masked and "p%40ss" not in masked and masked.count("***") == 3
    assert mask("unrelated text") == "unrelated text"
    assert SecretText([])("anything") == "anything"


def test_or_dependency_is_checked_over_all_locations():
    rule = OneOrMore(("asset_ids", "labels"))

    def case(**query):
        return SimpleNamespace(query=query, headers={}, path_parameters={}, cookies={})

    assert not dependencies.satisfied(rule, case())
    assert not dependencies.satisfied(rule, case(asset_ids=" , ", labels=""))
    assert dependencies.satisfied(rule, case(labels="outdoor"))
    assert dependencies.satisfied(rule, case(asset_ids=["", "a1"]))


def test_the_actionhub_spec_declares_its_dependency():
    from mockserver.contract.runner import spec_path

    spec = load_spec("actionhub", spec_path("actionhub"))
    declared = {(op.method, op.path): op.dependencies for op in spec.operations if op.dependencies}
    assert declared == {("GET", "/segment"): (OneOrMore(("asset_ids", "labels")),)}


def test_serving_never_imports_schemathesis():
    """Start-up matters: only the contract subcommand loads Schemathesis."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from mockserver.cli import parser\n"
        "from mockserver.app import build_app\n"
        "from mockserver.config import ServeConfig\n"
        "parser().parse_args(['serve'])\n"
        "build_app(ServeConfig())\n"
        "heavy = ('schemathesis', 'hypothesis')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
