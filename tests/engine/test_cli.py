"""The command line: help, one-line usage errors with exit 2, specs, a real serve."""

from __future__ import annotations

import itertools
import subprocess
import sys

import httpx
import pytest

from mockserver.cli import main
from tests.conftest import AUTH, PROGRAM


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=timeout
    )


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "serve" in out and "specs" in out


def test_serve_help_lists_every_documented_flag(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for flag in ("--api", "--host", "--port", "--seed", "--fixtures", "--validate-responses"):
        assert flag in out
    assert "--log-level" in out


COMMANDS = ("serve", "specs", "contract", "proxy", "verify")


def help_of(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_s_help_says_what_to_type_and_ends_with_examples(capsys, command):
    text = help_of(capsys, command)
    usage = text.split("\n\n")[0]
    assert "__" not in usage  # no internal dest names as metavars
    examples = text.split("\nexamples:\n")[1]
    assert f"mockserver {command}" in examples


def example_lines() -> list[str]:
    """Every ``mockserver ...`` line of the commands' examples (a shell's env assignments and
    a redirection dropped)."""
    from mockserver.cli import COMMANDS as commands

    lines = [line for command in commands.values() for line, _ in command.examples]
    return [
        line[line.index("mockserver ") :].split(" > ")[0] for line in lines if "mockserver " in line
    ]


@pytest.mark.parametrize("line", example_lines())
def test_every_example_in_help_parses(line):
    """A reader types them as shown: each names only flags that exist, with what they need."""
    import shlex

    from mockserver.cli import parser

    words = shlex.split(line)[1:]
    command = next(word for word in words if not word.startswith("-"))
    parser(command).parse_args(words)  # argparse exits 2 on a missing or unknown flag
    pairs = itertools.pairwise(words)
    cassettes = [name for flag, name in pairs if flag in ("--record", "--replay")]
    assert all(name.endswith(".jsonl") for name in cassettes), line  # cassettes are JSON Lines


def test_serve_metavars_and_vendor_groups(capsys):
    text = help_of(capsys, "serve")
    for shown in ("--users N", "--contacts N", "--rate-limit N/min", "--port N", "--seed N",
                  "--fixtures DIR", "--workers N", "--sendgrid-key KEY[:SCOPES]",
                  "--log-format FORMAT"):  # fmt: skip
        assert shown in text
    actionhub, sendgrid = (
        text.index("actionhub (--api actionhub):"),
        text.index("sendgrid (--api sendgrid):"),
    )
    assert actionhub < text.index("  --users N") < sendgrid < text.index("  --contacts N")


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == "mockserver 0.1.0\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--bogus"], "unrecognized arguments: --bogus"),
        (["serve", "--port", "http"], "port must be an integer 0-65535, not 'http'"),
        (["serve", "--port", "70000"], "port must be 0-65535, not 70000"),
        (["serve", "--api", "stripe"], "invalid choice"),
        (["serve", "--fixtures", "/does/not/exist"], "not a readable directory"),
        (["serve", "--seed", "x"], "seed must be an integer 0-9223372036854775807, not 'x'"),
        (["serve", "--seed", "²"], "seed must be an integer"),
        (["serve", "--journal-size", "1_000"], "journal size must be an integer"),
    ],
)
def test_bad_input_is_a_one_line_error_with_exit_code_2(capsys, args, message):
    with pytest.raises(SystemExit) as exited:
        main(args)
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_specs_list_shows_every_operation(capsys):
    assert main(["specs"]) == 0
    out = capsys.readouterr().out
    for operation_id in ("get_segment_segment_get", "get_segments_segments_get"):
        assert operation_id in out
    assert "ListSegment" in out and "GetSegment" in out


def test_specs_validate_and_print():
    validated = run("specs", "validate")
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.count("valid OpenAPI document") == 2
    printed = run("specs", "print", "sendgrid")
    assert printed.stdout.startswith("openapi: 3.1")


def test_mockserver_serve_answers_both_apis_on_one_port(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--log-level", "info"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        for line in process.stderr:  # uvicorn announces the bound address once it listens
            if "Uvicorn running on" in line:
                url = line.split("Uvicorn running on ")[1].split()[0]
                break
        assert url, "server never announced its address"
        with httpx.Client(base_url=url, timeout=10) as http:
            segments = http.get("/segments", headers=PROGRAM)
            sendgrid = http.get("/v3/marketing/segments", headers=AUTH)
        assert segments.status_code == 200 and "items" in segments.json()
        assert sendgrid.status_code == 200 and "results" in sendgrid.json()
    finally:
        process.terminate()
        process.wait(timeout=10)
