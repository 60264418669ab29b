"""``serve --state`` / ``--state-prefix`` on the command line: refused early and in one line."""

from __future__ import annotations

import pytest

from mockserver.cli import main, parser, serve_config
from mockserver.config import ServeConfig, config_from_json, config_to_json


def test_an_unreachable_store_at_start_up_is_one_line_and_exit_2(capsys):
    assert main(["serve", "--port", "0", "--state", "redis://127.0.0.1:9/0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("mockserver: error: the state store redis://127.0.0.1:9/0 is unreachable")


def test_passwords_never_appear_in_the_error(capsys):
    assert main(["serve", "--port", "0", "--state", "redis://:hunter2@127.0.0.1:9/3"]) == 2
    err = capsys.readouterr().err
    assert "hunter2" not in err and "redis://127.0.0.1:9/3" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--state", "http://127.0.0.1:6379"], "not a Redis URL"),
        (["--state", "redis://"], "not a Redis URL"),
        (["--state-prefix", "a*b"], "state prefix"),
        (["--state-prefix", ""], "state prefix"),
        (["--state-prefix", "x" * 65], "state prefix"),
    ],
)
def test_nonsense_is_refused_by_the_parser(flags, message, capsys):
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["serve", *flags])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_the_state_reaches_every_worker():
    args = parser().parse_args(
        ["serve", "--state", "redis://10.0.0.5:6380/2", "--state-prefix", "team-a"]
    )
    config = serve_config(args)
    assert (config.state_url, config.state_prefix) == ("redis://10.0.0.5:6380/2", "team-a")
    assert config_from_json(config_to_json(config)) == config
    assert serve_config(parser().parse_args(["serve"])).state_url is None
    assert ServeConfig().state_url is None
